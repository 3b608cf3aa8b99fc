/* Copied by edge-digits firmware-gen from firmware-gen/engine/ed_kernels.h; edit the original, not this copy. */
#include "ed_prefix.h" /* added by edge-digits firmware-gen: per-model symbol names */
/*
 * ed_kernels.h — the int8 ops, one function each, with the semantics of TFLite Micro's reference integer kernels
 * (tensorflow/lite/kernels/internal/reference/integer_ops/{conv,fully_connected,pooling}.h) and bit-identical
 * to src/quantize/kernels.ts.
 *
 * Included only by the generated <model>_model.c, which calls each kernel with a `static const` parameter
 * struct. With ED_SPECIALIZE (the default under GCC/Clang) the kernels are force-inlined there, so every
 * shape, stride and offset becomes a compile-time constant and the compiler unrolls and simplifies the loops
 * per layer: model-specialized code from one readable source. Define ED_SPECIALIZE=0 to get one out-of-line
 * copy of each kernel that reads its parameters at run time: same results, about 3x slower on the host
 * (bench/c-engine.ts), and for the default-shaped CNN not even smaller on Cortex-M4 (-Os), since the parameter
 * structs then stay in flash.
 */
#ifndef ED_KERNELS_H
#define ED_KERNELS_H

#include <stdint.h>

#include "ed_engine.h"
#include "ed_fixedpoint.h"

#ifndef ED_SPECIALIZE
#if defined(__GNUC__)
#define ED_SPECIALIZE 1
#else
#define ED_SPECIALIZE 0
#endif
#endif

#if ED_SPECIALIZE && defined(__GNUC__)
#define ED_KERNEL static inline __attribute__((always_inline))
#elif defined(__GNUC__)
#define ED_KERNEL static __attribute__((noinline, unused))
#else
#define ED_KERNEL static
#endif

/*
 * TFLite's per-channel requantization of an int32 accumulator to int8:
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

/*
 * int8 input from 8-bit pixels, fixed by the artifact format: scale 1/255, zero point -128, q = p - 128.
 */
ED_KERNEL void ed_quantize_input(const uint8_t *pixels, int8_t *input) {
  int32_t i;
  for (i = 0; i < ED_INPUT_PIXELS; ++i) input[i] = (int8_t)((int32_t)pixels[i] - 128);
}

/*
 * Conv2D, int8, per-output-channel quantized weights (reference_integer_ops::ConvPerChannel), NHWC, no batch:
 *   acc[c] = bias[c] + sum_{ky,kx,i} w[c][ky][kx][i] * (x[oy*stride_h - pad_top + ky][ox*stride_w - pad_left + kx][i]
 *                                                         + input_offset)
 *   y[oy][ox][c] = ed_requantize(acc[c], multiplier[c], shift[c], ...)
 * Overflow: |x + input_offset| <= 255 and |w| <= 127, so every partial sum is bounded by
 * |bias[c]| + 255 * sum |w[c]|; the generator refuses a model where that reaches 2^31 (plan.ts), so the int32
 * sums are exact and order-independent, like the simulator's.
 * input and output must not overlap (the arena planner never aliases a conv's input and output).
 *
 * Two loops compute it. The reference loop below is the definition, used for windows that reach into padding.
 * The packed loop (ed_conv2d_s8_packed, when p->packed is set) gives the same int32 sums at a fraction of the
 * instructions; see there.
 */

/*
 * The reference loop. Window points outside the input are padding: they hold the input zero point, so they add
 * w * (zero_point + input_offset) = 0 and are skipped.
 */
ED_KERNEL void ed_conv2d_s8_reference(const ed_conv2d_params *p, const int8_t *restrict input, int8_t *restrict output) {
  int32_t oy, ox, c, ky, kx, i;
  for (oy = 0; oy < p->out_h; ++oy) {
    const int32_t in_y0 = oy * p->stride_h - p->pad_top;
    for (ox = 0; ox < p->out_w; ++ox) {
      const int32_t in_x0 = ox * p->stride_w - p->pad_left;
      for (c = 0; c < p->out_c; ++c) {
        const int8_t *filter = p->weights + c * p->kernel_h * p->kernel_w * p->in_c;
        int32_t acc = p->bias[c];
        for (ky = 0; ky < p->kernel_h; ++ky) {
          const int32_t in_y = in_y0 + ky;
          if (in_y < 0 || in_y >= p->in_h) continue;
          for (kx = 0; kx < p->kernel_w; ++kx) {
            const int32_t in_x = in_x0 + kx;
            const int8_t *x;
            const int8_t *w;
            if (in_x < 0 || in_x >= p->in_w) continue;
            x = input + (in_y * p->in_w + in_x) * p->in_c;
            w = filter + (ky * p->kernel_w + kx) * p->in_c;
            for (i = 0; i < p->in_c; ++i) acc += (int32_t)w[i] * ((int32_t)x[i] + p->input_offset);
          }
        }
        *output++ = ed_requantize(acc, p->multipliers[c], p->shifts[c], p->output_offset, p->activation_min,
                                  p->activation_max);
      }
    }
  }
}

