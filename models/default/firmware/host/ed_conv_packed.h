/* Copied by edge-digits firmware-gen from firmware-gen/engine/ed_conv_packed.h; edit the original, not this copy. */
/*
 * ed_conv_packed.h — the portable optimized Conv2D (and Conv2D + fused MaxPool): the same int32 sums as ed_conv.h
 * at a fraction of the instructions, for layers the generator marked packed (p->packed: no window reaches into
 * padding, and the packed lanes below cannot carry; plan.ts, packedConvEligibility). Also the row driver that
 * ed_dsp_conv.h's loops share.
 *   - Input offset folded into the bias by the generator: acc = folded_bias + sum w * x with
 *     folded_bias = bias + input_offset * sum w, the same integer when every tap is a real input.
 *   - Each window row is kernel_w * in_c contiguous bytes in NHWC: one run, no bounds tests.
 *   - Four output channels per pass over a window, their weights packed two per int32, lo + hi * 2^24
 *     (ed_pack_lanes; no overflow, both are in [-127, 127]): one 32 x 32 -> 64-bit multiply-accumulate by an int8
 *     input adds x*lo to bits 0..23 and x*hi from bit 24 up, two MACs per multiply in portable C (one SMLAL on a
 *     Cortex-M4). The low lane's sum stays in [-2^23, 2^23) because the generator checks 128 * sum |w_lo| < 2^23.
 *   - Per output row, the sums of the windows its pool reads are max-combined as they come, then requantized one
 *     channel at a time with its constants in registers (ed_requantize_channel_row).
 * Measured gain over ed_conv.h on the emulated Cortex-M4: docs/m4-cost.md.
 */
#ifndef ED_CONV_PACKED_H
#define ED_CONV_PACKED_H


