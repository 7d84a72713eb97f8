/*
 * boot/image.c: recognising arm64 Linux Images, ELF and flat binaries, and
 * laying kernel, initrd and device-tree slot out in guest RAM. The ELF
 * files are built here with the host's <elf.h>, an independent description
 * of the format.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include <vigil/boot_info.h>

#include "image.h"
#include "test.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static char err[IMAGE_ERROR_MAX];

/* ---- arm64 Linux Image (Documentation/arch/arm64/booting.rst) ---- */

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* the host is little-endian, like the format */
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* A len-byte Image with its 64-byte header filled in. */
static uint8_t *linux_image(uint64_t len, uint64_t text_offset,
			    uint64_t image_size, uint64_t flags)
{
	uint8_t *buf = calloc(1, len);

	put32(buf + 0, 0xfa405a4d);  /* code0: "MZ" + branch, as Linux has */
	put32(buf + 4, 0x14000000);  /* code1 */
	put64(buf + 8, text_offset);
	put64(buf + 16, image_size);
	put64(buf + 24, flags);
	put32(buf + 56, 0x644d5241); /* "ARM\x64" */
	put32(buf + 60, 0x40);       /* PE header offset, ignored */
	return buf;
}

TEST(linux_image)
{
	struct image_info img;
	uint8_t *buf = linux_image(4096, 0, 0x2000000, 0x2);

	memset(&img, 0xa5, sizeof(img));
	ASSERT_TRUE(image_parse(buf, 4096, &img, err));
	EXPECT_EQ(IMAGE_LINUX, img.kind);
	EXPECT_EQ(4096, img.file_size);
	EXPECT_EQ(0, img.text_offset);
	EXPECT_EQ(0x2000000, img.footprint); /* image_size, bss included */
	EXPECT_EQ(0, img.nr_seg);
	EXPECT_STREQ("arm64 Linux Image", image_kind_name(img.kind));
	free(buf);
}

TEST(linux_image_text_offset_and_short_image_size)
{
	struct image_info img;
	uint8_t *buf = linux_image(8192, 0x80000, 4096, 0);

	ASSERT_TRUE(image_parse(buf, 8192, &img, err));
	EXPECT_EQ(IMAGE_LINUX, img.kind);
	EXPECT_EQ(0x80000, img.text_offset);
	/* image_size smaller than the file: the file wins. */
	EXPECT_EQ(8192, img.footprint);
	free(buf);
}

TEST(linux_image_legacy_without_size)
{
	struct image_info img;
	/* Before 3.17 image_size is 0 and text_offset may be anything. */
	uint8_t *buf = linux_image(4096, 0x12345, 0, 0);

	ASSERT_TRUE(image_parse(buf, 4096, &img, err));
	EXPECT_EQ(IMAGE_LINUX, img.kind);
	EXPECT_EQ(0x80000, img.text_offset);
	EXPECT_EQ(4096, img.footprint);
	free(buf);
}

TEST(linux_image_big_endian_rejected)
{
	struct image_info img;
	uint8_t *buf = linux_image(4096, 0, 0x100000, 0x1);

	EXPECT_FALSE(image_parse(buf, 4096, &img, err));
	EXPECT_STREQ("big-endian kernel images are not supported", err);
	free(buf);
	/* Other flag bits (page size, placement) are fine. */
	buf = linux_image(4096, 0, 0x100000, 0xe);
	EXPECT_TRUE(image_parse(buf, 4096, &img, err));
	free(buf);
}

TEST(linux_image_implausible_text_offset)
{
	struct image_info img;
	uint8_t *buf = linux_image(4096, 0x40000000, 0x100000, 0);

	EXPECT_FALSE(image_parse(buf, 4096, &img, err));
	EXPECT_STREQ("implausible text_offset 0x40000000", err);
	free(buf);
	buf = linux_image(4096, 0x3fe00000, 0x100000, 0);
	EXPECT_TRUE(image_parse(buf, 4096, &img, err));
	free(buf);
}

TEST(linux_magic_needs_whole_header)
{
	struct image_info img;
	uint8_t *buf = linux_image(64, 0, 0x100000, 0);

	ASSERT_TRUE(image_parse(buf, 64, &img, err));
	EXPECT_EQ(IMAGE_LINUX, img.kind);
	/* 60 bytes would hold the magic, but not the whole header. */
	uint8_t *short_buf = malloc(60);
	memcpy(short_buf, buf, 60);
	ASSERT_TRUE(image_parse(short_buf, 60, &img, err));
	EXPECT_EQ(IMAGE_FLAT, img.kind);
	free(short_buf);
	free(buf);
}

/* ---- flat binaries and empty files ---- */

