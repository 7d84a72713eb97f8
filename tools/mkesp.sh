#!/usr/bin/env bash
# tools/mkesp.sh - build an EFI system partition for vigil.
#
#   tools/mkesp.sh [-o DIR|-i IMAGE.img] [-e vigil.efi] [-c vigil.cfg]
#                  [-k KERNEL] [-r INITRD] [-d DTB] [-f FILE]...
#
# -o DIR     a directory tree for QEMU's -drive file=fat:rw:DIR (default)
# -i IMAGE   a FAT disk image instead (for boards: dd it to a USB stick)
# -c CFG     the vigil.cfg to install; without it one is written that boots
#            the kernel given with -k (cmdline/vcpus/memory from the
#            environment: CMDLINE, VCPUS, MEMORY, LOG; GDBWAIT=1 adds
#            gdb.wait = on)
# -k/-r/-d   kernel, initrd, dtb: copied to the volume's root
# -f FILE    any extra file for the root of the volume
set -euo pipefail

out="" image="" efi="" cfg="" kernel="" initrd="" dtb=""
extra=()
while getopts "o:i:e:c:k:r:d:f:" opt; do
	case $opt in
	o) out=$OPTARG ;;
	i) image=$OPTARG ;;
	e) efi=$OPTARG ;;
	c) cfg=$OPTARG ;;
	k) kernel=$OPTARG ;;
	r) initrd=$OPTARG ;;
	d) dtb=$OPTARG ;;
	f) extra+=("$OPTARG") ;;
	*) sed -n '2,/^set/p' "$0" | sed 's/^# \{0,1\}//;/^set/d' >&2; exit 2 ;;
	esac
done
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
efi=${efi:-$root/build/vigil.efi}
[ -f "$efi" ] || { echo "mkesp: $efi not found (run make)" >&2; exit 1; }
if [ -z "$out" ] && [ -z "$image" ]; then
	echo "mkesp: give -o DIR or -i IMAGE" >&2
	exit 2
fi

stage=${out:-$(mktemp -d)}
rm -rf "$stage"
mkdir -p "$stage/EFI/BOOT"
cp "$efi" "$stage/EFI/BOOT/BOOTAA64.EFI"
for f in "$kernel" "$initrd" "$dtb" ${extra[@]+"${extra[@]}"}; do
	[ -n "$f" ] && cp "$f" "$stage/"
done

if [ -n "$cfg" ]; then
	cp "$cfg" "$stage/vigil.cfg"
else
	[ -n "$kernel" ] || { echo "mkesp: -k KERNEL or -c CFG needed" >&2; exit 2; }
	{
		echo "# written by tools/mkesp.sh"
		echo "kernel = $(basename "$kernel")"
		[ -n "$initrd" ] && echo "initrd = $(basename "$initrd")"
		[ -n "$dtb" ] && echo "dtb = $(basename "$dtb")"
		[ -n "${CMDLINE:-}" ] && echo "cmdline = $CMDLINE"
		[ -n "${VCPUS:-}" ] && echo "vcpus = $VCPUS"
		[ -n "${MEMORY:-}" ] && echo "memory = $MEMORY"
		[ -n "${LOG:-}" ] && echo "log = $LOG"
		case ${GDBWAIT:-} in
		1 | on | yes) echo "gdb.wait = on" ;;
		"" | 0 | off | no) ;;
		*) echo "mkesp: GDBWAIT=$GDBWAIT: want 1 or 0" >&2; exit 2 ;;
		esac
		true
	} > "$stage/vigil.cfg"
fi

if [ -n "$image" ]; then
	# Size: contents plus 25% and 16 MiB of slack, in MiB.
	mib=$(( $(du -sm "$stage" | cut -f1) * 5 / 4 + 16 ))
	rm -f "$image"
	truncate -s "${mib}M" "$image"
	mkfs.vfat -n VIGIL "$image" >/dev/null
	mcopy -s -i "$image" "$stage"/* ::/
	[ -n "$out" ] || rm -rf "$stage"
fi
