/*
 * layer_probe_main.c — runs ed_classify on the images in layer_probe_images.h and reports, as JSON lines on
 * UART0 (run with -serial stdio):
 *   {"kind":"layer","image":k,"index":i,"op":"conv2d","ticks":t}   one per kernel call, in model order: timer0
 *        ticks from this kernel's stamp to the next one (the last: to ed_classify's return, so it includes
 *        copying the logits and the argmax)
 *   {"kind":"classify","image":k,"ticks":t,"digit":d,"logits":[...]}  the whole ed_classify call
 *   {"kind":"done"}
 * The logits let the host check the probe computed what the simulator does.
 */
#include <stddef.h>
#include <stdint.h>

#include "ed_engine.h"
#include "layer_probe.h"
#include "layer_probe_images.h"
#include "mps2_clock.h"
#include "mps2_hw.h"
#include "mps2_uart.h"

const char *layer_probe_ops[LAYER_PROBE_MAX_STAMPS];
uint32_t layer_probe_values[LAYER_PROBE_MAX_STAMPS];
uint32_t layer_probe_count;

static void report_image(uint32_t image, uint32_t start, uint32_t end, const int8_t *logits, uint8_t digit)
{
    uint32_t stamps = layer_probe_count < LAYER_PROBE_MAX_STAMPS ? layer_probe_count : LAYER_PROBE_MAX_STAMPS;
    for (uint32_t i = 0; i < stamps; i++) {
        uint32_t next = i + 1u < stamps ? layer_probe_values[i + 1u] : end;
        mps2_uart_put_text("{\"kind\":\"layer\",\"image\":");
        mps2_uart_put_u64(image);
        mps2_uart_put_text(",\"index\":");
        mps2_uart_put_u64(i);
        mps2_uart_put_text(",\"op\":\"");
        mps2_uart_put_text(layer_probe_ops[i]);
        mps2_uart_put_text("\",\"ticks\":");
        mps2_uart_put_u64((uint32_t)(layer_probe_values[i] - next)); /* counts down; one wrap is harmless */
        mps2_uart_put_text("}\n");
    }
    mps2_uart_put_text("{\"kind\":\"classify\",\"image\":");
    mps2_uart_put_u64(image);
    mps2_uart_put_text(",\"ticks\":");
    mps2_uart_put_u64((uint32_t)(start - end));
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
        uint32_t start;
        uint32_t end;
        ed_status status;
        layer_probe_count = 0u;
        start = MPS2_TIMER_VALUE(MPS2_TIMER0_BASE);
        status = ed_classify(layer_probe_images[image], logits, &digit);
        end = MPS2_TIMER_VALUE(MPS2_TIMER0_BASE);
        if (status != ED_OK) {
            mps2_uart_put_text("{\"kind\":\"error\",\"message\":\"ed_classify failed\"}\n");
            return 1;
        }
        report_image(image, start, end, logits, digit);
    }
    mps2_uart_put_text("{\"kind\":\"done\"}\n");
    return 0;
}
