/*
 * PCI Express through ECAM host bridges: the functions behind them, their
 * BARs, capabilities and INTx lines, and hiding one from the guest. The
 * guest owns everything else: the ECAM window and the bridge's memory
 * windows are passed through (hv/main.c), minus what is hidden here.
 */
#include <libfdt.h>
#include <vigil/log.h>
#include <vigil/mmio.h>
#include <vigil/platform.h>
#include <vigil/vm.h>

#include "dt.h"
#include "pci.h"

#define PCI_MAX_HOSTS 4
#define PCI_MAX_FUNCTIONS 128
#define PCI_DEVICES_PER_BUS 32
#define PCI_FUNCTIONS_PER_DEVICE 8
#define ECAM_BUS_SHIFT 20
#define ECAM_DEV_SHIFT 15
#define ECAM_FN_SHIFT 12
#define ECAM_FUNCTION_SIZE SZ_4K

#define PCI_BAR_IO 0x1
#define PCI_BAR_MEM_TYPE_MASK 0x6
#define PCI_BAR_MEM_TYPE_64 0x4
#define PCI_BAR_MEM_ADDR_MASK (~0xfULL)
#define PCI_BAR_IO_ADDR_MASK (~0x3ULL)

#define PCI_MSI_FLAGS 2
#define PCI_MSI_FLAGS_ENABLE 0x0001
#define PCI_MSIX_FLAGS 2
#define PCI_MSIX_FLAGS_ENABLE 0x8000

/* A capability list longer than this is a loop (48 = 192 bytes / 4). */
#define PCI_MAX_CAPS 48

/* interrupt-map child specifier: <phys.hi phys.mid phys.lo pin>. */
#define PCI_IMAP_CHILD_CELLS 4
#define PCI_PHYS_HI_BUS_SHIFT 16
#define PCI_PHYS_HI_DEV_SHIFT 11
#define PCI_PHYS_HI_FN_SHIFT 8

static struct pci_host hosts[PCI_MAX_HOSTS];
static unsigned int nr_hosts;
static struct pci_func functions[PCI_MAX_FUNCTIONS];
static unsigned int nr_functions;
static bool scanned;

/* ---- configuration space -------------------------------------------- */

uint8_t pci_read8(const struct pci_func *f, uint32_t off)
{
	return *(const volatile uint8_t *)(f->cfg + off);
}

uint16_t pci_read16(const struct pci_func *f, uint32_t off)
{
	return *(const volatile uint16_t *)(f->cfg + off);
}

uint32_t pci_read32(const struct pci_func *f, uint32_t off)
{
	return *(const volatile uint32_t *)(f->cfg + off);
}

void pci_write16(const struct pci_func *f, uint32_t off, uint16_t val)
{
	*(volatile uint16_t *)(f->cfg + off) = val;
}

void pci_write32(const struct pci_func *f, uint32_t off, uint32_t val)
{
	*(volatile uint32_t *)(f->cfg + off) = val;
}

/* ---- enumeration ---------------------------------------------------- */

static bool read_host(const void *fdt, int node, struct pci_host *h)
{
	int len;

	if (!platform_node_enabled(fdt, node) || !dt_node_reg(fdt, node, 0, &h->ecam))
		return false;
	h->node = node;
	h->bus_start = 0;
	h->bus_end = 0xff;
	const fdt32_t *range = fdt_getprop(fdt, node, "bus-range", &len);
	if (range != NULL && len == 8) {
		uint32_t start = fdt32_to_cpu(range[0]), end = fdt32_to_cpu(range[1]);
		if (start > end || end > 0xff)
			return false;
		h->bus_start = (uint8_t)start;
		h->bus_end = (uint8_t)end;
	}
	/* Only the buses the ECAM window really covers. */
	uint64_t buses = h->ecam.size >> ECAM_BUS_SHIFT;
	if (buses == 0)
		return false;
	if (buses <= (uint64_t)(h->bus_end - h->bus_start))
		h->bus_end = (uint8_t)(h->bus_start + buses - 1);
	return true;
}

static uintptr_t ecam_address(const struct pci_host *h, unsigned int bus,
			      unsigned int dev, unsigned int fn)
{
	return (uintptr_t)(h->ecam.base +
			   ((uint64_t)(bus - h->bus_start) << ECAM_BUS_SHIFT) +
			   ((uint64_t)dev << ECAM_DEV_SHIFT) +
			   ((uint64_t)fn << ECAM_FN_SHIFT));
}

