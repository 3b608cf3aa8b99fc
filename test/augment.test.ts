import { describe, expect, it } from 'vitest';
import {
  augmentImage, createRng, DEFAULT_AUGMENT, imageAt, loadDigitSet, MAX_AUGMENT_STRENGTH, mixSeed, scaleAugment, shuffledIndices,
  type AugmentOptions,
} from '../src/data/index.js';
import { augmentImageReference } from './augment-reference.js';

const N = 28;
const digits = loadDigitSet('mnist:test', 200);
const NONE: AugmentOptions = { shift: 0, rotate: 0, scale: 0, stroke: 0 };

/**
 * An rng that replays fixed draws. augmentImage draws, in order: rotation, scale, x shift, y shift, stroke roll;
 * 0.5 is the neutral value of the first four (uniform in ±max maps 0.5 to 0).
 */
function replay(...draws: number[]): () => number {
  let i = 0;
  return () => draws[i++ % draws.length];
}

function augment(src: Uint8Array, rng: () => number, opt: AugmentOptions): Float32Array {
  const out = new Float32Array(N * N);
  augmentImage(src, out, rng, opt);
  return out;
}

function ink(img: ArrayLike<number>): number {
  let sum = 0;
  for (let p = 0; p < img.length; p++) sum += img[p];
  return sum;
}

describe('scaleAugment (--augment-strength)', () => {
  const sameBits = (a: Float32Array, b: Float32Array): boolean => new Uint32Array(a.buffer).every((v, p) => v === new Uint32Array(b.buffer)[p]);

  it('strength 1 is the given augmentation, bit for bit', () => {
    expect(scaleAugment(DEFAULT_AUGMENT, 1)).toEqual(DEFAULT_AUGMENT);
    const a = new Float32Array(N * N);
    const b = new Float32Array(N * N);
    const rngA = createRng(11);
    const rngB = createRng(11);
    for (let i = 0; i < digits.count; i++) {
      augmentImage(imageAt(digits, i), a, rngA, DEFAULT_AUGMENT);
      augmentImage(imageAt(digits, i), b, rngB, scaleAugment(DEFAULT_AUGMENT, 1));
      expect(sameBits(a, b), `image ${i}`).toBe(true);
    }
  });

  it('strength 0 distorts nothing: every image comes out as it went in, whatever the draws', () => {
    expect(scaleAugment(DEFAULT_AUGMENT, 0)).toEqual(NONE);
    const rng = createRng(12);
    for (let i = 0; i < digits.count; i++) {
      const src = imageAt(digits, i);
      expect(Array.from(augment(src, rng, scaleAugment(DEFAULT_AUGMENT, 0))), `image ${i}`).toEqual(Array.from(src));
    }
  });

  it('scales every magnitude by the strength; the stroke probability is capped at 1', () => {
    const half = scaleAugment(DEFAULT_AUGMENT, 0.5);
    expect(half.shift).toBeCloseTo(1, 12);
    expect(half.rotate).toBeCloseTo(5, 12);
    expect(half.scale).toBeCloseTo(0.05, 12);
    expect(half.stroke).toBeCloseTo(0.1, 12);
    expect(scaleAugment({ ...DEFAULT_AUGMENT, stroke: 0.5 }, 3).stroke).toBe(1);
    // A weaker augmentation moves less ink on the same draws: the same rng sequence, 0.6 against 1.
    let moved06 = 0;
    let moved1 = 0;
    const rngA = createRng(13);
    const rngB = createRng(13);
    for (let i = 0; i < digits.count; i++) {
      const src = imageAt(digits, i);
      const weak = augment(src, rngA, scaleAugment(DEFAULT_AUGMENT, 0.6));
      const full = augment(src, rngB, DEFAULT_AUGMENT);
      for (let p = 0; p < N * N; p++) { moved06 += Math.abs(weak[p] - src[p]); moved1 += Math.abs(full[p] - src[p]); }
    }
    expect(moved06).toBeLessThan(0.8 * moved1);
    expect(moved06).toBeGreaterThan(0.3 * moved1);
  });

  it('rejects a strength below 0, above the maximum, or not a number, naming the range', () => {
    for (const bad of [-0.1, MAX_AUGMENT_STRENGTH + 0.01, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => scaleAugment(DEFAULT_AUGMENT, bad)).toThrow(`augmentation strength must be a number from 0 to ${MAX_AUGMENT_STRENGTH}, got ${bad}`);
    }
  });
});

