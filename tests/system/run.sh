#!/usr/bin/env bash
# tests/system/run.sh [PATTERN] - QEMU system tests of vigil with the tiny
# guests in tests/guests. Runs every case whose name matches PATTERN (a grep
# -E regex, default all). Needs build/vigil.efi and build/guests.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pattern=${1:-.}
mkdir -p "$(dirname "$RESULTS")"
: > "$RESULTS"

selected() { echo "$1" | grep -qE -- "$pattern"; }

# Flags that make the guests strict about what vigil guarantees.
STRICT="smc-ok isolation-strict psci-strict cpufeat-strict"

guest_case() { # NAME CPU SMP GUEST [cfg lines...]
	local name=$1 cpu=$2 smp=$3 guest=$4
	shift 4
	selected "$name" || return 0
	begin_case "$name"
	make_esp "$GUESTS/$guest.bin" "cmdline = $STRICT" "$@"
	boot "$cpu" "$smp"
	expect_guest_pass "$guest"
	expect_line "vigil: guest powered off (PSCI SYSTEM_OFF on vCPU 0)"
	case $guest in
	hello)
		expect_line "guest: hello from EL1"
		expect_line "guest: bootargs=$STRICT"
		expect_match '^guest: memory base=0x[0-9a-f]+ size=0x10000000$' ;;
	smp)
		expect_line "guest: smp cpus=$smp"
		for ((i = 0; i < smp; i++)); do
			expect_count 1 "guest: cpu $i mpidr=0x$(printf %x "$i")"
		done ;;
	isolation)
		expect_match '^guest: ok abort below ram far=0x[0-9a-f]+$'
		expect_match '^guest: ok abort above ram far=0x[0-9a-f]+$'
		expect_match '^vigil: vCPU 0: read of unmapped IPA 0x[0-9a-f]+ at pc 0x[0-9a-f]+: abort injected$' ;;
	psci)
		expect_line "guest: ok smc psci_version matches hvc"
		if [ "$smp" -gt 1 ]; then
			expect_line "guest: ok cpu_on entry outside ram invalid_address"
			expect_line "guest: ok affinity_info cpu 1 off after cpu_off"
			expect_line "guest: ok cpu 1 checked in again"
		fi ;;
	vgic)
		expect_line "guest: ok gicd_pidr2.archrev 3 (gicv3)"
		if [ "$smp" -gt 1 ]; then
			expect_line "guest: ok sgi 3 from cpu0 to cpu1 16 times, one at a time: taken 16 times"
			expect_line "guest: ok spi 104 routed to cpu1, set pending by cpu0 16 times, one at a time: taken 16 times"
			expect_line "guest: ok cpu1's ppi 27 disabled, its timer fired: cpu0 reads it pending in cpu1's gicr_ispendr0"
			expect_line "guest: ok cpu1's ppi 30 disabled, its timer fired: cpu0 reads it pending in cpu1's gicr_ispendr0"
		fi
		expect_line "guest: ok cpu0 virtual timer (ppi 27, cntv): taken exactly once (wfi loop)"
		# kvm-unit-tests' timer check: a timer interrupt disabled at the
		# GIC still reads pending once the timer fires.
		for ((i = 0; i < smp; i++)); do
			for t in "virtual timer (ppi 27)" "el1 physical timer (ppi 30)"; do
				expect_line "guest: ok cpu$i $t disabled, timer fired: gicr_ispendr0 and gicr_icpendr0 read pending"
				expect_line "guest: ok cpu$i $t deactivated by gicr_icactiver0: fires again, taken once more"
			done
		done ;;
	exceptions)
		expect_line "guest: ok svc #0x123 ec=0x15 iss=0x123"
		expect_line "guest: ok udf #0 ec=0x0 iss=0x0"
		expect_line "guest: ok brk #0x7 ec=0x3c iss=0x7"
		expect_line "guest: ok smc unknown function returns not_supported"
		expect_line "guest: ok id_aa64pfr1_el1.sme"
		expect_line "guest: ok sme not advertised: rdsvl (smen enabled) is undefined (ec)"
		if [ "$cpu" = max ]; then
			expect_line "guest: ok sve: rdvl: no exception (ec -1 = none)"
			expect_line "guest: ok pauth: apiakeylo_el1 reads back"
		fi ;;
	esac
	end_case
}

# Every guest on both CPU models, uniprocessor and SMP.
for cpu in cortex-a72 max; do
	for smp in 1 4; do
		for guest in hello smp exceptions isolation psci; do
			guest_case "$guest-${cpu%%,*}-smp$smp" "$cpu" "$smp" "$guest"
		done
	done
done

# MTE given to the guest. QEMU's virt board has no tag memory unless asked
# (mte=on, TCG only), so the default runs never see MTE: this case turns it
# on, and the guest must find it advertised and usable - its registers and
# instructions, and PSTATE.TCO set in an exception vigil injects.
for smp in 1 2; do
	name="exceptions-max-mte-smp$smp"
	selected "$name" || continue
	begin_case "$name"
	make_esp "$GUESTS/exceptions.bin" "cmdline = $STRICT want-mte"
	boot max "$smp" /dev/null -machine mte=on
	expect_guest_pass exceptions
	expect_line "guest: ok mte advertised (id_aa64pfr1_el1.mte >= 2)"
	expect_line "guest: ok mte: write tfsr_el1: no exception (ec -1 = none)"
	expect_line "guest: ok mte: gcr_el1 reads back"
	expect_line "guest: ok mte: irg x0, x1: no exception (ec -1 = none)"
	expect_line "guest: ok mte: pstate.tco set on entry to the undef handler"
	end_case
done

# The three kernel formats.
for fmt in img elf; do
	if selected "hello-format-$fmt"; then
		begin_case "hello-format-$fmt"
		make_esp "$GUESTS/hello.$fmt"
		boot cortex-a72 2
		expect_guest_pass hello
		case $fmt in
		img) expect_line "vigil: kernel 'hello.img': arm64 Linux Image, $(stat -c %s "$GUESTS/hello.img") bytes, entry $(grep -o 'entry 0x[0-9a-f]*' "$case_log.txt" | head -1 | cut -d' ' -f2)" ;;
		elf) expect_line "guest: image at 0x48000000 size 0x$(printf %x $(($(stat -c %s "$GUESTS/hello.bin"))))"
		     expect_match "^vigil: kernel 'hello.elf': ELF, [0-9]+ bytes, entry 0x48000000$" ;;
		esac
		end_case
	fi
done

