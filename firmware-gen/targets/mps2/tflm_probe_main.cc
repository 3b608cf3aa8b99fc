/*
 * tflm_probe_main.cc — TensorFlow Lite Micro's reference integer kernels (ConvPerChannel, MaxPool,
 * FullyConnectedPerChannel, from ../shared/tflm, unchanged) running the model in tflm_probe_model.h on the emulated
 * Cortex-M4, each kernel call stamped with timer0 like layer_probe.h, so bench/m4-cost.ts can put TFLM's
 * instructions per MAC beside the project's, at the optimization level it was built with. Output on UART0 in the
 * layer probe's format (layer_probe_main.c): one "layer" line per kernel call, a "classify" line, "done".
 */
#include <stdint.h>

#include "tensorflow/lite/kernels/internal/reference/integer_ops/conv.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/fully_connected.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/pooling.h"

extern "C" {
#include "mps2_clock.h"
#include "mps2_hw.h"
#include "mps2_uart.h"
}

#include "tflm_probe_model.h"

namespace {

const char *stamp_ops[TFLM_LAYER_COUNT];
uint32_t stamps[TFLM_LAYER_COUNT];
int8_t arena_a[TFLM_MAX_TENSOR], arena_b[TFLM_MAX_TENSOR];

tflite::RuntimeShape shape(int32_t a, int32_t b = -1, int32_t c = -1, int32_t d = -1) {
  const int32_t dims[4] = {a, b, c, d};
  return tflite::RuntimeShape(b < 0 ? 1 : c < 0 ? 2 : d < 0 ? 3 : 4, dims);
}

tflite::RuntimeShape shape4(int32_t h, int32_t w, int32_t c) { return shape(1, h, w, c); }

void run_layer(const tflm_layer &l, const int8_t *in, int8_t *out) {
  if (l.op == TFLM_CONV) {
    tflite::ConvParams p = {};
    p.padding_values.height = l.pad_top;
    p.padding_values.width = l.pad_left;
    p.stride_height = l.stride_h;
    p.stride_width = l.stride_w;
    p.dilation_height_factor = 1;
    p.dilation_width_factor = 1;
    p.input_offset = l.input_offset;
    p.output_offset = l.output_offset;
    p.quantized_activation_min = l.act_min;
    p.quantized_activation_max = l.act_max;
    tflite::reference_integer_ops::ConvPerChannel(
        p, l.multipliers, l.shifts, shape4(l.in_h, l.in_w, l.in_c), in, shape(l.out_c, l.k_h, l.k_w, l.in_c),
        l.weights, shape(l.out_c), l.bias, shape4(l.out_h, l.out_w, l.out_c), out);
  } else if (l.op == TFLM_MAXPOOL) {
    tflite::PoolParams p = {};
    p.stride_height = l.stride_h;
    p.stride_width = l.stride_w;
    p.filter_height = l.k_h;
    p.filter_width = l.k_w;
    p.quantized_activation_min = l.act_min;
    p.quantized_activation_max = l.act_max;
    tflite::reference_integer_ops::MaxPool(p, shape4(l.in_h, l.in_w, l.in_c), in, shape4(l.out_h, l.out_w, l.out_c), out);
  } else {
    tflite::FullyConnectedParams p = {};
    p.input_offset = l.input_offset;
    p.output_offset = l.output_offset;
    p.quantized_activation_min = l.act_min;
    p.quantized_activation_max = l.act_max;
    const int32_t inputs = l.in_h * l.in_w * l.in_c;
    tflite::reference_integer_ops::FullyConnectedPerChannel(
        p, l.multipliers, reinterpret_cast<const int *>(l.shifts), shape(1, inputs), in,
        shape(l.out_c, inputs), l.weights, shape(l.out_c), l.bias,
        shape(1, l.out_c), out);
  }
}

}  // namespace

int main() {
  mps2_uart_init();
  mps2_clock_init();
  for (uint32_t image = 0; image < TFLM_IMAGE_COUNT; image++) {
    const uint32_t start = MPS2_TIMER_VALUE(MPS2_TIMER0_BASE);
    int8_t *in = arena_a, *out = arena_b;
    stamp_ops[0] = "quantize";
    stamps[0] = start;
    for (int32_t i = 0; i < 784; i++) in[i] = static_cast<int8_t>(tflm_images[image][i] - 128);
    for (int32_t i = 0; i < TFLM_LAYER_COUNT - 1; i++) {
      stamp_ops[i + 1] = tflm_layers[i].op == TFLM_CONV ? "conv2d" : tflm_layers[i].op == TFLM_MAXPOOL ? "maxpool" : "dense";
      stamps[i + 1] = MPS2_TIMER_VALUE(MPS2_TIMER0_BASE);
      run_layer(tflm_layers[i], in, out);
      int8_t *t = in;
      in = out;
      out = t;
    }
    const uint32_t end = MPS2_TIMER_VALUE(MPS2_TIMER0_BASE);
    for (int32_t i = 0; i < TFLM_LAYER_COUNT; i++) {
      mps2_uart_put_text("{\"kind\":\"layer\",\"image\":");
      mps2_uart_put_u64(image);
      mps2_uart_put_text(",\"index\":");
      mps2_uart_put_u64(static_cast<uint64_t>(i));
      mps2_uart_put_text(",\"op\":\"");
      mps2_uart_put_text(stamp_ops[i]);
      mps2_uart_put_text("\",\"ticks\":");
      mps2_uart_put_u64(static_cast<uint32_t>(stamps[i] - (i + 1 < TFLM_LAYER_COUNT ? stamps[i + 1] : end)));
      mps2_uart_put_text("}\n");
    }
    mps2_uart_put_text("{\"kind\":\"classify\",\"image\":");
    mps2_uart_put_u64(image);
    mps2_uart_put_text(",\"ticks\":");
    mps2_uart_put_u64(static_cast<uint32_t>(start - end));
    mps2_uart_put_text(",\"digit\":0,\"logits\":[");
    for (int k = 0; k < 10; k++) {
      if (k) mps2_uart_put(static_cast<uint8_t>(','));
      mps2_uart_put_i32(in[k]);
    }
    mps2_uart_put_text("]}\n");
  }
  mps2_uart_put_text("{\"kind\":\"done\"}\n");
  return 0;
}
