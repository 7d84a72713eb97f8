/*
 * debug/walk.c: the GDB stub's guest stage-1 walk. Translation tables are
 * built in a host buffer that stands for guest RAM at RAM_BASE; the read
 * callback refuses anything outside it and counts what it is asked for.
 */
#include <string.h>

#include "../../debug/walk.h"
#include "test.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (8 * MiB)

/* TCR_EL1 fields, written out here rather than shared with walk.c. */
#define T0SZ(n) ((uint64_t)(n) << 0)
#define EPD0 (1ULL << 7)
#define TG0_4K (0ULL << 14)
#define TG0_64K (1ULL << 14)
#define TG0_16K (2ULL << 14)
#define TG0_RESERVED (3ULL << 14)
#define T1SZ(n) ((uint64_t)(n) << 16)
#define EPD1 (1ULL << 23)
#define TG1_RESERVED (0ULL << 30)
#define TG1_16K (1ULL << 30)
#define TG1_4K (2ULL << 30)
#define TG1_64K (3ULL << 30)
#define IPS(n) ((uint64_t)(n) << 32)
#define IPS_32 IPS(0)
#define IPS_48 IPS(5)
#define IPS_52 IPS(6)
#define TBI0 (1ULL << 37)
#define TBI1 (1ULL << 38)
#define DS (1ULL << 59)

#define SCTLR_M (1ULL << 0)
#define SCTLR_EE (1ULL << 25)

/* Descriptors: bits 1:0, and attributes the walk must ignore (AF, inner
 * shareable, AttrIndx 4, GP, UXN, PXN, a software bit), as Linux sets. */
#define D_BLOCK 1ULL
#define D_TABLE 3ULL
#define D_PAGE 3ULL
#define D_ATTRS                                                             \
	((1ULL << 10) | (3ULL << 8) | (4ULL << 2) | (1ULL << 50) |          \
	 (1ULL << 53) | (1ULL << 54) | (1ULL << 55))
#define ASID(n) ((uint64_t)(n) << 48)
#define TTBR_CNP 1ULL

/* ---- guest RAM and the read callback ---- */

struct ram {
	uint64_t next;     /* bump allocator for tables */
	bool big_endian;   /* how put() stores descriptors */
	unsigned int reads;
	unsigned int refused;
	bool read_after_refusal;
};

static uint8_t ram_mem[RAM_SIZE];
static struct ram ram;

static void ram_reset(void)
{
	memset(ram_mem, 0, sizeof(ram_mem));
	memset(&ram, 0, sizeof(ram));
	ram.next = RAM_BASE;
}

static bool in_ram(uint64_t pa)
{
	return pa >= RAM_BASE && pa - RAM_BASE <= RAM_SIZE - 8;
}

static bool ram_read(void *ctx, ipaddr_t ipa, uint64_t *val)
{
	struct ram *r = ctx;
	uint64_t pa = ipa_addr(ipa), v = 0;

	if (r->refused)
		r->read_after_refusal = true;
	r->reads++;
	EXPECT_EQ(0, pa & 7);
	if (!in_ram(pa)) {
		r->refused++;
		return false;
	}
	for (int i = 7; i >= 0; i--)
		v = v << 8 | ram_mem[pa - RAM_BASE + (unsigned int)i];
	*val = v;
	return true;
}

static void put(uint64_t pa, uint64_t desc)
{
	if (!in_ram(pa) || (pa & 7))
		test_abort("put outside RAM: 0x%llx", (unsigned long long)pa);
	if (ram.big_endian)
		desc = __builtin_bswap64(desc);
	for (int i = 0; i < 8; i++)
		ram_mem[pa - RAM_BASE + (unsigned int)i] = (uint8_t)(desc >> (8 * i));
}

static uint64_t alloc_table(unsigned int granule_shift)
{
	uint64_t size = 1ULL << granule_shift;
	uint64_t pa = (ram.next + size - 1) & ~(size - 1);

	if (pa + size > RAM_BASE + RAM_SIZE)
		test_abort("test RAM exhausted");
	ram.next = pa + size;
	return pa;
}

/* ---- a table builder independent of walk.c's arithmetic ---- */

struct layout {
	unsigned int granule_shift;
	unsigned int va_bits;
};

static unsigned int first_level(const struct layout *l)
{
	unsigned int bits = l->va_bits - l->granule_shift;
	unsigned int stride = l->granule_shift - 3;
	unsigned int levels = 0;

	while (bits > levels * stride)
		levels++;
	return 4 - levels;
}

static unsigned int level_shift(const struct layout *l, unsigned int level)
{
	return l->granule_shift + (3 - level) * (l->granule_shift - 3);
}

static uint64_t desc_addr(const struct layout *l, uint64_t table,
			  unsigned int level, uint64_t va)
{
	uint64_t in_range = va & ((1ULL << l->va_bits) - 1);
	uint64_t entries = 1ULL << (l->granule_shift - 3);

	return table + ((in_range >> level_shift(l, level)) % entries) * 8;
}

/*
 * Installs leaf (a whole descriptor) for va at leaf_level below root,
 * making tables on the way. where[level] gets each descriptor's address.
 */
