/*
 * virtio-mmio transport (virtio 1.2, 4.2): version 2, the register layout
 * of virtio 1.x (4.2.2), and version 1, the legacy layout (4.2.4), which is
 * what QEMU's virtio-mmio devices are unless it is started with
 * -global virtio-mmio.force-legacy=false. The two share most registers;
 * legacy differs in 32-bit features (HostFeatures/GuestFeatures, word 0
 * only), queues given as one page number (GuestPageSize, QueueAlign,
 * QueuePFN) instead of QueueReady and three addresses, and no
 * ConfigGeneration. Each version has its own ops table.
 *
 * A slot is a device-tree node "virtio,mmio" with one register window
 * and one interrupt; QEMU's virt machine has 32 slots 0x200 apart, most
 * of them empty (device id 0).
 */
#include <stdio.h>

#include <arch_irq.h>
#include <libfdt.h>
#include <vigil/log.h>
#include <vigil/platform.h>

#include "dt.h"
#include "virtio.h"

#define MMIO_MAGIC_VALUE 0x000
#define MMIO_VERSION 0x004
#define MMIO_DEVICE_ID 0x008
#define MMIO_DEVICE_FEATURES 0x010
#define MMIO_DEVICE_FEATURES_SEL 0x014
#define MMIO_DRIVER_FEATURES 0x020
#define MMIO_DRIVER_FEATURES_SEL 0x024
#define MMIO_LEGACY_GUEST_PAGE_SIZE 0x028
#define MMIO_QUEUE_SEL 0x030
#define MMIO_QUEUE_NUM_MAX 0x034
#define MMIO_QUEUE_NUM 0x038
#define MMIO_LEGACY_QUEUE_ALIGN 0x03c
#define MMIO_LEGACY_QUEUE_PFN 0x040
#define MMIO_QUEUE_READY 0x044
#define MMIO_QUEUE_NOTIFY 0x050
#define MMIO_INTERRUPT_STATUS 0x060
#define MMIO_INTERRUPT_ACK 0x064
#define MMIO_STATUS 0x070
#define MMIO_QUEUE_DESC_LOW 0x080
#define MMIO_QUEUE_DESC_HIGH 0x084
#define MMIO_QUEUE_DRIVER_LOW 0x090
#define MMIO_QUEUE_DRIVER_HIGH 0x094
#define MMIO_QUEUE_DEVICE_LOW 0x0a0
#define MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define MMIO_CONFIG_GENERATION 0x0fc
#define MMIO_CONFIG 0x100

#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" */
#define VIRTIO_MMIO_LEGACY 1
#define VIRTIO_MMIO_MODERN 2
/* The page size vigil tells a legacy device (QueuePFN is in these units). */
#define MMIO_LEGACY_PAGE_SIZE 4096

struct virtio_mmio_dev {
	struct virtio_dev vdev; /* first: the ops get this pointer back */
	uintptr_t base;
	struct mem_range reg;
	int node;
	const void *fdt;
};

static struct virtio_mmio_dev found;

static struct virtio_mmio_dev *to_mmio(struct virtio_dev *dev)
{
	return (struct virtio_mmio_dev *)dev;
}

/* Registers are 32 bits wide and accessed as such (4.2.2.2). */
static uint32_t reg_read(const struct virtio_mmio_dev *m, uint32_t off)
{
	return *(const volatile uint32_t *)(m->base + off);
}

static void reg_write(const struct virtio_mmio_dev *m, uint32_t off,
		      uint32_t val)
{
	*(volatile uint32_t *)(m->base + off) = val;
}

static uint8_t mmio_get_status(struct virtio_dev *dev)
{
	return (uint8_t)reg_read(to_mmio(dev), MMIO_STATUS);
}

static void mmio_set_status(struct virtio_dev *dev, uint8_t status)
{
	reg_write(to_mmio(dev), MMIO_STATUS, status);
}

static uint64_t mmio_get_device_features(struct virtio_dev *dev)
{
	struct virtio_mmio_dev *m = to_mmio(dev);

	reg_write(m, MMIO_DEVICE_FEATURES_SEL, 1);
	uint64_t high = reg_read(m, MMIO_DEVICE_FEATURES);
	reg_write(m, MMIO_DEVICE_FEATURES_SEL, 0);
	return high << 32 | reg_read(m, MMIO_DEVICE_FEATURES);
}

