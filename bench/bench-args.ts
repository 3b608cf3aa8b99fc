/**
 * Command-line parsing for the benchmark and helper scripts (bench/*.ts, scripts/*.ts): node:util parseArgs with the
 * project's rule for every command (README: every command has --help and rejects bad input with a clear error).
 * `--help`/`-h` prints the script's help and exits 0; an unknown option, an option without its value or one
 * positional argument too many prints `<script>: <what was wrong> (see --help)` on stderr and exits 2, the CLI's
 * usage exit code, without the stack trace parseArgs' own error would print. The values are parseArgs' own, so a
 * script's defaults and behaviour with valid arguments stay what they were.
 *
 * The help is generated the CLI's way (src/cli/command.ts optionLines): each option's spec carries its `help` (and
 * `arg`, the value's name) next to its parseArgs fields, which parseArgs ignores, and each positional argument is
 * declared with its help and default; so a default is written once, where the value comes from, and the help
 * cannot drift from it.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT_USAGE, helpLine, optionLines, type OptionSpec } from '../src/cli/command.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** node:util does not export the options' type by name. */
type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;
/** A script's options: parseArgs' fields plus the CLI's help fields (OptionSpec: help, arg), one record for both. */
type BenchOptions = Readonly<Record<string, OptionSpec>>;
const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;
type WithHelp<O extends ParseArgsOptionsConfig> = O & typeof HELP_OPTION;
type Config<O extends ParseArgsOptionsConfig> = { args: string[]; options: WithHelp<O>; allowPositionals: true; strict: true };
type Parsed<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<Config<O>>>;

/** A positional argument, in the order given; one without a default reads as undefined when left out. */
export interface BenchPositional {
  readonly name: string;
  readonly help: string;
  readonly default?: string;
}

/** The shipped int8 model, relative to the project (the scripts run from it and print the path as given). */
export const DEFAULT_ARTIFACT = 'models/default/model.int8.json';
/** The first positional of the benches that measure one model. */
export const ARTIFACT_ARGUMENT = { name: 'artifact', help: 'int8 model artifact', default: DEFAULT_ARTIFACT } as const;

/** The positionals as parsed, with each left-out one's default applied. */
export type PositionalValues<P extends readonly BenchPositional[]> = {
  -readonly [K in keyof P]: P[K] extends { readonly default: string } ? string : string | undefined;
};

export interface BenchArgsSpec<O extends BenchOptions, P extends readonly BenchPositional[]> {
  /** The usage line after `usage: ` (how the script is run). */
  readonly usage: string;
  /** What the script does, and anything else its help says (environment, formats): free text. */
  readonly description: string;
  readonly options?: O;
  /** The positional arguments the script reads (the older benches take their settings that way); default none. */
  readonly positionals?: P;
  /** The arguments; default process.argv.slice(2). */
  readonly args?: readonly string[];
}

/**
 * The help --help prints: the usage line, the description, the positionals and the options, each line built from
 * its spec with the default the value gets.
 */
export function benchHelp(spec: BenchArgsSpec<BenchOptions, readonly BenchPositional[]>): string {
  const lines = [`usage: ${spec.usage}`, '', spec.description];
  const positionals = spec.positionals ?? [];
  if (positionals.length > 0) lines.push('', 'arguments:', ...positionals.map((p) => helpLine(p.name, p.help, p.default)));
  lines.push('', 'options:', ...optionLines(spec.options ?? {}));
  return lines.join('\n');
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

/**
 * Parses the script's arguments; prints the help and exits 0 on --help, exits 2 with one line on bad usage.
 * The positionals come back with their declared defaults applied.
 */
export function parseBenchArgs<O extends BenchOptions = Record<never, never>, const P extends readonly BenchPositional[] = readonly []>(
  spec: BenchArgsSpec<O, P>,
): { values: Parsed<O>['values']; positionals: PositionalValues<P> } {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs<Config<O>>({
      args: [...(spec.args ?? process.argv.slice(2))],
      options: { ...(spec.options ?? ({} as O)), ...HELP_OPTION },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    usageError(shortMessage(e));
  }
  if ('help' in parsed.values && parsed.values.help === true) {
    process.stdout.write(`${benchHelp(spec)}\n`);
    process.exit(0);
  }
  const declared = spec.positionals ?? [];
  if (parsed.positionals.length > declared.length) usageError(`unexpected argument '${parsed.positionals[declared.length]}'`);
  const positionals = declared.map((p, i) => parsed.positionals[i] ?? p.default) as PositionalValues<P>;
  return { values: parsed.values, positionals };
}
