/*
 * smp.c - brings up every CPU listed in the DTB with PSCI CPU_ON and has
 * each one report its MPIDR exactly once.
 *
 * The boot CPU is cpu index 0; the others get 1, 2, ... in DTB order.
 * The index travels as the CPU_ON context_id and selects the stack.
 */
#include "guest.h"

const char guest_name[] = "smp";

#define CHECK_IN_TIMEOUT_MS	5000

static volatile u64 cpu_mpidr[MAX_CPUS];	/* written before CPU_ON */
static volatile u32 checked_in[MAX_CPUS];

/* Runs once on each CPU, boot CPU included. */
static void report_in(unsigned cpu)
{
	u64 mpidr = read_mpidr();

	print_line("cpu %u mpidr=0x%lx", cpu, mpidr);
	dmb_sy();			/* cpu_mpidr[] was published before CPU_ON */
	if (mpidr != cpu_mpidr[cpu])
		report_fail("cpu %u mpidr expected 0x%lx got 0x%lx",
			    cpu, cpu_mpidr[cpu], mpidr);
	if (current_el() != 1)
		report_fail("cpu %u at EL%u", cpu, current_el());
	dmb_sy();			/* the report before the flag */
	checked_in[cpu] = 1;
}

void secondary_main(unsigned cpu)
{
	report_in(cpu);			/* then park, staying ON */
}

void guest_main(void)
{
	u64 dt_mpidr[MAX_CPUS], self = read_mpidr(), deadline;
	unsigned dt_cpus, ncpus = 1, cpu, i, bad;
	bool found_self = false;
	s32 ret;

	dt_cpus = fdt_cpus(guest_dtb, dt_mpidr, MAX_CPUS);
	if (dt_cpus == 0 || dt_cpus > MAX_CPUS) {
		report_fail("dtb lists %u cpus, need 1..%u", dt_cpus, MAX_CPUS);
		return;
	}

	/* Index 0 is us; the others follow in DTB order. */
	cpu_mpidr[0] = self;
	for (i = 0; i < dt_cpus; i++) {
		if (dt_mpidr[i] == self)
			found_self = true;
		else if (ncpus < dt_cpus)
			cpu_mpidr[ncpus++] = dt_mpidr[i];
	}
	if (!found_self)
		report_fail("boot cpu mpidr 0x%lx not in dtb /cpus", self);
	dmb_sy();

	report_in(0);
	for (cpu = 1; cpu < ncpus; cpu++) {
		ret = psci_cpu_on(cpu_mpidr[cpu], (u64)secondary_entry, cpu);
		if (ret != PSCI_SUCCESS)
			report_fail("cpu_on cpu %u mpidr=0x%lx returned %d",
				    cpu, cpu_mpidr[cpu], ret);
	}

	deadline = deadline_after_ms(CHECK_IN_TIMEOUT_MS);
	for (cpu = 1; cpu < ncpus; cpu++)
		while (!checked_in[cpu] && !deadline_passed(deadline))
			dmb_sy();
	dmb_sy();
	for (bad = 0, cpu = 0; cpu < ncpus; cpu++) {
		if (!checked_in[cpu]) {
			report_fail("cpu %u mpidr=0x%lx did not check in within %u ms",
				    cpu, cpu_mpidr[cpu], CHECK_IN_TIMEOUT_MS);
			bad++;
		}
	}
	if (!bad)
		report_ok("all %u cpus checked in", ncpus);

	for (bad = 0, cpu = 0; cpu < ncpus; cpu++) {
		ret = psci_affinity_info(cpu_mpidr[cpu], 0);
		if (ret != AFFINITY_ON) {
			report_fail("affinity_info cpu %u mpidr=0x%lx expected 0 (on) got %d",
				    cpu, cpu_mpidr[cpu], ret);
			bad++;
		}
	}
	if (!bad)
		report_ok("affinity_info on for all %u cpus", ncpus);
	print_line("smp cpus=%u", ncpus);
}
