/**
 * TensorFlow Lite fixed-point primitives with the default double rounding (gemmlowp), bit-exact with
 * `tensorflow/lite/kernels/internal/{quantization_util.cc, common.cc}` and `gemmlowp/fixedpoint/fixedpoint.h`.
 * The C twin is `firmware-gen/engine/ed_fixedpoint.h`; test/fixed-point-c.test.ts proves them equal.
 *
 * Every value is an int32 held in a JS number. The three multiply/shift primitives run ~15,000 times per image in
 * the simulator, so they use no BigInt and allocate nothing: the 64-bit product a·b (up to 2^62) is split so every
 * intermediate is an integer below 2^53 and therefore exact in a double.
 */

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const TWO_POW_15 = 32768;
const TWO_POW_16 = 65536;
const TWO_POW_21 = 2097152;
const TWO_POW_30 = 1073741824;
const TWO_POW_31 = 2147483648;

/** Shift range accepted by multiplyByQuantizedMultiplier (TFLite's own DCHECK range for int32 inputs). */
export const MIN_SHIFT = -31;
export const MAX_SHIFT = 30;

/** real ≈ multiplier · 2^(shift − 31), multiplier a Q0.31 value in [2^30, 2^31) (or 0 with shift 0). */
export interface QuantizedMultiplier {
  readonly multiplier: number;
  readonly shift: number;
}

/** C's frexp: x = fraction · 2^exponent with |fraction| in [0.5, 1); 0, ±Infinity and NaN come back as (x, 0). */
export interface FrexpResult {
  readonly fraction: number;
  readonly exponent: number;
}

/** 2^64, used to lift subnormals into the normal range exactly. */
const SUBNORMAL_LIFT_EXPONENT = 64;
const FREXP_BIASED_EXPONENT = 1022; // biased exponent of numbers in [0.5, 1)

/**
 * Exact frexp from the IEEE-754 bits (JS has none; Math.log2 is not exact). Subnormals are first multiplied by
 * 2^64, which is exact, so their significand is normalised like glibc's frexp does.
 */
