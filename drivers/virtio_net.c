/*
 * virtio-net: the NIC vigil keeps for its own network (drivers/netdev.h),
 * on either transport. vigil.cfg "net.device" names it (a device-tree
 * path or "pci:BB:DD.F"); by default it is the first virtio-net found,
 * virtio-mmio slots in device-tree order first, then PCI functions. The
 * chosen device is taken away from the guest; the others stay the guest's.
 *
 * No offloads and no mergeable buffers: every frame is one buffer with a
 * header in front (struct virtio_net_hdr, 5.1.6: 12 bytes on a virtio 1.x
 * device, 10 on a legacy one; virtio_net_hdr_size()). One receive
 * queue kept full of buffers, one transmit queue whose slots each own a
 * buffer that a frame is copied into. Used transmit slots are reclaimed
 * when sending and polling, so the transmit queue never interrupts.
 */
#include <stdio.h>
#include <string.h>

#include <arch_irq.h>
#include <vigil/config.h>
#include <vigil/init.h>
#include <vigil/log.h>
#include <vigil/pool.h>
#include <vigil/vm.h>

#include "netdev.h"
#include "virtio.h"
#include "virtio_net.h"

/* struct virtio_net_config (5.1.4) */
#define VIRTIO_NET_CONFIG_MAC 0
#define VIRTIO_NET_CONFIG_STATUS 6
#define VIRTIO_NET_S_LINK_UP 1

#define RX_QUEUE 0
#define TX_QUEUE 1
#define RX_QUEUE_SIZE 64
#define TX_QUEUE_SIZE 64
/*
 * Without mergeable buffers or offloads a receive buffer should hold at
 * least 1526 bytes (5.1.6.3.1: the header and a 1514-byte frame); 2 KiB
 * also fits a VLAN tag, and two fit a page.
 */
#define NET_BUFFER_SIZE 2048
#define ETH_MIN_FRAME 60 /* without FCS: shorter frames are padded */
#define ETH_ALEN 6
#define NET_MTU 1500
/* Frames handed up per poll, so a flood cannot keep vigil in the handler. */
#define RX_BUDGET 256

struct virtio_net {
	struct netdev netdev; /* first: the ops get this pointer back */
	struct virtio_dev *vdev;
	struct virtqueue rx, tx;
	uint8_t *rx_buffers; /* rx.size buffers, one per descriptor */
	uint8_t *tx_buffers; /* tx.size buffers, one per descriptor */
	uint32_t hdr_size;   /* virtio_net_hdr_size() of the device */
	/* Counters, for a look from a debugger. */
	uint64_t rx_frames, rx_dropped, tx_frames, tx_dropped, irqs;
};

static struct virtio_net vnet;

static struct virtio_net *to_vnet(struct netdev *dev)
{
	return (struct virtio_net *)dev;
}

static uint8_t *rx_buffer(struct virtio_net *vn, uint16_t id)
{
	return vn->rx_buffers + (size_t)id * NET_BUFFER_SIZE;
}

static uint8_t *tx_buffer(struct virtio_net *vn, uint16_t id)
{
	return vn->tx_buffers + (size_t)id * NET_BUFFER_SIZE;
}

static void reclaim_tx(struct virtio_net *vn)
{
	uint16_t id;
	uint32_t len;

	while (virtq_next_used(&vn->tx, &id, &len))
		virtq_put_desc(&vn->tx, id);
}

static bool vnet_transmit(struct netdev *dev, const void *frame, size_t len)
{
	struct virtio_net *vn = to_vnet(dev);

	if (len == 0 || len > NETDEV_MAX_FRAME) {
		vn->tx_dropped++;
		return false;
	}
	reclaim_tx(vn);
	int id = virtq_get_desc(&vn->tx);
	if (id < 0) {
		vn->tx_dropped++;
		return false;
	}
	uint8_t *buf = tx_buffer(vn, (uint16_t)id);
	size_t frame_len = len < ETH_MIN_FRAME ? ETH_MIN_FRAME : len;
	memset(buf, 0, vn->hdr_size); /* no offloads: all zero */
	memcpy(buf + vn->hdr_size, frame, len);
	memset(buf + vn->hdr_size + len, 0, frame_len - len);
	virtq_submit(&vn->tx, (uint16_t)id, (uintptr_t)buf,
		     (uint32_t)(vn->hdr_size + frame_len), false);
	virtq_kick(&vn->tx);
	vn->tx_frames++;
	return true;
}

