/*
 * layer_probe.h — per-layer instruction counts of the generated model on the QEMU board.
 *
 * build.ts compiles the generated <model>_model.c not on its own but included by a small wrapper that first
 * redefines each kernel name (ed_conv2d_s8, ...) as a macro that stamps the instruction clock, then makes the
 * real call. The layer sequence, parameters and kernels are the generated ones, unchanged.
 *
 * A stamp is a few instructions and no function call: a call between the inlined kernels would change how the
 * compiler allocates registers across ed_model_forward and so the code being measured (timing each layer with
 * mps2_clock_ticks() calls made the probe's forward pass ~25 % cheaper than the firmware's). The memory clobbers
 * keep the kernels' loads and stores on their side of the stamp.
 */
#ifndef LAYER_PROBE_H
#define LAYER_PROBE_H

#include <stdint.h>

#include "mps2_hw.h"

#define LAYER_PROBE_MAX_STAMPS 64u

extern const char *layer_probe_ops[LAYER_PROBE_MAX_STAMPS];
extern uint32_t layer_probe_values[LAYER_PROBE_MAX_STAMPS]; /* timer0 VALUE (counts down) at each stamp */
extern uint32_t layer_probe_count;

static inline __attribute__((always_inline)) void layer_probe_stamp(const char *op)
{
    uint32_t n;
    __asm__ volatile("" ::: "memory");
    n = layer_probe_count;
    if (n < LAYER_PROBE_MAX_STAMPS) {
        layer_probe_ops[n] = op;
        layer_probe_values[n] = MPS2_TIMER_VALUE(MPS2_TIMER0_BASE);
    }
    layer_probe_count = n + 1u;
    __asm__ volatile("" ::: "memory");
}

#define LAYER_PROBE_TIME(call, op) \
    do {                           \
        layer_probe_stamp(op);     \
        call;                      \
    } while (0)

#endif /* LAYER_PROBE_H */
