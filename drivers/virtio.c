/*
 * virtio, transport-independent: device initialisation (3.1.1, and 3.1.2
 * for legacy devices) and split virtqueues (2.7), shared by virtio_mmio.c
 * and virtio_pci.c.
 */
#include <stdarg.h>
#include <stdio.h>

#include <arch_timer.h>
#include <vigil/log.h>
#include <vigil/pool.h>

#include "virtio.h"

#define RESET_TIMEOUT_NS 100000000ULL /* 100 ms */

/*
 * Ordering of the rings against the device (2.7.13, 2.7.14). The device
 * is an observer outside the CPUs' inner-shareable domain, so the
 * barriers are outer-shareable, as Linux's dma_*mb() on arm64. The full
 * barrier also orders memory before the notification's register write.
 */
#if defined(__aarch64__)
static inline void virtio_wmb(void)
{
	__asm__ volatile("dmb oshst" ::: "memory");
}
static inline void virtio_rmb(void)
{
	__asm__ volatile("dmb oshld" ::: "memory");
}
static inline void virtio_mb(void)
{
	__asm__ volatile("dmb osh" ::: "memory");
}
#else
static inline void virtio_wmb(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
static inline void virtio_rmb(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
static inline void virtio_mb(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
#endif

/* Ring fields the device writes (or reads) behind the compiler's back. */
static inline uint16_t ring_read16(const uint16_t *p)
{
	return *(const volatile uint16_t *)p;
}
static inline uint32_t ring_read32(const uint32_t *p)
{
	return *(const volatile uint32_t *)p;
}
static inline void ring_write16(uint16_t *p, uint16_t v)
{
	*(volatile uint16_t *)p = v;
}

/* ---- device initialisation ------------------------------------------ */

bool virtio_reset(struct virtio_dev *dev)
{
	uint64_t start = arch_timer_now_ns();

	dev->ops->set_status(dev, 0);
	/* The device may take a while to quiesce (4.1.4.3.2, 4.2.3.1). */
	while (dev->ops->get_status(dev) != 0) {
		if (arch_timer_now_ns() - start > RESET_TIMEOUT_NS) {
			log_warn("%s: device does not come out of reset",
				 dev->name);
			return false;
		}
	}
	return true;
}

void virtio_fail(struct virtio_dev *dev)
{
	dev->ops->set_status(dev, dev->ops->get_status(dev) |
					  VIRTIO_STATUS_FAILED);
}

bool virtio_negotiate(struct virtio_dev *dev, uint64_t required,
		      uint64_t optional)
{
	bool legacy = dev->ops->legacy;
	uint8_t status = VIRTIO_STATUS_ACKNOWLEDGE;

	if (!virtio_reset(dev))
		return false;
	dev->ops->set_status(dev, status);
	status |= VIRTIO_STATUS_DRIVER;
	dev->ops->set_status(dev, status);

	uint64_t offered = dev->ops->get_device_features(dev);
	/* A legacy device has no VERSION_1 to offer (its features are 32 bits). */
	if (!legacy)
		required |= BIT(VIRTIO_F_VERSION_1);
	if ((offered & required) != required) {
		log_warn("%s: device lacks required features 0x%llx "
			 "(offers 0x%llx)",
			 dev->name, (unsigned long long)(required & ~offered),
			 (unsigned long long)offered);
		virtio_fail(dev);
		return false;
	}
	/*
	 * A device behind an IOMMU offers ACCESS_PLATFORM and may refuse a
	 * driver that declines it. With identity-mapped memory (and no
	 * IOMMU set up by vigil) the addresses are the same either way.
	 */
	uint64_t accepted = required | (optional & offered) |
			    (offered & BIT(VIRTIO_F_ACCESS_PLATFORM));
	dev->ops->set_driver_features(dev, accepted);
	/* Legacy devices take the features as written: no FEATURES_OK (3.1.2). */
	if (!legacy) {
		status |= VIRTIO_STATUS_FEATURES_OK;
		dev->ops->set_status(dev, status);
		if (!(dev->ops->get_status(dev) & VIRTIO_STATUS_FEATURES_OK)) {
			log_warn("%s: device refused features 0x%llx", dev->name,
				 (unsigned long long)accepted);
			virtio_fail(dev);
			return false;
		}
	}
	dev->features = accepted;
	log_debug("%s: features offered 0x%llx, accepted 0x%llx", dev->name,
		  (unsigned long long)offered, (unsigned long long)accepted);
	return true;
}

void virtio_driver_ok(struct virtio_dev *dev)
{
	dev->ops->set_status(dev, dev->ops->get_status(dev) |
					  VIRTIO_STATUS_DRIVER_OK);
}

/* ---- split virtqueues ----------------------------------------------- */

static uint16_t round_down_pow2(uint16_t n)
{
	uint16_t p = 1;

	while ((uint32_t)p * 2 <= n)
		p = (uint16_t)(p * 2);
	return p;
}

struct virtq_layout virtq_layout(uint16_t size, bool legacy)
{
	struct virtq_layout l;

	/*
	 * desc (16-byte aligned), avail (2) with used_event, used (4) with
	 * avail_event. A legacy device finds avail and used from the
	 * descriptors' address alone: used starts at the next
	 * VIRTQ_LEGACY_ALIGN boundary (2.7.2).
	 */
	l.avail = (size_t)size * sizeof(struct virtq_desc);
	l.used = ALIGN_UP(l.avail + 6 + 2 * (size_t)size,
			  legacy ? VIRTQ_LEGACY_ALIGN : 4);
	l.bytes = l.used + 6 + 8 * (size_t)size;
	return l;
}

bool virtq_setup(struct virtqueue *vq, struct virtio_dev *dev, uint16_t index,
		 uint16_t max_size)
{
	uint16_t dev_max = dev->ops->queue_max_size(dev, index);

	if (dev_max == 0) {
		log_warn("%s: no queue %u", dev->name, index);
		return false;
	}
	/* Split queue sizes are powers of 2 (2.7). */
	uint16_t size = round_down_pow2(dev_max < max_size ? dev_max : max_size);

	/*
	 * The rings, then our own flags. Page-aligned, as a legacy device
	 * needs: it is given the descriptors' page number.
	 */
	struct virtq_layout l = virtq_layout(size, dev->ops->legacy);
	size_t flags_off = l.bytes;
	size_t bytes = flags_off + size;
	uint8_t *mem = pool_alloc_pages(ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE);
	if (mem == NULL) {
		log_warn("%s: no memory for queue %u", dev->name, index);
		return false;
	}

	*vq = (struct virtqueue){
		.dev = dev,
		.index = index,
		.size = size,
		.desc = (struct virtq_desc *)mem,
		.avail = (struct virtq_avail *)(mem + l.avail),
		.used = (struct virtq_used *)(mem + l.used),
		.outstanding = (bool *)(mem + flags_off),
		.nr_free = size,
	};
	for (uint16_t i = 0; i + 1 < size; i++)
		vq->desc[i].next = (uint16_t)(i + 1);
	if (!dev->ops->queue_enable(dev, vq)) {
		log_warn("%s: cannot enable queue %u", dev->name, index);
		return false;
	}
	return true;
}

void virtq_suppress_interrupts(struct virtqueue *vq)
{
	ring_write16(&vq->avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
}

int virtq_get_desc(struct virtqueue *vq)
{
	if (vq->nr_free == 0)
		return -1;
	uint16_t id = vq->free_head;
	vq->free_head = vq->desc[id].next;
	vq->nr_free--;
	return id;
}

void virtq_put_desc(struct virtqueue *vq, uint16_t id)
{
	vq->desc[id].next = vq->free_head;
	vq->free_head = id;
	vq->nr_free++;
}

void virtq_submit(struct virtqueue *vq, uint16_t id, uint64_t addr,
		  uint32_t len, bool device_writes)
{
	struct virtq_desc *d = &vq->desc[id];

	d->addr = addr;
	d->len = len;
	d->flags = device_writes ? VIRTQ_DESC_F_WRITE : 0;
	vq->avail->ring[vq->next_avail & (vq->size - 1)] = id;
	vq->next_avail++;
	vq->outstanding[id] = true;
}

void virtq_kick(struct virtqueue *vq)
{
	if (ring_read16(&vq->avail->idx) == vq->next_avail)
		return;
	/* Descriptors and ring entries before the index that publishes them. */
	virtio_wmb();
	ring_write16(&vq->avail->idx, vq->next_avail);
	/* The index before the device's "no notify" flag is read (2.7.13.4). */
	virtio_mb();
	if (!(ring_read16(&vq->used->flags) & VIRTQ_USED_F_NO_NOTIFY))
		vq->dev->ops->notify(vq->dev, vq);
}

bool virtq_next_used(struct virtqueue *vq, uint16_t *id, uint32_t *len)
{
	static bool complained;

	while (ring_read16(&vq->used->idx) != vq->last_used) {
		/* The entry and the buffer after the index that covers them. */
		virtio_rmb();
		const struct virtq_used_elem *e =
			&vq->used->ring[vq->last_used & (vq->size - 1)];
		uint32_t used_id = ring_read32(&e->id);
		uint32_t used_len = ring_read32(&e->len);
		vq->last_used++;

		/* A device that returns what it does not own is broken. */
		if (used_id >= vq->size || !vq->outstanding[used_id]) {
			if (!complained)
				log_warn("%s: queue %u: bogus used id %u ignored",
					 vq->dev->name, vq->index, used_id);
			complained = true;
			continue;
		}
		vq->outstanding[used_id] = false;
		*id = (uint16_t)used_id;
		*len = used_len < vq->desc[used_id].len ? used_len
							 : vq->desc[used_id].len;
		return true;
	}
	return false;
}

const char *virtio_id_name(uint32_t device_id)
{
	switch (device_id) {
	case VIRTIO_ID_NET: return "net";
	case 2: return "blk";
	case 3: return "console";
	case 4: return "rng";
	default: return "device";
	}
}

void virtio_note(bool always, const char *fmt, ...)
{
	char line[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (always)
		log_always("%s", line);
	else
		log_info("%s", line);
}
