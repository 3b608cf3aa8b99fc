/* Copied by edge-digits firmware-gen from firmware-gen/engine/ed_kernels.h; edit the original, not this copy. */
#include "ed_prefix.h" /* added by edge-digits firmware-gen: per-model symbol names */
/*
 * ed_kernels.h — the int8 ops the generated model calls, with TFLite Micro's semantics
 * (reference_integer_ops) and bit-identical to src/quantize/kernels.ts. One reference kernel per op in its own
 * file, in the shape of TFLM's reference_integer_ops, with its formula and overflow bounds:
 *   ed_conv.h (Conv2D, and Conv2D + fused MaxPool)   ed_max_pool.h   ed_fully_connected.h
 * and the optimized kernels in files of their own, each for the layer shapes where it measured a gain
 * (docs/m4-cost.md):
 *   ed_conv_packed.h         portable: packed lanes, no padding tests, folded input offset
 *   ed_dsp_conv.h            ARMv7E-M DSP (Cortex-M4/M7): SMLAD loops for small windows and whole 4-byte blocks
 *   ed_dsp_fully_connected.h ARMv7E-M DSP: one input vector against two weight rows
 * On cores with the DSP extension (__ARM_FEATURE_DSP: the Nano 33 BLE's nRF52840) the DSP kernels run; elsewhere
 * the portable ones. -DED_DSP_KERNELS=0 keeps the portable kernels on a DSP core (the QEMU board's 'portable'
 * engine, to measure them).
 */
#ifndef ED_KERNELS_H
#define ED_KERNELS_H

#include <stdint.h>

#include "ed_engine.h"
#include "ed_kernels_common.h"
#include "ed_conv.h"
#include "ed_conv_packed.h"
#include "ed_fully_connected.h"
#include "ed_max_pool.h"

/* int8 input from 8-bit pixels, fixed by the artifact format: scale 1/255, zero point -128, q = p - 128. */
ED_KERNEL void ed_quantize_input(const uint8_t *pixels, int8_t *input) {
  int32_t i;
  for (i = 0; i < ED_INPUT_PIXELS; ++i) input[i] = (int8_t)((int32_t)pixels[i] - 128);
}

/* The portable Conv2D: the packed loop where the generator set p->packed, else the reference. */
ED_KERNEL void ed_conv2d_s8_portable(const ed_conv2d_params *p, const int8_t *restrict input, int8_t *restrict output) {
  if (p->packed != 0) {
    ed_conv2d_s8_packed(p, input, output);
  } else {
    ed_conv2d_s8_reference(p, input, output);
  }
}

#ifndef ED_DSP_KERNELS
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#define ED_DSP_KERNELS 1
#else
#define ED_DSP_KERNELS 0
#endif
#endif

#if ED_DSP_KERNELS
#include "ed_dsp_conv.h"
#include "ed_dsp_fully_connected.h"
#define ED_KERNEL_CHOICE(portable, dsp) dsp
#else
#define ED_KERNEL_CHOICE(portable, dsp) portable
#endif

ED_KERNEL void ed_conv2d_s8(const ed_conv2d_params *p, const int8_t *restrict input, int8_t *restrict output) {
  ED_KERNEL_CHOICE(ed_conv2d_s8_portable, ed_dsp_conv2d_s8)(p, input, output);
}

/* Conv2D then the MaxPool p->pool, fused (ed_conv.h): its own name, so that a per-layer probe can tell it apart. */
ED_KERNEL void ed_conv2d_max_pool_s8(const ed_conv2d_params *p, const int8_t *restrict input, int8_t *restrict output) {
  ED_KERNEL_CHOICE(ed_conv2d_s8_portable, ed_dsp_conv2d_s8)(p, input, output);
}

ED_KERNEL void ed_max_pool_s8(const ed_max_pool_params *p, const int8_t *input, int8_t *output) {
  ed_max_pool_s8_reference(p, input, output);
}

ED_KERNEL void ed_fully_connected_s8(const ed_fully_connected_params *p, const int8_t *restrict input,
                                     int8_t *restrict output) {
  ED_KERNEL_CHOICE(ed_fully_connected_s8_reference, ed_dsp_fully_connected_s8)(p, input, output);
}

#endif /* ED_KERNELS_H */
