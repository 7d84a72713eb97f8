/*
 * arch/arm64/pgtable.c: VMSAv8-64 4K-granule translation tables, built in
 * host memory. Table descriptors hold host pointers (bits 47:12), which is
 * fine for x86-64 and arm64 Linux user space.
 */
#include <stdlib.h>
#include <string.h>

#include "pgtable.h"
#include "test.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/* ---- page allocator for the tables ---- */

struct pages {
	void **page;
	unsigned int count, cap;
	unsigned int limit; /* fail allocations beyond this many */
};

static void *alloc_page(void *ctx)
{
	struct pages *p = ctx;
	void *page;

	if (p->count >= p->limit)
		return NULL;
	if (p->count == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->page = realloc(p->page, p->cap * sizeof(*p->page));
	}
	page = aligned_alloc(4096, 4096);
	memset(page, 0, 4096);
	p->page[p->count++] = page;
	return page;
}

struct fixture {
	struct pgtable pt;
	struct pages pages;
	uint64_t *root;
};

/* A table with a fresh root; the root does not count as an allocation. */
static void setup(struct fixture *f, unsigned int va_bits)
{
	memset(f, 0, sizeof(*f));
	f->root = aligned_alloc(4096, 4096);
	memset(f->root, 0, 4096);
	f->pages.limit = UINT32_MAX;
	f->pt.root = f->root;
	f->pt.va_bits = va_bits;
	f->pt.start_level = pgtable_start_level(va_bits);
	f->pt.alloc_page = alloc_page;
	f->pt.alloc_ctx = &f->pages;
}

static void teardown(struct fixture *f)
{
	for (unsigned int i = 0; i < f->pages.count; i++)
		free(f->pages.page[i]);
	free(f->pages.page);
	free(f->root);
}

static uint64_t *next_table(uint64_t desc)
{
	return (uint64_t *)(uintptr_t)(desc & PTE_ADDR_MASK);
}

#define TYPE(desc) ((desc)&3)
#define TYPE_BLOCK 1 /* block at L1/L2 */
#define TYPE_TABLE 3 /* table at L0-L2, page at L3 */

/* Attribute sets, as a stage-2 and an EL2 stage-1 user would pass them. */
#define ATTR_RAM (PTE_AF | PTE_SH_INNER | PTE_S2_MEMATTR_NORMAL_WB | PTE_S2_AP_RW)
#define ATTR_DEV                                                            \
	(PTE_AF | PTE_S2_MEMATTR_DEVICE_nGnRE | PTE_S2_AP_RW | PTE_S2_XN)
#define ATTR_EL2 (PTE_AF | PTE_SH_INNER | PTE_S1_ATTRIDX(1) | PTE_S1_AP_RES1)

static bool lookup(const struct fixture *f, uint64_t va, uint64_t *pa,
		   uint64_t *attrs)
{
	return pgtable_lookup(&f->pt, va, pa, attrs);
}

/* va maps to pa with attrs, or the test fails with the address. */
#define EXPECT_MAPS(f, va, want_pa, want_attrs)                              \
	do {                                                                 \
		uint64_t pa_ = 0, at_ = 0;                                   \
		if (!EXPECT_TRUE(lookup((f), (va), &pa_, &at_)))             \
			test_note("va 0x%llx", (unsigned long long)(va));    \
		else {                                                       \
			EXPECT_EQ((want_pa), pa_);                           \
			EXPECT_EQ((want_attrs), at_);                        \
		}                                                            \
	} while (0)
#define EXPECT_UNMAPPED(f, va)                                               \
	do {                                                                 \
		uint64_t pa_, at_;                                           \
		if (!EXPECT_FALSE(lookup((f), (va), &pa_, &at_)))            \
			test_note("va 0x%llx", (unsigned long long)(va));    \
	} while (0)

