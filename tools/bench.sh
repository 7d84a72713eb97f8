#!/usr/bin/env bash
# tools/bench.sh - vigil's performance figures as exact counts (make bench).
#
#   tools/bench.sh            (BUILD=dir, default <repo>/build)
#
# Nothing here is timed: every figure is an instruction or event count, so
# it does not depend on the host's load. With QEMU's -icount shift=0 the PMU
# event INST_RETIRED (0x08) counts exactly, and PMEVTYPER<n>_EL0 =
# 0xC8000008 counts only what runs at EL2, i.e. vigil
# (shared/PLATFORM-NOTES.md, "Measuring").
#
# The figures, printed together at the end, one per line:
#   bench: <name> = <value> <unit> (goal ...: met|missed)
# each followed by an indented line saying what exactly was counted.
#
#   null_exit_el2_insns          EL2 instructions per HVC PSCI_VERSION round
#                                trip (tests/guests/bench.c, "null")
#   null_exit_el2_insns_eager    the same with vigil built with
#                                -DVIGIL_EAGER_DEBUG (the whole debug register
#                                set saved and restored on every exit), and
#   null_exit_eager_extra_el2_insns  the difference
#   fwd_irq_el2_insns            EL2 instructions per virtual timer interrupt
#                                forwarded to the guest ("irq")
#   linux_boot_dbg_traps_per_vcpu, linux_boot_exits_per_vcpu
#                                vigil's per-vCPU stats after a Linux boot on
#                                2 vCPUs (tests/linux/init, vigil.test=boot)
#   steady_state_dbg_traps_per_1e9  debug traps during 10^9 guest
#                                instructions after the guest's last debug
#                                register access ("steady" - "steady-short")
#   boot_cost_ratio              instructions from kernel entry to the first
#                                userspace instruction, under vigil / under
#                                plain QEMU at EL1 (tests/bench/)
#
# Exit status 1 only if a figure could not be measured; goals missed are
# reported, not failures. Logs: $BUILD/bench/logs/.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"	# ROOT, BUILD, result...
OUT=$BUILD/bench
LOGS=$OUT/logs
EAGER=$OUT/eager	# the -DVIGIL_EAGER_DEBUG build of vigil
CROSS=${CROSS:-aarch64-linux-gnu-}
CPU=cortex-a72
mkdir -p "$LOGS"

say() { echo "bench.sh: $*"; }

# ----------------------------------------------------------------- builds

say "building vigil, the test guests and the Linux guest"
make --no-print-directory -s BUILD="$BUILD" "$BUILD/vigil.efi" guests linux-guest
say "building vigil with -DVIGIL_EAGER_DEBUG in $EAGER"
make --no-print-directory -s BUILD="$EAGER" DEPS="$BUILD/deps" \
	EXTRA_CFLAGS=-DVIGIL_EAGER_DEBUG "$EAGER/vigil.efi"

BENCH_GUEST=$BUILD/guests/bench.bin
LINUX=$BUILD/linux

# run_vigil NAME EFI KERNEL SMP TIMEOUT [qemu args...]: boot KERNEL under
# vigil (EFI) with CMDLINE/VCPUS/MEMORY from the environment; the serial log
# without \r goes to $LOGS/NAME.log. Returns QEMU's exit status.
run_vigil() {
	local name=$1 efi=$2 kernel=$3 smp=$4 timeout_s=$5 rc=0
	shift 5
	local esp=$OUT/esp-$name log=$LOGS/$name.log
	local initrd_opt=()
	[ -n "${INITRD:-}" ] && initrd_opt=(-r "$INITRD")
	tools/mkesp.sh -o "$esp" -e "$efi" -k "$kernel" ${initrd_opt[@]+"${initrd_opt[@]}"}
	tools/qemu.sh -c "$CPU" -s "$smp" -t "$timeout_s" "$esp" -- "$@" \
		</dev/null >"$log.raw" 2>&1 || rc=$?
	tr -d '\r' <"$log.raw" >"$log"
	rm -f "$log.raw"
	return $rc
}

