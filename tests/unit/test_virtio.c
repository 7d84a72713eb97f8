/*
 * drivers/virtio.c: device initialisation and split virtqueues, against a
 * fake transport whose "device" side the tests play by hand.
 */
#include <string.h>

#include <vigil/pool.h>

#include "../../drivers/virtio.h"
#include "../../drivers/virtio_net.h"
#include "fake/fake.h"
#include "test.h"

struct fake_device {
	struct virtio_dev vdev; /* first: the ops get this pointer back */
	uint8_t status;
	uint8_t status_bits_written; /* every bit ever written to status */
	bool stuck_in_reset;      /* status never reads back 0 */
	bool refuse_features;     /* FEATURES_OK does not stick */
	uint64_t offered, driver_features;
	uint16_t queue_max;
	struct virtqueue *enabled[2];
	unsigned int notifies;
};

static struct fake_device dev;

static struct fake_device *fake(struct virtio_dev *vdev)
{
	return (struct fake_device *)vdev;
}

static uint8_t fake_get_status(struct virtio_dev *vdev)
{
	struct fake_device *d = fake(vdev);

	if (d->stuck_in_reset) {
		fake_arch.now_ns += 1000000; /* time passes while we wait */
		return VIRTIO_STATUS_ACKNOWLEDGE;
	}
	return d->status;
}

static void fake_set_status(struct virtio_dev *vdev, uint8_t status)
{
	struct fake_device *d = fake(vdev);

	d->status_bits_written |= status;
	if (d->refuse_features)
		status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	d->status = status;
}

static uint64_t fake_get_device_features(struct virtio_dev *vdev)
{
	return fake(vdev)->offered;
}

static void fake_set_driver_features(struct virtio_dev *vdev, uint64_t f)
{
	fake(vdev)->driver_features = f;
}

static uint16_t fake_queue_max_size(struct virtio_dev *vdev, uint16_t index)
{
	return index < 2 ? fake(vdev)->queue_max : 0;
}

static bool fake_queue_enable(struct virtio_dev *vdev, struct virtqueue *vq)
{
	fake(vdev)->enabled[vq->index] = vq;
	return true;
}

static void fake_notify(struct virtio_dev *vdev, struct virtqueue *vq)
{
	(void)vq;
	fake(vdev)->notifies++;
}

static const struct virtio_transport_ops fake_ops = {
	.name = "fake",
	.get_status = fake_get_status,
	.set_status = fake_set_status,
	.get_device_features = fake_get_device_features,
	.set_driver_features = fake_set_driver_features,
	.queue_max_size = fake_queue_max_size,
	.queue_enable = fake_queue_enable,
	.notify = fake_notify,
};

/* The same device behind a legacy transport (setup_legacy()). */
static struct virtio_transport_ops fake_legacy_ops;

static uint8_t pool_memory[1 << 20] __attribute__((aligned(4096)));

static void setup(void)
{
	struct mem_range pool = {(uint64_t)(uintptr_t)pool_memory,
				 sizeof(pool_memory)};

	memset(&dev, 0, sizeof(dev));
	dev.vdev.ops = &fake_ops;
	strcpy(dev.vdev.name, "virtio-test@0");
	dev.offered = BIT(VIRTIO_F_VERSION_1) | BIT(5) | BIT(15);
	dev.queue_max = 256;
	pool_init(&pool);
}

/* A legacy device: 32 feature bits, so no VERSION_1 among them. */
static void setup_legacy(void)
{
	setup();
	fake_legacy_ops = fake_ops;
	fake_legacy_ops.name = "fake legacy";
	fake_legacy_ops.legacy = true;
	dev.vdev.ops = &fake_legacy_ops;
	dev.offered = BIT(5) | BIT(15) | BIT(24);
}

/* The device's side: it has finished with descriptor id. */
static void device_uses(struct virtqueue *vq, uint32_t id, uint32_t len)
{
	struct virtq_used_elem *e = &vq->used->ring[vq->used->idx % vq->size];

	e->id = id;
	e->len = len;
	vq->used->idx++;
}

/* ---- initialisation -------------------------------------------------- */

