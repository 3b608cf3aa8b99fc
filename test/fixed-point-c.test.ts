import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../src/data/index.js';
import { hasTool, toolsPresent } from './tools.js';
import {
  MAX_SHIFT,
  MIN_SHIFT,
  frexp,
  multiplyByQuantizedMultiplier,
  quantizeMultiplier,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
} from '../src/quantize/fixed-point.js';

/*
 * Proves firmware-gen/engine/ed_fixedpoint.h bit-identical to src/quantize/fixed-point.ts: test/c/fixed_point_main.c
 * is built with ASan + UBSan (any UB aborts the run) and fed >= 200,000 seeded random vectors plus edge grids per
 * primitive. The same harness carries a libm-based transcription of TFLite's QuantizeMultiplier, an independent
 * oracle for the TS frexp/quantizeMultiplier.
 */

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const engineDir = join(repoRoot, 'firmware-gen', 'engine');
const harnessSource = join(repoRoot, 'test', 'c', 'fixed_point_main.c');
const handChecked = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'fixed-point', 'hand-checked.json'), 'utf8')) as {
  srdhm: { a: number; b: number; expected: number }[];
  roundingDivideByPOT: { x: number; exponent: number; expected: number }[];
  multiplyByQuantizedMultiplier: { x: number; multiplier: number; shift: number; expected: number }[];
  quantizeMultiplier: { real: number; multiplier?: number; shift?: number; throws?: boolean }[];
};

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const RANDOM_VECTORS = 200_000;
const SEED = 0x5eed_f1c5;
const STRICT_WARNINGS = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-Wpedantic', '-Wconversion', '-Wshadow'];
const CORTEX_M4 = ['-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16', '-Os'];

const toolPresent = hasTool;

/** Missing tools skip loudly on a workstation and fail under CI=true (test/tools.ts has the rule). */
function requireTool(command: string, purpose: string): boolean {
  if (toolsPresent(`fixed-point-c (${purpose})`, [command])) return true;
  it.skip(`needs ${command}`, () => undefined);
  return false;
}

function run(command: string, args: readonly string[], input?: Buffer): Buffer {
  const result = spawnSync(command, args, {
    input,
    maxBuffer: 256 * 1024 * 1024,
    // LeakSanitizer needs ptrace, which containers often forbid; the code under test never allocates anyway.
    env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0', UBSAN_OPTIONS: 'print_stacktrace=1' },
  });
  if (result.error !== undefined) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  const stderr = result.stderr.toString('utf8');
  if (result.status !== 0 || stderr.trim() !== '') {
    throw new Error(`${command} ${args.join(' ')} exited with ${String(result.status)}:\n${stderr}`);
  }
  return result.stdout;
}

// ---------------------------------------------------------------------------------------------------------------
// Vector generation (seeded; biased towards int32 edges like test/fixed-point.test.ts)
// ---------------------------------------------------------------------------------------------------------------

const EDGE_INT32 = [0, 1, -1, 2, -2, 3, -3, 255, -256, 32767, -32768, 65535, 65536, -65536, INT32_MIN, INT32_MIN + 1,
  INT32_MAX, INT32_MAX - 1, 1 << 30, -(1 << 30), (1 << 30) + 1, (1 << 30) - 1];
const EDGE_MULTIPLIERS = [0, 1, -1, 1 << 30, (1 << 30) + 1, INT32_MAX, INT32_MAX - 1, 1518500250, INT32_MIN, -(1 << 30)];

function makeInt32Source(rng: () => number): () => number {
  const uniform = (): number => Math.floor(rng() * 2 ** 32) | 0;
  const below = (n: number): number => Math.floor(rng() * n);
  return () => {
    const kind = rng();
    if (kind < 0.6) return uniform();
    if (kind < 0.75) return EDGE_INT32[below(EDGE_INT32.length)];
    if (kind < 0.9) return ((rng() < 0.5 ? -1 : 1) * (2 ** below(32) + below(3) - 1)) | 0;
    return below(131073) - 65536;
  };
}

function int32Records(arity: number, rows: readonly (readonly number[])[]): Buffer {
  const values = new Int32Array(rows.length * arity);
  rows.forEach((row, i) => values.set(row, i * arity));
  return Buffer.from(values.buffer);
}

