/* Copied by edge-digits firmware-gen from firmware-gen/engine/ed_dsp_conv.h; edit the original, not this copy. */
#include "ed_prefix.h" /* added by edge-digits firmware-gen: per-model symbol names */
/*
 * ed_dsp_conv.h — Conv2D (and Conv2D + fused MaxPool) for cores with the ARMv7E-M DSP extension (Cortex-M4/M7:
 * SXTB16, SMLAD, SMMLAR), bit-identical to ed_conv.h. Two loops, one per layer shape, each for layers the
 * generator marked packed (p->packed: every window inside the input, folded bias, |accumulator| < 2^30; plan.ts):
 *   - 3x3 windows on one input channel, stride 1, with a fused 2x2 max-pool (a first layer): a pooled output's four
 *     windows paired from one 4x4 input patch, then each channel over a pooled row with its weights in registers
 *     (ed_dsp_conv3x3_pool2x2: 37 instructions per 36 MACs);
 *   - in_c a multiple of 4 (so every window starts on a 4-byte block): the input widened once into SMLAD order, and four
 *     output channels per pass, their weights widened once per layer alike; per 4 taps one LDRD of input, then two
 *     LDM of two channels' words and 8 SMLAD (ed_dsp_row4): 11 instructions per 16 MACs, through ed_conv_packed.h's
 *     row driver (the fused pool).
 * Other layers run the portable kernels (same results). Both requantize with SMMLAR (ed_dsp_requantize_row).
 * Exactness: the accumulators hold the reference's int32 sums, added in another order; the generator's bound keeps
 * every partial sum in range, so SMLAD's Q flag is never set and never read. Measured gains: docs/m4-cost.md.
 */
#ifndef ED_DSP_CONV_H
#define ED_DSP_CONV_H

#include <stdint.h>
#include <string.h>

#include "ed_conv_packed.h"

/* ed_kernels.h includes this file after the portable kernels, which the other layers run. */
#ifndef ED_KERNELS_H
#error "include ed_kernels.h, not ed_dsp_conv.h directly: it includes the DSP kernels on DSP cores"
#endif
#if !defined(__ARM_FEATURE_DSP) || !__ARM_FEATURE_DSP
#error "ed_dsp_conv.h needs the ARMv7E-M DSP extension (e.g. -mcpu=cortex-m4); build the portable engine instead"
#endif
#include <arm_acle.h>

#define ED_DSP_INLINE static inline __attribute__((always_inline))

ED_DSP_INLINE uint32_t ed_dsp_load32(const void *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v); /* one LDR: the M4 allows unaligned word loads */
  return v;
}

/* SXTB16 of v rotated right by 8: (sign-extended byte 1, byte 3). One instruction; gcc does not fuse the rotate. */
ED_DSP_INLINE uint32_t ed_dsp_sxtb16_ror8(uint32_t v) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
  return r;
}

/* (a * b + h * 2^32 + 2^31) >> 32: SMMLAR. */
ED_DSP_INLINE int32_t ed_dsp_smmlar(int32_t a, int32_t b, int32_t h) {
  int32_t r;
  __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(h));
  return r;
}

/*
 * The DSP form of requantization (ed_requantize_row_fn), for the packed layers' |acc| < 2^30. With right shift
 * r in 1..22 and act_min >= output_offset (a ReLU, the usual conv):
 *   SRDHM(acc, M) = floor((acc*M + 2^30) / 2^31) = floor((2acc*M + 2^31) / 2^32) = SMMULR(2acc, M), exact for
 *   |acc| < 2^30; SMMLAR adds in the same instruction the second rounding's 2^(r-1) and the zero point times 2^r
 *   (|t + h| < 2^30 + 2^29 + 2^21: no overflow for r <= 22); one shift and the clamp finish it. As in
 *   ed_requantizer_apply, RoundingDivideByPOT's tie correction for negative values is skipped: it changes a value
 *   only from at most zp - 1 to zp, which a clamp at act_min >= zp maps to the same byte.
 * Otherwise the portable form. About 6 instructions per value with the loop.
 */
static ED_NOINLINE void ed_dsp_requantize_row(const int32_t *sums, int32_t sums_stride, int32_t count, int32_t bias,
                                              const ed_requantizer *q, int exact_below_zero, int32_t output_offset,
                                              int32_t act_min, int32_t act_max, int8_t *out, int32_t stride) {
  const int32_t r = q->right_shift;
  if (r >= 1 && r <= 22 && act_min >= output_offset) {
    const int32_t bias2 = 2 * bias, m = q->multiplier;
    const int32_t h = (INT32_C(1) << (r - 1)) + output_offset * (INT32_C(1) << r);
    if (act_min == INT8_MIN && act_max == INT8_MAX) {
      for (; count != 0; --count, sums += sums_stride, out += stride) {
        *out = (int8_t)__ssat(ed_dsp_smmlar(bias2 + *sums * 2, m, h) >> r, 8);
      }
      return;
    }
    for (; count != 0; --count, sums += sums_stride, out += stride) {
      int32_t v = ed_dsp_smmlar(bias2 + *sums * 2, m, h) >> r;
      v = v < act_min ? act_min : v;
      *out = (int8_t)(v > act_max ? act_max : v);
    }
    return;
  }
  ed_requantize_channel_row(sums, sums_stride, count, bias, q, exact_below_zero, output_offset, act_min, act_max, out,
                            stride);
}

