#!/usr/bin/env bash
# tools/bench-gdb.sh - vigil's GDB stub figures for `make bench`.
#
#   tools/bench-gdb.sh            (BUILD=dir, default <repo>/build)
#
# Stock gdb-multiarch, the guest's symbols loaded, default settings, debugs
# tests/guests/gdbbench (1 CPU) through tests/bench/gdb_session.py, behind
# vigil's stub (tools/qemu.sh -g: hostfwd to the stub on vigil's own NIC)
# and, for reference, behind QEMU's own gdbstub (plain qemu-system-aarch64
# -kernel gdbbench.elf -gdb tcp:..., TCG, no vigil). Printed at the end in
# tools/bench.sh's form, each followed by an indented line saying what
# exactly was measured:
#   bench: <name> = <value> <unit> (goal ...: met|missed)
#
#   gdb_stepi_round_trips        packets gdb sends per `stepi` (`set debug
#                                remote 1`), over STEPI stepi after a
#                                warm-up one; gdb_stepi_round_trips_qemu
#                                the same against QEMU's stub
#   gdb_next_round_trips         resumes (vCont;s/c/r, s, c) gdb sends for
#                                one source-line `next` over a line of 1,006
#                                straight-line instructions: 1 with range
#                                stepping (vCont;r); the packets in all are
#                                in the explanation; _qemu the same
#   gdb_stepi_throughput_ratio   the time of a stepi against QEMU's stub
#                                over the time against vigil's (higher is
#                                better), both machines up at once, ROUNDS
#                                sessions of TIMED stepi each, alternating;
#                                medians, which a busy host disturbs less
#   gdb_step_el2_insns           EL2 instructions per single step of a range
#                                step, network excluded: under -icount
#                                shift=0 the guest reads the EL2-filtered
#                                INST_RETIRED count around the 1,000
#                                instructions that one `next` steps
#   gdb_packet_el2_insns         EL2 instructions per packet, received to
#                                replied: under -icount shift=0 the guest
#                                counts EL2 instructions while stopped at a
#                                breakpoint during which gdb sends K0 or K1
#                                `qC` packets; (sum K1 - sum K0) / ((K1 -
#                                K0) x pairs), so the stop, the resume and
#                                gdb's own packets around them cancel
#
# Instruction counts are exact (the step figure repeats to the
# instruction); the packet figure also takes whatever the host's TCP adds
# per exchange (a pure ACK now and then) and vigil's 20 ms stub timer
# during the extra wall time: it moves by well under 1% between runs. Times
# move with the host's load: hence the alternation and the ratio.
# Exit status 1 only if a figure could not be measured; goals missed are
# reported, not failures. Logs: $BUILD/bench/gdb/.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"	# ROOT, BUILD, result...
OUT=$BUILD/bench/gdb
mkdir -p "$OUT"

CPU=cortex-a72
GUEST_ELF=$BUILD/guests/gdbbench.elf
SESSION=$ROOT/tests/bench/gdb_session.py
STEPI=20		# counted stepi
NEXTS=3			# `next`s over the line MARK:step-line
STEPPED_INSNS=1000	# stepped between the guest's counter reads
			# (gdbbench.c STEP_LINE_INSNS)
TIMED=200		# timed stepi per session
ROUNDS=5		# timed sessions per stub, alternating
K0=10 K1=210 PAIRS=3	# qC packets per stop
BOOT_TIMEOUT=180	# seconds until the stub must be reachable
QEMU_TIMEOUT=600	# seconds any QEMU may live
GDB_TIMEOUT=240		# seconds any gdb session may take