# An ELF linked at QEMU's usual bare-metal address: guest RAM is placed to
# cover it. It fits below the firmware's own data at 16M, not at 256M,
# where vigil must say what is in the way.
if selected elf-low-address; then
	begin_case elf-low-address
	make_esp "$GUESTS/low/hello.elf" "memory = 16M"
	boot cortex-a72 1
	expect_guest_pass hello
	expect_line "guest: image at 0x40080000 size 0x$(printf %x $(($(stat -c %s "$GUESTS/hello.bin"))))"
	expect_line "guest: memory base=0x40000000 size=0x1000000"
	end_case
fi

# The guest's own debug exceptions, exactly as on hardware, and the OS lock
# rule (which QEMU itself does not apply, so only vigil passes strict).
for cpu in cortex-a72 max; do
	for smp in 1 2; do
		name="debug-${cpu%%,*}-smp$smp"
		selected "$name" || continue
		begin_case "$name"
		make_esp "$GUESTS/debug.bin" "cmdline = oslock-strict"
		boot "$cpu" "$smp"
		expect_guest_pass debug
		expect_line "guest: ok cpu0 os lock does not block brk"
		expect_match '^vigil: stats vcpu=0 exits=[0-9]+ dbg_traps=[1-9][0-9]* '
		end_case
	done
done

# The virtual GIC from the inside, and a guest writing garbage to all of it.
for smp in 1 2 4; do
	guest_case "vgic-cortex-a72-smp$smp" cortex-a72 "$smp" vgic
done
guest_case vgic-max-smp2 max 2 vgic
for smp in 1 2; do
	if selected "gichostile-smp$smp"; then
		begin_case "gichostile-smp$smp"
		make_esp "$GUESTS/gichostile.bin"
		boot cortex-a72 "$smp"
		expect_guest_pass gichostile
		expect_line "guest: ok gicd_pidr2.archrev still 3"
		expect_line "guest: ok guest code intact"
		expect_line "vigil: guest powered off (PSCI SYSTEM_OFF on vCPU 0)"
		end_case
	fi
done

# The (future) debugger takes a vCPU's debug hardware and gives it back
# (vigil's test hook): the guest's state survives, on both vCPUs.
if selected debug-takeover; then
	begin_case debug-takeover
	make_esp "$GUESTS/debug.bin" "cmdline = oslock-strict takeover" "test_hooks = on"
	boot cortex-a72 2
	expect_guest_pass debug
	expect_line "guest: ok cpu0 debug state survives the debugger taking the hardware and giving it back"
	expect_line "guest: ok cpu1 debug state survives the debugger taking the hardware and giving it back"
	end_case
fi