TEST(flat_binary)
{
	struct image_info img;
	uint8_t *buf = malloc(1000);

	for (int i = 0; i < 1000; i++)
		buf[i] = (uint8_t)(i * 7);
	ASSERT_TRUE(image_parse(buf, 1000, &img, err));
	EXPECT_EQ(IMAGE_FLAT, img.kind);
	EXPECT_EQ(1000, img.file_size);
	EXPECT_STREQ("flat binary", image_kind_name(img.kind));
	/* "\x7f" "EL" is not an ELF magic. */
	ASSERT_TRUE(image_parse("\x7f" "EL", 3, &img, err));
	EXPECT_EQ(IMAGE_FLAT, img.kind);
	ASSERT_TRUE(image_parse("\x01", 1, &img, err));
	EXPECT_EQ(IMAGE_FLAT, img.kind);
	free(buf);
}

TEST(empty_file)
{
	struct image_info img;
	uint8_t byte = 0;

	EXPECT_FALSE(image_parse(&byte, 0, &img, err));
	EXPECT_STREQ("empty file", err);
	EXPECT_EQ(0, img.file_size);
}

/* ---- ELF ---- */

struct elf_file {
	uint8_t *buf;
	uint64_t len;
};

/* phnum program headers right after the header, then len - that of data. */
static struct elf_file elf_new(uint64_t len, uint16_t phnum, uint64_t entry)
{
	struct elf_file f = {calloc(1, len), len};
	Elf64_Ehdr eh = {0};

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_AARCH64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = entry;
	eh.e_phoff = sizeof(Elf64_Ehdr);
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = phnum;
	memcpy(f.buf, &eh, sizeof(eh));
	return f;
}

static Elf64_Ehdr *ehdr(struct elf_file *f)
{
	return (Elf64_Ehdr *)f->buf;
}

static void elf_phdr(struct elf_file *f, unsigned int i, uint32_t type,
		     uint64_t offset, uint64_t vaddr, uint64_t paddr,
		     uint64_t filesz, uint64_t memsz)
{
	Elf64_Phdr ph = {
		.p_type = type,
		.p_flags = PF_R | PF_X,
		.p_offset = offset,
		.p_vaddr = vaddr,
		.p_paddr = paddr,
		.p_filesz = filesz,
		.p_memsz = memsz,
		.p_align = 0x1000,
	};
	memcpy(f->buf + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr), &ph,
	       sizeof(ph));
}

#define KVA 0xffff800010000000ULL /* kernel virtual base */

TEST(elf_single_segment_entry_translated)
{
	struct image_info img;
	struct elf_file f = elf_new(0x3000, 1, KVA + 0x123 * 4);

	elf_phdr(&f, 0, PT_LOAD, 0x1000, KVA, 0x40080000, 0x2000, 0x5000);
	ASSERT_TRUE(image_parse(f.buf, f.len, &img, err));
	EXPECT_EQ(IMAGE_ELF, img.kind);
	EXPECT_STREQ("ELF", image_kind_name(img.kind));
	EXPECT_EQ(0x3000, img.file_size);
	ASSERT_EQ(1, img.nr_seg);
	EXPECT_EQ(0x40080000, img.seg[0].paddr);
	EXPECT_EQ(0x1000, img.seg[0].offset);
	EXPECT_EQ(0x2000, img.seg[0].filesz);
	EXPECT_EQ(0x5000, img.seg[0].memsz);
	EXPECT_EQ(0x40080000 + 0x123 * 4, img.entry); /* virtual -> physical */
	EXPECT_EQ(0x40080000, img.lo);
	EXPECT_EQ(0x40085000, img.hi);
	free(f.buf);
}

TEST(elf_several_segments)
{
	struct image_info img;
	/* Entry in the bss part of the second loadable segment. */
	struct elf_file f = elf_new(0x4000, 6, KVA + 0x210000);

	elf_phdr(&f, 0, PT_NOTE, 0x200, 0, 0, 0x20, 0x20);
	elf_phdr(&f, 1, PT_LOAD, 0x1000, KVA + 0x200000, 0x40200000, 0x1000,
		 0x20000);
	elf_phdr(&f, 2, PT_GNU_STACK, 0, 0, 0, 0, 0);
	elf_phdr(&f, 3, PT_LOAD, 0x2000, KVA, 0x40000000, 0x1000, 0x1000);
	elf_phdr(&f, 4, PT_LOAD, 0x0, KVA + 0x900000, 0x40900000, 0, 0);
	elf_phdr(&f, 5, PT_LOAD, 0x3000, KVA + 0x100000, 0x40100000, 0x1000,
		 0x1000);
	ASSERT_TRUE(image_parse(f.buf, f.len, &img, err));
	EXPECT_EQ(IMAGE_ELF, img.kind);
	/* PT_NOTE, PT_GNU_STACK and the empty PT_LOAD are skipped. */
	ASSERT_EQ(3, img.nr_seg);
	EXPECT_EQ(0x40200000, img.seg[0].paddr);
	EXPECT_EQ(0x40000000, img.seg[1].paddr);
	EXPECT_EQ(0x40100000, img.seg[2].paddr);
	EXPECT_EQ(0x40210000, img.entry);
	EXPECT_EQ(0x40000000, img.lo);
	EXPECT_EQ(0x40220000, img.hi);
	free(f.buf);
}

