import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_INDEX, FRAME_HEIGHT, FRAME_WIDTH, makeSet, photoName, POOL_SIZE, type PhotoEntry } from '../bench/independent-photos/make.js';
import { loadDigitSet } from '../src/data/index.js';

// The independent photo set (docs/independent-photos.md) is only worth quoting if anyone can re-render the same
// bytes, and if the CLI reads each photo's label from its name. Two digits and one blank sheet in two conditions.
const dirs: string[] = [];
const tempDir = (): string => { const d = mkdtempSync(path.join(os.tmpdir(), 'indep-photos-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
const digits = loadDigitSet('mnist:test');

describe('independent photo generator', () => {
  let first: PhotoEntry[] = [], second: PhotoEntry[] = [];
  let firstDir = '', secondDir = '';
  beforeAll(async () => {
    firstDir = tempDir();
    secondDir = tempDir();
    first = await makeSet({ out: firstDir, conditions: ['plain', 'finger'], count: 2, blanks: 1, digits });
    second = await makeSet({ out: secondDir, conditions: ['finger', 'plain'], count: 2, blanks: 1, digits });
  });

  it('renders the same bytes twice, whatever order the conditions are rendered in', () => {
    const names = readdirSync(firstDir).filter((f) => f.endsWith('.jpg')).sort();
    expect(names).toHaveLength(6);
    expect(readdirSync(secondDir).filter((f) => f.endsWith('.jpg')).sort()).toEqual(names);
    for (const n of names) expect(sha(path.join(secondDir, n)), n).toBe(sha(path.join(firstDir, n)));
    // The manifest's hashes are the files' (score.ts relies on them to refuse a stale folder).
    for (const e of [...first, ...second]) expect(sha(path.join(firstDir, e.file)), e.file).toBe(e.sha256);
    // Different photos differ (a generator that wrote one constant image would pass the checks above).
    expect(new Set(names.map((n) => sha(path.join(firstDir, n)))).size).toBe(6);
  });

  it('names files so the CLI reads the right label (label<d>), and blank sheets carry none', async () => {
    expect(first).toHaveLength(6);
    for (const e of first) {
      const labels = [...e.file.matchAll(/label(\d)/g)].map((m) => Number(m[1]));
      if (e.label === null) {
        expect(e.file).toMatch(/^(plain|finger)-blank-\d\d\.jpg$/);
        expect(labels).toEqual([]);
        expect(e.mnistIndex).toBeNull();
      } else {
        expect(e.file).toMatch(/^(plain|finger)-\d\d-label\d\.jpg$/);
        expect(e.mnistIndex).toBeGreaterThanOrEqual(FIRST_INDEX);
        expect(e.mnistIndex).toBeLessThan(FIRST_INDEX + POOL_SIZE);
        expect(labels).toEqual([digits.labels[e.mnistIndex ?? -1]]);
      }
      const meta = await sharp(path.join(firstDir, e.file)).metadata();
      expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['jpeg', FRAME_WIDTH, FRAME_HEIGHT, 3]);
    }
    expect(photoName('small-digit', 3, 7)).toBe('small-digit-03-label7.jpg');
    expect(photoName('small-digit', 3, null)).toBe('small-digit-blank-03.jpg');
  });
});