TEST(start_level)
{
	EXPECT_EQ(0, pgtable_start_level(48));
	EXPECT_EQ(0, pgtable_start_level(44));
	EXPECT_EQ(0, pgtable_start_level(40));
	EXPECT_EQ(1, pgtable_start_level(39));
	EXPECT_EQ(1, pgtable_start_level(36));
	EXPECT_EQ(1, pgtable_start_level(31));
	EXPECT_EQ(2, pgtable_start_level(30));
	EXPECT_EQ(2, pgtable_start_level(25));
}

TEST(one_1g_block)
{
	struct fixture f;

	setup(&f, 39);
	ASSERT_TRUE(pgtable_map(&f.pt, 1 * GiB, 2 * GiB, 1 * GiB, ATTR_RAM));
	/* A single level-1 block descriptor in the root, no other table. */
	EXPECT_EQ(0, f.pages.count);
	EXPECT_EQ(TYPE_BLOCK, TYPE(f.root[1]));
	EXPECT_EQ(2 * GiB, f.root[1] & PTE_ADDR_MASK);
	EXPECT_EQ(ATTR_RAM, f.root[1] & PTE_LEAF_ATTR_MASK);
	for (int i = 0; i < PGTABLE_ENTRIES; i++) {
		if (i != 1)
			EXPECT_EQ(0, f.root[i]);
	}
	EXPECT_MAPS(&f, 1 * GiB, 2 * GiB, ATTR_RAM);
	EXPECT_MAPS(&f, 1 * GiB + 0x12345, 2 * GiB + 0x12345, ATTR_RAM);
	EXPECT_MAPS(&f, 2 * GiB - 1, 3 * GiB - 1, ATTR_RAM);
	EXPECT_UNMAPPED(&f, 1 * GiB - 1);
	EXPECT_UNMAPPED(&f, 2 * GiB);
	EXPECT_UNMAPPED(&f, 0);
	teardown(&f);
}

TEST(1g_block_under_level0)
{
	struct fixture f;

	setup(&f, 48);
	ASSERT_TRUE(pgtable_map(&f.pt, 513 * GiB, 7 * GiB, 1 * GiB, ATTR_EL2));
	/* Level 0 has no blocks with 4K: one level-1 table holds it. */
	EXPECT_EQ(1, f.pages.count);
	EXPECT_EQ(TYPE_TABLE, TYPE(f.root[1]));
	uint64_t *l1 = next_table(f.root[1]);
	EXPECT_EQ(f.pages.page[0], l1);
	EXPECT_EQ(TYPE_BLOCK, TYPE(l1[1]));
	EXPECT_EQ(7 * GiB, l1[1] & PTE_ADDR_MASK);
	EXPECT_MAPS(&f, 513 * GiB + 4096, 7 * GiB + 4096, ATTR_EL2);
	EXPECT_UNMAPPED(&f, 1 * GiB);
	teardown(&f);
}

TEST(2m_blocks)
{
	struct fixture f;

	setup(&f, 39);
	ASSERT_TRUE(pgtable_map(&f.pt, 1 * GiB + 2 * MiB, 0x80200000, 6 * MiB,
				ATTR_DEV));
	EXPECT_EQ(1, f.pages.count);
	ASSERT_EQ(TYPE_TABLE, TYPE(f.root[1]));
	uint64_t *l2 = next_table(f.root[1]);
	EXPECT_EQ(0, l2[0]);
	for (int i = 1; i <= 3; i++) {
		EXPECT_EQ(TYPE_BLOCK, TYPE(l2[i]));
		EXPECT_EQ(0x80000000 + i * 2 * MiB, l2[i] & PTE_ADDR_MASK);
		EXPECT_EQ(ATTR_DEV, l2[i] & PTE_LEAF_ATTR_MASK);
	}
	EXPECT_EQ(0, l2[4]);
	EXPECT_MAPS(&f, 1 * GiB + 2 * MiB, 0x80200000, ATTR_DEV);
	EXPECT_MAPS(&f, 1 * GiB + 8 * MiB - 1, 0x807fffff, ATTR_DEV);
	EXPECT_UNMAPPED(&f, 1 * GiB + 8 * MiB);
	EXPECT_UNMAPPED(&f, 1 * GiB + 2 * MiB - 1);
	teardown(&f);
}

