/*
 * virtio for the devices vigil keeps: what does not depend on the
 * transport (status and feature negotiation, split virtqueues) and the
 * interface the transports implement (virtio_mmio.c for virtio-mmio
 * version 2 and legacy version 1, virtio_pci.c for modern virtio-pci).
 *
 * Section numbers refer to the virtio 1.2 specification. vigil runs
 * little-endian, as virtio 1.x structures are (and legacy ones, which are
 * in the driver's byte order, then are too), and its memory is identity
 * mapped, so a buffer's address is also the address the device DMAs to.
 * Everything runs on the boot CPU with interrupts masked: no locking.
 */
#ifndef DRIVERS_VIRTIO_H
#define DRIVERS_VIRTIO_H

#include <vigil/types.h>

/* Device status (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* Transport-independent feature bits (6). */
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33

/* Interrupt status (ISR) bits, common to both transports (4.1.4.5, 4.2.2). */
#define VIRTIO_ISR_QUEUE 0x1
#define VIRTIO_ISR_CONFIG 0x2

/* Device ids (5). */
#define VIRTIO_ID_NET 1

struct vm;
struct virtio_dev;

/* Split virtqueue layout (2.7). */
/*
 * A legacy device takes a queue as one block: descriptors, available
 * ring, padding, used ring (2.7.2 "Legacy Interfaces"). The used ring
 * starts on this boundary; vigil tells a virtio-mmio device so (QueueAlign)
 * and it is what a legacy virtio-pci device assumes.
 */
#define VIRTQ_LEGACY_ALIGN 4096
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* then used_event, unused without EVENT_IDX */
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[]; /* then avail_event */
};

/*
 * One split virtqueue. Descriptors are used one at a time (no chains):
 * every buffer vigil hands over is a single contiguous block.
 */
struct virtqueue {
	struct virtio_dev *dev;
	uint16_t index;
	uint16_t size;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t next_avail; /* avail->idx once published */
	uint16_t last_used;  /* next used->ring entry to look at */
	uint16_t free_head;  /* free descriptors, chained through .next */
	uint16_t nr_free;
	bool *outstanding;   /* per descriptor: owned by the device */
	uint64_t notify;     /* transport's notification address */
};

/*
 * What a transport provides. Register accesses only; the order of the
 * initialisation steps is in virtio.c.
 */
struct virtio_transport_ops {
	/* "virtio-mmio v2", for the log line that says which device was taken. */
	const char *name;
	/*
	 * The legacy interface (virtio 0.9.5, virtio-mmio version 1): 32
	 * feature bits, no VERSION_1 and no FEATURES_OK (3.1.2), queues laid
	 * out in one block (VIRTQ_LEGACY_ALIGN), no configuration generation
	 * (config_generation reads 0).
	 */
	bool legacy;
	uint8_t (*get_status)(struct virtio_dev *dev);
	void (*set_status)(struct virtio_dev *dev, uint8_t status);
	uint64_t (*get_device_features)(struct virtio_dev *dev);
	void (*set_driver_features)(struct virtio_dev *dev, uint64_t features);
	/* Largest size the device allows for queue index; 0: no such queue. */
	uint16_t (*queue_max_size)(struct virtio_dev *dev, uint16_t index);
	/* Hand the queue's rings to the device and enable the queue. */
	bool (*queue_enable)(struct virtio_dev *dev, struct virtqueue *vq);
	void (*notify)(struct virtio_dev *dev, struct virtqueue *vq);
	/* Device-specific configuration space, at natural widths. */
	uint8_t (*config_read8)(struct virtio_dev *dev, uint32_t offset);
	uint16_t (*config_read16)(struct virtio_dev *dev, uint32_t offset);
	uint8_t (*config_generation)(struct virtio_dev *dev);
	/* Read and acknowledge the interrupt status (VIRTIO_ISR_*). */
	uint32_t (*ack_interrupt)(struct virtio_dev *dev);
	/*
	 * Take the device away from the guest (device tree, stage 2, config
	 * space) and find its interrupt: sets dev->intid, 0 when the device
	 * must be polled.
	 */
	bool (*claim)(struct virtio_dev *dev, struct vm *vm);
};

