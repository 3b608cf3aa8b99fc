/* Copied by edge-digits firmware-gen from firmware-gen/engine/ed_dsp.h; edit the original, not this copy. */
#include "ed_prefix.h" /* added by edge-digits firmware-gen: per-model symbol names */
/*
 * ed_dsp.h — Conv2D, FullyConnected and MaxPool for cores with the ARMv7E-M DSP extension (Cortex-M4/M7:
 * SXTB16, SMLAD, SSUB8/SEL), bit-identical to ed_conv2d_s8_portable / ed_fully_connected_s8_portable /
 * ed_max_pool_s8_portable in ed_kernels.h and so to the TypeScript simulator.
 *
 * Included by ed_kernels.h when ED_DSP_KERNELS is on (the default on such cores): the kernels the generated model
 * calls then dispatch here. Needs ED_DSP_COLUMN_CAPACITY (below), which the generated model defines.
 *
 * Three conv loops, chosen per layer:
 *   - packed layers (the generator set p->packed: no padding taps, folded bias, |acc| < 2^30) with at most
 *     ED_DSP_SMALL_TAPS taps per window: ed_dsp_conv2d_small, one window against every channel;
 *   - other packed layers: ed_dsp_conv2d_packed, 4 channels per pass with SMLAD on the NHWC input;
 *   - the rest (padding): the im2col loop below.
 *
 * The im2col loop for Conv2D, and FullyConnected (CMSIS-NN's im2col + 2x2 matrix kernel, TFLite Micro's
 * reference requantization):
 *   1. For two output pixels at a time, copy each receptive field into an int16 "column" with the input offset
 *      already added: col[k] = x[k] + input_offset, in [-255, 255]. Padding taps hold the input zero point in
 *      the reference, so they become exactly 0 here and need no test in the inner loop.
 *      Within every group of 4 taps the column is stored as x0 x2 x1 x3: the order SXTB16 produces when it
 *      widens 4 packed int8 weights w0..w3 into the halfword pairs (w0, w2) and, rotated by 8, (w1, w3).
 *      The two columns are interleaved group by group (8 entries: pixel 0's group, then pixel 1's), so one
 *      LDRD with a small offset reaches either.
 *   2. For two output channels at a time, one SMLAD per halfword pair adds w0*x0 + w2*x2 (then w1*x1 + w3*x3)
 *      to each of 4 accumulators (2 channels x 2 pixels): per 16 MACs, 2 weight words, 4 SXTB16, 2 LDRD and
 *      8 SMLAD (ed_dsp_dot_2x2).
 *   3. Requantize exactly as ed_requantize (ed_dsp_requant_value: the same function of its inputs, cheaper).
 * Exactness: the accumulators hold the same int32 sum as the reference (bias + sum of w * (x + input_offset)),
 * only added in another order. The generator's bound (plan.ts: |bias| + 255 * sum |w| < 2^31) keeps every
 * partial sum in range, so the order does not matter; SMLAD's Q flag is never set and never read.
 * Odd pixel or channel counts run the 2x2 kernel with the last pixel/channel twice and keep one result.
 */
#ifndef ED_DSP_H
#define ED_DSP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ed_engine.h"
#include "ed_fixedpoint.h"

/* ed_kernels.h includes this file after its portable kernels, which the fallbacks here call. */
#ifndef ED_KERNELS_H
#error "include ed_kernels.h, not ed_dsp.h directly: it includes ed_dsp.h on DSP cores"
#endif

#if !defined(__ARM_FEATURE_DSP) || !__ARM_FEATURE_DSP
#error "ed_dsp.h needs the ARMv7E-M DSP extension (e.g. -mcpu=cortex-m4); build the portable engine instead"
#endif
#include <arm_acle.h>

/*
 * int16 entries per column: at least the largest kernel_h * kernel_w * in_c of the model's Conv2D layers and
 * its FullyConnected input count, each rounded up to a multiple of 4. Set by the build from the model. A layer
 * that does not fit runs the portable kernel (same results, slower).
 */
#ifndef ED_DSP_COLUMN_CAPACITY
#error "define ED_DSP_COLUMN_CAPACITY (see ed_dsp.h)"
#endif

/* The two interleaved columns. */
static int16_t ed_dsp_columns[2 * ED_DSP_COLUMN_CAPACITY] __attribute__((aligned(8)));

#define ED_DSP_INLINE static inline __attribute__((always_inline))

ED_DSP_INLINE uint32_t ed_dsp_load32(const void *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v); /* one LDR: the M4 allows unaligned word loads */
  return v;
}

ED_DSP_INLINE void ed_dsp_store32(void *p, uint32_t v) { memcpy(p, &v, sizeof v); }

/* SXTB16 of v rotated right by 8: (sign-extended byte 1, byte 3). One instruction; gcc does not fuse the rotate. */
ED_DSP_INLINE uint32_t ed_dsp_sxtb16_ror8(uint32_t v) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
  return r;
}

/*
 * Where tap k of pixel j (0 or 1) lives in the interleaved columns: taps below `full` (taps rounded down to a
 * multiple of 4) by group g = k / 4 at 8g + 4j, in the order x0 x2 x1 x3; the remaining taps after all groups,
 * pixel j's at 2 * full + 4j, in natural order.
 */
ED_DSP_INLINE int32_t ed_dsp_slot(int32_t k, int32_t full, int32_t j) {
  if (k < full) return ((k >> 2) << 3) + 4 * j + (((k & 1) << 1) | ((k >> 1) & 1));
  return 2 * full + 4 * j + (k - full);
}