# The host debugger attached (vigil's test hook standing in for the GDB
# stub) with a hardware breakpoint and a watchpoint of its own: the whole
# debug suite still passes (the guest's BRK, breakpoints, watchpoints and
# single-step all reach it), and the debugger's own breakpoint, watchpoint,
# step and range step come to EL2: the guest prints each line vigil must
# have logged ("guest: expect ...").
for run in cortex-a72:1 cortex-a72:2 max:1; do
	cpu=${run%:*} smp=${run#*:}
	name="debug-host-attached-$cpu-smp$smp"
	selected "$name" || continue
	begin_case "$name"
	make_esp "$GUESTS/debug.bin" "cmdline = oslock-strict hostdebug" "test_hooks = on"
	boot "$cpu" "$smp"
	expect_guest_pass debug
	for ((i = 0; i < smp; i++)); do
		expect_line "guest: ok cpu$i the host debugger is attached with a breakpoint and a watchpoint"
		expect_line "guest: ok cpu$i the host debugger's events stay out of the guest"
	done
	n=0
	while IFS= read -r line; do
		expect_line "$line"
		n=$((n + 1))
	done < <(sed -n 's/^guest: expect //p' "$case_log.txt")
	[ "$n" = $((4 * smp)) ] || fail "$n 'guest: expect' lines, expected $((4 * smp))"
	end_case
done

# Lazy switching: once the guest stops using its debug registers, 10^8
# instructions and 25 exits later nothing more has trapped or switched.
stats_of() { # LOG: "dbg_traps=N dbg_switches=N" of vCPU 0
	grep -oE '^vigil: stats vcpu=0 .*' "$1" |
		grep -oE 'dbg_traps=[0-9]+ dbg_switches=[0-9]+'
}
if selected lazy-debug-switch; then
	begin_case lazy-debug-switch
	make_esp "$GUESTS/lazydebug.bin" "cmdline = stop-after-clear"
	boot cortex-a72 1
	before=$(stats_of "$case_log.txt")
	mv "$case_log.txt" "$case_dir/before.log"
	make_esp "$GUESTS/lazydebug.bin"
	boot cortex-a72 1
	expect_guest_pass lazydebug
	expect_line "guest: lazydebug loop done"
	expect_match '^vigil: stats vcpu=0 .* dbg_dirty=1 dbg_clean=1$'
	after=$(stats_of "$case_log.txt")
	[ -n "$before" ] && [ "$before" = "$after" ] ||
		fail "debug counters moved after the clear: before '$before', after '$after'"
	end_case
fi

# Debian's arm64 Linux on 2 vCPUs: both CPUs online, time advancing, IPIs,
# power-off through PSCI (tests/linux/init, vigil.test=boot).
LINUX=$BUILD/linux
linux_case() { # NAME CPU SMP TEST [expected lines...]
	local name=$1 cpu=$2 smp=$3 test=$4 line
	shift 4
	selected "$name" || return 0
	begin_case "$name"
	if [ ! -f "$LINUX/Image" ]; then
		fail "no Linux guest in $LINUX (tools/setup-linux-guest.sh)"
		end_case
		return 0
	fi
	make_esp "$LINUX/Image" "initrd = initramfs.cpio.gz" "memory = 512M" \
		"cmdline = console=ttyAMA0 nokaslr vigil.test=$test vigil.cpus=$smp"
	if ! cp "$LINUX/initramfs.cpio.gz" "$case_dir/esp/"; then
		fail "no initramfs in $LINUX"
		end_case
		return 0
	fi
	QEMU_TIMEOUT=${LINUX_TIMEOUT:-300} boot "$cpu" "$smp"
	expect_rc 0
	for line in "$@"; do expect_line "$line"; done
	expect_no_match '^linux: .*FAIL'
	expect_no_match '(Kernel panic|Oops|BUG:|^vigil: (PANIC|BUG))'
	expect_line "vigil: guest powered off (PSCI SYSTEM_OFF on vCPU 0)"
	end_case
}
linux_case linux-boot-smp2 cortex-a72 2 boot \
	"linux: ok both cpus online" "linux: ok work on cpu1 ran on cpu 1" \
	"linux: ok ipis received on all 2 cpus" "linux: boot PASS"
# ptrace hardware breakpoints and watchpoints on every slot, on a child
# moving between the 2 vCPUs: the guest's own debugging through vigil.
linux_case linux-ptrace-smp2 cortex-a72 2 ptrace \
	"hwdebug: slots bp=6 wp=4" "hwdebug: PASS" "linux: ptrace PASS"

# vigil's own network (docs/network.md): the TCP echo service (net.echo)
# through QEMU user networking, 127.0.0.1:<free port> forwarded to it, driven
# by tests/system/netclient.py, while the guest runs, spins with interrupts
# masked, sleeps in WFI, or is stopped in EL2.
NET_MAC=52:54:00:12:34:56
NET_STATIC=("net.ip = 10.0.2.15/24" "net.gw = 10.0.2.2")
# net_boot NIC SMP LINE CLIENT_ARGS...: boot the case's ESP with a NIC for
# vigil (tools/qemu.sh -N NIC: mmio, pci, or mmio-legacy / mmio-modern for
# -N mmio with that virtio-mmio transport; plain mmio is QEMU's default,
# legacy); once LINE is in the serial log, run netclient.py (output in
# $case_dir/client.log, status in $client_rc). QEMU keeps running:
# net_wait or net_stop ends the case's run.
net_boot() {
	local nic=${1%%-*} mmio=legacy smp=$2 line=$3 port waited=0
	[ "$nic" = "$1" ] || mmio=${1#*-}
	shift 3
	port=$(free_port)
	: > "$case_log"
	"$ROOT/tools/qemu.sh" -c cortex-a72 -s "$smp" -t "$QEMU_TIMEOUT" -N "$nic" \
		-M "$mmio" -F "$port:7" "$case_dir/esp" < /dev/null > "$case_log" 2>&1 &
	qemu_pid=$!
	until tr -d '\r' < "$case_log" | grep -qF -- "$line"; do
		if ! kill -0 "$qemu_pid" 2>/dev/null || [ "$waited" -gt $((QEMU_TIMEOUT * 2)) ]; then
			fail "no '$line' in the log"
			client_rc=1
			return
		fi
		sleep 0.5
		waited=$((waited + 1))
	done
	client_rc=0
	python3 "$ROOT/tests/system/netclient.py" --port "$port" --wait 60 "$@" \
		> "$case_dir/client.log" 2>&1 || client_rc=$?
	sed 's/^/  client: /' "$case_dir/client.log"
	[ "$client_rc" = 0 ] || fail "netclient.py: $(grep -m1 FAIL "$case_dir/client.log" || echo "exit status $client_rc")"
}
net_wait() {
	rc=0
	wait "$qemu_pid" || rc=$?
	tr -d '\r' < "$case_log" > "$case_log.txt"
	[ "$rc" != 124 ] || fail "timed out after ${QEMU_TIMEOUT}s"
}
net_stop() {
	pkill -P "$qemu_pid" 2>/dev/null; kill "$qemu_pid" 2>/dev/null
	wait "$qemu_pid" 2>/dev/null || true
	tr -d '\r' < "$case_log" > "$case_log.txt"
}
# The line vigil prints when it takes the NIC that net_boot NIC (or
# gdbtest.py --mmio) gave it: the device, its transport, MAC, interrupt.
declare -A NIC_LINE=(
	[mmio-legacy]="virtio-net@a003e00: virtio-mmio v1 (legacy), MAC $NET_MAC, link up, INTID 79"
	[mmio-modern]="virtio-net@a003e00: virtio-mmio v2 (modern), MAC $NET_MAC, link up, INTID 79"
	[pci]="virtio-net@pci:00:01.0: virtio-pci (modern), MAC $NET_MAC, link up, INTID 36")
expect_nic_line() { # NIC
	expect_line "vigil: net: ${NIC_LINE[$1]}, queues 64/64"
}
# The echo service answers on all three transports (virtio-mmio legacy, as
# QEMU 7.2 gives by default, and modern; virtio-pci), with DHCP and static.
for nic in mmio-legacy mmio-modern pci; do
	for addr in dhcp static; do
		name=net-echo-$nic-$addr
		selected "$name" || continue
		begin_case "$name"
		cfg=("net.echo = 7")
		[ "$addr" = static ] && cfg+=("${NET_STATIC[@]}")
		make_esp "$GUESTS/spin.bin" "cmdline = seconds=120" "${cfg[@]}"
		net_boot "$nic" 1 "guest: spin idle" echo
		net_stop
		expect_nic_line "$nic"
		expect_match "^vigil: net: virtio-net@(pci:)?[0-9a-f:.]+ $NET_MAC address 10\.0\.2\.15/24 \($addr\) gateway 10\.0\.2\.2$"
		expect_no_match '^vigil: (PANIC|BUG)|lwIP assertion'
		end_case
	done
done
# 1 MiB byte for byte; 200 connections and a 201st, with vigil's memory
# figures the same at every 50th.
if selected net-bulk-churn; then
	begin_case net-bulk-churn
	make_esp "$GUESTS/spin.bin" "cmdline = seconds=120" "net.echo = 7"
	net_boot mmio 1 "guest: spin idle" bulk churn
	net_stop
	for n in 50 100 150 200; do
		expect_match "^vigil: net: echo connections=$n lwip_mem_used=[0-9]+ heap_used=[0-9]+$"
	done
	mem=$(grep -E '^vigil: net: echo connections=(50|100|150|200) ' "$case_log.txt" |
		sed 's/.* lwip_mem_used=//' | sort -u)
	[ "$(echo "$mem" | wc -l)" = 1 ] ||
		fail "memory in use moved between connections: $(echo "$mem" | tr '\n' ' ')"
	end_case
fi
# The guest spinning with interrupts masked, or sleeping in WFI with them
# masked: vigil's network works all along (the client is done before the
# guest's loop is).
for mode in masked idle; do
	name=net-guest-$mode
	selected "$name" || continue
	begin_case "$name"
	make_esp "$GUESTS/spin.bin" "cmdline = $STRICT $mode seconds=20" "net.echo = 7" \
		"${NET_STATIC[@]}"
	net_boot mmio 2 "guest: spin $([ "$mode" = masked ] && echo busy || echo idle) seconds=20" echo bulk
	tr -d '\r' < "$case_log" | grep -q '^guest: ok .* loop with interrupts masked' &&
		fail "the guest's loop ended before the client was done"
	net_wait
	expect_guest_pass spin
	end_case
done
# Every vCPU stopped in EL2, as the debugger stops them (vigil's test hook,
# from the guest's second CPU): the network still works.
if selected net-vcpus-stopped; then
	begin_case net-vcpus-stopped
	make_esp "$GUESTS/spin.bin" "cmdline = $STRICT masked seconds=20 stop=15000" \
		"test_hooks = on" "net.echo = 7" "${NET_STATIC[@]}"
	net_boot mmio 2 "vigil: test hook: all vCPUs stopped in EL2" echo bulk
	tr -d '\r' < "$case_log" | grep -q '^vigil: test hook: vCPUs resumed' &&
		fail "the vCPUs were resumed before the client was done"
	net_wait
	expect_guest_pass spin
	expect_line "vigil: test hook: vCPUs resumed"
	end_case
fi
# The guest reads vigil's NIC at its virtio-mmio slot: an abort (or a bus
# read), and it carries on.
if selected net-hidden-device; then
	begin_case net-hidden-device
	make_esp "$GUESTS/probe.bin" "cmdline = probe=0x0a003e00 linger=15" "net.echo = 7"
	net_boot mmio 1 "guest: still running after the probe" echo
	net_wait
	expect_guest_pass probe
	expect_match '^vigil: net: virtio-net@a003e00: '
	expect_match '^guest: ok probe 0xa003e00 (aborted|read 0x(ffffffff|0)$)'
	expect_line "guest: still running after the probe"
	end_case
fi

# No DMA past stage 2 (no SMMU is driven): QEMU's fw-cfg, whose DMA
# interface writes to physical addresses, is not the guest's. First with
# unsafe.dma_passthrough = on, which passes it (and every other device
# that can master DMA) through with a warning naming it: the guest reads
# its signature, and starts no DMA. That run's "loaded at" line says where
# vigil is; the second run, by default, programs a DMA write of 1 MiB of
# zeros there: the access aborts, vigil logs it and keeps running.
FWCFG=0x9020000
if selected dma-fwcfg; then
	begin_case dma-fwcfg
	make_esp "$GUESTS/fwcfg.bin" "cmdline = fwcfg=$FWCFG visible" \
		"unsafe.dma_passthrough = on"
	boot cortex-a72 1
	expect_guest_pass fwcfg
	expect_line "guest: fw-cfg visible at $FWCFG: signature QEMU"
	expect_line "vigil: WARNING: unsafe.dma_passthrough = on: fw-cfg@9020000 (qemu,fw-cfg-mmio) is the guest's, and its DMA reaches all memory, vigil's included"
	expect_line "vigil: WARNING: unsafe.dma_passthrough = on: pcie@10000000 (PCI host bridge) is the guest's, and its DMA reaches all memory, vigil's included"
	expect_no_match '^vigil: .* hidden from the guest \(no SMMU'
	load=$(sed -n 's/^vigil: vigil [0-9a-f]*\(-dirty\)\{0,1\} loaded at \(0x[0-9a-f]*\)$/\2/p' "$case_log.txt")
	mv "$case_log.txt" "$case_dir/visible.log"
	if [ -z "$load" ]; then
		fail "no 'loaded at' line with unsafe.dma_passthrough = on"
	else
		make_esp "$GUESTS/fwcfg.bin" "cmdline = fwcfg=$FWCFG target=$load"
		boot cortex-a72 1
		expect_guest_pass fwcfg
		expect_match "^vigil: vigil [0-9a-f]+(-dirty)? loaded at $load\$"
		expect_match "^guest: ok fw-cfg read aborted far=$FWCFG\$"
		expect_match "^guest: ok fw-cfg dma of zeros towards $load aborted far=0x9020010\$"
		expect_match "^vigil: vCPU 0: write of unmapped IPA 0x9020010 at pc 0x[0-9a-f]+: abort injected\$"
		expect_match '^vigil: [0-9]+ devices that can master DMA hidden from the guest \(no SMMU; see unsafe.dma_passthrough\)$'
		expect_line "guest: still running after the dma attempt"
		expect_no_match '^vigil: WARNING: unsafe'
	fi
	end_case
fi

# An SError taken from the guest goes back to it as a virtual SError.
# QEMU's TCG raises no physical SError (its bus errors are synchronous
# external aborts), so vigil's test hook starts the same injection path
# (arch_vcpu_inject_serror); -cpu max has FEAT_RAS, so the guest's
# ESR_EL1.ISS there is the syndrome given (VSESR_EL2).
for cpu in cortex-a72 max; do
	name=serror-injected-$cpu
	selected "$name" || continue
	begin_case "$name"
	make_esp "$GUESTS/serror.bin" "cmdline = $([ "$cpu" = max ] && echo ras)" \
		"test_hooks = on"
	boot "$cpu" 1
	expect_guest_pass serror
	expect_line "vigil: test hook: SError for vCPU 0 (ISS 0x1000123)"
	expect_match '^guest: ok virtual serror taken once unmasked esr=0xb[ef][0-9a-f]{6}$'
	end_case
done

# The guest's own software step left enabled while debug exceptions are
# masked at EL1 (tests/guests/steplock.c): 10,000 LDAXR/STXR lock rounds
# per CPU in that window, then the steps the architecture says, counted
# exactly. Alone, and with GDB attached holding a hardware breakpoint, so
# that the debugger owns the debug hardware and vigil runs the guest's step
# (it once stepped the window through EL2, and the lock never succeeded).
steplock_expect() { # CPUS
	local i
	expect_guest_pass steplock
	expect_line "guest: ok $1 cpus took the lock 10000 times each with the step masked at el1"
	for ((i = 0; i < $1; i++)); do
		expect_line "guest: cpu$i took the lock 10000 times with mdscr.ss set and pstate.d set"
		expect_line "guest: ok cpu$i el0 step after the masked window: 3 exceptions ec=0x32 isv=1 elr=pc+4, pc+8, pc+12"
		expect_line "guest: ok cpu$i el0 step active-pending after the masked window: 4 exceptions, the first isv=0 elr=pc"
		expect_line "guest: ok cpu$i el1 step with d clear after the masked window: 3 exceptions ec=0x33 isv=1"
		expect_line "guest: ok cpu$i unmasking d in the window: 3 exceptions, the first isv=0 before the next instruction"
	done
}
if selected debug-steplock-smp2; then
	begin_case debug-steplock-smp2
	make_esp "$GUESTS/steplock.bin"
	boot cortex-a72 2
	steplock_expect 2
	end_case
fi
if selected debug-steplock-gdb; then
	begin_case debug-steplock-gdb
	make_esp "$GUESTS/steplock.elf" "cmdline = wait-debugger"
	port=$(free_port)
	: > "$case_log"
	"$ROOT/tools/qemu.sh" -c cortex-a72 -s 2 -t 300 -g "$port" "$case_dir/esp" \
		< /dev/null > "$case_log" 2>&1 &
	qemu_pid=$!
	if wait_for_line "$case_log" "$qemu_pid" "guest: steplock: waiting for the debugger" 240 &&
		wait_for_line "$case_log" "$qemu_pid" "vigil: gdb: listening on TCP port 1234" 240; then
		timeout -k 5 240 gdb-multiarch -batch -nx -ex "set pagination off" \
			-ex "file $GUESTS/steplock.elf" -ex "target remote 127.0.0.1:$port" \
			-ex "set var debugger_ready = 1" -ex "hbreak steplock_phase1_done" \
			-ex "continue" -ex "print phase1_counter" -ex "continue" \
			< /dev/null > "$case_dir/gdb.log" 2>&1
		sed 's/^/  gdb: /' "$case_dir/gdb.log" | grep -E 'Breakpoint|^  gdb: \$|Inferior|timed out'
		if grep -qF "[Inferior 1 (Remote target) exited normally]" "$case_dir/gdb.log"; then
			net_wait
		else
			net_stop
			fail "gdb did not see the guest run to its end (continue did not return)"
		fi
		grep -qE '^Thread 1 "vCPU0 \(EL1\)" hit Breakpoint 1, steplock_phase1_done \(counter=20000\)' \
			"$case_dir/gdb.log" || fail "gdb: no hit of the hardware breakpoint with counter=20000"
		grep -qxF '$1 = 20000' "$case_dir/gdb.log" || fail "gdb: phase1_counter is not 20000"
		steplock_expect 2
		expect_line "guest: steplock: debugger ready"
	else
		net_stop
		fail "no 'guest: steplock: waiting for the debugger' and 'vigil: gdb: listening' in the log"
	fi
	end_case
fi

# Debian's Linux under vigil's GDB stub: gdb-multiarch sessions of
# tests/system/gdb/linux.py through tools/qemu.sh -g (hostfwd to the stub).
# The guest (vigil.gdb=wait) prints the symbols the session needs and waits
# until the debugger has its breakpoints in; the session's checks print
# "CHECK ok|FAIL" lines (in $case_dir/gdb.log, the packets in remote.log)
# and it ends with "LINUXGDB DONE". The debugger's counts must equal the
# guest's own. Optional, set for one call: LINUX_GDB_CFG, one more vigil.cfg
# line; LINUX_GDB_STALLS=none, no RCU stall / soft lockup / hung task report
# on the console, or =allowed, such reports expected (a soft lockup's
# "BUG:" is then not a failure).
linux_gdb_case() { # NAME TEST SESSION [expected serial lines...]
	local name=$1 test=$2 session=$3 port gdb_rc=0 line n
	local stalls='rcu.*(stall|detected)|soft lockup|hung task|blocked for more than'
	shift 3
	selected "$name" || return 0
	begin_case "$name"
	if [ ! -f "$LINUX/Image" ] || [ ! -f "$LINUX/initramfs.cpio.gz" ]; then
		fail "no Linux guest in $LINUX (tools/setup-linux-guest.sh)"
		end_case
		return 0
	fi
	make_esp "$LINUX/Image" "initrd = initramfs.cpio.gz" "memory = 512M" \
		"cmdline = console=ttyAMA0 nokaslr vigil.test=$test vigil.cpus=2 vigil.gdb=wait vigil.timeout=400" \
		${LINUX_GDB_CFG:+"$LINUX_GDB_CFG"}
	cp "$LINUX/initramfs.cpio.gz" "$case_dir/esp/"
	port=$(free_port)
	QEMU_TIMEOUT=${LINUX_GDB_TIMEOUT:-600}
	: > "$case_log"
	"$ROOT/tools/qemu.sh" -c cortex-a72 -s 2 -t "$QEMU_TIMEOUT" -g "$port" \
		"$case_dir/esp" < /dev/null > "$case_log" 2>&1 &
	qemu_pid=$!
	if ! wait_for_line "$case_log" "$qemu_pid" "linux: waiting for the debugger" \
		$((QEMU_TIMEOUT * 2)); then
		fail "no 'linux: waiting for the debugger' in the log"
		net_stop
		end_case
		return 0
	fi
	LINUXGDB_HZ=$(sed -n 's/^CONFIG_HZ=//p' "$LINUX/kernel-config" 2>/dev/null) \
		linux_gdb_session "$session" "$port" "$case_log" "$case_dir" \
		"${LINUX_GDB_SESSION_TIMEOUT:-420}" || gdb_rc=$?
	if grep -qxF "LINUXGDB DONE" "$case_dir/gdb.log"; then
		net_wait	# the guest powered off: QEMU is on its way out
	else
		net_stop	# a session that failed may leave the guest stopped
		rc=stopped
		fail "gdb session: $(grep -m1 -E '^CHECK FAIL' "$case_dir/gdb.log" ||
			echo "no 'LINUXGDB DONE' (gdb exit status $gdb_rc)")"
	fi
	expect_line "vigil: gdb: listening on TCP port 1234"
	expect_line "linux: debugger ready"
	for line in "$@"; do expect_line "$line"; done
	case $session in
	ptrace)
		n=$(sed -n 's/^linuxgdb: marked getpid hits //p' "$case_dir/gdb.log")
		expect_line "hwdebug: marked getpid calls ${n:-none}"
		n=$(sed -n 's/^linuxgdb: watch hits //p' "$case_dir/gdb.log")
		expect_line "linux: panic writes ${n:-none}"
		expect_match '^hwdebug: ok all 5 bp slots at once: 5 hits '
		expect_match '^hwdebug: ok all 3 wp slots at once: 6 hits ' ;;
	esac
	expect_rc 0
	expect_no_match '^linux: .*FAIL'
	case ${LINUX_GDB_STALLS:-} in
	none)
		expect_no_match "$stalls"
		expect_no_match '(Kernel panic|Oops|BUG:|^vigil: (PANIC|BUG))' ;;
	allowed)
		expect_no_match '(Kernel panic|Oops|^vigil: (PANIC|BUG))'
		line=$(grep 'BUG:' "$case_log.txt" | grep -v 'BUG: soft lockup' | head -1)
		[ -z "$line" ] || fail "unexpected: $line" ;;
	*)
		expect_no_match '(Kernel panic|Oops|BUG:|^vigil: (PANIC|BUG))' ;;
	esac
	expect_line "vigil: guest powered off (PSCI SYSTEM_OFF on vCPU 0)"
	end_case
}
# Break on a kernel function that the guest's /bin/poke reaches (software,
# then hardware breakpoint), kernel memory through TTBR1 and user memory
# through TTBR0; then the guest runs to its power-off.
linux_gdb_case linux-gdb-break kallsyms break "linux: poke 20" "linux: kallsyms PASS"
# The guest's own ptrace hardware breakpoints, watchpoints and single-step
# (hwdebug-test) while the debugger holds a hardware breakpoint and a
# watchpoint: both get every hit that is theirs.
linux_gdb_case linux-gdb-ptrace ptrace ptrace "hwdebug: slots bp=6 wp=4" \
	"hwdebug: leaving 1 bp and 1 wp slots to an outside debugger" \
	"hwdebug: PASS" "linux: ptrace PASS"
