/*
 * pmu.c - PMU counter 0 as a count of the instructions EL2 executes on
 * this CPU, for the bench guests (bench, spin, gdbbench).
 *
 * Under QEMU with -icount shift=0 the event INST_RETIRED (0x08) counts
 * exactly, and PMEVTYPER0_EL0 = 0xC8000008 (P and U set: no EL1, no EL0;
 * NSH set: EL2) leaves only the hypervisor's instructions. vigil gives the
 * guest every PMU counter, untrapped. QEMU's count is the machine's: a
 * guest that measures runs on one CPU, or another vCPU's EL2 work lands in
 * this counter too.
 */
#include "guest.h"

#define PMCR_E			(1UL << 0)
#define PMCR_N(pmcr)		(((pmcr) >> 11) & 0x1f)
#define PMEVTYPER_P		(1UL << 31)	/* don't count EL1 */
#define PMEVTYPER_U		(1UL << 30)	/* don't count EL0 */
#define PMEVTYPER_NSH		(1UL << 27)	/* count EL2 */
#define EV_INST_RETIRED		0x08
#define PMU_EL2_INSNS \
	(PMEVTYPER_P | PMEVTYPER_U | PMEVTYPER_NSH | EV_INST_RETIRED)
#define DFR0_PMUVER(dfr0)	(((dfr0) >> 8) & 0xf)
#define COUNTER0		1UL	/* its bit in PMCNTEN*, PMOVS* */

bool pmu_start(void)
{
	u64 dfr0 = read_sysreg(id_aa64dfr0_el1);
	u64 ver = DFR0_PMUVER(dfr0);

	if (ver == 0 || ver == 0xf || PMCR_N(read_sysreg(pmcr_el0)) == 0) {
		report_fail("no PMU event counter (ID_AA64DFR0_EL1 0x%lx)", dfr0);
		return false;
	}
	write_sysreg(pmcntenclr_el0, COUNTER0);
	write_sysreg(pmevtyper0_el0, PMU_EL2_INSNS);
	write_sysreg(pmevcntr0_el0, 0);
	write_sysreg(pmovsclr_el0, COUNTER0);
	write_sysreg(pmcntenset_el0, COUNTER0);
	write_sysreg(pmcr_el0, read_sysreg(pmcr_el0) | PMCR_E);
	asm volatile("isb" : : : "memory");
	return true;
}

bool pmu_overflowed(void)
{
	return read_sysreg(pmovsset_el0) & COUNTER0;
}
