import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A user-facing error: printed as one line, exit code 2, no stack trace. */
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
  const lines = [`edge-digits ${c.name} — ${c.summary}`, '', `usage: edge-digits ${c.usage}`, '', 'options:'];
  const all = { ...c.options, help: { type: 'boolean', short: 'h', help: 'show this help' } as OptionSpec };
  for (const [name, o] of Object.entries(all)) {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` <${o.arg ?? 'value'}>` : ''}`;
    const def = o.default !== undefined && o.type === 'string' ? ` (default: ${o.default})` : '';
    lines.push(`  ${flag.padEnd(34)} ${o.help}${def}`);
  }
  if (c.examples.length) lines.push('', 'examples:', ...c.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

export async function runCommand(c: Command, argv: string[]): Promise<number> {
  const options: ParseArgsConfig['options'] = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(c.options)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
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

/** Typed accessors that turn bad option values into CliErrors naming the option. */
export function intOption(v: unknown, name: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliError(`--${name} expects an integer ≥ ${min}, got '${String(v)}'`);
  return n;
}

export function numberOption(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new CliError(`--${name} expects a number, got '${String(v)}'`);
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
