# vigil: non-recursive build. Every folder contributes an objects.mk; all
# output goes to build/ (BUILD=dir to change). Third-party code is set up
# by tools/setup-deps.sh into build/deps/ from Debian's archive.
#
#   make          build/vigil.efi (installs and builds dependencies first)
#   make run      boot the default guest under vigil in QEMU
#   make test     every test; the last line is "N passed, N failed"
#   make lint     layering check (who may include what)
#   make unit     host unit tests only (ASan/UBSan)
#   make bench    exact EL2 instruction counts under QEMU -icount

BUILD ?= build
CROSS ?= aarch64-linux-gnu-
CC := $(CROSS)gcc
LD := $(CROSS)ld
OBJCOPY := $(CROSS)objcopy
HOSTCC ?= gcc
# Extra compiler flags for our code, e.g. build variants for `make bench`.
EXTRA_CFLAGS ?=
# V=1 shows every command.
Q := $(if $(V),,@)

# DEPS can point at another build's dependencies (build variants share them).
DEPS ?= $(BUILD)/deps
DEPS_STAMP := $(DEPS)/stamps/all
GNUEFI := $(DEPS)/gnu-efi
NEWLIB := $(DEPS)/newlib/aarch64-none-elf
LIBFDT_SRC := $(DEPS)/libfdt
LWIP_SRC := $(DEPS)/lwip/src

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

# Include paths, handed out per folder (see DESIGN.md, "Layout").
INC_CORE := -Ihv/include -Iarch/arm64/include
INC_FDT := -isystem $(LIBFDT_SRC)
INC_EFI := -isystem $(GNUEFI)/inc -isystem $(GNUEFI)/inc/aarch64 -isystem $(GNUEFI)/inc/protocol
# lwIP's headers, and our lwipopts.h + arch/cc.h for it (drivers/lwip/).
INC_LWIP := -I$(LWIP_SRC)/include -Idrivers/lwip

# What only the cross compiler can tell (its own headers, libgcc) is asked
# when a recipe first needs it, never while this file is parsed: on a fresh
# machine the compiler does not exist yet at parse time; $(DEPS_STAMP), a
# prerequisite of every recipe that uses these, installs it. Each value is
# asked once per make run (the eval replaces the variable with its result).
CC_INCLUDE = $(eval CC_INCLUDE := $$(shell $$(CC) -print-file-name=include))$(CC_INCLUDE)
LIBGCC = $(eval LIBGCC := $$(shell $$(CC) -print-libgcc-file-name))$(LIBGCC)

# EL2 code never touches FP/SIMD (it holds the guest's state), is position
# independent (the firmware relocates vigil.efi) and uses newlib's headers.
# Recursive (=), not :=, for CC_INCLUDE's sake.
TARGET_CFLAGS = -std=gnu11 -O2 -g -fpic -fno-stack-protector -fshort-wchar \
	-ffreestanding -fno-common -ffunction-sections -fdata-sections \
	-mgeneral-regs-only -fno-omit-frame-pointer \
	-mno-outline-atomics \
	-nostdinc -isystem $(NEWLIB)/include \
	-isystem $(CC_INCLUDE) \
	-DVIGIL_VERSION=\"$(VERSION)\" -MMD -MP $(EXTRA_CFLAGS)
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wconversion -Wno-sign-conversion \
	-Wstrict-prototypes -Wmissing-prototypes

.PHONY: all deps clean
all: $(BUILD)/vigil.efi

deps: $(DEPS_STAMP)
$(DEPS_STAMP): tools/setup-deps.sh
	BUILD=$(BUILD) DEPS=$(DEPS) tools/setup-deps.sh
	@touch $@
# Only the Debian packages (host compiler, python3, QEMU, ...), for targets
# that need tools but not the cross-built libraries (make lint).
PACKAGES_STAMP := $(DEPS)/stamps/packages
$(PACKAGES_STAMP): tools/setup-deps.sh
	BUILD=$(BUILD) DEPS=$(DEPS) tools/setup-deps.sh packages
	@touch $@

include boot/objects.mk hv/objects.mk arch/arm64/objects.mk drivers/objects.mk \
	debug/objects.mk

OBJS := $(OBJS_boot) $(OBJS_hv) $(OBJS_arch) $(OBJS_drivers) $(OBJS_debug)
# Only the folders that use lwIP see its headers.
$(OBJS_drivers): CFLAGS_DIR += $(INC_LWIP)

