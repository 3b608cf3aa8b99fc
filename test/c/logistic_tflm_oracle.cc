// TFLite Micro's own int8 Logistic as a test oracle for edge-digits (test/logistic-tflm.test.ts).
// Built against ../shared/tflm (TFLM's reference kernels, unchanged) with the line in ../shared/tflm/README.md.
//
//   logistic_tflm_oracle < records > results      (host byte order, until EOF)
//   in:  float32 input_scale, int32 input_zero_point
//   out: int32 input_multiplier, int32 input_left_shift, int32 input_range_radius, then 256 int8 outputs for the
//        inputs -128..127
//
// The prepare lines are TFLM's micro/kernels/logistic_common.cc (CalculateArithmeticOpData, int8 branch), which
// is not among the shared files (it needs TFLM's context machinery); the eval is reference_integer_ops::Logistic.
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "tensorflow/lite/kernels/internal/common.h"
#include "tensorflow/lite/kernels/internal/quantization_util.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/logistic.h"

int main() {
  float input_scale;
  int32_t input_zero_point;
  while (std::fread(&input_scale, sizeof input_scale, 1, stdin) == 1 &&
         std::fread(&input_zero_point, sizeof input_zero_point, 1, stdin) == 1) {
    // logistic_common.cc, int8: kInputIntegerBits = 4.
    static constexpr int kInputIntegerBits = 4;
    const double input_real_multiplier =
        static_cast<double>(input_scale) * static_cast<double>(1 << (31 - kInputIntegerBits));
    int input_left_shift;
    const double q = std::frexp(input_real_multiplier, &input_left_shift);
    const int32_t input_multiplier = static_cast<int32_t>(tflite::TfLiteRound(q * (1ll << 31)));
    const int32_t input_range_radius = tflite::CalculateInputRadius(kInputIntegerBits, input_left_shift, 31);

    int8_t input[256];
    int8_t output[256];
    for (int i = 0; i < 256; ++i) input[i] = static_cast<int8_t>(i - 128);
    tflite::reference_integer_ops::Logistic(input_zero_point, input_range_radius, input_multiplier, input_left_shift,
                                            256, input, output);
    const int32_t prepared[3] = {input_multiplier, static_cast<int32_t>(input_left_shift), input_range_radius};
    if (std::fwrite(prepared, sizeof prepared, 1, stdout) != 1 || std::fwrite(output, sizeof output, 1, stdout) != 1) return 1;
  }
  return 0;
}
