/*
 * vigil's periodic timer on CNTHP (PPI 26), owned by vigil and invisible to
 * the guest, whose virtual and EL1 physical timers are its own (forwarded
 * by the vGIC). One tick source on the boot CPU drives every callback.
 */
#include <arch_cpu.h>
#include <arch_timer.h>
#include <vigil/log.h>

#include "gicv3.h"
#include "sysreg.h"
#include "timer.h"

SYSREG_RW(cnthp_ctl, S3_4_C14_C2_1)
SYSREG_RW(cnthp_tval, S3_4_C14_C2_0)
SYSREG_READ(cntfrq, cntfrq_el0)
SYSREG_READ(cntpct, cntpct_el0)
#define CNTHP_CTL_ENABLE (1UL << 0)

#define MAX_TIMERS 4

static struct periodic {
	void (*fn)(void *ctx);
	void *ctx;
	uint64_t period_ticks;
	uint64_t next;
} timers[MAX_TIMERS];
static unsigned int nr_timers;
static uint64_t tick_ticks; /* the shortest period */

uint64_t arch_timer_now_ns(void)
{
	uint64_t freq = read_cntfrq(), t = read_cntpct();
	return (t / freq) * 1000000000UL + (t % freq) * 1000000000UL / freq;
}

uint64_t arch_timer_counter(void)
{
	return read_cntpct();
}

static void arm_tick(void)
{
	write_cnthp_tval(tick_ticks);
	write_cnthp_ctl(CNTHP_CTL_ENABLE);
	isb();
}

static enum gic_irq_result timer_irq(uint32_t intid, void *ctx)
{
	uint64_t now = read_cntpct();

	(void)intid, (void)ctx;
	arm_tick();
	for (unsigned int i = 0; i < nr_timers; i++) {
		if (now >= timers[i].next) {
			timers[i].next = now + timers[i].period_ticks;
			timers[i].fn(timers[i].ctx);
		}
	}
	return GIC_IRQ_DONE;
}

void timer_cpu_init(void)
{
	if (nr_timers == 0 || arch_cpu_index() != 0)
		return;
	gic_set_level_triggered(GIC_PPI_HYP_TIMER, true);
	gic_enable(GIC_PPI_HYP_TIMER, true);
}

bool arch_timer_every(uint32_t period_ms, void (*fn)(void *ctx), void *ctx)
{
	uint64_t ticks = read_cntfrq() / 1000 * (period_ms ? period_ms : 1);

	if (nr_timers == MAX_TIMERS || arch_cpu_index() != 0)
		return false;
	timers[nr_timers++] = (struct periodic){fn, ctx, ticks,
						read_cntpct() + ticks};
	if (tick_ticks == 0 || ticks < tick_ticks)
		tick_ticks = ticks;
	gic_set_handler(GIC_PPI_HYP_TIMER, timer_irq, NULL);
	gic_set_level_triggered(GIC_PPI_HYP_TIMER, true);
	gic_enable(GIC_PPI_HYP_TIMER, true);
	arm_tick();
	return true;
}