struct virtio_dev {
	const struct virtio_transport_ops *ops;
	char name[40];      /* "virtio-net@a003e00", "virtio-net@pci:00:02.0" */
	uint64_t features;  /* negotiated */
	uint32_t intid;     /* physical interrupt, 0: none (poll) */
};

/*
 * Transports: find a virtio device of type device_id, for the driver of
 * that type to initialise and claim. With where (a device-tree path, or
 * "pci:BB:DD.F"), that device or NULL with a log line saying why; without,
 * the next one after *cursor (start with -1), in device-tree order or bus,
 * device, function order. Devices with an interface the transport does not
 * speak (legacy virtio-pci, unknown virtio-mmio versions) are skipped with
 * a log line. The result lives until the next call.
 */
struct virtio_dev *virtio_mmio_find(const void *fdt, uint32_t device_id,
				    const char *where, int *cursor);
struct virtio_dev *virtio_pci_find(const void *fdt, uint32_t device_id,
				   const char *where, int *cursor);

/*
 * Why a device is not used: always printed when the user named it
 * (always), at log level info otherwise.
 */
void virtio_note(bool always, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "net" for VIRTIO_ID_NET, for names and log lines. */
const char *virtio_id_name(uint32_t device_id);

/* Reset the device; false if it does not come out of reset. */
bool virtio_reset(struct virtio_dev *dev);

/*
 * The start of initialisation (3.1.1): reset, ACKNOWLEDGE, DRIVER, then
 * features. required must all be offered; optional ones are taken when
 * offered. VIRTIO_F_VERSION_1 is required, and FEATURES_OK set, unless
 * the transport is legacy (3.1.2), where neither exists. On success
 * dev->features holds the result.
 */
bool virtio_negotiate(struct virtio_dev *dev, uint64_t required,
		      uint64_t optional);

/* The last step of initialisation: the device may now use its queues. */
void virtio_driver_ok(struct virtio_dev *dev);

/* Give up on the device (status FAILED). */
void virtio_fail(struct virtio_dev *dev);

static inline bool virtio_has_feature(const struct virtio_dev *dev,
				      unsigned int bit)
{
	return (dev->features >> bit) & 1;
}

/* Where a split virtqueue's parts lie in its block of memory (2.7). */
struct virtq_layout {
	size_t avail, used; /* offsets; the descriptors are at 0 */
	size_t bytes;       /* what the device may touch */
};
struct virtq_layout virtq_layout(uint16_t size, bool legacy);

/*
 * Allocate queue index with up to max_size descriptors (the device may
 * allow fewer) from the hypervisor pool and enable it.
 */
bool virtq_setup(struct virtqueue *vq, struct virtio_dev *dev, uint16_t index,
		 uint16_t max_size);

/* Ask the device not to interrupt when it uses this queue's buffers. */
void virtq_suppress_interrupts(struct virtqueue *vq);

/* Take a free descriptor; -1 when all are with the device. */
int virtq_get_desc(struct virtqueue *vq);
/*
 * Hand descriptor id, pointing at [addr, addr + len), to the device
 * (device_writes: a receive buffer). Seen by the device at virtq_kick().
 */
void virtq_submit(struct virtqueue *vq, uint16_t id, uint64_t addr,
		  uint32_t len, bool device_writes);
/* Publish what was submitted and notify the device if it wants that. */
void virtq_kick(struct virtqueue *vq);
/*
 * The next buffer the device has finished with: its descriptor id and the
 * bytes the device wrote. The descriptor stays taken: submit it again or
 * give it back with virtq_put_desc(). False when there is none.
 */
bool virtq_next_used(struct virtqueue *vq, uint16_t *id, uint32_t *len);
void virtq_put_desc(struct virtqueue *vq, uint16_t id);

#endif
