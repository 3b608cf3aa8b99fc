import * as tf from '@tensorflow/tfjs';
import {
  augmentImage, argmax, classificationReport, createRng, shuffledIndices, DEFAULT_AUGMENT, IMAGE_SIZE,
  type AugmentOptions, type ClassificationReport, type DigitSet,
} from '../data/index.js';
import { buildModel } from './model.js';
import { predictFloatLogits } from './predict.js';
import { EpochProgress, type ProgressSink } from './progress.js';
import { modelCost, type Preset } from './presets.js';
import { DEFAULT_DIVERGENCE_PATIENCE, DivergenceGuard } from './divergence.js';

export interface TrainOptions {
  readonly preset: Preset;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  readonly augment: AugmentOptions | null;
  readonly train: DigitSet;
  readonly test: DigitSet;
  readonly progress: ProgressSink;
}

export interface EpochRecord {
  readonly epoch: number;
  readonly loss: number;
  readonly trainAccuracy: number;
  readonly testAccuracy: number;
  readonly learningRate: number;
  readonly seconds: number;
  readonly samplesPerSecond: number;
}

export interface TrainResult {
  readonly model: tf.Sequential;
  readonly history: EpochRecord[];
  readonly test: ClassificationReport;
  readonly params: number;
  readonly macs: number;
  readonly wallSeconds: number;
}

/** Adam whose learning rate can follow a schedule (the base class reads it on every step). */
class ScheduledAdam extends tf.AdamOptimizer {
  setLearningRate(lr: number): void {
    this.learningRate = lr;
  }
}

/** Cosine decay from lr to lr/50 over the run, after a one-epoch-fraction linear warm-up. */
export function learningRateAt(base: number, step: number, totalSteps: number): number {
  const warm = Math.min(200, Math.floor(totalSteps / 20));
  if (step < warm) return (base * (step + 1)) / warm;
  const t = (step - warm) / Math.max(1, totalSteps - warm);
  const floor = base / 50;
  return floor + ((base - floor) * (1 + Math.cos(Math.PI * t))) / 2;
}

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

export async function trainModel(o: TrainOptions): Promise<TrainResult> {
  requireDigitGeometry(o.train, 'training');
  requireDigitGeometry(o.test, 'test');
  const { params, macs } = modelCost(o.preset.layers);
  const model = buildModel(o.preset.layers, o.seed);
  const optimizer = new ScheduledAdam(o.learningRate, 0.9, 0.999, 1e-7);
  const rng = createRng(o.seed ^ 0x5eed);
  const stepsPerEpoch = Math.ceil(o.train.count / o.batchSize);
  const totalSteps = stepsPerEpoch * o.epochs;
  const history: EpochRecord[] = [];
  const xBuf = new Float32Array(o.batchSize * 784);
  const tmp = new Float32Array(784);
  const started = Date.now();
  let step = 0;
  let test: ClassificationReport | null = null;
  const divergence = new DivergenceGuard(DEFAULT_DIVERGENCE_PATIENCE, `lower the learning rate (now ${o.learningRate})`);
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const order = shuffledIndices(o.train.count, rng);
    const bar = new EpochProgress(`epoch ${epoch}/${o.epochs}`, o.progress);
    const epochStart = Date.now();
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    let lr = o.learningRate;
    for (let b = 0; b < stepsPerEpoch; b++) {
      const n = Math.min(o.batchSize, o.train.count - b * o.batchSize);
      const labels = new Int32Array(n);
      for (let k = 0; k < n; k++) {
        const idx = order[b * o.batchSize + k];
        const src = o.train.images.subarray(idx * 784, idx * 784 + 784);
        if (o.augment) {
          augmentImage(src, tmp, rng, o.augment);
          for (let p = 0; p < 784; p++) xBuf[k * 784 + p] = tmp[p] / 255;
        } else {
          for (let p = 0; p < 784; p++) xBuf[k * 784 + p] = src[p] / 255;
        }
        labels[k] = o.train.labels[idx];
      }
      lr = learningRateAt(o.learningRate, step++, totalSteps);
      optimizer.setLearningRate(lr);
      const [lossT, predT] = tf.tidy(() => {
        const x = tf.tensor4d(xBuf.subarray(0, n * 784), [n, 28, 28, 1]);
        const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
        let logits: tf.Tensor | null = null;
        const loss = optimizer.minimize(() => {
          // keep: minimize disposes everything made inside it, and the batch accuracy needs the logits.
          logits = tf.keep(model.apply(x, { training: true }) as tf.Tensor);
          return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
        }, true) as tf.Scalar;
        const kept = logits as unknown as tf.Tensor;
        const pred = tf.argMax(kept, 1);
        kept.dispose();
        return [loss, pred];
      });
      const [lossV, predV] = await Promise.all([lossT.data(), predT.data()]);
      tf.dispose([lossT, predT]);
      divergence.observe(lossV[0]);
      lossSum += lossV[0] * n;
      for (let k = 0; k < n; k++) if (predV[k] === labels[k]) correct++;
      seen += n;
      bar.update({ done: seen, total: o.train.count, loss: lossSum / seen, accuracy: correct / seen, startedAt: epochStart });
    }
    const seconds = (Date.now() - epochStart) / 1000;
    test = evaluateFloat(model, o.test);
    const rec: EpochRecord = {
      epoch, loss: lossSum / seen, trainAccuracy: correct / seen, testAccuracy: test.accuracy,
      learningRate: lr, seconds, samplesPerSecond: seen / seconds,
    };
    history.push(rec);
    bar.finish(`loss ${rec.loss.toFixed(4)} train ${(rec.trainAccuracy * 100).toFixed(2)}% test ${(rec.testAccuracy * 100).toFixed(2)}% ${seconds.toFixed(1)}s (${rec.samplesPerSecond.toFixed(0)} img/s)`);
  }
  // The Adam moments live in the tfjs engine until disposed; repeated runs in one process would pile them up.
  optimizer.dispose();
  return { model, history, test: test ?? evaluateFloat(model, o.test), params, macs, wallSeconds: (Date.now() - started) / 1000 };
}

export { DEFAULT_AUGMENT };
