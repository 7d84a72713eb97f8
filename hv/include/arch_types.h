/*
 * Architecture types the core embeds: struct arch_vcpu, struct arch_regs,
 * arch_spinlock_t. Each architecture provides <arch/types.h>; host unit
 * tests use the fake one in tests/unit/fake/.
 */
#ifndef VIGIL_ARCH_TYPES_H
#define VIGIL_ARCH_TYPES_H

#include <arch/types.h>

#endif
