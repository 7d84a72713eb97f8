/*
 * lwIP's platform port for vigil (newlib at EL2; the host's libc in the
 * unit tests). The functions declared here live in drivers/net.c.
 *
 * lwIP's assertions are off (LWIP_NOASSERT) unless VIGIL_LWIP_ASSERT is
 * defined: many of them sit on the packet-input path, and a packet from
 * the network must never stop EL2. When on (unit tests, debugging), a
 * failed assertion is a log line and lwIP carries on.
 */
#ifndef VIGIL_LWIP_ARCH_CC_H
#define VIGIL_LWIP_ARCH_CC_H

#include <limits.h>
#include <stdint.h>

/*
 * newlib's <limits.h> has no SSIZE_MAX, without which lwIP typedefs its
 * own ssize_t (int) and clashes with newlib's (long). With it, lwIP takes
 * ssize_t from <unistd.h>.
 */
#ifndef SSIZE_MAX
#define SSIZE_MAX LONG_MAX
#endif

uint32_t vigil_lwip_rand(void);
void vigil_lwip_diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
void vigil_lwip_assert(const char *msg, const char *file, int line);

#define LWIP_RAND() ((u32_t)vigil_lwip_rand())
#define LWIP_PLATFORM_DIAG(x) do { vigil_lwip_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) vigil_lwip_assert((x), __FILE__, __LINE__)

#ifndef VIGIL_LWIP_ASSERT
#define LWIP_NOASSERT
#endif

#endif