describe('augmentImage', () => {
  it('produces the same bits as the plain reference formulation (speed tuning changed no value)', () => {
    const options: AugmentOptions[] = [
      DEFAULT_AUGMENT,
      { shift: 9, rotate: 45, scale: 0.5, stroke: 1 }, // samples far outside the image, always a stroke change
      { shift: 0.5, rotate: 180, scale: 0.05, stroke: 0.5 },
    ];
    const a = new Float32Array(N * N);
    const b = new Float32Array(N * N);
    for (const [k, opt] of options.entries()) {
      const rngA = createRng(100 + k);
      const rngB = createRng(100 + k);
      for (let i = 0; i < digits.count; i++) {
        augmentImage(imageAt(digits, i), a, rngA, opt);
        augmentImageReference(imageAt(digits, i), b, rngB, opt);
        const sameBits = new Uint32Array(a.buffer).every((v, p) => v === new Uint32Array(b.buffer)[p]);
        expect(sameBits, `options ${k}, image ${i}`).toBe(true);
      }
    }
  });

  it('is reproducible from the seed and differs between seeds', () => {
    const src = imageAt(digits, 0);
    const a = augment(src, createRng(42), DEFAULT_AUGMENT);
    const b = augment(src, createRng(42), DEFAULT_AUGMENT);
    const c = augment(src, createRng(43), DEFAULT_AUGMENT);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('changes every image and keeps values in 0..255', () => {
    const rng = createRng(7);
    for (let i = 0; i < digits.count; i++) {
      const src = imageAt(digits, i);
      const out = augment(src, rng, DEFAULT_AUGMENT);
      let moved = 0;
      for (let p = 0; p < N * N; p++) moved += Math.abs(out[p] - src[p]);
      // At least 10 % of the ink moves: a transform that rounds back to the input would not teach anything.
      expect(moved / ink(src), `image ${i}`).toBeGreaterThan(0.1);
      expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...out)).toBeLessThanOrEqual(255);
    }
  });

  it('neutral options copy the image exactly', () => {
    const src = imageAt(digits, 3);
    expect(Array.from(augment(src, createRng(1), NONE))).toEqual(Array.from(src));
  });

  it('geometric transforms keep the ink mass within the area change of the scale (s² for s in 1 ± scale)', () => {
    const opt = { ...DEFAULT_AUGMENT, stroke: 0 };
    const lo = (1 - opt.scale) ** 2 - 0.02;
    const hi = (1 + opt.scale) ** 2 + 0.02;
    const rng = createRng(11);
    for (let i = 0; i < digits.count; i++) {
      const src = imageAt(digits, i);
      const ratio = ink(augment(src, rng, opt)) / ink(src);
      expect(ratio, `image ${i}`).toBeGreaterThan(lo);
      expect(ratio, `image ${i}`).toBeLessThan(hi);
    }
  });

  it('with the default options the ink mass is kept on average', () => {
    const rng = createRng(5);
    let sum = 0;
    for (let i = 0; i < digits.count; i++) sum += ink(augment(imageAt(digits, i), rng, DEFAULT_AUGMENT)) / ink(imageAt(digits, i));
    expect(sum / digits.count).toBeGreaterThan(0.93);
    expect(sum / digits.count).toBeLessThan(1.07);
  });

  it('a full positive x shift moves the picture right by exactly `shift` pixels', () => {
    const src = imageAt(digits, 1);
    const out = augment(src, replay(0.5, 0.5, 1, 0.5, 0.99), { ...NONE, shift: 2 });
    for (let y = 0; y < N; y++) {
      for (let x = 0; x < N; x++) expect(out[y * N + x]).toBe(x < 2 ? 0 : src[y * N + x - 2]);
    }
  });

  it('a +90° rotation maps source (col y, row 27−x) to (x, y)', () => {
    const src = imageAt(digits, 2);
    const out = augment(src, replay(1, 0.5, 0.5, 0.5, 0.99), { ...NONE, rotate: 90 });
    for (let y = 0; y < N; y++) {
      for (let x = 0; x < N; x++) expect(out[y * N + x]).toBeCloseTo(src[(N - 1 - x) * N + y], 3);
    }
  });

  it('the stroke roll thickens (low roll) or thins (high roll) the digit', () => {
    const src = imageAt(digits, 4);
    const opt = { ...NONE, stroke: 1 };
    const thick = ink(augment(src, replay(0.5, 0.5, 0.5, 0.5, 0.1), opt));
    const thin = ink(augment(src, replay(0.5, 0.5, 0.5, 0.5, 0.9), opt));
    expect(thick).toBeGreaterThan(ink(src) * 1.1);
    expect(thin).toBeLessThan(ink(src) * 0.9);
  });
});

describe('seeded randomness', () => {
  it('createRng is deterministic, in [0, 1), and roughly uniform', () => {
    const a = createRng(9);
    const b = createRng(9);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 10000; i++) {
      const v = a();
      expect(v).toBe(b());
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
      buckets[Math.floor(v * 10)]++;
    }
    for (const count of buckets) expect(Math.abs(count - 1000)).toBeLessThan(120);
  });

  it('mixSeed: 32-bit, order-sensitive, and the same values the committed models and photo set were seeded with', () => {
    // Pinned: the trainer's epoch orders and per-sample augmentation, and bench/independent-photos, draw from these.
    expect([mixSeed(1, 1, 0), mixSeed(1, 0x5eed, 1), mixSeed(2, 0xd161), mixSeed(-1)]).toEqual([1687133214, 2105776253, 993858927, 4288662295]);
    expect(mixSeed(1, 1, 1)).not.toBe(mixSeed(1, 1, 0));
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
  });

  it('shuffledIndices is a permutation', () => {
    const p = shuffledIndices(1000, createRng(2));
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(p.subarray(0, 20))).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
