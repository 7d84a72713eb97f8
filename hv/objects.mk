# hv/: the architecture-neutral core.
hv-objs := main.o vm.o psci.o mmio.o config.o console.o console_mark.o panic.o pool.o \
	libc_glue.o platform.o guest_dt.o idle.o vtime.o
OBJS_hv := $(addprefix $(BUILD)/hv/,$(hv-objs))
$(OBJS_hv): CFLAGS_DIR := $(INC_CORE) $(INC_FDT)