# stat_of LOG VCPU FIELD: a number from "vigil: stats vcpu=N ..."
stat_of() {
	grep -E "^vigil: stats vcpu=$2 " "$1" | tail -1 |
		grep -oE "(^| )$3=[0-9]+" | cut -d= -f2
}

# Each measurement below sets its figures in globals and returns 0, or sets
# $reason and returns 1. They run inside `if`, so they check every step.
reason=""

# ------------------------------------------- 1, 2, 5: null exits and IRQs

# bench_exits NAME EFI: bench.bin "null irq" on 1 CPU under -icount
# shift=0; sets null_total, null_baseline, irq_total, irq_baseline: EL2
# instructions over N_HVC = 10000 HVCs / N_IRQ = 1000 interrupts, and over
# the same code without them (bench.c).
bench_exits() {
	local name=$1 efi=$2 log=$LOGS/$1.log rc=0 rounds
	null_total="" null_baseline="" irq_total="" irq_baseline=""
	CMDLINE="null irq" VCPUS="" MEMORY="" LOG="" \
		run_vigil "$name" "$efi" "$BENCH_GUEST" 1 120 -icount shift=0 || rc=$?
	if [ "$rc" != 0 ] || ! grep -qx "guest: bench PASS" "$log"; then
		reason="no PASS from the bench guest (qemu status $rc, see $log)"
		return 1
	fi
	# Every round must give the same count: the figure is exact.
	rounds=$(grep -E '^guest: bench null_exit hvcs=10000 ' "$log" |
		sed -E 's/.* el2_insns=([0-9]+) baseline=([0-9]+) overflow=([0-9]+)$/\1 \2 \3/' |
		sort -u) || true
	if [ -z "$rounds" ] || [ "$(echo "$rounds" | wc -l)" != 1 ] ||
		[ "$(echo "$rounds" | cut -d' ' -f3)" != 0 ]; then
		reason="null exit rounds missing, different or overflowed: '$(echo "$rounds" | tr '\n' ';')' (see $log)"
		return 1
	fi
	null_total=$(echo "$rounds" | cut -d' ' -f1)
	null_baseline=$(echo "$rounds" | cut -d' ' -f2)
	rounds=$(grep -E '^guest: bench fwd_irq irqs=1000 ' "$log" |
		sed -E 's/.* el2_insns=([0-9]+) baseline=([0-9]+) other_irqs=([0-9]+) overflow=([0-9]+)$/\1 \2 \3 \4/' |
		sort -u) || true
	if [ -z "$rounds" ] || [ "$(echo "$rounds" | wc -l)" != 1 ] ||
		[ "$(echo "$rounds" | cut -d' ' -f3-)" != "0 0" ]; then
		reason="fwd_irq rounds missing, different, overflowed or disturbed: '$(echo "$rounds" | tr '\n' ';')' (see $log)"
		return 1
	fi
	irq_total=$(echo "$rounds" | cut -d' ' -f1)
	irq_baseline=$(echo "$rounds" | cut -d' ' -f2)
	if [ "$null_total" = 0 ] || [ "$irq_total" = 0 ]; then
		reason="the EL2 instruction counter stayed at 0 (no -icount shift=0?)"
		return 1
	fi
}

# per_event NAME TOTAL BASELINE N GOAL WHAT: the figure (TOTAL-BASELINE)/N.
per_event() {
	local name=$1 total=$2 base=$3 n=$4 goal=$5 what=$6 net
	net=$((total - base))
	result "$name" "$(div2 "$net" "$n")" insns "$goal" \
		"$what: $net EL2 instructions / $n = $((net / n)) rem $((net % n)) (with the event: $total, same code without it: $base)"
}

lazy_exit=""
say "null exits and forwarded interrupts: bench.bin on 1 CPU, -icount shift=0"
if bench_exits exits "$BUILD/vigil.efi"; then
	lazy_exit=$((null_total - null_baseline))
	per_event null_exit_el2_insns "$null_total" "$null_baseline" 10000 "<= 60" \
		"HVC #0 PSCI_VERSION round trips, guest not using debug"
	per_event fwd_irq_el2_insns "$irq_total" "$irq_baseline" 1000 "<= 150" \
		"virtual timer interrupts (PPI 27: taken at EL2, list register, guest ack/EOI)"