TEST(4k_pages_for_unaligned_range)
{
	struct fixture f;

	setup(&f, 39);
	ASSERT_TRUE(pgtable_map(&f.pt, 0x40001000, 0x9000000, 0x3000, ATTR_DEV));
	EXPECT_EQ(2, f.pages.count); /* one level-2 and one level-3 table */
	uint64_t *l2 = next_table(f.root[1]);
	ASSERT_EQ(TYPE_TABLE, TYPE(l2[0]));
	uint64_t *l3 = next_table(l2[0]);
	EXPECT_EQ(0, l3[0]);
	for (int i = 1; i <= 3; i++) {
		EXPECT_EQ(TYPE_TABLE, TYPE(l3[i])); /* page descriptor */
		EXPECT_EQ(0x9000000 + (i - 1) * 4096ULL, l3[i] & PTE_ADDR_MASK);
	}
	EXPECT_EQ(0, l3[4]);
	EXPECT_MAPS(&f, 0x40001000, 0x9000000, ATTR_DEV);
	EXPECT_MAPS(&f, 0x40003abc, 0x9002abc, ATTR_DEV);
	EXPECT_UNMAPPED(&f, 0x40000fff);
	EXPECT_UNMAPPED(&f, 0x40004000);
	teardown(&f);
}

TEST(mixed_sizes_use_largest_blocks)
{
	struct fixture f;
	unsigned int pages = 0, blocks2m = 0, blocks1g = 0;

	setup(&f, 39);
	/* 4K below 1G, then a 1G block, then 2M blocks, then 4K pages. */
	uint64_t va = 1 * GiB - 4096, size = 4096 + 1 * GiB + 4 * MiB + 8192;
	ASSERT_TRUE(pgtable_map(&f.pt, va, va, size, ATTR_RAM));
	for (int i = 0; i < PGTABLE_ENTRIES; i++) {
		if (TYPE(f.root[i]) == TYPE_BLOCK) {
			blocks1g++;
			continue;
		}
		if (TYPE(f.root[i]) != TYPE_TABLE)
			continue;
		uint64_t *l2 = next_table(f.root[i]);
		for (int j = 0; j < PGTABLE_ENTRIES; j++) {
			if (TYPE(l2[j]) == TYPE_BLOCK) {
				blocks2m++;
				continue;
			}
			if (TYPE(l2[j]) != TYPE_TABLE)
				continue;
			uint64_t *l3 = next_table(l2[j]);
			for (int k = 0; k < PGTABLE_ENTRIES; k++)
				pages += TYPE(l3[k]) == TYPE_TABLE;
		}
	}
	EXPECT_EQ(1, blocks1g);
	EXPECT_EQ(2, blocks2m);
	EXPECT_EQ(3, pages);
	for (uint64_t a = va; a < va + size; a += 4096 * 61)
		EXPECT_MAPS(&f, a, a, ATTR_RAM);
	EXPECT_MAPS(&f, va + size - 1, va + size - 1, ATTR_RAM);
	EXPECT_UNMAPPED(&f, va + size);
	EXPECT_UNMAPPED(&f, va - 1);
	teardown(&f);
}

TEST(misaligned_pa_gets_smaller_blocks)
{
	struct fixture f;

	setup(&f, 39);
	/* va is 1G aligned, pa only 2M aligned: 512 level-2 blocks. */
	ASSERT_TRUE(pgtable_map(&f.pt, 1 * GiB, 0x80200000, 1 * GiB, ATTR_RAM));
	ASSERT_EQ(TYPE_TABLE, TYPE(f.root[1]));
	uint64_t *l2 = next_table(f.root[1]);
	for (int i = 0; i < PGTABLE_ENTRIES; i++)
		EXPECT_EQ(TYPE_BLOCK, TYPE(l2[i]));
	EXPECT_MAPS(&f, 1 * GiB, 0x80200000, ATTR_RAM);
	EXPECT_MAPS(&f, 2 * GiB - 1, 0x80200000 + 1 * GiB - 1, ATTR_RAM);
	teardown(&f);
	/* pa only 4K aligned: pages everywhere. */
	setup(&f, 39);
	ASSERT_TRUE(pgtable_map(&f.pt, 0, 0x1000, 4 * MiB, ATTR_RAM));
	EXPECT_EQ(1 + 2, f.pages.count);
	EXPECT_MAPS(&f, 0x3fffff, 0x400fff, ATTR_RAM);
	teardown(&f);
}

