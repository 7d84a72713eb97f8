# `make bench`: vigil's performance figures as exact instruction and event
# counts under QEMU -icount (tools/bench.sh; DESIGN.md, "Tests and
# measurement"). Included from the top-level Makefile. tools/bench.sh also
# builds, in $(BUILD)/bench/eager, a vigil with EXTRA_CFLAGS=-DVIGIL_EAGER_DEBUG
# that shares $(BUILD)/deps. tools/bench-net.sh and tools/bench-gdb.sh add
# the network's and the GDB stub's figures.

bench: $(BUILD)/vigil.efi guests linux-guest
	@BUILD=$(abspath $(BUILD)) tools/bench.sh
	@BUILD=$(abspath $(BUILD)) tools/bench-net.sh
	@BUILD=$(abspath $(BUILD)) tools/bench-gdb.sh

.PHONY: bench
