# arch/arm64/: everything that knows it runs on AArch64.
arm64-objs := entry.o cpu.o mm.o pgtable.o vcpu.o exceptions.o sysreg_trap.o cpufeatures.o debug.o \
	gicv3.o vgic.o timer.o firmware.o
OBJS_arch := $(addprefix $(BUILD)/arch/arm64/,$(arm64-objs))
$(OBJS_arch): CFLAGS_DIR := $(INC_CORE) -I$(BUILD)/include
$(OBJS_arch): $(BUILD)/include/generated/asm-offsets.h
