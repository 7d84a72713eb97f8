# debug/: the GDB stub. The protocol layer (rsp, gdb, xfer) and the
# register table are pure C over target.h, tested on the host; target.c is
# the machine (vCPUs, memory through walk.c, breakpoints, run control) and
# transport.c the TCP listener over lwIP.
debug-objs := rsp.o gdb.o xfer.o regs.o walk.o target.o transport.o
OBJS_debug := $(addprefix $(BUILD)/debug/,$(debug-objs))
$(OBJS_debug): CFLAGS_DIR := $(INC_CORE) $(INC_LWIP)
