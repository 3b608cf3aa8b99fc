import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit codes, the same for every command (README, docs/cli-json.md): bad usage or input, and runtime failure. */
export const EXIT_USAGE = 2;
export const EXIT_RUNTIME = 1;

/** A user-facing error (bad usage or bad input): printed as one line, exit code 2, no stack trace. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export type OptionSpec = { type: 'string' | 'boolean'; short?: string; default?: string | boolean; multiple?: boolean; help: string; arg?: string };

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly positionals?: boolean;
  readonly examples: readonly string[];
  run(values: Record<string, string | boolean | string[] | undefined>, positionals: string[]): Promise<number>;
}

export function helpText(c: Command): string {
  const lines = [`edge-digits ${c.name} — ${c.summary}`, '', `usage: edge-digits ${c.usage}`, '', 'options:', ...optionLines(c.options)];
  if (c.examples.length) lines.push('', 'examples:', ...c.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

/**
 * One help line per option, then -h/--help, each built from its spec (flag, value name, help, and the default a
 * string option gets), so a default is written once, where the parser reads it. Shared with the bench and helper
 * scripts (bench/bench-args.ts).
 */
export function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const all = { ...options, help: { type: 'boolean', short: 'h', help: 'show this help' } as OptionSpec };
  return Object.entries(all).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` <${o.arg ?? 'value'}>` : ''}`;
    return helpLine(flag, o.help, o.type === 'string' && o.default !== undefined ? String(o.default) : undefined);
  });
}

/** A help line in the options' column layout: what is given (a flag, a positional's name), what it does, its default. */
export function helpLine(left: string, help: string, defaultValue?: string): string {
  return `  ${left.padEnd(34)} ${help}${defaultValue !== undefined ? ` (default: ${defaultValue})` : ''}`;
}

export async function runCommand(c: Command, argv: string[]): Promise<number> {
  const options: ParseArgsConfig['options'] = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(c.options)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeNumbers(argv, c.options), allowPositionals: true, options, strict: true });
  } catch (e) {
    throw new CliError(`${(e as Error).message.replace(/\. To specify.*$/, '')}; see 'edge-digits ${c.name} --help'`);
  }
  if (parsed.values.help) {
    process.stdout.write(helpText(c) + '\n');
    return 0;
  }
  if (!c.positionals && parsed.positionals.length) {
    throw new CliError(`unexpected argument '${parsed.positionals[0]}'; see 'edge-digits ${c.name} --help'`);
  }
  const values: Record<string, string | boolean | string[] | undefined> = {};
  for (const [name, o] of Object.entries(c.options)) values[name] = (parsed.values as Record<string, string | boolean | string[] | undefined>)[name] ?? o.default;
  return c.run(values, parsed.positionals);
}

/**
 * `--lr -5` is a value, not an option: node's parseArgs calls it ambiguous (a 3-line message), so a string
 * option followed by something that reads as a negative number is passed on as `--lr=-5`, and the range check
 * then says what is wrong with it in one line.
 */
function joinNegativeNumbers(argv: readonly string[], specs: Readonly<Record<string, OptionSpec>>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    const spec = a.startsWith('--') ? specs[a.slice(2)] : undefined;
    if (spec?.type === 'string' && next !== undefined && /^-(\d|\.\d|Infinity|NaN)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Typed accessors that turn bad option values into one-line CliErrors naming the option and its range. */
export function intOption(v: unknown, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v).trim();
  const n = s === '' ? NaN : Number(s);
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new CliError(`--${name} expects an integer ${range}, got '${String(v)}'`);
  }
  return n;
}

export interface NumberRange {
  readonly min?: number;
  readonly max?: number;
  /** min itself is not allowed (a learning rate must be > 0). */
  readonly minExclusive?: boolean;
}

export function numberOption(v: unknown, name: string, range: NumberRange = {}): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v).trim();
  const n = s === '' ? NaN : Number(s);
  const { min, max, minExclusive } = range;
  const ok = Number.isFinite(n) && (min === undefined || (minExclusive ? n > min : n >= min)) && (max === undefined || n <= max);
  if (!ok) {
    const lo = min === undefined ? '' : `${minExclusive ? '>' : '≥'} ${min}`;
    const hi = max === undefined ? '' : `≤ ${max}`;
    const bounds = [lo, hi].filter(Boolean).join(' and ');
    throw new CliError(`--${name} expects a number${bounds ? ` ${bounds}` : ''}, got '${String(v)}'`);
  }
  return n;
}

export function choiceOption<T extends string>(v: unknown, name: string, choices: readonly T[]): T {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    throw new CliError(`--${name} must be one of ${choices.join(', ')}, got '${String(v)}'`);
  }
  return v as T;
}

export function stringOption(v: unknown, name: string): string {
  if (typeof v !== 'string' || v === '') throw new CliError(`--${name} is required`);
  return v;
}

/**
 * Checks an output file path before any long work: not a folder, and a folder above it that exists (or can be
 * created) and is writable. `example` names the kind of file for the message.
 */
export function checkOutputFile(file: string, option: string, example: string): void {
  if (existsSync(file) && statSync(file).isDirectory()) {
    throw new CliError(`--${option} ${file} is a folder; give a file path such as ${path.join(file, example)}`);
  }
  let dir = path.dirname(path.resolve(file));
  while (!existsSync(dir)) dir = path.dirname(dir);
  if (!statSync(dir).isDirectory()) throw new CliError(`--${option} ${file}: ${dir} is a file, not a folder`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new CliError(`--${option} ${file}: cannot write in ${dir}`);
  }
}

/**
 * A --port must be a character device (a serial port, a pty, or a symlink to one). A regular file or a folder
 * is said to be one here, instead of serialport's message about a "custom baud rate" further down.
 */
export function checkPortPath(port: string, option = 'port'): void {
  let st;
  try {
    st = statSync(port);
  } catch {
    throw new CliError(`--${option} ${port}: no such serial port (give the board's device, e.g. /dev/ttyACM0, or a virtual board's pty)`);
  }
  if (st.isFile()) throw new CliError(`--${option} ${port} is a regular file, not a serial port (give the board's device, e.g. /dev/ttyACM0)`);
  if (st.isDirectory()) throw new CliError(`--${option} ${port} is a folder, not a serial port (give the board's device, e.g. /dev/ttyACM0)`);
}