TEST(elf_touching_segments_are_fine)
{
	struct image_info img;
	struct elf_file f = elf_new(0x3000, 2, 0x40000000);

	elf_phdr(&f, 0, PT_LOAD, 0x1000, 0x40000000, 0x40000000, 0x1000,
		 0x1000);
	elf_phdr(&f, 1, PT_LOAD, 0x2000, 0x40001000, 0x40001000, 0x1000,
		 0x1000);
	EXPECT_TRUE(image_parse(f.buf, f.len, &img, err));
	free(f.buf);
}

TEST(elf_overlapping_segments)
{
	struct image_info img;
	struct elf_file f = elf_new(0x3000, 2, 0x40000000);

	elf_phdr(&f, 0, PT_LOAD, 0x1000, 0x40000000, 0x40000000, 0x1000,
		 0x2000);
	elf_phdr(&f, 1, PT_LOAD, 0x2000, 0x40001000, 0x40001000, 0x1000,
		 0x1000);
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("ELF segments overlap", err);
	/* One inside the other, in the other order. */
	elf_phdr(&f, 0, PT_LOAD, 0x1000, 0x40001800, 0x40001800, 0x100, 0x100);
	elf_phdr(&f, 1, PT_LOAD, 0x2000, 0x40000000, 0x40000000, 0x1000,
		 0x10000);
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("ELF segments overlap", err);
	free(f.buf);
}

TEST(elf_segment_past_end_of_file)
{
	struct image_info img;
	struct elf_file f = elf_new(0x3000, 2, 0x40000000);

	elf_phdr(&f, 0, PT_LOAD, 0x1000, 0x40000000, 0x40000000, 0x1000,
		 0x1000);
	elf_phdr(&f, 1, PT_LOAD, 0x2000, 0x40100000, 0x40100000, 0x1001,
		 0x2000);
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("segment 1 lies outside the file", err);
	/* Offset beyond the end, and an offset so large it would wrap. */
	elf_phdr(&f, 1, PT_LOAD, 0x3001, 0x40100000, 0x40100000, 0, 0x1000);
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("segment 1 lies outside the file", err);
	elf_phdr(&f, 1, PT_LOAD, UINT64_MAX - 0xf, 0x40100000, 0x40100000,
		 0x20, 0x1000);
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("segment 1 lies outside the file", err);
	/* Exactly up to the end is fine. */
	elf_phdr(&f, 1, PT_LOAD, 0x2000, 0x40100000, 0x40100000, 0x1000,
		 0x1000);
	EXPECT_TRUE(image_parse(f.buf, f.len, &img, err));
	/* filesz larger than memsz. */
	elf_phdr(&f, 0, PT_LOAD, 0x1000, 0x40000000, 0x40000000, 0x1000,
		 0x800);
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("segment 0 lies outside the file", err);
	free(f.buf);
}

TEST(elf_segment_wraps)
{
	struct image_info img;
	struct elf_file f = elf_new(0x2000, 1, UINT64_MAX - 0xfff);

	elf_phdr(&f, 0, PT_LOAD, 0x1000, UINT64_MAX - 0xfff,
		 UINT64_MAX - 0xfff, 0x1000, 0x2000);
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("segment 0 wraps the address space", err);
	elf_phdr(&f, 0, PT_LOAD, 0x1000, 0x1000, UINT64_MAX - 0xfff, 0x1000,
		 0x2000);
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("segment 0 wraps the address space", err);
	free(f.buf);
}

TEST(elf_program_headers_past_end_of_file)
{
	struct image_info img;
	struct elf_file f = elf_new(0x1000, 2, 0x40000000);

	elf_phdr(&f, 0, PT_LOAD, 0, 0x40000000, 0x40000000, 0x1000, 0x1000);
	ehdr(&f)->e_phoff = 0x1000 - sizeof(Elf64_Phdr); /* room for one */
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("ELF program headers lie outside the file", err);
	ehdr(&f)->e_phoff = 0x1001;
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("ELF program headers lie outside the file", err);
	ehdr(&f)->e_phoff = UINT64_MAX - 8;
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("ELF program headers lie outside the file", err);
	/* phnum so large the table cannot fit. */
	ehdr(&f)->e_phoff = sizeof(Elf64_Ehdr);
	ehdr(&f)->e_phnum = 0xffff;
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("ELF program headers lie outside the file", err);
	free(f.buf);
}

