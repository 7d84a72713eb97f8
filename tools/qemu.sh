#!/usr/bin/env bash
# tools/qemu.sh - boot an ESP with vigil under QEMU's virt machine (EL2 on).
#
#   tools/qemu.sh [-c CPU] [-s SMP] [-m MEM] [-t SECONDS] [-g GDBPORT]
#                 [-N mmio|pci] [-M legacy|modern] [-F HOSTPORT:GUESTPORT]...
#                 [-n] [-R] ESP_DIR_OR_IMAGE [-- extra qemu args]
#
# -c CPU     QEMU CPU model (default cortex-a72; "max" means
#            max,pauth-impdef=on, which is fast under TCG)
# -s SMP     physical CPUs (default 2)
# -m MEM     machine RAM (default 1G)
# -t SECS    kill QEMU after SECS seconds (exit status 124)
# -g PORT    forward host TCP PORT to vigil's GDB stub (port 1234 inside)
# -N TYPE    add a NIC for vigil on a user-mode network: mmio
#            (virtio-net-device) or pci (virtio-net-pci); -g and -F imply
#            mmio unless pci is asked for. Without any of them there is no
#            NIC at all (not even QEMU's default one, which vigil would take)
# -M TYPE    the virtio-mmio transport of every virtio-mmio device (vigil's
#            NIC with -N mmio, the ESP's virtio-blk drive, anything in the
#            extra args): legacy (version 1, QEMU's default, also what a
#            plain QEMU command line gets) or modern (version 2, virtio 1.x:
#            adds -global virtio-mmio.force-legacy=false). vigil and Linux
#            guests speak both
# -F H:G     forward host TCP port H (on 127.0.0.1) to port G of vigil's
#            address on that network (repeatable)
# -n         no serial on stdio (for scripts that only want the log file)
# -R         a reset reboots the machine (default: QEMU exits, which is what
#            tests want; `make run` passes -R so GDB's `monitor reset` and
#            a guest's reboot restart vigil and the guest)
# Firmware: Debian's AAVMF, its variable store private to the run.
set -euo pipefail

cpu=cortex-a72 smp=2 mem=1G timeout_s="" gdbport="" nographic=1 nic="" reboot=0
mmio=legacy
forwards=()
while getopts "c:s:m:t:g:N:M:F:nR" opt; do
	case $opt in
	c) cpu=$OPTARG ;;
	s) smp=$OPTARG ;;
	m) mem=$OPTARG ;;
	t) timeout_s=$OPTARG ;;
	g) gdbport=$OPTARG ;;
	N) nic=$OPTARG ;;
	M) mmio=$OPTARG ;;
	F) forwards+=("$OPTARG") ;;
	n) nographic=0 ;;
	R) reboot=1 ;;
	*) sed -n '2,/^set/p' "$0" | sed 's/^# \{0,1\}//;/^set/d' >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
esp=${1:?"usage: tools/qemu.sh [options] ESP [-- qemu args]"}
shift
[ "${1:-}" = "--" ] && shift

[ "$cpu" = max ] && cpu="max,pauth-impdef=on"
code=/usr/share/AAVMF/AAVMF_CODE.fd
# The firmware writes to its variable store: each run gets a throw-away
# overlay (snapshot=on, inside QEMU) rather than a copy of the file, which
# nothing could delete once this script has exec'd QEMU.
vars=/usr/share/AAVMF/AAVMF_VARS.fd
[ -f "$code" ] || { echo "qemu.sh: $code missing (apt-get install qemu-efi-aarch64)" >&2; exit 1; }

if [ -d "$esp" ]; then
	drive="file=fat:rw:$esp,format=raw,if=virtio"
else
	drive="file=$esp,format=raw,if=virtio"
fi

# acpi=off: AAVMF publishes the device tree in the EFI configuration
# table only when QEMU offers no ACPI tables.
args=(-M virt,virtualization=on,gic-version=3,acpi=off -cpu "$cpu" -smp "$smp" -m "$mem"
	-drive "if=pflash,format=raw,readonly=on,file=$code"
	-drive "if=pflash,format=raw,file=$vars,snapshot=on"
	-drive "$drive")
[ "$reboot" = 1 ] || args+=(-no-reboot)
case $mmio in
legacy) ;;
modern) args+=(-global virtio-mmio.force-legacy=false) ;;
*) echo "qemu.sh: -M $mmio: want legacy or modern" >&2; exit 2 ;;
esac
if [ -n "$gdbport" ]; then
	forwards+=("$gdbport:1234")
fi
if [ -n "$nic" ] || [ ${#forwards[@]} -gt 0 ]; then
	netdev="user,id=vigilnet"
	for fwd in ${forwards[@]+"${forwards[@]}"}; do
		case $fwd in
		[0-9]*:[0-9]*) netdev+=",hostfwd=tcp:127.0.0.1:${fwd%%:*}-:${fwd#*:}" ;;
		*) echo "qemu.sh: -F $fwd: want HOSTPORT:GUESTPORT" >&2; exit 2 ;;
		esac
	done
	case ${nic:-mmio} in
	mmio) device=virtio-net-device ;;
	pci) device=virtio-net-pci ;;
	*) echo "qemu.sh: -N $nic: want mmio or pci" >&2; exit 2 ;;
	esac
	args+=(-netdev "$netdev" -device "$device,netdev=vigilnet")
else
	args+=(-nic none)
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
