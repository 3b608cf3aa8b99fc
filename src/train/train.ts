import * as tf from '@tensorflow/tfjs';
import {
  argmax, classificationReport, DEFAULT_AUGMENT, IMAGE_SIZE, scaleAugment, type AugmentOptions, type ClassificationReport, type DigitSet,
} from '../data/index.js';
import { DataParallelTrainer } from './data-parallel.js';
import { runEpoch, stepsPerEpoch, type EpochStats } from './epoch-loop.js';
import { buildModel } from './model.js';
import { predictFloatLogits } from './predict.js';
import { EpochProgress, type ProgressSink } from './progress.js';
import { modelCost, type Preset } from './presets.js';
import { DEFAULT_DIVERGENCE_PATIENCE, DivergenceGuard } from './divergence.js';
import { BatchNormFolder, trainableSize } from './batch-norm.js';
import { GradientStepper, type EmaWarmup } from './step.js';

export interface TrainOptions {
  readonly preset: Preset;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  readonly augment: AugmentOptions | null;
  /**
   * Scales every magnitude of `augment` (scaleAugment: 1 or absent = `augment` as given, bit for bit; 0 = no
   * distortion), from 0 to MAX_AUGMENT_STRENGTH. Applied here, before the replicas start, so this thread and every
   * worker augment with the same numbers.
   */
  readonly augmentStrength?: number;
  readonly train: DigitSet;
  readonly test: DigitSet;
  readonly progress: ProgressSink;
  /**
   * Data-parallel replicas in worker threads, each with its own tfjs wasm backend (the batch is split between them).
   * 0 or absent: train in this thread on the current tfjs backend (tfjs-node, cpu, or wasm on one core).
   */
  readonly workers?: number;
  /** Label smoothing of the cross-entropy loss (0 = none). */
  readonly labelSmoothing?: number;
  /** Decay of the exponential moving average of the weights that is evaluated and returned (0 or absent = none). */
  readonly emaDecay?: number;
  /** How the moving average starts (EmaWarmup in step.ts; absent = 'ramp'). */
  readonly emaWarmup?: EmaWarmup;
  /**
   * The last cleanEpochs epochs train on un-augmented images (0 or absent = augment every epoch); must be ≤ epochs.
   * Ignored without augmentation.
   */
  readonly cleanEpochs?: number;
  /**
   * Train with a batch normalization after every conv2d; every evaluation and the returned model are the plain
   * layers with the normalizations folded in, over statistics recomputed on the first 10,000 training images
   * (batch-norm.ts). Absent = false: the plain model, bit for bit as without the option.
   */
  readonly batchNorm?: boolean;
  /** Test accuracy whose first crossing is reported as time-to-accuracy (default 0.994). */
  readonly targetAccuracy?: number;
}

export interface EpochRecord {
  readonly epoch: number;
  readonly loss: number;
  readonly trainAccuracy: number;
  readonly testAccuracy: number;
  readonly learningRate: number;
  readonly seconds: number;
  readonly samplesPerSecond: number;
  /** Wall time since training started, at the end of this epoch's test evaluation. */
  readonly elapsedSeconds: number;
}

export interface TimeToAccuracy {
  readonly target: number;
  /** First epoch whose test accuracy reached the target, and the wall time at that point; null if never. */
  readonly epoch: number | null;
  readonly seconds: number | null;
}

export interface TrainResult {
  readonly model: tf.Sequential;
  readonly history: EpochRecord[];
  readonly test: ClassificationReport;
  readonly params: number;
  readonly macs: number;
  readonly wallSeconds: number;
  readonly workers: number;
  readonly timeToAccuracy: TimeToAccuracy;
}

export { learningRateAt } from './schedule.js';

export function evaluateFloat(model: tf.LayersModel, set: DigitSet): ClassificationReport {
  const logits = predictFloatLogits(model, set.images, set.count);
  const pred = new Uint8Array(set.count);
  for (let i = 0; i < set.count; i++) pred[i] = argmax(logits, i * 10, 10);
  return classificationReport(set.labels, pred);
}

