/*
 * arm64 vCPU state: EL2 trap configuration, reset, the full-context
 * save/restore, register access and exception injection into EL1.
 */
#include <string.h>

#include <arch_mm.h>
#include <arch_vcpu.h>
#include <vigil/vm.h>

#include "cpu.h"
#include "cpufeatures.h"
#include "debug.h"
#include "regs.h"
#include "sysreg.h"
#include "timer.h"
#include "vcpu.h"
#include "vgic.h"

/*
 * One accessor pair per EL1 register, in enum arch_el1_sysreg order. A
 * table rather than two hand-written lists keeps save and restore from
 * drifting apart.
 */
#define EL1_REG(idx, name) [idx] = {read_##name, write_##name}
static const struct {
	uint64_t (*read)(void);
	void (*write)(uint64_t);
} el1_regs[EL1_NR_SYSREGS] = {
	EL1_REG(EL1_SCTLR, sctlr_el1),
	EL1_REG(EL1_ACTLR, actlr_el1),
	EL1_REG(EL1_CPACR, cpacr_el1),
	EL1_REG(EL1_TTBR0, ttbr0_el1),
	EL1_REG(EL1_TTBR1, ttbr1_el1),
	EL1_REG(EL1_TCR, tcr_el1),
	EL1_REG(EL1_ESR, esr_el1),
	EL1_REG(EL1_AFSR0, afsr0_el1),
	EL1_REG(EL1_AFSR1, afsr1_el1),
	EL1_REG(EL1_FAR, far_el1),
	EL1_REG(EL1_MAIR, mair_el1),
	EL1_REG(EL1_AMAIR, amair_el1),
	EL1_REG(EL1_VBAR, vbar_el1),
	EL1_REG(EL1_CONTEXTIDR, contextidr_el1),
	EL1_REG(EL1_TPIDR, tpidr_el1),
	EL1_REG(EL0_TPIDR, tpidr_el0),
	EL1_REG(EL0_TPIDRRO, tpidrro_el0),
	EL1_REG(EL1_CNTKCTL, cntkctl_el1),
	EL1_REG(EL1_PAR, par_el1),
	EL1_REG(EL0_SP, sp_el0),
	EL1_REG(EL1_SP, sp_el1),
	EL1_REG(EL1_ELR, elr_el1),
	EL1_REG(EL1_SPSR, spsr_el1),
	EL1_REG(EL1_CSSELR, csselr_el1),
	EL1_REG(EL0_CNTV_CTL, cntv_ctl_el0),
	EL1_REG(EL0_CNTV_CVAL, cntv_cval_el0),
};

static bool has_feature(uint64_t idreg, unsigned int hi, unsigned int lo)
{
	return field_get(idreg, hi, lo) != 0;
}

void arch_vcpu_init(struct vcpu *vcpu)
{
	struct cpu_data *cpu = this_cpu();
	uint64_t pfr0 = read_id_aa64pfr0_el1();
	uint64_t hcr = HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO |
		       HCR_BSU_IS | HCR_TSC | HCR_TACR | HCR_RW;

	cpu->vcpu = vcpu;
	vcpu->arch.regs = (struct arch_regs *)(uintptr_t)cpu->stack_top;

	/*
	 * What the guest is given of the CPU and what is hidden from it
	 * (cpufeatures.c): ID register reads trapped, pointer authentication
	 * keys and MTE tags the guest's, SME and AMU trapped.
	 */
	hcr |= cpu_features_hcr();
	vcpu->arch.hcr_el2 = hcr;
	write_hcr_el2(hcr);

	/* SVE state belongs to the guest too, at full length. */
	if (has_feature(pfr0, 35, 32))
		write_zcr_el2(0xf);
	write_cptr_el2(cpu_features_cptr());

	/* Debug traps and the guest's share of the PMU (debug.c). */
	vcpu->arch.mdcr_el2 = debug_mdcr(vcpu);
	write_mdcr_el2(vcpu->arch.mdcr_el2);
	write_cnthctl_el2(CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN);
	vcpu->arch.cntvoff = 0;
	write_cntvoff_el2(0);
	write_vpidr_el2(read_midr_el1());
	write_vmpidr_el2(read_mpidr_el1());
	/* System-register GIC interface for the guest, not via MMIO. */
	write_icc_sre_el2(ICC_SRE_EL2_SRE | ICC_SRE_EL2_DFB | ICC_SRE_EL2_DIB |
			  ICC_SRE_EL2_ENABLE);
	isb();
	arch_stage2_enable();
	vgic_vcpu_init(vcpu);
	timer_cpu_init();
}

