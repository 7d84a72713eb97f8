/* arm64 exit handling shared between the dispatch table and its helpers. */
#ifndef ARCH_ARM64_EXCEPTIONS_H
#define ARCH_ARM64_EXCEPTIONS_H

#include <arch_types.h>

struct vcpu;

/* Called from entry.S with the guest frame. */
void arm64_guest_sync(struct arch_regs *regs);
void arm64_guest_irq(struct arch_regs *regs);
void arm64_guest_serror(struct arch_regs *regs);
void arm64_el2_fault(struct arch_regs *regs, uint64_t kind);

void handle_sysreg_trap(struct vcpu *vcpu, uint64_t esr);

#endif