static void map(const struct layout *l, uint64_t root, uint64_t va,
		unsigned int leaf_level, uint64_t leaf, uint64_t where[4])
{
	uint64_t table = root;
	uint64_t dummy[4];

	if (!where)
		where = dummy;
	for (unsigned int level = first_level(l); level < leaf_level;
	     level++) {
		uint64_t d = desc_addr(l, table, level, va);
		uint64_t desc, v = 0;

		where[level] = d;
		for (int i = 7; i >= 0; i--)
			v = v << 8 | ram_mem[d - RAM_BASE + (unsigned int)i];
		desc = ram.big_endian ? __builtin_bswap64(v) : v;
		if ((desc & 3) != D_TABLE) {
			uint64_t next = alloc_table(l->granule_shift);

			desc = next | D_TABLE;
			put(d, desc);
		}
		table = desc & ((1ULL << 48) - 1) &
			~((1ULL << l->granule_shift) - 1);
	}
	where[leaf_level] = desc_addr(l, table, leaf_level, va);
	put(where[leaf_level], leaf);
}

/* Empty guest RAM, and in it one empty root table for TTBR0. */
static uint64_t fresh_ttbr0(struct walk_regs *r, unsigned int granule_shift)
{
	ram_reset();
	r->ttbr0 = alloc_table(granule_shift);
	return r->ttbr0;
}

/* ---- translation helpers ---- */

struct result {
	enum walk_status status;
	uint64_t ipa;
	uint64_t size;
	unsigned int reads;
};

static struct result xlate(const struct walk_regs *r, uint64_t va)
{
	struct result res = {0};
	ipaddr_t ipa = ipa_init(0xdeadbeef);

	ram.reads = 0;
	ram.refused = 0;
	ram.read_after_refusal = false;
	res.status = walk_translate(r, va_init(va), ram_read, &ram, &ipa,
				    &res.size);
	res.ipa = ipa_addr(ipa);
	res.reads = ram.reads;
	EXPECT_FALSE(ram.read_after_refusal);
	return res;
}

/* va translates to want_ipa, want_size bytes on; with _READS, the walk
 * read want_reads descriptors (ANY_READS: not checked). */
#define ANY_READS (~0U)
#define EXPECT_XLATE_READS(regs, va, want_ipa, want_size, want_reads)       \
	do {                                                                \
		struct result r_ = xlate((regs), (va));                     \
		if (!EXPECT_EQ(WALK_OK, r_.status))                         \
			test_note("va 0x%llx", (unsigned long long)(va));   \
		else {                                                      \
			EXPECT_EQ((want_ipa), r_.ipa);                      \
			EXPECT_EQ((want_size), r_.size);                    \
			if ((want_reads) != ANY_READS)                      \
				EXPECT_EQ((want_reads), r_.reads);          \
		}                                                           \
	} while (0)
#define EXPECT_XLATE(regs, va, want_ipa, want_size)                         \
	EXPECT_XLATE_READS(regs, va, want_ipa, want_size, ANY_READS)

#define EXPECT_STATUS(regs, va, want)                                       \
	do {                                                                \
		struct result r_ = xlate((regs), (va));                     \
		if (!EXPECT_EQ((want), r_.status))                          \
			test_note("va 0x%llx", (unsigned long long)(va));   \
	} while (0)

/* ---- MMU off ---- */

TEST(mmu_off_is_identity)
{
	struct walk_regs r = {.tcr = T0SZ(16) | T1SZ(16) | TG1_4K};

	ram_reset();
	EXPECT_XLATE(&r, 0x40001234, 0x40001234, 0x1000 - 0x234);
	EXPECT_XLATE(&r, 0x40001000, 0x40001000, 0x1000);
	EXPECT_XLATE(&r, 0x40001fff, 0x40001fff, 1);
	EXPECT_XLATE(&r, 0xffffffffffffULL, 0xffffffffffffULL, 1);
	EXPECT_EQ(0, xlate(&r, 0x40001234).reads);
	/* Beyond the 48-bit physical address space. */
	EXPECT_STATUS(&r, 1ULL << 48, WALK_FAULT);
	EXPECT_STATUS(&r, 0xffff800000000000ULL, WALK_FAULT);
	EXPECT_STATUS(&r, 0x5a00000040001000ULL, WALK_FAULT);
	/* TBI applies with the MMU off too. */
	r.tcr |= TBI0;
	EXPECT_XLATE(&r, 0x5a00000040001000ULL, 0x40001000, 0x1000);
	r.tcr |= TBI1;
	EXPECT_STATUS(&r, 0xff80000040001000ULL, WALK_FAULT);
	/* The other registers do not matter, even reserved values. */
	r.tcr |= TG0_RESERVED | EPD0 | EPD1;
	r.ttbr0 = ~0ULL;
	EXPECT_XLATE(&r, 0x40001234, 0x40001234, 0x1000 - 0x234);
}

/* ---- 4K granule ---- */

/* Tables written out by hand, so the builder's arithmetic is checked too. */
TEST(granule_4k_39bit_ttbr0_page_by_hand)
{
	/* 39-bit VA, 4K: three levels, L1 first. */
	struct walk_regs r = {
		.sctlr = SCTLR_M,
		.tcr = T0SZ(25) | TG0_4K | T1SZ(25) | TG1_4K | IPS_48,
		.ttbr0 = RAM_BASE | ASID(5) | TTBR_CNP,
	};
	uint64_t va = 0x0000004012345678ULL;
	const uint64_t l1 = RAM_BASE, l2 = RAM_BASE + 0x1000,
		       l3 = RAM_BASE + 0x2000, page = 0x40123000;

	ram_reset();
	/* VA[38:30] = 0x100, VA[29:21] = 0x91, VA[20:12] = 0x145. */
	put(l1 + 0x100 * 8, l2 | D_TABLE);
	put(l2 + 0x91 * 8, l3 | D_TABLE);
	put(l3 + 0x145 * 8, page | D_PAGE | D_ATTRS);
	EXPECT_XLATE_READS(&r, va, 0x40123678, 0x1000 - 0x678, 3);
	EXPECT_XLATE(&r, va & ~0xfffULL, 0x40123000, 0x1000);
	EXPECT_XLATE(&r, va | 0xfff, 0x40123fff, 1);
	/* The neighbouring pages are not mapped. */
	EXPECT_STATUS(&r, va + 0x1000, WALK_FAULT);
	EXPECT_STATUS(&r, va - 0x1000, WALK_FAULT);

	/* The builder agrees with the hand-made tables. */
	struct layout l = {12, 39};
	uint64_t where[4];

	ram_reset();
	ASSERT_EQ(RAM_BASE, alloc_table(12));
	map(&l, RAM_BASE, va, 3, page | D_PAGE, where);
	EXPECT_EQ(l1 + 0x100 * 8, where[1]);
	EXPECT_EQ(l2 + 0x91 * 8, where[2]);
	EXPECT_EQ(l3 + 0x145 * 8, where[3]);
}

