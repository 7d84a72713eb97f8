#!/usr/bin/env bash
# tools/bench-net.sh - vigil's network figures for `make bench`.
#
#   tools/bench-net.sh            (BUILD=dir, default <repo>/build)
#
# Printed at the end in tools/bench.sh's form, each followed by an indented
# line saying what exactly was measured:
#   bench: <name> = <value> <unit> (goal ...: met|missed)
#
#   net_echo_el2_insns      EL2 instructions per 1-byte TCP echo round trip
#                           (NIC receive interrupt, lwIP, the echo, lwIP, NIC
#                           transmit): under -icount shift=0 the spin
#                           guest counts EL2 instructions (PMU, INST_RETIRED
#                           filtered to EL2) over a fixed stretch of virtual
#                           time spent in a masked loop, once with K0 and once
#                           with K1 round trips from the host during it; the
#                           figure is the difference over K1 - K0 (the
#                           connection's set-up and tear-down, the probe
#                           connection and vigil's timer ticks cancel out).
#   net_echo_latency_us     median real time of a 1-byte echo round trip
#                           through QEMU user networking to vigil (no icount;
#                           the guest spins with interrupts masked)
#   qemu_gdbstub_latency_us median real time for QEMU's own gdbstub to answer
#                           gdb's qSupported (tests/bench/rsp_latency.py)
#   net_echo_latency_ratio  the first over the second: the price of going
#                           through the emulated NIC, the guest's CPU and EL2
#                           instead of QEMU's own socket
#
# The latencies are timed, so they move with the host's load. The
# instructions are counted exactly, but what a round trip takes on the wire
# is up to QEMU's user-mode TCP, which sometimes acknowledges an echo in a
# frame of its own: the figure moves by a few percent from run to run.
# Exit status 1 if a figure could not be measured. Logs: $BUILD/bench/net/.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"	# ROOT, BUILD, result...
OUT=$BUILD/bench/net
mkdir -p "$OUT"

K0=100			# round trips in the reference run
K1=1100			# and in the measured one
ICOUNT_SECONDS=6		# virtual seconds of the guest's loop under -icount
LATENCY_N=1000

say() { echo "bench-net.sh: $*"; }

say "building vigil and the test guests"
make --no-print-directory -s BUILD="$BUILD" "$BUILD/vigil.efi" guests

# esp NAME CMDLINE [cfg lines...]: an ESP with the spin guest.
esp() {
	local dir=$OUT/esp-$1 cmdline=$2
	shift 2
	rm -rf "$dir"
	mkdir -p "$dir/EFI/BOOT"
	cp "$BUILD/vigil.efi" "$dir/EFI/BOOT/BOOTAA64.EFI"
	cp "$BUILD/guests/spin.bin" "$dir/"
	{
		echo "kernel = spin.bin"
		echo "cmdline = $cmdline"
		for line in "$@"; do echo "$line"; done
	} >"$dir/vigil.cfg"
	echo "$dir"
}

# start NAME LINE QEMU_SH_ARGS...: tools/qemu.sh in the background on 1
# CPU; returns once LINE is in the log ($qpid, $log). A machine that never
# gets there is tried once more: on a loaded host the firmware has been
# seen to hang before it loads vigil, and that says nothing about vigil.
start() {
	local name=$1 line=$2 waited attempt
	shift 2
	log=$OUT/$name.log
	for attempt in 1 2; do
		: >"$log"
		tools/qemu.sh -s 1 -t 600 "$@" </dev/null >"$log" 2>&1 &
		qpid=$!
		waited=0
		until tr -d '\r' <"$log" | grep -qF -- "$line"; do
			if ! kill -0 "$qpid" 2>/dev/null || [ $waited -gt 1200 ]; then
				break
			fi
			sleep 0.1
			waited=$((waited + 1))
		done
		tr -d '\r' <"$log" | grep -qF -- "$line" && return 0
		stop
		cp "$log" "$log.attempt$attempt"
	done
	reason="no '$line' (see $log.attempt1, $log.attempt2)"
	return 1
}
stop() {
	pkill -P "$qpid" 2>/dev/null || true
	kill "$qpid" 2>/dev/null || true
	wait "$qpid" 2>/dev/null || true
}

STATIC=("net.echo = 7" "net.ip = 10.0.2.15/24" "net.gw = 10.0.2.2")