else
	unavailable null_exit_el2_insns "$reason"
	unavailable fwd_irq_el2_insns "$reason"
fi

say "the same with the eager debug switch (-DVIGIL_EAGER_DEBUG)"
if bench_exits exits-eager "$EAGER/vigil.efi"; then
	eager_exit=$((null_total - null_baseline))
	per_event null_exit_el2_insns_eager "$null_total" "$null_baseline" 10000 "" \
		"the same HVCs, vigil saving and restoring all debug registers on every exit"
	if [ -n "$lazy_exit" ]; then
		result null_exit_eager_extra_el2_insns \
			"$(div2 "$((eager_exit - lazy_exit))" 10000)" insns "" \
			"eager minus lazy: ($eager_exit - $lazy_exit) / 10000 HVCs ($CPU: 6 breakpoint and 4 watchpoint register pairs, MDSCR_EL1, MDCCINT_EL1)"
	else
		unavailable null_exit_eager_extra_el2_insns "no lazy figure to compare"
	fi
else
	unavailable null_exit_el2_insns_eager "$reason"
	unavailable null_exit_eager_extra_el2_insns "$reason"
fi

# --------------------------------------------- 3: Linux boot, 2 vCPUs

# Sets boot_traps and boot_exits ("N N": vCPU 0, vCPU 1), boot_verdict.
bench_linux_boot() {
	local log=$LOGS/linux-boot.log rc=0 v t e
	boot_traps="" boot_exits="" boot_verdict=""
	CMDLINE="console=ttyAMA0 nokaslr vigil.test=boot vigil.cpus=2" VCPUS="" \
		MEMORY=512M LOG="" INITRD="$LINUX/initramfs.cpio.gz" \
		run_vigil linux-boot "$BUILD/vigil.efi" "$LINUX/Image" 2 180 || rc=$?
	if [ "$rc" != 0 ] ||
		! grep -qx "vigil: guest powered off (PSCI SYSTEM_OFF on vCPU 0)" "$log"; then
		reason="Linux did not power off through PSCI (qemu status $rc, see $log)"
		return 1
	fi
	for v in 0 1; do
		t=$(stat_of "$log" $v dbg_traps) || true
		e=$(stat_of "$log" $v exits) || true
		if [ -z "$t" ] || [ -z "$e" ]; then
			reason="no stats line for vCPU $v (see $log)"
			return 1
		fi
		boot_traps="$boot_traps${boot_traps:+ }vcpu$v=$t"
		boot_exits="$boot_exits${boot_exits:+ }vcpu$v=$e"
	done
	boot_verdict=$(grep -E '^linux: boot (PASS|FAIL)' "$log" | tail -1) || true
	boot_verdict=${boot_verdict:-"linux: no verdict line"}
}

max_of() { echo "$1" | tr ' ' '\n' | cut -d= -f2 | sort -n | tail -1; }

say "Linux boot on 2 vCPUs ($CPU, vigil.test=boot)"
if bench_linux_boot; then
	result linux_boot_dbg_traps_per_vcpu "$(max_of "$boot_traps")" traps "<= 2" \
		"max over vCPUs of vigil's dbg_traps over a whole Linux boot to power-off: $boot_traps ($boot_verdict; trapping every debug access, Xen-style, costs >= 21)"
	result linux_boot_exits_per_vcpu "$(max_of "$boot_exits")" exits "" \
		"max over vCPUs of all exits in the same run: $boot_exits (exits depend on timing, traps do not)"
else
	unavailable linux_boot_dbg_traps_per_vcpu "$reason"
	unavailable linux_boot_exits_per_vcpu "$reason"
fi

# ------------------------------------------- 4: debug traps in steady state

