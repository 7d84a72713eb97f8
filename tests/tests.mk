# Tests: host unit tests, tiny guests, QEMU system tests, lint.
# Included from the top-level Makefile (paths are relative to the root).

GUESTS_OUT := $(abspath $(BUILD)/guests)

# The guests, and hello linked where bare-metal QEMU examples usually are
# (0x40080000), to test ELF placement against the firmware's own memory.
guests: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory -s -C tests/guests OUT=$(GUESTS_OUT)
	@$(MAKE) --no-print-directory -s -C tests/guests OUT=$(GUESTS_OUT)/low \
		ELF_BASE=0x40080000 $(GUESTS_OUT)/low/hello.elf

-include tests/unit/unit.mk

# Debian's arm64 kernel and our initramfs (tests/linux/), in build/linux/.
LINUX_STAMP := $(BUILD)/linux/stamps/initramfs
linux-guest: $(DEPS_STAMP)
	@BUILD=$(abspath $(BUILD)) tools/setup-linux-guest.sh

# Everything, with one total at the end: "N passed, N failed".
test: $(BUILD)/vigil.efi guests unit-build linux-guest
	@BUILD=$(abspath $(BUILD)) tests/run-all.sh

# Guest and QEMU options for `make run` (see docs/user-guide.md). The
# default guest is Debian's Linux with a busybox shell, on 2 vCPUs.
GUEST ?= $(BUILD)/linux/Image
INITRD ?= $(if $(filter $(BUILD)/linux/Image,$(GUEST)),$(BUILD)/linux/initramfs.cpio.gz)
CMDLINE ?= $(if $(filter $(BUILD)/linux/Image,$(GUEST)),console=ttyAMA0 nokaslr)
DTB ?=
CPU ?= cortex-a72
SMP ?= 2
MEM ?= 1G
GDBPORT ?= 1234
VCPUS ?=
MEMORY ?= $(if $(filter $(BUILD)/linux/Image,$(GUEST)),512M)
LOG ?=
# GDBWAIT=1: hold the guest at its first instruction for GDB (gdb.wait).
GDBWAIT ?=
QEMU_ARGS ?=

run: $(BUILD)/vigil.efi guests linux-guest
	@CMDLINE="$(CMDLINE)" VCPUS="$(VCPUS)" MEMORY="$(MEMORY)" LOG="$(LOG)" \
		GDBWAIT="$(GDBWAIT)" tools/mkesp.sh -o $(BUILD)/run-esp -k $(GUEST) \
		$(if $(INITRD),-r $(INITRD)) $(if $(DTB),-d $(DTB))
	@echo "run: booting $(GUEST) under vigil ($(CPU), $(SMP) CPUs); GDB stub on localhost:$(GDBPORT); Ctrl-A x quits QEMU"
	tools/qemu.sh -c $(CPU) -s $(SMP) -m $(MEM) -g $(GDBPORT) -R $(BUILD)/run-esp -- $(QEMU_ARGS)

# python3 is not on a minimal Debian: the package step brings it.
lint: $(PACKAGES_STAMP)
	@python3 tools/check-layering.py

# The README's `make test` on a brand-new Debian 12 root (debootstrap), from
# a clone of HEAD: what CI runs (.ci/run). Needs root; see the script.
fresh-check:
	@tools/fresh-check.sh

.PHONY: guests linux-guest test run lint fresh-check
