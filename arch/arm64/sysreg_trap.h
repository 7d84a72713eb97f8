/*
 * Trapped system registers. Encodings pack op0, op1, CRn, CRm, op2 the way
 * the MRS/MSR instruction does, so a sorted table can be binary-searched
 * with the fields from ESR_EL2.
 */
#ifndef ARCH_ARM64_SYSREG_TRAP_H
#define ARCH_ARM64_SYSREG_TRAP_H

#include <stdbool.h>
#include <stdint.h>

#define SYS_ENC(op0, op1, crn, crm, op2)                                  \
	(((uint32_t)(op0) << 14) | ((uint32_t)(op1) << 11) |              \
	 ((uint32_t)(crn) << 7) | ((uint32_t)(crm) << 3) | (uint32_t)(op2))

struct vcpu;

struct sysreg_trap {
	uint32_t enc;
	const char *name;
	/* *val is the value written, or receives the value read. Returns
	 * false to have UNDEF injected. */
	bool (*access)(struct vcpu *vcpu, const struct sysreg_trap *r,
		       bool read, uint64_t *val);
	uint64_t reset;
};

/* Checks the table order at start-up; a mis-sorted table is a vigil bug. */
void sysreg_trap_check_table(void);
const struct sysreg_trap *sysreg_trap_find(uint32_t enc);

#endif
