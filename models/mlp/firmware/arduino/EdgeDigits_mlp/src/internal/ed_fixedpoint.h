/* Copied by edge-digits firmware-gen from firmware-gen/engine/ed_fixedpoint.h; edit the original, not this copy. */
#include "ed_prefix.h" /* added by edge-digits firmware-gen: per-model symbol names */
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

/*
 * The same MultiplyByQuantizedMultiplier as one 64-bit multiply-add and a shift, for inner loops (one SMLAL and
 * one ASR on a Cortex-M4 instead of a 64-bit multiply, two rounding steps and their sign tests).
 * Why it is exact, with ab = x_shifted · multiplier (multiplier >= 0) and r = right_shift:
 *   SRDHM: for ab >= 0 the nudged quotient truncates down, for ab < 0 it truncates up, and
 *          ceil((ab + 1 - 2^30) / 2^31) = floor((ab + 2^30) / 2^31), so in both cases t = floor((ab + 2^30) / 2^31).
 *   RoundingDivideByPOT(t, r), r >= 1: with h = 2^(r-1), t >= 0 gives floor((t + h) / 2^r) and t < 0 gives
 *          floor((t + h - 1) / 2^r) (ties away from zero).
 *   floor((floor(a / m) + k) / n) = floor((a + k·m) / (m·n)) for integers k and m, n > 0, so
 *          result = floor((ab + 2^30 + (h - [t < 0]) · 2^31) / 2^(31 + r)),   and t < 0 exactly when ab + 2^30 < 0.
 * `rounding` holds 2^30 + h·2^31 (2^30 when r = 0, where no second rounding happens). |ab| <= 2^62 and
 * rounding <= 2^61, so the sum fits int64_t. test/c/fixed_point_main.c compares both forms on tie-heavy and
 * random cases.
 */
/* Per output value in the hottest loops: gcc -Os would otherwise call it, ~8 instructions of call for ~15 of work. */
#if defined(__GNUC__)
#define ED_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define ED_ALWAYS_INLINE static inline
#endif

typedef struct {
  int64_t rounding;   /* 2^30 + 2^(30 + right_shift) if right_shift >= 1, else 2^30 */
  int32_t multiplier; /* Q0.31, >= 0 */
  int32_t left_shift;
  int32_t right_shift;
} ed_requantizer;

static inline ed_requantizer ed_requantizer_make(int32_t multiplier, int shift) {
  ed_requantizer q;
  q.multiplier = multiplier;
  q.left_shift = shift > 0 ? shift : 0;
  q.right_shift = shift > 0 ? 0 : -shift;
  q.rounding = (INT64_C(1) << 30) + (q.right_shift > 0 ? (INT64_C(1) << (30 + q.right_shift)) : 0);
  return q;
}

/*
 * ed_multiply_by_quantized_multiplier(x, multiplier, shift) for q = ed_requantizer_make(multiplier, shift).
 * With exact_below_zero = 0 the [t < 0] correction is skipped: results >= 0 are unchanged and a negative result
 * may come out up to 1 higher but never above 0. Callers that clamp every result <= 0 to the same value (a ReLU
 * whose lower clamp is at or above the output offset) get identical outputs for one instruction less per value.
 */
ED_ALWAYS_INLINE int32_t ed_requantizer_apply(const ed_requantizer *q, int32_t x, int exact_below_zero) {
  if (q->right_shift > 0) {
    /* The usual case (real multiplier < 0.5): no left shift, and v >> (31 + r) is one word shifted by r - 1. */
    const int64_t ab = (int64_t)x * q->multiplier;
    int64_t v = ab + q->rounding;
    if (exact_below_zero && ab < -(INT64_C(1) << 30)) v -= INT64_C(1) << 31;
    return (int32_t)(v >> 32) >> (q->right_shift - 1);
  }
  return (int32_t)(((int64_t)ed_int32_from_bits((uint32_t)x << q->left_shift) * q->multiplier + q->rounding) >> 31);
}

#endif /* ED_FIXEDPOINT_H */
