/**
 * Training throughput of a preset (default: the `cnn` default model) per available tfjs backend, and what it
 * projects for the full default training. Runs the real training loop (trainModel: augmentation, batching,
 * forward, backward, Adam) on the first N MNIST training images.
 *
 *   npm run bench:train -- [--images 2000] [--preset cnn] [--with-cpu] [--cpu-images 128] [--eval-images 1000]
 *
 * Progress goes to stderr; the last line of stdout is one JSON object.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import {
  augmentImage, createRng, DEFAULT_AUGMENT, imageAt, loadDigitSet, type DigitSet,
} from '../src/data/index.js';
import {
  buildModel, getPreset, modelCost, predictFloatLogits, selectBackend, trainModel, type BackendChoice, type Preset,
} from '../src/train/index.js';

const FULL_TRAIN_IMAGES = 60_000;
const FULL_TEST_IMAGES = 10_000;

interface BenchOptions {
  readonly preset: Preset;
  readonly images: number;
  readonly cpuImages: number;
  readonly evalImages: number;
  readonly withCpu: boolean;
}

type BackendResult =
  | { backend: string; available: false; reason: string }
  | {
    backend: string; available: true; reason: string; images: number; seconds: number; samplesPerSecond: number;
    inferenceImagesPerSecond: number; projectedTrainSeconds: number; projectedTrainWithEvalSeconds: number;
  };

function positiveInt(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} expects an integer ≥ 1, got '${v}'`);
  return n;
}

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      images: { type: 'string' }, preset: { type: 'string' }, 'with-cpu': { type: 'boolean' },
      'cpu-images': { type: 'string' }, 'eval-images': { type: 'string' },
    },
    strict: true,
  });
  return {
    preset: getPreset(values.preset ?? 'cnn'),
    images: positiveInt(values.images, 'images', 2000),
    cpuImages: positiveInt(values['cpu-images'], 'cpu-images', 128),
    evalImages: positiveInt(values['eval-images'], 'eval-images', 1000),
    withCpu: values['with-cpu'] === true,
  };
}

function log(s: string): void {
  process.stderr.write(s + '\n');
}

function firstImages(set: DigitSet, n: number): DigitSet {
  const count = Math.min(n, set.count);
  const px = set.rows * set.cols;
  return { ...set, count, images: set.images.subarray(0, count * px), labels: set.labels.subarray(0, count) };
}

/** One epoch over `images` training images with the preset's own batch size, rate and augmentation. */
async function trainingRate(preset: Preset, train: DigitSet, test: DigitSet, images: number): Promise<{ seconds: number; samplesPerSecond: number }> {
  const r = await trainModel({
    preset, epochs: 1, batchSize: preset.defaults.batchSize, learningRate: preset.defaults.learningRate, seed: 1,
    augment: preset.defaults.augment ? DEFAULT_AUGMENT : null,
    train: firstImages(train, images),
    test, progress: { write: (s) => process.stderr.write(s), isTTY: false },
  });
  r.model.dispose();
  return { seconds: r.history[0].seconds, samplesPerSecond: r.history[0].samplesPerSecond };
}

/** Float inference rate, which bounds the per-epoch test evaluation of a full training (weights do not matter). */
function inferenceRate(preset: Preset, test: DigitSet): number {
  const model = buildModel(preset.layers, 1);
  predictFloatLogits(model, test.images, Math.min(test.count, 100)); // warm-up
  const t0 = performance.now();
  predictFloatLogits(model, test.images, test.count);
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  return test.count / seconds;
}