/*
 * Two int8 weights in one int32, lo + hi * 2^24 (no overflow: both are in [-127, 127]). One 32 x 32 -> 64-bit
 * multiply-accumulate by an int8 input then adds x*lo to bits 0..23 and x*hi from bit 24 up: two MACs per
 * multiply in portable C (a single SMLAL on a Cortex-M4, a single IMUL+ADD on x86-64).
 */
#define ED_LANE_BITS 24

static inline int32_t ed_pack_lanes(int32_t lo, int32_t hi) { return lo + hi * (INT32_C(1) << ED_LANE_BITS); }

/*
 * Splits acc = lo_sum + hi_sum * 2^24 back into its two sums. Exact when lo_sum is in [-2^23, 2^23), which the
 * generator guarantees (each |x * w| <= 128 * 127 and it checks 128 * sum |w_lo| < 2^23 for every lo channel).
 */
static inline void ed_unpack_lanes(int64_t acc, int32_t *lo_sum, int32_t *hi_sum) {
  const int32_t lo = ed_int32_from_bits((uint32_t)acc << (32 - ED_LANE_BITS)) >> (32 - ED_LANE_BITS);
  *lo_sum = lo;
  *hi_sum = (int32_t)((acc - lo) >> ED_LANE_BITS);
}

#if defined(__GNUC__)
#define ED_NOINLINE __attribute__((noinline))
#else
#define ED_NOINLINE
#endif

/*
 * Packs the weights of output channels [0, n) of a group (n <= 4; missing channels are zeros) for
 * ed_packed_pixel: word 2k holds tap k of channels 0 and 1, word 2k + 1 that of channels 2 and 3.
 */
static ED_NOINLINE void ed_pack_channel_group(const int8_t *w, int32_t taps, int32_t n, int32_t *packed) {
  int32_t k;
  if (n == 4) {
    const int8_t *const end = w + taps;
    const int32_t t2 = 2 * taps, t3 = 3 * taps;
    for (; w != end; ++w, packed += 2) {
      packed[0] = ed_pack_lanes(w[0], w[taps]);
      packed[1] = ed_pack_lanes(w[t2], w[t3]);
    }
    return;
  }
  for (k = 0; k < taps; ++k) {
    packed[2 * k] = ed_pack_lanes(w[k], n > 1 ? w[taps + k] : 0);
    packed[2 * k + 1] = ed_pack_lanes(n > 2 ? w[2 * taps + k] : 0, 0);
  }
}

/* ed_requantize with the multiply and both roundings folded into ed_requantizer_apply. */
ED_ALWAYS_INLINE int8_t ed_requantize_fast(int32_t acc, const ed_requantizer *q, int exact_below_zero, int32_t output_offset,
                                           int32_t act_min, int32_t act_max) {
  int32_t v = ed_requantizer_apply(q, acc, exact_below_zero);
  /* Beyond [-256, 255] the clamp below gives act_min / act_max whatever the offset: clamp first, add safely. */
  if (v < -256) v = -256;
  if (v > 255) v = 255;
  v += output_offset;
  if (v < act_min) v = act_min;
  if (v > act_max) v = act_max;
  return (int8_t)v;
}

/* One channel group of one packed conv layer: the window geometry and the group's packed weights. */
typedef struct {
  const int32_t *packed;     /* 2 words per tap, ed_pack_channel_group */
  int32_t run, skip, rows;   /* window: `rows` runs of `run` contiguous bytes, `skip` bytes between runs */
} ed_packed_window;

/*
 * The window at x against the group's packed weights: the 4 channels' int32 sums (without bias) into sums[0..3].
 * A function of its own, not inlined: inlined into the layer loops, gcc -Os kept pointers and accumulators on the
 * stack (13 instructions per packed tap instead of 6.25 on a Cortex-M4).
 */
static ED_NOINLINE void ed_packed_window_sums(const ed_packed_window *g, const int8_t *x, int32_t *sums) {
  const int32_t *w = g->packed;
  const int32_t run = g->run;
  int32_t rows = g->rows;
  int64_t acc01 = 0, acc23 = 0;
  do {
    const int8_t *const end = x + run;
    int32_t odd = run & 3;
    for (; odd != 0; --odd) {
      const int32_t v = *x++;
      acc01 += (int64_t)v * w[0];
      acc23 += (int64_t)v * w[1];
      w += 2;
    }
    /* Four taps per turn: the loop test costs 3 instructions per 16 MACs instead of per 4. */
    if (x != end) {
      do {
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
        x += 4;
        w += 8;
      } while (x != end);
    }
    x += g->skip;
  } while (--rows != 0);
  ed_unpack_lanes(acc01, &sums[0], &sums[1]);
  ed_unpack_lanes(acc23, &sums[2], &sums[3]);
}

