/* Copied by edge-digits firmware-gen from firmware-gen/engine/ed_engine.c; edit the original, not this copy. */
#include "ed_prefix.h" /* added by edge-digits firmware-gen: per-model symbol names */
/*
 * ed_engine.c — the public entry point: argument checks, the generated model's forward pass, argmax.
 * The ops live in ed_kernels.h; the model data, arena and layer sequence in the generated <model>_model.c.
 */
#include <stddef.h>

#include "ed_engine.h"

uint8_t ed_argmax_s8(const int8_t *values, int32_t count) {
  int32_t best = 0;
  int32_t i;
  /* Strictly greater: the first maximum wins, as in the simulator and TFLite's ArgMax. */
  for (i = 1; i < count; ++i) {
    if (values[i] > values[best]) best = i;
  }
  return (uint8_t)best;
}

ed_status ed_classify(const uint8_t pixels[ED_INPUT_PIXELS], int8_t logits[ED_NUM_CLASSES], uint8_t *digit) {
  const int8_t *out;
  int32_t i;
  if (pixels == NULL || logits == NULL || digit == NULL) return ED_ERROR_NULL_ARGUMENT;
  out = ed_model_forward(pixels);
  for (i = 0; i < ED_NUM_CLASSES; ++i) logits[i] = out[i];
  *digit = ed_argmax_s8(logits, ED_NUM_CLASSES);
  return ED_OK;
}