/* Empty guest RAM and a Linux-like kernel configuration: 48-bit VAs (map
 * them with LINUX_4K), 4K pages, TBI0, empty root tables. */
static const struct layout LINUX_4K = {12, 48};

static struct walk_regs linux_4k(uint64_t *root0, uint64_t *root1)
{
	ram_reset();
	*root0 = alloc_table(12);
	*root1 = alloc_table(12);
	return (struct walk_regs){
		.sctlr = SCTLR_M,
		.tcr = T0SZ(16) | TG0_4K | T1SZ(16) | TG1_4K | IPS_48 | TBI0,
		.ttbr0 = *root0 | ASID(0x1234),
		.ttbr1 = *root1,
	};
}

/* linux_4k() with one 4K page in each range: va0 -> pa0 through TTBR0,
 * va1 -> pa1 through TTBR1. */
static struct walk_regs linux_4k_two_pages(uint64_t va0, uint64_t pa0,
					   uint64_t va1, uint64_t pa1)
{
	uint64_t root0, root1;
	struct walk_regs r = linux_4k(&root0, &root1);

	map(&LINUX_4K, root0, va0, 3, pa0 | D_PAGE, NULL);
	map(&LINUX_4K, root1, va1, 3, pa1 | D_PAGE, NULL);
	return r;
}

TEST(granule_4k_48bit_ttbr1_page_and_blocks)
{
	uint64_t root0, root1;
	struct walk_regs r = linux_4k(&root0, &root1);

	map(&LINUX_4K, root1, 0xffff800012345000ULL, 3,
	    0x40200000 | D_PAGE | D_ATTRS, NULL);
	map(&LINUX_4K, root1, 0xffff800040000000ULL, 2,
	    0x40400000 | D_BLOCK | D_ATTRS, NULL);
	map(&LINUX_4K, root1, 0xffff800100000000ULL, 1,
	    0x80000000 | D_BLOCK | D_ATTRS, NULL);

	EXPECT_XLATE_READS(&r, 0xffff800012345abcULL, 0x40200abc,
			   0x1000 - 0xabc, 4);
	EXPECT_XLATE(&r, 0xffff800040012345ULL, 0x40412345, 2 * MiB - 0x12345);
	EXPECT_XLATE(&r, 0xffff800040000000ULL, 0x40400000, 2 * MiB);
	EXPECT_XLATE(&r, 0xffff8000401fffffULL, 0x405fffff, 1);
	EXPECT_EQ(3, xlate(&r, 0xffff800040012345ULL).reads);
	/* The block's output lies outside guest RAM: translation does not
	 * care, the copy that follows will. */
	EXPECT_XLATE_READS(&r, 0xffff800101234567ULL, 0x81234567,
			   1 * GiB - 0x1234567, 2);
	/* Nothing is mapped next to them, nor at the same VA in TTBR0. */
	EXPECT_STATUS(&r, 0xffff800040200000ULL, WALK_FAULT);
	EXPECT_STATUS(&r, 0xffff800140000000ULL, WALK_FAULT);
	EXPECT_STATUS(&r, 0x0000800012345abcULL, WALK_FAULT);
}

/* VA bit 55 picks the table: the same low bits reach different pages. */
TEST(ttbr0_and_ttbr1_are_separate)
{
	struct walk_regs r =
	    linux_4k_two_pages(0x0000aaaabbbbc000ULL, 0x40700000,
			       0xffffaaaabbbbc000ULL, 0x40701000);

	EXPECT_XLATE(&r, 0x0000aaaabbbbc010ULL, 0x40700010, 0x1000 - 0x10);
	EXPECT_XLATE(&r, 0xffffaaaabbbbc010ULL, 0x40701010, 0x1000 - 0x10);
}

TEST(granule_4k_small_va_sizes)
{
	/* T0SZ 39: 25-bit VA, starts at L2, 2M blocks at the first level. */
	struct layout l25 = {12, 25};
	/* T0SZ 48 (FEAT_TTST): 16-bit VA, a single L3 table. */
	struct layout l16 = {12, 16};
	uint64_t root;
	struct walk_regs r = {.sctlr = SCTLR_M};

	root = fresh_ttbr0(&r, 12);
	r.tcr = T0SZ(39) | TG0_4K | T1SZ(39) | TG1_4K | IPS_48;
	map(&l25, root, 0x1ff000, 3, 0x40300000 | D_PAGE, NULL);
	map(&l25, root, 0x1200000, 2, 0x40800000 | D_BLOCK, NULL);
	EXPECT_XLATE_READS(&r, 0x1ff123, 0x40300123, 0x1000 - 0x123, 2);
	EXPECT_XLATE_READS(&r, 0x1234567, 0x40834567, 2 * MiB - 0x34567, 1);
	EXPECT_STATUS(&r, 0x2000000, WALK_FAULT);

	root = fresh_ttbr0(&r, 12);
	r.tcr = T0SZ(48) | TG0_4K | T1SZ(48) | TG1_4K | IPS_48;
	map(&l16, root, 0xf000, 3, 0x40300000 | D_PAGE, NULL);
	EXPECT_XLATE_READS(&r, 0xf00f, 0x4030000f, 0x1000 - 0xf, 1);
	EXPECT_STATUS(&r, 0x10000, WALK_FAULT);
}

