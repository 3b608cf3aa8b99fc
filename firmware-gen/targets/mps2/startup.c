/*
 * startup.c — reset and exception vectors of the edge-digits QEMU board (MPS2 AN386, Cortex-M4F).
 *
 * QEMU loads the ELF and starts the core the way the hardware does: SP from vector 0, PC from vector 1. The
 * reset handler enables the FPU before any C code runs (everything is built -mfloat-abi=hard, and the compiler
 * may keep integers in FPU registers), copies .data from flash, clears .bss and calls main().
 *
 * The firmware polls its peripherals with interrupts masked (PRIMASK) and uses WFI only to sleep until one
 * pends, so every exception that actually runs a handler is a fault. The handler reports it on UART0 as plain
 * ASCII — bytes below 0x80, which Firmata hosts skip as noise — and halts, instead of hanging silently.
 */
#include <stdint.h>

#include "mps2_hw.h"
#include "mps2_uart.h"

extern uint32_t __stack_top;
extern uint32_t __data_start, __data_end, __data_load, __bss_start, __bss_end;

int main(void);
void Reset_Handler(void);
void Fault_Handler(void);

void Reset_Handler(void)
{
    /* CP10 and CP11 full access, then make sure the next instruction sees it. */
    MPS2_SCB_CPACR |= (0xFu << 20);
    __asm__ volatile("dsb\n\tisb" ::: "memory");

    {
        const uint32_t *src = &__data_load;
        uint32_t *dst = &__data_start;
        while (dst < &__data_end) *dst++ = *src++;
        for (dst = &__bss_start; dst < &__bss_end; ++dst) *dst = 0u;
    }
    (void)main();
    for (;;) __asm__ volatile("wfi");
}

static void fault_report_hex(uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    for (int shift = 28; shift >= 0; shift -= 4) mps2_uart_put((uint8_t)digits[(v >> shift) & 0xFu]);
}

/* Which exception ran (IPSR) and the faulting PC from the stacked frame, so a crash names where it happened. */
void Fault_Handler(void)
{
    uint32_t ipsr;
    uint32_t sp;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    __asm__ volatile("mrs %0, msp" : "=r"(sp));
    mps2_uart_put_text("\nedge-digits mps2: fault, exception ");
    fault_report_hex(ipsr & 0x1FFu);
    mps2_uart_put_text(" pc ");
    fault_report_hex(((const uint32_t *)(uintptr_t)sp)[6]);
    mps2_uart_put_text("; halted\n");
    for (;;) __asm__ volatile("wfi");
}

typedef void (*vector_entry)(void);

#define VECTOR_COUNT (16 + 32) /* Cortex-M system exceptions + the AN386's 32 external interrupts */

__attribute__((section(".isr_vector"), used)) static const vector_entry vectors[VECTOR_COUNT] = {
    [0] = (vector_entry)(uintptr_t)&__stack_top,
    [1] = Reset_Handler,
    [2 ... VECTOR_COUNT - 1] = Fault_Handler,
};
