/*
 * mps2_clock.h — instruction counting on QEMU's mps2-an386 with -icount.
 *
 * With `qemu-system-arm -icount shift=S`, every guest instruction advances QEMU's virtual clock by exactly 2^S ns
 * and the CMSDK timer0 counts its 25 MHz clock in virtual time, so it advances 2^S / 40 ticks per instruction
 * (1.6 at S = 6). Reading it around a piece of code therefore counts that code's instructions — instructions,
 * not Cortex-M4 cycles: loads, taken branches and long multiplies cost the real core more than one cycle each.
 * The count only holds while the core executes: in WFI, QEMU lets virtual time run with the host clock.
 *
 * The build (firmware-gen/targets/mps2/build.ts) passes the constants, so the C and the host that interprets
 * the numbers share one definition:
 *   ED_MPS2_ICOUNT_SHIFT  the S given to QEMU
 *   ED_MPS2_CPU_MHZ       clock of the core the latency is estimated for (64: nRF52840 on the Nano 33 BLE)
 *   ED_MPS2_CPI_NUM/DEN   cycles per instruction assumed for that estimate
 */
#ifndef MPS2_CLOCK_H
#define MPS2_CLOCK_H

#include <stdint.h>

#if !defined(ED_MPS2_ICOUNT_SHIFT) || !defined(ED_MPS2_CPU_MHZ) || !defined(ED_MPS2_CPI_NUM) || !defined(ED_MPS2_CPI_DEN)
#error "edge-digits mps2: build with -DED_MPS2_ICOUNT_SHIFT, -DED_MPS2_CPU_MHZ, -DED_MPS2_CPI_NUM and -DED_MPS2_CPI_DEN (firmware-gen/targets/mps2/build.ts does)"
#endif

/* timer0 ticks per instruction = 2^S * 25 MHz / 1 GHz = 2^S / MPS2_NS_PER_TICK */
#define MPS2_NS_PER_TICK 40u

/* Starts timer0 free-running over its full 32-bit range. */
void mps2_clock_init(void);

/* timer0 ticks since mps2_clock_init, extended to 64 bits. Correct as long as it is called at least once per
 * 2^32 ticks (172 s of virtual time); the classify path reads it twice within one inference. */
uint64_t mps2_clock_ticks(void);

/* The value the last mps2_clock_ticks (or mps2_estimated_micros) call returned / was based on, without reading
 * the timer again: lets calibration see exactly where a micros() call sampled the clock. */
uint64_t mps2_clock_ticks_at_last_read(void);

/* ed_board_io.micros on this board: the instructions executed so far, as microseconds on a ED_MPS2_CPU_MHZ core
 * that needs ED_MPS2_CPI_NUM/ED_MPS2_CPI_DEN cycles per instruction, modulo 2^32. The classify reply's timing
 * field (after - before) is therefore that estimated latency of ed_classify. ctx is unused. */
uint32_t mps2_estimated_micros(void *ctx);

#endif /* MPS2_CLOCK_H */
