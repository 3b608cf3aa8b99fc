/*
 * Test harness for firmware-gen/engine/ed_logistic.h, driven by test/logistic-c.test.ts.
 *
 *   logistic_main golden                  checks the hand-worked vectors below; prints "ok N" or the first failure
 *   logistic_main table < records         in:  int32 input_zero_point, input_range_radius, input_multiplier,
 *                                              input_left_shift (as the generator emits them)
 *                                         out: 256 int8, ed_logistic_s8 of the inputs -128..127
 *   logistic_main q4 < int32s             out: int32 ed_fp_logistic_q4(a), the Q4.27 -> Q0.31 core
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ed_logistic.h"

/*
 * Hand-worked vectors. Input scale 1/16, zero point 0: input_scale * 2^27 = 2^23 = 0.5 * 2^24, so
 * multiplier = 2^30, left shift 24, radius = floor(15 * 2^27 / 2^24) = 120. real x = q / 16;
 * out = round(256 * sigmoid(x)) - 128 (none of these is within 0.1 of a tie).
 *   q =    0: sigmoid(0)      = 0.5        -> 128.00 -> 0          (the input zero point: exactly one half)
 *   q =   16: sigmoid(1)      = 0.731059   -> 187.15 -> 59
 *   q =  -16: sigmoid(-1)     = 0.268941   ->  68.85 -> -59
 *   q =   40: sigmoid(2.5)    = 0.924142   -> 236.58 -> 109
 *   q =  -40: sigmoid(-2.5)   = 0.075858   ->  19.42 -> -109
 *   q =  119: sigmoid(7.4375) = 0.999411   -> 255.85 -> 128, clamped to 127 (not saturated by the radius)
 *   q =  120: |x| >= radius                           -> 127      (saturation by the radius test)
 *   q =  127: the int8 top                            -> 127
 *   q = -120: x <= -radius                           -> -128
 *   q = -128: the int8 bottom                         -> -128
 *   q = -119: sigmoid(-7.4375)= 0.000589   ->   0.15 -> -128
 * Input scale 1/16, zero point -128 (the input zero point at the int8 bottom): x = (q + 128) / 16.
 *   q = -128: x = 0 -> 0;   q = -112: x = 1 -> 59;   q = 127: x = 15.9375 >= radius 120/16 -> 127
 * Input scale 1/16, zero point 127: q = 127 -> 0;  q = -128: x = -255/16, beyond the radius -> -128
 */
typedef struct {
  int32_t zero_point;
  int8_t q;
  int8_t expected;
} golden_vector;

static const golden_vector golden[] = {
  {0, 0, 0},       {0, 16, 59},     {0, -16, -59},    {0, 40, 109},    {0, -40, -109}, {0, 119, 127},
  {0, 120, 127},   {0, 127, 127},   {0, -120, -128},  {0, -128, -128}, {0, -119, -128},
  {-128, -128, 0}, {-128, -112, 59}, {-128, 127, 127}, {127, 127, 0},   {127, -128, -128},
};

static int run_golden(void) {
  size_t i;
  for (i = 0; i < sizeof golden / sizeof golden[0]; ++i) {
    const ed_logistic_params p = {1, golden[i].zero_point, 120, INT32_C(1) << 30, 24};
    int8_t out = 0;
    ed_logistic_s8(&p, &golden[i].q, &out);
    if (out != golden[i].expected) {
      printf("fail zero_point %d q %d: got %d, expected %d\n", (int)golden[i].zero_point, (int)golden[i].q, (int)out,
             (int)golden[i].expected);
      return 1;
    }
  }
  /* logistic(0) is exactly 1/2 in Q0.31; logistic of large |a| tends to 1 and 0. */
  if (ed_fp_logistic_q4(0) != (INT32_C(1) << 30)) {
    printf("fail ed_fp_logistic_q4(0) = %ld\n", (long)ed_fp_logistic_q4(0));
    return 1;
  }
  printf("ok %u\n", (unsigned)(sizeof golden / sizeof golden[0]));
  return 0;
}

static int run_table(void) {
  int32_t rec[4];
  int8_t input[256];
  int8_t output[256];
  int i;
  for (i = 0; i < 256; ++i) input[i] = (int8_t)(i - 128);
  while (fread(rec, sizeof rec, 1, stdin) == 1) {
    const ed_logistic_params p = {256, rec[0], rec[1], rec[2], rec[3]};
    /* In place, as the generated model runs it. */
    memcpy(output, input, sizeof output);
    ed_logistic_s8(&p, output, output);
    if (fwrite(output, sizeof output, 1, stdout) != 1) return 1;
  }
  return 0;
}

static int run_q4(void) {
  int32_t a;
  while (fread(&a, sizeof a, 1, stdin) == 1) {
    const int32_t y = ed_fp_logistic_q4(a);
    if (fwrite(&y, sizeof y, 1, stdout) != 1) return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "golden") == 0) return run_golden();
  if (argc == 2 && strcmp(argv[1], "table") == 0) return run_table();
  if (argc == 2 && strcmp(argv[1], "q4") == 0) return run_q4();
  fprintf(stderr, "usage: logistic_main golden|table|q4\n");
  return 2;
}