/*
 * ed_requantize (ed_kernels.h) with fewer instructions, the same result for every input. Per channel,
 * ed_dsp_channel_requant decodes the shift once; per value, ed_dsp_requant_value:
 *  - SRDHM: (a*b + nudge) / 2^31 truncated toward zero, nudge = 2^30 (ab >= 0) or 1 - 2^30 (ab < 0), equals
 *    floor((a*b + 2^30) / 2^31) for every a*b: for ab >= 0 both are the same floor; for ab < 0 the sum is
 *    negative and truncation adds the 2^31 - 1 that the smaller nudge lacks. One SMLAL and two shifts. The
 *    a = b = INT32_MIN saturation is only possible when the channel's multiplier is INT32_MIN.
 *  - RoundingDivideByPOT as ed_fixedpoint.h, with mask and mask >> 1 computed per channel.
 *  - ed_requantize gives act_max / act_min for values within 128 of the int32 limits before adding the output
 *    offset; saturating to int16 first is equivalent, as |output_offset| <= 128 and [act_min, act_max] lies
 *    inside int8. With the full int8 range as clamp (no fused ReLU), the clamp is one SSAT.
 */
typedef struct {
  int32_t multiplier;
  int32_t left_shift;
  int32_t right_shift;
  int32_t mask;      /* 2^right_shift - 1 */
  int32_t half_mask; /* mask >> 1 */
} ed_dsp_requant;

ED_DSP_INLINE ed_dsp_requant ed_dsp_channel_requant(int32_t multiplier, int shift) {
  ed_dsp_requant r;
  r.multiplier = multiplier;
  r.left_shift = shift > 0 ? shift : 0;
  r.right_shift = shift > 0 ? 0 : -shift;
  r.mask = (int32_t)(UINT32_C(0x7fffffff) >> (31 - r.right_shift));
  r.half_mask = r.mask >> 1;
  return r;
}

ED_DSP_INLINE int8_t ed_dsp_requant_value(const ed_dsp_requant *r, int32_t acc, int32_t output_offset, int32_t act_min,
                                          int32_t act_max) {
  const int32_t a = ed_int32_from_bits((uint32_t)acc << r->left_shift); /* wraps, as ed_fixedpoint.h */
  int32_t x, v;
  if (r->multiplier == INT32_MIN && a == INT32_MIN) x = INT32_MAX;
  else x = (int32_t)(((int64_t)a * (int64_t)r->multiplier + (INT64_C(1) << 30)) >> 31);
  v = (x >> r->right_shift) + ((x & r->mask) > r->half_mask + (int32_t)((uint32_t)x >> 31) ? 1 : 0);
  v = __ssat(v, 16) + output_offset;
  if (act_min == INT8_MIN && act_max == INT8_MAX) return (int8_t)__ssat(v, 8);
  if (v < act_min) v = act_min;
  if (v > act_max) v = act_max;
  return (int8_t)v;
}

/*
 * Stores `count` taps of pixel j, x[0..count) + offset (zeros when x is NULL: padding), starting at tap k.
 * Whole groups starting on a group boundary are widened 4 taps per SXTB16 pair, which is already the group
 * order; the rest goes tap by tap.
 */
ED_DSP_INLINE void ed_dsp_fill_run(int16_t *cols, int32_t j, int32_t k, int32_t full, const int8_t *x,
                                   int32_t count, int32_t offset) {
  int32_t i = 0;
  if ((k & 3) == 0 && k < full) {
    const int32_t simd = (full - k < count ? full - k : count) & ~3;
    const int32_t offset_pair = (int32_t)((uint32_t)(uint16_t)offset * 0x10001u);
    int16_t *dst = cols + 2 * k + 4 * j;
    for (; i < simd; i += 4, dst += 8) {
      if (x == NULL) {
        ed_dsp_store32(dst, 0u);
        ed_dsp_store32(dst + 2, 0u);
      } else {
        const uint32_t v = ed_dsp_load32(x + i);
        ed_dsp_store32(dst, (uint32_t)__sadd16(__sxtb16((int32_t)v), offset_pair));
        ed_dsp_store32(dst + 2, (uint32_t)__sadd16((int32_t)ed_dsp_sxtb16_ror8(v), offset_pair));
      }
    }
  }
  for (; i < count; ++i) cols[ed_dsp_slot(k + i, full, j)] = (int16_t)(x == NULL ? 0 : (int32_t)x[i] + offset);
}

/*
 * The receptive field of output pixel `pixel` (row-major over out_h x out_w) as column j. With in_c a multiple
 * of 4 every tap run is whole groups and is widened straight from the input; otherwise (e.g. the first layer,
 * in_c = 1) the field is first gathered in natural order, padding as the input zero point, and then widened.
 */
ED_DSP_INLINE void ed_dsp_conv_column(const ed_conv2d_params *p, const int8_t *input, int32_t pixel, int32_t j) {
  const int32_t oy = pixel / p->out_w;
  const int32_t ox = pixel - oy * p->out_w;
  const int32_t taps = p->kernel_h * p->kernel_w * p->in_c;
  const int32_t full = taps & ~3;
  int8_t field[ED_DSP_COLUMN_CAPACITY];
  int32_t ky, kx, i;
  int32_t k = 0;
  for (ky = 0; ky < p->kernel_h; ++ky) {
    const int32_t in_y = oy * p->stride_h - p->pad_top + ky;
    for (kx = 0; kx < p->kernel_w; ++kx) {
      const int32_t in_x = ox * p->stride_w - p->pad_left + kx;
      const int inside = in_y >= 0 && in_y < p->in_h && in_x >= 0 && in_x < p->in_w;
      const int8_t *x = inside ? input + (in_y * p->in_w + in_x) * p->in_c : NULL;
      if ((p->in_c & 3) == 0) {
        ed_dsp_fill_run(ed_dsp_columns, j, k, full, x, p->in_c, p->input_offset);
      } else {
        for (i = 0; i < p->in_c; ++i) field[k + i] = x ? x[i] : (int8_t)(-p->input_offset);
      }
      k += p->in_c;
    }
  }
  if ((p->in_c & 3) != 0) ed_dsp_fill_run(ed_dsp_columns, j, 0, full, field, taps, p->input_offset);
}

