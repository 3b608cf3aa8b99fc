/**
 * int8 LOGISTIC (sigmoid) with TensorFlow Lite Micro's semantics, bit-exact with
 * `tensorflow/lite/kernels/internal/reference/integer_ops/logistic.h` and its prepare step in
 * `micro/kernels/logistic_common.cc`, which evaluate gemmlowp's fixed-point `logistic` (`fixedpoint/fixedpoint.h`).
 * The C twin is `firmware-gen/engine/ed_logistic.h`; test/logistic-c.test.ts proves them equal and
 * test/logistic-tflm.test.ts holds both to TFLM's own kernel.
 *
 * Quantization is fixed by the TFLite int8 spec: output scale 1/256, zero point −128, so real = (q + 128) / 256.
 *
 * Prepare (once, at conversion time, in double):
 *   real        = input_scale · 2^(31 − 4)                 input as Q4.27: 4 integer bits, ±16
 *   (q, shift)  = frexp(real);  multiplier = round(q · 2^31);  left_shift = shift
 *   radius      = floor(15 · 2^(31 − 4) / 2^left_shift)     CalculateInputRadius(4, left_shift, 31)
 * Eval, per element:
 *   x = q_in − input_zero_point                            |x| ≤ 255
 *   x ≤ −radius → −128;   x ≥ radius → 127                  (|x · scale| ≥ ~15: sigmoid saturates in 8 bits)
 *   else  a = MultiplyByQuantizedMultiplier(x, multiplier, left_shift)   x · scale in Q4.27, |a| < 15 · 2^27
 *         y = gemmlowp::logistic(a) (Q0.31)
 *         q_out = clamp(RoundingDivideByPOT(y, 31 − 8) − 128, −128, 127)
 * No overflow: |x| < radius makes |x · 2^left_shift| < 15 · 2^27 < 2^31 and a < 2^31 as multiplier < 2^31.
 *
 * All the gemmlowp helpers below work on int32 raw values of fixed-point numbers; F_n names a Qn.(31 − n) value.
 */
import { frexp, multiplyByQuantizedMultiplier, roundingDivideByPOT, saturatingRoundingDoublingHighMul as srdhm } from './fixed-point.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const TWO_POW_31 = 2147483648;

/** Integer bits of the logistic's fixed-point input (TFLM kInputIntegerBits). */
export const LOGISTIC_INPUT_INTEGER_BITS = 4;
/** TFLite's int8 LOGISTIC output: scale 1/256, zero point −128. */
export const LOGISTIC_OUTPUT_SCALE = 1 / 256;
export const LOGISTIC_OUTPUT_ZERO_POINT = -128;
/** Left shifts the artifact accepts: 0..30 keeps x · 2^shift and TFLM's radius formula defined. */
export const LOGISTIC_MIN_LEFT_SHIFT = 0;
export const LOGISTIC_MAX_LEFT_SHIFT = 30;

/** The prepared logistic: everything eval needs besides the input zero point. */
export interface LogisticParams {
  readonly inputMultiplier: number;
  readonly inputLeftShift: number;
  readonly inputRangeRadius: number;
}

/** TFLM's CalculateInputRadius(input_integer_bits, input_left_shift, 31), exact in double for shifts 0..30. */
export function calculateInputRadius(inputIntegerBits: number, inputLeftShift: number): number {
  return Math.floor((((1 << inputIntegerBits) - 1) * 2 ** (31 - inputIntegerBits)) / 2 ** inputLeftShift);
}

/**
 * TFLM's int8 logistic prepare for an input scale (a float32 value, as in a .tflite file). Throws a RangeError for
 * scales whose left shift falls outside 0..30 (input scale below 2^−28 or at least 8): TFLM's own formula is
 * undefined behaviour or saturates every input there, and no calibrated pre-activation range comes near.
 */
export function prepareLogistic(inputScale: number): LogisticParams {
  if (!Number.isFinite(inputScale) || inputScale <= 0) throw new RangeError(`logistic: input scale must be positive and finite, got ${inputScale}`);
  const real = inputScale * 2 ** (31 - LOGISTIC_INPUT_INTEGER_BITS);
  const { fraction, exponent } = frexp(real);
  // fraction · 2^31 is exact (only the exponent changes); TfLiteRound of a non-negative value rounds half up.
  const scaled = fraction * TWO_POW_31;
  const multiplier = scaled - Math.floor(scaled) >= 0.5 ? Math.floor(scaled) + 1 : Math.floor(scaled);
  if (exponent < LOGISTIC_MIN_LEFT_SHIFT || exponent > LOGISTIC_MAX_LEFT_SHIFT) {
    throw new RangeError(`logistic: input scale ${inputScale} needs left shift ${exponent}, outside ${LOGISTIC_MIN_LEFT_SHIFT}..${LOGISTIC_MAX_LEFT_SHIFT} (scale must be in [2^-28, 8))`);
  }
  // TFLM casts round(q · 2^31) to int32 without the 2^31 adjustment QuantizeMultiplier makes: reachable only for
  // a double scale with more than 24 significant bits, never for a float32 scale. Refuse rather than wrap.
  if (multiplier > INT32_MAX) throw new RangeError(`logistic: input scale ${inputScale} rounds its multiplier to 2^31 (not a float32 scale)`);
  return { inputMultiplier: multiplier, inputLeftShift: exponent, inputRangeRadius: calculateInputRadius(LOGISTIC_INPUT_INTEGER_BITS, exponent) };
}