/* One block of 4 widened taps against the 4 channels: LDRD of input, then two LDM of two channels' words, 8 SMLAD. */
#define ED_DSP_BLOCK4                                   \
  "ldrd %[xe], %[xo], [%[x]], #8\n\t"                   \
  "ldmia %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"       \
  "smlad %[a0], %[w0], %[xe], %[a0]\n\t"                \
  "smlad %[a0], %[w1], %[xo], %[a0]\n\t"                \
  "smlad %[a1], %[w2], %[xe], %[a1]\n\t"                \
  "smlad %[a1], %[w3], %[xo], %[a1]\n\t"                \
  "ldmia %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"       \
  "smlad %[a2], %[w0], %[xe], %[a2]\n\t"                \
  "smlad %[a2], %[w1], %[xo], %[a2]\n\t"                \
  "smlad %[a3], %[w2], %[xe], %[a3]\n\t"                \
  "smlad %[a3], %[w3], %[xo], %[a3]\n\t"

/*
 * ed_row_sums_fn for window rows of whole blocks, group 4: the input and the weights both widened into SMLAD order
 * (ed_dsp_widen), so a window row is 2 * run contiguous bytes of halfword pairs. The block loop is asm, two blocks
 * per turn (one first when the count is odd): in C, gcc -Os spilled the accumulators. 11 instructions per 16 MACs
 * plus one per 32. LDM needs its registers in ascending order: w0..w3 are pinned to r8..r11.
 */
static ED_NOINLINE void ed_dsp_row4(const ed_conv_window *g, const int8_t *x, int32_t count, int32_t step, int32_t *sums,
                                    int combine) {
  for (; count != 0; --count, x += step, sums += 4) {
    const int8_t *xi = x;
    const uint32_t *w = (const uint32_t *)g->weights;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int32_t rows = g->rows;
    do {
      int32_t n = g->run >> 3;
      uint32_t xe, xo;
      register uint32_t w0 __asm__("r8"), w1 __asm__("r9"), w2 __asm__("r10"), w3 __asm__("r11");
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
            [xe] "=&r"(xe), [xo] "=&r"(xo), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3)
          :
          : "cc", "memory");
      xi += g->skip;
    } while (--rows != 0);
    ed_store_sums4(sums, a0, a1, a2, a3, combine);
  }
}

/* bytes (a multiple of 4) int8 values into SMLAD order: per 4 bytes x0..x3 the halfword pairs (x0, x2), (x1, x3). */
static ED_NOINLINE void ed_dsp_widen(const int8_t *x, int32_t bytes, uint32_t *dst) {
  const int8_t *const end = x + bytes;
  for (; x != end; x += 4, dst += 2) {
    const uint32_t v = ed_dsp_load32(x);
    dst[0] = (uint32_t)__sxtb16((int32_t)v);
    dst[1] = ed_dsp_sxtb16_ror8(v);
  }
}

/* Channels [0, n) of a group (n <= 4, the rest zero), 8 words per 4 taps: channel j's (w0, w2), then (w1, w3). */
static ED_NOINLINE void ed_dsp_widen_group(const int8_t *weights, int32_t taps, int32_t n, uint32_t *dst) {
  int32_t k, j;
  if (n == 4) {
    /* Unrolled by hand: gcc -Os kept the channel loop and recomputed its addresses (44 instructions per block). */
    const int8_t *const end = weights + taps;
    for (; weights != end; weights += 4, dst += 8) {
      const uint32_t v0 = ed_dsp_load32(weights), v1 = ed_dsp_load32(weights + taps);
      const uint32_t v2 = ed_dsp_load32(weights + 2 * taps), v3 = ed_dsp_load32(weights + 3 * taps);
      dst[0] = (uint32_t)__sxtb16((int32_t)v0);
      dst[1] = ed_dsp_sxtb16_ror8(v0);
      dst[2] = (uint32_t)__sxtb16((int32_t)v1);
      dst[3] = ed_dsp_sxtb16_ror8(v1);
      dst[4] = (uint32_t)__sxtb16((int32_t)v2);
      dst[5] = ed_dsp_sxtb16_ror8(v2);
      dst[6] = (uint32_t)__sxtb16((int32_t)v3);
      dst[7] = ed_dsp_sxtb16_ror8(v3);
    }
    return;
  }
  for (k = 0; k < taps; k += 4) {
    for (j = 0; j < 4; ++j, dst += 2) {
      const uint32_t v = j < n ? ed_dsp_load32(weights + j * taps + k) : 0u;
      dst[0] = (uint32_t)__sxtb16((int32_t)v);
      dst[1] = ed_dsp_sxtb16_ror8(v);
    }
  }
}