TEST(elf_header_checks)
{
	struct image_info img;
	struct elf_file f = elf_new(0x2000, 1, 0x40000000);

	elf_phdr(&f, 0, PT_LOAD, 0x1000, 0x40000000, 0x40000000, 0x1000,
		 0x1000);
	ASSERT_TRUE(image_parse(f.buf, f.len, &img, err));

	ehdr(&f)->e_ident[EI_CLASS] = ELFCLASS32;
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("not a 64-bit little-endian ELF", err);
	ehdr(&f)->e_ident[EI_CLASS] = ELFCLASS64;
	ehdr(&f)->e_ident[EI_DATA] = ELFDATA2MSB;
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("not a 64-bit little-endian ELF", err);
	ehdr(&f)->e_ident[EI_DATA] = ELFDATA2LSB;

	ehdr(&f)->e_machine = EM_X86_64;
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("ELF machine 62 is not AArch64", err);
	ehdr(&f)->e_machine = EM_AARCH64;

	ehdr(&f)->e_type = ET_DYN;
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("ELF type 3 is not a static executable", err);
	ehdr(&f)->e_type = ET_REL;
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("ELF type 1 is not a static executable", err);
	ehdr(&f)->e_type = ET_EXEC;

	ehdr(&f)->e_phentsize = 32;
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("ELF has no usable program headers", err);
	ehdr(&f)->e_phentsize = sizeof(Elf64_Phdr);
	ehdr(&f)->e_phnum = 0;
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("ELF has no usable program headers", err);
	free(f.buf);
}

TEST(elf_truncated_header)
{
	struct image_info img;
	struct elf_file f = elf_new(sizeof(Elf64_Ehdr), 0, 0);
	uint8_t *tiny = malloc(sizeof(Elf64_Ehdr) - 1);

	memcpy(tiny, f.buf, sizeof(Elf64_Ehdr) - 1);
	EXPECT_FALSE(image_parse(tiny, sizeof(Elf64_Ehdr) - 1, &img, err));
	EXPECT_STREQ("truncated ELF header", err);
	EXPECT_FALSE(image_parse(tiny, 4, &img, err));
	EXPECT_STREQ("truncated ELF header", err);
	free(tiny);
	free(f.buf);
}

TEST(elf_no_loadable_segment)
{
	struct image_info img;
	struct elf_file f = elf_new(0x2000, 2, 0x40000000);

	elf_phdr(&f, 0, PT_NOTE, 0x1000, 0, 0, 0x10, 0x10);
	elf_phdr(&f, 1, PT_LOAD, 0x1000, 0x40000000, 0x40000000, 0, 0);
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("ELF has no loadable segment", err);
	free(f.buf);
}

TEST(elf_entry_in_no_segment)
{
	struct image_info img;
	struct elf_file f = elf_new(0x2000, 1, 0x40001000);

	/* The entry is exactly one past the end: outside. */
	elf_phdr(&f, 0, PT_LOAD, 0x1000, 0x40000000, 0x40000000, 0x1000,
		 0x1000);
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("ELF entry point 0x40001000 is in no loadable segment",
		     err);
	ehdr(&f)->e_entry = 0x3fffffff;
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("ELF entry point 0x3fffffff is in no loadable segment",
		     err);
	ehdr(&f)->e_entry = 0x40000fff;
	EXPECT_TRUE(image_parse(f.buf, f.len, &img, err));
	free(f.buf);
}

static struct elf_file elf_with_loads(unsigned int loads, unsigned int others)
{
	unsigned int n = loads + others;
	struct elf_file f = elf_new(0x1000 + 0x100 * n, (uint16_t)n, 0x40000000);

	for (unsigned int i = 0; i < n; i++) {
		if (i >= loads) {
			elf_phdr(&f, i, PT_NOTE, 0x1000, 0, 0, 0, 0);
			continue;
		}
		uint64_t a = 0x40000000 + i * 0x100000ULL;
		elf_phdr(&f, i, PT_LOAD, 0x1000 + 0x100 * i, a, a, 0x100,
			 0x1000);
	}
	return f;
}

