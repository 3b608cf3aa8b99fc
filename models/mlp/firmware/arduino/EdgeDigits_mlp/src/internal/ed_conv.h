/* Copied by edge-digits firmware-gen from firmware-gen/engine/ed_conv.h; edit the original, not this copy. */
#include "ed_prefix.h" /* added by edge-digits firmware-gen: per-model symbol names */
/*
 * ed_conv.h — the reference Conv2D, int8, per-output-channel weights: TFLite Micro's
 * reference_integer_ops::ConvPerChannel (NHWC, no batch, no dilation), with an optional fused max-pool.
 *
 *   acc[oy][ox][c] = bias[c] + sum_{ky,kx,i} w[c][ky][kx][i] * (x[oy*stride_h - pad_top + ky]
 *                                                                [ox*stride_w - pad_left + kx][i] + input_offset)
 *   y[oy][ox][c]   = ed_requantize(acc[oy][ox][c], multiplier[c], shift[c], output_offset, act_min, act_max)
 * Window points outside the input are padding: they hold the input zero point, so they add
 * w * (zero_point + input_offset) = 0 and are skipped.
 *
 * Overflow: |x + input_offset| <= 255 and |w| <= 127, so every partial sum is bounded by
 * |bias[c]| + 255 * sum |w[c]|; the generator refuses a model where that reaches 2^31 (plan.ts,
 * checkAccumulatorBounds), so the int32 sums are exact and independent of the order of addition, as in the
 * simulator. input and output must not overlap (the arena planner never aliases a conv's input and output).
 *
 * With p->pool (a MaxPool without padding fused after the conv, TFLite reference_integer_ops::MaxPool):
 *   z[py][px][c] = clamp(max_{qy,qx} y[py*pool_stride_h + qy][px*pool_stride_w + qx][c], pool_min, pool_max)
 * is computed as requantize(max acc): requantization is monotonic non-decreasing in acc when the multiplier is
 * >= 0 and acc << left_shift does not wrap (the generator fuses only then: plan.ts, fusedPoolEligibility), and
 * so is the clamp, so max and requantization commute bit for bit. Only the accumulators the pool reads are
 * computed and only the pooled ones requantized.
 */
#ifndef ED_CONV_H
#define ED_CONV_H

#include <stdint.h>

#include "ed_engine.h"
#include "ed_kernels_common.h"
#include "ed_requantize.h"

/* acc[oy][ox][c] as above: ConvPerChannel's inner loops. */
static inline int32_t ed_conv2d_accumulator(const ed_conv2d_params *p, const int8_t *input, int32_t oy, int32_t ox,
                                            int32_t c) {
  const int8_t *filter = p->weights + c * p->kernel_h * p->kernel_w * p->in_c;
  const int32_t in_y0 = oy * p->stride_h - p->pad_top, in_x0 = ox * p->stride_w - p->pad_left;
  int32_t acc = p->bias[c];
  int32_t ky, kx, i;
  for (ky = 0; ky < p->kernel_h; ++ky) {
    const int32_t in_y = in_y0 + ky;
    if (in_y < 0 || in_y >= p->in_h) continue;
    for (kx = 0; kx < p->kernel_w; ++kx) {
      const int32_t in_x = in_x0 + kx;
      const int8_t *x = input + (in_y * p->in_w + in_x) * p->in_c;
      const int8_t *w = filter + (ky * p->kernel_w + kx) * p->in_c;
      if (in_x < 0 || in_x >= p->in_w) continue;
      for (i = 0; i < p->in_c; ++i) acc += (int32_t)w[i] * ((int32_t)x[i] + p->input_offset);
    }
  }
  return acc;
}

/* Conv2D (with p->pool: Conv2D then MaxPool), as above. */
ED_KERNEL void ed_conv2d_s8_reference(const ed_conv2d_params *p, const int8_t *restrict input, int8_t *restrict output) {
  const ed_conv_geometry g = ed_conv_geometry_of(p);
  int32_t oy, ox, c, qy, qx;
  for (oy = 0; oy < g.out_h; ++oy) {
    for (ox = 0; ox < g.out_w; ++ox) {
      for (c = 0; c < p->out_c; ++c) {
        int32_t best = INT32_MIN;
        for (qy = 0; qy < g.pool_h; ++qy) {
          for (qx = 0; qx < g.pool_w; ++qx) {
            const int32_t acc = ed_conv2d_accumulator(p, input, oy * g.pool_stride_h + qy, ox * g.pool_stride_w + qx, c);
            if (acc > best) best = acc;
          }
        }
        *output++ = ed_requantize(best, p->multipliers[c], p->shifts[c], p->output_offset, g.act_min, g.act_max);
      }
    }
  }
}

#endif /* ED_CONV_H */
