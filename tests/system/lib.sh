# tests/system/lib.sh - helpers for QEMU system tests (sourced).
#
# A test case boots an ESP under vigil with tools/qemu.sh, bounded by a
# timeout, keeps the serial output in $BUILD/system/<case>/serial.log and
# checks it line by line. Each case ends in exactly one "ok system.<case>"
# or "FAIL system.<case>: <reason>" line; the totals are in $RESULTS.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$ROOT/build}
GUESTS=$BUILD/guests
RESULTS=${RESULTS:-$BUILD/system/results}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-90}

case_name="" case_dir="" case_log="" case_failed=""

begin_case() {
	case_name=$1
	case_dir=$BUILD/system/$case_name
	case_log=$case_dir/serial.log
	case_failed=""
	rm -rf "$case_dir"
	mkdir -p "$case_dir"
}

fail() {
	[ -n "$case_failed" ] || case_failed=$*
}

end_case() {
	if [ -z "$case_failed" ]; then
		echo "ok system.$case_name"
		echo pass >> "$RESULTS"
	else
		echo "FAIL system.$case_name: $case_failed"
		echo "  --- last lines of $case_log"
		tail -n 25 "$case_log" 2>/dev/null | tr -d '\r' | sed 's/^/  | /'
		echo fail >> "$RESULTS"
	fi
}

# make_esp KERNEL [cfg lines...]: an ESP with KERNEL and a vigil.cfg made of
# "kernel = <name>" followed by the given lines.
make_esp() {
	local kernel=$1 esp=$case_dir/esp cfg_line
	shift
	mkdir -p "$esp/EFI/BOOT"
	cp "$BUILD/vigil.efi" "$esp/EFI/BOOT/BOOTAA64.EFI"
	{
		[ -n "$kernel" ] && cp "$kernel" "$esp/" && echo "kernel = $(basename "$kernel")"
		for cfg_line in "$@"; do echo "$cfg_line"; done
	} > "$esp/vigil.cfg"
}

# A free TCP port on the loopback interface.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for_line LOG PID LINE POLLS: until the whole line LINE is in LOG (\r
# dropped), looking every 0.5 s; status 1 if PID ends or POLLS looks pass
# first.
wait_for_line() {
	local log=$1 pid=$2 line=$3 polls=$4 waited=0
	until tr -d '\r' < "$log" | grep -qxF -- "$line"; do
		if ! kill -0 "$pid" 2>/dev/null || [ "$waited" -gt "$polls" ]; then
			return 1
		fi
		sleep 0.5
		waited=$((waited + 1))
	done
}

# linux_gdb_session SESSION PORT SERIAL_LOG DIR TIMEOUT: gdb-multiarch runs
# tests/system/gdb/linux.py's SESSION against the stub on 127.0.0.1:PORT
# for at most TIMEOUT seconds; its output goes to DIR/gdb.log, the packets
# to DIR/remote.log. Returns gdb's status; a session that got to its end
# printed "LINUXGDB DONE".
linux_gdb_session() {
	LINUXGDB_SESSION=$1 LINUXGDB_PORT=$2 LINUXGDB_LOG=$3 LINUXGDB_REMOTELOG=$4/remote.log \
		timeout -k 5 "$5" gdb-multiarch -batch -nx -x "$ROOT/tests/system/gdb/linux.py" \
		> "$4/gdb.log" 2>&1
}

# boot CPU SMP [STDIN_FILE [QEMU_ARGS...]]: run until QEMU exits; sets
# $rc. QEMU_ARGS go to QEMU itself (after tools/qemu.sh's "--").
boot() {
	local cpu=$1 smp=$2 input=${3:-/dev/null}
	shift $(($# < 3 ? $# : 3))
	rc=0
	"$ROOT/tools/qemu.sh" -c "$cpu" -s "$smp" -t "$QEMU_TIMEOUT" \
		"$case_dir/esp" -- "$@" < "$input" > "$case_log" 2>&1 || rc=$?
	tr -d '\r' < "$case_log" > "$case_log.txt"
	if [ "$rc" = 124 ]; then
		fail "timed out after ${QEMU_TIMEOUT}s"
	fi
}

# boot_typing CPU SMP PROMPT INPUT: like boot, but type INPUT on the
# serial line once PROMPT has appeared. Typing earlier would feed the
# firmware's own console, not the guest.
boot_typing() {
	local cpu=$1 smp=$2 prompt=$3 input=$4 fifo=$case_dir/stdin waited=0
	mkfifo "$fifo"
	rc=0
	"$ROOT/tools/qemu.sh" -c "$cpu" -s "$smp" -t "$QEMU_TIMEOUT" \
		"$case_dir/esp" < "$fifo" > "$case_log" 2>&1 &
	local pid=$!
	exec 8> "$fifo"
	until grep -qF -- "$prompt" "$case_log" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
		waited=$((waited + 1))
		[ "$waited" -lt $((QEMU_TIMEOUT * 2)) ] || break
	done
	printf '%s' "$input" >&8
	wait "$pid" || rc=$?
	exec 8>&-
	tr -d '\r' < "$case_log" > "$case_log.txt"
	[ "$rc" != 124 ] || fail "timed out after ${QEMU_TIMEOUT}s"
}

# boot_until CPU SMP LINE: run until LINE appears (then stop QEMU), QEMU
# exits, or the timeout passes. For runs that end in the firmware.
boot_until() {
	local cpu=$1 smp=$2 line=$3 pid waited=0
	: > "$case_log"
	"$ROOT/tools/qemu.sh" -c "$cpu" -s "$smp" -t "$QEMU_TIMEOUT" \
		"$case_dir/esp" < /dev/null > "$case_log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if tr -d '\r' < "$case_log" | grep -qxF -- "$line"; then
			sleep 1	# anything printed right after belongs in the log
			pkill -P "$pid" 2>/dev/null; kill "$pid" 2>/dev/null
			break
		fi
		sleep 0.5
		waited=$((waited + 1))
		if [ "$waited" -gt $((QEMU_TIMEOUT * 2)) ]; then
			fail "no '$line' within ${QEMU_TIMEOUT}s"
			pkill -P "$pid" 2>/dev/null; kill "$pid" 2>/dev/null
			break
		fi
	done
	wait "$pid" 2>/dev/null || true
	tr -d '\r' < "$case_log" > "$case_log.txt"
}

expect_rc() {
	[ "$rc" = "$1" ] || fail "QEMU exit status $rc, expected $1"
}

# expect_line TEXT: a line exactly equal to TEXT.
expect_line() {
	grep -qxF -- "$1" "$case_log.txt" || fail "missing line: $1"
}

# expect_count N TEXT: TEXT appears as a whole line exactly N times.
expect_count() {
	local n
	n=$(grep -cxF -- "$2" "$case_log.txt" || true)
	[ "$n" = "$1" ] || fail "'$2' seen $n times, expected $1"
}

# expect_match REGEX / expect_no_match REGEX (extended regex, whole log).
expect_match() {
	grep -qE -- "$1" "$case_log.txt" || fail "nothing matches /$1/"
}
expect_no_match() {
	local hit
	hit=$(grep -m1 -E -- "$1" "$case_log.txt" || true)
	[ -z "$hit" ] || fail "unexpected: $hit"
}

# A guest that must pass and power off cleanly.
expect_guest_pass() {
	local name=$1
	expect_rc 0
	expect_line "guest: $name start"
	expect_line "guest: $name PASS"
	expect_no_match '^guest: FAIL'
	expect_no_match '^vigil: (PANIC|BUG)'
}