TEST(elf_segment_limit)
{
	struct image_info img;
	struct elf_file f = elf_with_loads(IMAGE_MAX_SEGMENTS, 3);

	EXPECT_TRUE(image_parse(f.buf, f.len, &img, err));
	EXPECT_EQ(IMAGE_MAX_SEGMENTS, img.nr_seg);
	free(f.buf);
	f = elf_with_loads(IMAGE_MAX_SEGMENTS + 1, 0);
	EXPECT_FALSE(image_parse(f.buf, f.len, &img, err));
	EXPECT_STREQ("more than 16 loadable segments", err);
	free(f.buf);
}

/* ---- layout in guest RAM ---- */

static struct image_info linux_info(uint64_t text_offset, uint64_t footprint)
{
	struct image_info img = {0};
	img.kind = IMAGE_LINUX;
	img.text_offset = text_offset;
	img.footprint = footprint;
	img.file_size = footprint;
	return img;
}

TEST(layout_linux_with_initrd)
{
	struct mem_range ram = {0x40000000, 256 * MiB};
	struct image_info img = linux_info(0, 32 * MiB);
	struct guest_layout out;
	const uint64_t initrd = 10 * MiB + 123;

	ASSERT_TRUE(image_layout(&img, &ram, initrd, &out, err));
	EXPECT_EQ(0x40000000, out.kernel_base);
	EXPECT_EQ(0x40000000 + 32 * MiB, out.kernel_end);
	EXPECT_EQ(0x40000000, out.entry);
	/* The device tree gets the top 2 MiB... */
	EXPECT_EQ(0x50000000 - 2 * MiB, out.dtb_slot.base);
	EXPECT_EQ(GUEST_DTB_SLOT_SIZE, out.dtb_slot.size);
	/* ...and the initrd sits right below it, 4K aligned. */
	EXPECT_EQ(initrd, out.initrd.size);
	EXPECT_EQ(out.dtb_slot.base - (10 * MiB + 4096), out.initrd.base);
	EXPECT_EQ(0, out.initrd.base % 4096);
}

TEST(layout_linux_text_offset)
{
	struct mem_range ram = {0x80000000, 64 * MiB};
	struct image_info img = linux_info(0x80000, 0x1234567);
	struct guest_layout out;

	ASSERT_TRUE(image_layout(&img, &ram, 0, &out, err));
	EXPECT_EQ(0x80080000, out.kernel_base);
	EXPECT_EQ(0x80080000 + 0x1234567, out.kernel_end);
	EXPECT_EQ(0x80080000, out.entry);
	EXPECT_EQ(0, out.initrd.base);
	EXPECT_EQ(0, out.initrd.size);
	EXPECT_EQ(0x80000000 + 62 * MiB, out.dtb_slot.base);
}

TEST(layout_flat)
{
	struct mem_range ram = {0x40000000, 4 * MiB};
	struct image_info img = {0};
	struct guest_layout out;

	img.kind = IMAGE_FLAT;
	img.file_size = 2 * MiB;
	ASSERT_TRUE(image_layout(&img, &ram, 0, &out, err));
	EXPECT_EQ(0x40000000, out.kernel_base);
	EXPECT_EQ(0x40200000, out.kernel_end);
	EXPECT_EQ(0x40000000, out.entry);
	EXPECT_EQ(0x40200000, out.dtb_slot.base);
	/* One byte more and the kernel runs into the device-tree slot. */
	img.file_size = 2 * MiB + 1;
	EXPECT_FALSE(image_layout(&img, &ram, 0, &out, err));
	EXPECT_STREQ("guest RAM (4 MiB) too small: kernel ends at 0x40200001, "
		     "initrd and device tree start at 0x40200000",
		     err);
}

TEST(layout_ram_too_small_or_unaligned)
{
	struct image_info img = linux_info(0, 4096);
	struct guest_layout out;
	struct mem_range ram = {0x40000000, 2 * MiB};

	EXPECT_FALSE(image_layout(&img, &ram, 0, &out, err));
	EXPECT_STREQ("guest RAM must be 2M aligned and at least 4M", err);
	ram = (struct mem_range){0x40000000, 4 * MiB - 4096};
	EXPECT_FALSE(image_layout(&img, &ram, 0, &out, err));
	EXPECT_STREQ("guest RAM must be 2M aligned and at least 4M", err);
	ram = (struct mem_range){0x40100000, 64 * MiB};
	EXPECT_FALSE(image_layout(&img, &ram, 0, &out, err));
	EXPECT_STREQ("guest RAM must be 2M aligned and at least 4M", err);
	ram = (struct mem_range){0x40000000, 4 * MiB};
	EXPECT_TRUE(image_layout(&img, &ram, 0, &out, err));
}

