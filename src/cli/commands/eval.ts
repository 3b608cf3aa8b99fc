import { LINK_OPTIONS, linkOptionsFrom } from '../link-options.js';
import { classificationReport, loadDigitSet } from '../../data/index.js';
import { loadArtifact } from '../../quantize/load.js';
import { choiceOption, intOption, stringOption, type Command } from '../command.js';
import { defaultEngine, ENGINE_NAMES, floatSourceOf, isArtifact, runEngine, runFloat } from '../engines.js';
import { BACKEND_CHOICES } from '../../train/backend-choices.js';
import { writeJsonLine } from '../json-output.js';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'measure a model\'s accuracy on a labelled IDX set with one engine',
  usage: 'eval --model <dir|model.int8.json> [--engine float|sim|…] [--data mnist:test|<idx prefix>] [--limit N] [--json]',
  options: {
    model: { type: 'string', help: 'float model folder/model.json, or an int8 artifact', arg: 'path' },
    engine: { type: 'string', help: `engine: ${ENGINE_NAMES.join(', ')} (default: float for a float model, sim for an artifact)`, arg: 'name' },
    data: { type: 'string', default: 'mnist:test', help: 'mnist:test, mnist:train, or an IDX prefix (…/t10k for t10k-images-idx3-ubyte)', arg: 'spec' },
    limit: { type: 'string', help: 'only the first N images', arg: 'N' },
    backend: { type: 'string', default: 'auto', help: 'tfjs backend for the float engine', arg: 'name' },
    port: { type: 'string', help: '--engine board: serial port of a board running edge-digits firmware', arg: 'path' },
    virtual: { type: 'boolean', help: '--engine board: build and start the virtual board (pty) from --model' },
    ...LINK_OPTIONS,
    json: { type: 'boolean', help: 'print one JSON object: accuracy, n, engine, confusion, per_class_accuracy, seconds (+ agreement_with_float for int8 engines, device for qemu and board: instructions or timings per inference)' },
  },
  examples: [
    'edge-digits eval --model models/default --json',
    'edge-digits eval --model models/default/model.int8.json --engine sim --json',
  ],
  async run(v) {
    const model = stringOption(v.model, 'model');
    const engine = typeof v.engine === 'string' ? v.engine : v.port || v.virtual ? 'board' : defaultEngine(model);
    const set = loadDigitSet(String(v.data), intOption(v.limit, 'limit', 1));
    const backend = choiceOption(v.backend, 'backend', BACKEND_CHOICES);
    const log = (s: string): void => { process.stderr.write(s + '\n'); };
    const board = { ...(typeof v.port === 'string' ? { port: v.port } : {}), virtual: v.virtual === true, link: linkOptionsFrom(v) };
    const run = await runEngine(engine, model, set, { backend, board, log });
    const r = classificationReport(set.labels, run.predicted);
    let agreement: number | undefined;
    if (isArtifact(model)) {
      const floatDir = await floatSourceOf(model, loadArtifact(model));
      if (floatDir) {
        const f = await runFloat(floatDir, set.images, set.count, { backend, log });
        agreement = f.predicted.reduce((a, p, i) => a + (p === run.predicted[i] ? 1 : 0), 0) / set.count;
      } else log('agreement_with_float: the artifact\'s float source model is missing or changed; not reported');
    }
    const out = {
      accuracy: r.accuracy, n: r.n, engine: run.engine, model, data: set.source,
      confusion: r.confusion, per_class_accuracy: r.perClassAccuracy, seconds: Number(run.seconds.toFixed(3)),
      ...(agreement !== undefined ? { agreement_with_float: agreement } : {}),
      ...(run.device ? { device: run.device } : {}),
    };
    if (v.json) writeJsonLine(out);
    else {
      process.stdout.write(`${run.engine}: accuracy ${(r.accuracy * 100).toFixed(2)}% on ${r.n} images of ${set.source} (${run.seconds.toFixed(2)} s)${agreement !== undefined ? `; agrees with float on ${(agreement * 100).toFixed(2)}%` : ''}\n`);
      process.stdout.write('confusion (rows = true digit, columns = predicted):\n');
      r.confusion.forEach((row, i) => process.stdout.write(`  ${i}: ${row.map((c) => String(c).padStart(5)).join('')}\n`));
    }
    return 0;
  },
};
