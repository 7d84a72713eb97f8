/*
 * VMSAv8-64 translation tables with the 4K granule, for vigil's own EL2
 * stage 1 and for the guest's stage 2. Pure logic over memory: it builds
 * tables that are not yet live (or fills invalid entries of live ones), and
 * is tested on the host.
 */
#ifndef ARCH_ARM64_PGTABLE_H
#define ARCH_ARM64_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#define PTE_VALID (1UL << 0)
#define PTE_TABLE (1UL << 1) /* table at L0-L2, page at L3 */
#define PTE_AF (1UL << 10)
#define PTE_SH_INNER (3UL << 8)
#define PTE_ADDR_MASK 0x0000fffffffff000UL
/* Stage 1 (EL2 regime) */
#define PTE_S1_ATTRIDX(i) ((uint64_t)(i) << 2)
#define PTE_S1_AP_RES1 (1UL << 6) /* AP[1] is RES1 at EL2 */
#define PTE_S1_XN (1UL << 54)
/* Stage 2 */
#define PTE_S2_MEMATTR_NORMAL_WB (0xfUL << 2)
#define PTE_S2_MEMATTR_DEVICE_nGnRE (0x1UL << 2)
#define PTE_S2_AP_RW (3UL << 6)
#define PTE_S2_XN (2UL << 53)
/* Leaf attribute bits, as passed to pgtable_map (type bits excluded). */
#define PTE_LEAF_ATTR_MASK (~PTE_ADDR_MASK & ~3UL)

#define PGTABLE_ENTRIES 512

struct pgtable {
	uint64_t *root;
	unsigned int start_level; /* 0, 1 or 2 */
	unsigned int va_bits;     /* 64 - T0SZ */
	/* A zeroed, 4K-aligned page, or NULL when out of memory. */
	void *(*alloc_page)(void *ctx);
	void *alloc_ctx;
};

/* First lookup level for an input-address size (4K granule). */
unsigned int pgtable_start_level(unsigned int va_bits);

/*
 * Map [va, va+size) to [pa, pa+size) with leaf attributes attrs, using the
 * largest blocks that fit. Existing blocks that only partly overlap are
 * split. All of va, pa and size must be 4K aligned.
 */
bool pgtable_map(struct pgtable *pt, uint64_t va, uint64_t pa, uint64_t size,
		 uint64_t attrs);

/* Software walk: true, with the output address and attributes, if va is mapped. */
bool pgtable_lookup(const struct pgtable *pt, uint64_t va, uint64_t *pa,
		    uint64_t *attrs);

#endif
