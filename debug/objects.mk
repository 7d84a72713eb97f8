# debug/: the GDB stub. The protocol layer (rsp, gdb, xfer) and the
# register table are pure C over target.h; the lead adds target.o,
# transport.o and walk.o (the machine, TCP and the page walker).
debug-objs := rsp.o gdb.o xfer.o regs.o
OBJS_debug := $(addprefix $(BUILD)/debug/,$(debug-objs))
$(OBJS_debug): CFLAGS_DIR := $(INC_CORE) $(INC_LWIP)