async function benchBackend(choice: BackendChoice, images: number, o: BenchOptions, train: DigitSet, test: DigitSet): Promise<BackendResult> {
  let selected;
  try {
    selected = await selectBackend(choice);
  } catch (e) {
    return { backend: choice === 'node' ? 'tensorflow' : choice, available: false, reason: (e as Error).message };
  }
  log(`\n== ${selected.name}: ${selected.reason}; warm-up, then ${images} images`);
  await trainingRate(o.preset, train, firstImages(test, 10), Math.min(images, o.preset.defaults.batchSize));
  const run = await trainingRate(o.preset, train, firstImages(test, 10), images);
  const inference = inferenceRate(o.preset, firstImages(test, o.evalImages));
  const epochs = o.preset.defaults.epochs;
  const projectedTrainSeconds = (epochs * FULL_TRAIN_IMAGES) / run.samplesPerSecond;
  // trainModel evaluates the whole test set once per epoch.
  const projectedTrainWithEvalSeconds = projectedTrainSeconds + (epochs * FULL_TEST_IMAGES) / inference;
  log(`${selected.name}: ${run.samplesPerSecond.toFixed(0)} img/s training, ${inference.toFixed(0)} img/s inference; `
    + `${epochs} × 60k epochs ≈ ${(projectedTrainWithEvalSeconds / 60).toFixed(1)} min`);
  return {
    backend: selected.name, available: true, reason: selected.reason, images,
    seconds: round(run.seconds, 2), samplesPerSecond: round(run.samplesPerSecond, 1),
    inferenceImagesPerSecond: round(inference, 0),
    projectedTrainSeconds: round(projectedTrainSeconds, 0), projectedTrainWithEvalSeconds: round(projectedTrainWithEvalSeconds, 0),
  };
}

/** Augmentation runs in JS on the training thread, so its cost adds to every step. */
function augmentMsPerImage(train: DigitSet, count: number): number {
  const rng = createRng(1);
  const out = new Float32Array(784);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) augmentImage(imageAt(train, i % train.count), out, rng, DEFAULT_AUGMENT);
  return (performance.now() - t0) / count;
}

const round = (v: number, digits: number): number => Number(v.toFixed(digits));

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const train = loadDigitSet('mnist:train', Math.max(o.images, o.cpuImages));
  const test = loadDigitSet('mnist:test', o.evalImages);
  const results: BackendResult[] = [await benchBackend('wasm', Math.min(o.images, train.count), o, train, test)];
  if (o.withCpu) results.push(await benchBackend('cpu', Math.min(o.cpuImages, train.count), o, train, test));
  else results.push({ backend: 'cpu', available: false, reason: 'skipped: pass --with-cpu (the pure-JS backend trains this model at a few to ~30 img/s)' });
  results.push(await benchBackend('node', Math.min(o.images, train.count), o, train, test));
  const cost = modelCost(o.preset.layers);
  const cpus = os.cpus();
  const report = {
    bench: 'train',
    preset: o.preset.name, params: cost.params, macsPerImage: cost.macs,
    config: {
      images: o.images, batchSize: o.preset.defaults.batchSize, learningRate: o.preset.defaults.learningRate,
      augment: o.preset.defaults.augment, defaultEpochs: o.preset.defaults.epochs, fullTrainImages: FULL_TRAIN_IMAGES, fullTestImages: FULL_TEST_IMAGES,
    },
    results,
    augmentMsPerImage: round(augmentMsPerImage(train, 2000), 4),
    units: {
      samplesPerSecond: 'training images per second over one pass (augmentation, forward, backward, Adam update), after a one-batch warm-up run',
      inferenceImagesPerSecond: 'float predictions per second, batches of 500',
      projectedTrainSeconds: 'defaultEpochs × fullTrainImages / samplesPerSecond',
      projectedTrainWithEvalSeconds: 'projectedTrainSeconds + defaultEpochs × fullTestImages / inferenceImagesPerSecond',
      augmentMsPerImage: 'milliseconds per augmented image (JS, one thread)',
    },
    machine: {
      cpuModel: cpus[0]?.model ?? 'unknown', cpuCount: cpus.length,
      totalMemoryGiB: round(os.totalmem() / 2 ** 30, 1), freeMemoryGiB: round(os.freemem() / 2 ** 30, 1),
      loadAverage1m: round(os.loadavg()[0], 2), platform: `${os.platform()} ${os.arch()}`,
    },
    node: process.version,
    tfjs: tf.version.tfjs,
    date: new Date().toISOString(),
  };
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/train: ${(e as Error).message}\n`);
  process.exit(1);
});