/*
 * acc[0..3] += the (channel 0, pixel 0), (channel 0, pixel 1), (channel 1, pixel 0), (channel 1, pixel 1) dot
 * products of weight rows w0 and w1 (int8, `taps` each) with the interleaved columns.
 * The loop over groups of 4 taps is one asm block: written in C, gcc -Os kept accumulators on the stack and
 * took 41 instructions per 16 MACs. When `taps` is a compile-time constant (the specialized kernels) row 1 is
 * addressed from row 0's pointer and each column pair comes in with one LDRD: 18 instructions in 13 registers.
 * Otherwise (or for the repeated last channel of an odd count) row 1 needs its own pointer and the columns come
 * in word by word: 20 instructions.
 */
ED_DSP_INLINE void ed_dsp_dot_2x2(const int8_t *w0, const int8_t *w1, int32_t taps, int32_t acc[4]) {
  int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
  const int16_t *col = ed_dsp_columns;
  const int32_t full = taps & ~3;
  int32_t groups = taps >> 2;
  int32_t t;
  if (groups > 0) {
    uint32_t w0e, w0o, w1e, w1o, xa, xb;
    if (__builtin_constant_p(taps) && taps <= 4095 && w1 == w0 + taps) {
      __asm__ volatile(
          "1:\n\t"
          "ldr %[w0e], [%[w0]], #4\n\t"
          "ldr %[w1e], [%[w0], #%c[row] - 4]\n\t"
          "sxtb16 %[w0o], %[w0e], ror #8\n\t"
          "sxtb16 %[w0e], %[w0e]\n\t"
          "sxtb16 %[w1o], %[w1e], ror #8\n\t"
          "sxtb16 %[w1e], %[w1e]\n\t"
          "ldrd %[xa], %[xb], [%[col], #8]\n\t"
          "smlad %[a01], %[w0e], %[xa], %[a01]\n\t"
          "smlad %[a01], %[w0o], %[xb], %[a01]\n\t"
          "smlad %[a11], %[w1e], %[xa], %[a11]\n\t"
          "smlad %[a11], %[w1o], %[xb], %[a11]\n\t"
          "ldrd %[xa], %[xb], [%[col]], #16\n\t"
          "smlad %[a00], %[w0e], %[xa], %[a00]\n\t"
          "smlad %[a00], %[w0o], %[xb], %[a00]\n\t"
          "smlad %[a10], %[w1e], %[xa], %[a10]\n\t"
          "smlad %[a10], %[w1o], %[xb], %[a10]\n\t"
          "subs %[n], %[n], #1\n\t"
          "bne 1b"
          : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [w0] "+r"(w0), [col] "+r"(col),
            [n] "+r"(groups), [w0e] "=&r"(w0e), [w0o] "=&r"(w0o), [w1e] "=&r"(w1e), [w1o] "=&r"(w1o),
            [xa] "=&r"(xa), [xb] "=&r"(xb)
          : [row] "i"(taps)
          : "cc", "memory");
      w1 = w0 + taps;
    } else {
      __asm__ volatile(
          "1:\n\t"
          "ldr %[w0e], [%[w0]], #4\n\t"
          "sxtb16 %[w0o], %[w0e], ror #8\n\t"
          "sxtb16 %[w0e], %[w0e]\n\t"
          "ldr %[w1e], [%[w1]], #4\n\t"
          "sxtb16 %[w1o], %[w1e], ror #8\n\t"
          "sxtb16 %[w1e], %[w1e]\n\t"
          "ldr %[xa], [%[col], #8]\n\t"
          "smlad %[a01], %[w0e], %[xa], %[a01]\n\t"
          "smlad %[a11], %[w1e], %[xa], %[a11]\n\t"
          "ldr %[xa], [%[col], #12]\n\t"
          "smlad %[a01], %[w0o], %[xa], %[a01]\n\t"
          "smlad %[a11], %[w1o], %[xa], %[a11]\n\t"
          "ldr %[xa], [%[col], #4]\n\t"
          "smlad %[a00], %[w0o], %[xa], %[a00]\n\t"
          "smlad %[a10], %[w1o], %[xa], %[a10]\n\t"
          "ldr %[xa], [%[col]], #16\n\t"
          "smlad %[a00], %[w0e], %[xa], %[a00]\n\t"
          "smlad %[a10], %[w1e], %[xa], %[a10]\n\t"
          "subs %[n], %[n], #1\n\t"
          "bne 1b"
          : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [w0] "+r"(w0), [w1] "+r"(w1),
            [col] "+r"(col), [n] "+r"(groups), [w0e] "=&r"(w0e), [w0o] "=&r"(w0o), [w1e] "=&r"(w1e),
            [w1o] "=&r"(w1o), [xa] "=&r"(xa)
          :
          : "cc", "memory");
      (void)xb;
    }
  }
  for (t = 0; t < taps - full; ++t) {
    const int32_t x0 = ed_dsp_columns[2 * full + t];
    const int32_t x1 = ed_dsp_columns[2 * full + 4 + t];
    a00 += (int32_t)w0[t] * x0;
    a01 += (int32_t)w0[t] * x1;
    a10 += (int32_t)w1[t] * x0;
    a11 += (int32_t)w1[t] * x1;
  }
  acc[0] = a00;
  acc[1] = a01;
  acc[2] = a10;
  acc[3] = a11;
}

