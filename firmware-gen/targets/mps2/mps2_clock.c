#include "mps2_clock.h"

#include "mps2_hw.h"

/* Timer0 counts down and reloads from 0xFFFFFFFF, so (previous - current) mod 2^32 is the ticks between reads. */
static uint32_t last_value;
static uint64_t total_ticks;

void mps2_clock_init(void)
{
    MPS2_TIMER_CTRL(MPS2_TIMER0_BASE) = 0u;
    MPS2_TIMER_RELOAD(MPS2_TIMER0_BASE) = 0xFFFFFFFFu; /* also loads VALUE */
    MPS2_TIMER_CTRL(MPS2_TIMER0_BASE) = MPS2_TIMER_CTRL_EN;
    last_value = MPS2_TIMER_VALUE(MPS2_TIMER0_BASE);
    total_ticks = 0u;
}

uint64_t mps2_clock_ticks(void)
{
    uint32_t now = MPS2_TIMER_VALUE(MPS2_TIMER0_BASE);
    total_ticks += (uint32_t)(last_value - now);
    last_value = now;
    return total_ticks;
}

uint64_t mps2_clock_ticks_at_last_read(void)
{
    return total_ticks;
}

uint32_t mps2_estimated_micros(void *ctx)
{
    (void)ctx;
    /* us = instructions * CPI / MHz, computed from the ticks in one step so the floor is taken once. */
    uint64_t ticks = mps2_clock_ticks();
    uint64_t num = ticks * MPS2_NS_PER_TICK * (uint64_t)ED_MPS2_CPI_NUM;
    uint64_t den = ((uint64_t)1u << ED_MPS2_ICOUNT_SHIFT) * (uint64_t)ED_MPS2_CPI_DEN * (uint64_t)ED_MPS2_CPU_MHZ;
    return (uint32_t)(num / den);
}