/* ---- 16K granule ---- */

TEST(granule_16k_47bit_page_and_32m_block)
{
	struct layout l = {14, 47};
	uint64_t root0, root1;
	struct walk_regs r = {.sctlr = SCTLR_M,
			      .tcr = T0SZ(17) | TG0_16K | T1SZ(17) | TG1_16K |
				     IPS_48};

	ram_reset();
	root0 = alloc_table(14);
	root1 = alloc_table(14);
	r.ttbr0 = root0;
	r.ttbr1 = root1;
	map(&l, root0, 0x0000123456000000ULL, 2,
	    0x42000000 | D_BLOCK | D_ATTRS, NULL);
	map(&l, root0, 0x00007fffffffc000ULL, 3, 0x40400000 | D_PAGE, NULL);
	map(&l, root1, 0xffff800000000000ULL, 3, 0x40404000 | D_PAGE, NULL);

	EXPECT_XLATE_READS(&r, 0x0000123456123456ULL, 0x42123456,
			   32 * MiB - 0x123456, 2);
	EXPECT_XLATE_READS(&r, 0x00007fffffffc010ULL, 0x40400010,
			   16 * KiB - 0x10, 3);
	EXPECT_XLATE(&r, 0xffff800000003210ULL, 0x40407210, 16 * KiB - 0x3210);
	EXPECT_STATUS(&r, 0x0000123458000000ULL, WALK_FAULT);
	/* Bit 47 is outside a 47-bit range. */
	EXPECT_STATUS(&r, 0x0000800000000000ULL, WALK_FAULT);
	EXPECT_STATUS(&r, 0xffff7fffffffc000ULL, WALK_FAULT);
}

TEST(granule_16k_48bit_two_entry_level0)
{
	struct layout l = {14, 48};
	struct walk_regs r = {.sctlr = SCTLR_M,
			      .tcr = T0SZ(16) | TG0_16K | IPS_48};

	uint64_t root = fresh_ttbr0(&r, 14);
	map(&l, root, 0x0000800000004000ULL, 3, 0x40500000 | D_PAGE, NULL);
	map(&l, root, 0x0000000000004000ULL, 3, 0x40504000 | D_PAGE, NULL);
	EXPECT_XLATE_READS(&r, 0x0000800000004001ULL, 0x40500001,
			   16 * KiB - 1, 4);
	EXPECT_XLATE(&r, 0x0000000000004001ULL, 0x40504001, 16 * KiB - 1);
}

/* ---- 64K granule ---- */

TEST(granule_64k_42bit_page_and_512m_block)
{
	struct layout l = {16, 42};
	struct walk_regs r = {.sctlr = SCTLR_M,
			      .tcr = T0SZ(22) | TG0_64K | T1SZ(22) | TG1_64K |
				     IPS_48};

	uint64_t root = fresh_ttbr0(&r, 16);
	map(&l, root, 0x0000012345670000ULL, 3, 0x40500000 | D_PAGE, NULL);
	map(&l, root, 0x0000020000000000ULL, 2,
	    0x60000000 | D_BLOCK | D_ATTRS, NULL);
	EXPECT_XLATE_READS(&r, 0x0000012345678abcULL, 0x40508abc,
			   64 * KiB - 0x8abc, 2);
	EXPECT_XLATE_READS(&r, 0x0000020001234567ULL, 0x61234567,
			   512 * MiB - 0x1234567, 1);
	EXPECT_STATUS(&r, 0x0000040000000000ULL, WALK_FAULT);
}

TEST(granule_64k_48bit_ttbr1_page_and_512m_block)
{
	struct layout l = {16, 48};
	uint64_t root;
	struct walk_regs r = {.sctlr = SCTLR_M,
			      .tcr = T0SZ(16) | TG0_64K | T1SZ(16) | TG1_64K |
				     IPS_48};

	ram_reset();
	root = alloc_table(16);
	r.ttbr1 = root | ASID(7);
	map(&l, root, 0xffff000020000000ULL, 2, 0x40000000 | D_BLOCK, NULL);
	map(&l, root, 0xfffffffffff00000ULL, 3, 0x40600000 | D_PAGE, NULL);
	EXPECT_XLATE(&r, 0xffff00003fffffffULL, 0x5fffffff, 1);
	EXPECT_EQ(2, xlate(&r, 0xffff000020000000ULL).reads);
	EXPECT_XLATE_READS(&r, 0xfffffffffff0fff0ULL, 0x4060fff0, 0x10, 3);
	EXPECT_STATUS(&r, 0xffff000040000000ULL, WALK_FAULT);
}

