/* What the guest is told about the CPU: its ID registers (cpufeatures.c). */
#ifndef ARCH_ARM64_CPUFEATURES_H
#define ARCH_ARM64_CPUFEATURES_H

#include <stdbool.h>
#include <stdint.h>

struct sysreg_trap;
struct vcpu;

/* Trapped reads of the ID registers (HCR_EL2.TID3). */
bool cpu_features_access(struct vcpu *vcpu, const struct sysreg_trap *r,
			 bool read, uint64_t *val);
/* hw, the value of ID register enc (SYS_ENC), as the guest sees it. */
uint64_t cpu_features_guest_view(uint32_t enc, uint64_t hw);

/* HCR_EL2 and CPTR_EL2 bits that give or hide the features, this CPU. */
uint64_t cpu_features_hcr(void);
uint64_t cpu_features_cptr(void);
bool cpu_features_has_mte(void);

/* Boot CPU, once: says which features the hardware has but the guest
 * does not get. */
void cpu_features_log(void);

#endif
