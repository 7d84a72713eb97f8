#!/usr/bin/env bash
# tools/qemu.sh - boot an ESP with vigil under QEMU's virt machine (EL2 on).
#
#   tools/qemu.sh [-c CPU] [-s SMP] [-m MEM] [-t SECONDS] [-g GDBPORT]
#                 [-n] ESP_DIR_OR_IMAGE [-- extra qemu args]
#
# -c CPU     QEMU CPU model (default cortex-a72; "max" means
#            max,pauth-impdef=on, which is fast under TCG)
# -s SMP     physical CPUs (default 2)
# -m MEM     machine RAM (default 1G)
# -t SECS    kill QEMU after SECS seconds (exit status 124)
# -g PORT    forward host TCP PORT to vigil's GDB stub (port 1234 inside)
# -n         no serial on stdio (for scripts that only want the log file)
# Firmware: Debian's AAVMF, with a private copy of the variable store.
set -euo pipefail

cpu=cortex-a72 smp=2 mem=1G timeout_s="" gdbport="" nographic=1
while getopts "c:s:m:t:g:n" opt; do
	case $opt in
	c) cpu=$OPTARG ;;
	s) smp=$OPTARG ;;
	m) mem=$OPTARG ;;
	t) timeout_s=$OPTARG ;;
	g) gdbport=$OPTARG ;;
	n) nographic=0 ;;
	*) sed -n '2,/^set/p' "$0" | sed 's/^# \{0,1\}//;/^set/d' >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
esp=${1:?"usage: tools/qemu.sh [options] ESP [-- qemu args]"}
shift
[ "${1:-}" = "--" ] && shift

[ "$cpu" = max ] && cpu="max,pauth-impdef=on"
code=/usr/share/AAVMF/AAVMF_CODE.fd
vars_src=/usr/share/AAVMF/AAVMF_VARS.fd
[ -f "$code" ] || { echo "qemu.sh: $code missing (apt-get install qemu-efi-aarch64)" >&2; exit 1; }
vars=$(mktemp /tmp/vigil-vars.XXXXXX)
trap 'rm -f "$vars"' EXIT
cp "$vars_src" "$vars"

if [ -d "$esp" ]; then
	drive="file=fat:rw:$esp,format=raw,if=virtio"
else
	drive="file=$esp,format=raw,if=virtio"
fi

# acpi=off: AAVMF publishes the device tree in the EFI configuration
# table only when QEMU offers no ACPI tables.
args=(-M virt,virtualization=on,gic-version=3,acpi=off -cpu "$cpu" -smp "$smp" -m "$mem"
	-drive "if=pflash,format=raw,readonly=on,file=$code"
	-drive "if=pflash,format=raw,file=$vars"
	-drive "$drive" -no-reboot)
if [ -n "$gdbport" ]; then
	args+=(-netdev "user,id=vigilnet,hostfwd=tcp:127.0.0.1:$gdbport-:1234"
		-device virtio-net-device,netdev=vigilnet)
fi
if [ "$nographic" = 1 ]; then
	args+=(-nographic)
else
	args+=(-display none -serial stdio -monitor none)
fi

if [ -n "$timeout_s" ]; then
	exec timeout --foreground -k 5 "$timeout_s" qemu-system-aarch64 "${args[@]}" "$@"
fi
exec qemu-system-aarch64 "${args[@]}" "$@"