/* A 52-bit IPS with 64K pages puts OA[51:48] in descriptor bits 15:12. */
TEST(granule_64k_52bit_ips_high_bits_fault)
{
	struct layout l = {16, 42};
	struct walk_regs r = {.sctlr = SCTLR_M,
			      .tcr = T0SZ(22) | TG0_64K | IPS_52};

	uint64_t root = fresh_ttbr0(&r, 16);
	map(&l, root, 0x10000, 3, 0x40500000 | D_PAGE, NULL);
	map(&l, root, 0x20000, 3, 0x40500000 | (1ULL << 12) | D_PAGE, NULL);
	EXPECT_XLATE(&r, 0x10010, 0x40500010, 64 * KiB - 0x10);
	EXPECT_STATUS(&r, 0x20010, WALK_FAULT);
	/* Under a 48-bit IPS those bits are RES0, not address bits. */
	r.tcr = T0SZ(22) | TG0_64K | IPS_48;
	EXPECT_XLATE(&r, 0x20010, 0x40500010, 64 * KiB - 0x10);
}

/* ---- range selection ---- */

TEST(top_byte_ignore)
{
	struct walk_regs r =
	    linux_4k_two_pages(0x0000aaaabbbbc000ULL, 0x40700000,
			       0xffff800012345000ULL, 0x40701000);

	/* TBI0 (user space): a tagged pointer reaches the page. */
	EXPECT_XLATE(&r, 0x2a00aaaabbbbc123ULL, 0x40700123, 0x1000 - 0x123);
	/* Bit 55, not bit 63, selects the range. */
	EXPECT_XLATE(&r, 0x8000aaaabbbbc123ULL, 0x40700123, 0x1000 - 0x123);
	EXPECT_XLATE(&r, 0xff00aaaabbbbc123ULL, 0x40700123, 0x1000 - 0x123);
	/* Without TBI1, a tagged kernel pointer is outside both ranges. */
	EXPECT_STATUS(&r, 0xf2ff800012345abcULL, WALK_FAULT);
	EXPECT_EQ(0, xlate(&r, 0xf2ff800012345abcULL).reads);
	r.tcr |= TBI1;
	EXPECT_XLATE(&r, 0xf2ff800012345abcULL, 0x40701abc, 0x1000 - 0xabc);
	EXPECT_XLATE(&r, 0x00ff800012345abcULL, 0x40701abc, 0x1000 - 0xabc);
	/* Bits 54:48 still have to match bit 55. */
	EXPECT_STATUS(&r, 0x0080800012345abcULL, WALK_FAULT);
	EXPECT_STATUS(&r, 0x2a01aaaabbbbc123ULL, WALK_FAULT);
	/* Without TBI0 the tag makes the address invalid. */
	r.tcr &= ~TBI0;
	EXPECT_STATUS(&r, 0x2a00aaaabbbbc123ULL, WALK_FAULT);
	EXPECT_XLATE(&r, 0x0000aaaabbbbc123ULL, 0x40700123, 0x1000 - 0x123);
}

TEST(va_outside_both_ranges)
{
	uint64_t root0, root1;
	struct walk_regs r = linux_4k(&root0, &root1);

	r.tcr &= ~TBI0;
	const uint64_t outside[] = {
		0x0001000000000000ULL, 0x8000000000000000ULL,
		0xfffeffffffffffffULL, 0x00ff000000000000ULL,
		0x7fffffffffffffffULL, 0xff7fffffffffffffULL,
	};
	for (unsigned int i = 0; i < ARRAY_SIZE(outside); i++) {
		EXPECT_STATUS(&r, outside[i], WALK_FAULT);
		EXPECT_EQ(0, xlate(&r, outside[i]).reads);
	}
	/* 39-bit ranges: bit 39 upwards must copy bit 55. */
	r.tcr = T0SZ(25) | TG0_4K | T1SZ(25) | TG1_4K | IPS_48;
	EXPECT_STATUS(&r, 0x0000008000000000ULL, WALK_FAULT);
	EXPECT_EQ(0, xlate(&r, 0x0000008000000000ULL).reads);
	EXPECT_STATUS(&r, 0xffffff7fffffffffULL, WALK_FAULT);
	EXPECT_EQ(0, xlate(&r, 0xffffff7fffffffffULL).reads);
	/* Inside: walked (and unmapped). */
	EXPECT_EQ(1, xlate(&r, 0x0000007ffffff000ULL).reads);
	EXPECT_EQ(1, xlate(&r, 0xffffff8000000000ULL).reads);
}

TEST(epd_disables_one_range)
{
	struct walk_regs r =
	    linux_4k_two_pages(0x0000000000400000ULL, 0x40700000,
			       0xffff800000400000ULL, 0x40701000);

	EXPECT_XLATE(&r, 0x400000, 0x40700000, 0x1000);
	EXPECT_XLATE(&r, 0xffff800000400000ULL, 0x40701000, 0x1000);

	r.tcr |= EPD0;
	EXPECT_STATUS(&r, 0x400000, WALK_FAULT);
	EXPECT_EQ(0, xlate(&r, 0x400000).reads);
	EXPECT_XLATE(&r, 0xffff800000400000ULL, 0x40701000, 0x1000);

	r.tcr ^= EPD0 | EPD1;
	EXPECT_XLATE(&r, 0x400000, 0x40700000, 0x1000);
	EXPECT_STATUS(&r, 0xffff800000400000ULL, WALK_FAULT);
	EXPECT_EQ(0, xlate(&r, 0xffff800000400000ULL).reads);
}

/* ---- descriptors ---- */

