/* The hypervisor pool: a bump allocator over memory boot/ reserved. */
#include <string.h>

#include <arch_cpu.h>
#include <vigil/pool.h>

static uintptr_t pool_next;
static uintptr_t pool_end;
static arch_spinlock_t pool_lock;

void pool_init(const struct mem_range *pool)
{
	pool_next = ALIGN_UP((uintptr_t)pool->base, PAGE_SIZE);
	pool_end = ALIGN_DOWN((uintptr_t)(pool->base + pool->size), PAGE_SIZE);
}

void *pool_alloc_pages(size_t pages)
{
	void *p = NULL;
	size_t bytes = pages * PAGE_SIZE;

	arch_spin_lock(&pool_lock);
	if (pages != 0 && bytes / PAGE_SIZE == pages &&
	    bytes <= pool_end - pool_next) {
		p = (void *)pool_next;
		pool_next += bytes;
	}
	arch_spin_unlock(&pool_lock);
	if (p != NULL)
		memset(p, 0, bytes);
	return p;
}

size_t pool_free_bytes(void)
{
	return pool_end - pool_next;
}