TEST(negotiate_takes_offered_optional_features)
{
	setup();
	ASSERT_TRUE(virtio_negotiate(&dev.vdev, 0, BIT(5) | BIT(16)));
	/* VERSION_1 always, bit 5 offered and wanted, bit 16 not offered,
	 * bit 15 offered and not wanted. */
	EXPECT_EQ(BIT(VIRTIO_F_VERSION_1) | BIT(5), dev.driver_features);
	EXPECT_EQ(dev.driver_features, dev.vdev.features);
	EXPECT_EQ(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			  VIRTIO_STATUS_FEATURES_OK,
		  dev.status);
	virtio_driver_ok(&dev.vdev);
	EXPECT_TRUE(dev.status & VIRTIO_STATUS_DRIVER_OK);
}

TEST(negotiate_accepts_access_platform_when_offered)
{
	setup();
	dev.offered |= BIT(VIRTIO_F_ACCESS_PLATFORM);
	ASSERT_TRUE(virtio_negotiate(&dev.vdev, 0, 0));
	EXPECT_EQ(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_ACCESS_PLATFORM),
		  dev.vdev.features);
}

/*
 * On a virtio 1.x transport a device without VERSION_1 is not one vigil
 * can drive (legacy devices come through a legacy transport).
 */
TEST(negotiate_refuses_modern_transport_device_without_version_1)
{
	setup();
	dev.offered = BIT(5);
	EXPECT_FALSE(virtio_negotiate(&dev.vdev, 0, BIT(5)));
	EXPECT_TRUE(dev.status & VIRTIO_STATUS_FAILED);
	EXPECT_TRUE(fake_log_contains("lacks required features 0x100000000"));
}

/* 3.1.2: no VERSION_1 to ask for, and no FEATURES_OK step. */
TEST(negotiate_legacy_without_version_1_or_features_ok)
{
	setup_legacy();
	ASSERT_TRUE(virtio_negotiate(&dev.vdev, 0, BIT(5) | BIT(16)));
	EXPECT_EQ(BIT(5), dev.driver_features);
	EXPECT_EQ(BIT(5), dev.vdev.features);
	EXPECT_EQ(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, dev.status);
	EXPECT_EQ(0, dev.status_bits_written & VIRTIO_STATUS_FEATURES_OK);
	EXPECT_FALSE(virtio_has_feature(&dev.vdev, VIRTIO_F_VERSION_1));
	virtio_driver_ok(&dev.vdev);
	EXPECT_EQ(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			  VIRTIO_STATUS_DRIVER_OK,
		  dev.status);
}

TEST(negotiate_legacy_still_refuses_missing_required_features)
{
	setup_legacy();
	EXPECT_FALSE(virtio_negotiate(&dev.vdev, BIT(16), 0));
	EXPECT_TRUE(dev.status & VIRTIO_STATUS_FAILED);
	EXPECT_TRUE(fake_log_contains("lacks required features 0x10000 "));
}

TEST(negotiate_fails_when_features_ok_does_not_stick)
{
	setup();
	dev.refuse_features = true;
	EXPECT_FALSE(virtio_negotiate(&dev.vdev, 0, 0));
	EXPECT_TRUE(dev.status & VIRTIO_STATUS_FAILED);
	EXPECT_TRUE(fake_log_contains("device refused features"));
}

TEST(reset_gives_up_on_a_stuck_device)
{
	setup();
	dev.stuck_in_reset = true;
	EXPECT_FALSE(virtio_reset(&dev.vdev));
	EXPECT_TRUE(fake_log_contains("does not come out of reset"));
}

/* ---- virtqueues ------------------------------------------------------ */

TEST(queue_size_is_a_power_of_two_within_both_limits)
{
	struct virtqueue vq;

	setup();
	dev.queue_max = 100;
	ASSERT_TRUE(virtq_setup(&vq, &dev.vdev, 0, 128));
	EXPECT_EQ(64, vq.size);
	EXPECT_EQ(&vq, dev.enabled[0]);
	ASSERT_TRUE(virtq_setup(&vq, &dev.vdev, 1, 16));
	EXPECT_EQ(16, vq.size);
	/* Alignment the device requires (2.7): 16, 2, 4 bytes. */
	EXPECT_EQ(0, (uintptr_t)vq.desc % 16);
	EXPECT_EQ(0, (uintptr_t)vq.avail % 2);
	EXPECT_EQ(0, (uintptr_t)vq.used % 4);
	EXPECT_TRUE((uint8_t *)vq.avail >= (uint8_t *)(vq.desc + vq.size));
	EXPECT_TRUE((uint8_t *)vq.used >=
		    (uint8_t *)&vq.avail->ring[vq.size] + 2);
	EXPECT_FALSE(virtq_setup(&vq, &dev.vdev, 2, 16)); /* no such queue */
}

