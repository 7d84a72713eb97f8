/*
 * MMIO emulation registry. Guest accesses to IPAs that are not mapped in
 * stage 2 arrive here, already decoded by the arch layer. A device model
 * registers the range it emulates; an access nobody claims gets an abort
 * injected into the guest and a log line.
 */
#ifndef VIGIL_MMIO_H
#define VIGIL_MMIO_H

#include <vigil/types.h>

struct vcpu;

struct mmio_access {
	ipaddr_t addr;
	uint8_t size;  /* 1, 2, 4 or 8 bytes */
	bool write;
	uint64_t value; /* in for writes, out for reads (zero-extended) */
};

struct mmio_region {
	const char *name;
	uint64_t base;
	uint64_t size;
	/* Returns false to have an abort injected (e.g. a bad access width). */
	bool (*access)(struct vcpu *vcpu, struct mmio_access *acc,
		       uint64_t offset, void *priv);
	void *priv;
};

#define MMIO_MAX_REGIONS 32

struct mmio_registry {
	struct mmio_region regions[MMIO_MAX_REGIONS];
	uint32_t count;
};

/* Registration at start-up; fails on overlap or a full table. */
bool mmio_register(struct mmio_registry *reg, const struct mmio_region *r);
const struct mmio_region *mmio_find(const struct mmio_registry *reg,
				    uint64_t addr, uint64_t size);
/* Any registered region overlapping [addr, addr+size)? */
const struct mmio_region *mmio_find_overlap(const struct mmio_registry *reg,
					    uint64_t addr, uint64_t size);
/*
 * A region whose guest accesses are performed on the real device, at the
 * same address and with the same width: for device registers that share
 * a page with registers the guest must not reach, so that the page cannot
 * be mapped in stage 2. Misaligned accesses get an abort.
 */
bool mmio_register_forward(struct mmio_registry *reg, const char *name,
			   uint64_t base, uint64_t size);

/* Returns true when a device handled the access. */
bool mmio_dispatch(const struct mmio_registry *reg, struct vcpu *vcpu,
		   struct mmio_access *acc);

#endif
