#!/usr/bin/env bash
# tests/linux/run-plain-qemu.sh - run one Linux guest test under plain QEMU
# (no vigil): the reference behaviour that vigil's runs must match.
#
#   tests/linux/run-plain-qemu.sh TEST [SMP]
#
# TEST is boot, ptrace or kallsyms (see tests/linux/init); SMP the number of
# CPUs (default 2). Builds the guest with tools/setup-linux-guest.sh if
# needed, boots it with "console=ttyAMA0 nokaslr vigil.test=TEST
# vigil.cpus=SMP", prints the serial log as it comes (and keeps it in
# $BUILD/linux/logs/plain-TEST-smpSMP.log). Exits 0 only if the guest printed
# "linux: TEST PASS" (boot, ptrace) or its last poke line (kallsyms).
#
# Environment: BUILD   build dir (<repo>/build)
#              CPU     QEMU -cpu model (cortex-a72)
#              QEMU    QEMU binary (qemu-system-aarch64)
#              APPEND  more kernel command-line words (e.g. vigil.timeout=5)
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 boot|ptrace|kallsyms [SMP]" >&2
	exit 2
fi
test=$1
smp=${2:-2}
case $test in
boot | ptrace) pass_line="linux: $test PASS" ;;
kallsyms) pass_line="linux: poke 20" ;;
*)
	echo "run-plain-qemu: unknown test '$test' (boot, ptrace, kallsyms)" >&2
	exit 2
	;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export BUILD=${BUILD:-$root/build}
"$root/tools/setup-linux-guest.sh"
linux=$BUILD/linux
log=$linux/logs/plain-$test-smp$smp.log

start=$(date +%s.%N)
set +e
# -no-reboot: a guest that panics and reboots ends the run instead of
# looping; the guest's own watchdog powers off before this timeout.
timeout 120 "${QEMU:-qemu-system-aarch64}" \
	-M virt,gic-version=3 -cpu "${CPU:-cortex-a72}" -smp "$smp" -m 512M \
	-nographic -no-reboot \
	-kernel "$linux/Image" -initrd "$linux/initramfs.cpio.gz" \
	-append "console=ttyAMA0 nokaslr vigil.test=$test vigil.cpus=$smp${APPEND:+ $APPEND}" \
	</dev/null | tee "$log"
status=${PIPESTATUS[0]}
set -e
secs=$(echo "$start $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')

if [ "$status" -eq 124 ]; then
	echo "run-plain-qemu: $test timed out after 120 s" >&2
	exit 1
fi
# Lines may end in \r (serial console): compare without it.
if tr -d '\r' <"$log" | grep -qxF "$pass_line" &&
	! tr -d '\r' <"$log" | grep -q '^linux: FAIL'; then
	echo "run-plain-qemu: $test PASS (smp $smp, ${secs} s)"
	exit 0
fi
echo "run-plain-qemu: $test FAIL (smp $smp, ${secs} s, qemu exit $status; log in $log)" >&2
exit 1