export function frexp(x: number): FrexpResult {
  if (x === 0 || !Number.isFinite(x)) return { fraction: x, exponent: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const high = view.getUint32(0);
  const biasedExponent = (high >>> 20) & 0x7ff;
  if (biasedExponent === 0) {
    const lifted = frexp(x * 2 ** SUBNORMAL_LIFT_EXPONENT);
    return { fraction: lifted.fraction, exponent: lifted.exponent - SUBNORMAL_LIFT_EXPONENT };
  }
  view.setUint32(0, ((high & 0x800fffff) | (FREXP_BIASED_EXPONENT << 20)) >>> 0);
  return { fraction: view.getFloat64(0), exponent: biasedExponent - FREXP_BIASED_EXPONENT };
}

/** TfLiteRound (std::round) for a non-negative double: ties go away from zero, i.e. up. */
function roundHalfUpNonNegative(v: number): number {
  const floor = Math.floor(v);
  return v - floor >= 0.5 ? floor + 1 : floor;
}

/**
 * TFLite `QuantizeMultiplier(double, int32_t*, int*)` (double-rounding build):
 *   (q, shift) = frexp(real); qFixed = round(q · 2^31)   [q·2^31 is exact: only the exponent changes]
 *   qFixed == 2^31 (q rounded up to 1.0)  →  qFixed = 2^30, shift + 1
 *   shift < −31 (real below ~2^−32)       →  flushed to (0, 0), as TFLite does
 * TFLite's double-rounding build does not clamp shift > 30 (only TFLITE_SINGLE_ROUNDING saturates it); such a
 * multiplier makes MultiplyByQuantizedMultiplier compute x · 2^31 or more, which overflows int32 for every
 * x ≠ 0 (UB in TFLite's C++). We reject it instead of returning a pair that cannot be used.
 */
export function quantizeMultiplier(real: number): QuantizedMultiplier {
  if (!Number.isFinite(real) || real < 0) {
    throw new RangeError(`quantizeMultiplier: expected a finite real multiplier >= 0, got ${real}`);
  }
  if (real === 0) return { multiplier: 0, shift: 0 };
  const { fraction, exponent } = frexp(real);
  let qFixed = roundHalfUpNonNegative(fraction * TWO_POW_31);
  let shift = exponent;
  if (qFixed === TWO_POW_31) {
    qFixed = TWO_POW_30;
    shift += 1;
  }
  if (shift < MIN_SHIFT) return { multiplier: 0, shift: 0 };
  if (shift > MAX_SHIFT) {
    throw new RangeError(
      `quantizeMultiplier: real multiplier ${real} needs shift ${shift}, but MultiplyByQuantizedMultiplier ` +
        `supports shifts ${MIN_SHIFT}..${MAX_SHIFT} (x · 2^${shift} overflows int32 for every x other than 0)`,
    );
  }
  return { multiplier: qFixed, shift };
}

/**
 * Throws a RangeError naming `where` unless (multiplier, shift) is usable by multiplyByQuantizedMultiplier and
 * the C engine: multiplier an int32 and shift an integer in MIN_SHIFT..MAX_SHIFT. For validating loaded artifacts;
 * the hot-path functions below do not check their arguments.
 */
export function checkQuantizedMultiplier(multiplier: number, shift: number, where: string): void {
  if (!Number.isInteger(multiplier) || multiplier < INT32_MIN || multiplier > INT32_MAX) {
    throw new RangeError(`${where}: quantized multiplier must be an int32, got ${multiplier}`);
  }
  if (!Number.isInteger(shift) || shift < MIN_SHIFT || shift > MAX_SHIFT) {
    throw new RangeError(`${where}: shift must be an integer in ${MIN_SHIFT}..${MAX_SHIFT}, got ${shift}`);
  }
}

/**
 * gemmlowp SaturatingRoundingDoublingHighMul (ARM VQRDMULH): round(a·b / 2^31) with
 *   nudge = a·b >= 0 ? 2^30 : 1 − 2^30;  result = trunc((a·b + nudge) / 2^31)   [C integer division]
 * The only overflow is a = b = INT32_MIN (a·b = 2^62, quotient 2^31), saturated to INT32_MAX.
 *
 * Exactness: with b = bHigh·2^16 + bLow (bHigh = b >> 16 in [−2^15, 2^15), bLow in [0, 2^16)),
 *   a·bHigh = q1·2^15 + r1 (floor division, r1 in [0, 2^15), |a·bHigh| <= 2^46)
 *   a·b + nudge = q1·2^31 + low,   low = r1·2^16 + a·bLow + nudge,   |low| < 2^48
 *   low = q2·2^31 + r2 (floor division, r2 in [0, 2^31))
 * so floor((a·b + nudge) / 2^31) = q1 + q2, and C's truncation adds 1 when that is negative and r2 ≠ 0.
 * Divisions by powers of two and Math.floor are exact on doubles, and every value above is an integer < 2^53.
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a < TWO_POW_21 && a > -TWO_POW_21) {
    // Fast path for accumulator-sized a (the common case in inference): |a·b| < 2^52, so the product and the
    // nudged sum are exact doubles and Math.trunc is C's truncating division.
    const ab = a * b;
    return Math.trunc((ab + (ab >= 0 ? TWO_POW_30 : 1 - TWO_POW_30)) / TWO_POW_31) | 0;
  }
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  // The rounded double product is zero only when the exact one is, and has the exact one's sign.
  const nudge = a * b >= 0 ? TWO_POW_30 : 1 - TWO_POW_30;
  const highProduct = a * (b >> 16);
  const q1 = Math.floor(highProduct / TWO_POW_15);
  const r1 = highProduct - q1 * TWO_POW_15;
  const low = r1 * TWO_POW_16 + a * (b & 0xffff) + nudge;
  const q2 = Math.floor(low / TWO_POW_31);
  const r2 = low - q2 * TWO_POW_31;
  const floorQuotient = q1 + q2;
  return (floorQuotient < 0 && r2 !== 0 ? floorQuotient + 1 : floorQuotient) | 0;
}

/**
 * gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero, exponent in 0..31.
 *   mask = 2^exponent − 1;  remainder = x & mask;  threshold = (mask >> 1) + (x < 0 ? 1 : 0)
 *   result = (x >> exponent) + (remainder > threshold ? 1 : 0)
 * The mask is built as 0x7fffffff >>> (31 − exponent) because `1 << 31` is negative in JS. The result cannot
 * overflow: for exponent >= 1, x >> exponent <= 2^30 − 1.
 */
export function roundingDivideByPOT(x: number, exponent: number): number {
  const mask = 0x7fffffff >>> (31 - exponent);
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/**
 * TFLite MultiplyByQuantizedMultiplier(int32_t x, int32_t quantized_multiplier, int shift), double rounding:
 *   leftShift = max(shift, 0); rightShift = max(−shift, 0)
 *   result = RoundingDivideByPOT(SRDHM(x · 2^leftShift, multiplier), rightShift)
 * shift must lie in MIN_SHIFT..MAX_SHIFT. TFLite writes x · (1 << leftShift), which is signed overflow (UB) when
 * it does not fit; we define it as wrapping modulo 2^32, which is what JS `<<` does and what the C engine does
 * with (int32_t)((uint32_t)x << leftShift). Requantization multipliers are normally < 1 (shift <= 0), so the wrap
 * is only reachable with unusual scales.
 */
export function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  const leftShift = shift > 0 ? shift : 0;
  const rightShift = shift > 0 ? 0 : -shift;
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x << leftShift, multiplier), rightShift);
}
