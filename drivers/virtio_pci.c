/*
 * virtio-pci transport, modern interface only (virtio 1.2, 4.1): the
 * device's registers are found through vendor-specific capabilities
 * (common, notify, ISR and device configuration), each a window into one
 * of its memory BARs. Interrupts are INTx (no MSI-X: the interrupt
 * controller's ITS stays unused by vigil).
 */
#include <stdio.h>

#include <arch_irq.h>
#include <vigil/log.h>

#include "pci.h"
#include "virtio.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_MODERN_BASE 0x1040 /* + device id */
#define VIRTIO_PCI_TRANSITIONAL_FIRST 0x1000
#define VIRTIO_PCI_TRANSITIONAL_LAST 0x103f

/* struct virtio_pci_cap (4.1.4) */
#define VIRTIO_PCI_CAP_CFG_TYPE 3
#define VIRTIO_PCI_CAP_BAR 4
#define VIRTIO_PCI_CAP_OFFSET 8
#define VIRTIO_PCI_CAP_LENGTH 12
#define VIRTIO_PCI_NOTIFY_CAP_MULT 16

#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_TYPES 5

/* struct virtio_pci_common_cfg (4.1.4.3) */
#define COMMON_DEVICE_FEATURE_SELECT 0x00
#define COMMON_DEVICE_FEATURE 0x04
#define COMMON_DRIVER_FEATURE_SELECT 0x08
#define COMMON_DRIVER_FEATURE 0x0c
#define COMMON_CONFIG_MSIX_VECTOR 0x10
#define COMMON_NUM_QUEUES 0x12
#define COMMON_DEVICE_STATUS 0x14
#define COMMON_CONFIG_GENERATION 0x15
#define COMMON_QUEUE_SELECT 0x16
#define COMMON_QUEUE_SIZE 0x18
#define COMMON_QUEUE_MSIX_VECTOR 0x1a
#define COMMON_QUEUE_ENABLE 0x1c
#define COMMON_QUEUE_NOTIFY_OFF 0x1e
#define COMMON_QUEUE_DESC 0x20
#define COMMON_QUEUE_DRIVER 0x28
#define COMMON_QUEUE_DEVICE 0x30
#define COMMON_CFG_SIZE 0x38

#define VIRTIO_MSI_NO_VECTOR 0xffff

struct virtio_pci_dev {
	struct virtio_dev vdev; /* first: the ops get this pointer back */
	const struct pci_func *fn;
	const void *fdt;
	uintptr_t common, isr, device, notify;
	uint64_t device_len, notify_len;
	uint32_t notify_multiplier;
};

static struct virtio_pci_dev found;

static struct virtio_pci_dev *to_pci(struct virtio_dev *dev)
{
	return (struct virtio_pci_dev *)dev;
}

