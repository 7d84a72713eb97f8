# drivers/: devices vigil owns and the device models it gives the guest.
drivers-objs := pl011.o
OBJS_drivers := $(addprefix $(BUILD)/drivers/,$(drivers-objs))
$(OBJS_drivers): CFLAGS_DIR := $(INC_CORE)
