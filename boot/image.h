/*
 * Guest kernel images: recognising the three formats vigil boots and laying
 * the kernel, initrd and device tree out in guest RAM. Pure logic (no UEFI),
 * tested on the host.
 */
#ifndef BOOT_IMAGE_H
#define BOOT_IMAGE_H

#include <vigil/types.h>

#define IMAGE_MAX_SEGMENTS 16
#define IMAGE_ERROR_MAX 160

enum image_kind {
	IMAGE_LINUX, /* arm64 Linux Image, header honoured */
	IMAGE_ELF,   /* static ELF, loaded at its physical addresses */
	IMAGE_FLAT,  /* flat binary, entered at its first byte */
};

struct image_segment {
	uint64_t paddr;
	uint64_t offset; /* in the file */
	uint64_t filesz;
	uint64_t memsz;
};

struct image_info {
	enum image_kind kind;
	uint64_t file_size;
	/* IMAGE_LINUX */
	uint64_t text_offset;
	uint64_t footprint; /* bytes from the load address, incl. bss */
	/* IMAGE_ELF */
	struct image_segment seg[IMAGE_MAX_SEGMENTS];
	uint32_t nr_seg;
	uint64_t entry;            /* physical */
	uint64_t lo, hi;           /* [lo, hi) covers every segment */
};

bool image_parse(const void *buf, uint64_t len, struct image_info *img,
		 char err[IMAGE_ERROR_MAX]);

const char *image_kind_name(enum image_kind kind);

/*
 * Guest RAM needed by an ELF image: 2 MiB aligned, at least
 * memory bytes, covering every segment with room above for the initrd and
 * the device-tree slot.
 */
struct mem_range image_elf_ram(const struct image_info *img, uint64_t memory,
			       uint64_t initrd_size);

struct guest_layout {
	uint64_t kernel_base; /* where byte 0 of the file (or segment 0) goes */
	uint64_t kernel_end;  /* end of the kernel's footprint */
	uint64_t entry;
	struct mem_range initrd;
	struct mem_range dtb_slot;
};

/*
 * Place kernel, initrd and device-tree slot in guest RAM ram. Fails with a
 * message when they do not fit.
 */
bool image_layout(const struct image_info *img, const struct mem_range *ram,
		  uint64_t initrd_size, struct guest_layout *out,
		  char err[IMAGE_ERROR_MAX]);

#endif
