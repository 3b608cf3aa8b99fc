/*
 * Size probe for `edge-digits firmware --size`: the smallest Cortex-M program that keeps ed_classify() and
 * everything it reaches alive through --gc-sections, so arm-none-eabi-size reports what the engine and the
 * model cost in flash and RAM. It is linked, never run: no .data/.bss initialisation, no clocks, no I/O.
 */
#include <stddef.h>
#include <stdint.h>

#include "ed_engine.h"

void Reset_Handler(void);

extern uint32_t __stack_top; /* from cortex-m4.ld */

/* The input pointer comes from a volatile so the compiler cannot fold the model away, and costs 4 bytes of RAM
 * instead of a 784-byte image buffer that the real firmware would own anyway. */
static const uint8_t *volatile probe_pixels;
static volatile uint32_t probe_sink;

void Reset_Handler(void) {
  for (;;) {
    int8_t logits[ED_NUM_CLASSES];
    uint8_t digit = 0;
    if (ed_classify(probe_pixels, logits, &digit) == ED_OK) probe_sink = digit;
    probe_sink = ed_model_describe()->arena_bytes;
  }
}

typedef void (*vector_entry)(void);

/* Cortex-M vector table: initial stack pointer, then the reset handler. */
__attribute__((section(".isr_vector"), used)) static const vector_entry probe_vectors[2] = {
    (vector_entry)(uintptr_t)&__stack_top,
    Reset_Handler,
};
