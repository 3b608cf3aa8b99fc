/* Copied by edge-digits firmware-gen from firmware-gen/engine/ed_max_pool.h; edit the original, not this copy. */
#include "ed_prefix.h" /* added by edge-digits firmware-gen: per-model symbol names */
/*
 * ed_max_pool.h — the reference MaxPool, int8 (TFLite Micro reference_integer_ops::MaxPool), no padding; the
 * output keeps the input's scale and zero point:
 *   y[oy][ox][c] = clamp(max_{py,px} x[oy*stride_h + py][ox*stride_w + px][c], act_min, act_max)
 * No arithmetic, so no overflow. A pool right after a conv is usually fused into it (ed_conv.h); this runs the rest.
 * May run in place (output == input): output element o = (oy*out_w + ox)*channels + c is written after its
 * window is read, and every window read later starts at index (oy*stride_h*in_w + ox*stride_w)*channels + c >= o
 * because out_w <= in_w and strides >= 1, so nothing is overwritten before it is read.
 */
#ifndef ED_MAX_POOL_H
#define ED_MAX_POOL_H

#include <stdint.h>

#include "ed_engine.h"
#include "ed_kernels_common.h"

ED_KERNEL void ed_max_pool_s8_reference(const ed_max_pool_params *p, const int8_t *input, int8_t *output) {
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

#endif /* ED_MAX_POOL_H */
