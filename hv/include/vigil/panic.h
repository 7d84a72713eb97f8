/* Fatal errors: for broken hypervisor invariants only, never guest input. */
#ifndef VIGIL_PANIC_H
#define VIGIL_PANIC_H

void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#define HV_BUG_ON(cond)                                                    \
	do {                                                               \
		if (__builtin_expect(!!(cond), 0))                         \
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

#endif
