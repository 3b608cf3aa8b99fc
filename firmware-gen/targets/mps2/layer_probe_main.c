/*
 * layer_probe_main.c — runs ed_classify on the images in layer_probe_images.h and reports, as JSON lines on
 * UART0 (run with -serial stdio):
 *   {"kind":"layer","image":k,"index":i,"op":"conv2d","ticks":t}   one per kernel call, in model order
 *   {"kind":"classify","image":k,"ticks":t,"digit":d,"logits":[...]}  the whole call, timing included
 *   {"kind":"done"}
 * The logits let the host check the probe computed what the simulator does.
 */
#include <stddef.h>
#include <stdint.h>

#include "ed_engine.h"
#include "layer_probe.h"
#include "layer_probe_images.h"
#include "mps2_uart.h"

#define MAX_LAYERS 64u

static const char *layer_ops[MAX_LAYERS];
static uint64_t layer_ticks[MAX_LAYERS];
static uint32_t layer_count;

void layer_probe_record(const char *op, uint64_t ticks)
{
    if (layer_count < MAX_LAYERS) {
        layer_ops[layer_count] = op;
        layer_ticks[layer_count] = ticks;
    }
    layer_count++;
}

static void report_image(uint32_t image, uint64_t ticks, const int8_t *logits, uint8_t digit)
{
    for (uint32_t i = 0; i < layer_count && i < MAX_LAYERS; i++) {
        mps2_uart_put_text("{\"kind\":\"layer\",\"image\":");
        mps2_uart_put_u64(image);
        mps2_uart_put_text(",\"index\":");
        mps2_uart_put_u64(i);
        mps2_uart_put_text(",\"op\":\"");
        mps2_uart_put_text(layer_ops[i]);
        mps2_uart_put_text("\",\"ticks\":");
        mps2_uart_put_u64(layer_ticks[i]);
        mps2_uart_put_text("}\n");
    }
    mps2_uart_put_text("{\"kind\":\"classify\",\"image\":");
    mps2_uart_put_u64(image);
    mps2_uart_put_text(",\"ticks\":");
    mps2_uart_put_u64(ticks);
    mps2_uart_put_text(",\"digit\":");
    mps2_uart_put_u64(digit);
    mps2_uart_put_text(",\"logits\":[");
    for (int k = 0; k < ED_NUM_CLASSES; k++) {
        if (k) mps2_uart_put((uint8_t)',');
        mps2_uart_put_i32(logits[k]);
    }
    mps2_uart_put_text("]}\n");
}

int main(void)
{
    mps2_uart_init();
    mps2_clock_init();
    for (uint32_t image = 0; image < LAYER_PROBE_IMAGE_COUNT; image++) {
        int8_t logits[ED_NUM_CLASSES];
        uint8_t digit = 0u;
        uint64_t t0;
        uint64_t ticks;
        layer_count = 0u;
        t0 = mps2_clock_ticks();
        if (ed_classify(layer_probe_images[image], logits, &digit) != ED_OK) {
            mps2_uart_put_text("{\"kind\":\"error\",\"message\":\"ed_classify failed\"}\n");
            return 1;
        }
        ticks = mps2_clock_ticks() - t0;
        report_image(image, ticks, logits, digit);
    }
    mps2_uart_put_text("{\"kind\":\"done\"}\n");
    return 0;
}