static void mmio_set_driver_features(struct virtio_dev *dev, uint64_t features)
{
	struct virtio_mmio_dev *m = to_mmio(dev);

	reg_write(m, MMIO_DRIVER_FEATURES_SEL, 1);
	reg_write(m, MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	reg_write(m, MMIO_DRIVER_FEATURES_SEL, 0);
	reg_write(m, MMIO_DRIVER_FEATURES, (uint32_t)features);
}

/* A legacy device has only the first 32 feature bits (4.2.4). */
static uint64_t mmio_legacy_get_device_features(struct virtio_dev *dev)
{
	struct virtio_mmio_dev *m = to_mmio(dev);

	reg_write(m, MMIO_DEVICE_FEATURES_SEL, 0);
	return reg_read(m, MMIO_DEVICE_FEATURES);
}

static void mmio_legacy_set_driver_features(struct virtio_dev *dev,
					    uint64_t features)
{
	struct virtio_mmio_dev *m = to_mmio(dev);

	reg_write(m, MMIO_DRIVER_FEATURES_SEL, 0);
	reg_write(m, MMIO_DRIVER_FEATURES, (uint32_t)features);
}

/*
 * QueueNumMax of queue index, unless in_use_reg (QueueReady, or legacy
 * QueuePFN) says the queue is in use, which it is not after a reset.
 */
static uint16_t queue_max_size(struct virtio_mmio_dev *m, uint16_t index,
			       uint32_t in_use_reg)
{
	reg_write(m, MMIO_QUEUE_SEL, index);
	if (reg_read(m, in_use_reg) != 0)
		return 0;
	uint32_t max = reg_read(m, MMIO_QUEUE_NUM_MAX);
	return max > 0x8000 ? 0x8000 : (uint16_t)max;
}

static uint16_t mmio_queue_max_size(struct virtio_dev *dev, uint16_t index)
{
	return queue_max_size(to_mmio(dev), index, MMIO_QUEUE_READY);
}

static uint16_t mmio_legacy_queue_max_size(struct virtio_dev *dev,
					   uint16_t index)
{
	return queue_max_size(to_mmio(dev), index, MMIO_LEGACY_QUEUE_PFN);
}

static bool mmio_queue_enable(struct virtio_dev *dev, struct virtqueue *vq)
{
	struct virtio_mmio_dev *m = to_mmio(dev);
	uint64_t desc = (uintptr_t)vq->desc, avail = (uintptr_t)vq->avail,
		 used = (uintptr_t)vq->used;

	reg_write(m, MMIO_QUEUE_SEL, vq->index);
	reg_write(m, MMIO_QUEUE_NUM, vq->size);
	reg_write(m, MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	reg_write(m, MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	reg_write(m, MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
	reg_write(m, MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	reg_write(m, MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
	reg_write(m, MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
	reg_write(m, MMIO_QUEUE_READY, 1);
	return reg_read(m, MMIO_QUEUE_READY) == 1;
}

/*
 * The legacy device takes the queue's page number and finds the rings
 * from it with the alignment it is told (virtq_layout, 2.7.2).
 */
static bool mmio_legacy_queue_enable(struct virtio_dev *dev,
				     struct virtqueue *vq)
{
	struct virtio_mmio_dev *m = to_mmio(dev);
	uint64_t pfn = (uintptr_t)vq->desc / MMIO_LEGACY_PAGE_SIZE;

	if ((uintptr_t)vq->desc % MMIO_LEGACY_PAGE_SIZE != 0 || pfn == 0 ||
	    pfn > UINT32_MAX)
		return false;
	reg_write(m, MMIO_LEGACY_GUEST_PAGE_SIZE, MMIO_LEGACY_PAGE_SIZE);
	reg_write(m, MMIO_QUEUE_SEL, vq->index);
	reg_write(m, MMIO_QUEUE_NUM, vq->size);
	reg_write(m, MMIO_LEGACY_QUEUE_ALIGN, VIRTQ_LEGACY_ALIGN);
	reg_write(m, MMIO_LEGACY_QUEUE_PFN, (uint32_t)pfn);
	return reg_read(m, MMIO_LEGACY_QUEUE_PFN) == pfn;
}

static void mmio_notify(struct virtio_dev *dev, struct virtqueue *vq)
{
	reg_write(to_mmio(dev), MMIO_QUEUE_NOTIFY, vq->index);
}

static uint8_t mmio_config_read8(struct virtio_dev *dev, uint32_t offset)
{
	return *(const volatile uint8_t *)(to_mmio(dev)->base + MMIO_CONFIG +
					   offset);
}

static uint16_t mmio_config_read16(struct virtio_dev *dev, uint32_t offset)
{
	return *(const volatile uint16_t *)(to_mmio(dev)->base + MMIO_CONFIG +
					    offset);
}

static uint8_t mmio_config_generation(struct virtio_dev *dev)
{
	return (uint8_t)reg_read(to_mmio(dev), MMIO_CONFIG_GENERATION);
}

/*
 * Legacy devices have no generation counter (4.2.4): a field is read as it
 * comes, as every legacy driver does; a MAC changing under the read is
 * not a thing QEMU does.
 */
static uint8_t mmio_legacy_config_generation(struct virtio_dev *dev)
{
	(void)dev;
	return 0;
}

static uint32_t mmio_ack_interrupt(struct virtio_dev *dev)
{
	struct virtio_mmio_dev *m = to_mmio(dev);
	uint32_t isr = reg_read(m, MMIO_INTERRUPT_STATUS);

	if (isr != 0)
		reg_write(m, MMIO_INTERRUPT_ACK, isr);
	return isr;
}

/*
 * The slot leaves the guest's device tree and stage 2 (hv/main.c forwards
 * the other slots that share its page), and its SPI is never forwarded.
 */
static bool mmio_claim(struct virtio_dev *dev, struct vm *vm)
{
	struct virtio_mmio_dev *m = to_mmio(dev);
	uint32_t intid;

	if (!platform_hide_device(m->reg.base, m->reg.size)) {
		log_warn("%s: cannot hide it from the guest (too many hidden "
			 "devices)",
			 dev->name);
		return false;
	}
	dev->intid = 0;
	if (dt_node_intid(m->fdt, m->node, 0, &intid) &&
	    arch_virq_claim(vm, intid))
		dev->intid = intid;
	return true;
}

static const struct virtio_transport_ops mmio_ops = {
	.name = "virtio-mmio v2 (modern)",
	.get_status = mmio_get_status,
	.set_status = mmio_set_status,
	.get_device_features = mmio_get_device_features,
	.set_driver_features = mmio_set_driver_features,
	.queue_max_size = mmio_queue_max_size,
	.queue_enable = mmio_queue_enable,
	.notify = mmio_notify,
	.config_read8 = mmio_config_read8,
	.config_read16 = mmio_config_read16,
	.config_generation = mmio_config_generation,
	.ack_interrupt = mmio_ack_interrupt,
	.claim = mmio_claim,
};

static const struct virtio_transport_ops mmio_legacy_ops = {
	.name = "virtio-mmio v1 (legacy)",
	.legacy = true,
	.get_status = mmio_get_status,
	.set_status = mmio_set_status,
	.get_device_features = mmio_legacy_get_device_features,
	.set_driver_features = mmio_legacy_set_driver_features,
	.queue_max_size = mmio_legacy_queue_max_size,
	.queue_enable = mmio_legacy_queue_enable,
	.notify = mmio_notify,
	.config_read8 = mmio_config_read8,
	.config_read16 = mmio_config_read16,
	.config_generation = mmio_legacy_config_generation,
	.ack_interrupt = mmio_ack_interrupt,
	.claim = mmio_claim,
};

/*
 * Is node a virtio-mmio device (version 1 or 2) of type device_id? named:
 * the user asked for this node, so every reason for "no" is worth a line.
 */
static bool probe_slot(const void *fdt, int node, uint32_t device_id,
		       bool named)
{
	struct virtio_mmio_dev m = {.node = node, .fdt = fdt};
	const char *what = virtio_id_name(device_id);

	if (!platform_node_enabled(fdt, node) || !dt_node_reg(fdt, node, 0, &m.reg) ||
	    m.reg.size < MMIO_CONFIG) {
		if (named)
			log_always("%s: disabled, or no usable reg",
				   fdt_get_name(fdt, node, NULL));
		return false;
	}
	m.base = (uintptr_t)m.reg.base;
	uint32_t magic = reg_read(&m, MMIO_MAGIC_VALUE);
	uint32_t version = reg_read(&m, MMIO_VERSION);
	uint32_t id = reg_read(&m, MMIO_DEVICE_ID);
	if (magic != VIRTIO_MMIO_MAGIC || id != device_id) {
		if (named)
			log_always("virtio-mmio@%llx: not a virtio-%s (magic "
				   "0x%x, device id %u)",
				   (unsigned long long)m.reg.base, what, magic, id);
		return false;
	}
	if (version != VIRTIO_MMIO_MODERN && version != VIRTIO_MMIO_LEGACY) {
		virtio_note(named, "virtio-mmio@%llx: unknown version %u, skipped",
			    (unsigned long long)m.reg.base, version);
		return false;
	}
	found = m;
	found.vdev.ops = version == VIRTIO_MMIO_LEGACY ? &mmio_legacy_ops
						       : &mmio_ops;
	snprintf(found.vdev.name, sizeof(found.vdev.name), "virtio-%s@%llx",
		 what, (unsigned long long)m.reg.base);
	return true;
}

struct virtio_dev *virtio_mmio_find(const void *fdt, uint32_t device_id,
				    const char *where, int *cursor)
{
	if (where != NULL) {
		int node = fdt_path_offset(fdt, where);
		if (node < 0 ||
		    fdt_node_check_compatible(fdt, node, "virtio,mmio") != 0) {
			log_always("%s: no virtio-mmio node at that path", where);
			return NULL;
		}
		return probe_slot(fdt, node, device_id, true) ? &found.vdev : NULL;
	}
	for (int node = fdt_node_offset_by_compatible(fdt, *cursor, "virtio,mmio");
	     node >= 0;
	     node = fdt_node_offset_by_compatible(fdt, node, "virtio,mmio")) {
		*cursor = node;
		if (probe_slot(fdt, node, device_id, false))
			return &found.vdev;
	}
	return NULL;
}
