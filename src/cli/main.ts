import { CliError, EXIT_RUNTIME, EXIT_USAGE, runCommand, type Command } from './command.js';
import { packageVersion } from './package-root.js';

/**
 * One line per command: its name and summary for the top-level help, and a loader that imports its module only
 * when it runs, so `--help` and light commands never load tfjs, sharp, serialport or firmware-gen.
 * The summary must equal the command's own (test/cli.test.ts checks).
 */
interface CommandEntry { readonly name: string; readonly summary: string; readonly load: () => Promise<Record<string, unknown>> }

const COMMANDS: readonly CommandEntry[] = [
  { name: 'train', summary: 'train a model preset on MNIST (or any IDX digit set) and write model.json, report.json and charts', load: () => import('./commands/train.js') },
  { name: 'eval', summary: 'measure a model\'s accuracy on a labelled IDX set with one engine', load: () => import('./commands/eval.js') },
  { name: 'quantize', summary: 'convert a trained float model to a TFLite-exact int8 artifact (model.int8.json)', load: () => import('./commands/quantize.js') },
  { name: 'predict', summary: 'print each image\'s class and logits (one JSON line per image) — the interface engines are compared on', load: () => import('./commands/predict.js') },
  { name: 'firmware', summary: 'generate C for the board (model arrays + int8 engine, or an Arduino library) and measure its size', load: () => import('./commands/firmware.js') },
  { name: 'run', summary: 'live recognition: camera/video/images → MNIST-style preprocessing → board (or simulator), with a live view', load: () => import('./commands/run.js') },
  { name: 'board', summary: 'start the virtual board or the QEMU board (the generated firmware behind a pty) until Ctrl-C, or describe a real board', load: () => import('./commands/board.js') },
  { name: 'serve', summary: 'a local web page for the camera, a drawing pad or an image file, classified on the board (or simulator)', load: () => import('./commands/serve.js') },
  { name: 'classify', summary: 'classify image files (PNG, JPEG, …) on a board over its serial port, or on the virtual board', load: () => import('./commands/classify.js') },
];

/** The Command object a module exports under the entry's name (whatever the export is called). */
async function loadCommand(entry: CommandEntry): Promise<Command> {
  const mod = await entry.load();
  const cmd = Object.values(mod).find((v): v is Command => typeof v === 'object' && v !== null && (v as Command).name === entry.name && typeof (v as Command).run === 'function');
  if (!cmd) throw new Error(`the module of command '${entry.name}' exports no Command named '${entry.name}'`);
  return cmd;
}

function usage(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'edge-digits — train, quantize, generate C and run handwritten-digit recognition on a microcontroller',
    '',
    'usage: edge-digits <command> [options]   (edge-digits <command> --help for details)',
    '       edge-digits --version',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    `exit codes: 0 success · ${EXIT_RUNTIME} runtime failure (a tool, a board, a file that broke mid-way) · ${EXIT_USAGE} bad usage or bad input`,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : EXIT_USAGE;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) throw new CliError(`unknown command '${name}'; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
  return runCommand(await loadCommand(entry), rest);
}

/**
 * Errors that mean the input was wrong (a file that is not what it claims, a model the tools cannot take), so
 * they exit 2 like usage errors; anything else that fails exits 1. By name, so main.ts imports none of them.
 */
const BAD_INPUT_ERRORS = new Set(['CliError', 'IdxFormatError', 'ArtifactError', 'UnsupportedModelError', 'ModelFileError']);

/**
 * Never process.exit(): it drops whatever stdout/stderr still hold for a pipe. The exit code is set and the
 * process ends by itself once every write has drained and every handle is closed.
 */
main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    const err = e as Error;
    if (process.env.EDGE_DIGITS_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.stderr.write(`edge-digits: ${(err?.message ?? String(e)).split('\n')[0]}\n`);
    process.exitCode = e instanceof CliError || BAD_INPUT_ERRORS.has(err?.name) ? EXIT_USAGE : EXIT_RUNTIME;
  },
);
