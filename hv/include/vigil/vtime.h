/*
 * The guest's virtual time while a debugger holds it (gdb.freeze_time).
 *
 * The guest's virtual counter is the machine's counter minus one offset,
 * the same for every vCPU (arm64: CNTVCT_EL0 = CNTPCT_EL0 - CNTVOFF_EL2).
 * The debugger freezes guest time by growing that offset by the time it
 * held the guest, so that, to the guest, the stop did not happen.
 *
 * The rule. Guest time is frozen from the moment the debugger has found
 * every vCPU stopped (vtime_freeze) until it next lets any vCPU run: a
 * continue, a single or range step, a detach (vtime_thaw). The thaw adds
 * that one span to the one offset, and every vCPU loads the offset before
 * it runs again. So:
 *   - all vCPUs always agree on time (one offset, whoever runs);
 *   - no vCPU's counter ever goes back: the span starts only once the last
 *     vCPU has stopped, so one that stopped earlier sees the moments until
 *     then pass, as if it had run on for them;
 *   - a step is running time, for every vCPU, including those that GDB's
 *     scheduler-locking keeps stopped meanwhile (they run with the same
 *     offset later, so they must see the same time pass).
 * Counter values are the arch's (arch_timer_counter()), in its ticks.
 */
#ifndef VIGIL_VTIME_H
#define VIGIL_VTIME_H

#include <vigil/types.h>

struct vtime {
	uint64_t offset; /* what every vCPU's virtual counter is behind by */
	uint64_t since;  /* counter value when the current freeze began */
	bool frozen;
};

/* Every vCPU is stopped for the debugger, as of now. Idempotent. */
void vtime_freeze(struct vtime *t, uint64_t now);

/*
 * The debugger is about to let vCPUs run: a freeze ends, and its span is
 * added to the offset. Returns that span (0 when not frozen). Must come
 * before the vCPUs are released, with a barrier between (they read
 * offset when they see they may run).
 */
uint64_t vtime_thaw(struct vtime *t, uint64_t now);

#endif