TEST(split_1g_block_for_a_4k_remap)
{
	struct fixture f;
	const uint64_t va = 1 * GiB, pa = 4 * GiB, hole = va + 0x123000;

	setup(&f, 39);
	ASSERT_TRUE(pgtable_map(&f.pt, va, pa, 1 * GiB, ATTR_RAM));
	ASSERT_TRUE(pgtable_map(&f.pt, hole, 0x5000, 4096, ATTR_DEV));
	EXPECT_EQ(2, f.pages.count); /* level 2 and level 3 from the splits */

	/* The remapped page... */
	EXPECT_MAPS(&f, hole, 0x5000, ATTR_DEV);
	EXPECT_MAPS(&f, hole + 4095, 0x5fff, ATTR_DEV);
	/* ...and the rest of the old block, unchanged. */
	EXPECT_MAPS(&f, hole - 4096, pa + 0x122000, ATTR_RAM);
	EXPECT_MAPS(&f, hole + 4096, pa + 0x124000, ATTR_RAM);
	EXPECT_MAPS(&f, va, pa, ATTR_RAM);
	EXPECT_MAPS(&f, va + 2 * MiB, pa + 2 * MiB, ATTR_RAM);
	EXPECT_MAPS(&f, va + 1 * GiB - 1, pa + 1 * GiB - 1, ATTR_RAM);

	/* Structure: L1 table -> L2 with 511 blocks + 1 table -> L3 pages. */
	ASSERT_EQ(TYPE_TABLE, TYPE(f.root[1]));
	uint64_t *l2 = next_table(f.root[1]);
	ASSERT_EQ(TYPE_TABLE, TYPE(l2[0]));
	for (int i = 1; i < PGTABLE_ENTRIES; i++) {
		EXPECT_EQ(TYPE_BLOCK, TYPE(l2[i]));
		EXPECT_EQ(pa + i * 2 * MiB, l2[i] & PTE_ADDR_MASK);
		EXPECT_EQ(ATTR_RAM, l2[i] & PTE_LEAF_ATTR_MASK);
	}
	uint64_t *l3 = next_table(l2[0]);
	for (int i = 0; i < PGTABLE_ENTRIES; i++) {
		EXPECT_EQ(TYPE_TABLE, TYPE(l3[i]));
		if (i == 0x123)
			continue;
		EXPECT_EQ(pa + i * 4096ULL, l3[i] & PTE_ADDR_MASK);
		EXPECT_EQ(ATTR_RAM, l3[i] & PTE_LEAF_ATTR_MASK);
	}

	/* Mapping the whole gigabyte again replaces everything below. */
	ASSERT_TRUE(pgtable_map(&f.pt, va, 8 * GiB, 1 * GiB, ATTR_EL2));
	EXPECT_MAPS(&f, hole, 8 * GiB + 0x123000, ATTR_EL2);
	EXPECT_MAPS(&f, va + 0x7654321, 8 * GiB + 0x7654321, ATTR_EL2);
	teardown(&f);
}

