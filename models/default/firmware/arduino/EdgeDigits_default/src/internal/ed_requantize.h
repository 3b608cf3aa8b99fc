/* Copied by edge-digits firmware-gen from firmware-gen/engine/ed_requantize.h; edit the original, not this copy. */
#include "ed_prefix.h" /* added by edge-digits firmware-gen: per-model symbol names */
/*
 * ed_requantize.h — the portable requantization of an int32 accumulator to int8, in its two forms: TFLite's as
 * written (the reference kernels), and one multiply-add and a shift (the packed loops). ed_dsp_conv.h holds the
 * DSP form. All three give the same byte for every input they are used on (dsp_check_main.c, fixed-point-c test).
 */
#ifndef ED_REQUANTIZE_H
#define ED_REQUANTIZE_H

#include <stdint.h>

#include "ed_fixedpoint.h"

#if defined(__GNUC__)
#define ED_NOINLINE __attribute__((noinline))
#else
#define ED_NOINLINE
#endif

/*
 * TFLite's per-channel requantization (reference_integer_ops):
 *   out = clamp(MultiplyByQuantizedMultiplier(acc, multiplier, shift) + output_offset, act_min, act_max)
 * The scaled value is an int32. Adding the output offset (|offset| <= 128) could only overflow within 128 of
 * the int32 limits, where the clamp gives act_max / act_min anyway, so those values are clamped first
 * (reachable only with positive shifts; the simulator adds in doubles and gets the same clamp).
 */
static inline int8_t ed_requantize(int32_t acc, int32_t multiplier, int shift, int32_t output_offset,
                                   int32_t act_min, int32_t act_max) {
  int32_t v = ed_multiply_by_quantized_multiplier(acc, multiplier, shift);
  if (v > INT32_MAX - 128) return (int8_t)act_max;
  if (v < INT32_MIN + 128) return (int8_t)act_min;
  v += output_offset;
  if (v < act_min) v = act_min;
  if (v > act_max) v = act_max;
  return (int8_t)v;
}

/* ed_requantize with the multiply and both roundings folded into ed_requantizer_apply (ed_fixedpoint.h). */
ED_ALWAYS_INLINE int8_t ed_requantize_fast(int32_t acc, const ed_requantizer *q, int exact_below_zero,
                                           int32_t output_offset, int32_t act_min, int32_t act_max) {
  int32_t v = ed_requantizer_apply(q, acc, exact_below_zero);
  /* Beyond [-256, 255] the clamp below gives act_min / act_max whatever the offset: clamp first, add safely. */
  if (v < -256) v = -256;
  if (v > 255) v = 255;
  v += output_offset;
  if (v < act_min) v = act_min;
  if (v > act_max) v = act_max;
  return (int8_t)v;
}

/*
 * Requantizes `count` sums of one output channel (sums[0], sums[sums_stride], ...) plus `bias` into out[0],
 * out[stride], ...: the channel's constants stay in registers for the whole row. exact_below_zero = 0 is allowed
 * when act_min >= output_offset (a ReLU), see ed_requantizer_apply. Not inlined: gcc -Os then keeps its own
 * registers instead of spilling the caller's.
 */
static ED_NOINLINE void ed_requantize_channel_row(const int32_t *sums, int32_t sums_stride, int32_t count,
                                                  int32_t bias, const ed_requantizer *q, int exact_below_zero,
                                                  int32_t output_offset, int32_t act_min, int32_t act_max,
                                                  int8_t *out, int32_t stride) {
  const ed_requantizer rq = *q;
  if (rq.right_shift > 0 && !exact_below_zero && act_min == output_offset && act_max == 127) {
    /* The usual ReLU layer: ed_requantize_fast with its constant tests taken out of the loop. */
    for (; count != 0; --count, sums += sums_stride, out += stride) {
      int32_t v = (int32_t)(((int64_t)(bias + *sums) * rq.multiplier + rq.rounding) >> 32) >> (rq.right_shift - 1);
      v = v < 0 ? 0 : v;
      v = (v > 255 ? 255 : v) + output_offset;
      *out = (int8_t)(v > 127 ? 127 : v);
    }
    return;
  }
  for (; count != 0; --count, sums += sums_stride, out += stride) {
    *out = ed_requantize_fast(bias + *sums, &rq, exact_below_zero, output_offset, act_min, act_max);
  }
}

#endif /* ED_REQUANTIZE_H */
