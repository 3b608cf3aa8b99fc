/*
 * dsp_check_main.c — every optimized kernel against its reference kernel on the emulated Cortex-M4: the DSP
 * requantization on edge and random values, and Conv2D (plain and with a fused max-pool: the portable packed loop
 * and the DSP loops against ed_conv.h) and FullyConnected (ed_dsp_fully_connected.h against ed_fully_connected.h)
 * on random shapes the default model never has (odd channel counts, in_c not a multiple of 4, small and large
 * windows, 'same' padding, strides 2, overlapping and floor-mode pools). Parameters are built at run time, so this
 * exercises the kernels' generic paths; the model-specialized paths are checked by running the real model (the QEMU
 * board against the simulator). The reference kernels themselves are checked against TFLite Micro's on the host
 * (test/tflm-oracle.test.ts).
 *
 * Output on UART0, one JSON object per line:
 *   {"kind":"check","name":"conv2d","cases":n,"mismatches":m}   m = cases whose outputs differ in any byte
 *   {"kind":"mismatch","name":"conv2d","case":i,"detail":"..."}  the first mismatch of each kind, if any
 *   {"kind":"done"}
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ed_kernels.h" /* and, built with ED_DSP_KERNELS=1, the DSP kernels */
#include "mps2_uart.h"

#define MAX_TENSOR 1024
#define MAX_CHANNELS 9
#define MAX_WEIGHTS (MAX_CHANNELS * 3 * 3 * MAX_CHANNELS)

static uint32_t rng_state = 0x9E3779B9u;