/** gemmlowp SaturatingRoundingMultiplyByPOT<exponent>: saturating left shift (exponent > 0) or rounding right shift. */
function saturatingRoundingMultiplyByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  if (exponent < 0) return roundingDivideByPOT(x, -exponent);
  const threshold = (1 << (31 - exponent)) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return x << exponent;
}

/** gemmlowp RoundingHalfSum (VRHADD) for int32: (a + b) / 2 rounded half away from zero, in 64-bit. */
export function roundingHalfSum(a: number, b: number): number {
  const sum = a + b; // exact: |sum| < 2^32
  return Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/** int32 addition as gemmlowp writes it (operands never overflow in these kernels; `| 0` keeps an int32 anyway). */
const add = (a: number, b: number): number => (a + b) | 0;

/** gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl: exp(a) for F0 a in [−1/4, 0), Taylor at −1/8. */
function expOnIntervalNegativeQuarterTo0(a: number): number {
  const constantTerm = 1895147668; // exp(−1/8) in Q0.31
  const oneThird = 715827883; // 1/3 in Q0.31
  const x = add(a, 1 << 28); // a + 1/8
  const x2 = srdhm(x, x);
  const x3 = srdhm(x2, x);
  const x4 = srdhm(x2, x2);
  const x4Over4 = saturatingRoundingMultiplyByPOT(x4, -2);
  const poly = saturatingRoundingMultiplyByPOT(add(srdhm(add(x4Over4, x3), oneThird), x2), -1);
  return add(constantTerm, srdhm(constantTerm, add(x, poly)));
}

/** exp(−2^k) in Q0.31 for k = −2..3: gemmlowp's barrel-shifter constants (k = 4 is unused with 4 integer bits). */
const EXP_BARREL: readonly (readonly [number, number])[] = [
  [-2, 1672461947], [-1, 1302514674], [0, 790015084], [1, 290630308], [2, 39332535], [3, 720401],
];

/**
 * gemmlowp exp_on_negative_values for an F4 input a ≤ 0: exp of a mod 1/4 by the Taylor step, times exp(−2^k) for
 * every bit k of the rest. Returns F0 (exp(0) = 1 comes out as INT32_MAX, gemmlowp's F0::One()).
 */
export function expOnNegativeValuesQ4(a: number): number {
  const fractionalBits = 31 - LOGISTIC_INPUT_INTEGER_BITS;
  const oneQuarter = 1 << (fractionalBits - 2);
  const aModQuarterMinusQuarter = add(a & (oneQuarter - 1), -oneQuarter);
  let result = expOnIntervalNegativeQuarterTo0(saturatingRoundingMultiplyByPOT(aModQuarterMinusQuarter, LOGISTIC_INPUT_INTEGER_BITS));
  const remainder = add(aModQuarterMinusQuarter, -a);
  for (const [k, multiplier] of EXP_BARREL) {
    if (remainder & (1 << (fractionalBits + k))) result = srdhm(result, multiplier);
  }
  return a === 0 ? INT32_MAX : result;
}

/** gemmlowp one_over_one_plus_x_for_x_in_0_1: 1/(1 + a) for F0 a in (0, 1), three Newton–Raphson steps in F2. */
export function oneOverOnePlusXForXIn01(a: number): number {
  const halfDenominator = roundingHalfSum(a, INT32_MAX);
  const constant48Over17 = 1515870810; // F2
  const constantNeg32Over17 = -1010580540; // F2
  const oneF2 = 1 << 29;
  let x = add(constant48Over17, srdhm(halfDenominator, constantNeg32Over17));
  for (let i = 0; i < 3; i++) {
    const halfDenominatorTimesX = srdhm(halfDenominator, x);
    const oneMinus = add(oneF2, -halfDenominatorTimesX);
    x = add(x, saturatingRoundingMultiplyByPOT(srdhm(x, oneMinus), 2)); // F4 → F2
  }
  return saturatingRoundingMultiplyByPOT(x, 1); // ExactMulByPot<−1> makes it F1, Rescale<0> shifts left by 1
}

/** gemmlowp logistic for an F4 input: F0 result in [0, 2^31); logistic(0) is exactly 1/2 = 2^30. */
export function logisticQ4(a: number): number {
  if (a === 0) return 1 << 30;
  const positive = a > 0;
  const onPositive = oneOverOnePlusXForXIn01(expOnNegativeValuesQ4(positive ? -a : a));
  return positive ? onPositive : add(INT32_MAX, -onPositive);
}

/** One int8 logistic output (TFLM reference_integer_ops::Logistic for a single element). */
export function logisticElement(q: number, inputZeroPoint: number, p: LogisticParams): number {
  const x = q - inputZeroPoint;
  if (x <= -p.inputRangeRadius) return -128;
  if (x >= p.inputRangeRadius) return 127;
  const inQ4 = multiplyByQuantizedMultiplier(x, p.inputMultiplier, p.inputLeftShift);
  const out = roundingDivideByPOT(logisticQ4(inQ4), 31 - 8) + LOGISTIC_OUTPUT_ZERO_POINT;
  return out < -128 ? -128 : out > 127 ? 127 : out;
}

/**
 * The 256-entry table of a prepared logistic, indexed by q + 128. The op depends on its int8 input alone, so the
 * simulator evaluates the fixed-point formula once per possible input and then only looks up.
 */
export function logisticTable(inputZeroPoint: number, p: LogisticParams): Int8Array {
  const table = new Int8Array(256);
  for (let q = -128; q <= 127; q++) table[q + 128] = logisticElement(q, inputZeroPoint, p);
  return table;
}