static void scan_host(const struct pci_host *h)
{
	for (unsigned int bus = h->bus_start; bus <= h->bus_end; bus++) {
		for (unsigned int dev = 0; dev < PCI_DEVICES_PER_BUS; dev++) {
			for (unsigned int fn = 0; fn < PCI_FUNCTIONS_PER_DEVICE;
			     fn++) {
				struct pci_func f = {
					.host = h,
					.bus = (uint8_t)bus,
					.dev = (uint8_t)dev,
					.fn = (uint8_t)fn,
					.cfg = ecam_address(h, bus, dev, fn),
				};
				f.vendor = pci_read16(&f, PCI_VENDOR_ID);
				if (f.vendor == 0xffff || f.vendor == 0) {
					if (fn == 0)
						break; /* no device in this slot */
					continue;
				}
				uint8_t header = pci_read8(&f, PCI_HEADER_TYPE);
				f.device = pci_read16(&f, PCI_DEVICE_ID);
				f.header_type = header & PCI_HEADER_TYPE_MASK;
				if (nr_functions == PCI_MAX_FUNCTIONS) {
					log_warn("pci: more than %u functions; "
						 "the rest are ignored",
						 PCI_MAX_FUNCTIONS);
					return;
				}
				functions[nr_functions++] = f;
				if (fn == 0 && !(header & PCI_HEADER_MULTI_FUNCTION))
					break;
			}
		}
	}
}

unsigned int pci_scan(const void *fdt)
{
	if (scanned)
		return nr_functions;
	scanned = true;
	for (int node = fdt_node_offset_by_compatible(fdt, -1,
						      "pci-host-ecam-generic");
	     node >= 0 && nr_hosts < PCI_MAX_HOSTS;
	     node = fdt_node_offset_by_compatible(fdt, node,
						  "pci-host-ecam-generic")) {
		if (read_host(fdt, node, &hosts[nr_hosts])) {
			scan_host(&hosts[nr_hosts]);
			nr_hosts++;
		}
	}
	log_debug("pci: %u ECAM host bridge%s, %u function%s", nr_hosts,
		  nr_hosts == 1 ? "" : "s", nr_functions,
		  nr_functions == 1 ? "" : "s");
	return nr_functions;
}

const struct pci_func *pci_function(unsigned int i)
{
	return i < nr_functions ? &functions[i] : NULL;
}

const struct pci_func *pci_lookup(uint8_t bus, uint8_t dev, uint8_t fn)
{
	for (unsigned int i = 0; i < nr_functions; i++) {
		const struct pci_func *f = &functions[i];
		if (f->bus == bus && f->dev == dev && f->fn == fn)
			return f;
	}
	return NULL;
}

/* ---- BARs and capabilities ------------------------------------------ */

static bool bar_is_64bit_memory(uint32_t bar)
{
	return !(bar & PCI_BAR_IO) &&
	       (bar & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_TYPE_64;
}

/* Is BAR register n a BAR of its own, not the upper half of a 64-bit one? */
static bool bar_starts_at(const struct pci_func *f, unsigned int n)
{
	unsigned int i = 0;

	while (i < n)
		i += bar_is_64bit_memory(pci_read32(f, PCI_BAR0 + 4 * i)) ? 2 : 1;
	return i == n;
}

bool pci_read_bar(const struct pci_func *f, unsigned int n, struct pci_bar *bar)
{
	if (n >= PCI_NR_BARS || f->header_type != 0 || !bar_starts_at(f, n))
		return false;

	uint32_t off = PCI_BAR0 + 4 * n;
	uint32_t lo = pci_read32(f, off), hi = 0;
	bool io = lo & PCI_BAR_IO;
	bool is64 = bar_is_64bit_memory(lo);
	if (is64 && n == PCI_NR_BARS - 1)
		return false;

	/* Sizing moves the BAR: no decoding meanwhile. */
	uint16_t cmd = pci_read16(f, PCI_COMMAND);
	pci_write16(f, PCI_COMMAND,
		    (uint16_t)(cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY)));
	pci_write32(f, off, 0xffffffff);
	uint32_t mask_lo = pci_read32(f, off), mask_hi = 0xffffffff;
	pci_write32(f, off, lo);
	if (is64) {
		hi = pci_read32(f, off + 4);
		pci_write32(f, off + 4, 0xffffffff);
		mask_hi = pci_read32(f, off + 4);
		pci_write32(f, off + 4, hi);
	}
	pci_write16(f, PCI_COMMAND, cmd);

	uint64_t mask = (uint64_t)mask_hi << 32 | mask_lo;
	mask &= io ? PCI_BAR_IO_ADDR_MASK : PCI_BAR_MEM_ADDR_MASK;
	if (io)
		mask |= 0xffffffff00000000ULL | 0xffff0000ULL;
	if (mask == 0)
		return false; /* unimplemented */
	*bar = (struct pci_bar){
		.base = ((uint64_t)hi << 32 | lo) &
			(io ? PCI_BAR_IO_ADDR_MASK : PCI_BAR_MEM_ADDR_MASK),
		.size = ~mask + 1,
		.is_io = io,
		.is_64bit = is64,
	};
	return true;
}