/*
 * 2.7.2 legacy layout: avail right after the descriptors, used at the
 * next VIRTQ_LEGACY_ALIGN boundary, all of it one block.
 */
TEST(legacy_layout_puts_used_ring_on_the_next_4k_boundary)
{
	struct virtq_layout l = virtq_layout(64, true);

	EXPECT_EQ(64 * 16, l.avail);
	EXPECT_EQ(4096, l.used); /* 1024 + 6 + 128 rounded up */
	EXPECT_EQ(4096 + 6 + 8 * 64, l.bytes);
	l = virtq_layout(256, true);
	EXPECT_EQ(4096, l.avail);
	EXPECT_EQ(8192, l.used); /* 4096 + 6 + 512 rounded up */
	EXPECT_EQ(8192 + 6 + 8 * 256, l.bytes);
	/* A modern queue's rings only need 4-byte alignment. */
	l = virtq_layout(256, false);
	EXPECT_EQ(4096, l.avail);
	EXPECT_EQ(4616, l.used); /* 4096 + 6 + 512 rounded up to 4 */
}

/*
 * A legacy device knows only the descriptors' page: the rings vigil uses
 * must be where the device computes them from that page.
 */
TEST(legacy_queue_is_where_the_device_looks_for_it)
{
	struct virtqueue vq;
	uint16_t id;
	uint32_t len;

	setup_legacy();
	dev.queue_max = 1024;
	ASSERT_TRUE(virtq_setup(&vq, &dev.vdev, 0, 128));
	ASSERT_EQ(128, vq.size);
	uintptr_t desc = (uintptr_t)vq.desc;
	EXPECT_EQ(0, desc % 4096);
	EXPECT_EQ(desc + 128 * 16, (uintptr_t)vq.avail);
	EXPECT_EQ(desc + ALIGN_UP(128 * 16 + 6 + 2 * 128, VIRTQ_LEGACY_ALIGN),
		  (uintptr_t)vq.used);
	/* Our own bookkeeping comes after the used ring's avail_event. */
	EXPECT_TRUE((uint8_t *)vq.outstanding >=
		    (uint8_t *)&vq.used->ring[vq.size] + 2);

	/* And the queue works as a modern one does. */
	int a = virtq_get_desc(&vq);
	virtq_submit(&vq, (uint16_t)a, 0x1000, 64, true);
	virtq_kick(&vq);
	EXPECT_EQ(1, dev.notifies);
	device_uses(&vq, (uint32_t)a, 42);
	ASSERT_TRUE(virtq_next_used(&vq, &id, &len));
	EXPECT_EQ(a, id);
	EXPECT_EQ(42, len);
}

/* 5.1.6: num_buffers is there with VERSION_1 or MRG_RXBUF, else 10 bytes. */
TEST(net_header_size_follows_the_negotiated_features)
{
	setup();
	dev.vdev.features = BIT(VIRTIO_F_VERSION_1);
	EXPECT_EQ(12, virtio_net_hdr_size(&dev.vdev));
	dev.vdev.features = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC);
	EXPECT_EQ(12, virtio_net_hdr_size(&dev.vdev));
	dev.vdev.features = BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS);
	EXPECT_EQ(10, virtio_net_hdr_size(&dev.vdev));
	dev.vdev.features = BIT(VIRTIO_NET_F_MRG_RXBUF);
	EXPECT_EQ(12, virtio_net_hdr_size(&dev.vdev));
}

/* What vigil's driver negotiates on a legacy NIC: the 10-byte header. */
TEST(legacy_net_negotiation_gives_the_short_header)
{
	setup_legacy();
	dev.offered = BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_MRG_RXBUF) |
		      BIT(VIRTIO_NET_F_STATUS);
	ASSERT_TRUE(virtio_negotiate(&dev.vdev, 0,
				     BIT(VIRTIO_NET_F_MAC) |
					     BIT(VIRTIO_NET_F_STATUS)));
	EXPECT_EQ(10, virtio_net_hdr_size(&dev.vdev));
}

TEST(descriptors_run_out_and_come_back)
{
	struct virtqueue vq;

	setup();
	ASSERT_TRUE(virtq_setup(&vq, &dev.vdev, 0, 8));
	bool seen[8] = {false};
	for (int i = 0; i < 8; i++) {
		int id = virtq_get_desc(&vq);
		ASSERT_TRUE(id >= 0 && id < 8);
		EXPECT_FALSE(seen[id]);
		seen[id] = true;
	}
	EXPECT_EQ(-1, virtq_get_desc(&vq));
	virtq_put_desc(&vq, 5);
	EXPECT_EQ(5, virtq_get_desc(&vq));
}