TEST(invalid_descriptor_at_each_level)
{
	const uint64_t va = 0xffff800012345678ULL;
	uint64_t root0, root1, where[4];
	struct walk_regs r = linux_4k(&root0, &root1);

	map(&LINUX_4K, root1, va, 3, 0x40700000 | D_PAGE | D_ATTRS, where);
	EXPECT_XLATE(&r, va, 0x40700678, 0x1000 - 0x678);

	for (unsigned int level = 0; level <= 3; level++) {
		uint64_t v = 0, saved;

		for (int i = 7; i >= 0; i--)
			v = v << 8 | ram_mem[where[level] - RAM_BASE +
					     (unsigned int)i];
		saved = v;
		/* Valid bit clear, everything else kept. */
		put(where[level], saved & ~1ULL);
		EXPECT_STATUS(&r, va, WALK_FAULT);
		EXPECT_EQ(level + 1, xlate(&r, va).reads);
		/* All zero. */
		put(where[level], 0);
		EXPECT_STATUS(&r, va, WALK_FAULT);
		put(where[level], saved);
	}
	EXPECT_XLATE(&r, va, 0x40700678, 0x1000 - 0x678);

	/* A block encoding at L3 is reserved. */
	put(where[3], 0x40700000 | D_BLOCK);
	EXPECT_STATUS(&r, va, WALK_FAULT);
	/* 4K has no L0 blocks (without 52-bit addresses). */
	put(where[0], 0 | D_BLOCK);
	EXPECT_STATUS(&r, va, WALK_FAULT);
	EXPECT_EQ(1, xlate(&r, va).reads);
}

TEST(blocks_only_where_the_granule_allows)
{
	struct layout l16 = {14, 47}, l64 = {16, 48};
	uint64_t root, where[4];
	struct walk_regs r = {.sctlr = SCTLR_M};

	/* 16K: L1 blocks (64G) exist only with 52-bit addresses. */
	root = fresh_ttbr0(&r, 14);
	r.tcr = T0SZ(17) | TG0_16K | IPS_48;
	map(&l16, root, 64 * GiB, 1, 0 | D_BLOCK, where);
	EXPECT_STATUS(&r, 64 * GiB, WALK_FAULT);
	put(where[1], 0);
	map(&l16, root, 64 * GiB, 2, 0x42000000 | D_BLOCK, NULL);
	EXPECT_XLATE(&r, 64 * GiB + 1, 0x42000001, 32 * MiB - 1);

	/* 64K: L1 blocks (4T) exist only with 52-bit addresses. */
	root = fresh_ttbr0(&r, 16);
	r.tcr = T0SZ(16) | TG0_64K | IPS_48;
	map(&l64, root, 4096 * GiB, 1, 0 | D_BLOCK, NULL);
	EXPECT_STATUS(&r, 4096 * GiB, WALK_FAULT);
}

TEST(tables_outside_ram_are_bad_reads)
{
	const uint64_t va = 0xffff800012345678ULL;
	uint64_t root0, root1, where[4];
	struct walk_regs r = linux_4k(&root0, &root1);

	map(&LINUX_4K, root1, va, 3, 0x40700000 | D_PAGE, where);

	/* An L1 table descriptor pointing past the end of guest RAM. */
	put(where[1], (RAM_BASE + RAM_SIZE) | D_TABLE);
	EXPECT_STATUS(&r, va, WALK_BAD_READ);
	EXPECT_EQ(1, ram.refused);
	put(where[1], 0x1000 | D_TABLE);
	EXPECT_STATUS(&r, va, WALK_BAD_READ);

	/* TTBR itself outside guest RAM. */
	r.ttbr1 = 0x80000000;
	EXPECT_STATUS(&r, va, WALK_BAD_READ);
	EXPECT_EQ(1, xlate(&r, va).reads);
}

TEST(output_address_beyond_ips_faults)
{
	uint64_t root0, root1, where[4];
	struct walk_regs r = linux_4k(&root0, &root1);

	r.tcr = (r.tcr & ~IPS(7)) | IPS_32;
	map(&LINUX_4K, root0, 0x400000, 3, 0x40700000 | D_PAGE, NULL);
	map(&LINUX_4K, root0, 0x40000000, 1, 0x100000000ULL | D_BLOCK, NULL);
	map(&LINUX_4K, root0, 0x800000, 3, 0x0000ffffffff0000ULL | D_PAGE,
	    where);
	EXPECT_XLATE(&r, 0x400000, 0x40700000, 0x1000);
	EXPECT_STATUS(&r, 0x40000000, WALK_FAULT);
	EXPECT_STATUS(&r, 0x800000, WALK_FAULT);
	/* A next-level table beyond IPS: fault, not a read. */
	put(where[2], 0x100000000ULL | D_TABLE);
	EXPECT_STATUS(&r, 0x800000, WALK_FAULT);
	EXPECT_EQ(3, xlate(&r, 0x800000).reads);
	/* With 48 bits the page is fine. */
	r.tcr = (r.tcr & ~IPS(7)) | IPS_48;
	EXPECT_XLATE(&r, 0x40000000, 0x100000000ULL, 1 * GiB);
	/* A TTBR beyond IPS. */
	r.tcr = (r.tcr & ~IPS(7)) | IPS_32;
	r.ttbr0 = 0x100000000ULL;
	EXPECT_STATUS(&r, 0x400000, WALK_FAULT);
	EXPECT_EQ(0, xlate(&r, 0x400000).reads);
}

TEST(big_endian_tables)
{
	uint64_t root0, root1;
	struct walk_regs r;

	r = linux_4k(&root0, &root1);
	ram.big_endian = true;
	map(&LINUX_4K, root1, 0xffff800012345000ULL, 3, 0x40700000 | D_PAGE,
	    NULL);
	r.sctlr |= SCTLR_EE;
	EXPECT_XLATE(&r, 0xffff800012345678ULL, 0x40700678, 0x1000 - 0x678);
	/* Read as little-endian the descriptors are garbage. */
	r.sctlr &= ~SCTLR_EE;
	EXPECT_NE(WALK_OK, xlate(&r, 0xffff800012345678ULL).status);
}

