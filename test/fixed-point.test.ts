import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_SHIFT,
  MIN_SHIFT,
  checkQuantizedMultiplier,
  frexp,
  multiplyByQuantizedMultiplier,
  quantizeMultiplier,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
} from '../src/quantize/fixed-point.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const RUNS = { numRuns: 100_000 };
const PROPERTY_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------------------------------------------------------
// BigInt references. SRDHM is a transcription of gemmlowp; RoundingDivideByPOT and QuantizeMultiplier are stated
// mathematically (round half away from zero, exact rational arithmetic) so they do not share the bit tricks of
// the implementation under test.
// ---------------------------------------------------------------------------------------------------------------

const TWO_31 = 1n << 31n;

function referenceSrdhm(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / TWO_31); // BigInt division truncates toward zero, like C
}

/** floor(n / d) for d > 0 (BigInt `/` truncates). */
function floorDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d < 0n ? q - 1n : q;
}

/** x / 2^exponent rounded to nearest, ties away from zero. */
function referenceRoundingDivideByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  const half = 1n << BigInt(exponent - 1);
  const magnitude = floorDiv(BigInt(Math.abs(x)) + half, 1n << BigInt(exponent));
  return Number(x < 0 ? -magnitude : magnitude);
}

function referenceMultiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  const leftShift = Math.max(shift, 0);
  const rightShift = Math.max(-shift, 0);
  const shifted = Number(BigInt.asIntN(32, BigInt(x) << BigInt(leftShift)));
  return referenceRoundingDivideByPOT(referenceSrdhm(shifted, multiplier), rightShift);
}

/** real = mantissa · 2^exponent exactly, from the IEEE-754 bits (real > 0, finite). */
function exactDecomposition(real: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, real);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  return biased === 0 ? { mantissa: fraction, exponent: -1074 } : { mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}

type ReferenceQuantized = { multiplier: number; shift: number } | 'rejected';

