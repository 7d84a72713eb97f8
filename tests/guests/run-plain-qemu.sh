#!/bin/bash
# run-plain-qemu.sh - run one built test guest under plain QEMU (no vigil).
#
#   run-plain-qemu.sh NAME[.bin|.img|.elf] [SMP] [BOOTARGS]
#
# The guest runs at EL1 on QEMU's virt board with PSCI over HVC, the way
# vigil will run it.  NAME alone means NAME.bin.  Prints the serial output;
# exits 0 if the guest printed "guest: <name> PASS" (or, for psci with
# "reset", "guest: psci system_reset"), 1 otherwise.
#
# Environment: GUEST_OUT  where the guests were built (../../build/guests)
#              CPU        QEMU -cpu model (cortex-a72)
#              QEMU       QEMU binary (qemu-system-aarch64)
set -u

here=$(cd "$(dirname "$0")" && pwd)
out=${GUEST_OUT:-$here/../../build/guests}
case $out in /*) ;; *) out=$here/$out ;; esac	# relative: like OUT in the Makefile

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
	echo "usage: $0 NAME[.bin|.img|.elf] [SMP] [BOOTARGS]" >&2
	exit 2
fi
case $1 in
*.bin | *.img | *.elf) file=$1 ;;
*) file=$1.bin ;;
esac
name=${file%.*}
smp=${2:-1}
bootargs=${3:-}

args=(-M virt,gic-version=3 -cpu "${CPU:-cortex-a72}" -smp "$smp" -m 512M
      -nographic -no-reboot -kernel "$out/$file")
[ -n "$bootargs" ] && args+=(-append "$bootargs")

log=$(mktemp)
trap 'rm -f "$log"' EXIT
timeout 60 "${QEMU:-qemu-system-aarch64}" "${args[@]}" </dev/null | tee "$log"
status=${PIPESTATUS[0]}

if [ "$status" -eq 124 ]; then
	echo "run-plain-qemu: $file timed out after 60s" >&2
	exit 1
fi
grep -qx -e "guest: $name PASS" -e "guest: $name system_reset" "$log"
