/**
 * The validation split the cnn schedule was tuned on (docs/training.md, "The schedule"): trains on the first 55,000
 * MNIST training images and scores every epoch on the last 5,000, which it never trains on — so a recipe is chosen
 * without looking at the test set. Options override the preset's defaults; `"test": true` trains on all 60,000 and
 * scores on the test set instead (the confirmation run).
 *
 *   npx tsx bench/train-validation.ts '{"epochs":14,"ema":0.999}'      # also: lr, ls, batch, seed, workers, augment, strength, emaWarmup, clean, bn
 *
 * Progress goes to stderr; the last line of stdout is one JSON object (accuracy per epoch, wall time).
 */
import os from 'node:os';
import { DEFAULT_AUGMENT, loadDigitSet, type AugmentOptions, type DigitSet } from '../src/data/index.js';
import { getPreset, selectBackend, trainModel, type EmaWarmup } from '../src/train/index.js';
import { parseBenchArgs } from './bench-args.js';

interface Candidate {
  epochs?: number; lr?: number; ls?: number; batch?: number; seed?: number; workers?: number; ema?: number; clean?: number;
  /** --augment-strength: scales every augmentation magnitude (1 = DEFAULT_AUGMENT). */
  strength?: number;
  /** --ema-warmup: 'ramp' or 'bias-corrected' (EmaWarmup in src/train/step.ts). */
  emaWarmup?: EmaWarmup;
  /** --batch-norm: batch normalization in training, folded into the convolutions (src/train/batch-norm.ts). */
  bn?: boolean;
  augment?: Partial<AugmentOptions> | null; test?: boolean;
}

const VALIDATION = 5000;

/** Every key a candidate may set: a misspelt one would otherwise run the preset's default under another name. */
const CANDIDATE_KEYS = ['epochs', 'lr', 'ls', 'batch', 'seed', 'workers', 'ema', 'clean', 'strength', 'emaWarmup', 'bn', 'augment', 'test'];

function slice(s: DigitSet, from: number, to: number): DigitSet {
  return { ...s, source: `${s.source}[${from}:${to}]`, count: to - from, images: s.images.subarray(from * 784, to * 784), labels: s.labels.subarray(from, to) };
}

async function main(): Promise<void> {
  const { positionals: [candidate] } = parseBenchArgs({
    usage: "npx tsx bench/train-validation.ts ['<candidate JSON>']",
    description: `Trains the cnn preset on MNIST training images 0-54,999 and scores every epoch on 55,000-59,999 (the validation
split the schedule was tuned on).

  keys: ${CANDIDATE_KEYS.join(', ')}
        (test: true trains on all 60,000 and scores on the test set: the confirmation run)
  example: '{"epochs":14,"ema":0.999}'`,
    positionals: [{ name: 'candidate', help: "a JSON object whose keys (above) override the preset's defaults", default: '{}' }],
  });
  const c = JSON.parse(candidate) as Candidate;
  const unknown = Object.keys(c).filter((k) => !CANDIDATE_KEYS.includes(k));
  if (unknown.length) throw new Error(`unknown candidate key(s) ${unknown.join(', ')}; known: ${CANDIDATE_KEYS.join(', ')}`);
  const preset = getPreset('cnn');
  const d = preset.defaults;
  const all = loadDigitSet('mnist:train');
  const train = c.test ? all : slice(all, 0, all.count - VALIDATION);
  const scored = c.test ? loadDigitSet('mnist:test') : slice(all, all.count - VALIDATION, all.count);
  await selectBackend('wasm');
  const loadBefore = os.loadavg()[0];
  const r = await trainModel({
    preset, epochs: c.epochs ?? d.epochs, batchSize: c.batch ?? d.batchSize, learningRate: c.lr ?? d.learningRate, seed: c.seed ?? 1,
    augment: c.augment === null ? null : { ...DEFAULT_AUGMENT, ...(c.augment ?? {}) }, augmentStrength: c.strength ?? d.augmentStrength, labelSmoothing: c.ls ?? d.labelSmoothing,
    emaDecay: c.ema ?? d.emaDecay, emaWarmup: c.emaWarmup ?? d.emaWarmup, cleanEpochs: c.clean ?? d.cleanEpochs, batchNorm: c.bn ?? d.batchNorm, train, test: scored, workers: c.workers ?? os.availableParallelism(),
    progress: { write: (s) => { if (!s.includes('ETA')) process.stderr.write(s); } },
  });
  r.model.dispose();
  process.stdout.write(JSON.stringify({
    candidate: c, trainedOn: train.source, scoredOn: scored.source, accuracy: r.test.accuracy,
    perEpoch: r.history.map((h) => h.testAccuracy), trainAccuracy: r.history.map((h) => Number(h.trainAccuracy.toFixed(4))), wallSeconds: Number(r.wallSeconds.toFixed(1)),
    loadAverage1m: { before: Number(loadBefore.toFixed(2)), after: Number(os.loadavg()[0].toFixed(2)) },
  }) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/train-validation: ${(e as Error).message}\n`);
  process.exit(1);
});
