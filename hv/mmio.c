/*
 * MMIO emulation registry: a small table of non-overlapping ranges. Lookups
 * are linear; there are a handful of emulated devices and MMIO exits are
 * dominated by the trap itself.
 */
#include <vigil/log.h>
#include <vigil/mmio.h>

static bool overlaps(const struct mmio_region *r, uint64_t base, uint64_t size)
{
	return base < r->base + r->size && r->base < base + size;
}

bool mmio_register(struct mmio_registry *reg, const struct mmio_region *r)
{
	if (r->size == 0 || r->base + r->size < r->base) {
		log_warn("mmio: %s: empty or wrapping range", r->name);
		return false;
	}
	if (reg->count == MMIO_MAX_REGIONS) {
		log_warn("mmio: %s: registry full", r->name);
		return false;
	}
	for (uint32_t i = 0; i < reg->count; i++) {
		if (overlaps(&reg->regions[i], r->base, r->size)) {
			log_warn("mmio: %s overlaps %s", r->name,
				 reg->regions[i].name);
			return false;
		}
	}
	reg->regions[reg->count++] = *r;
	return true;
}

const struct mmio_region *mmio_find(const struct mmio_registry *reg,
				    uint64_t addr, uint64_t size)
{
	for (uint32_t i = 0; i < reg->count; i++) {
		const struct mmio_region *r = &reg->regions[i];
		if (addr >= r->base && addr - r->base < r->size &&
		    size <= r->size - (addr - r->base))
			return r;
	}
	return NULL;
}

const struct mmio_region *mmio_find_overlap(const struct mmio_registry *reg,
					    uint64_t addr, uint64_t size)
{
	for (uint32_t i = 0; i < reg->count; i++) {
		if (overlaps(&reg->regions[i], addr, size))
			return &reg->regions[i];
	}
	return NULL;
}

bool mmio_dispatch(const struct mmio_registry *reg, struct vcpu *vcpu,
		   struct mmio_access *acc)
{
	uint64_t addr = ipa_addr(acc->addr);
	const struct mmio_region *r = mmio_find(reg, addr, acc->size);

	if (r == NULL)
		return false;
	if (!acc->write)
		acc->value = 0;
	return r->access(vcpu, acc, addr - r->base, r->priv);
}

/*
 * vigil's own address space maps device memory 1:1 (arch_mm_init), so
 * the guest's IPA, the device's address and vigil's pointer are the same.
 */
static bool forward_access(struct vcpu *vcpu, struct mmio_access *acc,
			   uint64_t offset, void *priv)
{
	uintptr_t addr = (uintptr_t)ipa_addr(acc->addr);

	(void)vcpu;
	(void)offset;
	(void)priv;
	/* Misaligned device accesses fault: the guest's, not vigil's. */
	if (addr & (acc->size - 1U))
		return false;
	switch (acc->size) {
	case 1:
		if (acc->write)
			*(volatile uint8_t *)addr = (uint8_t)acc->value;
		else
			acc->value = *(volatile uint8_t *)addr;
		return true;
	case 2:
		if (acc->write)
			*(volatile uint16_t *)addr = (uint16_t)acc->value;
		else
			acc->value = *(volatile uint16_t *)addr;
		return true;
	case 4:
		if (acc->write)
			*(volatile uint32_t *)addr = (uint32_t)acc->value;
		else
			acc->value = *(volatile uint32_t *)addr;
		return true;
	case 8:
		if (acc->write)
			*(volatile uint64_t *)addr = acc->value;
		else
			acc->value = *(volatile uint64_t *)addr;
		return true;
	default:
		return false;
	}
}

bool mmio_register_forward(struct mmio_registry *reg, const char *name,
			   uint64_t base, uint64_t size)
{
	struct mmio_region r = {
		.name = name,
		.base = base,
		.size = size,
		.access = forward_access,
	};
	return mmio_register(reg, &r);
}
