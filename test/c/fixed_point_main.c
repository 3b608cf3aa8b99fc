/*
 * Test harness for firmware-gen/engine/ed_fixedpoint.h, driven by test/fixed-point-c.test.ts.
 *
 *   fixed_point_main <mode> < records > results          (host byte order, fixed-size records until EOF)
 *
 *   srdhm     in: int32 a, int32 b                 out: int32 ed_srdhm(a, b)
 *   rdbpot    in: int32 x, int32 exponent          out: int32 ed_rounding_divide_by_pot(x, exponent)
 *   mbqm      in: int32 x, int32 multiplier, shift out: int32 ed_multiply_by_quantized_multiplier(...)
 *   mbqm64    in: int32 x, int32 multiplier, shift out: int32 ed_requantizer_apply(&q, x, 1), then (..., 0)
 *                                                       with q = ed_requantizer_make(multiplier, shift)
 *   frexp     in: double x                         out: double fraction, int32 exponent   (libm frexp)
 *   quantize  in: double real (>= 0, finite)       out: int32 multiplier, int32 shift
 *
 * frexp and quantize are independent oracles for the TS quantizeMultiplier: libm's frexp and round() following
 * TFLite's QuantizeMultiplier line by line (double-rounding build, so no clamp of shift > 30).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ed_fixedpoint.h"

static int read_exact(void *dst, size_t size) { return fread(dst, size, 1, stdin) == 1; }

static int write_exact(const void *src, size_t size) { return fwrite(src, size, 1, stdout) == 1; }

static void tflite_quantize_multiplier(double real, int32_t *quantized_multiplier, int *shift) {
  double q;
  int64_t q_fixed;
  if (real == 0.) {
    *quantized_multiplier = 0;
    *shift = 0;
    return;
  }
  q = frexp(real, shift);
  q_fixed = (int64_t)round(q * (double)(INT64_C(1) << 31));
  if (q_fixed == (INT64_C(1) << 31)) {
    q_fixed /= 2;
    ++*shift;
  }
  if (*shift < -31) {
    *shift = 0;
    q_fixed = 0;
  }
  *quantized_multiplier = (int32_t)q_fixed;
}

enum int32_mode { MODE_SRDHM, MODE_RDBPOT, MODE_MBQM, MODE_MBQM64 };

static int run_int32_mode(enum int32_mode mode) {
  int32_t in[3];
  const size_t arity = mode == MODE_MBQM || mode == MODE_MBQM64 ? 3 : 2;
  while (read_exact(in, arity * sizeof in[0])) {
    int32_t out;
    if (mode == MODE_SRDHM) {
      out = ed_srdhm(in[0], in[1]);
    } else if (mode == MODE_RDBPOT) {
      if (in[1] < 0 || in[1] > 31) {
        fprintf(stderr, "rdbpot: exponent %ld outside 0..31\n", (long)in[1]);
        return 1;
      }
      out = ed_rounding_divide_by_pot(in[0], (int)in[1]);
    } else {
      if (in[2] < -31 || in[2] > 30) {
        fprintf(stderr, "mbqm: shift %ld outside -31..30\n", (long)in[2]);
        return 1;
      }
      if (mode == MODE_MBQM64) {
        const ed_requantizer q = ed_requantizer_make(in[1], (int)in[2]);
        const int32_t exact = ed_requantizer_apply(&q, in[0], 1);
        if (in[1] < 0) {
          fprintf(stderr, "mbqm64: multiplier %ld < 0\n", (long)in[1]);
          return 1;
        }
        if (!write_exact(&exact, sizeof exact)) return 1;
        out = ed_requantizer_apply(&q, in[0], 0);
      } else {
        out = ed_multiply_by_quantized_multiplier(in[0], in[1], (int)in[2]);
      }
    }
    if (!write_exact(&out, sizeof out)) return 1;
  }
  return ferror(stdin) ? 1 : 0;
}

static int run_double_mode(int is_frexp) {
  double x;
  while (read_exact(&x, sizeof x)) {
    int exponent = 0;
    if (is_frexp) {
      const double fraction = frexp(x, &exponent);
      const int32_t exponent32 = (int32_t)exponent;
      if (!write_exact(&fraction, sizeof fraction) || !write_exact(&exponent32, sizeof exponent32)) return 1;
    } else {
      int32_t out[2];
      if (!(x >= 0.) || isinf(x)) {
        fprintf(stderr, "quantize: real %.17g is not finite and >= 0\n", x);
        return 1;
      }
      tflite_quantize_multiplier(x, &out[0], &exponent);
      out[1] = (int32_t)exponent;
      if (!write_exact(out, sizeof out)) return 1;
    }
  }
  return ferror(stdin) ? 1 : 0;
}

int main(int argc, char **argv) {
  const char *mode = argc == 2 ? argv[1] : "";
  if (strcmp(mode, "srdhm") == 0) return run_int32_mode(MODE_SRDHM);
  if (strcmp(mode, "rdbpot") == 0) return run_int32_mode(MODE_RDBPOT);
  if (strcmp(mode, "mbqm") == 0) return run_int32_mode(MODE_MBQM);
  if (strcmp(mode, "mbqm64") == 0) return run_int32_mode(MODE_MBQM64);
  if (strcmp(mode, "frexp") == 0) return run_double_mode(1);
  if (strcmp(mode, "quantize") == 0) return run_double_mode(0);
  fprintf(stderr, "usage: fixed_point_main srdhm|rdbpot|mbqm|mbqm64|frexp|quantize < records > results\n");
  return 2;
}