void arch_vcpu_reset(struct vcpu *vcpu, uint64_t entry, uint64_t arg)
{
	struct arch_regs *regs = vcpu_regs(vcpu);

	memset(regs, 0, sizeof(*regs));
	regs->x[0] = arg;
	regs->pc = entry;
	regs->pstate = PSR_DAIF | PSR_MODE_EL1H;

	/* The architectural "known" reset state: MMU and caches off. */
	memset(vcpu->arch.sysregs, 0, sizeof(vcpu->arch.sysregs));
	vcpu->arch.sysregs[EL1_SCTLR] = SCTLR_EL1_RES1;
	memset(&vcpu->arch.fpsimd, 0, sizeof(vcpu->arch.fpsimd));
	arch_vcpu_restore_full(vcpu);
	debug_vcpu_reset(vcpu);
	vgic_vcpu_reset(vcpu);
}

void arch_vcpu_enter(struct vcpu *vcpu)
{
	guest_first_entry(vcpu_regs(vcpu));
}

void arch_vcpu_save_full(struct vcpu *vcpu)
{
	for (unsigned int i = 0; i < EL1_NR_SYSREGS; i++)
		vcpu->arch.sysregs[i] = el1_regs[i].read();
	fpsimd_save(&vcpu->arch.fpsimd);
}

void arch_vcpu_restore_full(struct vcpu *vcpu)
{
	/* Only this vCPU's own CPU may load its live state. */
	if (this_cpu()->index != vcpu->id)
		return;
	/*
	 * Only what changed since the save (a debugger's write, a reset):
	 * writes to translation controls are not free, QEMU for one flushes
	 * its TLB on every TCR_EL1 write, and a paused vCPU is resumed after
	 * every single step.
	 */
	for (unsigned int i = 0; i < EL1_NR_SYSREGS; i++) {
		if (el1_regs[i].read() != vcpu->arch.sysregs[i])
			el1_regs[i].write(vcpu->arch.sysregs[i]);
	}
	/*
	 * The same for V0-V31: a write to a V register zeroes the rest of
	 * the SVE Z register it is part of, so rewriting unchanged values
	 * would wipe the guest's SVE state at every debugger stop.
	 */
	struct arch_fpsimd live;
	fpsimd_save(&live);
	if (memcmp(&live, &vcpu->arch.fpsimd, sizeof(live)) != 0)
		fpsimd_restore(&vcpu->arch.fpsimd);
	isb();
}

void arch_vcpu_set_vtime_offset(struct vcpu *vcpu, uint64_t offset)
{
	if (vcpu->arch.cntvoff == offset)
		return;
	vcpu->arch.cntvoff = offset;
	write_cntvoff_el2(offset);
	/* The timer's condition (CNTV_CTL_EL0.ISTATUS) with the new offset. */
	isb();
	vgic_vtimer_offset_changed(vcpu);
}

uint64_t arch_vcpu_get_gpr(const struct vcpu *vcpu, unsigned int n)
{
	return n < 31 ? vcpu->arch.regs->x[n] : 0;
}

void arch_vcpu_set_gpr(struct vcpu *vcpu, unsigned int n, uint64_t val)
{
	if (n < 31)
		vcpu->arch.regs->x[n] = val;
}

uint64_t arch_vcpu_get_pc(const struct vcpu *vcpu)
{
	return vcpu->arch.regs->pc;
}

/*
 * Take an exception to the guest's EL1 exactly as the hardware would
 * (Arm ARM D1.10, "Exception entry"): save PC and PSTATE in ELR/SPSR_EL1,
 * mask DAIF, set PAN and SSBS as SCTLR_EL1 asks, and branch to the vector
 * for the mode the exception was taken from.
 */
