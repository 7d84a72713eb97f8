/*
 * vigil's own timer (the EL2 physical timer, CNTHP, on arm64): periodic
 * callbacks for work that cannot wait for a guest exit, e.g. polling a
 * device that has no interrupt. Callbacks run on the boot CPU at EL2 with
 * interrupts masked, and must be short.
 */
#ifndef VIGIL_ARCH_TIMER_H
#define VIGIL_ARCH_TIMER_H

#include <vigil/types.h>

/* Call fn(ctx) about every period_ms milliseconds. At start-up only. */
bool arch_timer_every(uint32_t period_ms, void (*fn)(void *ctx), void *ctx);

/* Monotonic time since an arbitrary origin, in nanoseconds. */
uint64_t arch_timer_now_ns(void);

/* The counter guest time derives from (vigil/vtime.h), in its own ticks. */
uint64_t arch_timer_counter(void);

#endif