# Frozen guest time (gdb.freeze_time, docs/gdb.md): the guest stopped 30 s,
# then running 10 s, sees its uptime (jiffies) move by at most 12 s and
# reports no RCU stall, soft lockup or hung task. 30 s, not less: it must
# exceed the kernel's RCU stall timeout (21 s) and soft-lockup threshold
# (20 s) for the off case to show what freezing prevents. With
# gdb.freeze_time = off the same session must see the uptime jump by the
# stop (proof that the measurement can fail); stall reports are allowed
# there, and a soft lockup's "BUG:" is not a failure.
LINUX_GDB_STALLS=none LINUXGDB_FREEZE=on \
	linux_gdb_case linux-gdb-freeze-time kallsyms freeze "linux: poke 20" \
	"linux: kallsyms PASS"
LINUX_GDB_STALLS=allowed LINUXGDB_FREEZE=off LINUX_GDB_CFG="gdb.freeze_time = off" \
	linux_gdb_case linux-gdb-freeze-time-off kallsyms freeze "linux: poke 20" \
	"linux: kallsyms PASS"

# gdb.wait = on with Debian's Linux, in one QEMU run that reboots on a
# reset (-R): the first stop is the Image's entry, before any kernel line,
# and a detach starts the guest (its shell, console typed into through a
# FIFO); the shell prints the addresses of start_kernel and
# secondary_start_kernel from /proc/kallsyms (nokaslr: the same on every
# boot; Debian ships no System.map); a session attaches and does `monitor
# reset`; vigil boots again and holds the guest again, and `hbreak
# start_kernel` is hit before the kernel printed anything (earlycon is on,
# so its first lines would show at once), then `hbreak
# secondary_start_kernel` on vCPU1 as the kernel starts it; after a detach
# the guest comes up on 2 CPUs and powers off from its shell.
WAIT_LINE="vigil: gdb: waiting for a debugger on 10.0.2.15:1234"
LINUX_READY="linux: vigil default guest ready (2 CPUs)"
# wait_for_count LOG PID REGEX N POLLS: N lines of LOG match REGEX (grep -E).
wait_for_count() {
	local waited=0
	until [ "$(tr -d '\r' < "$1" | grep -cE -- "$3")" -ge "$4" ]; do
		kill -0 "$2" 2>/dev/null && [ "$waited" -le "$5" ] || return 1
		sleep 0.5
		waited=$((waited + 1))
	done
}
# linux_wait_step SESSION: one linux.py session against $port; fails the
# case (status 1) unless it got to its end.
linux_wait_step() {
	local gdb_rc=0
	linux_gdb_session "$1" "$port" "$case_log" "$case_dir" 300 || gdb_rc=$?
	mv "$case_dir/gdb.log" "$case_dir/gdb-$1.log"
	mv "$case_dir/remote.log" "$case_dir/remote-$1.log" 2>/dev/null
	grep -qxF "LINUXGDB DONE" "$case_dir/gdb-$1.log" && return 0
	fail "gdb session $1: $(grep -m1 -E '^CHECK FAIL' "$case_dir/gdb-$1.log" ||
		echo "no 'LINUXGDB DONE' (gdb exit status $gdb_rc)")"
	return 1
}
# linux_wait_for REGEX N WHAT: wait_for_count on the case's QEMU, failing
# the case with "no WHAT" (status 1) if it does not come.
linux_wait_for() {
	wait_for_count "$case_log" "$qemu_pid" "$1" "$2" $((QEMU_TIMEOUT * 2)) && return 0
	fail "no $3"
	return 1
}
if selected linux-gdb-wait; then
	begin_case linux-gdb-wait
	if [ ! -f "$LINUX/Image" ] || [ ! -f "$LINUX/initramfs.cpio.gz" ]; then
		fail "no Linux guest in $LINUX (tools/setup-linux-guest.sh)"
	else
		make_esp "$LINUX/Image" "initrd = initramfs.cpio.gz" "memory = 512M" \
			"cmdline = console=ttyAMA0 earlycon nokaslr" "gdb.wait = on"
		cp "$LINUX/initramfs.cpio.gz" "$case_dir/esp/"
		export LINUXGDB_IMAGE=$LINUX/Image
		port=$(free_port)
		QEMU_TIMEOUT=${LINUX_GDB_TIMEOUT:-600}
		mkfifo "$case_dir/stdin"
		: > "$case_log"
		"$ROOT/tools/qemu.sh" -c cortex-a72 -s 2 -t "$QEMU_TIMEOUT" -g "$port" -R \
			"$case_dir/esp" < "$case_dir/stdin" > "$case_log" 2>&1 &
		qemu_pid=$!
		exec 8> "$case_dir/stdin"
		wait_re="^${WAIT_LINE//./\\.}\$"
		ready_re="^${LINUX_READY//[()]/.}\$"
		# What the shell is asked: "linux: sym NAME ADDR", as ksym prints.
		syms='awk '"'"'$3 == "start_kernel" || $3 == "secondary_start_kernel" { print "linux: sym " $3 " " $1 }'"'"' /proc/kallsyms'
		linux_wait_for "$wait_re" 1 "'$WAIT_LINE'" &&
			linux_wait_step wait-entry &&
			linux_wait_for "$ready_re" 1 "'$LINUX_READY' after the detach" &&
			printf '%s\r' "$syms" >&8 &&
			linux_wait_for '^linux: sym (secondary_)?start_kernel [0-9a-f]{16}$' 2 \
				"'linux: sym' lines from the shell" &&
			linux_wait_step wait-reset &&
			linux_wait_for "$wait_re" 2 "second '$WAIT_LINE' after monitor reset" &&
			linux_wait_step wait-early &&
			linux_wait_for "$ready_re" 2 "second '$LINUX_READY' after the detach" &&
			printf 'exit\r' >&8
		if [ -z "$case_failed" ]; then
			net_wait	# the shell exited: the guest powers off
		else
			net_stop
			rc=stopped
		fi
		exec 8>&-
		expect_count 2 "$WAIT_LINE"
		expect_count 1 "vigil: gdb: resetting the guest (and vigil with it)"
		expect_rc 0
		expect_line "linux: shell exited, powering off"
		expect_line "vigil: guest powered off (PSCI SYSTEM_OFF on vCPU 0)"
		expect_no_match '(Kernel panic|Oops|BUG:|^vigil: (PANIC|BUG))'
	fi
	end_case
