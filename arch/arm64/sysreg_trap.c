/*
 * The trapped-system-register table (KVM sys_regs.c style): one sorted
 * const table of {encoding, access, reset}; an access that is not in the
 * table gets UNDEF, so enabling a new trap bit without emulating what it
 * catches fails loudly in the guest rather than silently in vigil.
 */
#include <arch_vcpu.h>
#include <vigil/log.h>
#include <vigil/panic.h>
#include <vigil/vm.h>

#include "cpufeatures.h"
#include "debug.h"
#include "exceptions.h"
#include "regs.h"
#include "sysreg.h"
#include "sysreg_trap.h"
#include "vcpu.h"
#include "vgic.h"

/*
 * ACTLR_EL1 (trapped by HCR_EL2.TACR): its bits are IMPLEMENTATION DEFINED
 * and some change the behaviour of the whole core, so the guest reads the
 * value the firmware chose and its writes are ignored, as under KVM.
 */
static bool access_actlr(struct vcpu *vcpu, const struct sysreg_trap *r,
			 bool read, uint64_t *val)
{
	(void)vcpu, (void)r;
	if (read)
		*val = read_actlr_el1();
	return true;
}

/* Breakpoint and watchpoint registers n; unimplemented n give UNDEF. */
#define DBG_BP_WP(n)                                                        \
	{SYS_ENC(2, 0, 0, n, 4), "DBGBVR" #n "_EL1", debug_access, 0},        \
	{SYS_ENC(2, 0, 0, n, 5), "DBGBCR" #n "_EL1", debug_access, 0},        \
	{SYS_ENC(2, 0, 0, n, 6), "DBGWVR" #n "_EL1", debug_access, 0},        \
	{SYS_ENC(2, 0, 0, n, 7), "DBGWCR" #n "_EL1", debug_access, 0}
#define DBG(op1, crn, crm, op2, name, reset) \
	{SYS_ENC(2, op1, crn, crm, op2), name, debug_access, reset}
#define ID(crm, op2, name) \
	{SYS_ENC(3, 0, 0, crm, op2), name, cpu_features_access, 0}

/* Sorted by encoding: checked at start-up by sysreg_trap_check_table(). */
static const struct sysreg_trap sysreg_table[] = {
	DBG(0, 0, 0, 2, "OSDTRRX_EL1", 0),
	DBG_BP_WP(0),
	DBG_BP_WP(1),
	DBG(0, 0, 2, 0, "MDCCINT_EL1", 0),
	DBG(0, 0, 2, 2, "MDSCR_EL1", 0),
	DBG_BP_WP(2),
	DBG(0, 0, 3, 2, "OSDTRTX_EL1", 0),
	DBG_BP_WP(3),
	DBG_BP_WP(4),
	DBG_BP_WP(5),
	DBG(0, 0, 6, 2, "OSECCR_EL1", 0),
	DBG_BP_WP(6),
	DBG_BP_WP(7),
	DBG_BP_WP(8),
	DBG_BP_WP(9),
	DBG_BP_WP(10),
	DBG_BP_WP(11),
	DBG_BP_WP(12),
	DBG_BP_WP(13),
	DBG_BP_WP(14),
	DBG_BP_WP(15),
	DBG(0, 1, 0, 0, "MDRAR_EL1", 0),
	DBG(0, 1, 0, 4, "OSLAR_EL1", 0),
	DBG(0, 1, 1, 4, "OSLSR_EL1", 0xa), /* OSLM implemented, locked */
	DBG(0, 1, 3, 4, "OSDLR_EL1", 0),
	DBG(0, 1, 4, 4, "DBGPRCR_EL1", 0),
	DBG(0, 7, 8, 6, "DBGCLAIMSET_EL1", 0xff),
	DBG(0, 7, 9, 6, "DBGCLAIMCLR_EL1", 0),
	DBG(0, 7, 14, 6, "DBGAUTHSTATUS_EL1", 0),
	DBG(3, 0, 1, 0, "MDCCSR_EL0", 0),
	DBG(3, 0, 4, 0, "DBGDTR_EL0", 0),
	DBG(3, 0, 5, 0, "DBGDTRRX_EL0", 0), /* DBGDTRTX_EL0 when written */
	/* ID registers (HCR_EL2.TID3): the whole ID space, reserved included. */
	ID(1, 0, "ID_PFR0_EL1"), ID(1, 1, "ID_PFR1_EL1"),
	ID(1, 2, "ID_DFR0_EL1"), ID(1, 3, "ID_AFR0_EL1"),
	ID(1, 4, "ID_MMFR0_EL1"), ID(1, 5, "ID_MMFR1_EL1"),
	ID(1, 6, "ID_MMFR2_EL1"), ID(1, 7, "ID_MMFR3_EL1"),
	ID(2, 0, "ID_ISAR0_EL1"), ID(2, 1, "ID_ISAR1_EL1"),
	ID(2, 2, "ID_ISAR2_EL1"), ID(2, 3, "ID_ISAR3_EL1"),
	ID(2, 4, "ID_ISAR4_EL1"), ID(2, 5, "ID_ISAR5_EL1"),
	ID(2, 6, "ID_MMFR4_EL1"), ID(2, 7, "ID_ISAR6_EL1"),
	ID(3, 0, "MVFR0_EL1"), ID(3, 1, "MVFR1_EL1"),
	ID(3, 2, "MVFR2_EL1"), ID(3, 3, "ID reserved 3 3"),
	ID(3, 4, "ID_PFR2_EL1"), ID(3, 5, "ID_DFR1_EL1"),
	ID(3, 6, "ID_MMFR5_EL1"), ID(3, 7, "ID reserved 3 7"),
	ID(4, 0, "ID_AA64PFR0_EL1"), ID(4, 1, "ID_AA64PFR1_EL1"),
	ID(4, 2, "ID_AA64PFR2_EL1"), ID(4, 3, "ID reserved 4 3"),
	ID(4, 4, "ID_AA64ZFR0_EL1"), ID(4, 5, "ID_AA64SMFR0_EL1"),
	ID(4, 6, "ID reserved 4 6"), ID(4, 7, "ID reserved 4 7"),
	ID(5, 0, "ID_AA64DFR0_EL1"), ID(5, 1, "ID_AA64DFR1_EL1"),
	ID(5, 2, "ID reserved 5 2"), ID(5, 3, "ID reserved 5 3"),
	ID(5, 4, "ID_AA64AFR0_EL1"), ID(5, 5, "ID_AA64AFR1_EL1"),
	ID(5, 6, "ID reserved 5 6"), ID(5, 7, "ID reserved 5 7"),
	ID(6, 0, "ID_AA64ISAR0_EL1"), ID(6, 1, "ID_AA64ISAR1_EL1"),
	ID(6, 2, "ID_AA64ISAR2_EL1"), ID(6, 3, "ID reserved 6 3"),
	ID(6, 4, "ID reserved 6 4"), ID(6, 5, "ID reserved 6 5"),
	ID(6, 6, "ID reserved 6 6"), ID(6, 7, "ID reserved 6 7"),
	ID(7, 0, "ID_AA64MMFR0_EL1"), ID(7, 1, "ID_AA64MMFR1_EL1"),
	ID(7, 2, "ID_AA64MMFR2_EL1"), ID(7, 3, "ID_AA64MMFR3_EL1"),
	ID(7, 4, "ID_AA64MMFR4_EL1"), ID(7, 5, "ID reserved 7 5"),
	ID(7, 6, "ID reserved 7 6"), ID(7, 7, "ID reserved 7 7"),
	{SYS_ENC(3, 0, 1, 0, 1), "ACTLR_EL1", access_actlr, 0},
	/* SGIs: written at EL1, trapped by HCR_EL2.IMO/FMO. */
	{SYS_ENC(3, 0, 12, 11, 5), "ICC_SGI1R_EL1", vgic_sgi_access, 0},
	{SYS_ENC(3, 0, 12, 11, 6), "ICC_ASGI1R_EL1", vgic_sgi_access, 0},
	{SYS_ENC(3, 0, 12, 11, 7), "ICC_SGI0R_EL1", vgic_sgi_access, 0},
};

void sysreg_trap_check_table(void)
{
	for (size_t i = 1; i < sizeof(sysreg_table) / sizeof(sysreg_table[0]);
	     i++) {
		if (sysreg_table[i - 1].enc >= sysreg_table[i].enc)
			panic("sysreg table not sorted at %s",
			      sysreg_table[i].name);
	}
}

const struct sysreg_trap *sysreg_trap_find(uint32_t enc)
{
	size_t lo = 0, hi = sizeof(sysreg_table) / sizeof(sysreg_table[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sysreg_table[mid].enc == enc)
			return &sysreg_table[mid];
		if (sysreg_table[mid].enc < enc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void handle_sysreg_trap(struct vcpu *vcpu, uint64_t esr)
{
	struct arch_regs *regs = vcpu_regs(vcpu);
	uint32_t enc = SYS_ENC(ESR_SYS_OP0(esr), ESR_SYS_OP1(esr),
			       ESR_SYS_CRN(esr), ESR_SYS_CRM(esr),
			       ESR_SYS_OP2(esr));
	unsigned int rt = ESR_SYS_RT(esr);
	bool read = esr & ESR_SYS_READ;
	const struct sysreg_trap *r = sysreg_trap_find(enc);
	uint64_t val = (!read && rt != 31) ? regs->x[rt] : 0;

	if (r == NULL || !r->access(vcpu, r, read, &val)) {
		log_debug("vCPU %u: %s of system register S%u_%u_C%u_C%u_%u: "
			  "UNDEF injected",
			  vcpu->id, read ? "read" : "write",
			  (unsigned)ESR_SYS_OP0(esr), (unsigned)ESR_SYS_OP1(esr),
			  (unsigned)ESR_SYS_CRN(esr), (unsigned)ESR_SYS_CRM(esr),
			  (unsigned)ESR_SYS_OP2(esr));
		arch_vcpu_inject_undef(vcpu);
		return;
	}
	log_debug("vCPU %u: trapped %s %s 0x%llx", vcpu->id,
		  read ? "read of" : "write to", r->name,
		  (unsigned long long)val);
	if (read && rt != 31)
		regs->x[rt] = val;
	vcpu_instruction_done(vcpu, 4);
}