TEST(split_2m_block)
{
	struct fixture f;

	setup(&f, 39);
	ASSERT_TRUE(pgtable_map(&f.pt, 0x40000000, 0x40000000, 4 * MiB, ATTR_RAM));
	ASSERT_TRUE(pgtable_map(&f.pt, 0x40201000, 0x9000000, 8192, ATTR_DEV));
	EXPECT_MAPS(&f, 0x40200000, 0x40200000, ATTR_RAM);
	EXPECT_MAPS(&f, 0x40201000, 0x9000000, ATTR_DEV);
	EXPECT_MAPS(&f, 0x40202fff, 0x9001fff, ATTR_DEV);
	EXPECT_MAPS(&f, 0x40203000, 0x40203000, ATTR_RAM);
	EXPECT_MAPS(&f, 0x401fffff, 0x401fffff, ATTR_RAM);
	EXPECT_MAPS(&f, 0x403fffff, 0x403fffff, ATTR_RAM);
	teardown(&f);
}

TEST(unmapped_lookups_fail)
{
	struct fixture f;

	setup(&f, 48);
	EXPECT_UNMAPPED(&f, 0);
	EXPECT_UNMAPPED(&f, 0x40000000);
	EXPECT_UNMAPPED(&f, (1ULL << 48) - 1);
	ASSERT_TRUE(pgtable_map(&f.pt, 0x40000000, 0x40000000, 4096, ATTR_RAM));
	/* Same tables, other entries. */
	EXPECT_UNMAPPED(&f, 0x40001000);
	EXPECT_UNMAPPED(&f, 0x3ffff000);
	EXPECT_UNMAPPED(&f, 0x40200000);
	EXPECT_UNMAPPED(&f, 0x80000000);
	teardown(&f);
}

TEST(va_out_of_range_rejected)
{
	struct fixture f;
	uint64_t pa, attrs;

	setup(&f, 39);
	const uint64_t top = 1ULL << 39;
	EXPECT_FALSE(pgtable_map(&f.pt, top, 0, 4096, ATTR_RAM));
	EXPECT_FALSE(pgtable_map(&f.pt, top - 4096, 0, 8192, ATTR_RAM));
	EXPECT_FALSE(pgtable_map(&f.pt, 1ULL << 63, 0, 4096, ATTR_RAM));
	EXPECT_FALSE(pgtable_map(&f.pt, 0xfffffffffffff000ULL, 0, 0x2000,
				 ATTR_RAM)); /* wraps */
	EXPECT_FALSE(pgtable_map(&f.pt, 0, 0, top + 4096, ATTR_RAM));
	EXPECT_EQ(0, f.pages.count);
	for (int i = 0; i < PGTABLE_ENTRIES; i++)
		EXPECT_EQ(0, f.root[i]);
	/* The last page below the limit is fine. */
	EXPECT_TRUE(pgtable_map(&f.pt, top - 4096, 0x1000, 4096, ATTR_RAM));
	EXPECT_MAPS(&f, top - 1, 0x1fff, ATTR_RAM);
	/* Lookups above the limit fail rather than alias lower addresses. */
	EXPECT_FALSE(pgtable_lookup(&f.pt, top + top - 4096, &pa, &attrs));
	EXPECT_FALSE(pgtable_lookup(&f.pt, top, &pa, &attrs));
	EXPECT_FALSE(pgtable_lookup(&f.pt, UINT64_MAX, &pa, &attrs));
	teardown(&f);
}

TEST(unaligned_arguments_rejected)
{
	struct fixture f;

	setup(&f, 39);
	EXPECT_FALSE(pgtable_map(&f.pt, 0x40000800, 0x40000000, 4096, ATTR_RAM));
	EXPECT_FALSE(pgtable_map(&f.pt, 0x40000000, 0x40000001, 4096, ATTR_RAM));
	EXPECT_FALSE(pgtable_map(&f.pt, 0x40000000, 0x40000000, 4095, ATTR_RAM));
	EXPECT_FALSE(pgtable_map(&f.pt, 0x40000000, 0x40000000, 4097, ATTR_RAM));
	EXPECT_EQ(0, f.pages.count);
	EXPECT_UNMAPPED(&f, 0x40000000);
	/* An empty range is a no-op that succeeds. */
	EXPECT_TRUE(pgtable_map(&f.pt, 0x40000000, 0x40000000, 0, ATTR_RAM));
	EXPECT_EQ(0, f.pages.count);
	EXPECT_UNMAPPED(&f, 0x40000000);
	teardown(&f);
}

