/*
 * Structure offsets for entry.S. Compiled to assembly only; the build turns
 * the "->NAME value" markers into include/generated/asm-offsets.h.
 */
#include <stddef.h>

#include <arch_types.h>

#include "cpu.h"

#define DEFINE(sym, val) \
	__asm__ volatile("\n->" #sym " %0" : : "i"(val))

void asm_offsets(void);
void asm_offsets(void)
{
	DEFINE(REGS_X0, offsetof(struct arch_regs, x));
	DEFINE(REGS_X30, offsetof(struct arch_regs, x[30]));
	DEFINE(REGS_PSTATE, offsetof(struct arch_regs, pstate));
	DEFINE(REGS_SIZE, sizeof(struct arch_regs));
	DEFINE(CPU_STACK_TOP, offsetof(struct cpu_data, stack_top));
	DEFINE(CPU_INDEX, offsetof(struct cpu_data, index));
	DEFINE(MMU_CFG_MAIR, offsetof(struct el2_mmu_config, mair));
	DEFINE(MMU_CFG_TTBR0, offsetof(struct el2_mmu_config, ttbr0));
	DEFINE(FPSIMD_FPSR, offsetof(struct arch_fpsimd, fpsr));
}

/* The vectors store pc right after x30: keep that adjacency. */
_Static_assert(offsetof(struct arch_regs, pc) ==
		       offsetof(struct arch_regs, x[30]) + 8,
	       "entry.S stores x30 and pc with one stp");
_Static_assert(sizeof(struct arch_regs) % 16 == 0,
	       "the guest frame sits at the top of a 16-byte aligned stack");
_Static_assert(offsetof(struct el2_mmu_config, tcr) == 8 &&
		       offsetof(struct el2_mmu_config, sctlr) == 24,
	       "el2_switch_mmu loads the config with two ldp");
_Static_assert(offsetof(struct arch_fpsimd, fpcr) ==
		       offsetof(struct arch_fpsimd, fpsr) + 8,
	       "fpsimd_save stores fpsr and fpcr with one stp");
