/*
 * What boot/ hands to hv_main() after ExitBootServices. Everything here is
 * plain data: after this point nothing calls UEFI.
 */
#ifndef VIGIL_BOOT_INFO_H
#define VIGIL_BOOT_INFO_H

#include <vigil/config.h>
#include <vigil/types.h>

#define BOOT_MAX_RAM_RANGES 64
/* The guest's device tree is written into the top of guest RAM. */
#define GUEST_DTB_SLOT_SIZE SZ_2M

struct boot_info {
	struct vigil_config cfg;

	/* vigil's own image and the memory it allocated for itself. */
	struct mem_range hv_image;
	struct mem_range hv_pool;

	/* All RAM of the machine, from the UEFI memory map, for EL2 mappings. */
	struct mem_range ram[BOOT_MAX_RAM_RANGES];
	uint32_t nr_ram;

	/* Guest RAM, identity mapped in stage 2; kernel and initrd loaded. */
	struct mem_range guest_ram;
	uint64_t guest_entry;           /* IPA of the first instruction */
	struct mem_range guest_initrd;  /* size 0 = none */
	struct mem_range guest_dtb_slot;

	/* Source device tree (firmware's or vigil.cfg "dtb"), not yet fixed up. */
	const void *dtb;
	uint64_t dtb_size;
};

/* Entered on the boot CPU at EL2, MMU on (firmware's tables), IRQs masked. */
void hv_main(const struct boot_info *info) __attribute__((noreturn));

#endif
