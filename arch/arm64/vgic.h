/* The guest's virtual GICv3 (see vgic.c). */
#ifndef ARCH_ARM64_VGIC_H
#define ARCH_ARM64_VGIC_H

#include <stdbool.h>
#include <stdint.h>

#include <vigil/vm.h>

struct sysreg_trap;

/* Per vCPU, on its own CPU, before it first runs (and at reset). */
void vgic_vcpu_init(struct vcpu *vcpu);
void vgic_vcpu_reset(struct vcpu *vcpu);

/* Exit and entry hooks: list registers to software state and back. */
void vgic_exit_slow(struct vcpu *vcpu);
void vgic_entry_slow(struct vcpu *vcpu);

/* Inline so that a null exit pays one predictable branch each way. */
static inline void vgic_exit(struct vcpu *vcpu)
{
	if (__builtin_expect(vcpu->arch.vgic_used_lrs != 0, 0))
		vgic_exit_slow(vcpu);
}

static inline void vgic_entry(struct vcpu *vcpu)
{
	/* Nothing in flight: the list registers are already empty. */
	if (__builtin_expect(vcpu->arch.vgic_in_flight != 0, 0))
		vgic_entry_slow(vcpu);
}

/*
 * On the vCPU's own CPU while it is stopped, just after its virtual
 * counter was set back (a larger CNTVOFF_EL2): see vgic.c.
 */
void vgic_vtimer_offset_changed(struct vcpu *vcpu);

/* Trapped ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 / ICC_SGI0R_EL1 writes. */
bool vgic_sgi_access(struct vcpu *vcpu, const struct sysreg_trap *r,
		     bool read, uint64_t *val);

#endif
