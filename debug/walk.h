/*
 * Guest stage-1 translation for the GDB stub: guest-virtual to
 * guest-physical, done in software by reading the guest's own VMSAv8-64
 * translation tables (EL1&0 regime). Pure logic: descriptors are fetched
 * through a callback, so the walker never touches memory itself and runs
 * on the host in tests/unit/test_walk.c.
 *
 * Handles: MMU off (identity), TTBR0/TTBR1 selected by VA bit 55, TBI0/
 * TBI1, EPD0/EPD1, 4K/16K/64K granules (TG0 and TG1 encodings differ),
 * T0SZ/T1SZ from 16 (48-bit VA) up to 48 (47 for 64K), every block size a
 * 48-bit output address allows (4K: 1G, 2M; 16K: 32M; 64K: 512M), TCR.IPS
 * as the output size, SCTLR_EL1.EE (big-endian tables). Not handled, and
 * reported as WALK_BAD_CONFIG: 52-bit VAs (TxSZ < 16) and TCR.DS (LPA2).
 *
 * Permissions, the access flag and attributes are not checked: a debugger
 * reads what a mapping points at, whoever may access it.
 */
#ifndef DEBUG_WALK_H
#define DEBUG_WALK_H

#include <vigil/types.h>

/* The vCPU's EL1 translation controls, as the guest last wrote them. */
struct walk_regs {
	uint64_t sctlr; /* SCTLR_EL1: M (bit 0), EE (bit 25) */
	uint64_t tcr;   /* TCR_EL1 */
	uint64_t ttbr0; /* TTBR0_EL1 */
	uint64_t ttbr1; /* TTBR1_EL1 */
};

/*
 * Reads the 8 bytes at guest-physical ipa (8-byte aligned) as a
 * little-endian value. Returns false, and the walk stops, if they are not
 * guest RAM.
 */
typedef bool (*walk_read64_t)(void *ctx, ipaddr_t ipa, uint64_t *val);

enum walk_status {
	WALK_OK = 0,
	/* What the MMU would fault on: no mapping, invalid or reserved
	 * descriptor, VA in neither range, EPDn set, output address beyond
	 * TCR.IPS (or beyond 48 bits). */
	WALK_FAULT,
	/* A translation table (or TTBRn itself) is not in guest RAM. */
	WALK_BAD_READ,
	/* TCR_EL1 holds a reserved or unsupported granule or TxSZ. */
	WALK_BAD_CONFIG,
};

/*
 * Translates va as the vCPU with these registers would (a stage-1 walk;
 * stage 2 is the identity for guest RAM). On WALK_OK, *ipa is the
 * guest-physical address and *size (if size is not NULL) the number of
 * bytes from va to the end of its page or block, which map contiguously:
 * a caller copies [va, va + *size) from [*ipa, *ipa + *size) and then
 * translates the next address. With the MMU off the "page" is 4 KiB.
 * Reads at most one descriptor per level (at most 4 per call).
 */
enum walk_status walk_translate(const struct walk_regs *regs, vaddr_t va,
				walk_read64_t read, void *ctx, ipaddr_t *ipa,
				uint64_t *size);

/* "ok", "fault", "bad read", "bad config": for logs and monitor output. */
const char *walk_status_name(enum walk_status status);

#endif
