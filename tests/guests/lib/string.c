/*
 * string.c - the few string helpers the runtime needs.  gcc may also emit
 * calls to memset/memcpy on its own, even with -ffreestanding.
 *
 * Byte-at-a-time on purpose: all memory is Device memory with the MMU off,
 * where unaligned wider accesses would fault.
 */
#include "guest.h"

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

void *memset(void *dst, int c, size_t n)
{
	u8 *d = dst;

	while (n--)
		*d++ = (u8)c;
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}