/*
 * Requantizes `count` sums of one output channel (sums[0], sums[sums_stride], ...; every 4th as
 * ed_packed_window_sums leaves them) into out[0], out[stride], ...: the channel's constants stay in registers for
 * the whole row, so each value costs about a dozen instructions.
 */
static ED_NOINLINE void ed_requantize_channel_row(const int32_t *sums, int32_t sums_stride, int32_t count, int32_t bias,
                                                  const ed_requantizer *q,
                                                  int exact_below_zero, int32_t output_offset, int32_t act_min,
                                                  int32_t act_max, int8_t *out, int32_t stride) {
  const ed_requantizer rq = *q;
  if (rq.right_shift > 0 && !exact_below_zero && act_min == output_offset && act_max == 127) {
    /* The usual ReLU layer: ed_requantize_fast with its constant tests taken out of the loop. */
    for (; count != 0; --count, sums += sums_stride, out += stride) {
      int32_t v = (int32_t)(((int64_t)(bias + *sums) * rq.multiplier + rq.rounding) >> 32) >> (rq.right_shift - 1);
      if (v < 0) v = 0;
      if (v > 255) v = 255;
      v += output_offset;
      if (v > 127) v = 127;
      *out = (int8_t)v;
    }
    return;
  }
  for (; count != 0; --count, sums += sums_stride, out += stride) {
    *out = ed_requantize_fast(bias + *sums, &rq, exact_below_zero, output_offset, act_min, act_max);
  }
}

/*
 * The packed loop, for layers where no window reaches into padding (the generator checks, see p->packed).
 *   - Input offset folded into the bias by the generator: acc = folded_bias + sum w * x with
 *     folded_bias = bias + input_offset * sum w, the same integer.
 *   - Each window row is kernel_w * in_c contiguous bytes in NHWC: one run, no bounds tests.
 *   - Four output channels per pass over a window, their weights packed two per int32 (ed_pack_lanes) into
 *     p->packed, once per layer and channel group: per input byte one load, two loads of packed words and
 *     two 64-bit multiply-accumulates for four MACs.
 *   - Requantization as one multiply-add and a shift (ed_requantizer_apply).
 */
ED_KERNEL void ed_conv2d_s8_packed(const ed_conv2d_params *p, const int8_t *restrict input, int8_t *restrict output) {
  const int32_t taps = p->kernel_h * p->kernel_w * p->in_c;
  /* The scratch holds the group's packed weights, then one output row of sums for its 4 channels. */
  int32_t *const sums = p->packed + 2 * taps;
  ed_packed_window g;
  const int32_t row_step = p->stride_h * p->in_w * p->in_c;
  const int32_t col_step = p->stride_w * p->in_c;
  /* A ReLU whose lower clamp is at or above the output offset maps every value <= 0 to the same output. */
  const int exact_below_zero = p->activation_min < p->output_offset;
  int32_t c0, j, oy, ox;
  g.packed = p->packed;
  g.run = p->kernel_w * p->in_c;
  g.skip = p->in_w * p->in_c - g.run;
  g.rows = p->kernel_h;
  for (c0 = 0; c0 < p->out_c; c0 += 4) {
    const int32_t n = p->out_c - c0 < 4 ? p->out_c - c0 : 4;
    ed_requantizer rq[4];
    for (j = 0; j < n; ++j) rq[j] = ed_requantizer_make(p->multipliers[c0 + j], p->shifts[c0 + j]);
    ed_pack_channel_group(p->weights + c0 * taps, taps, n, p->packed);
    for (oy = 0; oy < p->out_h; ++oy) {
      const int8_t *x = input + oy * row_step;
      int8_t *out = output + oy * p->out_w * p->out_c + c0;
      for (ox = 0; ox < p->out_w; ++ox, x += col_step) ed_packed_window_sums(&g, x, sums + 4 * ox);
      for (j = 0; j < n; ++j) {
        ed_requantize_channel_row(sums + j, 4, p->out_w, p->folded_bias[c0 + j], &rq[j], exact_below_zero, p->output_offset,
                                  p->activation_min, p->activation_max, out + j, p->out_c);
      }
    }
  }
}

