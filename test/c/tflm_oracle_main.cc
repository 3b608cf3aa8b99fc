// tflm_oracle_main.cc — the engine's reference kernels (ed_conv.h with and without a fused max-pool, ed_max_pool.h,
// ed_fully_connected.h) and the portable packed conv loop (ed_conv_packed.h) against TensorFlow Lite Micro's own
// reference kernels (ConvPerChannel, MaxPool, FullyConnectedPerChannel from ../shared/tflm, unchanged) on random
// shapes and values. A fused conv + pool is compared with TFLM's ConvPerChannel followed by its MaxPool.
// Prints one JSON line per check: {"name":...,"cases":n,"mismatches":m,"first":i} (first = -1 when none).
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "tensorflow/lite/kernels/internal/reference/integer_ops/conv.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/fully_connected.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/pooling.h"

#define restrict __restrict
#define ED_DSP_KERNELS 0
#include "ed_kernels.h"

namespace {

uint32_t rng = 0x2545F491u;
uint32_t next() {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}
int32_t range(int32_t lo, int32_t hi) { return lo + static_cast<int32_t>(next() % static_cast<uint32_t>(hi - lo + 1)); }

tflite::RuntimeShape shape(int32_t a, int32_t b = -1, int32_t c = -1, int32_t d = -1) {
  const int32_t dims[4] = {a, b, c, d};
  return tflite::RuntimeShape(b < 0 ? 1 : c < 0 ? 2 : d < 0 ? 3 : 4, dims);
}

struct Check {
  const char *name;
  int cases = 0, mismatches = 0, first = -1;
  void add(int i, bool same) {
    cases++;
    if (!same && mismatches++ == 0) first = i;
  }
  void print() const { std::printf("{\"name\":\"%s\",\"cases\":%d,\"mismatches\":%d,\"first\":%d}\n", name, cases, mismatches, first); }
};

// TFLM's multipliers: Q0.31 in [2^30, 2^31), shifts as QuantizeMultiplier gives them for reals in 2^-14 .. 2^3.
void random_requant(int32_t n, std::vector<int32_t> &mult, std::vector<int32_t> &shift32, std::vector<int8_t> &shift8) {
  mult.resize(n);
  shift32.resize(n);
  shift8.resize(n);
  for (int32_t c = 0; c < n; c++) {
    mult[c] = static_cast<int32_t>(0x40000000u | (next() & 0x3FFFFFFFu));
    shift32[c] = range(-14, next() % 8u == 0u ? 3 : -1);
    shift8[c] = static_cast<int8_t>(shift32[c]);
  }
}

}  // namespace