ED_DSP_INLINE int8_t ed_dsp_requantize_one(int32_t acc, int32_t multiplier, int shift, int32_t output_offset,
                                           int32_t act_min, int32_t act_max) {
  const ed_dsp_requant r = ed_dsp_channel_requant(multiplier, shift);
  return ed_dsp_requant_value(&r, acc, output_offset, act_min, act_max);
}

/* Requantizes one channel's results for both pixels; the per-channel decoding is shared. */
ED_DSP_INLINE void ed_dsp_store_channel(int8_t *out0, int8_t *out1, int32_t acc0, int32_t acc1, int32_t multiplier,
                                        int shift, int32_t output_offset, int32_t act_min, int32_t act_max) {
  const ed_dsp_requant r = ed_dsp_channel_requant(multiplier, shift);
  *out0 = ed_dsp_requant_value(&r, acc0, output_offset, act_min, act_max);
  *out1 = ed_dsp_requant_value(&r, acc1, output_offset, act_min, act_max);
}

/*
 * The packed DSP conv loop, for the layers the generator marked packed (p->packed: every window inside the
 * input, folded bias, |accumulator| < 2^30; plan.ts). Four output channels per pass over a window, as the
 * portable packed loop, with SMLAD instead of the lane trick:
 *   - per channel group, the weights are widened once into p->packed: per block of 4 taps and channel the
 *     halfword pairs (w0, w2) and (w1, w3), the order SXTB16 gives the inputs;
 *   - per 4 input bytes one LDR and two SXTB16, then per channel one LDRD and two SMLAD: 17 instructions per
 *     16 MACs (ed_dsp_window4), straight from the NHWC input when each window row is a multiple of 4 bytes;
 *     otherwise (e.g. the first layer, 3 bytes per row) each output row's windows are first gathered into the
 *     column buffer with every window row padded to 4 (zero weights on the padding);
 *   - requantization per output channel and row (ed_dsp_requantize_row).
 */

/* Taps of one window row, rounded up to the 4-tap blocks of ed_dsp_window4. */
ED_DSP_INLINE int32_t ed_dsp_run4(const ed_conv2d_params *p) { return (p->kernel_w * p->in_c + 3) & ~3; }

/*
 * Widens the weights of channels [c0, c0 + n) (n <= 4; the rest zero) into dst, 8 words per block of 4 taps:
 * channel j's (w0, w2) then (w1, w3). Rows of run taps are padded to run4 with zeros.
 */
static ED_NOINLINE void ed_dsp_widen_group(const int8_t *weights, int32_t taps, int32_t n, int32_t rows, int32_t run,
                                           int32_t run4, uint32_t *dst) {
  const int32_t blocks_per_row = run4 >> 2;
  int32_t r, b, j, t;
  if (run4 == run && n == 4) {
    const int8_t *w = weights;
    const int32_t blocks = (rows * run) >> 2;
    for (b = 0; b < blocks; ++b, w += 4, dst += 8) {
      for (j = 0; j < 4; ++j) {
        const uint32_t v = ed_dsp_load32(w + j * taps);
        dst[2 * j] = (uint32_t)__sxtb16((int32_t)v);
        dst[2 * j + 1] = ed_dsp_sxtb16_ror8(v);
      }
    }
    return;
  }
  for (r = 0; r < rows; ++r) {
    for (b = 0; b < blocks_per_row; ++b, dst += 8) {
      for (j = 0; j < 4; ++j) {
        int32_t q[4];
        for (t = 0; t < 4; ++t) {
          const int32_t k = 4 * b + t;
          q[t] = j < n && k < run ? weights[j * taps + r * run + k] : 0;
        }
        dst[2 * j] = (uint32_t)(uint16_t)q[0] | ((uint32_t)(uint16_t)q[2] << 16);
        dst[2 * j + 1] = (uint32_t)(uint16_t)q[1] | ((uint32_t)(uint16_t)q[3] << 16);
      }
    }
  }
}

/* One block of 4 taps against the 4 channels: LDR + 2 SXTB16, then per channel LDRD + 2 SMLAD. */
#define ED_DSP_BLOCK4                           \
  "ldr %[xo], [%[x]], #4\n\t"                   \
  "sxtb16 %[xe], %[xo]\n\t"                     \
  "sxtb16 %[xo], %[xo], ror #8\n\t"             \
  "ldrd %[we], %[wo], [%[w]], #8\n\t"           \
  "smlad %[a0], %[we], %[xe], %[a0]\n\t"        \
  "smlad %[a0], %[wo], %[xo], %[a0]\n\t"        \
  "ldrd %[we], %[wo], [%[w]], #8\n\t"           \
  "smlad %[a1], %[we], %[xe], %[a1]\n\t"        \
  "smlad %[a1], %[wo], %[xo], %[a1]\n\t"        \
  "ldrd %[we], %[wo], [%[w]], #8\n\t"           \
  "smlad %[a2], %[we], %[xe], %[a2]\n\t"        \
  "smlad %[a2], %[wo], %[xo], %[a2]\n\t"        \
  "ldrd %[we], %[wo], [%[w]], #8\n\t"           \
  "smlad %[a3], %[we], %[xe], %[a3]\n\t"        \
  "smlad %[a3], %[wo], %[xo], %[a3]\n\t"

/* Where the windows of one output row are and how ed_dsp_row4 walks them. */
typedef struct {
  int32_t blocks;    /* 4-tap blocks per window row */
  int32_t skip;      /* bytes from the end of one window row to the start of the next */
  int32_t rows;      /* window rows */
  int32_t col_step;  /* bytes from one window to the next */
} ed_dsp_walk;