/* Two int8 values as the halfword pair (lo, hi), as SMLAD reads them. */
ED_DSP_INLINE uint32_t ed_dsp_pair(int32_t lo, int32_t hi) { return (uint32_t)(uint16_t)lo | ((uint32_t)hi << 16); }

/*
 * 3x3 windows on one input channel, stride 1, with a fused 2x2 max-pool (a first layer). A pooled output reads a
 * 4x4 input patch: one word per patch row r, widened into E_r = (x[r][0], x[r][2]) and O_r = (x[r][1], x[r][3]).
 * Pairing each window row's taps 0 and 2 (and the middle taps of rows 0 and 1, then row 2's alone), the patch
 * gives all four windows' 5 halfword pairs with one PKH or shift each:
 *   window (dy, 0): E_dy, E_dy+1, E_dy+2, (O_dy.lo, O_dy+1.lo), O_dy+2      (its high half meets a zero weight)
 *   window (dy, 1): O_dy, O_dy+1, O_dy+2, (E_dy.hi, E_dy+1.hi), E_dy+2 >> 16
 * against every channel's weights (w0, w2), (w3, w5), (w6, w8), (w1, w4), (w7, 0) (ed_dsp_widen_3x3). A pooled
 * output row's pairs are built once (20 words per output, then one word for its pooled sum), and then each channel
 * runs over the row with its 5 weight words in registers: per output 4 LDM, 20 SMLAD, the max of 4 and one store,
 * 37 instructions for 36 MACs.
 */
static ED_NOINLINE void ed_dsp_widen_3x3(const ed_conv2d_params *p, uint32_t *dst) {
  const int8_t *w = p->weights;
  int32_t c;
  for (c = 0; c < p->out_c; ++c, w += 9) {
    *dst++ = ed_dsp_pair(w[0], w[2]);
    *dst++ = ed_dsp_pair(w[3], w[5]);
    *dst++ = ed_dsp_pair(w[6], w[8]);
    *dst++ = ed_dsp_pair(w[1], w[4]);
    *dst++ = ed_dsp_pair(w[7], 0);
  }
}

/* One window's 5 pairs (LDM into r1, r2, r3, r9, r10) against the weights in r4, r5, r6, r8, r11 into ACC. */
#define ED_DSP_WINDOW(ACC)                      \
  "ldmia r0!, {r1, r2, r3, r9, r10}\n\t"       \
  "smuad " ACC ", r4, r1\n\t"                  \
  "smlad " ACC ", r5, r2, " ACC "\n\t"         \
  "smlad " ACC ", r6, r3, " ACC "\n\t"         \
  "smlad " ACC ", r8, r9, " ACC "\n\t"         \
  "smlad " ACC ", r11, r10, " ACC "\n\t"
#define ED_DSP_WINDOW_MAX ED_DSP_WINDOW("r12") "cmp r12, lr\n\tit gt\n\tmovgt lr, r12\n\t"

/*
 * For each 21-word output block in [pairs, end): its 4 windows against one channel's 5 weight words, the max into
 * the block's last word. All asm: 13 registers live in the loop (r7 is left alone: it is the frame pointer in
 * unoptimized Thumb builds), the end on the stack.
 */
static ED_NOINLINE void ed_dsp_3x3_pool_pass(uint32_t *pairs, const uint32_t *end, const uint32_t *weights) {
  register uint32_t *r0 __asm__("r0") = pairs;
  register const uint32_t *r1 __asm__("r1") = end;
  register const uint32_t *r2 __asm__("r2") = weights;
  __asm__ volatile(
      "push {r1}\n\t"
      "ldm r2, {r4, r5, r6, r8, r11}\n\t"
      "1:\n\t"
      ED_DSP_WINDOW("lr") ED_DSP_WINDOW_MAX ED_DSP_WINDOW_MAX ED_DSP_WINDOW_MAX
      "str lr, [r0], #4\n\t"
      "ldr r1, [sp]\n\t"
      "cmp r0, r1\n\t"
      "bne 1b\n\t"
      "add sp, sp, #4"
      : "+r"(r0), "+r"(r1), "+r"(r2)
      :
      : "r3", "r4", "r5", "r6", "r8", "r9", "r10", "r11", "r12", "lr", "cc", "memory");
}

