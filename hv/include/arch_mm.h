/*
 * Memory management: vigil's own (EL2) address space and the guest's
 * stage-2 translation.
 */
#ifndef VIGIL_ARCH_MM_H
#define VIGIL_ARCH_MM_H

#include <vigil/boot_info.h>
#include <vigil/types.h>

enum mm_attr {
	MM_NORMAL,  /* RAM: write-back cacheable */
	MM_DEVICE,  /* device registers: no gathering, no speculation */
};

/*
 * Build vigil's own identity map (all RAM normal, everything else below the
 * device limit as device memory), install it and vigil's vectors on the boot
 * CPU. Page tables come from the hypervisor pool.
 */
void arch_mm_init(const struct boot_info *info);

/* Stage 2: map [ipa, ipa+size) to the same host-physical range. */
bool arch_stage2_map_identity(ipaddr_t ipa, uint64_t size, enum mm_attr attr);
/* Start translating guest accesses through stage 2 (called per CPU). */
void arch_stage2_enable(void);

#endif
