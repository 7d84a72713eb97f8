/* arm64 per-physical-CPU data, found through TPIDR_EL2. */
#ifndef ARCH_ARM64_CPU_H
#define ARCH_ARM64_CPU_H

#include <arch_cpu.h>
#include <vigil/boot_info.h>

#include "sysreg.h"

#define EL2_STACK_SIZE (16 * 1024)

struct vcpu;

struct cpu_data {
	/* Top of the EL2 stack, where the guest register frame lives. */
	uint64_t stack_top;
	uint32_t index;
	uint32_t pad;
	uint64_t hwid;
	struct vcpu *vcpu;
};

/* Values every CPU loads into its EL2 MMU registers (asm reads them). */
struct el2_mmu_config {
	uint64_t mair;
	uint64_t tcr;
	uint64_t ttbr0;
	uint64_t sctlr;
};

extern struct cpu_data cpu_data[MAX_CPUS];
extern struct el2_mmu_config el2_mmu_config;

static inline struct cpu_data *this_cpu(void)
{
	return (struct cpu_data *)read_tpidr_el2();
}

/* Boot CPU: stacks for every CPU, TPIDR_EL2, caches cleaned for secondaries. */
void cpu_boot_init(const struct boot_info *info);

/* entry.S */
void el2_switch_mmu(const struct el2_mmu_config *cfg);
void secondary_entry(void);
extern char el2_vectors[];
void guest_first_entry(struct arch_regs *frame) __attribute__((noreturn));
void fpsimd_save(struct arch_fpsimd *state);
void fpsimd_restore(const struct arch_fpsimd *state);

#endif
