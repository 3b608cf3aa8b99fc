/*
 * calibrate_main.c — checks the instruction clock (mps2_clock.h) against loops whose instruction count is known
 * exactly, and measures what the classify timing adds around ed_classify. Built like the board firmware (same
 * startup, UART, clock; no engine), run by firmware-gen/targets/mps2/calibrate.ts with `-serial stdio`.
 *
 * Output on UART0, one JSON object per line:
 *   {"kind":"loop","name":...,"instructions_per_iteration":k,"iterations":n,"ticks":t}
 *       t = timer0 ticks across the loop; the loop body executes k*n instructions (a fixed few more sit between
 *       the two timer reads, the same for every n, so they cancel in the slope)
 *   {"kind":"timing-overhead","ticks":t}
 *       ticks between the two timer reads of micros() - classify() - micros() with a classify that returns at
 *       once: what the reply's timing field includes besides ed_classify itself
 *   {"kind":"done"}
 */
#include <stddef.h>
#include <stdint.h>

#include "mps2_clock.h"
#include "mps2_uart.h"

static void report_loop(const char *name, uint32_t per_iteration, uint32_t iterations, uint64_t ticks)
{
    mps2_uart_put_text("{\"kind\":\"loop\",\"name\":\"");
    mps2_uart_put_text(name);
    mps2_uart_put_text("\",\"instructions_per_iteration\":");
    mps2_uart_put_u64(per_iteration);
    mps2_uart_put_text(",\"iterations\":");
    mps2_uart_put_u64(iterations);
    mps2_uart_put_text(",\"ticks\":");
    mps2_uart_put_u64(ticks);
    mps2_uart_put_text("}\n");
}

/* 2 instructions per iteration: the cheapest loop, 1 + taken-branch cycles on a real M4. */
static uint64_t loop_subs_bne(uint32_t n)
{
    uint64_t t0 = mps2_clock_ticks();
    __asm__ volatile("1:\n\tsubs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
    return mps2_clock_ticks() - t0;
}

/* 4 instructions per iteration with a load and a multiply-accumulate (~5 cycles each on a real M4). */
static uint64_t loop_ldr_mla(uint32_t n)
{
    static volatile uint32_t word = 3u;
    uint32_t acc = 0u;
    uint32_t tmp;
    uint64_t t0 = mps2_clock_ticks();
    __asm__ volatile("1:\n\tldr %1, [%3]\n\tmla %2, %1, %1, %2\n\tsubs %0, %0, #1\n\tbne 1b"
                     : "+r"(n), "=&r"(tmp), "+r"(acc)
                     : "r"(&word)
                     : "cc", "memory");
    return mps2_clock_ticks() - t0;
}

/* 3 instructions per iteration around a divide (2-12 cycles on a real M4): still 3 instructions here. */
static uint64_t loop_udiv(uint32_t n)
{
    uint32_t q = 0u;
    uint32_t d = 7u;
    uint64_t t0 = mps2_clock_ticks();
    __asm__ volatile("1:\n\tudiv %1, %0, %2\n\tsubs %0, %0, #1\n\tbne 1b" : "+r"(n), "=&r"(q) : "r"(d) : "cc");
    return mps2_clock_ticks() - t0;
}

typedef uint64_t (*loop_fn)(uint32_t);

struct loop_kind {
    const char *name;
    uint32_t per_iteration;
    loop_fn run;
};

static const struct loop_kind loops[] = {
    {"subs-bne", 2u, loop_subs_bne},
    {"ldr-mla-subs-bne", 4u, loop_ldr_mla},
    {"udiv-subs-bne", 3u, loop_udiv},
};

static const uint32_t iteration_counts[] = {1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u};

/* The board core calls micros, then classify through a pointer, then micros: the same shape here. */
static int classify_nothing(void *ctx, const uint8_t *pixels, int8_t *logits, uint8_t *digit)
{
    (void)ctx;
    (void)pixels;
    (void)logits;
    *digit = 0u;
    return 0;
}

static uint32_t (*volatile micros_fn)(void *) = mps2_estimated_micros;
static int (*volatile classify_fn)(void *, const uint8_t *, int8_t *, uint8_t *) = classify_nothing;

static uint64_t timing_overhead(void)
{
    uint8_t pixels[4] = {0u, 0u, 0u, 0u};
    int8_t logits[4] = {0, 0, 0, 0};
    uint8_t digit = 0u;
    uint64_t t0;
    uint64_t t1;
    (void)micros_fn(NULL);
    t0 = mps2_clock_ticks_at_last_read();
    (void)classify_fn(NULL, pixels, logits, &digit);
    (void)micros_fn(NULL);
    t1 = mps2_clock_ticks_at_last_read();
    return t1 - t0;
}

int main(void)
{
    mps2_uart_init();
    mps2_clock_init();
    for (size_t k = 0; k < sizeof loops / sizeof loops[0]; k++) {
        for (size_t i = 0; i < sizeof iteration_counts / sizeof iteration_counts[0]; i++) {
            report_loop(loops[k].name, loops[k].per_iteration, iteration_counts[i], loops[k].run(iteration_counts[i]));
        }
    }
    mps2_uart_put_text("{\"kind\":\"timing-overhead\",\"ticks\":");
    mps2_uart_put_u64(timing_overhead());
    mps2_uart_put_text("}\n{\"kind\":\"done\"}\n");
    return 0;
}
