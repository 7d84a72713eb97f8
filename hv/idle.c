/*
 * The idle loop of a CPU whose vCPU is stopped (see vigil/idle.h).
 *
 * The wait is WFI, not WFE: with interrupts masked at EL2, only a pending
 * interrupt (masked or not) ends a WFI, while WFE would sleep through it.
 * So the CPU that changes what a waiter waits for sends it an interrupt
 * (arch_cpu_kick), and the waiter checks its condition after handling
 * pending interrupts and before sleeping: a kick that lands in between
 * stays pending and ends the WFI at once, so no wake-up is lost.
 */
#include <arch_cpu.h>
#include <arch_irq.h>
#include <vigil/idle.h>

static void (*idle_callbacks[HV_IDLE_MAX_CALLBACKS])(void);
static unsigned int nr_idle_callbacks;

bool hv_idle_register(void (*fn)(void))
{
	if (nr_idle_callbacks == HV_IDLE_MAX_CALLBACKS)
		return false;
	idle_callbacks[nr_idle_callbacks++] = fn;
	return true;
}

void hv_idle_poll(void)
{
	arch_irq_poll();
	for (unsigned int i = 0; i < nr_idle_callbacks; i++)
		idle_callbacks[i]();
}

void hv_idle_wait_until(bool (*cond)(void *ctx), void *ctx)
{
	for (;;) {
		hv_idle_poll();
		arch_memory_barrier();
		if (cond(ctx))
			return;
		arch_cpu_wait_interrupt();
	}
}
