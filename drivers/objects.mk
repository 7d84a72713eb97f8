# drivers/: devices vigil owns and the device models it gives the guest.
drivers-objs := pl011.o
drivers-objs += net.o
drivers-objs += netdev.o dt.o pci.o virtio.o virtio_mmio.o virtio_pci.o virtio_net.o
OBJS_drivers := $(addprefix $(BUILD)/drivers/,$(drivers-objs))
$(OBJS_drivers): CFLAGS_DIR := $(INC_CORE) $(INC_FDT)
