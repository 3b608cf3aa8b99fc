/*
 * main.c — the edge-digits QEMU board: MPS2 AN386 (Cortex-M4F) running the generated int8 engine and model behind
 * the portable protocol core (firmware-gen/protocol, docs/protocol.md), on CMSDK UART0.
 *
 * Same engine, model and board core as every other target; only the HAL differs:
 *   serial   UART0, polled; WFI (interrupts masked) sleeps until a byte or the sampling tick pends
 *   micros   estimated latency on a 64 MHz Cortex-M4 from QEMU's instruction count (mps2_clock.h), so the
 *            classify reply's timing field is ed_classify's instructions * CPI / 64 MHz
 *   pins     the board's two user LEDs (outputs) and two push buttons (inputs) on the FPGA I/O block
 */
#include <stddef.h>
#include <stdint.h>

#include "ed_board.h"
#include "ed_engine.h"
#include "mps2_clock.h"
#include "mps2_hw.h"
#include "mps2_uart.h"

#define FIRMWARE_NAME "EdgeDigits-QEMU-mps2-an386"
#define LED_COUNT 2u
#define BUTTON_COUNT 2u
/* Firmata's default sampling interval: input reports go out at most this often. */
#define SAMPLING_INTERVAL_MS 19u

#define PIN_MODE_BIT(m) ((uint16_t)(1u << (m)))

/* Pins 0-1: LED0-1 (output only), pins 2-3: PB0-1 (input only). No analog channels. */
static const ed_pin_info pins[LED_COUNT + BUTTON_COUNT] = {
    {.modes = PIN_MODE_BIT(ED_MODE_OUTPUT), .analog_channel = ED_NO_ANALOG_CHANNEL, .analog_bits = 0u, .pwm_bits = 0u},
    {.modes = PIN_MODE_BIT(ED_MODE_OUTPUT), .analog_channel = ED_NO_ANALOG_CHANNEL, .analog_bits = 0u, .pwm_bits = 0u},
    {.modes = PIN_MODE_BIT(ED_MODE_INPUT), .analog_channel = ED_NO_ANALOG_CHANNEL, .analog_bits = 0u, .pwm_bits = 0u},
    {.modes = PIN_MODE_BIT(ED_MODE_INPUT), .analog_channel = ED_NO_ANALOG_CHANNEL, .analog_bits = 0u, .pwm_bits = 0u},
};

static const ed_board_info board_info = {
    .firmware_name = FIRMWARE_NAME,
    .pins = pins,
    .pin_count = (uint8_t)(sizeof pins / sizeof pins[0]),
};

static void uart_write(void *ctx, const uint8_t *bytes, size_t n)
{
    (void)ctx;
    mps2_uart_write(bytes, n);
}

static void led_write(void *ctx, uint8_t pin, uint8_t value)
{
    uint32_t bit = 1u << pin;
    (void)ctx;
    if (pin >= LED_COUNT) return;
    MPS2_FPGAIO_LED = value ? (MPS2_FPGAIO_LED | bit) : (MPS2_FPGAIO_LED & ~bit);
}

static uint8_t button_read(void *ctx, uint8_t pin)
{
    (void)ctx;
    if (pin < LED_COUNT || pin >= LED_COUNT + BUTTON_COUNT) return 0u;
    return (uint8_t)((MPS2_FPGAIO_BUTTON >> (pin - LED_COUNT)) & 1u);
}

static int classify(void *ctx, const uint8_t pixels[ED_PIXEL_COUNT], int8_t logits[ED_CLASS_COUNT], uint8_t *digit)
{
    (void)ctx;
    return ed_classify(pixels, logits, digit) == ED_OK ? 0 : -1;
}

static const ed_board_io board_io = {
    .ctx = NULL,
    .write = uart_write,
    .set_pin_mode = NULL, /* every pin has one fixed mode */
    .digital_write = led_write,
    .digital_read = button_read,
    .analog_read = NULL,
    .micros = mps2_estimated_micros,
    .classify = classify,
};

static ed_board board;

/* Timer1 pends its interrupt once per sampling interval; it only ever wakes WFI, no handler runs. */
static void sampling_tick_init(void)
{
    MPS2_TIMER_CTRL(MPS2_TIMER1_BASE) = 0u;
    MPS2_TIMER_RELOAD(MPS2_TIMER1_BASE) = MPS2_SYSCLK_HZ / 1000u * SAMPLING_INTERVAL_MS;
    MPS2_TIMER_CTRL(MPS2_TIMER1_BASE) = MPS2_TIMER_CTRL_EN | MPS2_TIMER_CTRL_IRQEN;
}

static int sampling_tick_due(void)
{
    if (!(MPS2_TIMER_INTSTATUS(MPS2_TIMER1_BASE) & 1u)) return 0;
    MPS2_TIMER_INTSTATUS(MPS2_TIMER1_BASE) = 1u;
    MPS2_NVIC_ICPR0 = 1u << MPS2_IRQ_TIMER1;
    return 1;
}

int main(void)
{
    ed_init_result init;

    __asm__ volatile("cpsid i" ::: "memory"); /* interrupts only wake WFI; see startup.c */
    mps2_uart_init();
    mps2_clock_init();
    sampling_tick_init();
    MPS2_NVIC_ISER0 = (1u << MPS2_IRQ_UART0_RX) | (1u << MPS2_IRQ_TIMER1);

    init = ed_board_init(&board, &board_io, &board_info);
    if (init != ED_INIT_OK) {
        mps2_uart_put_text("\nedge-digits mps2: ed_board_init failed; halted\n");
        return 1;
    }
    /* Usually lost (QEMU drops output until the host opens the pty); the host queries again anyway. */
    ed_board_announce(&board);

    for (;;) {
        uint8_t byte;
        /* Clear the wake-up source before looking, so a byte arriving after the look pends and ends WFI at once. */
        mps2_uart_clear_rx_event();
        MPS2_NVIC_ICPR0 = 1u << MPS2_IRQ_UART0_RX;
        while (mps2_uart_get(&byte)) ed_board_feed(&board, byte);
        if (sampling_tick_due()) {
            ed_board_poll(&board);
            continue;
        }
        /* A byte that arrived between the clear and the NVIC clear raised no new edge: look again, don't sleep. */
        if (mps2_uart_rx_event_pending()) continue;
        __asm__ volatile("wfi" ::: "memory");
    }
}
