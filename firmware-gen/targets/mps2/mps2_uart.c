#include "mps2_uart.h"

#include "mps2_hw.h"

void mps2_uart_init(void)
{
    MPS2_UART0_BAUDDIV = MPS2_SYSCLK_HZ / MPS2_UART_BAUD;
    MPS2_UART0_CTRL = MPS2_UART_CTRL_TX_EN | MPS2_UART_CTRL_RX_EN | MPS2_UART_CTRL_RX_INTEN;
}

void mps2_uart_put(uint8_t byte)
{
    while (MPS2_UART0_STATE & MPS2_UART_STATE_TX_FULL) {
    }
    MPS2_UART0_DATA = byte;
}

void mps2_uart_write(const uint8_t *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) mps2_uart_put(bytes[i]);
}

void mps2_uart_put_text(const char *text)
{
    while (*text != '\0') mps2_uart_put((uint8_t)*text++);
}

void mps2_uart_put_u64(uint64_t v)
{
    char text[21];
    size_t at = sizeof text - 1u;
    text[at] = '\0';
    do {
        text[--at] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0u);
    mps2_uart_put_text(&text[at]);
}

void mps2_uart_put_i32(int32_t v)
{
    if (v < 0) mps2_uart_put((uint8_t)'-');
    mps2_uart_put_u64(v < 0 ? (uint64_t)(-(int64_t)v) : (uint64_t)v);
}

int mps2_uart_get(uint8_t *byte)
{
    if (!(MPS2_UART0_STATE & MPS2_UART_STATE_RX_FULL)) return 0;
    *byte = (uint8_t)MPS2_UART0_DATA;
    return 1;
}

void mps2_uart_clear_rx_event(void)
{
    MPS2_UART0_INTSTATUS = MPS2_UART_INT_RX;
}

int mps2_uart_rx_event_pending(void)
{
    return (MPS2_UART0_INTSTATUS & MPS2_UART_INT_RX) != 0u;
}
