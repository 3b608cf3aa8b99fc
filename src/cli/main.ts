import { CliError, helpText, runCommand, type Command } from './command.js';
import { trainCommand } from './commands/train.js';
import { evalCommand } from './commands/eval.js';
import { quantizeCommand } from './commands/quantize.js';
import { predictCommand } from './commands/predict.js';
import { runCommand as runLiveCommand } from './commands/run.js';
import { firmwareCommand } from './commands/firmware.js';
import { boardCommand } from './commands/board.js';
import { classifyCommand } from './commands/classify.js';
import { serveCommand } from './commands/serve.js';

const COMMANDS: readonly Command[] = [trainCommand, evalCommand, quantizeCommand, predictCommand, firmwareCommand, runLiveCommand, boardCommand, classifyCommand, serveCommand];

function usage(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'edge-digits — train, quantize, generate C and run handwritten-digit recognition on a microcontroller',
    '',
    'usage: edge-digits <command> [options]   (edge-digits <command> --help for details)',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 1;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) throw new CliError(`unknown command '${name}'; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
  return runCommand(cmd, rest);
}

export { helpText };

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = e as Error;
    if (process.env.EDGE_DIGITS_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.stderr.write(`edge-digits: ${err.message}\n`);
    process.exit(e instanceof CliError ? 2 : 1);
  },
);