say() { echo "bench-gdb.sh: $*"; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

say "building vigil and the test guests"
make --no-print-directory -s BUILD="$BUILD" "$BUILD/vigil.efi" guests

# ------------------------------------------------------------- machines

# vigil_start NAME [qemu args...]: vigil with gdbbench on 1 CPU, its stub
# forwarded to $vigil_port; returns once the stub and the guest are up
# ($vigil_pid, $vigil_log).
vigil_start() {
	local name=$1 waited=0 esp=$OUT/esp-$1
	shift
	vigil_log=$OUT/$name.serial.log
	vigil_port=$(free_port)
	CMDLINE="" VCPUS=1 MEMORY="" LOG="" \
		tools/mkesp.sh -o "$esp" -e "$BUILD/vigil.efi" -k "$GUEST_ELF"
	: >"$vigil_log"
	tools/qemu.sh -c "$CPU" -s 1 -t "$QEMU_TIMEOUT" -g "$vigil_port" "$esp" -- "$@" \
		</dev/null >"$vigil_log" 2>&1 &
	vigil_pid=$!
	# The stub listens before vigil has its address; a connection made
	# before that is lost, so wait for the address too.
	until tr -d '\r' <"$vigil_log" | grep -qx "vigil: gdb: listening on TCP port 1234" &&
		tr -d '\r' <"$vigil_log" | grep -qx "guest: gdbbench: ready" &&
		tr -d '\r' <"$vigil_log" | grep -qE "^vigil: net: .* address [0-9.]+/"; do
		if ! kill -0 "$vigil_pid" 2>/dev/null || [ $waited -ge $((BOOT_TIMEOUT * 10)) ]; then
			reason="vigil's stub or the guest did not come up (see $vigil_log)"
			stop_machine "$vigil_pid"
			return 1
		fi
		sleep 0.1
		waited=$((waited + 1))
	done
}

# qemu_start: gdbbench under plain QEMU (EL1, TCG), halted, QEMU's own
# gdbstub on $qemu_port ($qemu_pid, $qemu_log).
qemu_start() {
	local waited=0
	qemu_log=$OUT/qemu.serial.log
	qemu_port=$(free_port)
	timeout --foreground -k 5 "$QEMU_TIMEOUT" qemu-system-aarch64 \
		-M virt,gic-version=3 -cpu "$CPU" -smp 1 -m 512M -nographic \
		-no-reboot -kernel "$GUEST_ELF" -gdb "tcp:127.0.0.1:$qemu_port" -S \
		</dev/null >"$qemu_log" 2>&1 &
	qemu_pid=$!
	until ss -ltnH "sport = :$qemu_port" 2>/dev/null | grep -q .; do
		if ! kill -0 "$qemu_pid" 2>/dev/null || [ $waited -ge 100 ]; then
			reason="QEMU's gdbstub did not come up on port $qemu_port (see $qemu_log)"
			stop_machine "$qemu_pid"
			return 1
		fi
		sleep 0.1
		waited=$((waited + 1))
	done
}

# stop_machine PID: a QEMU started above (timeout passes the signal on).
stop_machine() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# session NAME PORT PHASES: one gdb session; its output in
# $OUT/NAME.gdb.log, the "benchgdb:" lines in $session_out.
session() {
	local name=$1 port=$2 phases=$3 log=$OUT/$1.gdb.log rc=0
	BENCH_GDB_PORT=$port BENCH_GDB_ELF=$GUEST_ELF BENCH_GDB_PHASES=$phases \
		BENCH_GDB_STEPI=$STEPI BENCH_GDB_NEXTS=$NEXTS BENCH_GDB_TIMED=$TIMED \
		BENCH_GDB_KS="$K0$(for _ in $(seq $PAIRS); do printf ",%s,%s" $K0 $K1; done)" \
		timeout -k 5 "$GDB_TIMEOUT" gdb-multiarch -batch -nx -x "$SESSION" \
		>"$log" 2>&1 </dev/null || rc=$?
	session_out=$(grep -E '^benchgdb: ' "$log") || true
	if ! grep -qx "benchgdb: done" "$log"; then
		reason="gdb session $name failed (status $rc): $(grep -E 'Error|error' "$log" | tail -1) (see $log)"
		return 1
	fi
}

# field OUT KEY WORD: the numbers after WORD on the "benchgdb: KEY" lines
# of a session's output OUT, space-separated.
field() {
	{ echo "$1" | grep -E "^benchgdb: $2 " || true; } |
		sed -nE "s/.* $3 ([0-9]+)( .*|$)/\1/p" | tr '\n' ' ' | sed 's/ $//'
}

# stepi_figure NAME OUT SESSION GOAL WHO: packets per stepi.
stepi_figure() {
	local n packets
	n=$(field "$2" stepi packets)
	# One stepi's packets, addresses left out.
	packets=$({ grep -m1 -E '^benchgdb-packets: stepi: ' "$OUT/$3.gdb.log" || true; } |
		sed -E 's/^benchgdb-packets: stepi: //; s/m[0-9a-f]+,[0-9a-f]+/m/g;
			s/(qXfer:[a-z]+:read)[^ ]*/\1/g; s/vCont;s[^ ]*/vCont;s/g')
	result "$1" "$(div2 "$n" $STEPI)" packets "$4" \
		"packets gdb-multiarch sends per stepi to $5 (\`set debug remote 1\`): $n over $STEPI stepi after a warm-up one, straight-line code; one stepi: $packets"
}

# next_figure NAME OUT GOAL WHO: resumes per `next`; all NEXTS `next`s
# must agree.
next_figure() {
	local r p n
	r=$(field "$2" next resumes | tr ' ' '\n' | sort -u)
	p=$(field "$2" next packets | tr ' ' '\n' | sort -u)
	n=$(field "$2" next line_insns | tr ' ' '\n' | sort -u)
	if [ "$(echo "$r" | wc -l)" != 1 ] || [ "$(echo "$p" | wc -l)" != 1 ]; then
		unavailable "$1" "the $NEXTS nexts differ: resumes '$r', packets '$p'"
		return
	fi
	result "$1" "$r" resumes "$3" \
		"round trips that resume the guest (vCont;s/c/r) during one source-line \`next\` over a line of $n straight-line instructions (gdbbench.c, MARK:step-line), $4; $p packets in all (the others read memory and the thread list around the stop), the same in each of $NEXTS nexts"
}

# step_figure OUT: EL2 instructions per single step of a range step.
step_figure() {
	local all steps
	all=$(field "$1" next step_el2_insns)
	steps=$(echo "$all" | median)
	if [ "$steps" = 0 ]; then
		unavailable gdb_step_el2_insns "the guest counted 0 EL2 instructions (no -icount shift=0?)"
		return
	fi
	result gdb_step_el2_insns "$(div2 "$steps" $STEPPED_INSNS)" insns "<= 80" \
		"EL2 instructions per single step of a range step (vCont;r), network excluded: the guest's EL2-filtered INST_RETIRED count across the $STEPPED_INSNS instructions one \`next\` steps, -icount shift=0: $steps / $STEPPED_INSNS (the $NEXTS nexts: $all)"
}

# packet_figure OUT: EL2 instructions per packet, from the stop rounds:
# a warm-up, then pairs (K0, K1), (K0, K1), ...
packet_figure() {
	local ks el2 sum0=0 sum1=0 each="" i
	read -r -a ks <<<"$(field "$1" stop packets)"
	read -r -a el2 <<<"$(field "$1" stop el2_insns)"
	for ((i = 1; i + 1 < ${#el2[@]}; i += 2)); do
		if [ "${ks[$i]}" != $K0 ] || [ "${ks[$((i + 1))]}" != $K1 ]; then
			break
		fi
		sum0=$((sum0 + el2[i])) sum1=$((sum1 + el2[i + 1]))
		each="$each${each:+, }$(awk -v a="${el2[$((i + 1))]}" -v b="${el2[$i]}" -v n=$((K1 - K0)) 'BEGIN { printf "%.0f", (a - b) / n }')"
	done
	if [ -z "$each" ] || [ "$(echo "$each" | tr -cd ',' | wc -c)" != $((PAIRS - 1)) ]; then
		unavailable gdb_packet_el2_insns "the stop rounds are not the expected K0/K1 pairs: '${ks[*]}'"
	elif [ "${el2[1]}" = 0 ]; then
		unavailable gdb_packet_el2_insns "the guest counted 0 EL2 instructions (no -icount shift=0?)"
	else
		result gdb_packet_el2_insns \
			"$(awk -v a=$sum1 -v b=$sum0 -v n=$((PAIRS * (K1 - K0))) 'BEGIN { printf "%.0f", (a - b) / n }')" insns "<= 5000" \
			"EL2 instructions per qC packet (\`maint packet qC\`) while the guest is stopped at a breakpoint, -icount shift=0: ($sum1 - $sum0) / ($PAIRS x ($K1 - $K0)); includes the NIC's receive interrupt, virtio-net, lwIP's TCP input and output, the RSP decode, the reply and the transmit kick, plus the ACK-only frames the host's TCP sends and vigil's 20 ms stub timer in the extra wall time; per pair: $each; a stop with $K0 packets costs ${el2[1]} in all"
	fi
}

# ------------------------------------ 1, 2, 4, 5: vigil under -icount

say "vigil's stub under -icount shift=0: stepi and next packets, EL2 instructions per step and per packet"
v_out=""
if vigil_start icount -icount shift=0; then
	session vigil-icount "$vigil_port" stepi,next,stops && v_out=$session_out
	stop_machine "$vigil_pid"
fi
if [ -n "$v_out" ]; then
	stepi_figure gdb_stepi_round_trips "$v_out" vigil-icount "<= 5" "vigil's stub"
	next_figure gdb_next_round_trips "$v_out" "== 1" "vigil's stub (range stepping)"
	step_figure "$v_out"
	packet_figure "$v_out"
else
	for name in gdb_stepi_round_trips gdb_next_round_trips gdb_step_el2_insns gdb_packet_el2_insns; do
		unavailable $name "$reason"
	done
fi

# ------------------------- 1, 2 for QEMU's stub; 3: stepi throughput

say "QEMU's own gdbstub: stepi and next packets; stepi throughput against vigil's stub, $ROUNDS x $TIMED stepi each"
q_out="" q_reason="" v_times="" q_times="" v_totals="" q_totals="" t_reason=""
if qemu_start; then
	session qemu-count "$qemu_port" stepi,next && q_out=$session_out || q_reason=$reason
	if vigil_start timed; then
		for round in $(seq $ROUNDS); do
			session "vigil-time$round" "$vigil_port" time || { t_reason=$reason; break; }
			v_times="$v_times $(field "$session_out" time median_us)"
			v_totals="$v_totals $(field "$session_out" time stepi_us)"
			session "qemu-time$round" "$qemu_port" time || { t_reason=$reason; break; }
			q_times="$q_times $(field "$session_out" time median_us)"
			q_totals="$q_totals $(field "$session_out" time stepi_us)"
		done
		stop_machine "$vigil_pid"
	else
		t_reason=$reason
	fi
	stop_machine "$qemu_pid"
else
	q_reason=$reason t_reason=$reason
fi

if [ -n "$q_out" ]; then
	stepi_figure gdb_stepi_round_trips_qemu "$q_out" qemu-count "" "QEMU's own gdbstub on the same guest"
	next_figure gdb_next_round_trips_qemu "$q_out" "" "QEMU's own gdbstub (no range stepping: one step per instruction)"
else
	unavailable gdb_stepi_round_trips_qemu "$q_reason"
	unavailable gdb_next_round_trips_qemu "$q_reason"
fi

if [ -z "$t_reason" ]; then
	vt=$(echo "$v_times" | median) qt=$(echo "$q_times" | median)
	result gdb_stepi_throughput_ratio "$(div2 "$qt" "$vt")" x ">= 1.0" \
		"stepi over loopback, TCG without icount, both machines up at once, $ROUNDS sessions of $TIMED stepi each, alternating: time of one stepi with QEMU's own gdbstub $qt us / with vigil's stub $vt us (medians of the sessions' medians: vigil$v_times; QEMU$q_times; whole sessions, us: vigil$v_totals; QEMU$q_totals)"
else
	unavailable gdb_stepi_throughput_ratio "$t_reason"
fi

bench_report
