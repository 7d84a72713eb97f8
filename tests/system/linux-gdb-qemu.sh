#!/usr/bin/env bash
# tests/system/linux-gdb-qemu.sh - the Linux GDB sessions of vigil's system
# tests (tests/system/gdb/linux.py) against QEMU's own gdbstub, on the same
# guest booted by plain QEMU (EL1, no vigil): the reference for the gdb side
# of the linux-gdb-* cases of tests/system/run.sh.
#
#   tests/system/linux-gdb-qemu.sh break|ptrace
#
# Output in $BUILD/system/linux-gdb-qemu-SESSION/ (serial.log, gdb.log,
# remote.log). Exit status 0 if the session got to its end, the guest
# passed and the debugger's counts equal the guest's.
set -uo pipefail

session=${1:-}
case $session in
break) test=kallsyms ;;
ptrace) test=ptrace ;;
*) echo "usage: $0 break|ptrace" >&2; exit 2 ;;
esac
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"	# ROOT, BUILD, the helpers
linux=$BUILD/linux
out=$BUILD/system/linux-gdb-qemu-$session
rm -rf "$out"
mkdir -p "$out"
log=$out/serial.log
: > "$log"
port=$(free_port)

timeout -k 5 400 qemu-system-aarch64 -M virt,gic-version=3 -cpu cortex-a72 -smp 2 \
	-m 512M -nographic -no-reboot -kernel "$linux/Image" -initrd "$linux/initramfs.cpio.gz" \
	-gdb "tcp:127.0.0.1:$port" \
	-append "console=ttyAMA0 nokaslr vigil.test=$test vigil.cpus=2 vigil.gdb=wait vigil.timeout=300" \
	< /dev/null > "$log" 2>&1 &
qemu=$!
if ! wait_for_line "$log" "$qemu" "linux: waiting for the debugger" 240; then
	echo "FAIL linux-gdb-qemu-$session: no 'linux: waiting for the debugger' (log in $log)"
	kill "$qemu" 2>/dev/null
	exit 1
fi
linux_gdb_session "$session" "$port" "$log" "$out" 300
if ! grep -qxF "LINUXGDB DONE" "$out/gdb.log"; then
	kill "$qemu" 2>/dev/null
	wait "$qemu" 2>/dev/null
	echo "FAIL linux-gdb-qemu-$session: $(grep -m1 '^CHECK FAIL' "$out/gdb.log" || echo "no 'LINUXGDB DONE'") (log in $out/gdb.log)"
	exit 1
fi
wait "$qemu"
tr -d '\r' < "$log" > "$log.txt"
want=("linux: $test PASS")
if [ "$session" = ptrace ]; then
	want+=("hwdebug: marked getpid calls $(sed -n 's/^linuxgdb: marked getpid hits //p' "$out/gdb.log")"
		"linux: panic writes $(sed -n 's/^linuxgdb: watch hits //p' "$out/gdb.log")")
fi
for line in "${want[@]}"; do
	if ! grep -qxF -- "$line" "$log.txt"; then
		echo "FAIL linux-gdb-qemu-$session: missing line: $line (log in $log.txt)"
		exit 1
	fi
done
echo "ok linux-gdb-qemu-$session ($(grep -c '^CHECK ok' "$out/gdb.log") checks)"