void vcpu_inject_sync(struct vcpu *vcpu, uint64_t esr, uint64_t far,
		      bool set_far)
{
	struct arch_regs *regs = vcpu_regs(vcpu);
	uint64_t pstate = regs->pstate, sctlr = read_sctlr_el1();
	uint64_t offset, newstate = PSR_DAIF | PSR_MODE_EL1H;

	if (pstate & PSR_MODE32)
		offset = 0x600;
	else if ((pstate & PSR_MODE_MASK) == PSR_MODE_EL0T)
		offset = 0x400;
	else if ((pstate & PSR_MODE_MASK) == PSR_MODE_EL1T)
		offset = 0x000;
	else
		offset = 0x200;

	if (has_feature(read_id_aa64mmfr1_el1(), 23, 20)) {
		/* PAN is kept, or set when SCTLR_EL1.SPAN is clear. */
		newstate |= pstate & PSR_PAN;
		if (!(sctlr & SCTLR_EL1_SPAN))
			newstate |= PSR_PAN;
	}
	if (has_feature(read_id_aa64pfr1_el1(), 7, 4) &&
	    (sctlr & SCTLR_EL1_DSSBS))
		newstate |= PSR_SSBS;
	/* Tag checks are off on exception entry (FEAT_MTE: TCO = 1). */
	if (cpu_features_has_mte())
		newstate |= PSR_TCO;

	write_elr_el1(regs->pc);
	write_spsr_el1(debug_guest_pstate(vcpu, pstate));
	write_esr_el1(esr);
	if (set_far)
		write_far_el1(far);
	regs->pc = read_vbar_el1() + offset;
	regs->pstate = newstate;
	vcpu->stats.injected++;
}

bool vcpu_from_el0(const struct vcpu *vcpu)
{
	uint64_t mode = vcpu_regs(vcpu)->pstate & (PSR_MODE_MASK | PSR_MODE32);
	return mode == PSR_MODE_EL0T || (mode & PSR_MODE32);
}

static uint64_t abort_ec(const struct vcpu *vcpu, uint64_t ec_same,
			 uint64_t ec_lower)
{
	return vcpu_from_el0(vcpu) ? ec_lower : ec_same;
}

/*
 * A virtual SError: HCR_EL2.VSE, which the hardware clears as the guest
 * takes it (exit_begin folds that back into the cached HCR_EL2, which
 * other code rewrites). With FEAT_RAS, VSESR_EL2 gives the guest's
 * ESR_EL1 its IDS and ISS; without it the syndrome is the CPU's own.
 */
void arch_vcpu_inject_serror(struct vcpu *vcpu, uint64_t syndrome)
{
	if (field_get(read_id_aa64pfr0_el1(), 31, 28) != 0)
		write_vsesr_el2(syndrome & ESR_ISS(~0UL));
	vcpu->arch.hcr_el2 |= HCR_VSE;
	write_hcr_el2(vcpu->arch.hcr_el2);
	isb();
}

void arch_vcpu_inject_undef(struct vcpu *vcpu)
{
	vcpu_inject_sync(vcpu, ((uint64_t)EC_UNKNOWN << ESR_EC_SHIFT) | ESR_IL, 0,
		    false);
}

void vcpu_inject_data_abort(struct vcpu *vcpu, uint64_t far, bool write)
{
	uint64_t esr = (abort_ec(vcpu, EC_DABT_CUR, EC_DABT_LOW)
			<< ESR_EC_SHIFT) |
		       ESR_IL | FSC_SYNC_EXTERNAL | (write ? ESR_DABT_WNR : 0);
	vcpu_inject_sync(vcpu, esr, far, true);
}

void vcpu_inject_prefetch_abort(struct vcpu *vcpu, uint64_t far)
{
	uint64_t esr = (abort_ec(vcpu, EC_IABT_CUR, EC_IABT_LOW)
			<< ESR_EC_SHIFT) |
		       ESR_IL | FSC_SYNC_EXTERNAL;
	vcpu_inject_sync(vcpu, esr, far, true);
}