/* ---- configuration ---- */

TEST(reserved_configurations)
{
	struct walk_regs r, good;

	good = linux_4k_two_pages(0x400000, 0x40700000, 0xffff800000400000ULL,
				  0x40701000);

	/* TG0 = 3 is reserved; TTBR1 translations do not care. */
	r = good;
	r.tcr |= TG0_RESERVED;
	EXPECT_STATUS(&r, 0x400000, WALK_BAD_CONFIG);
	EXPECT_XLATE(&r, 0xffff800000400000ULL, 0x40701000, 0x1000);
	/* TG1 = 0 is reserved. */
	r = good;
	r.tcr = (r.tcr & ~(3ULL << 30)) | TG1_RESERVED;
	EXPECT_STATUS(&r, 0xffff800000400000ULL, WALK_BAD_CONFIG);
	EXPECT_XLATE(&r, 0x400000, 0x40700000, 0x1000);
	/* 52-bit VAs are not supported. */
	r = good;
	r.tcr = (r.tcr & ~0x3fULL) | T0SZ(15);
	EXPECT_STATUS(&r, 0x400000, WALK_BAD_CONFIG);
	r.tcr = (r.tcr & ~0x3fULL) | T0SZ(0);
	EXPECT_STATUS(&r, 0x400000, WALK_BAD_CONFIG);
	/* Past the largest TxSZ. */
	r.tcr = (r.tcr & ~0x3fULL) | T0SZ(49);
	EXPECT_STATUS(&r, 0x4000, WALK_BAD_CONFIG);
	r.tcr = (r.tcr & ~0x3fULL) | T0SZ(63);
	EXPECT_STATUS(&r, 0, WALK_BAD_CONFIG);
	r.tcr = T0SZ(48) | TG0_64K | IPS_48;
	EXPECT_STATUS(&r, 0, WALK_BAD_CONFIG);
	r.tcr = T0SZ(47) | TG0_64K | IPS_48;
	EXPECT_NE(WALK_BAD_CONFIG, xlate(&r, 0).status);
	/* LPA2 descriptors (TCR.DS) are not supported for 4K and 16K. */
	r = good;
	r.tcr |= DS;
	EXPECT_STATUS(&r, 0x400000, WALK_BAD_CONFIG);
	EXPECT_EQ(0, xlate(&r, 0x400000).reads);
}

TEST(granule_encodings_differ_between_tg0_and_tg1)
{
	/* The same 4K tables, reached through TG0 = 0 and TG1 = 2. */
	struct layout l = {12, 39};
	struct walk_regs r = {.sctlr = SCTLR_M};

	uint64_t root = fresh_ttbr0(&r, 12);
	r.ttbr1 = root;
	map(&l, root, 0x12345000, 3, 0x40700000 | D_PAGE, NULL);
	r.tcr = T0SZ(25) | TG0_4K | T1SZ(25) | TG1_4K | IPS_48;
	EXPECT_XLATE(&r, 0x12345678, 0x40700678, 0x1000 - 0x678);
	EXPECT_XLATE(&r, 0xffffff8012345678ULL, 0x40700678, 0x1000 - 0x678);
	/* TG1 = 0 would be 4K in TG0's encoding: reserved in TG1's. */
	r.tcr = T0SZ(25) | TG0_4K | T1SZ(25) | TG1_RESERVED | IPS_48;
	EXPECT_STATUS(&r, 0xffffff8012345678ULL, WALK_BAD_CONFIG);
	/* TG0 = 2 is 16K, not 4K: a 16K walk of these tables gives a
	 * different answer (here, none). */
	r.tcr = T0SZ(25) | TG0_16K | IPS_48;
	EXPECT_NE(WALK_OK, xlate(&r, 0x12345678).status);
}

TEST(status_names)
{
	EXPECT_STREQ("ok", walk_status_name(WALK_OK));
	EXPECT_STREQ("fault", walk_status_name(WALK_FAULT));
	EXPECT_STREQ("bad read", walk_status_name(WALK_BAD_READ));
	EXPECT_STREQ("bad config", walk_status_name(WALK_BAD_CONFIG));
	EXPECT_STREQ("unknown", walk_status_name((enum walk_status)42));
}

/* ---- fuzz ---- */

/*
 * Descriptors come from a hash of their address and the iteration, so the
 * "RAM" costs nothing and the same address reads the same value within an
 * iteration. Table pointers mostly land in the fake RAM window, so walks
 * go deep; the rest is invalid, blocks, pages and noise.
 */
struct fuzz {
	uint64_t seed;
	unsigned int reads;
	bool refused;
	bool read_after_refusal;
	bool misaligned;
};

#define FUZZ_RAM_BASE 0x40000000ULL
#define FUZZ_RAM_SIZE (256 * MiB)

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static bool fuzz_read(void *ctx, ipaddr_t ipa, uint64_t *val)
{
	struct fuzz *f = ctx;
	uint64_t pa = ipa_addr(ipa), h, kind;

	if (f->refused)
		f->read_after_refusal = true;
	f->reads++;
	if (pa & 7)
		f->misaligned = true;
	if (pa < FUZZ_RAM_BASE || pa - FUZZ_RAM_BASE > FUZZ_RAM_SIZE - 8) {
		f->refused = true;
		return false;
	}
	h = mix(pa ^ f->seed);
	kind = h % 16;
	h = mix(h);
	if (kind < 2)
		*val = h & ~1ULL; /* invalid */
	else if (kind < 9) /* table in RAM */
		*val = ((FUZZ_RAM_BASE + h % FUZZ_RAM_SIZE) & ~0xfffULL) |
		       D_TABLE | (h & 0xfff0000000000000ULL);
	else if (kind < 12) /* block or page somewhere */
		*val = (h & 0x0000fffffffff000ULL) | ((h >> 60) & 1 ? 3 : 1);
	else
		*val = h; /* noise */
	return true;
}

