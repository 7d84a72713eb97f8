/* Translation-table construction; see pgtable.h. */
#include <stddef.h>

#include "pgtable.h"

static unsigned int level_shift(unsigned int level)
{
	return 12 + 9 * (3 - level);
}

unsigned int pgtable_start_level(unsigned int va_bits)
{
	if (va_bits > 39)
		return 0;
	if (va_bits > 30)
		return 1;
	return 2;
}

static uint64_t *table_of(uint64_t desc)
{
	return (uint64_t *)(uintptr_t)(desc & PTE_ADDR_MASK);
}

static unsigned int index_of(uint64_t va, unsigned int level)
{
	return (unsigned int)((va >> level_shift(level)) & (PGTABLE_ENTRIES - 1));
}

static bool block_allowed(unsigned int level)
{
	/* 4K granule: 1G blocks at level 1, 2M at level 2, pages at 3. */
	return level >= 1;
}

static uint64_t leaf_desc(uint64_t pa, uint64_t attrs, unsigned int level)
{
	uint64_t type = level == 3 ? (PTE_VALID | PTE_TABLE) : PTE_VALID;
	return (pa & PTE_ADDR_MASK) | (attrs & PTE_LEAF_ATTR_MASK) | type;
}

static bool is_table(uint64_t desc, unsigned int level)
{
	return level < 3 && (desc & (PTE_VALID | PTE_TABLE)) ==
				    (PTE_VALID | PTE_TABLE);
}

/* Replace a block descriptor by a table mapping the same range. */
static uint64_t *split_block(struct pgtable *pt, uint64_t *entry,
			     unsigned int level)
{
	uint64_t *next = pt->alloc_page(pt->alloc_ctx);
	if (next == NULL)
		return NULL;
	uint64_t block = *entry;
	uint64_t base = block & PTE_ADDR_MASK & ~((1UL << level_shift(level)) - 1);
	uint64_t step = 1UL << level_shift(level + 1);
	for (unsigned int i = 0; i < PGTABLE_ENTRIES; i++)
		next[i] = leaf_desc(base + i * step, block, level + 1);
	*entry = (uint64_t)(uintptr_t)next | PTE_VALID | PTE_TABLE;
	return next;
}

static bool map_level(struct pgtable *pt, uint64_t *table, unsigned int level,
		      uint64_t va, uint64_t pa, uint64_t size, uint64_t attrs)
{
	uint64_t block = 1UL << level_shift(level);

	while (size != 0) {
		uint64_t *entry = &table[index_of(va, level)];
		uint64_t chunk = block - (va & (block - 1));
		if (chunk > size)
			chunk = size;

		if (chunk == block && block_allowed(level) &&
		    (pa & (block - 1)) == 0 && !is_table(*entry, level)) {
			*entry = leaf_desc(pa, attrs, level);
		} else {
			uint64_t *next;
			if (is_table(*entry, level)) {
				next = table_of(*entry);
			} else if (*entry & PTE_VALID) {
				next = split_block(pt, entry, level);
			} else {
				next = pt->alloc_page(pt->alloc_ctx);
				if (next != NULL)
					*entry = (uint64_t)(uintptr_t)next |
						 PTE_VALID | PTE_TABLE;
			}
			if (next == NULL ||
			    !map_level(pt, next, level + 1, va, pa, chunk, attrs))
				return false;
		}
		va += chunk;
		pa += chunk;
		size -= chunk;
	}
	return true;
}

bool pgtable_map(struct pgtable *pt, uint64_t va, uint64_t pa, uint64_t size,
		 uint64_t attrs)
{
	const uint64_t mask = 0xfff;

	if ((va | pa | size) & mask)
		return false;
	if (size == 0)
		return true;
	if (va + size < va ||
	    (pt->va_bits < 64 && (va + size - 1) >> pt->va_bits))
		return false;
	return map_level(pt, pt->root, pt->start_level, va, pa, size, attrs);
}

bool pgtable_lookup(const struct pgtable *pt, uint64_t va, uint64_t *pa,
		    uint64_t *attrs)
{
	const uint64_t *table = pt->root;

	if (pt->va_bits < 64 && (va >> pt->va_bits))
		return false;
	for (unsigned int level = pt->start_level; level <= 3; level++) {
		uint64_t desc = table[index_of(va, level)];
		if (!(desc & PTE_VALID))
			return false;
		if (is_table(desc, level)) {
			table = table_of(desc);
			continue;
		}
		if (level == 0)
			return false; /* no level-0 blocks with 4K */
		uint64_t off = va & ((1UL << level_shift(level)) - 1);
		*pa = (desc & PTE_ADDR_MASK & ~((1UL << level_shift(level)) - 1)) + off;
		*attrs = desc & PTE_LEAF_ATTR_MASK;
		return true;
	}
	return false;
}
