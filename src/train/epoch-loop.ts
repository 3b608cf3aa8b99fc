import type { AugmentOptions } from '../data/index.js';
import { epochOrder, fillBatch, shardRange, type SampleSource } from './batches.js';
import { learningRateAt } from './schedule.js';
import type { GradientStepper } from './step.js';

/** Everything one replica needs to run its part of an epoch; `exchange` turns its local gradient into the step's. */
export interface ReplicaPlan {
  readonly stepper: GradientStepper;
  readonly train: SampleSource & { readonly count: number };
  readonly augment: AugmentOptions | null;
  /** The last cleanEpochs epochs train without augmentation (see epochAugment). */
  readonly cleanEpochs: number;
  readonly seed: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly epochs: number;
  readonly workers: number;
  readonly rank: number;
  /**
   * Given this replica's gradient for global step `step` (already scaled by its share of the batch) and its share's
   * loss sum, returns what every replica applies and sees: the sums over replicas in rank order (its own when alone).
   */
  readonly exchange: (local: Float32Array, lossSum: number, step: number) => StepExchange;
}

export interface StepExchange { readonly gradient: Float32Array; readonly lossSum: number }

export interface EpochStats { lossSum: number; correct: number; seen: number; learningRate: number }

/**
 * The augmentation of one epoch (1-based): none for the last `cleanEpochs` of `epochs`, so the run ends on the images
 * as the model will see them (at the low end of the learning-rate decay) rather than on distorted ones.
 */
export function epochAugment(augment: AugmentOptions | null, epoch: number, epochs: number, cleanEpochs: number): AugmentOptions | null {
  return epoch > epochs - cleanEpochs ? null : augment;
}

export function stepsPerEpoch(count: number, batchSize: number): number {
  return Math.ceil(count / batchSize);
}

/**
 * Runs this replica's share of every step of one epoch (1-based); `onStep` sees the global samples done, this
 * replica's running stats and the global batch's mean loss (what the divergence guard watches).
 */
export function runEpoch(p: ReplicaPlan, epoch: number, onStep?: (globalDone: number, local: EpochStats, batchLoss: number) => void): EpochStats {
  const steps = stepsPerEpoch(p.train.count, p.batchSize);
  const totalSteps = steps * p.epochs;
  const order = epochOrder(p.seed, epoch, p.train.count);
  const share = Math.ceil(p.batchSize / p.workers);
  const x = new Float32Array(share * 784);
  const labels = new Int32Array(share);
  const local = new Float32Array(p.stepper.size);
  const augment = epochAugment(p.augment, epoch, p.epochs, p.cleanEpochs);
  const stats: EpochStats = { lossSum: 0, correct: 0, seen: 0, learningRate: p.learningRate };
  for (let b = 0; b < steps; b++) {
    const start = b * p.batchSize;
    const n = Math.min(p.batchSize, p.train.count - start);
    const [s, e] = shardRange(n, p.workers, p.rank);
    fillBatch(p.train, order, start + s, start + e, augment, p.seed, epoch, x, labels);
    const r = p.stepper.gradients(x, labels, e - s, (e - s) / n, local);
    const step = (epoch - 1) * steps + b;
    const lr = learningRateAt(p.learningRate, step, totalSteps);
    const exchanged = p.exchange(local, r.lossSum, step);
    p.stepper.apply(exchanged.gradient, lr);
    stats.lossSum += r.lossSum;
    stats.correct += r.correct;
    stats.seen += e - s;
    stats.learningRate = lr;
    onStep?.(start + n, stats, exchanged.lossSum / n);
  }
  return stats;
}
