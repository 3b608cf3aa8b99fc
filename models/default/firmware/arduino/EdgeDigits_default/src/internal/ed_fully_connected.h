/* Copied by edge-digits firmware-gen from firmware-gen/engine/ed_fully_connected.h; edit the original, not this copy. */
#include "ed_prefix.h" /* added by edge-digits firmware-gen: per-model symbol names */
/*
 * ed_fully_connected.h — the reference FullyConnected, int8, per-output-channel weights (TFLite Micro
 * reference_integer_ops::FullyConnectedPerChannel):
 *   acc[u] = bias[u] + sum_i w[u][i] * (x[i] + input_offset)
 *   y[u]   = ed_requantize(acc[u], multiplier[u], shift[u], output_offset, act_min, act_max)
 * The input is the previous layer's [h][w][c] tensor read flat, as TFLite's Reshape/Flatten does.
 * Overflow: as in ed_conv.h, |partial sum| <= |bias[u]| + 255 * sum |w[u]| < 2^31, checked by the generator.
 */
#ifndef ED_FULLY_CONNECTED_H
#define ED_FULLY_CONNECTED_H

#include <stdint.h>

#include "ed_engine.h"
#include "ed_kernels_common.h"
#include "ed_requantize.h"

ED_KERNEL void ed_fully_connected_s8_reference(const ed_fully_connected_params *p, const int8_t *restrict input,
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

#endif /* ED_FULLY_CONNECTED_H */
