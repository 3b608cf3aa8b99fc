/* Copied by edge-digits firmware-gen from firmware-gen/engine/ed_dsp_fully_connected.h; edit the original, not this copy. */
#include "ed_prefix.h" /* added by edge-digits firmware-gen: per-model symbol names */
/*
 * ed_dsp_fully_connected.h — FullyConnected for cores with the ARMv7E-M DSP extension, bit-identical to
 * ed_fully_connected.h: one input vector against two weight rows per pass (the idea of CMSIS-NN's
 * arm_nn_vec_mat_mult_t_s8). Per 4 inputs: one LDR and two SXTAB16, which widen the bytes into halfword pairs and
 * add the input offset in the same instruction (x + offset is in [-255, 255], an exact int16), then per row one LDR,
 * two SXTB16 and two SMLAD: 15 instructions per 8 MACs with the loop, no buffer, no MAC computed twice (but for an odd last
 * row, which runs against itself: a 10-unit head never has one). Exactness: the same int32 sum as the reference, in another order (bounded by the generator, plan.ts).
 */
#ifndef ED_DSP_FULLY_CONNECTED_H
#define ED_DSP_FULLY_CONNECTED_H

#include <stdint.h>

#include "ed_dsp_conv.h"
#include "ed_fully_connected.h"

/* SXTAB16 with the operand rotated right by 8: a + (sign-extended byte 1, byte 3). */
ED_DSP_INLINE uint32_t ed_dsp_sxtab16_ror8(uint32_t a, uint32_t v) {
  uint32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(v));
  return r;
}

/*
 * acc[0] += w0 . (x + offset), acc[1] += w1 . (x + offset) over n inputs. The 4-input loop is asm: in C, gcc -Os
 * addressed the three arrays by index, 20 instructions per turn instead of 15.
 */
static ED_NOINLINE void ed_dsp_dot_2rows(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n,
                                         int32_t offset, int32_t acc[2]) {
  const uint32_t offsets = (uint32_t)(uint16_t)offset * 0x10001u;
  int32_t a0 = acc[0], a1 = acc[1];
  int32_t blocks = n >> 2;
  if (blocks != 0) {
    uint32_t v, xe, xo, u, t;
    __asm__ volatile(
        "1:\n\t"
        "ldr %[v], [%[x]], #4\n\t"
        "sxtab16 %[xe], %[off], %[v]\n\t"
        "sxtab16 %[xo], %[off], %[v], ror #8\n\t"
        "ldr %[u], [%[w0]], #4\n\t"
        "sxtb16 %[t], %[u]\n\t"
        "smlad %[a0], %[t], %[xe], %[a0]\n\t"
        "sxtb16 %[t], %[u], ror #8\n\t"
        "smlad %[a0], %[t], %[xo], %[a0]\n\t"
        "ldr %[u], [%[w1]], #4\n\t"
        "sxtb16 %[t], %[u]\n\t"
        "smlad %[a1], %[t], %[xe], %[a1]\n\t"
        "sxtb16 %[t], %[u], ror #8\n\t"
        "smlad %[a1], %[t], %[xo], %[a1]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b"
        : [a0] "+r"(a0), [a1] "+r"(a1), [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1), [n] "+r"(blocks), [v] "=&r"(v),
          [xe] "=&r"(xe), [xo] "=&r"(xo), [u] "=&r"(u), [t] "=&r"(t)
        : [off] "r"(offsets)
        : "cc", "memory");
  }
  for (n &= 3; n != 0; --n, ++x, ++w0, ++w1) {
    a0 += (int32_t)*w0 * ((int32_t)*x + offset);
    a1 += (int32_t)*w1 * ((int32_t)*x + offset);
  }
  acc[0] = a0;
  acc[1] = a1;
}

ED_KERNEL void ed_dsp_fully_connected_s8(const ed_fully_connected_params *p, const int8_t *restrict input,
                                         int8_t *restrict output) {
  int32_t u;
  for (u = 0; u < p->units; u += 2) {
    const int32_t u1 = u + 1 < p->units ? u + 1 : u; /* an odd last row runs against itself; one result kept */
    int32_t acc[2] = {0, 0}, j;
    ed_dsp_dot_2rows(input, p->weights + u * p->inputs, p->weights + u1 * p->inputs, p->inputs, p->input_offset, acc);
    for (j = 0; j < 2; ++j) {
      /* The exact one-multiply form (no ReLU shortcut): what the packed conv loops run, so no second copy in flash. */
      const int32_t c = j ? u1 : u;
      const ed_requantizer q = ed_requantizer_make(p->multipliers[c], p->shifts[c]);
      ed_requantize_channel_row(&acc[j], 1, 1, p->bias[c], &q, 1, p->output_offset, p->activation_min,
                                p->activation_max, output + c, 1);
    }
  }
}

#endif /* ED_DSP_FULLY_CONNECTED_H */