# bench_steady NAME MODE: bench.bin MODE on 1 CPU; sets steady_traps.
bench_steady() {
	local name=$1 mode=$2 log=$LOGS/$1.log rc=0
	steady_traps=""
	CMDLINE="$mode" VCPUS="" MEMORY="" LOG="" \
		run_vigil "$name" "$BUILD/vigil.efi" "$BENCH_GUEST" 1 180 || rc=$?
	if [ "$rc" != 0 ] || ! grep -qx "guest: bench PASS" "$log" ||
		! grep -qx "guest: bench steady touched" "$log"; then
		reason="no PASS from the bench guest in mode $mode (qemu status $rc, see $log)"
		return 1
	fi
	if [ "$mode" = steady ] &&
		! grep -qx "guest: bench steady done loop_insns=1000000000 hvcs=250" "$log"; then
		reason="the steady loop did not finish (see $log)"
		return 1
	fi
	steady_traps=$(stat_of "$log" 0 dbg_traps) || true
	if [ -z "$steady_traps" ]; then
		reason="no stats line for vCPU 0 (see $log)"
		return 1
	fi
}

say "steady state: debug registers touched once, then 10^9 instructions (bench.bin)"
if bench_steady steady-short steady-short && short_traps=$steady_traps &&
	bench_steady steady steady; then
	result steady_state_dbg_traps_per_1e9 "$((steady_traps - short_traps))" traps "== 0" \
		"vCPU 0 dbg_traps with 10^9 loop instructions and 250 HVCs after the guest's last debug access ($steady_traps) minus without them ($short_traps)"
else
	unavailable steady_state_dbg_traps_per_1e9 "$reason"
fi

# --------------------------------------- 7: boot cost, vigil vs plain QEMU
#
# What is counted: instructions executed at any EL, from the first
# instruction of the Linux kernel to the first instruction of userspace,
# on 1 CPU under -icount shift=0,sleep=off, with the same kernel, initramfs
# and command line under vigil and under plain QEMU (-kernel, EL1, no EL2).
#  - tests/bench/pmushim.S, put in front of the kernel as a 2 MiB arm64
#    Image, starts the PMU at kernel entry: counter 0 = INST_RETIRED at
#    EL0/1/2, counter 1 = INST_RETIRED at EL2 only, PMCCNTR = virtual time
#    (QEMU derives cycles from it: 1 per ns, idle time included).
#    initcall_blacklist=armv8_pmu_driver_init keeps Linux from resetting them.
#  - tests/bench/marker.c is the first userspace program (rdinit=, appended
#    to a copy of the initramfs as a second cpio archive).
#  - QEMU's own gdbstub stops the machine on the marker's first instruction
#    and reads the counters: they were last updated by the eret into it.
# The plain run is reproducible to the instruction. Under vigil the guest's
# counts move by ~2e-5 from run to run: the firmware before it reads the
# ESP through virtio, whose I/O completes at host-dependent virtual times,
# so the guest starts at a different virtual time and its timer ticks fall
# elsewhere in the boot.
# 1 CPU because QEMU's INST_RETIRED is the machine's count, seen by a CPU's
# counter only at its own EL changes: with 2 CPUs, counter 1 would also take
# the other CPU's instructions, and a CPU's counters go stale while it idles.
BOOT_CMDLINE="console=ttyAMA0 nokaslr rdinit=/bench-marker initcall_blacklist=armv8_pmu_driver_init"
BC=$OUT/boot-cost

