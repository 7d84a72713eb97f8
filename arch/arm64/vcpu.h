/* arm64-internal vCPU helpers shared by the exit handlers. */
#ifndef ARCH_ARM64_VCPU_H
#define ARCH_ARM64_VCPU_H

#include <vigil/vm.h>

#include "regs.h"

static inline struct arch_regs *vcpu_regs(const struct vcpu *vcpu)
{
	return vcpu->arch.regs;
}

/*
 * Take a synchronous exception with syndrome esr (and FAR, if set_far) to
 * the guest's EL1, as the hardware would have.
 */
void vcpu_inject_sync(struct vcpu *vcpu, uint64_t esr, uint64_t far,
		      bool set_far);
/* The guest was at EL0 (or AArch32) when it exited. */
bool vcpu_from_el0(const struct vcpu *vcpu);

/*
 * An instruction that trapped has been completed by EL2: the PC moves on
 * and, as for any executed instruction, a software step in flight (the
 * guest's or the debugger's) becomes active-pending: the step exception is
 * taken before the next instruction (Arm ARM D2.12.6; KVM's
 * kvm_skip_instr does the same).
 */
static inline void vcpu_instruction_done(struct vcpu *vcpu, unsigned int len)
{
	vcpu->arch.regs->pc += len;
	vcpu->arch.regs->pstate &= ~PSR_SS;
}

void vcpu_inject_data_abort(struct vcpu *vcpu, uint64_t far, bool write);
void vcpu_inject_prefetch_abort(struct vcpu *vcpu, uint64_t far);

#endif