int main() {
  Check conv{"conv2d"}, conv_pool{"conv2d-max-pool"}, packed{"conv2d-packed"}, packed_pool{"conv2d-max-pool-packed"}, pool{"maxpool"}, dense{"dense"};
  for (int i = 0; i < 1500; i++) {
    const int same = next() % 3u == 0u;
    ed_conv2d_params p = {};
    p.in_h = range(1, 12), p.in_w = range(1, 12), p.in_c = range(1, 9), p.out_c = range(1, 9);
    p.kernel_h = range(1, 3), p.kernel_w = range(1, 3), p.stride_h = range(1, 2), p.stride_w = range(1, 2);
    // A fifth of the cases: 3x3 on one input channel, the portable packed loop's first-layer path.
    if (i % 5 == 2) p.in_c = 1, p.kernel_h = 3, p.kernel_w = 3, p.in_h = range(3, 12), p.in_w = range(3, 12);
    if (same) {
      p.out_h = (p.in_h + p.stride_h - 1) / p.stride_h, p.out_w = (p.in_w + p.stride_w - 1) / p.stride_w;
      const int32_t ph = (p.out_h - 1) * p.stride_h + p.kernel_h - p.in_h, pw = (p.out_w - 1) * p.stride_w + p.kernel_w - p.in_w;
      p.pad_top = ph > 0 ? ph / 2 : 0, p.pad_left = pw > 0 ? pw / 2 : 0;
    } else {
      if (p.kernel_h > p.in_h) p.kernel_h = p.in_h;
      if (p.kernel_w > p.in_w) p.kernel_w = p.in_w;
      p.out_h = (p.in_h - p.kernel_h) / p.stride_h + 1, p.out_w = (p.in_w - p.kernel_w) / p.stride_w + 1;
    }
    p.input_offset = range(-127, 128), p.output_offset = range(-128, 127);
    p.activation_min = next() % 2u ? -128 : range(-128, 0), p.activation_max = next() % 2u ? 127 : range(1, 127);
    if (i % 3 == 0) p.output_offset = -128, p.activation_min = -128, p.activation_max = 127;  // the int8 ReLU
    const int32_t taps = p.kernel_h * p.kernel_w * p.in_c;
    std::vector<int8_t> x(p.in_h * p.in_w * p.in_c), w(p.out_c * taps);
    std::vector<int32_t> bias(p.out_c), folded(p.out_c), mult, shift32;
    std::vector<int8_t> shift8;
    for (auto &v : x) v = static_cast<int8_t>(range(-128, 127));
    for (auto &v : w) v = static_cast<int8_t>(range(-127, 127));
    for (auto &v : bias) v = range(-100000, 100000);
    random_requant(p.out_c, mult, shift32, shift8);
    for (int32_t c = 0; c < p.out_c; c++) {
      int32_t sum = 0;
      for (int32_t k = 0; k < taps; k++) sum += w[c * taps + k];
      folded[c] = bias[c] + p.input_offset * sum;
    }
    p.weights = w.data(), p.bias = bias.data(), p.multipliers = mult.data(), p.shifts = shift8.data();

    tflite::ConvParams cp = {};
    cp.padding_values.height = p.pad_top, cp.padding_values.width = p.pad_left;
    cp.stride_height = p.stride_h, cp.stride_width = p.stride_w, cp.dilation_height_factor = 1, cp.dilation_width_factor = 1;
    cp.input_offset = p.input_offset, cp.output_offset = p.output_offset;
    cp.quantized_activation_min = p.activation_min, cp.quantized_activation_max = p.activation_max;
    std::vector<int8_t> want(p.out_h * p.out_w * p.out_c), got(want.size());
    tflite::reference_integer_ops::ConvPerChannel(cp, mult.data(), shift32.data(), shape(1, p.in_h, p.in_w, p.in_c), x.data(),
                                                  shape(p.out_c, p.kernel_h, p.kernel_w, p.in_c), w.data(), shape(p.out_c), bias.data(),
                                                  shape(1, p.out_h, p.out_w, p.out_c), want.data());

    // A max-pool after it, as the generator fuses one; TFLM runs it on TFLM's conv output.
    ed_max_pool_params mp = {};
    mp.in_h = p.out_h, mp.in_w = p.out_w, mp.channels = p.out_c;
    mp.pool_h = range(1, p.out_h < 3 ? p.out_h : 3), mp.pool_w = range(1, p.out_w < 3 ? p.out_w : 3);
    mp.stride_h = range(1, 3), mp.stride_w = range(1, 3);
    mp.out_h = (mp.in_h - mp.pool_h) / mp.stride_h + 1, mp.out_w = (mp.in_w - mp.pool_w) / mp.stride_w + 1;
    mp.activation_min = next() % 2u ? -128 : range(-128, 0), mp.activation_max = next() % 2u ? 127 : range(1, 127);
    tflite::PoolParams pp = {};
    pp.stride_height = mp.stride_h, pp.stride_width = mp.stride_w, pp.filter_height = mp.pool_h, pp.filter_width = mp.pool_w;
    pp.quantized_activation_min = mp.activation_min, pp.quantized_activation_max = mp.activation_max;
    std::vector<int8_t> want_pool(mp.out_h * mp.out_w * p.out_c), got_pool(want_pool.size());
    tflite::reference_integer_ops::MaxPool(pp, shape(1, mp.in_h, mp.in_w, mp.channels), want.data(), shape(1, mp.out_h, mp.out_w, mp.channels), want_pool.data());
    // The clamps must meet for the generator to fuse (plan.ts, fusedPoolEligibility).
    const bool fusable = (mp.activation_min > p.activation_min ? mp.activation_min : p.activation_min) <=
                         (mp.activation_max < p.activation_max ? mp.activation_max : p.activation_max);

    ed_conv2d_s8_reference(&p, x.data(), got.data());
    conv.add(i, got == want);
    ed_max_pool_s8_reference(&mp, want.data(), got_pool.data());
    pool.add(i, got_pool == want_pool);
    std::vector<int32_t> scratch(4096);
    if (!same) {
      p.packed = scratch.data(), p.folded_bias = folded.data();
      ed_conv2d_s8_packed(&p, x.data(), got.data());
      packed.add(i, got == want);
    }
    if (fusable) {
      p.pool = &mp;
      p.packed = nullptr;
      ed_conv2d_s8_reference(&p, x.data(), got_pool.data());
      conv_pool.add(i, got_pool == want_pool);
      if (!same) {
        p.packed = scratch.data();
        ed_conv2d_s8_packed(&p, x.data(), got_pool.data());
        packed_pool.add(i, got_pool == want_pool);
      }
    }
  }
  for (int i = 0; i < 500; i++) {
    ed_fully_connected_params p = {};
    p.inputs = range(1, 200), p.units = range(1, 12);
    p.input_offset = range(-127, 128), p.output_offset = range(-128, 127);
    p.activation_min = next() % 2u ? -128 : range(-128, 0), p.activation_max = next() % 2u ? 127 : range(1, 127);
    std::vector<int8_t> x(p.inputs), w(p.inputs * p.units), shift8;
    std::vector<int32_t> bias(p.units), mult, shift32;
    for (auto &v : x) v = static_cast<int8_t>(range(-128, 127));
    for (auto &v : w) v = static_cast<int8_t>(range(-127, 127));
    for (auto &v : bias) v = range(-500000, 500000);
    random_requant(p.units, mult, shift32, shift8);
    p.weights = w.data(), p.bias = bias.data(), p.multipliers = mult.data(), p.shifts = shift8.data();
    tflite::FullyConnectedParams fp = {};
    fp.input_offset = p.input_offset, fp.output_offset = p.output_offset;
    fp.quantized_activation_min = p.activation_min, fp.quantized_activation_max = p.activation_max;
    std::vector<int8_t> want(p.units), got(p.units);
    std::vector<int> shift_int(shift32.begin(), shift32.end());
    tflite::reference_integer_ops::FullyConnectedPerChannel(fp, mult.data(), shift_int.data(), shape(1, p.inputs), x.data(),
                                                            shape(p.units, p.inputs), w.data(), shape(p.units), bias.data(),
                                                            shape(1, p.units), want.data());
    ed_fully_connected_s8_reference(&p, x.data(), got.data());
    dense.add(i, got == want);
  }
  for (const Check *c : {&conv, &conv_pool, &packed, &packed_pool, &pool, &dense}) c->print();
  return 0;
}
