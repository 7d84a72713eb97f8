/*
 * virtio-net definitions that do not depend on vigil's driver state
 * (virtio 1.2, 5.1), kept apart from virtio_net.c so that host tests can
 * check them.
 */
#ifndef DRIVERS_VIRTIO_NET_H
#define DRIVERS_VIRTIO_NET_H

#include "virtio.h"

#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16

/*
 * The header in front of every frame (5.1.6): struct virtio_net_hdr, 12
 * bytes with num_buffers, which is there with VIRTIO_F_VERSION_1 or
 * mergeable receive buffers; 10 without either, as on a legacy device
 * that was not given VIRTIO_NET_F_MRG_RXBUF (5.1.6.1 "Legacy Interface").
 */
static inline size_t virtio_net_hdr_size(const struct virtio_dev *dev)
{
	return virtio_has_feature(dev, VIRTIO_F_VERSION_1) ||
			       virtio_has_feature(dev, VIRTIO_NET_F_MRG_RXBUF)
		       ? 12
		       : 10;
}

#endif
