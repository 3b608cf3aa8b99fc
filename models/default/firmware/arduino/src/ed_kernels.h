/* Copied by edge-digits firmware-gen from firmware-gen/engine/ed_kernels.h; edit the original, not this copy. */
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
 * Window points outside the input are padding: they hold the input zero point, so they add
 * w * (zero_point + input_offset) = 0 and are skipped.
 * Overflow: |x + input_offset| <= 255 and |w| <= 127, so every partial sum is bounded by
 * |bias[c]| + 255 * sum |w[c]|; the generator refuses a model where that reaches 2^31 (plan.ts), so the int32
 * sums are exact and order-independent, like the simulator's.
 * input and output must not overlap (the arena planner never aliases a conv's input and output).
 */
ED_KERNEL void ed_conv2d_s8(const ed_conv2d_params *p, const int8_t *restrict input, int8_t *restrict output) {
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
 * MaxPool, int8 (reference_integer_ops::MaxPool), no padding: the output keeps the input's scale and zero point.
 *   y[oy][ox][c] = clamp(max_{py,px} x[oy*stride_h + py][ox*stride_w + px][c], act_min, act_max)
 * May run in place (output == input): output element o = (oy*out_w + ox)*channels + c is written after its
 * window is read, and every window read later starts at index (oy*stride_h*in_w + ox*stride_w)*channels + c >= o
 * because out_w <= in_w and strides >= 1, so nothing is overwritten before it is read.
 */
ED_KERNEL void ed_max_pool_s8(const ed_max_pool_params *p, const int8_t *input, int8_t *output) {
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
ED_KERNEL void ed_fully_connected_s8(const ed_fully_connected_params *p, const int8_t *restrict input,
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

#endif /* ED_KERNELS_H */
