/*
 * layer_probe.h — per-layer instruction counts of the generated model on the QEMU board.
 *
 * build.ts compiles the generated <model>_model.c not on its own but included by a small wrapper that first
 * redefines each kernel name (ed_conv2d_s8, ...) as a macro timing the real call with the instruction clock. The
 * layer sequence, parameters and kernels are the generated ones, unchanged; only the two clock reads per layer
 * are added (calibration measures their cost).
 */
#ifndef LAYER_PROBE_H
#define LAYER_PROBE_H

#include <stdint.h>

#include "mps2_clock.h"

void layer_probe_record(const char *op, uint64_t ticks);

#define LAYER_PROBE_TIME(call, op)                                  \
    do {                                                            \
        uint64_t layer_probe_t0 = mps2_clock_ticks();               \
        call;                                                       \
        layer_probe_record((op), mps2_clock_ticks() - layer_probe_t0); \
    } while (0)

#endif /* LAYER_PROBE_H */