TEST(layout_kernel_too_big)
{
	struct mem_range ram = {0x40000000, 64 * MiB};
	struct image_info img = linux_info(0, 60 * MiB);
	struct guest_layout out;

	EXPECT_TRUE(image_layout(&img, &ram, 0, &out, err));
	/* With a 3 MiB initrd the kernel would run into it. */
	EXPECT_FALSE(image_layout(&img, &ram, 3 * MiB, &out, err));
	EXPECT_STREQ("guest RAM (64 MiB) too small: kernel ends at 0x43c00000, "
		     "initrd and device tree start at 0x43b00000",
		     err);
	/* A footprint that wraps the address space is too big, too. */
	img = linux_info(0, UINT64_MAX - 0x1000);
	EXPECT_FALSE(image_layout(&img, &ram, 0, &out, err));
}

TEST(layout_initrd_does_not_fit)
{
	struct mem_range ram = {0x40000000, 256 * MiB};
	struct image_info img = linux_info(0, 1 * MiB);
	struct guest_layout out;

	EXPECT_FALSE(image_layout(&img, &ram, 300 * MiB, &out, err));
	EXPECT_STREQ("initrd (314572800 bytes) does not fit in guest RAM", err);
	/* Exactly everything below the device-tree slot: no room for the
	 * kernel any more. */
	EXPECT_FALSE(image_layout(&img, &ram, 254 * MiB, &out, err));
	EXPECT_CONTAINS(err, "too small");
	EXPECT_TRUE(image_layout(&img, &ram, 253 * MiB, &out, err));
}

/*
 * The initrd size is rounded up to 4K: a size within 4095 of 2^64 must not
 * wrap to 0 and "fit" over the device-tree slot.
 */
TEST(layout_initrd_size_overflow)
{
	struct mem_range ram = {0x40000000, 256 * MiB};
	struct image_info img = linux_info(0, 1 * MiB);
	struct guest_layout out;

	EXPECT_FALSE(image_layout(&img, &ram, UINT64_MAX - 10, &out, err));
	EXPECT_FALSE(image_layout(&img, &ram, UINT64_MAX, &out, err));
}

static struct image_info elf_info(uint64_t lo, uint64_t hi, uint64_t entry)
{
	struct image_info img = {0};
	img.kind = IMAGE_ELF;
	img.nr_seg = 1;
	img.seg[0] = (struct image_segment){lo, 0x1000, hi - lo, hi - lo};
	img.lo = lo;
	img.hi = hi;
	img.entry = entry;
	img.file_size = 0x1000 + (hi - lo);
	return img;
}

TEST(layout_elf)
{
	struct mem_range ram = {0x40000000, 64 * MiB};
	struct image_info img = elf_info(0x40080000, 0x40480000, 0x40080040);
	struct guest_layout out;

	ASSERT_TRUE(image_layout(&img, &ram, 4096, &out, err));
	EXPECT_EQ(0x40080000, out.kernel_base);
	EXPECT_EQ(0x40480000, out.kernel_end);
	EXPECT_EQ(0x40080040, out.entry);
	EXPECT_EQ(0x40000000 + 62 * MiB - 4096, out.initrd.base);
}

TEST(layout_elf_outside_ram)
{
	struct mem_range ram = {0x40000000, 64 * MiB};
	struct image_info img = elf_info(0x3ff00000, 0x40100000, 0x40000000);
	struct guest_layout out;

	EXPECT_FALSE(image_layout(&img, &ram, 0, &out, err));
	EXPECT_STREQ("ELF segments 0x3ff00000-0x40100000 lie outside guest RAM",
		     err);
	img = elf_info(0x43f00000, 0x44000001, 0x43f00000);
	EXPECT_FALSE(image_layout(&img, &ram, 0, &out, err));
	EXPECT_STREQ("ELF segments 0x43f00000-0x44000001 lie outside guest RAM",
		     err);
	/* Inside RAM but over the device-tree slot. */
	img = elf_info(0x43f00000, 0x44000000, 0x43f00000);
	EXPECT_FALSE(image_layout(&img, &ram, 0, &out, err));
	EXPECT_CONTAINS(err, "too small");
}

TEST(elf_ram_sizing)
{
	struct image_info img = elf_info(0x40080000, 0x40280000, 0x40080000);
	struct mem_range r;

	/* Kernel rounded out to 2 MiB (4M), + initrd (2M) + slot (2M). */
	r = image_elf_ram(&img, 0, 1);
	EXPECT_EQ(0x40000000, r.base);
	EXPECT_EQ(8 * MiB, r.size);
	r = image_elf_ram(&img, 0, 0);
	EXPECT_EQ(6 * MiB, r.size);
	/* memory from vigil.cfg wins when it is larger. */
	r = image_elf_ram(&img, 256 * MiB, 5 * MiB);
	EXPECT_EQ(0x40000000, r.base);
	EXPECT_EQ(256 * MiB, r.size);
}