# el2_insns_with K: sets $el2 to the guest's EL2 count with K round trips.
el2_insns_with() {
	local k=$1 port dir line
	port=$(free_port)
	dir=$(esp "icount-$k" "masked el2count seconds=$ICOUNT_SECONDS" "${STATIC[@]}")
	start "icount-$k" "guest: spin busy" -N mmio -F "$port:7" "$dir" -- \
		-icount shift=0 || return 1
	if ! python3 tests/system/netclient.py --port "$port" "rtt=$k" \
		>"$OUT/icount-$k.client.log" 2>&1; then
		stop
		reason="netclient.py failed (see $OUT/icount-$k.client.log)"
		return 1
	fi
	if tr -d '\r' <"$log" | grep -q '^guest: ok busy loop'; then
		stop
		reason="the guest's loop ended before the $k round trips did (see $log)"
		return 1
	fi
	wait "$qpid" || true
	line=$(tr -d '\r' <"$log" | grep -E '^guest: spin el2_insns=[0-9]+ overflow=0$') || {
		reason="no el2_insns line without overflow (see $log)"
		return 1
	}
	el2=${line#guest: spin el2_insns=}
	el2=${el2%% *}
}

say "EL2 instructions per echo round trip: $K0 and $K1 round trips, -icount shift=0"
if el2_insns_with $K0 && el2_k0=$el2 && el2_insns_with $K1; then
	el2_k1=$el2
	n=$((K1 - K0)) diff=$((el2_k1 - el2_k0))
	result net_echo_el2_insns "$(awk -v a=$diff -v b=$n 'BEGIN { printf "%.0f", a / b }')" insns "<= 5000" \
		"1-byte TCP echo round trips (NIC rx interrupt -> lwIP -> echo -> NIC tx), virtio-net-device: ($el2_k1 - $el2_k0) EL2 instructions / $n; $ICOUNT_SECONDS virtual seconds of a masked loop each"
else
	unavailable net_echo_el2_insns "$reason"
fi

say "latency: vigil's echo vs QEMU's gdbstub, $LATENCY_N requests each"
vigil_us="" qemu_us=""
port=$(free_port)
dir=$(esp latency-vigil "masked seconds=300" "${STATIC[@]}")
if start latency-vigil "guest: spin busy" -N mmio -F "$port:7" "$dir"; then
	line=$(python3 tests/system/netclient.py --port "$port" "rtt=$LATENCY_N" 2>&1 |
		tee "$OUT/latency-vigil.client.log" | grep -E '^netclient: ok rtt') || true
	stop
	vigil_us=$(echo "$line" | sed -nE 's/.* median ([0-9]+) us.*/\1/p')
	if [ -n "$vigil_us" ]; then
		result net_echo_latency_us "$vigil_us" us "" \
			"median of $LATENCY_N 1-byte echo round trips, host -> QEMU user networking -> virtio-net-device -> vigil (guest spinning, interrupts masked): ${line#netclient: ok rtt: }"
	else
		unavailable net_echo_latency_us "netclient.py failed (see $OUT/latency-vigil.client.log)"
	fi
else
	unavailable net_echo_latency_us "$reason"
fi
port=$(free_port)
dir=$(esp latency-qemu "masked seconds=300")
if start latency-qemu "guest: spin busy" "$dir" -- -gdb "tcp:127.0.0.1:$port"; then
	line=$(python3 tests/bench/rsp_latency.py "$port" "$LATENCY_N" 2>&1 |
		tee "$OUT/latency-qemu.client.log" | grep -E '^rsp_latency: median') || true
	stop
	qemu_us=$(echo "$line" | sed -nE 's/.*median_us=([0-9]+) .*/\1/p')
	if [ -n "$qemu_us" ]; then
		result qemu_gdbstub_latency_us "$qemu_us" us "" \
			"median of $LATENCY_N qSupported requests to QEMU's own gdbstub on the same machine configuration: ${line#rsp_latency: }"
	else
		unavailable qemu_gdbstub_latency_us "rsp_latency.py failed (see $OUT/latency-qemu.client.log)"
	fi
else
	unavailable qemu_gdbstub_latency_us "$reason"
fi
if [ -n "$vigil_us" ] && [ -n "$qemu_us" ]; then
	result net_echo_latency_ratio "$(div2 "$vigil_us" "$qemu_us")" x "" \
		"vigil's echo round trip / QEMU's gdbstub answering qSupported ($vigil_us us / $qemu_us us; both timed, so they move with the host's load)"
else
	unavailable net_echo_latency_ratio "a latency is missing"
fi

bench_report