function int32Results(bytes: Buffer, expectedCount: number): Int32Array {
  expect(bytes.length, 'harness output size').toBe(expectedCount * 4);
  return new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** Describes up to five disagreements so a failure shows the inputs, not just a count. */
function mismatches(rows: readonly (readonly number[])[], cResults: ArrayLike<number>, ts: (row: readonly number[]) => number): string[] {
  const found: string[] = [];
  let count = 0;
  rows.forEach((row, i) => {
    const expected = ts(row);
    if (cResults[i] !== expected) {
      count += 1;
      if (found.length < 5) found.push(`(${row.join(', ')}): C ${cResults[i]}, TS ${expected}`);
    }
  });
  return count === 0 ? [] : [`${count} of ${rows.length} differ`, ...found];
}

/** A double from 64 random bits; `subnormal` clears the exponent field (sign and significand stay random). */
function randomDouble(rng: () => number, view: DataView, subnormal = false): number {
  const high = Math.floor(rng() * 2 ** 32);
  view.setUint32(0, subnormal ? (high & 0x800fffff) >>> 0 : high);
  view.setUint32(4, Math.floor(rng() * 2 ** 32));
  return view.getFloat64(0);
}

// ---------------------------------------------------------------------------------------------------------------

describe('ed_fixedpoint.h matches src/quantize/fixed-point.ts bit for bit (gcc, ASan + UBSan)', () => {
  if (!requireTool('gcc', 'compile test/c/fixed_point_main.c')) return;

  let workDir = '';
  let harness = '';
  const rng = createRng(SEED);
  const nextInt32 = makeInt32Source(rng);

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'ed-fixedpoint-'));
    harness = join(workDir, 'fixed_point_main');
    run('gcc', [...STRICT_WARNINGS, '-O1', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer',
      `-I${engineDir}`, harnessSource, '-o', harness, '-lm']);
  }, 60_000);

  afterAll(() => {
    if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
  });

  it('ed_srdhm', () => {
    const rows: number[][] = handChecked.srdhm.map((v) => [v.a, v.b]);
    for (const a of EDGE_INT32) for (const b of [...EDGE_INT32, ...EDGE_MULTIPLIERS]) rows.push([a, b]);
    for (let i = 0; i < RANDOM_VECTORS; i++) rows.push([nextInt32(), nextInt32()]);
    const c = int32Results(run(harness, ['srdhm'], int32Records(2, rows)), rows.length);
    expect(mismatches(rows, c, ([a, b]) => saturatingRoundingDoublingHighMul(a, b))).toEqual([]);
    handChecked.srdhm.forEach((v, i) => expect(c[i], `srdhm(${v.a}, ${v.b})`).toBe(v.expected));
  }, 60_000);

  it('ed_rounding_divide_by_pot, every exponent 0..31', () => {
    const rows: number[][] = handChecked.roundingDivideByPOT.map((v) => [v.x, v.exponent]);
    for (const x of EDGE_INT32) for (let e = 0; e <= 31; e++) rows.push([x, e]);
    for (let i = 0; i < RANDOM_VECTORS; i++) rows.push([nextInt32(), i % 32]);
    const c = int32Results(run(harness, ['rdbpot'], int32Records(2, rows)), rows.length);
    expect(mismatches(rows, c, ([x, e]) => roundingDivideByPOT(x, e))).toEqual([]);
    handChecked.roundingDivideByPOT.forEach((v, i) => expect(c[i], `rdbpot(${v.x}, ${v.exponent})`).toBe(v.expected));
  }, 60_000);

  it('ed_multiply_by_quantized_multiplier, every shift -31..30', () => {
    const rows: number[][] = handChecked.multiplyByQuantizedMultiplier.map((v) => [v.x, v.multiplier, v.shift]);
    for (const x of EDGE_INT32) for (const m of EDGE_MULTIPLIERS) for (let s = MIN_SHIFT; s <= MAX_SHIFT; s++) rows.push([x, m, s]);
    const shiftSpan = MAX_SHIFT - MIN_SHIFT + 1;
    for (let i = 0; i < RANDOM_VECTORS; i++) {
      // Half the multipliers in quantizeMultiplier's output range [2^30, 2^31), half arbitrary int32.
      const m = i % 2 === 0 ? (1 << 30) + Math.floor(rng() * 2 ** 30) : nextInt32();
      rows.push([nextInt32(), m, MIN_SHIFT + (i % shiftSpan)]);
    }
    const c = int32Results(run(harness, ['mbqm'], int32Records(3, rows)), rows.length);
    expect(mismatches(rows, c, ([x, m, s]) => multiplyByQuantizedMultiplier(x, m, s))).toEqual([]);
    handChecked.multiplyByQuantizedMultiplier.forEach((v, i) => expect(c[i], `mbqm(${v.x}, ${v.multiplier}, ${v.shift})`).toBe(v.expected));
  }, 60_000);

  it('ed_requantizer_apply (one multiply-add and a shift) equals it, ties included; the relaxed form differs only below zero', () => {
    // Ties of both roundings are where a folded form would go wrong: power-of-two-ish multipliers and small x hit
    // them constantly; the rest are quantizeMultiplier-range multipliers with random x. Multipliers are >= 0, as
    // quantizeMultiplier makes them.
    const rows: number[][] = handChecked.multiplyByQuantizedMultiplier.filter((v) => v.multiplier >= 0).map((v) => [v.x, v.multiplier, v.shift]);
    const tieMultipliers = [0, 1, 1 << 30, (1 << 30) + 1, (1 << 30) + (1 << 29), (1 << 30) + (1 << 20), INT32_MAX, INT32_MAX - 1, 1518500250];
    for (const m of tieMultipliers) for (let s = MIN_SHIFT; s <= MAX_SHIFT; s++) for (let x = -70; x <= 70; x++) rows.push([x, m, s]);
    for (const x of EDGE_INT32) for (const m of tieMultipliers) for (let s = MIN_SHIFT; s <= MAX_SHIFT; s++) rows.push([x, m, s]);
    const shiftSpan = MAX_SHIFT - MIN_SHIFT + 1;
    for (let i = 0; i < RANDOM_VECTORS; i++) {
      const m = i % 4 === 0 ? Math.floor(rng() * 2 ** 31) : (1 << 30) + Math.floor(rng() * 2 ** 30);
      rows.push([i % 3 === 0 ? Math.floor(rng() * 2_000_001) - 1_000_000 : nextInt32(), m, MIN_SHIFT + (i % shiftSpan)]);
    }
    const out = run(harness, ['mbqm64'], int32Records(3, rows));
    expect(out.length, 'harness output size').toBe(rows.length * 8);
    const pairs = new Int32Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.length));
    const exact = pairs.filter((_, i) => i % 2 === 0);
    expect(mismatches(rows, exact, ([x, m, s]) => multiplyByQuantizedMultiplier(x, m, s))).toEqual([]);
    const badRelaxed: string[] = [];
    rows.forEach((row, i) => {
      const e = exact[i];
      const r = pairs[2 * i + 1];
      const ok = e >= 0 ? r === e : r <= 0 && (r === e || r === e + 1);
      if (!ok && badRelaxed.length < 5) badRelaxed.push(`(${row.join(', ')}): exact ${e}, relaxed ${r}`);
    });
    expect(badRelaxed).toEqual([]);
  }, 60_000);

  it('frexp equals libm frexp on random bit patterns, subnormals included', () => {
    const view = new DataView(new ArrayBuffer(8));
    const inputs: number[] = [Number.MIN_VALUE, -Number.MIN_VALUE, 2 ** -1022, 2 ** -1022 - Number.MIN_VALUE, Number.MAX_VALUE, 1, 0.5, 3];
    while (inputs.length < RANDOM_VECTORS) {
      const x = randomDouble(rng, view, inputs.length % 3 === 0);
      if (Number.isFinite(x) && x !== 0) inputs.push(x);
    }
    const out = run(harness, ['frexp'], Buffer.from(new Float64Array(inputs).buffer));
    expect(out.length).toBe(inputs.length * 12);
    const differing: string[] = [];
    inputs.forEach((x, i) => {
      const fraction = out.readDoubleLE(i * 12);
      const exponent = out.readInt32LE(i * 12 + 8);
      const ts = frexp(x);
      if (!Object.is(ts.fraction, fraction) || ts.exponent !== exponent) differing.push(`frexp(${x}): C (${fraction}, ${exponent}), TS (${ts.fraction}, ${ts.exponent})`);
    });
    expect(differing.slice(0, 5)).toEqual([]);
  }, 60_000);

  it("quantizeMultiplier equals TFLite's QuantizeMultiplier transcribed with libm frexp and round", () => {
    const view = new DataView(new ArrayBuffer(8));
    const reals: number[] = handChecked.quantizeMultiplier.filter((v) => v.real >= 0).map((v) => v.real);
    while (reals.length < RANDOM_VECTORS) {
      const kind = reals.length % 5;
      let real: number;
      if (kind === 0) real = Math.abs(randomDouble(rng, view));
      else if (kind === 1) real = Math.abs(randomDouble(rng, view, true));
      else if (kind === 2) real = rng() * 2 ** (Math.floor(rng() * 80) - 60);
      else if (kind === 3) {
        // Exact ties (n + 0.5) · 2^(s − 31) for s in -33..31, and their neighbours about one ulp away.
        const s = MIN_SHIFT - 2 + Math.floor(rng() * 65);
        const tie = ((1 << 30) + Math.floor(rng() * 2 ** 30) + 0.5) * 2 ** (s - 31);
        real = tie * (1 + (Math.floor(rng() * 3) - 1) * 2 ** -52);
      } else real = rng();
      if (Number.isFinite(real)) reals.push(real);
    }
    const finite = reals;
    const out = int32Results(run(harness, ['quantize'], Buffer.from(new Float64Array(finite).buffer)), finite.length * 2);
    const differing: string[] = [];
    finite.forEach((real, i) => {
      const cMultiplier = out[2 * i];
      const cShift = out[2 * i + 1];
      let ts: string;
      try {
        const q = quantizeMultiplier(real);
        ts = `(${q.multiplier}, ${q.shift})`;
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        ts = 'rejected';
      }
      // TFLite's double-rounding build leaves shift > 30 as is; our TS rejects those multipliers (see fixed-point.ts).
      const expected = cShift > MAX_SHIFT ? 'rejected' : `(${cMultiplier}, ${cShift})`;
      if (ts !== expected) differing.push(`quantizeMultiplier(${real}): C ${expected}, TS ${ts}`);
    });
    expect(differing.slice(0, 5)).toEqual([]);
    handChecked.quantizeMultiplier.filter((v) => v.real >= 0 && v.throws !== true).forEach((v) => {
      const i = finite.indexOf(v.real);
      expect([out[2 * i], out[2 * i + 1]], `C QuantizeMultiplier(${v.real})`).toEqual([v.multiplier, v.shift]);
    });
  }, 60_000);
});

