/* Copied by edge-digits firmware-gen from firmware-gen/engine/ed_logistic.h; edit the original, not this copy. */
#include "ed_prefix.h" /* added by edge-digits firmware-gen: per-model symbol names */
/*
 * ed_logistic.h — int8 LOGISTIC (sigmoid), the reference kernel: TFLite Micro's
 * reference_integer_ops::Logistic (tensorflow/lite/kernels/internal/reference/integer_ops/logistic.h) with
 * gemmlowp's fixed-point logistic (fixedpoint/fixedpoint.h), bit-identical to src/quantize/logistic.ts.
 * test/logistic-c.test.ts compares the two with ASan + UBSan on all 256 inputs of hundreds of quantizations, and
 * test/logistic-tflm.test.ts compares both to TFLM's own kernel.
 *
 * Quantization (TFLite int8 spec): output scale 1/256, zero point -128, i.e. real = (q + 128) / 256.
 * Prepare, done by the generator at generation time (src/quantize/logistic.ts, prepareLogistic), as TFLM's
 * logistic_common.cc does:
 *   (q, left_shift) = frexp(input_scale * 2^27);  input_multiplier = round(q * 2^31)         in [2^30, 2^31)
 *   input_range_radius = floor(15 * 2^27 / 2^left_shift)                                      left_shift 0..30
 * Eval, per element:
 *   x = input[i] - input_zero_point                                                           |x| <= 255
 *   x <= -radius: -128;  x >= radius: 127
 *   else: a   = MultiplyByQuantizedMultiplier(x, input_multiplier, left_shift)     x * input_scale in Q4.27
 *         y   = gemmlowp logistic(a)                                                Q0.31, in [0, 2^31)
 *         out = clamp(RoundingDivideByPOT(y, 23) - 128, -128, 127)
 * Bounds: |x| < radius gives |x * 2^left_shift| < 15 * 2^27 < 2^31 (no wrap in the left shift) and |a| < 15 * 2^27.
 * Inside gemmlowp's helpers every sum stays in int32: the Taylor step works on |x| <= 1/8 in Q0.31, and the
 * Newton-Raphson iterate starts in [16/17, 32/17] and converges to 1/d in [1, 2], well inside Q2.29's [-4, 4);
 * products go through ed_srdhm, and left shifts by a power of two saturate as gemmlowp's do.
 *
 * Element-wise: output may equal input (the arena planner runs it in place). C99, integer only, no UB.
 */
#ifndef ED_LOGISTIC_H
#define ED_LOGISTIC_H

#include <stdint.h>

#include "ed_fixedpoint.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Filled in by the generator (designated initializers in <model>_model.c). */
typedef struct {
  int32_t size;                /* elements */
  int32_t input_zero_point;    /* note: the zero point itself, as TFLM passes it, not an offset */
  int32_t input_range_radius;
  int32_t input_multiplier;    /* Q0.31 */
  int32_t input_left_shift;    /* 0..30 */
} ed_logistic_params;

