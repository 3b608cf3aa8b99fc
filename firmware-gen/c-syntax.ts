/**
 * Tiny pure emitters for C99 source text (in the spirit of emlearn's `array_declare` / `struct_init`): every
 * piece of generated C goes through one of these, so formatting and escaping live in one place.
 */

/**
 * A lower-case C identifier prefix for a model name: runs of other characters become '_', and it always starts
 * with a letter. It is only ever used followed by '_' and a suffix (so a keyword such as `default` is fine), but
 * `ed` / `ed_…` get an `m_` in front so model symbols (`<prefix>_info`) never collide with the engine's
 * (`ed_model_info`).
 */
export function cIdentifier(name: string): string {
  let id = name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  if (id === '') id = 'model';
  if (!/^[a-z]/.test(id) || id === 'ed' || id.startsWith('ed_')) id = `m_${id}`;
  return id;
}

/** A C string literal; anything outside printable ASCII is written as an octal escape. */
export function cString(s: string): string {
  let out = '"';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (byte >= 0x20 && byte < 0x7f && ch !== '?') out += ch; // '?' could start a trigraph
    else out += `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return `${out}"`;
}

/** A block comment; lines are kept ASCII-clean of the comment terminator. */
export function cComment(lines: readonly string[], indent = ''): string {
  const safe = lines.map((l) => l.replace(/\*\//g, '* /').replace(/\s+$/, ''));
  if (safe.length === 1) return `${indent}/* ${safe[0]} */`;
  return [`${indent}/*`, ...safe.map((l) => (l ? `${indent} * ${l}` : `${indent} *`)), `${indent} */`].join('\n');
}

/** An int32 literal: INT32_MIN cannot be written as a negated constant of type int32_t. */
export function int32Literal(v: number): string {
  if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new RangeError(`int32Literal: ${v} is not an int32`);
  return v === -2147483648 ? '(-2147483647 - 1)' : String(v);
}

export type CIntType = 'int8_t' | 'uint8_t' | 'int32_t';

const RANGE: Record<CIntType, [number, number]> = {
  int8_t: [-128, 127],
  uint8_t: [0, 255],
  int32_t: [-2147483648, 2147483647],
};

/** Values per line and column width that keep arrays readable (int8 rows of 16, int32 rows of 8). */
const LAYOUT: Record<CIntType, { perLine: number; width: number }> = {
  int8_t: { perLine: 16, width: 4 },
  uint8_t: { perLine: 16, width: 3 },
  int32_t: { perLine: 8, width: 11 },
};

function checkRange(type: CIntType, name: string, values: ArrayLike<number>): void {
  const [lo, hi] = RANGE[type];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${name}[${i}] = ${v} does not fit ${type}`);
  }
}

function valueRows(type: CIntType, values: ArrayLike<number>, indent: string, perLine = LAYOUT[type].perLine): string[] {
  const { width } = LAYOUT[type];
  const rows: string[] = [];
  for (let i = 0; i < values.length; i += perLine) {
    const row: string[] = [];
    for (let k = i; k < Math.min(values.length, i + perLine); k++) row.push(int32Literal(values[k]).padStart(width));
    rows.push(`${indent}${row.join(',')},`);
  }
  return rows;
}

export interface ArrayDeclaration {
  readonly type: CIntType;
  readonly name: string;
  /** The length expression, usually a macro from the header. */
  readonly length: string;
  readonly values: ArrayLike<number>;
  /** 'const' (flash) or 'static const'. */
  readonly storage: 'const' | 'static const';
  /** Optional group size: a comment line opens every group (e.g. one per output channel). */
  readonly groups?: { readonly size: number; readonly label: (index: number) => string };
  /** Values per line, e.g. 28 to lay an image out row by row. */
  readonly perLine?: number;
}

/** `const int8_t name[LEN] = { … };` with range-checked values. */
export function arrayDeclare(a: ArrayDeclaration): string {
  checkRange(a.type, a.name, a.values);
  const lines = [`${a.storage} ${a.type} ${a.name}[${a.length}] = {`];
  if (a.groups) {
    const { size, label } = a.groups;
    for (let g = 0; g * size < a.values.length; g++) {
      lines.push(`  /* ${label(g)} */`);
      lines.push(...valueRows(a.type, Array.prototype.slice.call(a.values, g * size, (g + 1) * size) as number[], '  ', a.perLine));
    }
  } else {
    lines.push(...valueRows(a.type, a.values, '  ', a.perLine));
  }
  lines.push('};');
  return lines.join('\n');
}

/** `extern const int8_t name[LEN];` */
export function arrayExtern(type: CIntType, name: string, length: string): string {
  return `extern const ${type} ${name}[${length}];`;
}

/** A designated-initializer struct definition: `static const type name = { .a = 1, … };` */
export function structInit(storage: 'static const' | 'const', type: string, name: string, fields: readonly (readonly [string, string])[]): string {
  return [`${storage} ${type} ${name} = {`, ...fields.map(([k, v]) => `  .${k} = ${v},`), '};'].join('\n');
}

export function define(name: string, value: string | number): string {
  return `#define ${name} ${value}`;
}
