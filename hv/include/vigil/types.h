/* Basic types shared by every layer, and opaque address types. */
#ifndef VIGIL_TYPES_H
#define VIGIL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a)-1)) == 0)

#define SZ_4K 0x1000UL
#define SZ_64K 0x10000UL
#define SZ_2M 0x200000UL
#define SZ_1G 0x40000000UL

#define BIT(n) (1UL << (n))
/* Bits hi..lo inclusive, as a mask. */
#define GENMASK(hi, lo) ((~0UL >> (63 - (hi))) & ~((1UL << (lo)) - 1))

#define STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)

/*
 * Distinct types for the three address spaces so that a guest-physical
 * address cannot be passed where a host-physical one is meant. The struct
 * wrappers cost nothing at -O2.
 */
typedef struct { uint64_t pa; } paddr_t;   /* host physical */
typedef struct { uint64_t ipa; } ipaddr_t; /* guest physical (IPA) */
typedef struct { uint64_t va; } vaddr_t;   /* guest virtual */

static inline paddr_t pa_init(uint64_t a) { return (paddr_t){a}; }
static inline uint64_t pa_addr(paddr_t a) { return a.pa; }
static inline ipaddr_t ipa_init(uint64_t a) { return (ipaddr_t){a}; }
static inline uint64_t ipa_addr(ipaddr_t a) { return a.ipa; }
static inline vaddr_t va_init(uint64_t a) { return (vaddr_t){a}; }
static inline uint64_t va_addr(vaddr_t a) { return a.va; }

/* Guest RAM is identity mapped (IPA == PA): the one sanctioned conversion. */
static inline paddr_t pa_from_ipa(ipaddr_t a) { return (paddr_t){a.ipa}; }

/* A [base, base + size) range of host-physical memory. */
struct mem_range {
	uint64_t base;
	uint64_t size;
};

static inline bool range_contains(const struct mem_range *r, uint64_t addr,
				  uint64_t len)
{
	return addr >= r->base && len <= r->size &&
	       addr - r->base <= r->size - len;
}

#endif
