/*
 * Shared by the libFuzzer targets (tests/fuzz/fuzz_*.c): the entry point's
 * prototype and FUZZ_CHECK for the invariants a target checks cheaply. A
 * broken invariant aborts, which libFuzzer reports as a crash and saves
 * the input, exactly like a sanitizer report.
 */
#ifndef VIGIL_FUZZ_H
#define VIGIL_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void fuzz_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

#define FUZZ_CHECK(cond, ...)                                               \
	do {                                                                \
		if (!(cond))                                                \
			fuzz_fail(__FILE__, __LINE__, __VA_ARGS__);         \
	} while (0)

/* Little-endian fields of an input, zero past its end. */
static inline uint64_t fuzz_le64(const uint8_t *p, size_t avail)
{
	uint64_t v = 0;

	for (size_t i = 8; i-- > 0;)
		v = v << 8 | (i < avail ? p[i] : 0);
	return v;
}

#endif