/** TFLite QuantizeMultiplier on exact rationals: shift with 2^(shift−1) <= real < 2^shift, q = round(real·2^(31−shift)). */
function referenceQuantizeMultiplier(real: number): ReferenceQuantized {
  if (!(real >= 0) || !Number.isFinite(real)) return 'rejected';
  if (real === 0) return { multiplier: 0, shift: 0 };
  const { mantissa, exponent } = exactDecomposition(real);
  let shift = mantissa.toString(2).length + exponent;
  const scale = exponent + 31 - shift; // q·2^31 = mantissa · 2^scale
  let q = scale >= 0 ? mantissa << BigInt(scale) : floorDiv(mantissa + (1n << BigInt(-scale - 1)), 1n << BigInt(-scale));
  if (q === TWO_31) {
    q = 1n << 30n;
    shift += 1;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  if (shift > 30) return 'rejected';
  return { multiplier: Number(q), shift };
}

function actualQuantizeMultiplier(real: number): ReferenceQuantized {
  try {
    const { multiplier, shift } = quantizeMultiplier(real);
    return { multiplier, shift };
  } catch (error) {
    if (error instanceof RangeError) return 'rejected';
    throw error;
  }
}

function sameQuantized(a: ReferenceQuantized, b: ReferenceQuantized): boolean {
  if (a === 'rejected' || b === 'rejected') return a === b;
  return a.multiplier === b.multiplier && a.shift === b.shift;
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries: the whole int32 range, biased towards the values where fixed-point code breaks.
// ---------------------------------------------------------------------------------------------------------------

const edgeInt32 = fc.constantFrom(0, 1, -1, 2, -2, INT32_MIN, INT32_MIN + 1, INT32_MAX, INT32_MAX - 1, 1 << 30, -(1 << 30));
const powerOfTwoNeighbour = fc
  .tuple(fc.integer({ min: 0, max: 31 }), fc.integer({ min: -1, max: 1 }), fc.boolean())
  .map(([power, offset, negative]) => ((negative ? -1 : 1) * (2 ** power + offset)) | 0);
const anyInt32 = fc.integer({ min: INT32_MIN, max: INT32_MAX });
const int32 = fc.oneof(
  { arbitrary: anyInt32, weight: 6 },
  { arbitrary: edgeInt32, weight: 2 },
  { arbitrary: powerOfTwoNeighbour, weight: 2 },
  { arbitrary: fc.integer({ min: -65536, max: 65536 }), weight: 1 },
);
/** Multipliers as quantizeMultiplier produces them ([2^30, 2^31) or 0), mixed with arbitrary int32. */
const multiplier = fc.oneof(
  { arbitrary: fc.integer({ min: 1 << 30, max: INT32_MAX }), weight: 2 },
  { arbitrary: int32, weight: 2 },
  { arbitrary: fc.constant(0), weight: 1 },
);
const exponent = fc.integer({ min: 0, max: 31 });
const shift = fc.integer({ min: MIN_SHIFT, max: MAX_SHIFT });

// ---------------------------------------------------------------------------------------------------------------

interface HandChecked {
  srdhm: { a: number; b: number; expected: number; working: string }[];
  roundingDivideByPOT: { x: number; exponent: number; expected: number; working: string }[];
  multiplyByQuantizedMultiplier: { x: number; multiplier: number; shift: number; expected: number; working: string }[];
  quantizeMultiplier: { realExpression: string; real: number; multiplier?: number; shift?: number; throws?: boolean; working: string }[];
  quantizeAndMultiply: { x: number; real: number; expected: number; working: string }[];
}

const handChecked = JSON.parse(
  readFileSync(new URL('./fixtures/fixed-point/hand-checked.json', import.meta.url), 'utf8'),
) as HandChecked;

describe('hand-checked vectors (test/fixtures/fixed-point/hand-checked.json)', () => {
  it('has vectors for every primitive', () => {
    expect(handChecked.srdhm.length).toBeGreaterThan(5);
    expect(handChecked.roundingDivideByPOT.length).toBeGreaterThan(5);
    expect(handChecked.multiplyByQuantizedMultiplier.length).toBeGreaterThan(5);
    expect(handChecked.quantizeMultiplier.length).toBeGreaterThan(10);
    expect(handChecked.quantizeAndMultiply.length).toBeGreaterThan(3);
  });

  it.each(handChecked.srdhm)('srdhm($a, $b) = $expected: $working', ({ a, b, expected }) => {
    expect(saturatingRoundingDoublingHighMul(a, b)).toBe(expected);
    expect(referenceSrdhm(a, b)).toBe(expected);
  });

  it.each(handChecked.roundingDivideByPOT)('roundingDivideByPOT($x, $exponent) = $expected: $working', ({ x, exponent, expected }) => {
    expect(roundingDivideByPOT(x, exponent)).toBe(expected);
    expect(referenceRoundingDivideByPOT(x, exponent)).toBe(expected);
  });

  it.each(handChecked.multiplyByQuantizedMultiplier)(
    'multiplyByQuantizedMultiplier($x, $multiplier, $shift) = $expected: $working',
    ({ x, multiplier, shift, expected }) => {
      expect(multiplyByQuantizedMultiplier(x, multiplier, shift)).toBe(expected);
      expect(referenceMultiplyByQuantizedMultiplier(x, multiplier, shift)).toBe(expected);
    },
  );

  it.each(handChecked.quantizeMultiplier)('quantizeMultiplier($realExpression): $working', (v) => {
    if (v.throws === true) {
      expect(() => quantizeMultiplier(v.real)).toThrow(RangeError);
      expect(referenceQuantizeMultiplier(v.real)).toBe('rejected');
    } else {
      expect(quantizeMultiplier(v.real)).toEqual({ multiplier: v.multiplier, shift: v.shift });
      expect(referenceQuantizeMultiplier(v.real)).toEqual({ multiplier: v.multiplier, shift: v.shift });
    }
  });

  it.each(handChecked.quantizeAndMultiply)('multiply($x, quantizeMultiplier($real)) = $expected ($working)', ({ x, real, expected }) => {
    const q = quantizeMultiplier(real);
    expect(multiplyByQuantizedMultiplier(x, q.multiplier, q.shift)).toBe(expected);
  });
});

describe('quantizeMultiplier edge cases', () => {
  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1e-300, -Number.MIN_VALUE, -1])(
    'rejects %s with a RangeError naming the value',
    (real) => {
      expect(() => quantizeMultiplier(real)).toThrow(new RegExp(`finite real multiplier >= 0, got ${String(real)}`));
    },
  );

  it('treats -0 like 0, as TFLite does (-0. == 0.)', () => {
    expect(quantizeMultiplier(-0)).toEqual({ multiplier: 0, shift: 0 });
  });

  it('explains why a multiplier needing shift > 30 is rejected', () => {
    expect(() => quantizeMultiplier(2 ** 30)).toThrow(/needs shift 31.*supports shifts -31\.\.30/);
  });

  it('round-trips: multiplier · 2^(shift−31) is within half a unit of the real value', () => {
    fc.assert(
      fc.property(fc.double({ min: 2 ** -31, max: 2 ** 29, noNaN: true }), (real) => {
        const { multiplier, shift } = quantizeMultiplier(real);
        const unit = 2 ** (shift - 31);
        return multiplier >= 2 ** 30 && multiplier < 2 ** 31 && Math.abs(multiplier * unit - real) <= unit / 2;
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('checkQuantizedMultiplier', () => {
  it('accepts the whole usable range', () => {
    expect(() => checkQuantizedMultiplier(INT32_MAX, MAX_SHIFT, 'conv1 channel 0')).not.toThrow();
    expect(() => checkQuantizedMultiplier(INT32_MIN, MIN_SHIFT, 'conv1 channel 0')).not.toThrow();
  });

  it.each([
    [2 ** 31, 0, /conv1 channel 3: quantized multiplier must be an int32, got 2147483648/],
    [1.5, 0, /quantized multiplier must be an int32, got 1.5/],
    [1 << 30, 31, /conv1 channel 3: shift must be an integer in -31..30, got 31/],
    [1 << 30, -32, /shift must be an integer in -31..30, got -32/],
    [1 << 30, 0.5, /shift must be an integer in -31..30, got 0.5/],
  ])('rejects (%s, %s)', (m, s, message) => {
    expect(() => checkQuantizedMultiplier(m, s, 'conv1 channel 3')).toThrow(message);
  });
});

describe('frexp', () => {
  it.each([
    [1, 0.5, 1],
    [0.25, 0.5, -1],
    [-1, -0.5, 1],
    [3, 0.75, 2],
    [Number.MIN_VALUE, 0.5, -1073],
    [Number.MAX_VALUE, 1 - 2 ** -53, 1024],
    [2 ** -1022, 0.5, -1021],
    [2 ** -1022 - Number.MIN_VALUE, 1 - 2 ** -52, -1022],
  ])('frexp(%s) = (%s, %s)', (x, fraction, exponent) => {
    expect(frexp(x)).toEqual({ fraction, exponent });
  });

  it('returns zeros, infinities and NaN unchanged with exponent 0, like C', () => {
    expect(frexp(0)).toEqual({ fraction: 0, exponent: 0 });
    expect(Object.is(frexp(-0).fraction, -0)).toBe(true);
    expect(frexp(Number.POSITIVE_INFINITY)).toEqual({ fraction: Number.POSITIVE_INFINITY, exponent: 0 });
    expect(Number.isNaN(frexp(Number.NaN).fraction)).toBe(true);
  });

  it('decomposes every finite double exactly: x = fraction · 2^exponent with 0.5 <= |fraction| < 1', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        fc.pre(x !== 0);
        const { fraction, exponent } = frexp(x);
        // Two steps so that 2^1024 is never needed; for exponent <= 0 both steps are exact (2x is representable).
        const rebuilt = exponent > 0 ? fraction * 2 ** (exponent - 1) * 2 : (fraction * 2 ** (exponent + 1)) / 2;
        return Math.abs(fraction) >= 0.5 && Math.abs(fraction) < 1 && Number.isInteger(exponent) && rebuilt === x;
      }),
      RUNS,
    );
  }, PROPERTY_TIMEOUT_MS);
});

describe('properties against the BigInt references (100,000 cases each)', () => {
  it('saturatingRoundingDoublingHighMul equals gemmlowp on the whole int32 range', () => {
    fc.assert(
      fc.property(int32, int32, (a, b) => {
        return saturatingRoundingDoublingHighMul(a, b) === referenceSrdhm(a, b);
      }),
      RUNS,
    );
  }, PROPERTY_TIMEOUT_MS);

  it('saturatingRoundingDoublingHighMul equals gemmlowp for accumulator-sized a (its exact-double fast path, |a| < 2^21, and its edge)', () => {
    const accumulator = fc.oneof(
      fc.integer({ min: -(2 ** 21) + 1, max: 2 ** 21 - 1 }),
      fc.constantFrom(2 ** 21 - 1, -(2 ** 21) + 1, 2 ** 21, -(2 ** 21), 0, 1, -1),
    );
    fc.assert(
      fc.property(accumulator, int32, (a, b) => saturatingRoundingDoublingHighMul(a, b) === referenceSrdhm(a, b)),
      RUNS,
    );
  }, PROPERTY_TIMEOUT_MS);

  it('saturatingRoundingDoublingHighMul is a·b / 2^31 rounded to nearest with ties up (VQRDMULH)', () => {
    fc.assert(
      fc.property(int32, int32, (a, b) => {
        fc.pre(!(a === INT32_MIN && b === INT32_MIN));
        const nearestTiesUp = floorDiv(BigInt(a) * BigInt(b) + (1n << 30n), TWO_31);
        return saturatingRoundingDoublingHighMul(a, b) === Number(nearestTiesUp);
      }),
      RUNS,
    );
  }, PROPERTY_TIMEOUT_MS);

  it('roundingDivideByPOT rounds x / 2^exponent to nearest, ties away from zero, for every exponent 0..31', () => {
    fc.assert(
      fc.property(int32, exponent, (x, e) => {
        return roundingDivideByPOT(x, e) === referenceRoundingDivideByPOT(x, e);
      }),
      RUNS,
    );
  }, PROPERTY_TIMEOUT_MS);

  it('multiplyByQuantizedMultiplier equals the reference for shifts -31..30 (left shift wraps mod 2^32)', () => {
    fc.assert(
      fc.property(int32, multiplier, shift, (x, m, s) => {
        return multiplyByQuantizedMultiplier(x, m, s) === referenceMultiplyByQuantizedMultiplier(x, m, s);
      }),
      RUNS,
    );
  }, PROPERTY_TIMEOUT_MS);

  it('quantizeMultiplier equals exact rational arithmetic on doubles of every magnitude', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, noNaN: true }), (real) => {
        return sameQuantized(actualQuantizeMultiplier(real), referenceQuantizeMultiplier(real));
      }),
      RUNS,
    );
  }, PROPERTY_TIMEOUT_MS);

  it('quantizeMultiplier rounds exact ties (n + 0.5) · 2^(shift−31) away from zero, and their neighbours to nearest', () => {
    const tie = fc.tuple(
      fc.integer({ min: 2 ** 30, max: 2 ** 31 - 1 }),
      fc.integer({ min: MIN_SHIFT, max: MAX_SHIFT }),
      fc.constantFrom(-1, 0, 1),
    );
    fc.assert(
      fc.property(tie, ([n, s, ulpOffset]) => {
        const exactTie = (n + 0.5) * 2 ** (s - 31);
        const real = ulpOffset === 0 ? exactTie : exactTie + ulpOffset * exactTie * 2 ** -52;
        const actual = actualQuantizeMultiplier(real);
        if (!sameQuantized(actual, referenceQuantizeMultiplier(real))) return false;
        if (ulpOffset !== 0) return true;
        const roundedUp = n + 1 === 2 ** 31 ? { multiplier: 2 ** 30, shift: s + 1 } : { multiplier: n + 1, shift: s };
        return sameQuantized(actual, roundedUp.shift > MAX_SHIFT ? 'rejected' : roundedUp);
      }),
      RUNS,
    );
  }, PROPERTY_TIMEOUT_MS);
});
