/*
 * The hypervisor pool: memory boot/ reserved for vigil (page tables, stacks,
 * the C heap). Page allocations are never freed; the C heap (malloc) takes
 * a fixed slice at start-up.
 */
#ifndef VIGIL_POOL_H
#define VIGIL_POOL_H

#include <vigil/types.h>

#define PAGE_SIZE SZ_4K

void pool_init(const struct mem_range *pool);
/* Zeroed, page-aligned. Returns NULL when the pool is exhausted. */
void *pool_alloc_pages(size_t pages);
size_t pool_free_bytes(void);

/* The C heap's slice of the pool, for newlib's _sbrk. */
void heap_init(void *base, size_t size);
/* Bytes of the C heap handed out by malloc and not freed yet. */
size_t heap_used_bytes(void);

#endif