TEST(attributes_are_masked)
{
	struct fixture f;

	setup(&f, 39);
	/* Address and type bits in attrs must not leak into descriptors. */
	ASSERT_TRUE(pgtable_map(&f.pt, 0x40000000, 0x40000000, 4096,
				PTE_AF | 0x0000fffffffff000ULL | 3));
	EXPECT_MAPS(&f, 0x40000000, 0x40000000, PTE_AF);
	/* Upper attributes (XN, software bits 58:55) are kept. */
	const uint64_t upper = PTE_S1_XN | (0xfULL << 55) | PTE_AF;
	ASSERT_TRUE(pgtable_map(&f.pt, 2 * GiB, 2 * GiB, 1 * GiB, upper));
	EXPECT_MAPS(&f, 2 * GiB + 5, 2 * GiB + 5, upper);
	teardown(&f);
}

TEST(out_of_memory)
{
	struct fixture f;

	setup(&f, 39);
	f.pages.limit = 0;
	EXPECT_FALSE(pgtable_map(&f.pt, 0x40000000, 0x40000000, 4096, ATTR_RAM));
	EXPECT_UNMAPPED(&f, 0x40000000);
	/* A 1G block needs no table at all. */
	EXPECT_TRUE(pgtable_map(&f.pt, 1 * GiB, 1 * GiB, 1 * GiB, ATTR_RAM));
	/* Splitting it needs one: without memory the block stays intact. */
	EXPECT_FALSE(pgtable_map(&f.pt, 1 * GiB, 0, 4096, ATTR_DEV));
	EXPECT_EQ(TYPE_BLOCK, TYPE(f.root[1]));
	EXPECT_MAPS(&f, 1 * GiB, 1 * GiB, ATTR_RAM);
	EXPECT_MAPS(&f, 2 * GiB - 4096, 2 * GiB - 4096, ATTR_RAM);
	/* With memory for the first split only, the rest still translates
	 * as before (level 2 now holds the same mapping as 2M blocks). */
	f.pages.limit = 1;
	EXPECT_FALSE(pgtable_map(&f.pt, 1 * GiB, 0, 4096, ATTR_DEV));
	EXPECT_MAPS(&f, 1 * GiB, 1 * GiB, ATTR_RAM);
	EXPECT_MAPS(&f, 1 * GiB + 4096, 1 * GiB + 4096, ATTR_RAM);
	EXPECT_MAPS(&f, 2 * GiB - 1, 2 * GiB - 1, ATTR_RAM);
	teardown(&f);
}

/* ---- randomized: the tables agree with a simple model ---- */

struct op {
	uint64_t va, pa, size, attrs;
};

/* The last map call covering va decides. */
static bool model_lookup(const struct op *ops, int n, uint64_t va,
			 uint64_t *pa, uint64_t *attrs)
{
	for (int i = n - 1; i >= 0; i--) {
		if (va >= ops[i].va && va - ops[i].va < ops[i].size) {
			*pa = ops[i].pa + (va - ops[i].va);
			*attrs = ops[i].attrs & PTE_LEAF_ATTR_MASK;
			return true;
		}
	}
	return false;
}

/* Every leaf is well formed: aligned output, no level-0 block. */
static void check_structure(const uint64_t *table, unsigned int level,
			    unsigned int *leaves)
{
	for (int i = 0; i < PGTABLE_ENTRIES; i++) {
		uint64_t d = table[i];
		if (!(d & PTE_VALID))
			continue;
		if (level < 3 && TYPE(d) == TYPE_TABLE) {
			check_structure(next_table(d), level + 1, leaves);
			continue;
		}
		uint64_t block = 1ULL << (12 + 9 * (3 - level));
		EXPECT_TRUE(level >= 1);
		EXPECT_EQ(0, (d & PTE_ADDR_MASK) % block);
		EXPECT_EQ(level == 3 ? TYPE_TABLE : TYPE_BLOCK, TYPE(d));
		(*leaves)++;
	}
}

