import { cpSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_AUGMENT, loadDigitSet, MAX_AUGMENT_STRENGTH, scaleAugment } from '../../data/index.js';
import { replaceFolder } from '../../files/index.js';
import {
  confusionChartSvg, getPreset, layerCosts, PRESETS, saveModel, selectBackend, trainModel, trainingChartSvg, writeSvgAsPng,
  BACKEND_CHOICES, EMA_WARMUPS,
} from '../../train/index.js';
import { choiceOption, CliError, intOption, numberOption, type Command } from '../command.js';
import { writeJsonLine } from '../json-output.js';

/** What train writes into its folder. */
const TRAIN_OUTPUTS = new Set(['model.json', 'weights.bin', 'report.json', 'training.png', 'confusion.png']);

/** Made from the model by later commands (quantize, firmware): stale once the model is retrained. */
function isDerivedFromModel(name: string): boolean {
  return name.endsWith('.int8.json') || name === 'firmware';
}

/**
 * Checks --out before any training: a file, or a folder that holds a model or anything else, is refused unless
 * --force. Returns the entries of the existing folder (empty when there is none).
 */
export function checkTrainOut(out: string, force: boolean): string[] {
  if (!existsSync(out)) return [];
  if (!statSync(out).isDirectory()) throw new CliError(`--out ${out} is a file; give a folder for model.json, weights.bin and the report`);
  const entries = readdirSync(out).sort();
  if (entries.length === 0 || force) return entries;
  if (entries.includes('model.json')) {
    const derived = entries.filter(isDerivedFromModel);
    throw new CliError(`--out ${out} already holds a model; pass --force to replace it${derived.length ? ` (its ${derived.join(', ')} will be removed: they were made from the old model)` : ''}, or choose a new folder`);
  }
  throw new CliError(`--out ${out} is a folder that is not empty and holds no model; pass --force to train into it, or choose a new folder`);
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a model preset on MNIST (or any IDX digit set) and write model.json, report.json and charts',
  usage: 'train [--preset cnn|mlp] [--out models/<preset>] [--epochs N] [--seed N] [--backend auto|node|wasm|cpu] [--workers N]',
  options: {
    preset: { type: 'string', default: 'cnn', help: `architecture: ${Object.keys(PRESETS).join(', ')}`, arg: 'name' },
    out: { type: 'string', help: 'output folder (default models/<preset>)', arg: 'dir' },
    epochs: { type: 'string', help: 'epochs (default: the preset\'s)', arg: 'N' },
    'batch-size': { type: 'string', help: 'batch size (default: the preset\'s)', arg: 'N' },
    lr: { type: 'string', help: 'peak learning rate for Adam with cosine decay (default: the preset\'s)', arg: 'rate' },
    seed: { type: 'string', default: '1', help: 'seed for weights, shuffling and augmentation', arg: 'N' },
    backend: { type: 'string', default: 'auto', help: 'tfjs backend: auto, node (tfjs-node), wasm, cpu', arg: 'name' },
    workers: { type: 'string', help: 'wasm backend: data-parallel worker threads (default: the core count); results are reproducible per seed and worker count', arg: 'N' },
    'train-data': { type: 'string', default: 'mnist:train', help: 'training set: mnist:train or an IDX prefix', arg: 'spec' },
    'test-data': { type: 'string', default: 'mnist:test', help: 'test set: mnist:test or an IDX prefix', arg: 'spec' },
    limit: { type: 'string', help: 'use only the first N training images', arg: 'N' },
    'test-limit': { type: 'string', help: 'use only the first N test images', arg: 'N' },
    augment: { type: 'string', help: 'on or off (default: the preset\'s)', arg: 'on|off' },
    'augment-strength': { type: 'string', help: `scale every augmentation magnitude (shift, rotation, scale, stroke-width probability): 1 = the standard augmentation, 0 = none, up to ${MAX_AUGMENT_STRENGTH} (default: the preset's)`, arg: 's' },
    'clean-epochs': { type: 'string', help: 'train the last N epochs without augmentation (default: the preset\'s, at most epochs − 1)', arg: 'N' },
    'label-smoothing': { type: 'string', help: 'cross-entropy label smoothing, 0 to 1 (default: the preset\'s)', arg: 'x' },
    'ema-decay': { type: 'string', help: 'decay of the moving average of the weights that is evaluated and saved, 0 (none) to below 1 (default: the preset\'s)', arg: 'x' },
    'ema-warmup': { type: 'string', help: `how the moving average starts: ramp (TensorFlow's min(decay, (1+t)/(10+t)), which reaches decay 0.999 only after 8,990 steps) or bias-corrected (the set decay from the first step, divided by 1 − decayᵗ) (default: the preset's)`, arg: EMA_WARMUPS.join('|') },
    'batch-norm': { type: 'boolean', help: 'train with a batch normalization after every conv2d, folded into the convolutions on export (the saved model has the preset\'s layers; docs/training.md) (default: the preset\'s: on for cnn, off for mlp)' },
    'no-batch-norm': { type: 'boolean', help: 'train without it (the plain recipe), whatever the preset says' },
    force: { type: 'boolean', help: 'replace the model already in --out; its int8 artifact and firmware, made from the old model, are removed' },
    json: { type: 'boolean', help: 'print the report as JSON on stdout (progress goes to stderr)' },
  },
  examples: [
    'edge-digits train --preset cnn --out models/mine',
    'edge-digits train --preset mlp --epochs 5 --json',
    'edge-digits train --limit 5000 --epochs 1 --out /tmp/quick',
    'edge-digits train --preset cnn --out models/default --force --seed 1    # retrain the shipped model',
  ],
  async run(v) {
    const preset = getPreset(choiceOption(v.preset, 'preset', Object.keys(PRESETS)));
    const epochs = intOption(v.epochs, 'epochs', 1, 1000) ?? preset.defaults.epochs;
    const batchSize = intOption(v['batch-size'], 'batch-size', 1, 8192) ?? preset.defaults.batchSize;
    const learningRate = numberOption(v.lr, 'lr', { min: 0, minExclusive: true, max: 10 }) ?? preset.defaults.learningRate;
    const seed = intOption(v.seed, 'seed', 0, 2 ** 32 - 1) ?? 1;
    const augmentOn = v.augment === undefined ? preset.defaults.augment : choiceOption(v.augment, 'augment', ['on', 'off']) === 'on';
    const augmentStrength = numberOption(v['augment-strength'], 'augment-strength', { min: 0, max: MAX_AUGMENT_STRENGTH }) ?? preset.defaults.augmentStrength;
    const cleanEpochs = intOption(v['clean-epochs'], 'clean-epochs', 0, epochs)
      // A shorter run than the preset's keeps at least its first epoch augmented unless asked otherwise.
      ?? Math.min(preset.defaults.cleanEpochs, epochs - 1);
    const labelSmoothing = numberOption(v['label-smoothing'], 'label-smoothing', { min: 0, max: 1 }) ?? preset.defaults.labelSmoothing;
    const emaDecay = numberOption(v['ema-decay'], 'ema-decay', { min: 0, max: 0.99999 }) ?? preset.defaults.emaDecay;
    const emaWarmup = v['ema-warmup'] === undefined ? preset.defaults.emaWarmup : choiceOption(v['ema-warmup'], 'ema-warmup', EMA_WARMUPS);
    if (v['batch-norm'] === true && v['no-batch-norm'] === true) throw new CliError('--batch-norm and --no-batch-norm contradict each other: give one');
    const batchNorm = v['no-batch-norm'] === true ? false : v['batch-norm'] === true || preset.defaults.batchNorm;
    const limit = intOption(v.limit, 'limit', 1);
    const testLimit = intOption(v['test-limit'], 'test-limit', 1);
    const backendChoice = choiceOption(v.backend, 'backend', BACKEND_CHOICES);
    const out = typeof v.out === 'string' ? v.out : path.join('models', preset.name);
    const force = v.force === true;
    const previous = checkTrainOut(out, force);
    const train = loadDigitSet(String(v['train-data']), limit);
    const test = loadDigitSet(String(v['test-data']), testLimit);
    const log = v.json ? process.stderr : process.stdout;
    const workersAsked = intOption(v.workers, 'workers', 1, 64);
    const backend = await selectBackend(backendChoice);
    // Worker threads exist for the wasm backend (one core each); tfjs-node threads natively, cpu is a fallback.
    const workers = backend.name === 'wasm' ? workersAsked ?? os.availableParallelism() : 0;
    log.write(`backend: ${backend.name} — ${backend.reason}${workers > 0 ? `; ${workers} data-parallel worker${workers > 1 ? 's' : ''}` : workersAsked ? ` (--workers applies to wasm only: training in this thread)` : ''}\n`);
    const costs = layerCosts(preset.layers);
    const params = costs.reduce((a, c) => a + c.params, 0);
    const macs = costs.reduce((a, c) => a + c.macs, 0);
    log.write(`preset ${preset.name}: ${preset.description}; ${params} params, ${macs} MACs; ${train.count} train / ${test.count} test images; ${epochs} epochs, batch ${batchSize}, lr ${learningRate}, augment ${augmentOn ? `on${augmentStrength !== 1 ? ` at strength ${augmentStrength}` : ''}${cleanEpochs ? ` (off for the last ${cleanEpochs})` : ''}` : 'off'}, label smoothing ${labelSmoothing}, EMA ${emaDecay ? `${emaDecay} (${emaWarmup})` : 'off'}${batchNorm ? ', batch norm (folded on export)' : ''}, seed ${seed}\n`);
    const result = await trainModel({
      preset, epochs, batchSize, learningRate, seed, augment: augmentOn ? DEFAULT_AUGMENT : null, augmentStrength, train, test, workers, labelSmoothing, emaDecay, emaWarmup, cleanEpochs, batchNorm,
      progress: { write: (s) => log.write(s), isTTY: Boolean(log.isTTY) },
    });
    const report = {
      preset: preset.name,
      description: preset.description,
      layers: preset.layers.map((l, i) => ({ ...l, outShape: costs[i].outShape, params: costs[i].params, macs: costs[i].macs })),
      params, macs,
      backend: backend.name,
      workers, seed, epochs, batchSize, learningRate, labelSmoothing, emaDecay,
      emaWarmup: emaDecay > 0 ? emaWarmup : null,
      // The magnitudes the run augmented with (DEFAULT_AUGMENT scaled by augmentStrength), and the strength itself.
      augment: augmentOn ? scaleAugment(DEFAULT_AUGMENT, augmentStrength) : null,
      augmentStrength: augmentOn ? augmentStrength : null,
      cleanEpochs: augmentOn ? cleanEpochs : 0,
      batchNorm,
      trainData: train.source, trainImages: train.count, testData: test.source, testImages: test.count,
      wallSeconds: Number(result.wallSeconds.toFixed(1)),
      timeToAccuracy: result.timeToAccuracy,
      history: result.history,
      float: {
        testAccuracy: result.test.accuracy,
        perClassAccuracy: result.test.perClassAccuracy,
        confusion: result.test.confusion,
      },
      command: ['edge-digits', ...process.argv.slice(2)].join(' '),
      createdAt: new Date().toISOString(),
    };
    // Everything goes into a new folder that is swapped in at the end: a kill leaves the old model whole, and the
    // old model's int8 artifact and firmware are not carried over (they would be stale). Other files are kept.
    const removed = previous.filter(isDerivedFromModel);
    await replaceFolder(out, async (dir) => {
      for (const name of previous) {
        if (!TRAIN_OUTPUTS.has(name) && !isDerivedFromModel(name)) cpSync(path.join(out, name), path.join(dir, name), { recursive: true });
      }
      await saveModel(result.model, dir);
      writeFileSync(path.join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
      await writeSvgAsPng(trainingChartSvg(result.history), path.join(dir, 'training.png'));
      await writeSvgAsPng(confusionChartSvg(result.test.confusion, `${preset.name}: float test accuracy ${(result.test.accuracy * 100).toFixed(2)}%`), path.join(dir, 'confusion.png'));
    });
    if (removed.length) process.stderr.write(`removed ${removed.map((n) => path.join(out, n)).join(', ')}: made from the previous model (run quantize and firmware again)\n`);
    if (v.json) writeJsonLine(report);
    else log.write(`test accuracy ${(result.test.accuracy * 100).toFixed(2)}% in ${result.wallSeconds.toFixed(0)} s${result.timeToAccuracy.seconds !== null ? ` (${(result.timeToAccuracy.target * 100).toFixed(1)}% after ${result.timeToAccuracy.seconds.toFixed(0)} s, epoch ${result.timeToAccuracy.epoch})` : ''}; wrote ${out}/{model.json,weights.bin,report.json,training.png,confusion.png}\n`);
    return 0;
  },
};
