#!/usr/bin/env bash
# tests/fuzz/seeds.sh TARGET SRC_DIR OUT_DIR: a fuzz target's seed corpus
# in OUT_DIR (emptied first), from the checked-in files of SRC_DIR:
#   *.hex   hex bytes, whitespace and '#' comments ignored
#   *.dts   device-tree source, compiled with dtc
#   other   copied as they are
# For guest_dt, QEMU virt's own device tree is added when QEMU is there
# (packed by dtc: QEMU pads it to 1 MiB).
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 TARGET SRC_DIR OUT_DIR" >&2
	exit 2
fi
target=$1 src=$2 out=$3
rm -rf "$out"
mkdir -p "$out"

for f in "$src"/*; do
	[ -f "$f" ] || continue
	name=$(basename "$f")
	case $name in
	*.hex)
		python3 -c '
import re, sys
text = re.sub(r"#[^\n]*", "", open(sys.argv[1]).read())
sys.stdout.buffer.write(bytes.fromhex("".join(text.split())))
' "$f" >"$out/${name%.hex}"
		;;
	*.dts)
		dtc -q -I dts -O dtb -o "$out/${name%.dts}.dtb" "$f"
		;;
	*)
		cp "$f" "$out/$name"
		;;
	esac
done

if [ "$target" = guest_dt ] && command -v qemu-system-aarch64 >/dev/null; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	# name, machine options, CPUs: vigil's machine, and a GICv2 one.
	for m in "virt-gicv3 virt,virtualization=on,gic-version=3 4" \
		"virt-gicv2 virt,gic-version=2 2"; do
		read -r name machine smp <<<"$m"
		if ! { qemu-system-aarch64 -M "$machine,dumpdtb=$tmp/virt.dtb" \
			-cpu cortex-a72 -smp "$smp" -display none >/dev/null 2>&1 &&
			dtc -q -I dtb -O dtb -o "$out/qemu-$name.dtb" "$tmp/virt.dtb"; }; then
			echo "seeds: QEMU's $name device tree could not be dumped; going on without it" >&2
		fi
	done
fi
