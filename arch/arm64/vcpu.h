/* arm64-internal vCPU helpers shared by the exit handlers. */
#ifndef ARCH_ARM64_VCPU_H
#define ARCH_ARM64_VCPU_H

#include <vigil/vm.h>

static inline struct arch_regs *vcpu_regs(const struct vcpu *vcpu)
{
	return vcpu->arch.regs;
}

void vcpu_inject_data_abort(struct vcpu *vcpu, uint64_t far, bool write);
void vcpu_inject_prefetch_abort(struct vcpu *vcpu, uint64_t far);

#endif