/* gemmlowp SaturatingRoundingMultiplyByPOT<exponent> for exponent > 0: x * 2^exponent, saturated to int32. */
static inline int32_t ed_fp_saturating_shift_left(int32_t x, int exponent) {
  const int32_t threshold = (int32_t)((UINT32_C(1) << (31 - exponent)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return x * (int32_t)(UINT32_C(1) << exponent); /* in range: |x| <= threshold; a multiply, as x may be negative */
}

/* gemmlowp RoundingHalfSum (VRHADD) for int32: (a + b) / 2, ties away from zero, computed in 64 bits. */
static inline int32_t ed_fp_rounding_half_sum(int32_t a, int32_t b) {
  const int64_t sum = (int64_t)a + b;
  return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/*
 * gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl: exp(a) for a in [-1/4, 0) in Q0.31, a
 * Taylor expansion around -1/8: exp(-1/8) * (1 + x + x^2/2 + x^3/6 + x^4/24) with x = a + 1/8, |x| <= 1/8.
 */
static inline int32_t ed_fp_exp_on_interval_neg_quarter_to_0(int32_t a) {
  const int32_t constant_term = 1895147668; /* exp(-1/8) in Q0.31 */
  const int32_t one_third = 715827883;      /* 1/3 in Q0.31 */
  const int32_t x = a + (INT32_C(1) << 28);
  const int32_t x2 = ed_srdhm(x, x);
  const int32_t x3 = ed_srdhm(x2, x);
  const int32_t x4 = ed_srdhm(x2, x2);
  const int32_t x4_over_4 = ed_rounding_divide_by_pot(x4, 2);
  const int32_t poly = ed_rounding_divide_by_pot(ed_srdhm(x4_over_4 + x3, one_third) + x2, 1);
  return constant_term + ed_srdhm(constant_term, x + poly);
}

/*
 * gemmlowp exp_on_negative_values for a Q4.27 input a <= 0, result Q0.31: exp of (a mod 1/4) - 1/4 from the
 * Taylor step, then one multiply by exp(-2^k) for each set bit k = -2..3 of the rest (|a| < 16, so k = 4 never
 * applies with 4 integer bits, as in gemmlowp). exp(0) is Q0.31's "one", INT32_MAX.
 */
static inline int32_t ed_fp_exp_on_negative_values_q4(int32_t a) {
  static const int32_t barrel[6] = {
    1672461947, /* exp(-1/4) */
    1302514674, /* exp(-1/2) */
    790015084,  /* exp(-1) */
    290630308,  /* exp(-2) */
    39332535,   /* exp(-4) */
    720401      /* exp(-8) */
  };
  const int32_t one_quarter = INT32_C(1) << 25; /* 1/4 in Q4.27 */
  const int32_t a_mod_quarter_minus_quarter = (a & (one_quarter - 1)) - one_quarter;
  const int32_t remainder = a_mod_quarter_minus_quarter - a;
  int32_t result = ed_fp_exp_on_interval_neg_quarter_to_0(ed_fp_saturating_shift_left(a_mod_quarter_minus_quarter, 4));
  int k;
  for (k = 0; k < 6; ++k) {
    if (remainder & (INT32_C(1) << (25 + k))) result = ed_srdhm(result, barrel[k]);
  }
  return a == 0 ? INT32_MAX : result;
}

/*
 * gemmlowp one_over_one_plus_x_for_x_in_0_1: 1 / (1 + a) for a in (0, 1] (Q0.31), Newton-Raphson on the half
 * denominator d = (1 + a) / 2 in [1/2, 1]: x0 = 48/17 - 32/17 d, x <- x + x (1 - d x), three times, in Q2.29;
 * the result is x / 2 back in Q0.31.
 */
static inline int32_t ed_fp_one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  const int32_t half_denominator = ed_fp_rounding_half_sum(a, INT32_MAX);
  const int32_t constant_48_over_17 = 1515870810;    /* Q2.29 */
  const int32_t constant_neg_32_over_17 = -1010580540; /* Q2.29 */
  const int32_t one_q2 = INT32_C(1) << 29;
  int32_t x = constant_48_over_17 + ed_srdhm(half_denominator, constant_neg_32_over_17);
  int i;
  for (i = 0; i < 3; ++i) {
    const int32_t one_minus_half_denominator_times_x = one_q2 - ed_srdhm(half_denominator, x);
    x = x + ed_fp_saturating_shift_left(ed_srdhm(x, one_minus_half_denominator_times_x), 2); /* Q4.27 -> Q2.29 */
  }
  return ed_fp_saturating_shift_left(x, 1); /* x / 2 as Q1.30 is the same raw value; to Q0.31 */
}

/* gemmlowp logistic for a Q4.27 input: 1 / (1 + exp(-a)) in Q0.31; logistic(0) is exactly 2^30. */
static inline int32_t ed_fp_logistic_q4(int32_t a) {
  int32_t on_positive;
  if (a == 0) return INT32_C(1) << 30;
  on_positive = ed_fp_one_over_one_plus_x_for_x_in_0_1(ed_fp_exp_on_negative_values_q4(a > 0 ? -a : a));
  return a > 0 ? on_positive : INT32_MAX - on_positive;
}

/* One output element: reference_integer_ops::Logistic's loop body. */
static inline int8_t ed_logistic_element(const ed_logistic_params *p, int8_t q) {
  const int32_t x = (int32_t)q - p->input_zero_point;
  int32_t out;
  if (x <= -p->input_range_radius) return INT8_MIN;
  if (x >= p->input_range_radius) return INT8_MAX;
  out = ed_rounding_divide_by_pot(
            ed_fp_logistic_q4(ed_multiply_by_quantized_multiplier(x, p->input_multiplier, p->input_left_shift)), 31 - 8) -
        128;
  if (out < INT8_MIN) out = INT8_MIN;
  if (out > INT8_MAX) out = INT8_MAX;
  return (int8_t)out;
}

/* The kernel the generated model calls; output may equal input. */
static inline void ed_logistic_s8(const ed_logistic_params *p, const int8_t *input, int8_t *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) output[i] = ed_logistic_element(p, input[i]);
}

#ifdef __cplusplus
}
#endif

#endif /* ED_LOGISTIC_H */