# Our code: all warnings are errors.
$(BUILD)/%.o: %.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(TARGET_CFLAGS) $(WARNINGS) $(CFLAGS_DIR) -c $< -o $@

$(BUILD)/%.o: %.S $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  AS      $<"
	$(Q)$(CC) $(TARGET_CFLAGS) $(CFLAGS_DIR) -D__ASSEMBLER__ -c $< -o $@

# Structure offsets for assembly, generated from C (asm-offsets.c), which
# includes struct vcpu: its .d names every header behind those offsets.
-include $(BUILD)/include/generated/asm-offsets.d
$(BUILD)/include/generated/asm-offsets.h: arch/arm64/asm-offsets.c arch/arm64/include/arch/types.h arch/arm64/cpu.h $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q)$(CC) $(TARGET_CFLAGS) $(INC_CORE) -MT $@ -MF $(@:.h=.d) -S $< -o $@.s
	$(Q){ echo "/* Generated from $<: do not edit. */"; \
	  sed -n 's/.*->\([A-Z0-9_]*\) #\{0,1\}\([0-9]*\).*/#define \1 \2/p' $@.s; } > $@.tmp
	$(Q)mv $@.tmp $@ && rm -f $@.s

# libfdt, from Debian's device-tree-compiler source: third-party code,
# built without our warning flags.
LIBFDT_NAMES := fdt fdt_ro fdt_wip fdt_sw fdt_rw fdt_strerror fdt_empty_tree \
	fdt_addresses fdt_overlay
OBJS_libfdt := $(addprefix $(BUILD)/libfdt/,$(addsuffix .o,$(LIBFDT_NAMES)))
$(BUILD)/libfdt/%.o: $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      libfdt/$*.c"
	$(Q)$(CC) $(TARGET_CFLAGS) -I$(LIBFDT_SRC) -c $(LIBFDT_SRC)/$*.c -o $@

# lwIP's core (IPv4, TCP, UDP, DHCP, ARP, Ethernet; no apps, no sequential
# API), from Debian's source package, configured by drivers/lwip/: third-
# party code, built without our warning flags.
LWIP_NAMES := core/init core/def core/inet_chksum core/ip core/mem core/memp \
	core/netif core/pbuf core/raw core/stats core/sys core/tcp core/tcp_in \
	core/tcp_out core/timeouts core/udp core/ipv4/dhcp core/ipv4/etharp \
	core/ipv4/icmp core/ipv4/ip4 core/ipv4/ip4_addr core/ipv4/ip4_frag \
	netif/ethernet
OBJS_lwip := $(addprefix $(BUILD)/lwip/,$(addsuffix .o,$(LWIP_NAMES)))
$(BUILD)/lwip/%.o: $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      lwip/$*.c"
	$(Q)$(CC) $(TARGET_CFLAGS) $(INC_LWIP) -c $(LWIP_SRC)/$*.c -o $@

$(BUILD)/vigil.so: $(OBJS) $(OBJS_libfdt) $(OBJS_lwip) boot/vigil.lds
	@echo "  LD      $@"
	$(Q)$(LD) -nostdlib -znocombreloc -T boot/vigil.lds -shared -Bsymbolic \
		--no-undefined --defsym=EFI_SUBSYSTEM=0xa --no-warn-rwx-segments \
		$(GNUEFI)/lib/crt0-efi-aarch64.o $(OBJS) $(OBJS_libfdt) $(OBJS_lwip) \
		$(GNUEFI)/lib/libefi.a $(GNUEFI)/lib/libgnuefi.a \
		$(NEWLIB)/lib/libc.a $(LIBGCC) -o $@

$(BUILD)/vigil.efi: $(BUILD)/vigil.so
	$(Q)$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym \
		-j .rel -j .rela -j .rel.* -j .rela.* -j .reloc \
		-O binary $< $@
	@echo "built $@ ($(VERSION))"

-include $(OBJS:.o=.d) $(OBJS_lwip:.o=.d)
# lwIP's dependency files are never remade (its objects' rule could).
$(OBJS_lwip:.o=.d): ;

include tests/tests.mk
-include tests/bench.mk
-include tests/fuzz/fuzz.mk

clean:
	rm -rf $(BUILD)/boot $(BUILD)/hv $(BUILD)/arch $(BUILD)/drivers \
		$(BUILD)/libfdt $(BUILD)/lwip $(BUILD)/include $(BUILD)/vigil.* $(BUILD)/guests \
		$(BUILD)/unit $(BUILD)/system