static uint8_t read8(uintptr_t a) { return *(const volatile uint8_t *)a; }
static uint16_t read16(uintptr_t a) { return *(const volatile uint16_t *)a; }
static uint32_t read32(uintptr_t a) { return *(const volatile uint32_t *)a; }
static void write8(uintptr_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static void write16(uintptr_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static void write32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }

/* 64-bit fields as two 32-bit halves, low first (4.1.3.1). */
static void write64(uintptr_t a, uint64_t v)
{
	write32(a, (uint32_t)v);
	write32(a + 4, (uint32_t)(v >> 32));
}

static uint8_t pci_get_status(struct virtio_dev *dev)
{
	return read8(to_pci(dev)->common + COMMON_DEVICE_STATUS);
}

static void pci_set_status(struct virtio_dev *dev, uint8_t status)
{
	write8(to_pci(dev)->common + COMMON_DEVICE_STATUS, status);
}

static uint64_t pci_get_device_features(struct virtio_dev *dev)
{
	uintptr_t c = to_pci(dev)->common;

	write32(c + COMMON_DEVICE_FEATURE_SELECT, 1);
	uint64_t high = read32(c + COMMON_DEVICE_FEATURE);
	write32(c + COMMON_DEVICE_FEATURE_SELECT, 0);
	return high << 32 | read32(c + COMMON_DEVICE_FEATURE);
}

static void pci_set_driver_features(struct virtio_dev *dev, uint64_t features)
{
	uintptr_t c = to_pci(dev)->common;

	write32(c + COMMON_DRIVER_FEATURE_SELECT, 1);
	write32(c + COMMON_DRIVER_FEATURE, (uint32_t)(features >> 32));
	write32(c + COMMON_DRIVER_FEATURE_SELECT, 0);
	write32(c + COMMON_DRIVER_FEATURE, (uint32_t)features);
}

static uint16_t pci_queue_max_size(struct virtio_dev *dev, uint16_t index)
{
	uintptr_t c = to_pci(dev)->common;

	if (index >= read16(c + COMMON_NUM_QUEUES))
		return 0;
	write16(c + COMMON_QUEUE_SELECT, index);
	if (read16(c + COMMON_QUEUE_ENABLE) != 0)
		return 0; /* in use: not after a reset */
	uint16_t max = read16(c + COMMON_QUEUE_SIZE);
	return max > 0x8000 ? 0x8000 : max;
}

static bool pci_queue_enable(struct virtio_dev *dev, struct virtqueue *vq)
{
	struct virtio_pci_dev *p = to_pci(dev);
	uintptr_t c = p->common;

	write16(c + COMMON_QUEUE_SELECT, vq->index);
	write16(c + COMMON_QUEUE_SIZE, vq->size);
	write16(c + COMMON_QUEUE_MSIX_VECTOR, VIRTIO_MSI_NO_VECTOR);
	write64(c + COMMON_QUEUE_DESC, (uintptr_t)vq->desc);
	write64(c + COMMON_QUEUE_DRIVER, (uintptr_t)vq->avail);
	write64(c + COMMON_QUEUE_DEVICE, (uintptr_t)vq->used);

	/* Where this queue's notifications go (4.1.4.4). */
	uint64_t off = (uint64_t)read16(c + COMMON_QUEUE_NOTIFY_OFF) *
		       p->notify_multiplier;
	if (off + 2 > p->notify_len) {
		log_warn("%s: queue %u notifies outside its window", dev->name,
			 vq->index);
		return false;
	}
	vq->notify = p->notify + off;
	write16(c + COMMON_QUEUE_ENABLE, 1);
	return read16(c + COMMON_QUEUE_ENABLE) == 1;
}

static void pci_notify(struct virtio_dev *dev, struct virtqueue *vq)
{
	(void)dev;
	write16((uintptr_t)vq->notify, vq->index);
}

static uint8_t pci_config_read8(struct virtio_dev *dev, uint32_t offset)
{
	struct virtio_pci_dev *p = to_pci(dev);

	return offset + 1 <= p->device_len ? read8(p->device + offset) : 0;
}

static uint16_t pci_config_read16(struct virtio_dev *dev, uint32_t offset)
{
	struct virtio_pci_dev *p = to_pci(dev);

	return offset + 2 <= p->device_len ? read16(p->device + offset) : 0;
}

static uint8_t pci_config_generation(struct virtio_dev *dev)
{
	return read8(to_pci(dev)->common + COMMON_CONFIG_GENERATION);
}

/* Reading the ISR status acknowledges it (4.1.4.5). */
static uint32_t pci_ack_interrupt(struct virtio_dev *dev)
{
	return read8(to_pci(dev)->isr);
}

static bool pci_claim(struct virtio_dev *dev, struct vm *vm)
{
	struct virtio_pci_dev *p = to_pci(dev);
	uint32_t intid;
	bool shared;

	if (!pci_hide_function(p->fn, vm))
		return false;
	dev->intid = 0;
	if (!pci_intx_intid(p->fdt, p->fn, &intid, &shared)) {
		log_info("%s: INTx line unknown (behind a bridge?); polled",
			 dev->name);
	} else if (shared) {
		/* Claiming it would take it from the guest's devices. */
		log_info("%s: INTx line (INTID %u) may be shared with the "
			 "guest's devices; polled",
			 dev->name, intid);
	} else if (arch_virq_claim(vm, intid)) {
		dev->intid = intid;
	}
	pci_enable(p->fn, dev->intid != 0);
	return true;
}

static const struct virtio_transport_ops pci_ops = {
	.name = "virtio-pci (modern)",
	.get_status = pci_get_status,
	.set_status = pci_set_status,
	.get_device_features = pci_get_device_features,
	.set_driver_features = pci_set_driver_features,
	.queue_max_size = pci_queue_max_size,
	.queue_enable = pci_queue_enable,
	.notify = pci_notify,
	.config_read8 = pci_config_read8,
	.config_read16 = pci_config_read16,
	.config_generation = pci_config_generation,
	.ack_interrupt = pci_ack_interrupt,
	.claim = pci_claim,
};

static bool is_virtio_type(const struct pci_func *f, uint32_t device_id)
{
	if (f->vendor != VIRTIO_PCI_VENDOR || f->header_type != 0)
		return false;
	if (f->device == VIRTIO_PCI_MODERN_BASE + device_id)
		return true;
	/* Transitional devices say what they are in the subsystem id. */
	return f->device >= VIRTIO_PCI_TRANSITIONAL_FIRST &&
	       f->device <= VIRTIO_PCI_TRANSITIONAL_LAST &&
	       pci_read16(f, PCI_SUBSYSTEM_ID) == device_id;
}

/*
 * The first capability of each type whose window fits in a memory BAR
 * (4.1.4: the driver uses the first one it can). Returns false unless
 * all four are there: a device without them has the legacy interface
 * only.
 */
static bool find_capabilities(const struct pci_func *f, struct virtio_pci_dev *p)
{
	struct pci_bar bars[PCI_NR_BARS];
	bool bar_ok[PCI_NR_BARS];
	uintptr_t where[VIRTIO_PCI_CAP_TYPES] = {0};
	uint64_t len[VIRTIO_PCI_CAP_TYPES] = {0};

	for (unsigned int n = 0; n < PCI_NR_BARS; n++)
		bar_ok[n] = pci_read_bar(f, n, &bars[n]) && !bars[n].is_io &&
			    bars[n].base != 0;
	for (uint8_t cap = pci_next_cap(f, PCI_CAP_ID_VNDR, 0); cap != 0;
	     cap = pci_next_cap(f, PCI_CAP_ID_VNDR, cap)) {
		uint8_t type = pci_read8(f, cap + VIRTIO_PCI_CAP_CFG_TYPE);
		uint8_t bar = pci_read8(f, cap + VIRTIO_PCI_CAP_BAR);
		uint64_t off = pci_read32(f, cap + VIRTIO_PCI_CAP_OFFSET);
		uint64_t size = pci_read32(f, cap + VIRTIO_PCI_CAP_LENGTH);
		if (type == 0 || type >= VIRTIO_PCI_CAP_TYPES || where[type] ||
		    bar >= PCI_NR_BARS || !bar_ok[bar] ||
		    off + size > bars[bar].size)
			continue;
		where[type] = (uintptr_t)(bars[bar].base + off);
		len[type] = size;
		if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
			p->notify_multiplier =
				pci_read32(f, cap + VIRTIO_PCI_NOTIFY_CAP_MULT);
	}
	p->common = where[VIRTIO_PCI_CAP_COMMON_CFG];
	p->notify = where[VIRTIO_PCI_CAP_NOTIFY_CFG];
	p->isr = where[VIRTIO_PCI_CAP_ISR_CFG];
	p->device = where[VIRTIO_PCI_CAP_DEVICE_CFG];
	p->notify_len = len[VIRTIO_PCI_CAP_NOTIFY_CFG];
	p->device_len = len[VIRTIO_PCI_CAP_DEVICE_CFG];
	return p->common && p->notify && p->isr && p->device &&
	       len[VIRTIO_PCI_CAP_COMMON_CFG] >= COMMON_CFG_SIZE &&
	       len[VIRTIO_PCI_CAP_ISR_CFG] >= 1;
}

static bool probe_function(const void *fdt, const struct pci_func *f,
			   uint32_t device_id, bool named)
{
	struct virtio_pci_dev p = {.fn = f, .fdt = fdt};
	const char *what = virtio_id_name(device_id);

	if (!is_virtio_type(f, device_id)) {
		if (named)
			log_always("pci:%02x:%02x.%x: not a virtio-%s "
				   "(%04x:%04x)",
				   f->bus, f->dev, f->fn, what, f->vendor,
				   f->device);
		return false;
	}
	if (!find_capabilities(f, &p)) {
		virtio_note(named,
			    "pci:%02x:%02x.%x: virtio-%s without the modern "
			    "interface (legacy only, or BARs not assigned), "
			    "skipped",
			    f->bus, f->dev, f->fn, what);
		return false;
	}
	/* Registers and DMA from here on; INTx is decided at claim time. */
	pci_enable(f, false);
	write16(p.common + COMMON_CONFIG_MSIX_VECTOR, VIRTIO_MSI_NO_VECTOR);
	found = p;
	found.vdev.ops = &pci_ops;
	snprintf(found.vdev.name, sizeof(found.vdev.name),
		 "virtio-%s@pci:%02x:%02x.%x", what, f->bus, f->dev, f->fn);
	return true;
}

struct virtio_dev *virtio_pci_find(const void *fdt, uint32_t device_id,
				   const char *where, int *cursor)
{
	unsigned int bus, dev, fn;
	char tail;

	pci_scan(fdt);
	if (where != NULL) {
		const struct pci_func *f = NULL;
		if (sscanf(where, "pci:%2x:%2x.%1x%c", &bus, &dev, &fn, &tail) == 3)
			f = pci_lookup((uint8_t)bus, (uint8_t)dev, (uint8_t)fn);
		if (f == NULL) {
			log_always("%s: no such PCI function", where);
			return NULL;
		}
		return probe_function(fdt, f, device_id, true) ? &found.vdev
							       : NULL;
	}
	const struct pci_func *f;
	for (unsigned int i = (unsigned int)(*cursor + 1);
	     (f = pci_function(i)) != NULL; i++) {
		*cursor = (int)i;
		if (probe_function(fdt, f, device_id, false))
			return &found.vdev;
	}
	return NULL;
}
