import { describe, expect, it } from 'vitest';
import { benchDigit, digitPool, poolDigits, type BenchSetName } from '../bench/camera-digits.js';
import { PIXELS, type DigitSet } from '../src/data/index.js';

const SETS: readonly BenchSetName[] = ['tuning', 'tuning-wide', 'tuning-bold', 'held-out'];

describe('bench:camera digit choice', () => {
  it('keeps held-out apart from every tuning set, and splits 5,000–9,999 in two halves', () => {
    const held = new Set(digitPool('held-out'));
    for (const s of ['tuning', 'tuning-wide', 'tuning-bold'] as const) {
      expect(digitPool(s).filter((d) => held.has(d))).toEqual([]);
    }
    expect(held.size).toBe(2500);
    const upper = [...held, ...digitPool('tuning-bold')].sort((a, b) => a - b);
    expect(upper).toEqual(Array.from({ length: 5000 }, (_, i) => 5000 + i));
    expect(digitPool('tuning')).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('draws each frame from its own set’s pool, distinct within a condition', () => {
    for (const s of SETS) {
      const pool = new Set(digitPool(s));
      for (const c of [0, 6, 12]) {
        const ds = Array.from({ length: 50 }, (_, k) => benchDigit(s, 7, c, k));
        expect(ds.every((d) => pool.has(d))).toBe(true);
        expect(new Set(ds).size).toBe(50);
      }
    }
  });

  it('depends on the seed, the set and the condition, and is reproducible', () => {
    const digits = (s: BenchSetName, seed: number, c: number): number[] => Array.from({ length: 50 }, (_, k) => benchDigit(s, seed, c, k));
    const a = digits('held-out', 3001, 6);
    expect(digits('held-out', 3001, 6)).toEqual(a);
    // Two seeds of a set share only a few of a condition's 50 digits out of a pool of 2,500 (≈ 1 by chance).
    const shared = (x: number[], y: number[]): number => x.filter((d) => y.includes(d)).length;
    expect(shared(a, digits('held-out', 3002, 6))).toBeLessThan(6);
    expect(shared(a, digits('held-out', 3001, 7))).toBeLessThan(6);
    expect(shared(digits('tuning', 1, 6), digits('tuning-wide', 1, 6))).toBeLessThan(6);
  });

  it('gives the steady-answer check the first digits of the set’s own pool, images and labels with them', () => {
    // A stand-in for the MNIST test set: digit d's pixels all hold d mod 256, its label d mod 10.
    const count = 10_000;
    const test: DigitSet = {
      count, rows: 28, cols: 28, source: 'fake',
      images: Uint8Array.from({ length: count * PIXELS }, (_, i) => Math.floor(i / PIXELS) % 256),
      labels: Uint8Array.from({ length: count }, (_, d) => d % 10),
    };
    for (const s of SETS) {
      const got = poolDigits(s, test, 40);
      const want = digitPool(s).slice(0, 40);
      expect(got.count).toBe(40);
      expect(Array.from(got.labels)).toEqual(want.map((d) => d % 10));
      expect(Array.from({ length: 40 }, (_, i) => got.images[i * PIXELS + 17])).toEqual(want.map((d) => d % 256));
    }
  });

  it('has no frame past its pool', () => {
    expect(benchDigit('held-out', 1, 0, 2499)).toBeGreaterThanOrEqual(5000);
    expect(() => benchDigit('held-out', 1, 0, 2500)).toThrow(RangeError);
    expect(() => benchDigit('tuning', 1, 0, -1)).toThrow(RangeError);
  });
});