static bool read_link_up(struct virtio_net *vn)
{
	struct virtio_dev *vdev = vn->vdev;

	if (!virtio_has_feature(vdev, VIRTIO_NET_F_STATUS))
		return true;
	return vdev->ops->config_read16(vdev, VIRTIO_NET_CONFIG_STATUS) &
	       VIRTIO_NET_S_LINK_UP;
}

/* The device raised a configuration change: the link status. */
static void config_changed(struct virtio_net *vn)
{
	bool up = read_link_up(vn);

	if (up != vn->netdev.link_up)
		log_info("net: %s: link %s", vn->netdev.name, up ? "up" : "down");
	vn->netdev.link_up = up;
}

static unsigned int vnet_poll(struct netdev *dev)
{
	struct virtio_net *vn = to_vnet(dev);
	unsigned int received = 0;
	bool refilled = false;
	uint16_t id;
	uint32_t len;

	/* Interrupt-driven, the handler has read the status already. */
	if (!dev->has_irq &&
	    (vn->vdev->ops->ack_interrupt(vn->vdev) & VIRTIO_ISR_CONFIG))
		config_changed(vn);
	reclaim_tx(vn);
	for (unsigned int budget = RX_BUDGET;
	     budget > 0 && virtq_next_used(&vn->rx, &id, &len); budget--) {
		uint8_t *buf = rx_buffer(vn, id);
		if (len < vn->hdr_size || len - vn->hdr_size > NETDEV_MAX_FRAME ||
		    dev->receive == NULL) {
			vn->rx_dropped++;
		} else {
			dev->receive(dev, buf + vn->hdr_size, len - vn->hdr_size);
			vn->rx_frames++;
			received++;
		}
		/* The stack has copied what it keeps: the buffer goes back. */
		virtq_submit(&vn->rx, id, (uintptr_t)buf, NET_BUFFER_SIZE, true);
		refilled = true;
	}
	if (refilled)
		virtq_kick(&vn->rx);
	return received;
}

static const struct netdev_ops vnet_ops = {
	.transmit = vnet_transmit,
	.poll = vnet_poll,
};

/*
 * The NIC's interrupt, on the boot CPU. Acknowledging before looking at
 * the rings: a buffer used after the look raises the line again.
 */
static void vnet_irq(void *ctx)
{
	struct virtio_net *vn = ctx;
	uint32_t isr = vn->vdev->ops->ack_interrupt(vn->vdev);

	vn->irqs++;
	if (isr & VIRTIO_ISR_CONFIG)
		config_changed(vn);
	vnet_poll(&vn->netdev);
}

/* The MAC from the config space, consistent across a generation (2.5.1). */
static void read_mac(struct virtio_net *vn)
{
	struct virtio_dev *vdev = vn->vdev;
	uint8_t *mac = vn->netdev.mac;

	if (!virtio_has_feature(vdev, VIRTIO_NET_F_MAC)) {
		/* Locally administered, stable for the device's name. */
		uint32_t hash = 2166136261u;
		for (const char *c = vdev->name; *c; c++)
			hash = (hash ^ (uint8_t)*c) * 16777619u;
		const uint8_t made_up[ETH_ALEN] = {0x02, 0x76, (uint8_t)(hash >> 24),
						   (uint8_t)(hash >> 16),
						   (uint8_t)(hash >> 8), (uint8_t)hash};
		memcpy(mac, made_up, ETH_ALEN);
		return;
	}
	uint8_t before, after;
	do {
		before = vdev->ops->config_generation(vdev);
		for (uint32_t i = 0; i < ETH_ALEN; i++)
			mac[i] = vdev->ops->config_read8(vdev,
							 VIRTIO_NET_CONFIG_MAC + i);
		after = vdev->ops->config_generation(vdev);
	} while (before != after);
}

/*
 * Everything up to a working, claimed device (3.1.1). A device that fails
 * here is left FAILED and to the guest.
 */
