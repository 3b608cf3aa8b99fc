/* Copied by edge-digits firmware-gen from firmware-gen/engine/ed_engine.h; edit the original, not this copy. */
#include "ed_prefix.h" /* added by edge-digits firmware-gen: per-model symbol names */
/*
 * ed_engine.h — edge-digits int8 inference engine: public API and the per-layer parameter types.
 *
 * Portable C99, integer only: no floating point, no malloc, no recursion, no I/O. The generator
 * (firmware-gen, TypeScript) does all of TFLite Micro's "prepare" work at generation time — shapes, padding,
 * clamps, per-channel multipliers and shifts, arena offsets — and emits them as const data in
 * <model>_model.c; the C side only evaluates. Every result is bit-identical to the TypeScript simulator
 * (src/quantize/simulator.ts), which follows TFLite Micro's reference integer kernels.
 *
 * One model per build: the generated <model>_model.c defines ed_model_forward() and ed_model_describe().
 * ed_classify() uses one static activation arena, so it is not re-entrant: call it from one context at a time.
 */
#ifndef ED_ENGINE_H
#define ED_ENGINE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Layout of the generated model data and parameter structs, and the scratch the generator sizes for the packed
 * loops (4: the 3x3 one-channel loops need more than version 3 gave). A generated model header defines
 * MODEL_ABI_VERSION before including this file; a model generated for another layout stops the build here instead
 * of running with misread parameters or too little scratch.
 */
#define ED_ENGINE_ABI_VERSION 4
#if defined(MODEL_ABI_VERSION) && (MODEL_ABI_VERSION != ED_ENGINE_ABI_VERSION)
#error "edge-digits: this model was generated for another engine ABI (MODEL_ABI_VERSION != ED_ENGINE_ABI_VERSION); regenerate the engine and the model together with 'edge-digits firmware'"
#endif

#define ED_INPUT_HEIGHT 28
#define ED_INPUT_WIDTH 28
#define ED_INPUT_PIXELS (ED_INPUT_HEIGHT * ED_INPUT_WIDTH)
#define ED_NUM_CLASSES 10

typedef enum {
  ED_OK = 0,
  /* pixels, logits or digit was NULL; nothing was computed or written. */
  ED_ERROR_NULL_ARGUMENT = 1
} ed_status;

/*
 * Classifies one 28x28 grayscale image, row-major, 0 = background, 255 = ink (MNIST convention).
 * Writes the 10 int8 logits (output scale/zero point in the model header) and the index of the largest logit
 * (the first one on ties). Returns ED_ERROR_NULL_ARGUMENT without touching anything if a pointer is NULL.
 */
ed_status ed_classify(const uint8_t pixels[ED_INPUT_PIXELS], int8_t logits[ED_NUM_CLASSES], uint8_t *digit);

/* Index of the largest of count values, the first one on ties (count >= 1). */
uint8_t ed_argmax_s8(const int8_t *values, int32_t count);

/* Static facts about the compiled-in model, e.g. for a host asking the board what it runs. */
typedef struct {
  const char *name;          /* the artifact's model name */
  const char *sha256;        /* sha256 of the artifact file (model.int8.json), 64 hex digits */
  uint32_t arena_bytes;      /* static activation memory */
  uint32_t params;           /* weights + biases */
  uint32_t macs;             /* multiply-accumulates per image */
} ed_model_info;

/* Implemented by the generated model. */
const ed_model_info *ed_model_describe(void);

/*
 * Implemented by the generated model: runs every layer on one image and returns its ED_NUM_CLASSES int8 logits,
 * which live in the activation arena until the next call. pixels must not be NULL (ed_classify checks).
 */
const int8_t *ed_model_forward(const uint8_t pixels[ED_INPUT_PIXELS]);

/*
 * Per-layer parameters, filled in by the generator with designated initializers. Offsets follow TFLite:
 * input_offset = -input_zero_point, output_offset = output_zero_point. Activation clamps are int8 values.
 */
typedef struct {
  int32_t in_h, in_w, channels;
  int32_t out_h, out_w;
  int32_t pool_h, pool_w;
  int32_t stride_h, stride_w;
  int32_t activation_min, activation_max;
} ed_max_pool_params;

typedef struct {
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;   /* the convolution's own output, before any fused pool */
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w;
  int32_t pad_top, pad_left;     /* zero-point rows/columns before the input; the rest of 'same' padding is at the end */
  int32_t input_offset, output_offset;
  int32_t activation_min, activation_max;
  const int8_t *weights;         /* [out_c][kernel_h][kernel_w][in_c] (TFLite OHWI), symmetric, zero point 0 */
  const int32_t *bias;           /* [out_c], scale input_scale * weight_scale[c]; NULL where folded_bias is set */
  const int32_t *multipliers;    /* [out_c], Q0.31, >= 0 */
  const int8_t *shifts;          /* [out_c], -31..30 */
  /*
   * Scratch of the packed loops (ed_conv_packed.h, ed_dsp_conv.h), shared by every layer and sized by the
   * generator (plan.ts, packedConvEligibility). Set only where those loops are exact: no window reaches into
   * padding and the packed lanes cannot carry. NULL runs the reference loop (ed_conv.h).
   */
  int32_t *packed;
  const int32_t *folded_bias;    /* [out_c] with packed: bias[c] + input_offset * sum of channel c's weights */
  /*
   * NULL, or the max-pool that follows this conv, fused: the output is then the pool's, pool->out_h x pool->out_w
   * x out_c, and the pool's clamp comes after the conv's. The generator fuses only where requantization is
   * monotonic in the accumulator (plan.ts, fusedPoolEligibility), so that max-pooling the int32 accumulators and
   * requantizing the maximum gives the very bytes of requantizing every value and pooling them.
   */
  const ed_max_pool_params *pool;
} ed_conv2d_params;

typedef struct {
  int32_t inputs, units;
  int32_t input_offset, output_offset;
  int32_t activation_min, activation_max;
  const int8_t *weights;       /* [units][inputs] (TFLite FullyConnected) */
  const int32_t *bias;
  const int32_t *multipliers;
  const int8_t *shifts;
} ed_fully_connected_params;

#ifdef __cplusplus
}
#endif

#endif /* ED_ENGINE_H */
