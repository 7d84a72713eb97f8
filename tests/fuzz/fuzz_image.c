/*
 * libFuzzer target: boot/image.c. The input is a kernel file (arm64 Linux
 * Image, ELF or flat binary), parsed and then laid out in guest RAM the
 * way boot/efi_main.c does it, for a few RAM and initrd sizes. Checked:
 * what the loader would copy lies inside the file (ASan sees a read of
 * every byte), and a layout that succeeds keeps kernel, initrd and the
 * device-tree slot inside guest RAM and apart.
 */
#include <string.h>

#include <vigil/boot_info.h>

#include "image.h"
#include "fuzz.h"

/* Where UEFI might put guest RAM for a Linux Image or a flat binary. */
#define RAM_BASE 0x40000000ULL
/* AllocatePages(AllocateAddress) fails beyond the physical address space
 * (48 bits on vigil's machines): an ELF asking for RAM there never reaches
 * image_layout(). */
#define PA_LIMIT (1ULL << 48)

static volatile uint8_t sink;

/* Touch what copy_kernel() would read, so ASan checks the bounds. */
static void read_file_range(const uint8_t *file, uint64_t off, uint64_t len)
{
	uint8_t sum = 0;

	for (uint64_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + file[off + i]);
	sink = sum;
}

static bool inside(const struct mem_range *ram, uint64_t base, uint64_t end)
{
	return base <= end && base >= ram->base &&
	       end <= ram->base + ram->size;
}

static void check_layout(const struct image_info *img,
			 const struct mem_range *ram, uint64_t initrd_size,
			 const struct guest_layout *l)
{
	FUZZ_CHECK(inside(ram, l->kernel_base, l->kernel_end),
		   "kernel 0x%llx-0x%llx outside RAM",
		   (unsigned long long)l->kernel_base,
		   (unsigned long long)l->kernel_end);
	FUZZ_CHECK(l->dtb_slot.size == GUEST_DTB_SLOT_SIZE &&
			   inside(ram, l->dtb_slot.base,
				  l->dtb_slot.base + l->dtb_slot.size),
		   "device-tree slot outside RAM");
	FUZZ_CHECK(l->kernel_end <= l->dtb_slot.base,
		   "kernel overlaps the device-tree slot");
	if (initrd_size != 0) {
		FUZZ_CHECK(l->initrd.size == initrd_size &&
				   inside(ram, l->initrd.base,
					  l->initrd.base + l->initrd.size),
			   "initrd outside RAM");
		FUZZ_CHECK(l->kernel_end <= l->initrd.base &&
				   l->initrd.base + l->initrd.size <=
					   l->dtb_slot.base,
			   "initrd overlaps kernel or device-tree slot");
	}
	/* The image must fit where it is copied. */
	if (img->kind != IMAGE_ELF)
		FUZZ_CHECK(l->kernel_end - l->kernel_base >= img->file_size,
			   "footprint smaller than the file");
	for (uint32_t i = 0; i < img->nr_seg; i++) {
		const struct image_segment *sg = &img->seg[i];

		FUZZ_CHECK(sg->paddr >= l->kernel_base &&
				   sg->paddr + sg->memsz <= l->kernel_end,
			   "segment %u outside the kernel's range", i);
	}
	FUZZ_CHECK(l->entry >= l->kernel_base &&
			   (l->entry < l->kernel_end ||
			    l->kernel_end == l->kernel_base),
		   "entry 0x%llx outside the kernel",
		   (unsigned long long)l->entry);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t memories[] = {4ULL << 20, 256ULL << 20};
	static const uint64_t initrds[] = {0, 1, 3ULL << 20};
	struct image_info img;
	char err[IMAGE_ERROR_MAX];

	memset(err, 'X', sizeof(err));
	if (!image_parse(data, size, &img, err)) {
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL,
			   "error message not terminated");
		return 0;
	}
	FUZZ_CHECK(img.file_size == size, "file_size %llu",
		   (unsigned long long)img.file_size);
	if (img.kind == IMAGE_ELF) {
		FUZZ_CHECK(img.nr_seg >= 1 && img.nr_seg <= IMAGE_MAX_SEGMENTS,
			   "%u segments", img.nr_seg);
		for (uint32_t i = 0; i < img.nr_seg; i++) {
			const struct image_segment *sg = &img.seg[i];

			FUZZ_CHECK(sg->filesz <= sg->memsz &&
					   sg->offset <= size &&
					   sg->filesz <= size - sg->offset,
				   "segment %u outside the file", i);
			read_file_range(data, sg->offset, sg->filesz);
		}
	} else {
		FUZZ_CHECK(img.nr_seg == 0, "segments in a non-ELF image");
		read_file_range(data, 0, size);
	}

	for (size_t m = 0; m < sizeof(memories) / sizeof(memories[0]); m++) {
		for (size_t i = 0; i < sizeof(initrds) / sizeof(initrds[0]);
		     i++) {
			struct mem_range ram = {RAM_BASE, memories[m]};
			struct guest_layout l;

			if (img.kind == IMAGE_ELF) {
				ram = image_elf_ram(&img, memories[m],
						    initrds[i]);
				if (ram.base >= PA_LIMIT ||
				    ram.size > PA_LIMIT - ram.base)
					continue;
			}
			memset(err, 'X', sizeof(err));
			if (image_layout(&img, &ram, initrds[i], &l, err))
				check_layout(&img, &ram, initrds[i], &l);
			else
				FUZZ_CHECK(memchr(err, '\0', sizeof(err)),
					   "error message not terminated");
		}
	}
	return 0;
}
