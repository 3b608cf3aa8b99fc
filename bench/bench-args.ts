/**
 * Command-line parsing for the benchmark and helper scripts (bench/*.ts, scripts/*.ts): node:util parseArgs with the
 * project's rule for every command (README: every command has --help and rejects bad input with a clear error).
 * `--help`/`-h` prints the script's usage text and exits 0; an unknown option, an option without its value or one
 * positional argument too many prints `<script>: <what was wrong> (see --help)` on stderr and exits 2, the CLI's
 * usage exit code, without the stack trace parseArgs' own error would print. The values are parseArgs' own, so a
 * script's defaults and behaviour with valid arguments stay what they were.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The exit code of bad usage, as the CLI's (src/cli/command.ts EXIT_USAGE). */
const EXIT_USAGE = 2;

/** node:util does not export the options' type by name. */
type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;
const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;
type WithHelp<O extends ParseArgsOptionsConfig> = O & typeof HELP_OPTION;
type Config<O extends ParseArgsOptionsConfig> = { args: string[]; options: WithHelp<O>; allowPositionals: true; strict: true };
type Parsed<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<Config<O>>>;

export interface BenchArgsSpec<O extends ParseArgsOptionsConfig> {
  /** What --help prints: the usage line and every option with its default. */
  readonly usage: string;
  readonly options: O;
  /** How many positional arguments the script reads (the older benches take their settings that way); default 0. */
  readonly positionals?: number;
  /** The arguments; default process.argv.slice(2). */
  readonly args?: readonly string[];
}

/** The script as the user typed it relative to the project (bench/camera.ts), for the one-line error. */
function scriptName(): string {
  const file = process.argv[1];
  return file ? path.relative(ROOT, path.resolve(file)) : 'script';
}

/** Prints `<script>: <message> (see --help)` on stderr and exits 2: bad usage is the user's to fix, not a crash. */
export function usageError(message: string): never {
  process.stderr.write(`${scriptName()}: ${message} (see --help)\n`);
  process.exit(EXIT_USAGE);
}

/** parseArgs' message without its advice on '--' (which suits no script here) and without the trailing period. */
function shortMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/\. (To specify|This command does not take)[\s\S]*$/, '').replace(/\.$/, '');
}

/** Parses the script's arguments; prints the usage and exits 0 on --help, exits 2 with one line on bad usage. */
export function parseBenchArgs<O extends ParseArgsOptionsConfig>(spec: BenchArgsSpec<O>): Parsed<O> {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs<Config<O>>({
      args: [...(spec.args ?? process.argv.slice(2))],
      options: { ...spec.options, ...HELP_OPTION },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    usageError(shortMessage(e));
  }
  if ('help' in parsed.values && parsed.values.help === true) {
    process.stdout.write(`${spec.usage}\n`);
    process.exit(0);
  }
  const max = spec.positionals ?? 0;
  if (parsed.positionals.length > max) usageError(`unexpected argument '${parsed.positionals[max]}'`);
  return parsed;
}
