/*
 * mps2_uart.h — CMSDK APB UART0 as the board's serial line (QEMU: -serial pty / -serial stdio).
 * Polled, one byte deep in each direction, as the CMSDK UART is. No interrupt handler: the RX interrupt is only
 * enabled so that WFI wakes up when a byte arrives (see mps2_wait_for_event in main.c).
 */
#ifndef MPS2_UART_H
#define MPS2_UART_H

#include <stddef.h>
#include <stdint.h>

/* BAUDDIV = PCLK / baud; QEMU passes the rate on to a real serial backend and ignores it for a pty. */
#define MPS2_UART_BAUD 115200u

void mps2_uart_init(void);
/* Blocks while the transmit buffer is full, then queues the byte. */
void mps2_uart_put(uint8_t byte);
void mps2_uart_write(const uint8_t *bytes, size_t n);
void mps2_uart_put_text(const char *text);
/* Decimal text, for the calibration and probe programs' JSON lines. */
void mps2_uart_put_u64(uint64_t v);
void mps2_uart_put_i32(int32_t v);
/* 1 and *byte set when a received byte was waiting, else 0. */
int mps2_uart_get(uint8_t *byte);
/* Clears the RX interrupt status so the next received byte pends a new wake-up. */
void mps2_uart_clear_rx_event(void);
/* 1 while the RX interrupt status is set (a byte arrived since the last clear). */
int mps2_uart_rx_event_pending(void);

#endif /* MPS2_UART_H */
