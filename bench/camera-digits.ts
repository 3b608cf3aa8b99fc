// Which MNIST test digit each bench:camera frame shows: a seeded function of (set, seed, condition, frame).
//
// Until 2026-12-03 condition c, frame k drew digit first + (257c + k) mod 5000 whatever the seed, so every seed
// of a set showed a condition the same 50 digits (a "fresh" held-out seed re-used them, and a condition's score
// was tied to its fixed 50). Now each (set, seed, condition) shuffles its set's pool of digits with its own seeded
// stream and frame k takes the k-th: another seed is other digits, and frame k's digit does not depend on how many
// frames a condition has (--per-condition), so the render cache stays valid.
//
// The pools keep the sets apart: 'tuning' and 'tuning-wide' draw from MNIST test digits 0–4,999; 'held-out' and
// 'tuning-bold' split 5,000–9,999 (the bolder half, which the held-out set has always used) by one fixed seeded
// partition, 2,500 digits each, so held-out never shows a digit any tuning set can.
import { createRng, mixSeed, PIXELS, shuffledIndices, type DigitSet } from '../src/data/index.js';

export type BenchSetName = 'tuning' | 'tuning-wide' | 'tuning-bold' | 'held-out';

/** The seed of the fixed partition of MNIST test digits 5,000–9,999 between held-out and tuning-bold. */
const PARTITION_SEED = 0x5eed_0b01;
/** Distinguishes the sets' streams, so two sets at the same seed do not shuffle alike. */
const SET_TAG: Record<BenchSetName, number> = { tuning: 1, 'tuning-wide': 2, 'tuning-bold': 3, 'held-out': 4 };

let partition: { readonly heldOut: readonly number[]; readonly bold: readonly number[] } | null = null;

/** MNIST test digits 5,000–9,999 split in two halves by a fixed shuffle (sorted, for stable pools). */
function upperPartition(): { readonly heldOut: readonly number[]; readonly bold: readonly number[] } {
  if (partition) return partition;
  const order = shuffledIndices(5000, createRng(PARTITION_SEED));
  const heldOut = Array.from(order.subarray(0, 2500), (i) => 5000 + i).sort((a, b) => a - b);
  const bold = Array.from(order.subarray(2500), (i) => 5000 + i).sort((a, b) => a - b);
  partition = { heldOut, bold };
  return partition;
}

/** The MNIST test digits a set may show, ascending. */
export function digitPool(set: BenchSetName): readonly number[] {
  if (set === 'tuning' || set === 'tuning-wide') return Array.from({ length: 5000 }, (_, i) => i);
  return set === 'held-out' ? upperPartition().heldOut : upperPartition().bold;
}

const orders = new Map<string, Uint32Array>();

/** The MNIST test digit of frame `k` of condition number `conditionIndex` in `set` at `seed`. */
export function benchDigit(set: BenchSetName, seed: number, conditionIndex: number, k: number): number {
  const pool = digitPool(set);
  if (!Number.isInteger(k) || k < 0 || k >= pool.length) throw new RangeError(`frame ${k} out of 0..${pool.length - 1}`);
  const id = `${set}/${seed}/${conditionIndex}`;
  let order = orders.get(id);
  if (!order) {
    order = shuffledIndices(pool.length, createRng(mixSeed(SET_TAG[set], seed, conditionIndex)));
    orders.set(id, order);
  }
  return pool[order[k]];
}

/**
 * The first `count` digits of a set's pool (ascending) as a DigitSet: the steady-answer check's digits, so that
 * check too shows held-out digits only in the held-out set.
 */
export function poolDigits(set: BenchSetName, test: DigitSet, count: number): DigitSet {
  const chosen = digitPool(set).slice(0, count);
  const images = new Uint8Array(chosen.length * PIXELS);
  chosen.forEach((d, i) => images.set(test.images.subarray(d * PIXELS, (d + 1) * PIXELS), i * PIXELS));
  return { ...test, source: `${test.source}[${set} pool, first ${chosen.length}]`, count: chosen.length, images, labels: Uint8Array.from(chosen, (d) => test.labels[d]) };
}
