/*
 * Kernel image formats. Every field read from the file is checked before it
 * is used: a truncated or hostile image gets a message, never an
 * out-of-bounds read.
 */
#include <stdio.h>
#include <string.h>

#include <vigil/boot_info.h>

#include "image.h"

#define FAIL(...)                                         \
	do {                                              \
		snprintf(err, IMAGE_ERROR_MAX, __VA_ARGS__); \
		return false;                             \
	} while (0)

/* Documentation/arm64/booting.rst */
struct linux_header {
	uint32_t code0, code1;
	uint64_t text_offset;
	uint64_t image_size;
	uint64_t flags;
	uint64_t res2, res3, res4;
	uint32_t magic;
	uint32_t res5;
};
#define LINUX_MAGIC 0x644d5241U /* "ARM\x64" */
#define LINUX_FLAG_BE (1UL << 0)
#define LINUX_LEGACY_TEXT_OFFSET 0x80000UL

/* ELF64 as far as a static executable needs it. */
struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define EM_AARCH64 183
#define PT_LOAD 1

const char *image_kind_name(enum image_kind kind)
{
	switch (kind) {
	case IMAGE_LINUX: return "arm64 Linux Image";
	case IMAGE_ELF: return "ELF";
	default: return "flat binary";
	}
}

static bool parse_linux(const void *buf, uint64_t len, struct image_info *img,
			char *err)
{
	struct linux_header h;

	memcpy(&h, buf, sizeof(h));
	if (h.flags & LINUX_FLAG_BE)
		FAIL("big-endian kernel images are not supported");
	if (h.image_size == 0) {
		/* Kernels before 3.17 leave the size out (booting.rst). */
		img->text_offset = LINUX_LEGACY_TEXT_OFFSET;
		img->footprint = len;
	} else {
		img->text_offset = h.text_offset;
		img->footprint = h.image_size > len ? h.image_size : len;
	}
	if (img->text_offset >= SZ_1G)
		FAIL("implausible text_offset 0x%llx",
		     (unsigned long long)img->text_offset);
	img->kind = IMAGE_LINUX;
	return true;
}

static bool parse_elf(const void *buf, uint64_t len, struct image_info *img,
		      char *err)
{
	struct elf64_ehdr eh;

	if (len < sizeof(eh))
		FAIL("truncated ELF header");
	memcpy(&eh, buf, sizeof(eh));
	if (eh.ident[4] != ELFCLASS64 || eh.ident[5] != ELFDATA2LSB)
		FAIL("not a 64-bit little-endian ELF");
	if (eh.machine != EM_AARCH64)
		FAIL("ELF machine %u is not AArch64", eh.machine);
	if (eh.type != ET_EXEC)
		FAIL("ELF type %u is not a static executable", eh.type);
	if (eh.phentsize != sizeof(struct elf64_phdr) || eh.phnum == 0)
		FAIL("ELF has no usable program headers");
	if (eh.phoff > len || (uint64_t)eh.phnum * eh.phentsize > len - eh.phoff)
		FAIL("ELF program headers lie outside the file");

	img->kind = IMAGE_ELF;
	img->nr_seg = 0;
	img->lo = UINT64_MAX;
	img->hi = 0;
	bool entry_found = false;

	for (uint16_t i = 0; i < eh.phnum; i++) {
		struct elf64_phdr ph;
		memcpy(&ph, (const uint8_t *)buf + eh.phoff + i * sizeof(ph),
		       sizeof(ph));
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		if (img->nr_seg == IMAGE_MAX_SEGMENTS)
			FAIL("more than %d loadable segments", IMAGE_MAX_SEGMENTS);
		if (ph.filesz > ph.memsz || ph.offset > len ||
		    ph.filesz > len - ph.offset)
			FAIL("segment %u lies outside the file", i);
		if (ph.paddr + ph.memsz < ph.paddr ||
		    ph.vaddr + ph.memsz < ph.vaddr)
			FAIL("segment %u wraps the address space", i);

		img->seg[img->nr_seg++] = (struct image_segment){
			.paddr = ph.paddr,
			.offset = ph.offset,
			.filesz = ph.filesz,
			.memsz = ph.memsz,
		};
		if (ph.paddr < img->lo)
			img->lo = ph.paddr;
		if (ph.paddr + ph.memsz > img->hi)
			img->hi = ph.paddr + ph.memsz;
		/* The entry is virtual; guests start with the MMU off. */
		if (eh.entry >= ph.vaddr && eh.entry - ph.vaddr < ph.memsz) {
			img->entry = ph.paddr + (eh.entry - ph.vaddr);
			entry_found = true;
		}
	}
	if (img->nr_seg == 0)
		FAIL("ELF has no loadable segment");
	if (!entry_found)
		FAIL("ELF entry point 0x%llx is in no loadable segment",
		     (unsigned long long)eh.entry);
	for (uint32_t i = 0; i < img->nr_seg; i++) {
		for (uint32_t j = i + 1; j < img->nr_seg; j++) {
			const struct image_segment *a = &img->seg[i],
						   *b = &img->seg[j];
			if (a->paddr < b->paddr + b->memsz &&
			    b->paddr < a->paddr + a->memsz)
				FAIL("ELF segments overlap");
		}
	}
	return true;
}