/*
 * sums[4 * i + j] = channel j's dot product of window i (i < count, windows from x, col_step apart) with the
 * widened weights w. The block loop is asm, two blocks per turn (one first when the count is odd): in C, gcc -Os
 * spilled the accumulators. 16 instructions per 16 MACs plus one per 32.
 */
static ED_NOINLINE void ed_dsp_row4(const int8_t *x, int32_t count, const ed_dsp_walk *walk, const uint32_t *weights,
                                    int32_t *sums) {
  for (; count != 0; --count, x += walk->col_step, sums += 4) {
    const int8_t *xi = x;
    const uint32_t *w = weights;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int32_t rows = walk->rows;
    do {
      int32_t n = walk->blocks;
      uint32_t xe, xo, we, wo;
      __asm__ volatile(
          "tst %[n], #1\n\t"
          "beq 2f\n\t"
          ED_DSP_BLOCK4
          "2:\n\t"
          "lsrs %[n], %[n], #1\n\t"
          "beq 3f\n\t"
          "1:\n\t"
          ED_DSP_BLOCK4
          ED_DSP_BLOCK4
          "subs %[n], %[n], #1\n\t"
          "bne 1b\n\t"
          "3:"
          : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(xi), [w] "+r"(w), [n] "+r"(n),
            [xe] "=&r"(xe), [xo] "=&r"(xo), [we] "=&r"(we), [wo] "=&r"(wo)
          :
          : "cc", "memory");
      xi += walk->skip;
    } while (--rows != 0);
    sums[0] = a0;
    sums[1] = a1;
    sums[2] = a2;
    sums[3] = a3;
  }
}

/* (t + h) >> 32 rounded, t = a * b: SMMLAR. */
ED_DSP_INLINE int32_t ed_dsp_smmlar(int32_t a, int32_t b, int32_t h) {
  int32_t r;
  __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(h));
  return r;
}

/*
 * Requantizes `count` sums of one output channel (sums[0], sums[sums_stride], ...) into out[0], out[stride], ...,
 * as ed_requantize. The usual int8 ReLU output (zero point -128, clamp [-128, 127], a right shift r <= 23) takes
 * a shortcut: SRDHM(acc, M) = floor((acc*M + 2^30) / 2^31) = floor((2acc*M + 2^31) / 2^32), which is
 * SMMULR(2acc, M) while |acc| < 2^30 (the generator checks), and SMMLAR adds in the same instruction both the
 * second rounding's 2^(r-1) and the zero point times 2^r; one shift and one SSAT finish it. As in
 * ed_requantizer_apply, the negative-tie correction is skipped: it changes only values the ReLU clamps to -128
 * anyway. About 8 instructions per value with the loop; not inlined, so that its registers are its own.
 */
static ED_NOINLINE void ed_dsp_requantize_row(const int32_t *sums, int32_t sums_stride, int32_t count, int32_t bias,
                                              const ed_requantizer *q, int exact_below_zero, int32_t output_offset,
                                              int32_t act_min, int32_t act_max, int8_t *out, int32_t stride) {
  if (q->right_shift > 0 && q->right_shift <= 23 && output_offset == -128 && act_min == -128 && act_max == 127) {
    const int32_t bias2 = 2 * bias, m = q->multiplier, r = q->right_shift;
    const int32_t h = (INT32_C(1) << (r - 1)) - (INT32_C(128) << r);
    /* Two values per turn (one first if the count is odd): the loop test is a third of the work otherwise. */
    if (count & 1) {
      *out = (int8_t)__ssat(ed_dsp_smmlar(bias2 + *sums * 2, m, h) >> r, 8);
      sums += sums_stride;
      out += stride;
    }
    for (count >>= 1; count != 0; --count, sums += 2 * sums_stride, out += 2 * stride) {
      out[0] = (int8_t)__ssat(ed_dsp_smmlar(bias2 + sums[0] * 2, m, h) >> r, 8);
      out[stride] = (int8_t)__ssat(ed_dsp_smmlar(bias2 + sums[sums_stride] * 2, m, h) >> r, 8);
    }
    return;
  }
  for (; count != 0; --count, sums += sums_stride, out += stride) {
    *out = ed_requantize_fast(bias + *sums, q, exact_below_zero, output_offset, act_min, act_max);
  }
}

/* Words of widened weights per channel group: 8 per block of 4 taps, window rows rounded up to blocks. */
ED_DSP_INLINE int32_t ed_dsp_group_words(const ed_conv2d_params *p) { return 2 * p->kernel_h * ed_dsp_run4(p); }

/*
 * Whether ed_dsp_conv2d_packed can run layer p: the generator packed it, and when window rows must be gathered,
 * one output row of windows fits the column buffer and every group's widened weights fit the scratch (the
 * generator sizes it for that: packedConvEligibility).
 */
ED_DSP_INLINE int ed_dsp_packed_fits(const ed_conv2d_params *p) {
  const int32_t run = p->kernel_w * p->in_c;
  return p->packed != 0 &&
         (ed_dsp_run4(p) == run ||
          p->out_w * p->kernel_h * ed_dsp_run4(p) <= (int32_t)(2 * ED_DSP_COLUMN_CAPACITY * sizeof(int16_t)));
}

/* The requantization of one output row of sums (4 per pixel), channels [c0, c0 + n). */
ED_DSP_INLINE void ed_dsp_requantize_rows(const ed_conv2d_params *p, const int32_t *sums, int32_t c0, int32_t n,
                                          const ed_requantizer *rq, int8_t *out) {
  const int exact_below_zero = p->activation_min < p->output_offset;
  int32_t j;
  for (j = 0; j < n; ++j) {
    ed_dsp_requantize_row(sums + j, 4, p->out_w, p->folded_bias[c0 + j], &rq[j], exact_below_zero, p->output_offset,
                          p->activation_min, p->activation_max, out + j, p->out_c);
  }
}