/* xorshift32: a fixed sequence, so a mismatch reproduces. */
static uint32_t rng_next(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static int32_t rng_range(int32_t lo, int32_t hi)
{
    return lo + (int32_t)(rng_next() % (uint32_t)(hi - lo + 1));
}

static void fill_s8(int8_t *dst, int32_t n)
{
    for (int32_t i = 0; i < n; i++) dst[i] = (int8_t)rng_range(-128, 127);
}

/* Weights as artifacts hold them: symmetric int8, [-127, 127] (the packed loop's lanes rely on it). */
static void fill_weights(int8_t *dst, int32_t n)
{
    for (int32_t i = 0; i < n; i++) dst[i] = (int8_t)rng_range(-127, 127);
}

static void report(const char *name, uint32_t cases, uint32_t mismatches)
{
    mps2_uart_put_text("{\"kind\":\"check\",\"name\":\"");
    mps2_uart_put_text(name);
    mps2_uart_put_text("\",\"cases\":");
    mps2_uart_put_u64(cases);
    mps2_uart_put_text(",\"mismatches\":");
    mps2_uart_put_u64(mismatches);
    mps2_uart_put_text("}\n");
}

static void report_mismatch(const char *name, uint32_t index, const char *what, int32_t a, int32_t b, int32_t c)
{
    mps2_uart_put_text("{\"kind\":\"mismatch\",\"name\":\"");
    mps2_uart_put_text(name);
    mps2_uart_put_text("\",\"case\":");
    mps2_uart_put_u64(index);
    mps2_uart_put_text(",\"detail\":\"");
    mps2_uart_put_text(what);
    mps2_uart_put_text(" ");
    mps2_uart_put_i32(a);
    mps2_uart_put_text(" ");
    mps2_uart_put_i32(b);
    mps2_uart_put_text(" ");
    mps2_uart_put_i32(c);
    mps2_uart_put_text("\"}\n");
}

/* A multiplier as TFLite makes them (Q0.31 in [2^30, 2^31), the engine's contract: >= 0), or an extreme one. */
static int32_t random_multiplier(void)
{
    switch (rng_next() % 16u) {
    case 0: return INT32_MAX;
    case 1: return 1;
    case 2: return 0;
    case 3: return (int32_t)(rng_next() & 0x7FFFFFFFu);
    default: return (int32_t)(0x40000000u | (rng_next() & 0x3FFFFFFFu));
    }
}

static int32_t random_accumulator(void)
{
    switch (rng_next() % 8u) {
    case 0: return INT32_MIN;
    case 1: return INT32_MAX;
    case 2: return rng_range(-4, 4);
    case 3: return (int32_t)rng_next();
    default: return rng_range(-2000000, 2000000);
    }
}

/* The DSP form (ed_dsp_requantize_row, one value) against ed_requantize, on its domain |acc| < 2^30. */
static void check_requantize(void)
{
    uint32_t mismatches = 0;
    const uint32_t cases = 20000u;
    for (uint32_t i = 0; i < cases; i++) {
        int32_t acc = random_accumulator();
        const int32_t multiplier = random_multiplier();
        const int shift = (int)rng_range(-31, i % 4u == 0u ? 30 : 0);
        const int32_t offset = rng_range(-128, 127);
        int32_t lo = rng_range(-128, 127);
        int32_t hi = rng_range(-128, 127);
        if (acc >= (INT32_C(1) << 30) || acc <= -(INT32_C(1) << 30)) acc /= 4;
        if (i % 3u == 0u) {
            lo = i % 2u ? INT8_MIN : offset;
            hi = INT8_MAX;
        }
        if (lo > hi) {
            const int32_t t = lo;
            lo = hi;
            hi = t;
        }
        {
            const ed_requantizer q = ed_requantizer_make(multiplier, shift);
            const int8_t want = ed_requantize(acc, multiplier, shift, offset, lo, hi);
            int8_t got = 0;
            ed_dsp_requantize_row(&acc, 1, 1, 0, &q, lo < offset, offset, lo, hi, &got, 1);
            if (want != got) {
                if (mismatches == 0u) report_mismatch("requantize", i, "acc multiplier shift", acc, multiplier, shift);
                mismatches++;
            }
        }
    }
    report("requantize", cases, mismatches);
}

static int8_t conv_in[MAX_TENSOR], conv_out_ref[MAX_TENSOR], conv_out_dsp[MAX_TENSOR], conv_out_packed[MAX_TENSOR];
static int8_t conv_w[MAX_WEIGHTS];
static int32_t conv_bias[MAX_CHANNELS], conv_mult[MAX_CHANNELS], conv_folded_bias[MAX_CHANNELS];
/* The packed loops' scratch, more than any case here needs (plan.ts packedConvEligibility sizes it per model). */
static int32_t conv_packed[4096];
static int8_t conv_shift[MAX_CHANNELS];

/* Per-channel requantization and clamp shared by conv and dense cases. */
static void random_requant(int32_t channels, int32_t *act_min, int32_t *act_max)
{
    for (int32_t c = 0; c < channels; c++) {
        conv_bias[c] = rng_range(-100000, 100000);
        conv_mult[c] = random_multiplier();
        conv_shift[c] = (int8_t)rng_range(-12, 2);
    }
    *act_min = rng_next() % 2u ? INT8_MIN : rng_range(-128, 0);
    *act_max = rng_next() % 2u ? INT8_MAX : rng_range(1, 127);
}

/*
 * names: plain, fused pool, and the portable packed loop on each. With one_channel every case is a valid 3x3 conv on
 * one input channel (a first layer: ed_dsp_conv.h's 2x2-pool loop when the stride is 1 and the pool 2x2, which a
 * quarter of the cases are, and the portable 3x3 loop), else shapes of every kind.
 */
static void check_conv2d(const char *const names[4], uint32_t cases, int one_channel)
{
    /* [0]: plain conv, [1]: with a fused max-pool */
    uint32_t mismatches[2] = {0, 0}, packed_mismatches[2] = {0, 0}, kind_cases[2] = {0, 0}, packed_cases[2] = {0, 0};
    for (uint32_t i = 0; i < cases; i++) {
        ed_conv2d_params p;
        ed_max_pool_params pool;
        const int same = !one_channel && (int)(rng_next() % 3u == 0u);
        p.in_h = rng_range(one_channel ? 3 : 1, one_channel ? 12 : 10);
        p.in_w = rng_range(one_channel ? 3 : 1, one_channel ? 12 : 10);
        p.in_c = one_channel ? 1 : i % 4u == 0u ? 4 * rng_range(1, 2) : i % 4u == 1u ? 1 : rng_range(1, MAX_CHANNELS);
        p.out_c = rng_range(1, MAX_CHANNELS);
        p.kernel_h = one_channel ? 3 : rng_range(1, 3);
        p.kernel_w = one_channel ? 3 : rng_range(1, 3);
        p.stride_h = one_channel && i % 4u == 0u ? 1 : rng_range(1, 2);
        p.stride_w = one_channel && i % 4u == 0u ? 1 : rng_range(1, 2);
        if (same) {
            /* TFLite 'same': out = ceil(in / stride), padding split with the extra row/column at the end. */
            const int32_t pad_h = ((p.in_h + p.stride_h - 1) / p.stride_h - 1) * p.stride_h + p.kernel_h - p.in_h;
            const int32_t pad_w = ((p.in_w + p.stride_w - 1) / p.stride_w - 1) * p.stride_w + p.kernel_w - p.in_w;
            p.out_h = (p.in_h + p.stride_h - 1) / p.stride_h;
            p.out_w = (p.in_w + p.stride_w - 1) / p.stride_w;
            p.pad_top = pad_h > 0 ? pad_h / 2 : 0;
            p.pad_left = pad_w > 0 ? pad_w / 2 : 0;
        } else {
            if (p.kernel_h > p.in_h) p.kernel_h = p.in_h;
            if (p.kernel_w > p.in_w) p.kernel_w = p.in_w;
            p.out_h = (p.in_h - p.kernel_h) / p.stride_h + 1;
            p.out_w = (p.in_w - p.kernel_w) / p.stride_w + 1;
            p.pad_top = 0;
            p.pad_left = 0;
        }
        p.input_offset = rng_range(-127, 128);
        p.output_offset = rng_range(-128, 127);
        random_requant(p.out_c, &p.activation_min, &p.activation_max);
        if (i % 3u == 0u) {
            /* The int8 ReLU output the DSP requantization takes its shortcut for. */
            p.output_offset = -128;
            p.activation_min = -128;
            p.activation_max = 127;
        }
        /* Every other case fuses a max-pool (any window and stride the conv output allows, floor mode), as the
         * generator does where acc << shift cannot wrap (plan.ts, fusedPoolEligibility; shifts here are <= 2). */
        p.pool = NULL;
        if (i % 2u == 0u) {
            pool.in_h = p.out_h;
            pool.in_w = p.out_w;
            pool.channels = p.out_c;
            pool.pool_h = rng_range(1, p.out_h < 3 ? p.out_h : 3);
            pool.pool_w = rng_range(1, p.out_w < 3 ? p.out_w : 3);
            if (one_channel && i % 4u == 0u && p.out_h >= 2 && p.out_w >= 2) {
                pool.pool_h = 2;
                pool.pool_w = 2;
            }
            pool.stride_h = rng_range(1, 3);
            pool.stride_w = rng_range(1, 3);
            pool.out_h = (pool.in_h - pool.pool_h) / pool.stride_h + 1;
            pool.out_w = (pool.in_w - pool.pool_w) / pool.stride_w + 1;
            pool.activation_min = rng_next() % 2u ? INT8_MIN : rng_range(-128, 0);
            pool.activation_max = rng_next() % 2u ? INT8_MAX : rng_range(1, 127);
            p.pool = &pool;
        }
        const int kind = p.pool != NULL;
        kind_cases[kind]++;
        fill_s8(conv_in, p.in_h * p.in_w * p.in_c);
        fill_weights(conv_w, p.out_c * p.kernel_h * p.kernel_w * p.in_c);
        p.weights = conv_w;
        p.bias = conv_bias;
        p.multipliers = conv_mult;
        p.shifts = conv_shift;
        /* Valid padding: every window is inside the input, so the generator would mark it packed (these weights
         * and biases are far inside its bounds): run the packed loops, portable and DSP. */
        p.packed = NULL;
        p.folded_bias = NULL;
        if (!same) {
            const int32_t taps = p.kernel_h * p.kernel_w * p.in_c;
            for (int32_t c = 0; c < p.out_c; c++) {
                int32_t sum = 0;
                for (int32_t k = 0; k < taps; k++) sum += conv_w[c * taps + k];
                conv_folded_bias[c] = conv_bias[c] + p.input_offset * sum;
            }
        }
        memset(conv_out_ref, 0x55, sizeof conv_out_ref);
        memset(conv_out_dsp, 0x55, sizeof conv_out_dsp);
        memset(conv_out_packed, 0x55, sizeof conv_out_packed);
        ed_conv2d_s8_reference(&p, conv_in, conv_out_ref);
        if (!same) {
            p.packed = conv_packed;
            p.folded_bias = conv_folded_bias;
            ed_conv2d_s8_portable(&p, conv_in, conv_out_packed);
            if (memcmp(conv_out_ref, conv_out_packed, sizeof conv_out_ref) != 0) {
                if (packed_mismatches[kind] == 0u) report_mismatch(names[2 + kind], i, "in_c out_c taps", p.in_c, p.out_c, p.kernel_h * p.kernel_w * p.in_c);
                packed_mismatches[kind]++;
            }
            packed_cases[kind]++;
        }
        ed_dsp_conv2d_s8(&p, conv_in, conv_out_dsp);
        /* The whole buffers: the kernel must not write past its output either. */
        if (memcmp(conv_out_ref, conv_out_dsp, sizeof conv_out_ref) != 0) {
            if (mismatches[kind] == 0u) report_mismatch(names[kind], i, "in_c out_c taps", p.in_c, p.out_c, p.kernel_h * p.kernel_w * p.in_c);
            mismatches[kind]++;
        }
    }
    report(names[0], kind_cases[0], mismatches[0]);
    report(names[1], kind_cases[1], mismatches[1]);
    report(names[2], packed_cases[0], packed_mismatches[0]);
    report(names[3], packed_cases[1], packed_mismatches[1]);
}

static void check_dense(void)
{
    uint32_t mismatches = 0;
    const uint32_t cases = 400u;
    for (uint32_t i = 0; i < cases; i++) {
        ed_fully_connected_params p;
        p.inputs = rng_range(1, 80);
        p.units = rng_range(1, MAX_CHANNELS);
        p.input_offset = rng_range(-127, 128);
        p.output_offset = rng_range(-128, 127);
        random_requant(p.units, &p.activation_min, &p.activation_max);
        fill_s8(conv_in, p.inputs);
        fill_s8(conv_w, p.units * p.inputs);
        p.weights = conv_w;
        p.bias = conv_bias;
        p.multipliers = conv_mult;
        p.shifts = conv_shift;
        memset(conv_out_ref, 0x55, sizeof conv_out_ref);
        memset(conv_out_dsp, 0x55, sizeof conv_out_dsp);
        ed_fully_connected_s8_reference(&p, conv_in, conv_out_ref);
        ed_dsp_fully_connected_s8(&p, conv_in, conv_out_dsp);
        if (memcmp(conv_out_ref, conv_out_dsp, sizeof conv_out_ref) != 0) {
            if (mismatches == 0u) report_mismatch("dense", i, "inputs units -", p.inputs, p.units, 0);
            mismatches++;
        }
    }
    report("dense", cases, mismatches);
}

int main(void)
{
    mps2_uart_init();
    check_requantize();
    {
        static const char *const shapes[4] = {"conv2d", "conv2d-max-pool", "conv2d-packed", "conv2d-max-pool-packed"};
        static const char *const first[4] = {"conv2d-3x3-1ch", "conv2d-3x3-1ch-max-pool", "conv2d-3x3-1ch-packed",
                                              "conv2d-3x3-1ch-max-pool-packed"};
        check_conv2d(shapes, 1600u, 0);
        check_conv2d(first, 800u, 1);
    }
    check_dense();
    mps2_uart_put_text("{\"kind\":\"done\"}\n");
    return 0;
}
