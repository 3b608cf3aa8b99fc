/* Copied by edge-digits firmware-gen from firmware-gen/engine/ed_fixedpoint.h; edit the original, not this copy. */
/*
 * ed_fixedpoint.h — TensorFlow Lite fixed-point requantization primitives (default double rounding, gemmlowp),
 * bit-exact with TFLite Micro's reference kernels and with src/quantize/fixed-point.ts, which the simulator uses.
 * test/fixed-point-c.test.ts compiles this header with -fsanitize=address,undefined and compares both sides.
 *
 * Quantized multipliers and shifts are computed on the host at generation time (TFLite's "prepare" step,
 * quantizeMultiplier in TS); only the integer "eval" arithmetic lives here. C99, no floating point, no UB.
 */
#ifndef ED_FIXEDPOINT_H
#define ED_FIXEDPOINT_H

#include <stdint.h>

/*
 * Signed right shift of a negative value is implementation-defined in C99 (6.5.7p5). TFLite relies on it being
 * arithmetic, which it is on gcc and arm-none-eabi-gcc (documented gcc behaviour). Refuse to compile otherwise.
 */
typedef char ed_fixedpoint_requires_arithmetic_right_shift[(((int32_t)-8) >> 1) == (int32_t)-4 ? 1 : -1];

/*
 * Reinterprets 32 bits as a two's-complement int32 without the implementation-defined conversion of an
 * out-of-range unsigned value: for u >= 2^31 the result is u - 2^32, computed in range. Compiles to nothing.
 */
static inline int32_t ed_int32_from_bits(uint32_t u) {
  if (u <= (uint32_t)INT32_MAX) return (int32_t)u;
  return (int32_t)(u - UINT32_C(0x80000000)) - INT32_MAX - 1;
}

/*
 * gemmlowp SaturatingRoundingDoublingHighMul (ARM VQRDMULH): a·b / 2^31 rounded to nearest.
 *   ab     = (int64_t)a · b                      |ab| <= 2^62, fits int64_t
 *   nudge  = ab >= 0 ? 2^30 : 1 - 2^30
 *   result = (ab + nudge) / 2^31                  C division, truncates toward zero
 * Ties: +0.5 rounds up, -0.5 rounds to 0 (as VQRDMULH). The quotient fits int32_t except for
 * a = b = INT32_MIN (ab = 2^62, quotient 2^31), which saturates to INT32_MAX.
 */
static inline int32_t ed_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  {
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int32_t nudge = ab >= 0 ? (INT32_C(1) << 30) : (INT32_C(1) - (INT32_C(1) << 30));
    return (int32_t)((ab + nudge) / (INT64_C(1) << 31));
  }
}

/*
 * gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero; exponent in 0..31.
 *   mask      = 2^exponent - 1                    built unsigned: 1 << 31 would overflow int32_t
 *   remainder = x & mask
 *   threshold = (mask >> 1) + (x < 0 ? 1 : 0)
 *   result    = (x >> exponent) + (remainder > threshold ? 1 : 0)
 * No overflow: for exponent >= 1, x >> exponent <= 2^30 - 1, so adding 1 fits.
 */
static inline int32_t ed_rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = (int32_t)(UINT32_C(0x7fffffff) >> (31 - exponent));
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/*
 * TFLite MultiplyByQuantizedMultiplier(int32_t x, int32_t quantized_multiplier, int shift), double rounding:
 *   left_shift  = max(shift, 0),  right_shift = max(-shift, 0)          shift in -31..30
 *   result      = RoundingDivideByPOT(SRDHM(x · 2^left_shift, multiplier), right_shift)
 * TFLite writes x * (1 << left_shift), which is signed overflow (UB) when the product does not fit int32_t.
 * We define it as wrapping modulo 2^32: (int32_t)((uint32_t)x << left_shift). The TS simulator does the same
 * (JS `<<` wraps), so both sides agree even there; requantization with multipliers < 1 never shifts left.
 */
static inline int32_t ed_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  const int32_t x_shifted = ed_int32_from_bits((uint32_t)x << left_shift);
  return ed_rounding_divide_by_pot(ed_srdhm(x_shifted, multiplier), right_shift);
}

#endif /* ED_FIXEDPOINT_H */
