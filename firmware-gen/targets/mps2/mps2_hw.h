/*
 * mps2_hw.h — the few MPS2 AN386 / Cortex-M4 registers the edge-digits QEMU board uses.
 * Addresses: ARM AN386 (MPS2 FPGA image for Cortex-M4) memory map and the CMSDK TRM (ARM DDI0479C); the
 * Cortex-M4 system registers from the ARMv7-M ARM.
 */
#ifndef MPS2_HW_H
#define MPS2_HW_H

#include <stdint.h>

#define MPS2_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* CMSDK APB UART0 */
#define MPS2_UART0_BASE 0x40004000u
#define MPS2_UART0_DATA MPS2_REG(MPS2_UART0_BASE + 0x00u)
#define MPS2_UART0_STATE MPS2_REG(MPS2_UART0_BASE + 0x04u)
#define MPS2_UART0_CTRL MPS2_REG(MPS2_UART0_BASE + 0x08u)
#define MPS2_UART0_INTSTATUS MPS2_REG(MPS2_UART0_BASE + 0x0Cu) /* read: status, write 1: clear */
#define MPS2_UART0_BAUDDIV MPS2_REG(MPS2_UART0_BASE + 0x10u)
#define MPS2_UART_STATE_TX_FULL (1u << 0)
#define MPS2_UART_STATE_RX_FULL (1u << 1)
#define MPS2_UART_CTRL_TX_EN (1u << 0)
#define MPS2_UART_CTRL_RX_EN (1u << 1)
#define MPS2_UART_CTRL_RX_INTEN (1u << 3)
#define MPS2_UART_INT_RX (1u << 1)

/* CMSDK APB timers: 32-bit down counters clocked at the 25 MHz system clock */
#define MPS2_TIMER0_BASE 0x40000000u
#define MPS2_TIMER1_BASE 0x40001000u
#define MPS2_TIMER_CTRL(base) MPS2_REG((base) + 0x00u)
#define MPS2_TIMER_VALUE(base) MPS2_REG((base) + 0x04u)
#define MPS2_TIMER_RELOAD(base) MPS2_REG((base) + 0x08u)
#define MPS2_TIMER_INTSTATUS(base) MPS2_REG((base) + 0x0Cu) /* write 1: clear */
#define MPS2_TIMER_CTRL_EN (1u << 0)
#define MPS2_TIMER_CTRL_IRQEN (1u << 3)
#define MPS2_SYSCLK_HZ 25000000u

/* FPGA I/O: the board's two user LEDs and two push buttons */
#define MPS2_FPGAIO_BASE 0x40028000u
#define MPS2_FPGAIO_LED MPS2_REG(MPS2_FPGAIO_BASE + 0x00u)
#define MPS2_FPGAIO_BUTTON MPS2_REG(MPS2_FPGAIO_BASE + 0x08u)

/* External interrupt numbers (AN386) */
#define MPS2_IRQ_UART0_RX 0u
#define MPS2_IRQ_TIMER1 9u

/* Cortex-M4 system control space */
#define MPS2_NVIC_ISER0 MPS2_REG(0xE000E100u)
#define MPS2_NVIC_ICPR0 MPS2_REG(0xE000E280u)
#define MPS2_SCB_CPACR MPS2_REG(0xE000ED88u)

#endif /* MPS2_HW_H */