fi

# Fewer vCPUs than CPUs, and the largest machine.
if selected smp-vcpus2-on-smp4; then
	begin_case smp-vcpus2-on-smp4
	make_esp "$GUESTS/smp.bin" "vcpus = 2"
	boot cortex-a72 4
	expect_guest_pass smp
	expect_line "guest: smp cpus=2"
	end_case
fi
guest_case smp-cortex-a72-smp8 cortex-a72 8 smp

# SYSTEM_RESET resets the machine (QEMU runs with -no-reboot, so it exits).
if selected psci-system-reset; then
	begin_case psci-system-reset
	make_esp "$GUESTS/psci.bin" "cmdline = $STRICT reset"
	boot cortex-a72 2
	expect_rc 0
	expect_line "guest: psci system_reset"
	expect_line "vigil: guest reset (PSCI SYSTEM_RESET on vCPU 0)"
	expect_no_match '^guest: FAIL'
	expect_count 1 "guest: psci start"
	end_case
fi

# log = quiet silences vigil; the guest's output is untouched.
if selected log-quiet; then
	begin_case log-quiet
	make_esp "$GUESTS/hello.bin" "log = quiet"
	boot cortex-a72 1
	expect_guest_pass hello
	expect_no_match '^vigil:'
	end_case
fi

