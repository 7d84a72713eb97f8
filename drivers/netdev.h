/*
 * The NIC vigil keeps for itself, as the network stack sees it. A driver
 * (virtio-net today) finds the device named by vigil.cfg "net.device",
 * hides it from the guest and registers it; the stack (lwIP glue, in
 * drivers/net.c) attaches at init level HV_INIT_LATE.
 *
 * Frames are whole Ethernet frames without FCS. Everything runs at EL2 on
 * the CPU that takes the NIC's interrupt (the boot CPU), with interrupts
 * masked: no locking between driver and stack.
 */
#ifndef DRIVERS_NETDEV_H
#define DRIVERS_NETDEV_H

#include <vigil/types.h>

#define NETDEV_MAX_FRAME 1514

struct netdev;

struct netdev_ops {
	/* Queue one frame; false (frame dropped) when the ring is full. */
	bool (*transmit)(struct netdev *dev, const void *frame, size_t len);
	/*
	 * Reclaim sent buffers and hand every received frame to
	 * dev->receive; returns the number of frames received. Called from
	 * the NIC's interrupt and from vigil's polling paths.
	 */
	unsigned int (*poll)(struct netdev *dev);
};

struct netdev {
	const char *name; /* e.g. "virtio-net@a003e00" */
	uint8_t mac[6];
	uint16_t mtu;
	bool link_up;
	const struct netdev_ops *ops;
	/* Set by the stack before the device can receive. */
	void (*receive)(struct netdev *dev, const void *frame, size_t len);
	void *stack_priv;
	/* Set by the driver: interrupt-driven, or the stack must poll. */
	bool has_irq;
};

/* At HV_INIT_DEVICE: the one NIC vigil owns. False if one is registered. */
bool netdev_register(struct netdev *dev);
/* NULL when vigil has no NIC (no virtio-net, or none usable). */
struct netdev *netdev_get(void);

#endif