# Shim + kernel image, marker, initramfs copy.
build_boot_cost_inputs() {
	local isz
	mkdir -p "$BC/root"
	# Linux's image_size: the 64-bit little-endian field at offset 16.
	isz=$(od -An -t u8 -j 16 -N 8 "$LINUX/Image" | tr -d ' ')
	if [ -z "$isz" ] || [ "$isz" = 0 ]; then
		reason="no image_size in $LINUX/Image"
		return 1
	fi
	"${CROSS}gcc" -nostdlib -static -no-pie -Wl,-Ttext=0 -Wl,--build-id=none \
		-Wl,--defsym=IMAGE_SIZE=$((0x200000 + isz)) \
		-o "$BC/pmushim.elf" tests/bench/pmushim.S &&
	"${CROSS}objcopy" -O binary "$BC/pmushim.elf" "$BC/pmushim.bin" &&
	[ "$(stat -c %s "$BC/pmushim.bin")" -le $((0x200000)) ] &&
	truncate -s 2M "$BC/pmushim.bin" &&
	cat "$BC/pmushim.bin" "$LINUX/Image" >"$BC/Image-pmu" || {
		reason="could not build the PMU shim image"
		return 1
	}
	"${CROSS}gcc" -ffreestanding -nostdlib -static -no-pie -O2 -Wall -Wextra \
		-Werror -fno-stack-protector -mgeneral-regs-only \
		-Wl,-Ttext-segment=0x5a5a000000 -Wl,--build-id=none \
		-o "$BC/root/bench-marker" tests/bench/marker.c || {
		reason="could not build tests/bench/marker.c"
		return 1
	}
	marker_pc=$("${CROSS}nm" "$BC/root/bench-marker" | awk '$3 == "_start" { print $1 }')
	# Byte-identical from run to run (fixed mtime, no inode or device
	# numbers): the kernel's unpacking is part of what is counted.
	touch -d @0 "$BC/root/bench-marker" &&
	(cd "$BC/root" && echo bench-marker |
		cpio -o -H newc -R 0:0 --reproducible --quiet | gzip -9n) >"$BC/marker.cpio.gz" &&
	cat "$LINUX/initramfs.cpio.gz" "$BC/marker.cpio.gz" >"$BC/initramfs-marker.cpio.gz" || {
		reason="could not make the initramfs copy"
		return 1
	}
	[ -n "$marker_pc" ] || { reason="no _start in bench-marker"; return 1; }
}

# boot_cost_run NAME vigil|plain: sets bc_total, bc_el2, bc_cycles.
boot_cost_run() {
	local name=$1 how=$2 log=$LOGS/boot-cost-$1.log port qpid rc=0 gdbout c0 c1 cyc ovs pc waited=0
	bc_total="" bc_el2="" bc_cycles=""
	port=$(free_port)
	# No random seeds in QEMU's device tree and an RTC on the virtual
	# clock: the plain run is then reproducible to the instruction.
	local qemu_args=(-icount shift=0,sleep=off -machine dtb-randomness=off
		-rtc base=2020-01-01T00:00:00,clock=vm -S -gdb "tcp:127.0.0.1:$port")
	if [ "$how" = vigil ]; then
		CMDLINE="$BOOT_CMDLINE" VCPUS=1 MEMORY=512M LOG="" \
			tools/mkesp.sh -o "$OUT/esp-boot-cost" -k "$BC/Image-pmu" \
			-r "$BC/initramfs-marker.cpio.gz" || {
			reason="mkesp failed"
			return 1
		}
		tools/qemu.sh -c "$CPU" -s 1 -t 300 "$OUT/esp-boot-cost" -- "${qemu_args[@]}" \
			</dev/null >"$log.raw" 2>&1 &
	else
		timeout --foreground -k 5 300 qemu-system-aarch64 -M virt,gic-version=3 \
			-cpu "$CPU" -smp 1 -m 512M -nographic -no-reboot \
			-kernel "$BC/Image-pmu" -initrd "$BC/initramfs-marker.cpio.gz" \
			-append "$BOOT_CMDLINE" "${qemu_args[@]}" </dev/null >"$log.raw" 2>&1 &
	fi
	qpid=$!
	until ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; do
		if ! kill -0 "$qpid" 2>/dev/null || [ $waited -ge 100 ]; then
			kill "$qpid" 2>/dev/null || true
			wait "$qpid" 2>/dev/null || true
			reason="QEMU's gdbstub did not come up on port $port (see $log.raw)"
			return 2
		fi
		sleep 0.1
		waited=$((waited + 1))
	done
	gdbout=$(timeout 290 gdb-multiarch -batch -nx \
		-ex 'set pagination off' -ex 'set confirm off' \
		-ex 'set architecture aarch64' \
		-ex "target remote 127.0.0.1:$port" \
		-ex "hbreak *0x$marker_pc" -ex continue \
		-ex 'printf "bench-gdb: pc=%lx c0=%lu c1=%lu cycles=%lu ovs=%lu\n", $pc, $PMEVCNTR0_EL0, $PMEVCNTR1_EL0, $PMCCNTR_EL0, $PMOVSSET_EL0' \
		-ex detach 2>&1) || true
	echo "$gdbout" >"$LOGS/boot-cost-$name.gdb.log"
	wait "$qpid" || rc=$?
	tr -d '\r' <"$log.raw" >"$log"
	rm -f "$log.raw"
	local line
	line=$(echo "$gdbout" | grep -E '^bench-gdb: ' | tail -1) || true
	if [ -z "$line" ]; then
		reason="gdb did not stop at the first userspace instruction (qemu status $rc; see $log and $LOGS/boot-cost-$name.gdb.log)"
		return 1
	fi
	pc=$(echo "$line" | sed -E 's/.* pc=([0-9a-f]+) .*/\1/')
	c0=$(echo "$line" | sed -E 's/.* c0=([0-9]+) .*/\1/')
	c1=$(echo "$line" | sed -E 's/.* c1=([0-9]+) .*/\1/')
	cyc=$(echo "$line" | sed -E 's/.* cycles=([0-9]+) .*/\1/')
	ovs=$(echo "$line" | sed -E 's/.* ovs=([0-9]+)$/\1/')
	if [ "$pc" != "$(echo "$marker_pc" | sed 's/^0*//')" ]; then
		reason="stopped at pc $pc, not at the marker's _start $marker_pc"
		return 1
	fi
	if ! grep -q '^bench-marker: userspace reached' "$log"; then
		reason="the marker did not run after the stop (see $log)"
		return 1
	fi
	if grep -q 'hw perfevents: enabled' "$log"; then
		reason="Linux's PMU driver ran and reset the counters (see $log)"
		return 1
	fi
	if [ $((ovs & 2)) != 0 ] || [ "$c0" = 0 ] || [ "$cyc" = 0 ]; then
		reason="counters unusable: $line"
		return 1
	fi
	# 32-bit event counters: if counter 0 wrapped, the 64-bit virtual-time
	# count (instructions + idle time) says how often, as long as the
	# idle time is under 2^32 ns (4.3 s).
	if [ $((ovs & 1)) != 0 ]; then
		c0=$((cyc - ((cyc - c0) % 4294967296)))
	fi
	bc_total=$c0 bc_el2=$c1 bc_cycles=$cyc
}