TEST(kick_publishes_and_notifies_unless_told_not_to)
{
	struct virtqueue vq;

	setup();
	ASSERT_TRUE(virtq_setup(&vq, &dev.vdev, 0, 8));
	int id = virtq_get_desc(&vq);
	virtq_submit(&vq, (uint16_t)id, 0x1000, 100, true);
	EXPECT_EQ(0, vq.avail->idx); /* not before the kick */
	virtq_kick(&vq);
	EXPECT_EQ(1, vq.avail->idx);
	EXPECT_EQ(id, vq.avail->ring[0]);
	EXPECT_EQ(0x1000, vq.desc[id].addr);
	EXPECT_EQ(100, vq.desc[id].len);
	EXPECT_EQ(VIRTQ_DESC_F_WRITE, vq.desc[id].flags);
	EXPECT_EQ(1, dev.notifies);

	virtq_kick(&vq); /* nothing new: no notification */
	EXPECT_EQ(1, dev.notifies);

	vq.used->flags = VIRTQ_USED_F_NO_NOTIFY;
	id = virtq_get_desc(&vq);
	virtq_submit(&vq, (uint16_t)id, 0x2000, 10, false);
	virtq_kick(&vq);
	EXPECT_EQ(2, vq.avail->idx);
	EXPECT_EQ(0, vq.desc[id].flags);
	EXPECT_EQ(1, dev.notifies);
}

TEST(used_buffers_come_back_in_order_with_clamped_length)
{
	struct virtqueue vq;
	uint16_t id;
	uint32_t len;

	setup();
	ASSERT_TRUE(virtq_setup(&vq, &dev.vdev, 0, 8));
	int a = virtq_get_desc(&vq), b = virtq_get_desc(&vq);
	virtq_submit(&vq, (uint16_t)a, 0x1000, 64, true);
	virtq_submit(&vq, (uint16_t)b, 0x2000, 64, true);
	virtq_kick(&vq);
	EXPECT_FALSE(virtq_next_used(&vq, &id, &len));

	device_uses(&vq, (uint32_t)b, 60);
	device_uses(&vq, (uint32_t)a, 1000); /* more than the buffer holds */
	ASSERT_TRUE(virtq_next_used(&vq, &id, &len));
	EXPECT_EQ(b, id);
	EXPECT_EQ(60, len);
	ASSERT_TRUE(virtq_next_used(&vq, &id, &len));
	EXPECT_EQ(a, id);
	EXPECT_EQ(64, len);
	EXPECT_FALSE(virtq_next_used(&vq, &id, &len));
}

TEST(bogus_used_entries_are_skipped)
{
	struct virtqueue vq;
	uint16_t id;
	uint32_t len;

	setup();
	ASSERT_TRUE(virtq_setup(&vq, &dev.vdev, 0, 8));
	int a = virtq_get_desc(&vq);
	virtq_submit(&vq, (uint16_t)a, 0x1000, 64, true);
	virtq_kick(&vq);
	device_uses(&vq, 99, 10);            /* out of range */
	device_uses(&vq, (uint32_t)a + 1, 10); /* never handed over */
	device_uses(&vq, (uint32_t)a, 10);
	device_uses(&vq, (uint32_t)a, 10);   /* handed back twice */
	ASSERT_TRUE(virtq_next_used(&vq, &id, &len));
	EXPECT_EQ(a, id);
	EXPECT_FALSE(virtq_next_used(&vq, &id, &len));
}

/* The 16-bit ring indexes wrap; a queue must not notice. */
TEST(indexes_wrap_around)
{
	struct virtqueue vq;
	uint16_t id;
	uint32_t len;

	setup();
	ASSERT_TRUE(virtq_setup(&vq, &dev.vdev, 0, 4));
	for (int round = 0; round < 70000; round++) {
		int d = virtq_get_desc(&vq);
		ASSERT_TRUE(d >= 0);
		virtq_submit(&vq, (uint16_t)d, 0x1000, 64, false);
		virtq_kick(&vq);
		device_uses(&vq, (uint32_t)d, 0);
		ASSERT_TRUE(virtq_next_used(&vq, &id, &len));
		ASSERT_EQ(d, id);
		virtq_put_desc(&vq, id);
	}
	EXPECT_EQ((uint16_t)70000, vq.avail->idx);
	EXPECT_EQ(4, vq.nr_free);
}