/** The batching below slices 784-pixel images; any other geometry would train on misaligned garbage. */
function requireDigitGeometry(set: DigitSet, role: string): void {
  if (set.rows !== IMAGE_SIZE || set.cols !== IMAGE_SIZE) {
    throw new Error(`${role} set ${set.source}: images are ${set.rows}×${set.cols}, the models take ${IMAGE_SIZE}×${IMAGE_SIZE}`);
  }
  if (set.count === 0) throw new Error(`${role} set ${set.source}: no images`);
}

interface EpochOutcome { stats: EpochStats; trainSeconds: number; test: ClassificationReport }

/** The two ways of running epochs: in this thread, or replicas in worker threads. */
interface EpochRunner {
  epoch(epoch: number, bar: EpochProgress, startedAt: number): Promise<EpochOutcome>;
  finalModel(): Promise<tf.Sequential>;
  close(): Promise<void>;
}

/** One rule for both runners: every global batch's mean loss goes through the same guard, in step order. */
function divergenceGuard(o: TrainOptions): DivergenceGuard {
  return new DivergenceGuard(DEFAULT_DIVERGENCE_PATIENCE, `lower the learning rate (now ${o.learningRate})`);
}

function inProcessRunner(o: TrainOptions): EpochRunner {
  const guard = divergenceGuard(o);
  const stepper = new GradientStepper(o.preset.layers, o.seed, o.labelSmoothing ?? 0, o.emaDecay ?? 0, o.emaWarmup ?? 'ramp', o.batchNorm ?? false);
  const folder = o.batchNorm ? new BatchNormFolder(o.preset.layers, o.seed, o.train.images, o.train.count) : null;
  // The model a user gets: the evaluation weights, folded into the plain layers when training with batch norm.
  const deployed = <T>(f: (m: tf.Sequential) => T): T =>
    folder ? f(folder.foldedModel(stepper.evaluationTrainableValues())) : stepper.withEvaluationWeights(f);
  const plan = {
    stepper, train: o.train, augment: o.augment, cleanEpochs: o.cleanEpochs ?? 0, seed: o.seed, batchSize: o.batchSize, learningRate: o.learningRate,
    epochs: o.epochs, workers: 1, rank: 0, exchange: (gradient: Float32Array, lossSum: number) => ({ gradient, lossSum }),
  };
  return {
    async epoch(epoch, bar, startedAt) {
      const t0 = Date.now();
      const stats = runEpoch(plan, epoch, (done, s, batchLoss) => {
        guard.observe(batchLoss); // throws TrainingDivergedError out of the epoch at once
        bar.update({ done, total: o.train.count, loss: s.lossSum / s.seen, accuracy: s.correct / s.seen, startedAt });
      });
      const trainSeconds = (Date.now() - t0) / 1000;
      return { stats, trainSeconds, test: deployed((m) => evaluateFloat(m, o.test)) };
    },
    async finalModel() { return folder ? deployed((m) => m) : stepper.finish(); },
    async close() { stepper.dispose(); },
  };
}