/* Sized with image_elf_ram, an ELF always lays out, without overlaps. */
TEST(elf_ram_then_layout_random)
{
	struct test_rng rng = test_rng_init(42);

	for (int i = 0; i < 5000; i++) {
		uint64_t lo = 0x40000000 + test_rng_below(&rng, 1 << 20) * 4096;
		uint64_t hi = lo + 4096 + test_rng_below(&rng, 1 << 14) * 64;
		uint64_t initrd = test_rng_below(&rng, 4) == 0
					  ? 0
					  : 1 + test_rng_below(&rng, 64 * MiB);
		uint64_t memory = test_rng_below(&rng, 2) * 4 * MiB *
				  (1 + test_rng_below(&rng, 64));
		struct image_info img = elf_info(lo, hi, lo);
		struct mem_range ram = image_elf_ram(&img, memory, initrd);
		struct guest_layout out;

		if (!EXPECT_TRUE(image_layout(&img, &ram, initrd, &out, err))) {
			test_note("lo 0x%llx hi 0x%llx initrd %llu memory %llu: %s",
				  (unsigned long long)lo, (unsigned long long)hi,
				  (unsigned long long)initrd,
				  (unsigned long long)memory, err);
			break;
		}
		EXPECT_TRUE(ram.size >= memory);
		EXPECT_EQ(0, ram.base % (2 * MiB));
		EXPECT_TRUE(out.kernel_end <= (initrd ? out.initrd.base
						      : out.dtb_slot.base));
		EXPECT_TRUE(out.initrd.base + out.initrd.size <=
			    out.dtb_slot.base);
		EXPECT_EQ(ram.base + ram.size, out.dtb_slot.base + out.dtb_slot.size);
		if (test_failures() != 0)
			break;
	}
}

/* Whatever layout succeeds stays in RAM and keeps things apart. */
TEST(layout_invariants_random)
{
	struct test_rng rng = test_rng_init(7);
	unsigned int ok = 0;

	for (int i = 0; i < 20000; i++) {
		struct mem_range ram = {
			(1 + test_rng_below(&rng, 1024)) * 2 * MiB,
			(2 + test_rng_below(&rng, 64)) * 2 * MiB};
		uint64_t initrd = test_rng_below(&rng, 3) == 0
					  ? 0
					  : test_rng_below(&rng, 80 * MiB);
		struct image_info img;
		if (test_rng_below(&rng, 2))
			img = linux_info(test_rng_below(&rng, 0x100) * 0x10000,
					 1 + test_rng_below(&rng, 100 * MiB));
		else {
			img = (struct image_info){0};
			img.kind = IMAGE_FLAT;
			img.file_size = 1 + test_rng_below(&rng, 100 * MiB);
		}
		struct guest_layout out;
		if (!image_layout(&img, &ram, initrd, &out, err))
			continue;
		ok++;
		uint64_t end = ram.base + ram.size;
		EXPECT_TRUE(out.kernel_base >= ram.base);
		EXPECT_TRUE(out.kernel_end > out.kernel_base);
		EXPECT_TRUE(out.kernel_end <= out.dtb_slot.base);
		EXPECT_EQ(end - 2 * MiB, out.dtb_slot.base);
		if (initrd) {
			EXPECT_EQ(initrd, out.initrd.size);
			EXPECT_EQ(0, out.initrd.base % 4096);
			EXPECT_TRUE(out.initrd.base >= out.kernel_end);
			EXPECT_TRUE(out.initrd.base + out.initrd.size <=
				    out.dtb_slot.base);
		}
		if (test_failures() != 0) {
			test_note("iteration %d", i);
			break;
		}
	}
	EXPECT_TRUE(ok > 1000); /* the generator does reach success */
}

/* ---- robustness: random and half-valid files never crash ---- */

