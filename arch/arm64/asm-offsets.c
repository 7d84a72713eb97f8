/*
 * Structure offsets for entry.S. Compiled to assembly only; the build turns
 * the "->NAME value" markers into include/generated/asm-offsets.h.
 */
#include <stddef.h>

#include <arch_types.h>
#include <vigil/debugger.h>
#include <vigil/vm.h>

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
	DEFINE(CPU_VCPU, offsetof(struct cpu_data, vcpu));
	/* The range-step fast path in entry.S (guest_sync). */
	DEFINE(VCPU_DEBUG_STATE, offsetof(struct vcpu, arch.debug.state));
	DEFINE(VCPU_HOST_STEP, offsetof(struct vcpu, arch.debug.host_step));
	DEFINE(VCPU_STEP_OVER, offsetof(struct vcpu, arch.debug.step_over));
	DEFINE(VCPU_RANGE_STEPS, offsetof(struct vcpu, arch.debug.range_steps));
	DEFINE(VCPU_VGIC_USED_LRS, offsetof(struct vcpu, arch.vgic_used_lrs));
	DEFINE(VCPU_VGIC_IN_FLIGHT, offsetof(struct vcpu, arch.vgic_in_flight));
	DEFINE(VCPU_PAUSE_REQUESTED, offsetof(struct vcpu, pause_requested));
	DEFINE(VCPU_DBG_MODE, offsetof(struct vcpu, dbg.mode));
	DEFINE(VCPU_DBG_RANGE_START, offsetof(struct vcpu, dbg.range_start));
	DEFINE(VCPU_DBG_RANGE_END, offsetof(struct vcpu, dbg.range_end));
	DEFINE(DBG_MODE_RANGE, DBG_RUN_RANGE);
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

/* Field sizes behind the loads and stores of entry.S's range-step path. */
#define FIELD_SIZE(type, field) sizeof(((type *)0)->field)
_Static_assert(FIELD_SIZE(struct cpu_data, vcpu) == 8, "ldr x");
_Static_assert(FIELD_SIZE(struct arch_debug, state) == 1 &&
		       FIELD_SIZE(struct arch_debug, host_step) == 1 &&
		       FIELD_SIZE(struct arch_debug, step_over) == 1 &&
		       FIELD_SIZE(struct vcpu, pause_requested) == 1,
	       "ldrb");
_Static_assert(FIELD_SIZE(struct arch_debug, range_steps) == 4 &&
		       FIELD_SIZE(struct arch_vcpu, vgic_used_lrs) == 4 &&
		       FIELD_SIZE(struct arch_vcpu, vgic_in_flight) == 4 &&
		       FIELD_SIZE(struct vcpu_dbg, mode) == 4,
	       "ldr w / str w");
_Static_assert(FIELD_SIZE(struct vcpu_dbg, range_start) == 8 &&
		       FIELD_SIZE(struct vcpu_dbg, range_end) == 8,
	       "ldr x");
