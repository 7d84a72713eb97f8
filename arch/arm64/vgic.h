/* The guest's virtual GICv3 (see vgic.c). */
#ifndef ARCH_ARM64_VGIC_H
#define ARCH_ARM64_VGIC_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;
struct sysreg_trap;

/* Per vCPU, on its own CPU, before it first runs (and at reset). */
void vgic_vcpu_init(struct vcpu *vcpu);
void vgic_vcpu_reset(struct vcpu *vcpu);

/* Exit and entry hooks: list registers to software state and back. */
void vgic_exit(struct vcpu *vcpu);
void vgic_entry(struct vcpu *vcpu);

/* Trapped ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 / ICC_SGI0R_EL1 writes. */
bool vgic_sgi_access(struct vcpu *vcpu, const struct sysreg_trap *r,
		     bool read, uint64_t *val);

#endif