# An honest console: a guest line that starts with "vigil:" is marked as
# the guest's, wherever the line starts (after a newline, a CR, a vigil
# line cutting in, a pause in the middle of the prefix); nothing else the
# guest writes is changed, and no unmarked forged line reaches the console.
if selected console-forged-lines; then
	begin_case console-forged-lines
	make_esp "$GUESTS/forge.bin"
	boot cortex-a72 1
	expect_guest_pass forge
	expect_line "[guest] vigil: PANIC: forged"
	expect_line "[guest] vigil: BUG: forged after cr"
	expect_line "x"
	expect_match '^vigil: vCPU 0: read of unmapped IPA 0x[0-9a-f]+ at pc 0x[0-9a-f]+: abort injected$'
	expect_line "[guest] vigil: PANIC: forged after a vigil line"
	expect_line "[guest] vigil: PANIC: forged slowly"
	expect_line "vigilant is not vigil:"
	expect_line "guest: says vigil: in the middle of a line"
	expect_no_match '^vigil: .*forged'
	end_case
fi

# Console input reaches the guest through the emulated PL011.
if selected console-input; then
	begin_case console-input
	make_esp "$GUESTS/demo.bin"
	boot_typing cortex-a72 2 "demo> " $'hello vigil\roff\r'
	expect_guest_pass demo
	expect_line "guest: echo: hello vigil"
	expect_line "guest: 2 vCPUs running"
	end_case
