/*
 * System register accessors: one read and one write function per register,
 * generated from one macro (TF-A's DEFINE_SYSREG_RW_FUNCS). Registers the
 * assembler may not know by name use their S3_... encoding.
 */
#ifndef ARCH_ARM64_SYSREG_H
#define ARCH_ARM64_SYSREG_H

#include <stdint.h>

#define SYSREG_READ(name, enc)                                          \
	static inline uint64_t read_##name(void)                        \
	{                                                               \
		uint64_t v;                                             \
		__asm__ volatile("mrs %0, " #enc : "=r"(v));            \
		return v;                                               \
	}
#define SYSREG_WRITE(name, enc)                                         \
	static inline void write_##name(uint64_t v)                     \
	{                                                               \
		__asm__ volatile("msr " #enc ", %0" : : "r"(v) : "memory"); \
	}
#define SYSREG_RW(name, enc) SYSREG_READ(name, enc) SYSREG_WRITE(name, enc)

/* EL2 */
SYSREG_RW(hcr_el2, hcr_el2)
SYSREG_RW(sctlr_el2, sctlr_el2)
SYSREG_RW(tcr_el2, tcr_el2)
SYSREG_RW(mair_el2, mair_el2)
SYSREG_RW(ttbr0_el2, ttbr0_el2)
SYSREG_RW(vbar_el2, vbar_el2)
SYSREG_RW(vtcr_el2, vtcr_el2)
SYSREG_RW(vttbr_el2, vttbr_el2)
SYSREG_RW(vpidr_el2, vpidr_el2)
SYSREG_RW(vmpidr_el2, vmpidr_el2)
SYSREG_RW(cptr_el2, cptr_el2)
SYSREG_RW(mdcr_el2, mdcr_el2)
SYSREG_RW(cnthctl_el2, cnthctl_el2)
SYSREG_RW(cntvoff_el2, cntvoff_el2)
SYSREG_RW(tpidr_el2, tpidr_el2)
SYSREG_RW(elr_el2, elr_el2)
SYSREG_RW(spsr_el2, spsr_el2)
SYSREG_READ(esr_el2, esr_el2)
SYSREG_READ(far_el2, far_el2)
SYSREG_READ(hpfar_el2, hpfar_el2)
SYSREG_RW(icc_sre_el2, S3_4_C12_C9_5)
SYSREG_RW(ich_hcr_el2, S3_4_C12_C11_0)
SYSREG_RW(zcr_el2, S3_4_C1_C2_0)
SYSREG_RW(vsesr_el2, S3_4_C5_C2_3) /* FEAT_RAS */
SYSREG_RW(smcr_el2, S3_4_C1_C2_6)

/* EL1/EL0 state of the guest */
SYSREG_RW(sctlr_el1, sctlr_el1)
SYSREG_RW(actlr_el1, actlr_el1)
SYSREG_RW(cpacr_el1, cpacr_el1)
SYSREG_RW(ttbr0_el1, ttbr0_el1)
SYSREG_RW(ttbr1_el1, ttbr1_el1)
SYSREG_RW(tcr_el1, tcr_el1)
SYSREG_RW(esr_el1, esr_el1)
SYSREG_RW(afsr0_el1, afsr0_el1)
SYSREG_RW(afsr1_el1, afsr1_el1)
SYSREG_RW(far_el1, far_el1)
SYSREG_RW(mair_el1, mair_el1)
SYSREG_RW(amair_el1, amair_el1)
SYSREG_RW(vbar_el1, vbar_el1)
SYSREG_RW(contextidr_el1, contextidr_el1)
SYSREG_RW(tpidr_el1, tpidr_el1)
SYSREG_RW(tpidr_el0, tpidr_el0)
SYSREG_RW(tpidrro_el0, tpidrro_el0)
SYSREG_RW(cntkctl_el1, cntkctl_el1)
SYSREG_RW(par_el1, par_el1)
SYSREG_RW(sp_el0, sp_el0)
SYSREG_RW(sp_el1, sp_el1)
SYSREG_RW(elr_el1, elr_el1)
SYSREG_RW(spsr_el1, spsr_el1)
SYSREG_RW(csselr_el1, csselr_el1)
SYSREG_RW(mdscr_el1, mdscr_el1)
SYSREG_WRITE(oslar_el1, oslar_el1)
SYSREG_RW(cntv_ctl_el0, cntv_ctl_el0)
SYSREG_RW(cntv_cval_el0, cntv_cval_el0)

/* Identification */
SYSREG_READ(midr_el1, midr_el1)
SYSREG_READ(mpidr_el1, mpidr_el1)
SYSREG_READ(id_aa64pfr0_el1, id_aa64pfr0_el1)
SYSREG_READ(id_aa64pfr1_el1, id_aa64pfr1_el1)
SYSREG_READ(id_aa64mmfr0_el1, id_aa64mmfr0_el1)
SYSREG_READ(id_aa64mmfr1_el1, id_aa64mmfr1_el1)
SYSREG_READ(id_aa64isar1_el1, id_aa64isar1_el1)
SYSREG_READ(pmcr_el0, pmcr_el0)
SYSREG_READ(currentel, CurrentEL)

static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void dsb_sy(void) { __asm__ volatile("dsb sy" ::: "memory"); }
static inline void dsb_ish(void) { __asm__ volatile("dsb ish" ::: "memory"); }

/* Extract bits hi..lo of v. */
static inline uint64_t field_get(uint64_t v, unsigned int hi, unsigned int lo)
{
	return (v >> lo) & ((2UL << (hi - lo)) - 1);
}

#endif
