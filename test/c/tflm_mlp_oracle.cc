// TFLite Micro's reference kernels running a whole dense/logistic model (models/mlp), as the oracle of
// test/logistic-tflm.test.ts. Built like logistic_tflm_oracle.cc against ../shared/tflm (unchanged TFLM sources).
//
//   tflm_mlp_oracle < model-and-images > logits         (int32 little-endian fields unless noted)
//   layer count, then per layer:
//     1 (FullyConnected): inputs, units, input_offset, output_offset, act_min, act_max,
//                         weights[units * inputs], bias[units], multipliers[units], shifts[units]
//     2 (Logistic):       size, input_zero_point, input_scale (float32 bits)
//   image count, then 784 uint8 pixels per image (q = p - 128)
//   out: the last layer's int8 output per image
//
// The logistic prepare is computed here from the input scale, as TFLM's logistic_common.cc does, not read from
// the artifact: the artifact's stored prepare is what is under test.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "tensorflow/lite/kernels/internal/common.h"
#include "tensorflow/lite/kernels/internal/quantization_util.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/fully_connected.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/logistic.h"

namespace {

bool ReadI32(int32_t* v) { return std::fread(v, sizeof *v, 1, stdin) == 1; }

struct Layer {
  int32_t op = 0;
  int32_t inputs = 0, units = 0, input_offset = 0, output_offset = 0, act_min = 0, act_max = 0;
  std::vector<int8_t> weights;
  std::vector<int32_t> bias, multipliers;
  std::vector<int> shifts;
  int32_t size = 0, zero_point = 0, multiplier = 0, left_shift = 0, radius = 0;
};

bool ReadLayer(Layer* l) {
  if (!ReadI32(&l->op)) return false;
  if (l->op == 1) {
    int32_t* fields[] = {&l->inputs, &l->units, &l->input_offset, &l->output_offset, &l->act_min, &l->act_max};
    for (int32_t* f : fields) if (!ReadI32(f)) return false;
    l->weights.resize(static_cast<size_t>(l->units) * l->inputs);
    for (auto& w : l->weights) {
      int32_t v;
      if (!ReadI32(&v)) return false;
      w = static_cast<int8_t>(v);
    }
    l->bias.resize(l->units);
    l->multipliers.resize(l->units);
    l->shifts.resize(l->units);
    for (auto& b : l->bias) if (!ReadI32(&b)) return false;
    for (auto& m : l->multipliers) if (!ReadI32(&m)) return false;
    for (auto& s : l->shifts) {
      int32_t v;
      if (!ReadI32(&v)) return false;
      s = v;
    }
    return true;
  }
  if (l->op == 2) {
    float scale;
    if (!ReadI32(&l->size) || !ReadI32(&l->zero_point) || std::fread(&scale, sizeof scale, 1, stdin) != 1) return false;
    static constexpr int kInputIntegerBits = 4;  // logistic_common.cc, int8
    const double real = static_cast<double>(scale) * static_cast<double>(1 << (31 - kInputIntegerBits));
    int shift;
    const double q = std::frexp(real, &shift);
    l->multiplier = static_cast<int32_t>(tflite::TfLiteRound(q * (1ll << 31)));
    l->left_shift = shift;
    l->radius = tflite::CalculateInputRadius(kInputIntegerBits, shift, 31);
    return true;
  }
  return false;
}

}  // namespace

int main() {
  int32_t layer_count;
  if (!ReadI32(&layer_count) || layer_count < 1) return 2;
  std::vector<Layer> layers(layer_count);
  for (auto& l : layers) if (!ReadLayer(&l)) return 2;
  int32_t images;
  if (!ReadI32(&images)) return 2;
  std::vector<uint8_t> pixels(784);
  for (int32_t n = 0; n < images; ++n) {
    if (std::fread(pixels.data(), 1, pixels.size(), stdin) != pixels.size()) return 2;
    std::vector<int8_t> x(784);
    for (int i = 0; i < 784; ++i) x[i] = static_cast<int8_t>(pixels[i] - 128);
    for (const auto& l : layers) {
      if (l.op == 1) {
        std::vector<int8_t> y(l.units);
        tflite::FullyConnectedParams p = {};
        p.input_offset = l.input_offset;
        p.output_offset = l.output_offset;
        p.quantized_activation_min = l.act_min;
        p.quantized_activation_max = l.act_max;
        const int32_t in_dims[2] = {1, l.inputs}, filter_dims[2] = {l.units, l.inputs}, bias_dims[1] = {l.units},
                      out_dims[2] = {1, l.units};
        tflite::reference_integer_ops::FullyConnectedPerChannel<int8_t, int8_t, int8_t, int32_t>(
            p, l.multipliers.data(), l.shifts.data(), tflite::RuntimeShape(2, in_dims), x.data(),
            tflite::RuntimeShape(2, filter_dims), l.weights.data(), tflite::RuntimeShape(1, bias_dims), l.bias.data(),
            tflite::RuntimeShape(2, out_dims), y.data());
        x = y;
      } else {
        std::vector<int8_t> y(l.size);
        tflite::reference_integer_ops::Logistic(l.zero_point, l.radius, l.multiplier, l.left_shift, l.size, x.data(),
                                                y.data());
        x = y;
      }
    }
    if (std::fwrite(x.data(), 1, x.size(), stdout) != x.size()) return 1;
  }
  return 0;
}
