/*
 * Fake architecture types for host unit tests (stands in for
 * arch/arm64/include/arch/types.h, see STYLE.md point 2). Small, and
 * instrumented so tests can see what the core asked the "hardware" to do.
 */
#ifndef ARCH_FAKE_TYPES_H
#define ARCH_FAKE_TYPES_H

#include <stdbool.h>
#include <stdint.h>

struct arch_regs {
	uint64_t x[31];
	uint64_t pc;
	uint64_t pstate;
};

struct arch_vcpu {
	struct arch_regs regs;
	/* How often each arch_vcpu_* operation ran on this vCPU. */
	unsigned int inits, resets, enters, saves, restores, undefs, serrors;
	bool debug_host_owned; /* arch_debug_host_acquire/release */
	uint64_t vtime_offset;  /* arch_vcpu_set_vtime_offset */
};

typedef struct {
	volatile uint32_t locked;
} arch_spinlock_t;

#endif