say "boot cost: Linux to its first userspace instruction, vigil vs plain QEMU (1 CPU)"
# The free port can be taken before QEMU binds it: then try once more.
boot_cost() {
	local rc=0
	boot_cost_run "$@" || rc=$?
	if [ $rc = 2 ]; then
		say "$reason; trying another port"
		rc=0
		boot_cost_run "$@" || rc=$?
	fi
	return $rc
}

if build_boot_cost_inputs && boot_cost plain plain &&
	plain_total=$bc_total plain_el2=$bc_el2 plain_cycles=$bc_cycles &&
	boot_cost vigil vigil; then
	pct() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { printf f, 100 * a / b }'; }
	result boot_cost_ratio "$(awk -v a="$bc_total" -v b="$plain_total" 'BEGIN { printf "%.4f", a / b }')" x "" \
		"instructions at EL0-2 from kernel entry (tests/bench/pmushim.S) to the first userspace instruction, 1 vCPU, -icount shift=0,sleep=off: vigil $bc_total / plain QEMU $plain_total
  under vigil: EL2 (vigil) $bc_el2 = $(pct "$bc_el2" "$plain_total" %.2f%%) of the plain count, EL0/EL1 (guest) $((bc_total - bc_el2)) = $(pct "$((bc_total - bc_el2 - plain_total))" "$plain_total" %+.2f%%) vs plain (the guest probes the devices of vigil's device tree, not QEMU's)
  virtual time incl. idle (PMCCNTR, ns): vigil $bc_cycles, plain $plain_cycles; plain counts repeat exactly for the same files, vigil's vary ~2e-5 between runs"
else
	unavailable boot_cost_ratio "$reason"
fi

# ------------------------------------------------------------------ report

bench_report