static bool vnet_start(struct virtio_net *vn, struct virtio_dev *vdev,
		       struct vm *vm)
{
	*vn = (struct virtio_net){.vdev = vdev};
	if (!virtio_negotiate(vdev, 0,
			      BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS)))
		return false;
	vn->hdr_size = (uint32_t)virtio_net_hdr_size(vdev);
	if (!virtq_setup(&vn->rx, vdev, RX_QUEUE, RX_QUEUE_SIZE) ||
	    !virtq_setup(&vn->tx, vdev, TX_QUEUE, TX_QUEUE_SIZE))
		goto failed;
	vn->rx_buffers = pool_alloc_pages((size_t)vn->rx.size *
					  NET_BUFFER_SIZE / PAGE_SIZE);
	vn->tx_buffers = pool_alloc_pages((size_t)vn->tx.size *
					  NET_BUFFER_SIZE / PAGE_SIZE);
	if (vn->rx_buffers == NULL || vn->tx_buffers == NULL) {
		log_warn("%s: no memory for buffers", vdev->name);
		goto failed;
	}
	virtq_suppress_interrupts(&vn->tx);
	for (int id; (id = virtq_get_desc(&vn->rx)) >= 0;)
		virtq_submit(&vn->rx, (uint16_t)id,
			     (uintptr_t)rx_buffer(vn, (uint16_t)id),
			     NET_BUFFER_SIZE, true);
	read_mac(vn);
	vn->netdev.link_up = read_link_up(vn);
	if (!vdev->ops->claim(vdev, vm))
		goto failed;

	virtio_driver_ok(vdev);
	/* Only now may the device be notified (3.1.1): the buffers go out. */
	virtq_kick(&vn->rx);
	return true;

failed:
	virtio_fail(vdev);
	return false;
}

static bool virtio_net_init(const void *fdt, struct vm *vm)
{
	const char *wanted = vm->cfg != NULL && vm->cfg->net_device[0] != '\0'
				     ? vm->cfg->net_device
				     : NULL;
	struct virtio_dev *vdev = NULL;

	if (wanted != NULL) {
		vdev = strncmp(wanted, "pci:", 4) == 0
			       ? virtio_pci_find(fdt, VIRTIO_ID_NET, wanted, NULL)
			       : virtio_mmio_find(fdt, VIRTIO_ID_NET, wanted, NULL);
		if (vdev == NULL || !vnet_start(&vnet, vdev, vm)) {
			log_always("net: net.device = %s is not a usable "
				   "virtio-net device",
				   wanted);
			return false;
		}
	} else {
		int cursor = -1;
		while ((vdev = virtio_mmio_find(fdt, VIRTIO_ID_NET, NULL,
						&cursor)) != NULL &&
		       !vnet_start(&vnet, vdev, vm))
			;
		cursor = -1;
		while (vdev == NULL &&
		       (vdev = virtio_pci_find(fdt, VIRTIO_ID_NET, NULL,
					       &cursor)) != NULL &&
		       !vnet_start(&vnet, vdev, vm))
			vdev = NULL;
		if (vdev == NULL) {
			log_info("net: no virtio-net device; vigil has no network");
			return true;
		}
	}

	struct netdev *nd = &vnet.netdev;
	nd->name = vdev->name;
	nd->mtu = NET_MTU;
	nd->ops = &vnet_ops;
	nd->has_irq = vdev->intid != 0 &&
		      arch_irq_request(vdev->intid, vnet_irq, &vnet);
	if (!netdev_register(nd)) {
		log_always("net: %s: another NIC is registered already", nd->name);
		return false;
	}
	char irq[24];
	if (nd->has_irq)
		snprintf(irq, sizeof(irq), "INTID %u", vdev->intid);
	else
		snprintf(irq, sizeof(irq), "polled");
	log_info("net: %s: %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, link %s, %s, "
		 "queues %u/%u",
		 nd->name, vdev->ops->name, nd->mac[0], nd->mac[1], nd->mac[2],
		 nd->mac[3],
		 nd->mac[4], nd->mac[5], nd->link_up ? "up" : "down", irq,
		 vnet.rx.size, vnet.tx.size);
	return true;
}
HV_INIT(HV_INIT_DEVICE, virtio_net_init);