describe('ed_fixedpoint.h on the Cortex-M4 (arm-none-eabi-gcc)', () => {
  if (!requireTool('arm-none-eabi-gcc', 'check that ed_fixedpoint.h compiles for the Cortex-M4')) return;

  it('compiles warning-free with -Wall -Wextra -Werror and needs no runtime-library calls', () => {
    const workDir = mkdtempSync(join(tmpdir(), 'ed-fixedpoint-arm-'));
    try {
      const source = join(workDir, 'use_fixedpoint.c');
      const object = join(workDir, 'use_fixedpoint.o');
      // External wrappers force code generation for every static inline function.
      writeFileSync(source, [
        '#include "ed_fixedpoint.h"',
        'int32_t use_srdhm(int32_t a, int32_t b);',
        'int32_t use_rdbpot(int32_t x, int e);',
        'int32_t use_mbqm(int32_t x, int32_t m, int s);',
        'int32_t use_srdhm(int32_t a, int32_t b) { return ed_srdhm(a, b); }',
        'int32_t use_rdbpot(int32_t x, int e) { return ed_rounding_divide_by_pot(x, e); }',
        'int32_t use_mbqm(int32_t x, int32_t m, int s) { return ed_multiply_by_quantized_multiplier(x, m, s); }',
        '',
      ].join('\n'));
      run('arm-none-eabi-gcc', [...CORTEX_M4, ...STRICT_WARNINGS, `-I${engineDir}`, '-c', source, '-o', object]);
      // An undefined symbol would be a libgcc helper such as __aeabi_ldivmod: slow on the M4 and not meant to be there.
      if (toolPresent('arm-none-eabi-nm')) {
        expect(run('arm-none-eabi-nm', ['--undefined-only', object]).toString('utf8').trim()).toBe('');
      }
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }, 60_000);
});