ED_DSP_INLINE void ed_dsp_make_requantizers(const ed_conv2d_params *p, int32_t c0, int32_t n, ed_requantizer rq[4]) {
  int32_t j;
  for (j = 0; j < n; ++j) rq[j] = ed_requantizer_make(p->multipliers[c0 + j], p->shifts[c0 + j]);
}

ED_KERNEL void ed_dsp_conv2d_packed(const ed_conv2d_params *p, const int8_t *restrict input, int8_t *restrict output) {
  const int32_t run = p->kernel_w * p->in_c;
  const int32_t run4 = ed_dsp_run4(p);
  const int32_t taps = p->kernel_h * run;
  const int32_t group_words = ed_dsp_group_words(p);
  const int32_t groups = (p->out_c + 3) >> 2;
  const int32_t row_bytes = p->stride_h * p->in_w * p->in_c;
  uint32_t *const widened = (uint32_t *)p->packed;
  ed_requantizer rq[4];
  ed_dsp_walk walk;
  int32_t g, oy;
  if (run4 == run) {
    /* Windows read straight from the input; one channel group's widened weights at a time, then its sums. */
    int32_t *const sums = p->packed + group_words;
    walk.blocks = run >> 2;
    walk.skip = p->in_w * p->in_c - run;
    walk.rows = p->kernel_h;
    walk.col_step = p->stride_w * p->in_c;
    for (g = 0; g < groups; ++g) {
      const int32_t c0 = 4 * g, n = p->out_c - c0 < 4 ? p->out_c - c0 : 4;
      ed_dsp_make_requantizers(p, c0, n, rq);
      ed_dsp_widen_group(p->weights + c0 * taps, taps, n, p->kernel_h, run, run4, widened);
      for (oy = 0; oy < p->out_h; ++oy) {
        ed_dsp_row4(input + oy * row_bytes, p->out_w, &walk, widened, sums);
        ed_dsp_requantize_rows(p, sums, c0, n, rq, output + oy * p->out_w * p->out_c + c0);
      }
    }
  } else {
    /* Window rows of run bytes (e.g. 3 in a first layer): each output row's windows are gathered once into the
     * column buffer, every window row padded to run4 with zeros (which meet zero weights), and all groups run
     * on them; every group's weights were widened up front. */
    int8_t *const gathered = (int8_t *)ed_dsp_columns;
    int32_t *const sums = p->packed + groups * group_words;
    const int32_t window4 = p->kernel_h * run4;
    int32_t ox, ky, t;
    walk.blocks = window4 >> 2;
    walk.skip = 0;
    walk.rows = 1;
    walk.col_step = window4;
    for (g = 0; g < groups; ++g) {
      const int32_t c0 = 4 * g, n = p->out_c - c0 < 4 ? p->out_c - c0 : 4;
      ed_dsp_widen_group(p->weights + c0 * taps, taps, n, p->kernel_h, run, run4, widened + g * group_words);
    }
    for (oy = 0; oy < p->out_h; ++oy) {
      const int8_t *in_row = input + oy * row_bytes;
      int8_t *dst = gathered;
      for (ox = 0; ox < p->out_w; ++ox) {
        for (ky = 0; ky < p->kernel_h; ++ky) {
          const int8_t *src = in_row + (ky * p->in_w + ox * p->stride_w) * p->in_c;
          for (t = 0; t < run; ++t) *dst++ = src[t];
          for (; t < run4; ++t) *dst++ = 0;
        }
      }
      for (g = 0; g < groups; ++g) {
        const int32_t c0 = 4 * g, n = p->out_c - c0 < 4 ? p->out_c - c0 : 4;
        ed_dsp_make_requantizers(p, c0, n, rq);
        ed_dsp_row4(gathered, p->out_w, &walk, widened + g * group_words, sums);
        ed_dsp_requantize_rows(p, sums, c0, n, rq, output + oy * p->out_w * p->out_c + c0);
      }
    }
  }
}

/*
 * Small windows (at most ED_DSP_SMALL_TAPS taps, e.g. a 3x3 first layer on one input channel): four 4-tap
 * blocks per window would waste a quarter of the MACs on padding and the per-window work would dominate, so
 * the loop turns around: one window, widened once into 5 halfword pairs held in registers, against every output
 * channel in turn (5 SMLAD and 3 loads per channel, ed_dsp_small_pixel). Weights: 5 words per channel, taps in
 * window order (3 rows of 3: see rows_of_3), padded with zero.
 */
#define ED_DSP_SMALL_TAPS 10

ED_DSP_INLINE int ed_dsp_small_window(const ed_conv2d_params *p) {
  return p->packed != 0 && p->kernel_h * p->kernel_w * p->in_c <= ED_DSP_SMALL_TAPS;
}

/* Two int8 values as the halfword pair (lo, hi), as SMLAD reads them. */
ED_DSP_INLINE uint32_t ed_dsp_pair(int32_t lo, int32_t hi) { return (uint32_t)(uint16_t)lo | ((uint32_t)hi << 16); }

/* sums[c] = window . channel c's widened weights, for c < channels; two channels per turn, one first if odd. */
#define ED_DSP_SMALL_CHANNEL                   \
  "ldrd %[a], %[b], [%[w]], #8\n\t"            \
  "smuad %[acc], %[p0], %[a]\n\t"              \
  "smlad %[acc], %[p1], %[b], %[acc]\n\t"      \
  "ldrd %[a], %[b], [%[w]], #8\n\t"            \
  "smlad %[acc], %[p2], %[a], %[acc]\n\t"      \
  "smlad %[acc], %[p3], %[b], %[acc]\n\t"      \
  "ldr %[a], [%[w]], #4\n\t"                   \
  "smlad %[acc], %[p4], %[a], %[acc]\n\t"      \
  "str %[acc], [%[s]], #4\n\t"