uint8_t pci_next_cap(const struct pci_func *f, uint8_t cap_id, uint8_t after)
{
	if (!(pci_read16(f, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	uint8_t pos = after ? pci_read8(f, after + 1u)
			    : pci_read8(f, PCI_CAPABILITY_LIST);
	for (int i = 0; i < PCI_MAX_CAPS; i++) {
		pos &= 0xfc;
		if (pos < 0x40) /* the list lives after the header */
			return 0;
		if (pci_read8(f, pos) == cap_id)
			return pos;
		pos = pci_read8(f, pos + 1u);
	}
	return 0;
}

void pci_enable(const struct pci_func *f, bool intx)
{
	/* The firmware may have left MSI(-X) on; the device then never
	 * raises INTx. */
	for (uint8_t cap = pci_next_cap(f, PCI_CAP_ID_MSI, 0); cap != 0;
	     cap = pci_next_cap(f, PCI_CAP_ID_MSI, cap))
		pci_write16(f, cap + PCI_MSI_FLAGS,
			    (uint16_t)(pci_read16(f, cap + PCI_MSI_FLAGS) &
				       ~PCI_MSI_FLAGS_ENABLE));
	for (uint8_t cap = pci_next_cap(f, PCI_CAP_ID_MSIX, 0); cap != 0;
	     cap = pci_next_cap(f, PCI_CAP_ID_MSIX, cap))
		pci_write16(f, cap + PCI_MSIX_FLAGS,
			    (uint16_t)(pci_read16(f, cap + PCI_MSIX_FLAGS) &
				       ~PCI_MSIX_FLAGS_ENABLE));

	uint16_t cmd = pci_read16(f, PCI_COMMAND);
	cmd = (uint16_t)((cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER) &
			 ~PCI_COMMAND_IO);
	if (intx)
		cmd &= (uint16_t)~PCI_COMMAND_INTX_DISABLE;
	else
		cmd |= PCI_COMMAND_INTX_DISABLE;
	pci_write16(f, PCI_COMMAND, cmd);
}

/* ---- INTx ----------------------------------------------------------- */

/*
 * Look the child specifier <bus/dev/fn, pin> up in the bridge's
 * interrupt-map (with interrupt-map-mask), as the PCI binding says: each
 * entry is the child specifier, the parent's phandle, the parent's unit
 * address (its #address-cells) and interrupt specifier (#interrupt-cells).
 */
static bool map_intx(const void *fdt, int bridge, const struct pci_func *f,
		     uint8_t pin, uint32_t *intid)
{
	uint32_t key[PCI_IMAP_CHILD_CELLS] = {
		(uint32_t)f->bus << PCI_PHYS_HI_BUS_SHIFT |
			(uint32_t)f->dev << PCI_PHYS_HI_DEV_SHIFT |
			(uint32_t)f->fn << PCI_PHYS_HI_FN_SHIFT,
		0, 0, pin};
	uint32_t mask[PCI_IMAP_CHILD_CELLS] = {~0U, ~0U, ~0U, ~0U};
	int len, mlen;

	const fdt32_t *m = fdt_getprop(fdt, bridge, "interrupt-map-mask", &mlen);
	if (m != NULL && mlen == (int)sizeof(mask))
		for (int i = 0; i < PCI_IMAP_CHILD_CELLS; i++)
			mask[i] = fdt32_to_cpu(m[i]);
	const fdt32_t *map = fdt_getprop(fdt, bridge, "interrupt-map", &len);
	if (map == NULL)
		return false;
	int cells = len / 4, pos = 0;
	while (pos + PCI_IMAP_CHILD_CELLS + 1 <= cells) {
		const fdt32_t *e = map + pos;
		int parent = fdt_node_offset_by_phandle(
			fdt, fdt32_to_cpu(e[PCI_IMAP_CHILD_CELLS]));
		if (parent < 0)
			return false;
		const fdt32_t *ac = fdt_getprop(fdt, parent, "#address-cells", &mlen);
		int pac = ac != NULL && mlen == 4 ? (int)fdt32_to_cpu(*ac) : 0;
		const fdt32_t *ic = fdt_getprop(fdt, parent, "#interrupt-cells", &mlen);
		if (ic == NULL || mlen != 4)
			return false;
		int pic = (int)fdt32_to_cpu(*ic);
		if (pac < 0 || pac > 3 || pic < 1 || pic > 4)
			return false;
		int next = pos + PCI_IMAP_CHILD_CELLS + 1 + pac + pic;
		if (next > cells)
			return false;
		bool match = true;
		for (int i = 0; i < PCI_IMAP_CHILD_CELLS; i++)
			match = match && (fdt32_to_cpu(e[i]) & mask[i]) ==
						 (key[i] & mask[i]);
		if (match) {
			uint32_t spec[4];
			for (int i = 0; i < pic; i++)
				spec[i] = fdt32_to_cpu(
					e[PCI_IMAP_CHILD_CELLS + 1 + pac + i]);
			return dt_gic_intid(spec, pic, intid);
		}
		pos = next;
	}
	return false;
}

/*
 * Without swizzling through bridges only functions on the bridge's root
 * bus have a known line; a bridge on the root bus can route its
 * secondary buses' interrupts to any of the four.
 */
static bool function_intx(const void *fdt, const struct pci_func *f,
			  uint32_t *intid)
{
	uint8_t pin = pci_read8(f, PCI_INTERRUPT_PIN);

	if (pin < 1 || pin > 4 || f->bus != f->host->bus_start)
		return false;
	return map_intx(fdt, f->host->node, f, pin, intid);
}

bool pci_intx_intid(const void *fdt, const struct pci_func *f,
		    uint32_t *intid, bool *shared)
{
	if (!function_intx(fdt, f, intid))
		return false;
	*shared = false;
	for (unsigned int i = 0; i < nr_functions; i++) {
		const struct pci_func *other = &functions[i];
		uint32_t other_intid;
		if (other == f || other->host != f->host)
			continue;
		if (other->header_type == PCI_HEADER_TYPE_BRIDGE ||
		    (function_intx(fdt, other, &other_intid) &&
		     other_intid == *intid))
			*shared = true;
	}
	return true;
}

/* ---- hiding --------------------------------------------------------- */

/* The hidden function's configuration space: nothing there (all-ones). */
static bool hidden_config_access(struct vcpu *vcpu, struct mmio_access *acc,
				 uint64_t offset, void *priv)
{
	(void)vcpu;
	(void)offset;
	(void)priv;
	if (!acc->write)
		acc->value = acc->size == 8 ? ~0ULL : (1ULL << (acc->size * 8)) - 1;
	return true;
}

bool pci_hide_function(const struct pci_func *f, struct vm *vm)
{
	struct mmio_region cfg = {
		.name = "pci-hidden-function",
		.base = f->cfg,
		.size = ECAM_FUNCTION_SIZE,
		.access = hidden_config_access,
	};

	/*
	 * An emulated region is enough to keep the page out of stage 2.
	 * platform_hide_device() is not used for it: the host bridge's node
	 * starts at the ECAM base, and a hidden range there would take the
	 * whole bridge out of the guest's device tree.
	 */
	if (!mmio_register(&vm->mmio, &cfg))
		return false;
	for (unsigned int n = 0; n < PCI_NR_BARS; n++) {
		struct pci_bar bar;
		if (!pci_read_bar(f, n, &bar) || bar.is_io || bar.base == 0)
			continue;
		if (!platform_hide_device(bar.base, bar.size)) {
			log_warn("pci: cannot hide BAR%u of %02x:%02x.%x (too "
				 "many hidden devices)",
				 n, f->bus, f->dev, f->fn);
			return false;
		}
		log_debug("pci %02x:%02x.%x: BAR%u 0x%llx-0x%llx hidden", f->bus,
			  f->dev, f->fn, n, (unsigned long long)bar.base,
			  (unsigned long long)(bar.base + bar.size - 1));
	}
	return true;
}
