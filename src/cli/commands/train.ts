import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_AUGMENT, loadDigitSet } from '../../data/index.js';
import {
  confusionChartSvg, getPreset, layerCosts, PRESETS, saveModel, selectBackend, trainModel, trainingChartSvg, writeSvgAsPng,
  BACKEND_CHOICES,
} from '../../train/index.js';
import { choiceOption, intOption, numberOption, type Command } from '../command.js';

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
    json: { type: 'boolean', help: 'print the report as JSON on stdout (progress goes to stderr)' },
  },
  examples: [
    'edge-digits train --preset cnn --out models/default',
    'edge-digits train --preset mlp --epochs 5 --json',
    'edge-digits train --limit 5000 --epochs 1 --out /tmp/quick',
  ],
  async run(v) {
    const preset = getPreset(String(v.preset));
    const epochs = intOption(v.epochs, 'epochs', 1) ?? preset.defaults.epochs;
    const batchSize = intOption(v['batch-size'], 'batch-size', 1) ?? preset.defaults.batchSize;
    const learningRate = numberOption(v.lr, 'lr') ?? preset.defaults.learningRate;
    const seed = intOption(v.seed, 'seed') ?? 1;
    const augmentOn = v.augment === undefined ? preset.defaults.augment : choiceOption(v.augment, 'augment', ['on', 'off']) === 'on';
    const out = typeof v.out === 'string' ? v.out : path.join('models', preset.name);
    const log = v.json ? process.stderr : process.stdout;
    const workersAsked = intOption(v.workers, 'workers', 1);
    const backend = await selectBackend(choiceOption(v.backend, 'backend', BACKEND_CHOICES));
    // Worker threads exist for the wasm backend (one core each); tfjs-node threads natively, cpu is a fallback.
    const workers = backend.name === 'wasm' ? workersAsked ?? os.availableParallelism() : 0;
    log.write(`backend: ${backend.name} — ${backend.reason}${workers > 0 ? `; ${workers} data-parallel worker${workers > 1 ? 's' : ''}` : workersAsked ? ` (--workers applies to wasm only: training in this thread)` : ''}\n`);
    const train = loadDigitSet(String(v['train-data']), intOption(v.limit, 'limit', 1));
    const test = loadDigitSet(String(v['test-data']), intOption(v['test-limit'], 'test-limit', 1));
    const costs = layerCosts(preset.layers);
    const params = costs.reduce((a, c) => a + c.params, 0);
    const macs = costs.reduce((a, c) => a + c.macs, 0);
    log.write(`preset ${preset.name}: ${preset.description}; ${params} params, ${macs} MACs; ${train.count} train / ${test.count} test images; ${epochs} epochs, batch ${batchSize}, lr ${learningRate}, augment ${augmentOn ? 'on' : 'off'}, seed ${seed}\n`);
    const labelSmoothing = preset.defaults.labelSmoothing;
    const result = await trainModel({
      preset, epochs, batchSize, learningRate, seed, augment: augmentOn ? DEFAULT_AUGMENT : null, train, test, workers, labelSmoothing,
      progress: { write: (s) => log.write(s), isTTY: Boolean(log.isTTY) },
    });
    await saveModel(result.model, out);
    const report = {
      preset: preset.name,
      description: preset.description,
      layers: preset.layers.map((l, i) => ({ ...l, outShape: costs[i].outShape, params: costs[i].params, macs: costs[i].macs })),
      params, macs,
      backend: backend.name,
      workers, seed, epochs, batchSize, learningRate, labelSmoothing,
      augment: augmentOn ? DEFAULT_AUGMENT : null,
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
    writeFileSync(path.join(out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    await writeSvgAsPng(trainingChartSvg(result.history), path.join(out, 'training.png'));
    await writeSvgAsPng(confusionChartSvg(result.test.confusion, `${preset.name}: float test accuracy ${(result.test.accuracy * 100).toFixed(2)}%`), path.join(out, 'confusion.png'));
    if (v.json) process.stdout.write(JSON.stringify(report) + '\n');
    else log.write(`test accuracy ${(result.test.accuracy * 100).toFixed(2)}% in ${result.wallSeconds.toFixed(0)} s${result.timeToAccuracy.seconds !== null ? ` (${(result.timeToAccuracy.target * 100).toFixed(1)}% after ${result.timeToAccuracy.seconds.toFixed(0)} s, epoch ${result.timeToAccuracy.epoch})` : ''}; wrote ${out}/{model.json,weights.bin,report.json,training.png,confusion.png}\n`);
    return 0;
  },
};