ED_KERNEL void ed_conv2d_s8_portable(const ed_conv2d_params *p, const int8_t *restrict input, int8_t *restrict output) {
  if (p->packed != 0) {
    ed_conv2d_s8_packed(p, input, output);
  } else {
    ed_conv2d_s8_reference(p, input, output);
  }
}

/*
 * MaxPool, int8 (reference_integer_ops::MaxPool), no padding: the output keeps the input's scale and zero point.
 *   y[oy][ox][c] = clamp(max_{py,px} x[oy*stride_h + py][ox*stride_w + px][c], act_min, act_max)
 * May run in place (output == input): output element o = (oy*out_w + ox)*channels + c is written after its
 * window is read, and every window read later starts at index (oy*stride_h*in_w + ox*stride_w)*channels + c >= o
 * because out_w <= in_w and strides >= 1, so nothing is overwritten before it is read.
 */
ED_KERNEL void ed_max_pool_s8_portable(const ed_max_pool_params *p, const int8_t *input, int8_t *output) {
  int32_t oy, ox, c, py, px;
  for (oy = 0; oy < p->out_h; ++oy) {
    for (ox = 0; ox < p->out_w; ++ox) {
      for (c = 0; c < p->channels; ++c) {
        int32_t m = INT8_MIN;
        for (py = 0; py < p->pool_h; ++py) {
          const int8_t *row = input + ((oy * p->stride_h + py) * p->in_w + ox * p->stride_w) * p->channels + c;
          for (px = 0; px < p->pool_w; ++px) {
            const int32_t v = row[px * p->channels];
            if (v > m) m = v;
          }
        }
        if (m < p->activation_min) m = p->activation_min;
        if (m > p->activation_max) m = p->activation_max;
        *output++ = (int8_t)m;
      }
    }
  }
}

/*
 * FullyConnected, int8, per-output-channel weights (TFLite Micro FullyConnected with per-channel quantization):
 *   acc[u] = bias[u] + sum_i w[u][i] * (x[i] + input_offset)
 *   y[u]   = ed_requantize(acc[u], multiplier[u], shift[u], ...)
 * The input is the previous layer's [h][w][c] tensor read flat, as TFLite's Reshape/Flatten does.
 * Overflow: as ed_conv2d_s8, |partial sum| <= |bias[u]| + 255 * sum |w[u]| < 2^31, checked by the generator.
 */
ED_KERNEL void ed_fully_connected_s8_portable(const ed_fully_connected_params *p, const int8_t *restrict input,
                                              int8_t *restrict output) {
  int32_t u, i;
  for (u = 0; u < p->units; ++u) {
    const int8_t *w = p->weights + u * p->inputs;
    int32_t acc = p->bias[u];
    for (i = 0; i < p->inputs; ++i) acc += (int32_t)w[i] * ((int32_t)input[i] + p->input_offset);
    output[u] = ed_requantize(acc, p->multipliers[u], p->shifts[u], p->output_offset, p->activation_min,
                              p->activation_max);
  }
}

/*
 * The kernels the generated model calls. On cores with the ARMv7E-M DSP extension (Cortex-M4/M7, e.g. the Nano 33
 * BLE's nRF52840) they run ed_dsp.h's kernels, bit-identical and about 1.8x fewer instructions on the default
 * model; elsewhere the portable ones above. -DED_DSP_KERNELS=0 keeps the portable kernels on a DSP core (the
 * QEMU board's 'portable' engine does, to measure them). ed_dsp.h needs ED_DSP_COLUMN_CAPACITY, which the
 * generated model defines before including this file.
 */
#ifndef ED_DSP_KERNELS
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#define ED_DSP_KERNELS 1
#else
#define ED_DSP_KERNELS 0
#endif
#endif

#if ED_DSP_KERNELS
#include "ed_dsp.h"
#define ED_KERNEL_CHOICE(portable, dsp) dsp
#else
#define ED_KERNEL_CHOICE(portable, dsp) portable
#endif

ED_KERNEL void ed_conv2d_s8(const ed_conv2d_params *p, const int8_t *restrict input, int8_t *restrict output) {
  ED_KERNEL_CHOICE(ed_conv2d_s8_portable, ed_dsp_conv2d_s8)(p, input, output);
}

ED_KERNEL void ed_max_pool_s8(const ed_max_pool_params *p, const int8_t *input, int8_t *output) {
  ED_KERNEL_CHOICE(ed_max_pool_s8_portable, ed_dsp_max_pool_s8)(p, input, output);
}

ED_KERNEL void ed_fully_connected_s8(const ed_fully_connected_params *p, const int8_t *restrict input,
                                     int8_t *restrict output) {
  ED_KERNEL_CHOICE(ed_fully_connected_s8_portable, ed_dsp_fully_connected_s8)(p, input, output);
}

#endif /* ED_KERNELS_H */