/* Conv2D 3x3 on one input channel, stride 1, fused with a 2x2 max-pool (any stride): see ed_dsp_widen_3x3. */
static ED_NOINLINE void ed_dsp_conv3x3_pool2x2(const ed_conv2d_params *p, const int8_t *input, int8_t *output) {
  const ed_conv_geometry g = ed_conv_geometry_of(p);
  uint32_t *const weights = (uint32_t *)p->packed, *const pairs = weights + 5 * p->out_c;
  int32_t oy, px, c;
  ed_dsp_widen_3x3(p, weights);
  for (oy = 0; oy < g.out_h; ++oy, output += g.out_w * p->out_c) {
    const int8_t *x = input + oy * g.pool_stride_h * p->in_w;
    uint32_t *b = pairs;
    for (px = 0; px < g.out_w; ++px, x += g.pool_stride_w, b += 21) {
      const uint32_t r0 = ed_dsp_load32(x), r1 = ed_dsp_load32(x + p->in_w), r2 = ed_dsp_load32(x + 2 * p->in_w),
                     r3 = ed_dsp_load32(x + 3 * p->in_w);
      const uint32_t e0 = (uint32_t)__sxtb16((int32_t)r0), e1 = (uint32_t)__sxtb16((int32_t)r1),
                     e2 = (uint32_t)__sxtb16((int32_t)r2), e3 = (uint32_t)__sxtb16((int32_t)r3);
      const uint32_t o0 = ed_dsp_sxtb16_ror8(r0), o1 = ed_dsp_sxtb16_ror8(r1), o2 = ed_dsp_sxtb16_ror8(r2),
                     o3 = ed_dsp_sxtb16_ror8(r3);
      b[0] = e0, b[1] = e1, b[2] = e2, b[3] = (o0 & 0xFFFFu) | (o1 << 16), b[4] = o2;
      b[5] = o0, b[6] = o1, b[7] = o2, b[8] = (e1 & 0xFFFF0000u) | (e0 >> 16), b[9] = e2 >> 16;
      b[10] = e1, b[11] = e2, b[12] = e3, b[13] = (o1 & 0xFFFFu) | (o2 << 16), b[14] = o3;
      b[15] = o1, b[16] = o2, b[17] = o3, b[18] = (e2 & 0xFFFF0000u) | (e1 >> 16), b[19] = e3 >> 16;
    }
    for (c = 0; c < p->out_c; ++c) {
      const ed_requantizer rq = ed_requantizer_make(p->multipliers[c], p->shifts[c]);
      ed_dsp_3x3_pool_pass(pairs, b, weights + 5 * c);
      ed_dsp_requantize_row((const int32_t *)pairs + 20, 21, g.out_w, p->folded_bias[c], &rq, g.act_min < p->output_offset,
                            p->output_offset, g.act_min, g.act_max, output + c, p->out_c);
    }
  }
}

/* Conv2D (with p->pool: Conv2D then MaxPool), as ed_conv2d_s8_reference. */
ED_KERNEL void ed_dsp_conv2d_s8(const ed_conv2d_params *p, const int8_t *restrict input, int8_t *restrict output) {
  const int32_t taps = p->kernel_h * p->kernel_w * p->in_c;
  ed_conv_window w;
  int32_t c0;
  if (p->packed != 0 && p->kernel_h == 3 && p->kernel_w == 3 && p->in_c == 1 && p->stride_h == 1 && p->stride_w == 1 &&
      p->pool != 0 && p->pool->pool_h == 2 && p->pool->pool_w == 2) {
    /* scratch: 5 words per channel, then 21 per pooled output of a row */
    ed_dsp_conv3x3_pool2x2(p, input, output);
  } else if (p->packed != 0 && (p->in_c & 3) == 0) {
    /* scratch: the widened input (2 bytes per input byte), one group's widened weights (2 words per tap), then
     * the row driver's sums; every offset into the input doubles */
    const int32_t in_words = (p->in_h * p->in_w * p->in_c) >> 1;
    uint32_t *const widened = (uint32_t *)p->packed;
    ed_dsp_widen(input, 2 * in_words, widened);
    ed_conv_window_init(&w, p, p->packed + in_words, 2, 4);
    for (c0 = 0; c0 < p->out_c; c0 += 4) {
      const int32_t n = p->out_c - c0 < 4 ? p->out_c - c0 : 4;
      ed_dsp_widen_group(p->weights + c0 * taps, taps, n, (uint32_t *)p->packed + in_words);
      ed_conv2d_packed_rows(p, (const int8_t *)widened, output, c0, n, &w, ed_dsp_row4, ed_dsp_requantize_row,
                            p->packed + in_words + 2 * taps);
    }
  } else {
    ed_conv2d_s8_portable(p, input, output);
  }
}

#endif /* ED_DSP_CONV_H */