async function parallelRunner(o: TrainOptions, workers: number, gradientSize: number): Promise<EpochRunner> {
  const t = await DataParallelTrainer.start({
    layers: o.preset.layers, workers, seed: o.seed, epochs: o.epochs, batchSize: o.batchSize, learningRate: o.learningRate,
    labelSmoothing: o.labelSmoothing ?? 0, emaDecay: o.emaDecay ?? 0, emaWarmup: o.emaWarmup ?? 'ramp', augment: o.augment, cleanEpochs: o.cleanEpochs ?? 0,
    batchNorm: o.batchNorm ?? false, train: o.train, test: o.test,
  }, gradientSize);
  let bar: EpochProgress | null = null;
  let startedAt = 0;
  const guard = divergenceGuard(o);
  // Rank 0 posts every step's global batch loss. A throw inside a worker's message event would escape every caller,
  // so a divergence stops the trainer instead: the replicas stop at their next step's barrier and the pending epoch
  // rejects with the guard's TrainingDivergedError.
  let stopped = false;
  t.onLoss((m) => {
    if (stopped) return;
    try { guard.observe(m.loss); } catch (e) { stopped = true; t.stop(e as Error); }
  });
  t.onProgress((m) => {
    bar?.update({ done: m.done, total: o.train.count, loss: m.lossSum / Math.max(1, m.seen), accuracy: m.correct / Math.max(1, m.seen), startedAt });
  });
  return {
    async epoch(epoch, b, s) {
      bar = b;
      startedAt = s;
      const r = await t.epoch(epoch);
      return {
        stats: { lossSum: r.lossSum, correct: r.correct, seen: r.seen, learningRate: r.learningRate },
        trainSeconds: r.trainSeconds, test: classificationReport(o.test.labels, r.testPredictions),
      };
    },
    async finalModel() {
      const values = await t.weights();
      const model = buildModel(o.preset.layers, o.seed);
      const tensors = values.map((v, i) => tf.tensor(v, model.weights[i].shape as number[]));
      model.setWeights(tensors);
      tf.dispose(tensors);
      return model;
    },
    close: () => t.close(),
  };
}

export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  const strength = options.augmentStrength ?? 1;
  const o: TrainOptions = { ...options, augment: options.augment && scaleAugment(options.augment, strength) };
  requireDigitGeometry(o.train, 'training');
  requireDigitGeometry(o.test, 'test');
  const clean = o.cleanEpochs ?? 0;
  if (!Number.isInteger(clean) || clean < 0 || clean > o.epochs) throw new Error(`cleanEpochs must be an integer from 0 to epochs (${o.epochs}), got ${clean}`);
  const { params, macs } = modelCost(o.preset.layers);
  const workers = o.workers ?? 0;
  const target = o.targetAccuracy ?? 0.994;
  const started = Date.now();
  const runner = workers > 0 ? await parallelRunner(o, workers, trainableSize(o.preset.layers, o.batchNorm ?? false)) : inProcessRunner(o);
  const history: EpochRecord[] = [];
  let test: ClassificationReport | null = null;
  let reached: { epoch: number; seconds: number } | null = null;
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const bar = new EpochProgress(`epoch ${epoch}/${o.epochs}`, o.progress);
      const out = await runner.epoch(epoch, bar, Date.now());
      test = out.test;
      const elapsedSeconds = (Date.now() - started) / 1000;
      const rec: EpochRecord = {
        epoch, loss: out.stats.lossSum / out.stats.seen, trainAccuracy: out.stats.correct / out.stats.seen, testAccuracy: test.accuracy,
        learningRate: out.stats.learningRate, seconds: out.trainSeconds, samplesPerSecond: out.stats.seen / out.trainSeconds, elapsedSeconds,
      };
      history.push(rec);
      if (!reached && test.accuracy >= target) reached = { epoch, seconds: elapsedSeconds };
      bar.finish(`loss ${rec.loss.toFixed(4)} train ${(rec.trainAccuracy * 100).toFixed(2)}% test ${(rec.testAccuracy * 100).toFixed(2)}% ${rec.seconds.toFixed(1)}s (${rec.samplesPerSecond.toFixed(0)} img/s), ${elapsedSeconds.toFixed(0)} s in`);
    }
    const model = await runner.finalModel();
    return {
      model, history, test: test ?? evaluateFloat(model, o.test), params, macs, wallSeconds: (Date.now() - started) / 1000,
      workers, timeToAccuracy: { target, epoch: reached?.epoch ?? null, seconds: reached ? Number(reached.seconds.toFixed(1)) : null },
    };
  } finally {
    await runner.close();
  }
}

export { DEFAULT_AUGMENT, stepsPerEpoch };