#ifdef __cplusplus
extern "C" {
#endif
#include <stdint.h>

#include "ed_engine.h"
#include "ed_kernels_common.h"
#include "ed_requantize.h"

/* One channel group's window and how a row of windows is walked. */
typedef struct {
  const int32_t *weights;   /* the group's packed (portable) or widened (DSP) weights */
  int32_t run, skip, rows;  /* a window: `rows` runs of `run` contiguous bytes, `skip` bytes between runs */
  int32_t col_step;         /* bytes from one window to the next along an output row */
  int32_t row_step;         /* bytes from one conv output row's windows to the next's */
  int32_t channels;         /* sums per window: the group */
} ed_conv_window;

/* A conv's window geometry over its input, `unit` bytes per input value (1: int8; 2: the DSP's widened halfwords). */
ED_ALWAYS_INLINE void ed_conv_window_init(ed_conv_window *w, const ed_conv2d_params *p, const int32_t *weights, int32_t unit,
                                        int32_t channels) {
  w->weights = weights;
  w->run = unit * p->kernel_w * p->in_c;
  w->skip = unit * p->in_w * p->in_c - w->run;
  w->rows = p->kernel_h;
  w->col_step = unit * p->stride_w * p->in_c;
  w->row_step = unit * p->stride_h * p->in_w * p->in_c;
  w->channels = channels;
}

/*
 * sums[channels * k + j] = channel j's sum (no bias) over window k < count, the windows `step` bytes apart from x;
 * with combine, the max of that and what sums[] holds (a pool's later windows).
 */
typedef void (*ed_row_sums_fn)(const ed_conv_window *w, const int8_t *x, int32_t count, int32_t step, int32_t *sums,
                               int combine);
/* ed_requantize_channel_row's contract. */
typedef void (*ed_requantize_row_fn)(const int32_t *sums, int32_t sums_stride, int32_t count, int32_t bias,
                                     const ed_requantizer *q, int exact_below_zero, int32_t output_offset,
                                     int32_t act_min, int32_t act_max, int8_t *out, int32_t stride);

/*
 * Output channels [c0, c0 + n) of a packed layer whose window sums come w->channels per window: per output row,
 * every window its pool reads, max-combined into `sums` (out_w * channels words; a window shared by two
 * overlapping pools is computed twice), then one requantization pass per channel. Without a pool, a 1x1 pool.
 */
ED_ALWAYS_INLINE void ed_conv2d_packed_rows(const ed_conv2d_params *p, const int8_t *input, int8_t *output, int32_t c0,
                                            int32_t n, const ed_conv_window *w, ed_row_sums_fn row_sums,
                                            ed_requantize_row_fn requantize_row, int32_t *sums) {
  const ed_conv_geometry g = ed_conv_geometry_of(p);
  const int exact_below_zero = g.act_min < p->output_offset;
  int32_t oy, qy, qx, j;
  for (oy = 0; oy < g.out_h; ++oy) {
    for (qy = 0; qy < g.pool_h; ++qy) {
      const int8_t *x = input + (oy * g.pool_stride_h + qy) * w->row_step;
      for (qx = 0; qx < g.pool_w; ++qx) {
        row_sums(w, x + qx * w->col_step, g.out_w, g.pool_stride_w * w->col_step, sums, qy != 0 || qx != 0);
      }
    }
    for (j = 0; j < n; ++j) {
      const ed_requantizer rq = ed_requantizer_make(p->multipliers[c0 + j], p->shifts[c0 + j]);
      requantize_row(sums + j, w->channels, g.out_w, p->folded_bias[c0 + j], &rq, exact_below_zero, p->output_offset,
                     g.act_min, g.act_max, output + oy * g.out_w * p->out_c + c0 + j, p->out_c);
    }
  }
}

/* dst[j] = s[j], or with combine max(dst[j], s[j]), for j < 4. */
ED_ALWAYS_INLINE void ed_store_sums4(int32_t *dst, int32_t s0, int32_t s1, int32_t s2, int32_t s3, int combine) {
  if (combine) {
    s0 = dst[0] > s0 ? dst[0] : s0;
    s1 = dst[1] > s1 ? dst[1] : s1;
    s2 = dst[2] > s2 ? dst[2] : s2;
    s3 = dst[3] > s3 ? dst[3] : s3;
  }
  dst[0] = s0;
  dst[1] = s1;
  dst[2] = s2;
  dst[3] = s3;
}

static inline int32_t ed_pack_lanes(int32_t lo, int32_t hi) { return lo + hi * (INT32_C(1) << 24); }

/* Splits acc = lo_sum + hi_sum * 2^24 back into its sums; exact while lo_sum is in [-2^23, 2^23) (see above). */
static inline void ed_unpack_lanes(int64_t acc, int32_t *lo_sum, int32_t *hi_sum) {
  const int32_t lo = ed_int32_from_bits((uint32_t)acc << 8) >> 8;
  *lo_sum = lo;
  *hi_sum = (int32_t)((acc - lo) >> 24);
}

/* Packs channels [0, n) of a group (n <= 4, missing channels zero): word 2k = tap k of channels 0 and 1, 2k+1 of 2, 3. */
static ED_NOINLINE void ed_pack_channel_group(const int8_t *w, int32_t taps, int32_t n, int32_t *packed) {
  int32_t k;
  if (n == 4) {
    const int8_t *const end = w + taps;
    for (; w != end; ++w, packed += 2) {
      packed[0] = ed_pack_lanes(w[0], w[taps]);
      packed[1] = ed_pack_lanes(w[2 * taps], w[3 * taps]);
    }
    return;
  }
  for (k = 0; k < taps; ++k) {
    packed[2 * k] = ed_pack_lanes(w[k], n > 1 ? w[taps + k] : 0);
    packed[2 * k + 1] = ed_pack_lanes(n > 2 ? w[2 * taps + k] : 0, n > 3 ? w[3 * taps + k] : 0);
  }
}

/*
 * The window at x against the group's packed weights: its 4 channels' sums into sums[0..3]. A function of its own,
 * not inlined: inlined into the layer loops, gcc -Os kept pointers and accumulators on the stack (13 instructions
 * per packed tap instead of 6.25 on a Cortex-M4).
 */
static ED_NOINLINE void ed_packed_window_sums(const ed_conv_window *g, const int8_t *x, int32_t *sums) {
  const int32_t *w = g->weights;
  const int32_t run = g->run;
  int32_t rows = g->rows;
  int64_t acc01 = 0, acc23 = 0;
  do {
    const int8_t *const end = x + run;
    int32_t odd = run & 3;
    for (; odd != 0; --odd, w += 2) {
      const int32_t v = *x++;
      acc01 += (int64_t)v * w[0];
      acc23 += (int64_t)v * w[1];
    }
    /* Four taps per turn: the loop test costs 3 instructions per 16 MACs instead of per 4. */
    for (; x != end; x += 4, w += 8) {
      int32_t v = x[0];
      acc01 += (int64_t)v * w[0];
      acc23 += (int64_t)v * w[1];
      v = x[1];
      acc01 += (int64_t)v * w[2];
      acc23 += (int64_t)v * w[3];
      v = x[2];
      acc01 += (int64_t)v * w[4];
      acc23 += (int64_t)v * w[5];
      v = x[3];
      acc01 += (int64_t)v * w[6];
      acc23 += (int64_t)v * w[7];
    }
    x += g->skip;
  } while (--rows != 0);
  ed_unpack_lanes(acc01, &sums[0], &sums[1]);
  ed_unpack_lanes(acc23, &sums[2], &sums[3]);
}

/* ed_row_sums_fn with packed weights, group 4. */
static ED_NOINLINE void ed_packed_row_sums(const ed_conv_window *g, const int8_t *x, int32_t count, int32_t step,
                                           int32_t *sums, int combine) {
  for (; count != 0; --count, x += step, sums += 4) {
    int32_t s[4];
    ed_packed_window_sums(g, x, s);
    ed_store_sums4(sums, s[0], s[1], s[2], s[3], combine);
  }
}

/*
 * ed_row_sums_fn for 3x3 windows on one input channel (a first layer), group = every channel rounded up to 4, the
 * weights packed per group as ed_pack_channel_group packs them: the window's 9 taps read once, then per group of 4
 * channels 18 multiply-accumulates into two 64-bit sums. ed_packed_row_sums would reread the taps for every group
 * and pay its row and tail loops on 3-tap rows (6.3 instructions per MAC on the default model's first layer).
 */
static ED_NOINLINE void ed_packed_3x3_row_sums(const ed_conv_window *g, const int8_t *x, int32_t count, int32_t step,
                                               int32_t *sums, int combine) {
  const int32_t line = g->run + g->skip;
  for (; count != 0; --count, x += step) {
    const int8_t *const r1 = x + line, *const r2 = r1 + line;
    const int32_t t0 = x[0], t1 = x[1], t2 = x[2], t3 = r1[0], t4 = r1[1], t5 = r1[2], t6 = r2[0], t7 = r2[1], t8 = r2[2];
    const int32_t *w = g->weights;
    int32_t k, s[4];
    for (k = g->channels; k != 0; k -= 4, w += 18, sums += 4) {
      const int64_t acc01 = (int64_t)t0 * w[0] + (int64_t)t1 * w[2] + (int64_t)t2 * w[4] + (int64_t)t3 * w[6] +
                            (int64_t)t4 * w[8] + (int64_t)t5 * w[10] + (int64_t)t6 * w[12] + (int64_t)t7 * w[14] +
                            (int64_t)t8 * w[16];
      const int64_t acc23 = (int64_t)t0 * w[1] + (int64_t)t1 * w[3] + (int64_t)t2 * w[5] + (int64_t)t3 * w[7] +
                            (int64_t)t4 * w[9] + (int64_t)t5 * w[11] + (int64_t)t6 * w[13] + (int64_t)t7 * w[15] +
                            (int64_t)t8 * w[17];
      ed_unpack_lanes(acc01, &s[0], &s[1]);
      ed_unpack_lanes(acc23, &s[2], &s[3]);
      ed_store_sums4(sums, s[0], s[1], s[2], s[3], combine);
    }
  }
}

/* Conv2D (with p->pool: Conv2D then MaxPool), for layers with p->packed set. */
ED_KERNEL void ed_conv2d_s8_packed(const ed_conv2d_params *p, const int8_t *restrict input, int8_t *restrict output) {
  const int32_t taps = p->kernel_h * p->kernel_w * p->in_c;
  ed_conv_window w;
  int32_t c0;
  if (p->kernel_h == 3 && p->kernel_w == 3 && p->in_c == 1) {
    /* one input channel, 3x3: scratch = every group's packed weights (18 words), then every channel's sums */
    ed_conv_window_init(&w, p, p->packed, 1, (p->out_c + 3) & ~3);
    for (c0 = 0; c0 < p->out_c; c0 += 4) {
      ed_pack_channel_group(p->weights + c0 * 9, 9, p->out_c - c0 < 4 ? p->out_c - c0 : 4, p->packed + 18 * (c0 / 4));
    }
    ed_conv2d_packed_rows(p, input, output, 0, p->out_c, &w, ed_packed_3x3_row_sums, ed_requantize_channel_row,
                          p->packed + 18 * (w.channels / 4));
    return;
  }
  ed_conv_window_init(&w, p, p->packed, 1, 4);
  for (c0 = 0; c0 < p->out_c; c0 += 4) {
    const int32_t n = p->out_c - c0 < 4 ? p->out_c - c0 : 4;
    ed_pack_channel_group(p->weights + c0 * taps, taps, n, p->packed);
    ed_conv2d_packed_rows(p, input, output, c0, n, &w, ed_packed_row_sums, ed_requantize_channel_row,
                          p->packed + 2 * taps);
  }
}

#ifdef __cplusplus
}
#endif

#endif /* ED_CONV_PACKED_H */
