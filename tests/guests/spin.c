/*
 * spin.c - keeps CPU 0 busy, or idle, with its interrupts masked for a
 * while, then powers off. The hypervisor's own work (vigil's network) must
 * go on meanwhile: physical interrupts go to EL2 whatever PSTATE.I says at
 * EL1, and a pending one ends a WFI even when masked.
 *
 * Bootargs words:
 *   seconds=N   how long, on the virtual counter (default 1)
 *   masked      a tight loop with DAIF masked: never leaves EL1 on its own
 *   (otherwise) a WFI loop with DAIF masked; the virtual timer, armed for
 *               the deadline, ends the last WFI even if nothing else does
 *   el2count    count the instructions EL2 executes on this CPU meanwhile
 *               (PMU counter 0, INST_RETIRED filtered to EL2, exact under
 *               -icount shift=0): "guest: spin el2_insns=N ..."
 *   stop=MS     (2 CPUs or more, vigil.cfg test_hooks = on) CPU 1 asks
 *               vigil to stop every other vCPU in EL2 for MS milliseconds
 *               (VIGIL_HVC_TEST_STOP_OTHERS) while CPU 0 is in its loop
 *
 * Lines: "guest: spin busy|idle seconds=N" when the period starts,
 * "guest: ok ..." when it is over. Nothing is printed in between: a UART
 * access would be an exit to EL2.
 */
#include "gicv3.h"

const char guest_name[] = "spin";

#define DEFAULT_SECONDS		1
#define VIGIL_HVC_TEST_STOP_OTHERS	0xC6000101
#define MAX_SECONDS		600
#define PPI_VTIMER		27
#define PRIO_VTIMER		0xa0

/* ---- The virtual timer as a wake-up for the WFI loop -------------------- */

/*
 * PPI 27 enabled in group 1 and the CPU interface on, interrupts masked:
 * when the timer fires, the interrupt stays pending and only ends WFI.
 */
static bool vtimer_wakeup_at(u64 cval)
{
	if (!gic_ppi_enable_here(PPI_VTIMER, PRIO_VTIMER))
		return false;
	write_sysreg(cntv_cval_el0, cval);
	write_sysreg(cntv_ctl_el0, 1);		/* enabled, not masked */
	isb();
	return true;
}

static void vtimer_off(void)
{
	write_sysreg(cntv_ctl_el0, 0);
	isb();
}

/* ---- stop=MS: CPU 1 has vigil stop CPU 0 ------------------------------- */

static u64 stop_ms;
static volatile u32 stop_done;
static volatile s64 stop_ret;

void secondary_main(unsigned cpu)
{
	(void)cpu;
	stop_ret = (s64)smccc_call(SMCCC_HVC, VIGIL_HVC_TEST_STOP_OTHERS, stop_ms, 0, 0);
	dmb_sy();
	stop_done = 1;
}

static bool start_stopper(void)
{
	u64 mpidr[MAX_CPUS], self = read_mpidr();
	unsigned n = fdt_cpus(guest_dtb, mpidr, MAX_CPUS);

	for (unsigned i = 0; i < n && i < MAX_CPUS; i++) {
		if (mpidr[i] == self)
			continue;
		s32 ret = psci_cpu_on(mpidr[i], (u64)secondary_entry, 1);
		if (ret != PSCI_SUCCESS) {
			report_fail("cpu_on(0x%lx) returned %d", mpidr[i], ret);
			return false;
		}
		return true;
	}
	report_fail("stop=%lu needs a second cpu", stop_ms);
	return false;
}

static void check_stopper(void)
{
	u64 deadline = deadline_after_ms((unsigned)stop_ms + 10000);

	while (!stop_done && !deadline_passed(deadline))
		;
	dmb_sy();
	if (check_true("cpu1 back from stopping the others", stop_done))
		check_eq("stop_others returned", 0, (u64)stop_ret);
}

/* ---- main ------------------------------------------------------------- */

void guest_main(void)
{
	u64 seconds = DEFAULT_SECONDS, deadline;
	bool busy = bootargs_has("masked"), count = bootargs_has("el2count");
	u32 before = 0, after = 0;
	u64 loops = 0;

	bootargs_value("seconds", &seconds);
	if (seconds > MAX_SECONDS) {
		report_fail("seconds=%lu: at most %u", seconds, MAX_SECONDS);
		return;
	}
	bootargs_value("stop", &stop_ms);
	if (count && !pmu_start())
		return;
	if (stop_ms != 0 && !start_stopper())
		return;
	asm volatile("msr daifset, #0xf" : : : "memory");
	deadline = deadline_after_ms((unsigned)seconds * 1000);
	if (!busy && !vtimer_wakeup_at(deadline))
		return;
	print_line("spin %s seconds=%lu", busy ? "busy" : "idle", seconds);
	if (count)
		before = pmu_read();
	if (busy) {
		while (!deadline_passed(deadline))
			loops++;
	} else {
		while (!deadline_passed(deadline)) {
			asm volatile("wfi" : : : "memory");
			loops++;
		}
		vtimer_off();
	}
	if (count)
		after = pmu_read();
	if (busy)
		report_ok("busy loop with interrupts masked for %lu s", seconds);
	else
		report_ok("wfi loop with interrupts masked for %lu s (%lu wake-ups)",
			  seconds, loops);
	if (count)
		print_line("spin el2_insns=%u overflow=%u", after - before,
			   pmu_overflowed() ? 1u : 0u);
	if (stop_ms != 0)
		check_stopper();
}