bool image_parse(const void *buf, uint64_t len, struct image_info *img,
		 char err[IMAGE_ERROR_MAX])
{
	const uint8_t *p = buf;

	memset(img, 0, sizeof(*img));
	img->file_size = len;
	if (len == 0)
		FAIL("empty file");
	if (len >= 4 && p[0] == 0x7f && p[1] == 'E' && p[2] == 'L' &&
	    p[3] == 'F')
		return parse_elf(buf, len, img, err);
	if (len >= sizeof(struct linux_header)) {
		uint32_t magic;
		memcpy(&magic, p + offsetof(struct linux_header, magic),
		       sizeof(magic));
		if (magic == LINUX_MAGIC)
			return parse_linux(buf, len, img, err);
	}
	img->kind = IMAGE_FLAT;
	return true;
}

struct mem_range image_elf_ram(const struct image_info *img, uint64_t memory,
			       uint64_t initrd_size)
{
	uint64_t base = ALIGN_DOWN(img->lo, SZ_2M);
	uint64_t need = ALIGN_UP(img->hi, SZ_2M) - base +
			ALIGN_UP(initrd_size, SZ_2M) + GUEST_DTB_SLOT_SIZE;

	return (struct mem_range){base, need > memory ? need : memory};
}

bool image_layout(const struct image_info *img, const struct mem_range *ram,
		  uint64_t initrd_size, struct guest_layout *out,
		  char err[IMAGE_ERROR_MAX])
{
	uint64_t ram_end = ram->base + ram->size;

	if (!IS_ALIGNED(ram->base, SZ_2M) || ram->size < 2 * GUEST_DTB_SLOT_SIZE)
		FAIL("guest RAM must be 2M aligned and at least 4M");

	switch (img->kind) {
	case IMAGE_LINUX:
		out->kernel_base = ram->base + img->text_offset;
		out->kernel_end = out->kernel_base + img->footprint;
		out->entry = out->kernel_base;
		break;
	case IMAGE_FLAT:
		out->kernel_base = ram->base;
		out->kernel_end = ram->base + img->file_size;
		out->entry = ram->base;
		break;
	case IMAGE_ELF:
		if (img->lo < ram->base || img->hi > ram_end)
			FAIL("ELF segments 0x%llx-0x%llx lie outside guest RAM",
			     (unsigned long long)img->lo,
			     (unsigned long long)img->hi);
		out->kernel_base = img->lo;
		out->kernel_end = img->hi;
		out->entry = img->entry;
		break;
	}

	out->dtb_slot = (struct mem_range){ram_end - GUEST_DTB_SLOT_SIZE,
					   GUEST_DTB_SLOT_SIZE};
	out->initrd = (struct mem_range){0, 0};
	uint64_t top = out->dtb_slot.base;
	if (initrd_size != 0) {
		/* Compare before rounding up: a huge size must not wrap to 0. */
		uint64_t size = initrd_size > top - ram->base
					? UINT64_MAX
					: ALIGN_UP(initrd_size, SZ_4K);
		if (size > top - ram->base)
			FAIL("initrd (%llu bytes) does not fit in guest RAM",
			     (unsigned long long)initrd_size);
		out->initrd = (struct mem_range){top - size, initrd_size};
		top -= size;
	}
	if (out->kernel_end > top || out->kernel_end < out->kernel_base)
		FAIL("guest RAM (%llu MiB) too small: kernel ends at 0x%llx, "
		     "initrd and device tree start at 0x%llx",
		     (unsigned long long)(ram->size >> 20),
		     (unsigned long long)out->kernel_end,
		     (unsigned long long)top);
	return true;
}