static struct walk_regs fuzz_regs(struct test_rng *rng)
{
	struct walk_regs r;
	uint64_t pick = test_rng_below(rng, 8);

	r.sctlr = test_rng_below(rng, 16) ? SCTLR_M : 0;
	if (test_rng_below(rng, 4) == 0)
		r.sctlr |= test_rng_next(rng) & ~SCTLR_M;
	if (pick == 0) {
		r.tcr = test_rng_next(rng);
	} else {
		static const uint64_t tg0[] = {TG0_4K, TG0_16K, TG0_64K};
		static const uint64_t tg1[] = {TG1_4K, TG1_16K, TG1_64K};

		r.tcr = T0SZ(12 + test_rng_below(rng, 40)) |
			T1SZ(12 + test_rng_below(rng, 40)) |
			tg0[test_rng_below(rng, 3)] |
			tg1[test_rng_below(rng, 3)] |
			IPS(test_rng_below(rng, 8));
		if (pick == 1)
			r.tcr ^= 1ULL << test_rng_below(rng, 64);
		if (test_rng_below(rng, 4) == 0)
			r.tcr |= TBI0 | TBI1;
	}
	if (test_rng_below(rng, 8)) {
		r.ttbr0 = FUZZ_RAM_BASE + test_rng_below(rng, FUZZ_RAM_SIZE);
		r.ttbr1 = FUZZ_RAM_BASE + test_rng_below(rng, FUZZ_RAM_SIZE);
	} else {
		r.ttbr0 = test_rng_next(rng);
		r.ttbr1 = test_rng_next(rng);
	}
	return r;
}

static uint64_t fuzz_va(struct test_rng *rng)
{
	uint64_t va = test_rng_next(rng);
	unsigned int bits = 16 + (unsigned int)test_rng_below(rng, 33);

	switch (test_rng_below(rng, 4)) {
	case 0:
		return va;
	case 1: /* a canonical low address */
		return va & ((1ULL << bits) - 1);
	case 2: /* a canonical high address */
		return va | ~((1ULL << bits) - 1);
	default: /* a tagged one */
		return (va & 0x00ffffffffffffffULL & ((1ULL << bits) - 1)) |
		       (test_rng_next(rng) & 0xff00000000000000ULL);
	}
}

static void fuzz_one(struct fuzz *f, const struct walk_regs *r, uint64_t va,
		     enum walk_status *status, uint64_t *ipa, uint64_t *size)
{
	ipaddr_t out = ipa_init(0);

	f->reads = 0;
	f->refused = false;
	*size = 0;
	*status = walk_translate(r, va_init(va), fuzz_read, f, &out, size);
	*ipa = ipa_addr(out);
}

TEST(fuzz_never_crashes_and_answers_consistently)
{
	struct test_rng rng = test_rng_init(0x5eed0f3a1cULL);
	unsigned int count[4] = {0};
	const unsigned int iterations = 200000;

	for (unsigned int i = 0; i < iterations; i++) {
		struct fuzz f = {.seed = test_rng_next(&rng)};
		struct walk_regs r = fuzz_regs(&rng);
		uint64_t va = fuzz_va(&rng), ipa, size, ipa2, size2;
		enum walk_status st, st2;

		fuzz_one(&f, &r, va, &st, &ipa, &size);
		if (!EXPECT_TRUE(st <= WALK_BAD_CONFIG) ||
		    !EXPECT_TRUE(f.reads <= 4) ||
		    !EXPECT_FALSE(f.read_after_refusal) ||
		    !EXPECT_FALSE(f.misaligned)) {
			test_note("iteration %u", i);
			test_stop();
		}
		count[st]++;
		if (st != WALK_OK)
			continue;
		/* A page or block: 4K..1G, the page offset carried over,
		 * the range ending on a 4K boundary, below 2^48. */
		if (!EXPECT_TRUE(size >= 1 && size <= 1 * GiB) ||
		    !EXPECT_EQ(va & 0xfff, ipa & 0xfff) ||
		    !EXPECT_EQ(0, (ipa + size) & 0xfff) ||
		    !EXPECT_TRUE(ipa + size <= 1ULL << 48)) {
			test_note("iteration %u va 0x%llx", i,
				  (unsigned long long)va);
			test_stop();
		}
		/* The last byte of the range is the same page or block. */
		fuzz_one(&f, &r, va + size - 1, &st2, &ipa2, &size2);
		if (!EXPECT_EQ(WALK_OK, st2) ||
		    !EXPECT_EQ(ipa + size - 1, ipa2) || !EXPECT_EQ(1, size2)) {
			test_note("iteration %u va 0x%llx", i,
				  (unsigned long long)va);
			test_stop();
		}
	}
	/* The fuzz reaches every outcome, translations included. */
	for (unsigned int s = 0; s < ARRAY_SIZE(count); s++) {
		if (!EXPECT_TRUE(count[s] > iterations / 200))
			test_note("status %s: %u", walk_status_name(s),
				  count[s]);
	}
}
