import type { AugmentOptions } from '../data/index.js';
import type { LayerSpec } from './presets.js';
import type { EmaWarmup } from './step.js';

/** The training settings every replica shares. */
export interface ReplicaSettings {
  readonly layers: readonly LayerSpec[];
  readonly workers: number;
  readonly seed: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly labelSmoothing: number;
  /** Weight moving-average decay (0 = none); see GradientStepper. */
  readonly emaDecay: number;
  readonly emaWarmup: EmaWarmup;
  readonly augment: AugmentOptions | null;
  /** The last cleanEpochs epochs train on the images as they are, without augmentation (0 = augment every epoch). */
  readonly cleanEpochs: number;
  /** Batch normalization after every conv2d, folded on evaluation and export (batch-norm.ts). */
  readonly batchNorm: boolean;
}

/** What the main thread gives each training worker (structured-cloned; the buffers are shared, not copied). */
export interface WorkerInit extends ReplicaSettings {
  readonly rank: number;
  readonly trainImages: SharedArrayBuffer;
  readonly trainLabels: SharedArrayBuffer;
  readonly trainCount: number;
  readonly testImages: SharedArrayBuffer;
  readonly testCount: number;
  /** 2 (double-buffered by step parity) × workers × gradient size float32s. */
  readonly gradients: SharedArrayBuffer;
  /** 2 (by step parity) × workers float64s: each replica's loss sum for the step, summed like the gradients. */
  readonly losses: SharedArrayBuffer;
  /** With batchNorm: the statistics pass's per-batch partial moments (batch-norm.ts StatisticsShare), float64s. */
  readonly statistics: SharedArrayBuffer;
  readonly barrier: SharedArrayBuffer;
}

export type ToWorker = { type: 'epoch'; epoch: number } | { type: 'weights' } | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; rank: number; backend: string; gradientSize: number }
  | { type: 'progress'; rank: number; done: number; lossSum: number; correct: number; seen: number }
  /** Every step, from rank 0: the global batch's mean loss, for the main thread's divergence guard. */
  | { type: 'loss'; rank: number; step: number; loss: number }
  | {
    type: 'epoch'; rank: number; epoch: number; lossSum: number; correct: number; seen: number; learningRate: number;
    testPredictions: Uint8Array; weightsHash: string; seconds: number;
  }
  | { type: 'weights'; rank: number; values: Float32Array[] }
  | { type: 'error'; rank: number; message: string };