fi

# Broken configurations: one clear message, then back to the firmware.
config_error_case() { # NAME KERNEL EXPECTED_LINE [cfg lines...]
	local name=$1 kernel=$2 line=$3
	shift 3
	selected "$name" || return 0
	begin_case "$name"
	make_esp "$kernel" "$@"
	boot_until cortex-a72 1 "vigil: returning to the firmware"
	expect_line "$line"
	expect_line "vigil: returning to the firmware"
	expect_no_match '^vigil: (PANIC|BUG)'
	end_case
}
config_error_case config-missing-kernel-file "" \
	"vigil: kernel 'nope.bin': not found" "kernel = nope.bin"
config_error_case config-no-kernel-key "" \
	"vigil: vigil.cfg: kernel: missing (say which image to boot, e.g. 'kernel = Image')" \
	"log = info"
config_error_case config-bad-memory "$GUESTS/hello.bin" \
	"vigil: vigil.cfg:2: memory: 'lots' is not a size (examples: 512M, 1G)" \
	"memory = lots"
config_error_case config-unknown-key "$GUESTS/hello.bin" \
	"vigil: vigil.cfg:3: unknown key 'kernal'" "# a typo" "kernal = hello.bin"
config_error_case config-missing-initrd "$GUESTS/hello.bin" \
	"vigil: initrd 'initrd.cpio': not found" "initrd = initrd.cpio"
config_error_case config-gdb-wait-no-stub "$GUESTS/hello.bin" \
	"vigil: vigil.cfg: gdb.wait = on needs the GDB stub, but gdb.port = off" \
	"gdb.wait = on" "gdb.port = off"

if selected config-elf-memory-busy; then
	begin_case config-elf-memory-busy
	make_esp "$GUESTS/low/hello.elf"
	boot_until cortex-a72 1 "vigil: returning to the firmware"
	expect_line "vigil: kernel 'hello.elf': guest RAM 0x40000000-0x4fffffff that its ELF segments need is not free (not found)"
	expect_match '^vigil:   0x[0-9a-f]+-0x[0-9a-f]+ is in use by the firmware \(UEFI memory type [0-9]+\)$'
	end_case
fi

if selected config-missing-file; then
	begin_case config-missing-file
	make_esp "$GUESTS/hello.bin"
	rm "$case_dir/esp/vigil.cfg"
	boot_until cortex-a72 1 "vigil: returning to the firmware"
	expect_line "vigil: config 'vigil.cfg': not found"
	end_case
fi

# More vCPUs than the machine has: found after boot services, so vigil
# says so and powers off instead of returning.
if selected config-too-many-vcpus; then
	begin_case config-too-many-vcpus
	make_esp "$GUESTS/hello.bin" "vcpus = 8"
	boot cortex-a72 2
	expect_rc 0
	expect_line "vigil: config: vcpus = 8, but this machine has 2 CPUs"
	expect_line "vigil: cannot start the guest; powering off"
	end_case
fi

# The GDB stub end to end (tests/system/gdbtest.py, which boots its own
# QEMU per case): gdb-multiarch sessions, the protocol fuzzer and lldb,
# against tests/guests/gdbtarget on 2 vCPUs. Packet logs in $case_dir/gdb/.
GDB_CASES="hbreak watch rwatch awatch stepi next-step threads sched-lock
	interrupt set-var registers detach-reattach disconnect-reattach second-client
	monitor kill-reattach fuzz lldb freeze-time freeze-time-off wait wait-reset
	non-stop allow-refused allow-ok readonly idle-conns"
