import { augmentImage, createRng, mixSeed, shuffledIndices, type AugmentOptions, PIXELS } from '../data/index.js';

/**
 * What every trainer (in-process or a data-parallel worker) feeds a step, derived from (seed, epoch, position)
 * alone: so each worker can build its own shard of a global batch, and a sample's augmentation does not depend on
 * how many workers there are or which one drew it.
 */

/** The sample order of one epoch (1-based epoch). */
export function epochOrder(seed: number, epoch: number, count: number): Uint32Array {
  return shuffledIndices(count, createRng(mixSeed(seed, 0x5eed, epoch)));
}

/** [start, end) of rank's share of a global batch of n samples split over `workers` (contiguous, sizes differ ≤ 1). */
export function shardRange(n: number, workers: number, rank: number): [number, number] {
  const base = Math.floor(n / workers);
  const extra = n % workers;
  const start = rank * base + Math.min(rank, extra);
  return [start, start + base + (rank < extra ? 1 : 0)];
}

/**
 * The augmentation hook: one pure function of the source image and a sample-private seeded rng, run inside whichever
 * thread trains on the sample. A new augmentation is one more call here (it must only draw from `rng`).
 */
export function augmentSample(src: Uint8Array, out: Float32Array, rng: () => number, opt: AugmentOptions): void {
  augmentImage(src, out, rng, opt);
}

export interface SampleSource {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
}

const scratch = new Float32Array(PIXELS);

/**
 * Writes samples order[from..to) as 0..1 floats into x (n·784) and their labels into `labels`; `position` of the
 * first one is its index in the epoch, which seeds its augmentation.
 */
export function fillBatch(
  set: SampleSource, order: Uint32Array, from: number, to: number, augment: AugmentOptions | null,
  seed: number, epoch: number, x: Float32Array, labels: Int32Array,
): void {
  for (let k = 0, pos = from; pos < to; k++, pos++) {
    const idx = order[pos];
    const src = set.images.subarray(idx * PIXELS, idx * PIXELS + PIXELS);
    const dst = k * PIXELS;
    if (augment) {
      augmentSample(src, scratch, createRng(mixSeed(seed, epoch, pos)), augment);
      for (let p = 0; p < PIXELS; p++) x[dst + p] = scratch[p] / 255;
    } else {
      for (let p = 0; p < PIXELS; p++) x[dst + p] = src[p] / 255;
    }
    labels[k] = set.labels[idx];
  }
}
