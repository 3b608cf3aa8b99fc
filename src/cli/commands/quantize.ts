import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadDigitSet } from '../../data/index.js';
import { writeFileAtomic } from '../../files/index.js';
import { quantizeModel } from '../../quantize/index.js';
import { BACKEND_CHOICES, readModelFiles, selectBackend } from '../../train/index.js';
import { checkOutputFile, choiceOption, intOption, stringOption, type Command } from '../command.js';
import { writeJsonLine } from '../json-output.js';

export const quantizeCommand: Command = {
  name: 'quantize',
  summary: 'convert a trained float model to a TFLite-exact int8 artifact (model.int8.json)',
  usage: 'quantize --model <dir> [--calibration N] [--out <file>] [--json]',
  options: {
    model: { type: 'string', help: 'float model folder (model.json + weights.bin)', arg: 'dir' },
    out: { type: 'string', help: 'artifact path (default <model dir>/model.int8.json)', arg: 'file' },
    calibration: { type: 'string', default: '2000', help: 'training images used to calibrate activation ranges', arg: 'N' },
    selection: { type: 'string', default: '2000', help: 'other training images used to pick min/max vs percentile ranges', arg: 'N' },
    'train-data': { type: 'string', default: 'mnist:train', help: 'where calibration images come from', arg: 'spec' },
    limit: { type: 'string', help: 'calibrate and select on the first N training images only (as train --limit: the rest stay unseen)', arg: 'N' },
    'test-data': { type: 'string', default: 'mnist:test', help: 'where the reported accuracy is measured', arg: 'spec' },
    seed: { type: 'string', default: '1', help: 'seed for choosing calibration images', arg: 'N' },
    backend: { type: 'string', default: 'auto', help: 'tfjs backend for the float model', arg: 'name' },
    json: { type: 'boolean', help: 'print a JSON summary on stdout' },
  },
  examples: [
    'edge-digits quantize --model models/default',
    'edge-digits quantize --model models/mlp --calibration 1000 --out /tmp/mlp.int8.json --json',
    'edge-digits quantize --model models/validation-55k --limit 55000    # training images 55,000+ stay unseen',
  ],
  async run(v) {
    const modelPath = stringOption(v.model, 'model');
    const modelDir = existsSync(modelPath) && statSync(modelPath).isDirectory() ? modelPath : path.dirname(modelPath);
    const out = typeof v.out === 'string' ? v.out : path.join(modelDir, 'model.int8.json');
    // Everything that can be wrong with the input is found before the ~20 s of calibration.
    const calibrationImages = intOption(v.calibration, 'calibration', 1, 60_000) ?? 2000;
    const selectionImages = intOption(v.selection, 'selection', 1, 60_000) ?? 2000;
    const seed = intOption(v.seed, 'seed', 0, 2 ** 32 - 1) ?? 1;
    const backendChoice = choiceOption(v.backend, 'backend', BACKEND_CHOICES);
    checkOutputFile(out, 'out', 'model.int8.json');
    readModelFiles(modelPath);
    const limit = intOption(v.limit, 'limit', 1, 60_000);
    const trainAll = loadDigitSet(String(v['train-data']), limit);
    // The artifact's calibration source says which images it may have looked at.
    const train = limit === undefined ? trainAll : { ...trainAll, source: `${trainAll.source}[0:${trainAll.count}]` };
    const test = loadDigitSet(String(v['test-data']));
    const log = (s: string): void => { process.stderr.write(s + '\n'); };
    const b = await selectBackend(backendChoice);
    log(`backend: ${b.name} — ${b.reason}`);
    const result = await quantizeModel({
      modelPath, name: path.basename(path.resolve(modelDir)), train, test, calibrationImages, selectionImages, seed, log,
    });
    // The artifact names its float source relative to itself, so the pair can be moved together.
    const artifact = { ...result.artifact, source: { ...result.artifact.source, model: path.relative(path.dirname(path.resolve(out)), path.resolve(modelDir)) || '.' } };
    writeFileAtomic(out, JSON.stringify(artifact) + '\n');
    const summary = {
      artifact: out, calibration: artifact.calibration.method + (artifact.calibration.percentile ? ` ${artifact.calibration.percentile}` : ''),
      float_accuracy: result.floatAccuracy, int8_accuracy: result.int8Accuracy, agreement_with_float: result.agreementWithFloat,
      n: result.artifact.metrics?.images ?? 0, params: artifact.params, macs: artifact.macs,
    };
    const reportFile = path.join(modelDir, 'report.json');
    if (existsSync(reportFile) && path.resolve(path.dirname(out)) === path.resolve(modelDir)) {
      const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Record<string, unknown>;
      report.int8 = {
        artifact: path.basename(out), calibration: artifact.calibration,
        testAccuracy: result.int8Accuracy, floatTestAccuracy: result.floatAccuracy, agreementWithFloat: result.agreementWithFloat,
        images: summary.n, command: ['edge-digits', ...process.argv.slice(2)].join(' '),
      };
      writeFileAtomic(reportFile, JSON.stringify(report, null, 2) + '\n');
    }
    if (v.json) writeJsonLine(summary);
    else {
      process.stdout.write(`wrote ${out}: calibration ${summary.calibration}; int8 ${(result.int8Accuracy * 100).toFixed(2)}% vs float ${(result.floatAccuracy * 100).toFixed(2)}% on ${summary.n} test images; agreement ${(result.agreementWithFloat * 100).toFixed(2)}%\n`);
    }
    return 0;
  },
};