static ED_NOINLINE void ed_dsp_small_pixel(const uint32_t *window, const uint32_t *w, int32_t channels, int32_t *sums) {
  const uint32_t p0 = window[0], p1 = window[1], p2 = window[2], p3 = window[3], p4 = window[4];
  uint32_t a, b;
  int32_t acc;
  __asm__ volatile(
      "tst %[n], #1\n\t"
      "beq 2f\n\t"
      ED_DSP_SMALL_CHANNEL
      "2:\n\t"
      "lsrs %[n], %[n], #1\n\t"
      "beq 3f\n\t"
      "1:\n\t"
      ED_DSP_SMALL_CHANNEL
      ED_DSP_SMALL_CHANNEL
      "subs %[n], %[n], #1\n\t"
      "bne 1b\n\t"
      "3:"
      : [w] "+r"(w), [s] "+r"(sums), [n] "+r"(channels), [a] "=&r"(a), [b] "=&r"(b), [acc] "=&r"(acc)
      : [p0] "r"(p0), [p1] "r"(p1), [p2] "r"(p2), [p3] "r"(p3), [p4] "r"(p4)
      : "cc", "memory");
}

ED_KERNEL void ed_dsp_conv2d_small(const ed_conv2d_params *p, const int8_t *restrict input, int8_t *restrict output) {
  const int32_t run = p->kernel_w * p->in_c;
  const int32_t taps = p->kernel_h * run;
  const int exact_below_zero = p->activation_min < p->output_offset;
  /* p->packed: 5 words per channel, then one output row of sums (out_c per pixel); sized by the generator. */
  uint32_t *const widened = (uint32_t *)p->packed;
  int32_t *const sums = p->packed + 5 * p->out_c;
  int32_t c, k, oy, ox, ky, t;
  /* Tap order of the 10 halfwords: natural, except for 3 rows of 3 (below). -1 is the zero padding. */
  static const int8_t natural[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  static const int8_t rows_of_3[10] = {0, 1, 3, 4, 6, 7, 2, 5, 8, -1};
  const int three_by_three = run == 3 && p->kernel_h == 3;
  const int8_t *const order = three_by_three ? rows_of_3 : natural;
  for (c = 0; c < p->out_c; ++c) {
    for (k = 0; k < 5; ++k) {
      const int32_t tlo = order[2 * k], thi = order[2 * k + 1];
      const int32_t lo = tlo >= 0 && tlo < taps ? p->weights[c * taps + tlo] : 0;
      const int32_t hi = thi >= 0 && thi < taps ? p->weights[c * taps + thi] : 0;
      widened[5 * c + k] = (uint32_t)(uint16_t)lo | ((uint32_t)(uint16_t)hi << 16);
    }
  }
  for (oy = 0; oy < p->out_h; ++oy) {
    const int8_t *in_row = input + oy * p->stride_h * p->in_w * p->in_c;
    for (ox = 0; ox < p->out_w; ++ox) {
      uint32_t pairs[5];
      if (three_by_three) {
        /* Window rows of 3 bytes (a 3x3 kernel on one channel): each row's first two taps make a pair, the
         * third taps pair up across rows; 14 loads and packs instead of a tap-by-tap copy. */
        const int8_t *r0 = in_row + ox * p->stride_w * p->in_c;
        const int8_t *r1 = r0 + p->in_w * p->in_c;
        const int8_t *r2 = r1 + p->in_w * p->in_c;
        pairs[0] = ed_dsp_pair(r0[0], r0[1]);
        pairs[1] = ed_dsp_pair(r1[0], r1[1]);
        pairs[2] = ed_dsp_pair(r2[0], r2[1]);
        pairs[3] = ed_dsp_pair(r0[2], r1[2]);
        pairs[4] = ed_dsp_pair(r2[2], 0);
      } else {
        int16_t window[2 * 5];
        k = 0;
        for (ky = 0; ky < p->kernel_h; ++ky) {
          const int8_t *src = in_row + (ky * p->in_w + ox * p->stride_w) * p->in_c;
          for (t = 0; t < run; ++t) window[k++] = src[t];
        }
        for (; k < 10; ++k) window[k] = 0;
        memcpy(pairs, window, sizeof pairs);
      }
      ed_dsp_small_pixel(pairs, widened, p->out_c, sums + ox * p->out_c);
    }
    for (c = 0; c < p->out_c; ++c) {
      const ed_requantizer rq = ed_requantizer_make(p->multipliers[c], p->shifts[c]);
      ed_dsp_requantize_row(sums + c, p->out_c, p->out_w, p->folded_bias[c], &rq, exact_below_zero, p->output_offset,
                            p->activation_min, p->activation_max, output + oy * p->out_w * p->out_c + c, p->out_c);
    }
  }
}

/* Same contract as ed_conv2d_s8 (ed_kernels.h). */
ED_KERNEL void ed_dsp_conv2d_s8(const ed_conv2d_params *p, const int8_t *restrict input, int8_t *restrict output) {
  const int32_t taps = p->kernel_h * p->kernel_w * p->in_c;
  const int32_t pixels = p->out_h * p->out_w;
  int32_t pixel, c;
  if (ed_dsp_small_window(p)) {
    ed_dsp_conv2d_small(p, input, output);
    return;
  }
  if (ed_dsp_packed_fits(p)) {
    ed_dsp_conv2d_packed(p, input, output);
    return;
  }
  if (((taps + 3) & ~3) > ED_DSP_COLUMN_CAPACITY) {
    ed_conv2d_s8_portable(p, input, output);
    return;
  }
  for (pixel = 0; pixel < pixels; pixel += 2) {
    const int32_t second = pixel + 1 < pixels ? pixel + 1 : pixel;
    int8_t *out0 = output + pixel * p->out_c;
    int8_t *out1 = output + second * p->out_c;
    ed_dsp_conv_column(p, input, pixel, 0);
    ed_dsp_conv_column(p, input, second, 1);
    for (c = 0; c < p->out_c; c += 2) {
      const int32_t c1 = c + 1 < p->out_c ? c + 1 : c;
      int32_t acc[4];
      acc[0] = acc[1] = p->bias[c];
      acc[2] = acc[3] = p->bias[c1];
      ed_dsp_dot_2x2(p->weights + c * taps, p->weights + c1 * taps, taps, acc);
      /* When second == pixel or c1 == c, the same value is written twice. */
      ed_dsp_store_channel(out0 + c, out1 + c, acc[0], acc[1], p->multipliers[c], p->shifts[c], p->output_offset,
                           p->activation_min, p->activation_max);
      ed_dsp_store_channel(out0 + c1, out1 + c1, acc[2], acc[3], p->multipliers[c1], p->shifts[c1],
                           p->output_offset, p->activation_min, p->activation_max);
    }
  }
}

/* Same contract as ed_fully_connected_s8 (ed_kernels.h). The input fills both columns. */
ED_KERNEL void ed_dsp_fully_connected_s8(const ed_fully_connected_params *p, const int8_t *restrict input,
                                         int8_t *restrict output) {
  const int32_t n = p->inputs;
  int32_t u;
  if (((n + 3) & ~3) > ED_DSP_COLUMN_CAPACITY) {
    ed_fully_connected_s8_portable(p, input, output);
    return;
  }
  ed_dsp_fill_run(ed_dsp_columns, 0, 0, n & ~3, input, n, p->input_offset);
  ed_dsp_fill_run(ed_dsp_columns, 1, 0, n & ~3, input, n, p->input_offset);
  for (u = 0; u < p->units; u += 2) {
    const int32_t u1 = u + 1 < p->units ? u + 1 : u;
    int32_t acc[4];
    acc[0] = acc[1] = p->bias[u];
    acc[2] = acc[3] = p->bias[u1];
    ed_dsp_dot_2x2(p->weights + u * n, p->weights + u1 * n, n, acc);
    output[u] = ed_dsp_requantize_one(acc[0], p->multipliers[u], p->shifts[u], p->output_offset, p->activation_min,
                                      p->activation_max);
    output[u1] = ed_dsp_requantize_one(acc[2], p->multipliers[u1], p->shifts[u1], p->output_offset,
                                       p->activation_min, p->activation_max);
  }
}

/* Per-byte signed max / min of 4 packed int8: SSUB8 sets each lane's GE flag where a >= b, SEL picks by it.
 * One asm block, so nothing can come between the flags and their use. */
ED_DSP_INLINE uint32_t ed_dsp_max4(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("ssub8 %0, %1, %2\n\tsel %0, %1, %2" : "=&r"(r) : "r"(a), "r"(b) : "cc");
  return r;
}

ED_DSP_INLINE uint32_t ed_dsp_min4(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("ssub8 %0, %2, %1\n\tsel %0, %1, %2" : "=&r"(r) : "r"(a), "r"(b) : "cc");
  return r;
}

/*
 * Same contract as ed_max_pool_s8 (ed_kernels.h), in place included. Four channels at a time with per-byte max,
 * the clamp to [act_min, act_max] per byte the same way; channels beyond a multiple of 4 one by one.
 * In place: every 4-byte output word is written after its windows were read, and later windows start at or
 * after it (ed_kernels.h's argument, per byte).
 */
ED_KERNEL void ed_dsp_max_pool_s8(const ed_max_pool_params *p, const int8_t *input, int8_t *output) {
  const int32_t groups = p->channels >> 2;
  const uint32_t lo = (uint32_t)(uint8_t)(int8_t)p->activation_min * 0x01010101u;
  const uint32_t hi = (uint32_t)(uint8_t)(int8_t)p->activation_max * 0x01010101u;
  int32_t oy, ox, g, c, py, px;
  for (oy = 0; oy < p->out_h; ++oy) {
    for (ox = 0; ox < p->out_w; ++ox) {
      const int8_t *window = input + ((oy * p->stride_h) * p->in_w + ox * p->stride_w) * p->channels;
      for (g = 0; g < groups; ++g) {
        uint32_t m = 0x80808080u; /* INT8_MIN in every lane */
        for (py = 0; py < p->pool_h; ++py) {
          for (px = 0; px < p->pool_w; ++px) {
            m = ed_dsp_max4(ed_dsp_load32(window + (py * p->in_w + px) * p->channels + 4 * g), m);
          }
        }
        ed_dsp_store32(output + 4 * g, ed_dsp_min4(ed_dsp_max4(m, lo), hi));
      }
      for (c = 4 * groups; c < p->channels; ++c) {
        int32_t v = INT8_MIN;
        for (py = 0; py < p->pool_h; ++py) {
          for (px = 0; px < p->pool_w; ++px) {
            const int32_t x = window[(py * p->in_w + px) * p->channels + c];
            if (x > v) v = x;
          }
        }
        if (v < p->activation_min) v = p->activation_min;
        if (v > p->activation_max) v = p->activation_max;
        output[c] = (int8_t)v;
      }
      output += p->channels;
    }
  }
}

#endif /* ED_DSP_H */