/* A structurally valid-looking ELF header with random program headers. */
static void fuzz_elf(struct test_rng *rng, uint8_t *buf, uint64_t len)
{
	Elf64_Ehdr eh = {0};

	if (len < sizeof(eh))
		return;
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_AARCH64;
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (uint16_t)test_rng_below(rng, 20);
	eh.e_phoff = test_rng_below(rng, 4) ? sizeof(eh)
					    : test_rng_below(rng, len + 64);
	eh.e_entry = 0x40000000 + test_rng_below(rng, 0x8000);
	memcpy(buf, &eh, sizeof(eh));
	unsigned int n = 0;
	for (uint64_t off = sizeof(eh); off + sizeof(Elf64_Phdr) <= len;
	     off += sizeof(Elf64_Phdr), n++) {
		Elf64_Phdr ph = {0};
		ph.p_type = test_rng_below(rng, 5) ? PT_LOAD : PT_NOTE;
		ph.p_offset = test_rng_below(rng, len + 16);
		ph.p_filesz = ph.p_offset <= len && test_rng_below(rng, 4)
				      ? test_rng_below(rng, len - ph.p_offset + 1)
				      : test_rng_below(rng, 128);
		ph.p_memsz = ph.p_filesz + test_rng_below(rng, 0x8000);
		/* Mostly one 64K slot per header, so most do not overlap. */
		ph.p_vaddr = 0x40000000 + (test_rng_below(rng, 8)
						   ? n
						   : test_rng_below(rng, 4)) *
						  0x10000ULL;
		ph.p_paddr = test_rng_below(rng, 8) ? ph.p_vaddr
						    : test_rng_next(rng);
		if (test_rng_below(rng, 16) == 0)
			ph.p_memsz = test_rng_next(rng);
		memcpy(buf + off, &ph, sizeof(ph));
	}
}

TEST(fuzz_random_buffers)
{
	struct test_rng rng = test_rng_init(0x5eed);
	unsigned int seen[3] = {0}, errors = 0;

	for (int i = 0; i < 20000; i++) {
		uint64_t len = test_rng_below(&rng, 513);
		/* Exactly len bytes, so ASan sees any read past the end. */
		uint8_t *buf = malloc(len ? len : 1);
		for (uint64_t j = 0; j < len; j++)
			buf[j] = (uint8_t)test_rng_next(&rng);
		switch (test_rng_below(&rng, 5)) {
		case 0:
			if (len >= 4)
				memcpy(buf, "\x7f" "ELF", 4);
			break;
		case 1:
			fuzz_elf(&rng, buf, len);
			break;
		case 2:
			if (len >= 60)
				put32(buf + 56, 0x644d5241);
			if (len >= 64 && test_rng_below(&rng, 4)) {
				buf[24] &= 0xfe; /* little-endian kernel */
				put64(buf + 8, test_rng_below(&rng, 4) *
						       0x80000);
				put64(buf + 16, test_rng_below(&rng, 2)
							? 0
							: test_rng_next(&rng) >>
								  test_rng_below(&rng, 64));
			}
			break;
		default:
			break;
		}

		struct image_info img;
		memset(err, 'X', sizeof(err));
		if (!image_parse(buf, len, &img, err)) {
			errors++;
			EXPECT_TRUE(memchr(err, '\0', sizeof(err)) != NULL);
			EXPECT_TRUE(err[0] != '\0');
			free(buf);
			continue;
		}
		seen[img.kind]++;
		EXPECT_EQ(len, img.file_size);
		if (img.kind == IMAGE_ELF) {
			bool entry_ok = false;
			EXPECT_TRUE(img.nr_seg >= 1 &&
				    img.nr_seg <= IMAGE_MAX_SEGMENTS);
			for (uint32_t s = 0; s < img.nr_seg; s++) {
				const struct image_segment *g = &img.seg[s];
				EXPECT_TRUE(g->filesz <= g->memsz);
				EXPECT_TRUE(g->offset <= len &&
					    g->filesz <= len - g->offset);
				EXPECT_TRUE(g->paddr >= img.lo &&
					    g->paddr + g->memsz <= img.hi);
				if (img.entry >= g->paddr &&
				    img.entry - g->paddr < g->memsz)
					entry_ok = true;
			}
			EXPECT_TRUE(entry_ok);
		}
		/* Layout must cope with whatever parse accepted. */
		struct mem_range ram = {0x40000000, 64 * MiB};
		struct guest_layout out;
		if (img.kind == IMAGE_ELF)
			ram = image_elf_ram(&img, 64 * MiB, len);
		if (image_layout(&img, &ram, len, &out, err)) {
			EXPECT_TRUE(out.kernel_end <= out.dtb_slot.base);
			EXPECT_TRUE(out.kernel_base >= ram.base);
		}
		free(buf);
		if (test_failures() != 0) {
			test_note("iteration %d, length %llu", i,
				  (unsigned long long)len);
			break;
		}
	}
	/* The generator reaches every outcome. */
	EXPECT_TRUE(seen[IMAGE_LINUX] > 100);
	EXPECT_TRUE(seen[IMAGE_ELF] > 100);
	EXPECT_TRUE(seen[IMAGE_FLAT] > 100);
	EXPECT_TRUE(errors > 100);
}