static uint64_t random_aligned(struct test_rng *rng, uint64_t limit)
{
	static const uint64_t grain[] = {4 * KiB, 2 * MiB, 1 * GiB};
	uint64_t g = grain[test_rng_below(rng, 3)];
	return test_rng_below(rng, limit / g) * g;
}

static void random_model_run(unsigned int va_bits, uint64_t seed)
{
	const uint64_t window = 64 * GiB;
	const int nr_ops = 200;
	struct test_rng rng = test_rng_init(seed);
	struct op ops[200];
	struct fixture f;
	unsigned int leaves = 0, mapped = 0;

	setup(&f, va_bits);
	for (int i = 0; i < nr_ops; i++) {
		struct op *o = &ops[i];
		o->va = random_aligned(&rng, window);
		o->pa = random_aligned(&rng, 1ULL << 40);
		/* Sizes up to 3G, smaller when only pages can be used. */
		uint64_t max = (o->va | o->pa) % (2 * MiB) ? 64 * MiB : 3 * GiB;
		switch (test_rng_below(&rng, 3)) {
		case 0:
			o->size = (1 + test_rng_below(&rng, 64)) * 4 * KiB;
			break;
		case 1:
			o->size = (1 + test_rng_below(&rng, 512)) * 2 * MiB;
			break;
		default:
			o->size = (1 + test_rng_below(&rng, max / (4 * KiB))) *
				  4 * KiB;
			break;
		}
		if (o->size > max)
			o->size = max;
		if (o->va + o->size > window)
			o->size = window - o->va;
		if (o->size == 0)
			o->size = 4096;
		o->attrs = (test_rng_next(&rng) & PTE_LEAF_ATTR_MASK) | PTE_AF;
		if (!EXPECT_TRUE(pgtable_map(&f.pt, o->va, o->pa, o->size,
					     o->attrs))) {
			test_note("op %d: va 0x%llx pa 0x%llx size 0x%llx", i,
				  (unsigned long long)o->va,
				  (unsigned long long)o->pa,
				  (unsigned long long)o->size);
			teardown(&f);
			return;
		}
	}

	for (int i = 0; i < 100000; i++) {
		uint64_t va, want_pa = 0, want_attrs = 0, pa = 0, attrs = 0;
		if (i % 2) {
			va = test_rng_below(&rng, window + 4 * GiB);
		} else {
			/* Near the edges of a random operation. */
			const struct op *o = &ops[test_rng_below(&rng, nr_ops)];
			static const int64_t delta[] = {-4096, -1, 0, 1, 4095,
							4096};
			uint64_t edge = test_rng_below(&rng, 2) ? o->va
							       : o->va + o->size;
			va = edge + (uint64_t)delta[test_rng_below(&rng, 6)];
		}
		bool want = model_lookup(ops, nr_ops, va, &want_pa, &want_attrs);
		bool got = pgtable_lookup(&f.pt, va, &pa, &attrs);
		bool ok = EXPECT_EQ(want, got);
		if (ok && want) {
			ok = EXPECT_EQ(want_pa, pa);
			ok = EXPECT_EQ(want_attrs, attrs) && ok;
		}
		if (!ok) {
			test_note("va 0x%llx (seed %llu, lookup %d)",
				  (unsigned long long)va,
				  (unsigned long long)seed, i);
			break;
		}
		mapped += want;
	}
	check_structure(f.root, f.pt.start_level, &leaves);
	EXPECT_TRUE(mapped > 10000); /* the sample does hit mappings */
	teardown(&f);
}

TEST(random_against_model_48bit)
{
	random_model_run(48, 1);
}

TEST(random_against_model_39bit)
{
	random_model_run(39, 2);
}

TEST(random_against_model_more_seeds)
{
	for (uint64_t seed = 3; seed < 6 && test_failures() == 0; seed++)
		random_model_run(seed % 2 ? 40 : 36, seed);
}
