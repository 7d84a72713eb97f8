/*
 * Work done while a CPU waits in EL2 with its vCPU stopped (paused for the
 * debugger, or powered off). EL2 runs with interrupts masked, so a waiting
 * CPU would otherwise never service its devices: the wait loops call
 * hv_idle_poll() between waits, which handles pending physical interrupts
 * (vigil's timer, a NIC) and then runs every registered idle callback.
 */
#ifndef VIGIL_IDLE_H
#define VIGIL_IDLE_H

#include <vigil/types.h>

#define HV_IDLE_MAX_CALLBACKS 4

/*
 * Call fn() on every pass of every CPU's wait loop. At start-up only
 * (init hooks); false when the table is full. fn runs at EL2 with
 * interrupts masked, on any CPU (arch_cpu_index() says which), and must
 * be short and never wait itself.
 */
bool hv_idle_register(void (*fn)(void));

/*
 * One pass: pending physical interrupts of this CPU, then the callbacks.
 * For wait loops only: never from an interrupt handler or a callback.
 */
void hv_idle_poll(void);

/*
 * Wait on this CPU until cond(ctx) holds, servicing interrupts and idle
 * callbacks meanwhile. Another CPU that makes cond true wakes this one
 * with arch_cpu_kick().
 */
void hv_idle_wait_until(bool (*cond)(void *ctx), void *ctx);

#endif