# run_gdbtest NAME CASE [gdbtest.py options...]: gdbtest.py's CASE as case NAME.
run_gdbtest() {
	local name=$1 gdb_case=$2
	shift 2
	begin_case "$name"
	if ! python3 "$ROOT/tests/system/gdbtest.py" --target vigil --build "$BUILD" \
		--out "$case_dir/gdb" "$@" "$gdb_case" > "$case_dir/gdbtest.log" 2>&1; then
		fail "$(grep -m1 '^FAIL' "$case_dir/gdbtest.log" || echo "gdbtest.py failed")"
		sed -n '2,20s/^/  /p' "$case_dir/gdbtest.log"
	fi
	cp "$case_dir/gdb/serial.log" "$case_log" 2>/dev/null
	tr -d '\r' < "$case_log" > "$case_log.txt" 2>/dev/null
}
for gdb_case in $GDB_CASES; do
	selected "gdb-$gdb_case" || continue
	run_gdbtest "gdb-$gdb_case" "$gdb_case"
	end_case
done
# The stub over both virtio-mmio transports of its NIC (the cases above run
# on QEMU's default, legacy): a breakpoint and a backtrace, and the device
# line naming the transport.
for mmio in legacy modern; do
	selected "gdb-break-bt-mmio-$mmio" || continue
	run_gdbtest "gdb-break-bt-mmio-$mmio" break-bt --mmio "$mmio"
	expect_nic_line "mmio-$mmio"
	end_case
done

# gdb.wait = on where nobody could attach: with no NIC, vigil says so and
# starts the guest rather than hold it for ever.
if selected gdb-wait-no-nic; then
	begin_case gdb-wait-no-nic
	make_esp "$GUESTS/hello.bin" "cmdline = $STRICT" "gdb.wait = on"
	boot cortex-a72 1
	expect_guest_pass hello
	expect_line "vigil: gdb: no network, so no GDB stub"
	expect_line "vigil: gdb: gdb.wait = on, but there is no GDB stub: the guest starts without waiting for a debugger"
	expect_no_match '^vigil: gdb: waiting for a debugger'
	end_case
fi
# gdb.wait = on with a NIC on a network without DHCP (a QEMU hub with
# nothing else on it): vigil says every 5 s that it has no address yet and
# keeps the guest held; it is never entered silently.
NO_DHCP_LINE='^vigil: gdb: no DHCP answer yet after [0-9]+ s; the guest stays held until a debugger attaches$'
if selected gdb-wait-no-dhcp; then
	begin_case gdb-wait-no-dhcp
	make_esp "$GUESTS/hello.bin" "cmdline = $STRICT" "gdb.wait = on"
	: > "$case_log"
	"$ROOT/tools/qemu.sh" -c cortex-a72 -s 1 -t "$QEMU_TIMEOUT" "$case_dir/esp" -- \
		-netdev hubport,id=nodhcp,hubid=0 -device virtio-net-device,netdev=nodhcp \
		< /dev/null > "$case_log" 2>&1 &
	qemu_pid=$!
	waited=0
	until [ "$(tr -d '\r' < "$case_log" | grep -cE -- "$NO_DHCP_LINE")" -ge 2 ]; do
		if ! kill -0 "$qemu_pid" 2>/dev/null || [ "$waited" -gt $((QEMU_TIMEOUT * 2)) ]; then
			fail "not two 'no DHCP answer yet' lines"
			break
		fi
		sleep 0.5
		waited=$((waited + 1))
	done
	net_stop
	expect_match '^vigil: net: virtio-net@[0-9a-f]+: '
	expect_no_match '^vigil: gdb: (listening|waiting for a debugger)'
	expect_no_match '^guest:'
	expect_no_match '^vigil: (PANIC|BUG)'
	end_case
fi

# docs/user-guide.md's QEMU command line ("By hand"), run as written: the
# block between its two by-hand markers, in a folder whose build/ is this
# build. The doc promises that a user's own command line gets a debugger,
# so the case changes only what a test must: the host port (1234 may be
# taken on this machine) becomes a free one, and QEMU is bounded by a
# timeout like every run here. Stdin is /dev/null, so the guest's shell
# waits for input after its banner, and the case stops QEMU then.
if selected user-guide-by-hand; then
	begin_case user-guide-by-hand
	block=$(sed -n '/^<!-- by-hand:/,/^<!-- by-hand: end/s/^    //p' "$ROOT/docs/user-guide.md")
	port=$(free_port)
	ln -s "$BUILD" "$case_dir/build"
	{
		echo "qemu-system-aarch64() { timeout -k 5 180 qemu-system-aarch64 \"\$@\"; }"
		echo "${block//127.0.0.1:1234-/127.0.0.1:$port-}"
	} > "$case_dir/by-hand.sh"
	if ! grep -q '^    qemu-system-aarch64 ' <<<"$(sed -n '/^<!-- by-hand:/,/^<!-- by-hand: end/p' "$ROOT/docs/user-guide.md")" ||
		! grep -qF "127.0.0.1:$port-:1234" "$case_dir/by-hand.sh"; then
		fail "docs/user-guide.md has no by-hand block with a qemu-system-aarch64 line forwarding 127.0.0.1:1234"
	else
		: > "$case_log"
		(cd "$case_dir" && exec bash by-hand.sh) < /dev/null > "$case_log" 2>&1 &
		qemu_pid=$!
		if wait_for_line "$case_log" "$qemu_pid" "vigil: gdb: listening on TCP port 1234" 360; then
			timeout -k 5 120 gdb-multiarch -batch -nx \
				-ex "target remote 127.0.0.1:$port" -ex "info threads" -ex "detach" \
				< /dev/null > "$case_dir/gdb.log" 2>&1 || true
			sed 's/^/  gdb: /' "$case_dir/gdb.log"
			for n in 0 1; do
				# EL1 or EL0: the attach may find a vCPU in init already.
				grep -qE "^[* ] +$((n + 1)) +Thread [0-9.]+ \"vCPU$n \(EL[01]\)\"" "$case_dir/gdb.log" ||
					fail "gdb did not list vCPU$n as a thread"
			done
			grep -qF "[Inferior 1 (Remote target) detached]" "$case_dir/gdb.log" ||
				fail "gdb did not detach"
			wait_for_line "$case_log" "$qemu_pid" "linux: vigil default guest ready (2 CPUs)" 360 ||
				fail "no 'linux: vigil default guest ready (2 CPUs)' after the detach"
		else
			fail "no 'vigil: gdb: listening on TCP port 1234' in the log"
		fi
		net_stop
		expect_match '^vigil: net: virtio-net@a[0-9a-f]+ 52:54:00:12:34:56 address 10\.0\.2\.15/24 \(dhcp\) gateway 10\.0\.2\.2$'
		expect_no_match '(Kernel panic|Oops|BUG:|^vigil: (PANIC|BUG))'
	fi
	end_case
fi

pass=$(grep -c pass "$RESULTS" || true)
failed=$(grep -c fail "$RESULTS" || true)
echo "system: $pass passed, $failed failed"
[ "$failed" = 0 ]
