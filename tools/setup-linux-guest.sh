#!/usr/bin/env bash
# tools/setup-linux-guest.sh - build the Linux test guest from Debian packages.
#
# Output in $BUILD/linux (BUILD defaults to <repo>/build):
#   Image               Debian's arm64 kernel (raw arm64 Image)
#   kernel-version      its version string, e.g. 6.1.0-35-arm64
#   kernel-config       its build configuration (/boot/config-*)
#   busybox             busybox-static:arm64's /bin/busybox
#   bin/                the test programs of tests/linux/*.c, static arm64
#   initramfs.cpio.gz   busybox, tests/linux/init as /init, the test programs
#   stamps/<step>       what each finished step was built from
#   logs/<step>.log     the noisy output of each step
#
# Nothing is vendored: the kernel and busybox are `apt-get download`ed from
# Debian's archive for the arm64 architecture (added to dpkg if missing).
# Idempotent: the kernel and busybox are fetched once (delete their stamp to
# fetch again), the initramfs is rebuilt when a file in tests/linux/ or this
# script changes. A run with nothing to do prints nothing. Works unattended
# (CI=true, no stdin) as root, or through sudo for the apt steps otherwise.
set -Eeuo pipefail

# Host tools: archive tools, cross compiler and its libc, QEMU.
HOST_PACKAGES=(cpio gzip gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm)
CC=aarch64-linux-gnu-gcc
CFLAGS=(-static -O2 -Wall -Wextra -Werror)

SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
ROOT=$(dirname "$(dirname "$SELF")")
BUILD=${BUILD:-$ROOT/build}
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
OUT=$BUILD/linux
STAMPS=$OUT/stamps
LOGS=$OUT/logs
TESTS=$ROOT/tests/linux
mkdir -p "$STAMPS" "$LOGS"

# One run at a time per build dir; a second one waits for the first.
exec 9>"$OUT/.lock"
if ! flock -n 9; then
	echo "setup-linux-guest: waiting for another run on $OUT"
	flock 9
fi

LOG=/dev/null
TMP=""
cleanup() { if [ -n "$TMP" ]; then rm -rf "$TMP"; fi; }
trap cleanup EXIT

say() { echo "setup-linux-guest: $*"; }
fail() {
	echo "setup-linux-guest: FAILED: $*" >&2
	if [ "$LOG" != /dev/null ] && [ -s "$LOG" ]; then
		echo "setup-linux-guest: last 30 lines of $LOG:" >&2
		tail -n 30 "$LOG" >&2
	fi
	exit 1
}
trap 'fail "\"$BASH_COMMAND\" (line $LINENO) exited with $?"' ERR

# run CMD...: run it with its output in the current step's log.
run() {
	echo "+ $*" >>"$LOG"
	"$@" </dev/null >>"$LOG" 2>&1 || fail "$* (exit $?)"
}

# run_in DIR CMD...: the same, in DIR.
run_in() {
	local dir=$1
	shift
	echo "+ (in $dir) $*" >>"$LOG"
	(cd "$dir" && "$@") </dev/null >>"$LOG" 2>&1 || fail "$* (exit $?)"
}

SETUP_NAME=setup-linux-guest
# shellcheck source=tools/apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

UPDATED=0
apt_update() {
	[ "$UPDATED" = 1 ] && return
	run apt_get update
	UPDATED=1
}

# ------------------------------------------------------------ host packages

# The arm64 architecture, so that apt knows the arm64 kernel and busybox.
# Its package lists come with the next `apt-get update`.
ensure_arm64_arch() {
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		LOG=$LOGS/packages.log
		say "adding the arm64 architecture to dpkg"
		run as_root dpkg --add-architecture arm64
		apt_update
	elif ! compgen -G '/var/lib/apt/lists/*_binary-arm64_Packages*' >/dev/null; then
		LOG=$LOGS/packages.log
		apt_update
	fi
}

ensure_host_packages() {
	local missing=() p
	for p in "${HOST_PACKAGES[@]}"; do
		[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return
	LOG=$LOGS/packages.log
	say "installing ${missing[*]}"
	# Lists that do not know a package yet need an update first.
	for p in "${missing[@]}"; do
		if ! apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [^(]'; then
			apt_update
			break
		fi
	done
	run apt_get install --no-install-recommends "${missing[@]}"
}

# ------------------------------------------------------- Debian arm64 debs

# fetch_deb PKG: download PKG:arm64 into $TMP and unpack it into $TMP/root.
# Stale lists (the archive moved on) show as a failed download: update once
# and try again.
fetch_deb() {
	echo "+ (in $TMP) apt-get download $1:arm64" >>"$LOG"
	if ! (cd "$TMP" && apt-get -q download "$1:arm64") </dev/null >>"$LOG" 2>&1; then
		apt_update
		run_in "$TMP" apt-get -q download "$1:arm64"
	fi
	local deb
	deb=$(compgen -G "$TMP/${1}_*_arm64.deb" | head -n1) ||
		fail "apt-get download $1:arm64 left no .deb in $TMP"
	run dpkg-deb -x "$deb" "$TMP/root"
}

# The version string of a package's current candidate for arm64.
candidate() {
	apt-cache policy "$1:arm64" | sed -n 's/^ *Candidate: //p'
}

# The kernel image package behind the linux-image-arm64 metapackage, e.g.
# linux-image-6.1.0-35-arm64: the ABI number changes with every update.
kernel_package() {
	apt-cache show --no-all-versions linux-image-arm64:arm64 2>/dev/null |
		sed -n 's/^Depends: //p' | tr ',' '\n' |
		sed -n 's/^ *\(linux-image-[^ :]*\).*/\1/p' | head -n1
}

is_arm64_image() { # the arm64 Image header has "ARM\x64" at offset 56
	[ "$(od -An -tx1 -j56 -N4 "$1" | tr -d ' \n')" = 41524d64 ]
}

build_kernel() {
	[ -f "$STAMPS/kernel" ] && [ -f "$OUT/Image" ] && return
	LOG=$LOGS/kernel.log
	: >"$LOG"
	local pkg version vmlinuz kver
	pkg=$(kernel_package)
	if [ -z "$pkg" ]; then
		apt_update
		pkg=$(kernel_package)
	fi
	[ -n "$pkg" ] || fail "apt-cache knows no linux-image-arm64:arm64 (arm64 lists missing?)"
	version=$(candidate "$pkg")
	say "fetching the kernel: $pkg $version"
	TMP=$(mktemp -d "$OUT/tmp.XXXXXX")
	fetch_deb "$pkg"
	vmlinuz=$(compgen -G "$TMP/root/boot/vmlinuz-*" | head -n1) ||
		fail "$pkg has no /boot/vmlinuz-*"
	kver=${vmlinuz##*/vmlinuz-}
	cp "$vmlinuz" "$TMP/Image"
	# Debian ships the raw Image (with an EFI stub header); other builds
	# gzip it as Image.gz, and QEMU's -kernel wants it raw.
	if [ "$(od -An -tx1 -N2 "$TMP/Image" | tr -d ' \n')" = 1f8b ]; then
		gunzip -c "$vmlinuz" >"$TMP/Image"
	fi
	is_arm64_image "$TMP/Image" ||
		fail "$vmlinuz is not a raw arm64 Image (no ARM\\x64 magic at offset 56)"
	if [ -f "$TMP/root/boot/config-$kver" ]; then
		cp "$TMP/root/boot/config-$kver" "$OUT/kernel-config"
	fi
	mv "$TMP/Image" "$OUT/Image"
	echo "$kver" >"$OUT/kernel-version"
	echo "$pkg $version" >"$STAMPS/kernel"
	rm -rf "$TMP"
	TMP=""
}

build_busybox() {
	[ -f "$STAMPS/busybox" ] && [ -x "$OUT/busybox" ] && return
	LOG=$LOGS/busybox.log
	: >"$LOG"
	local version
	version=$(candidate busybox-static)
	if [ -z "$version" ] || [ "$version" = "(none)" ]; then
		apt_update
		version=$(candidate busybox-static)
	fi
	say "fetching busybox-static:arm64 $version"
	TMP=$(mktemp -d "$OUT/tmp.XXXXXX")
	fetch_deb busybox-static
	[ -x "$TMP/root/bin/busybox" ] || fail "busybox-static has no /bin/busybox"
	mv "$TMP/root/bin/busybox" "$OUT/busybox"
	echo "busybox-static $version" >"$STAMPS/busybox"
	rm -rf "$TMP"
	TMP=""
}

# ---------------------------------------------------------------- initramfs

# newc_node NAME MODE MAJOR MINOR: one newc cpio entry for a device node,
# written without mknod so building needs no privileges. ino is made up;
# nlink 1 keeps the kernel from treating it as a hard link.
newc_node() {
	local name=$1 mode=$2 major=$3 minor=$4 namesize pad
	namesize=$((${#name} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		$((0x7fff0001)) "$mode" 0 0 1 0 0 0 0 "$major" "$minor" "$namesize" 0
	printf '%s\0' "$name"
	pad=$(((4 - (110 + namesize) % 4) % 4))	# header + name to 4 bytes
	head -c "$pad" /dev/zero
}

# newc_trailer: the end-of-archive entry, padded to 4 bytes.
newc_trailer() {
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		0 0 0 0 1 0 0 0 0 0 0 11 0
	printf 'TRAILER!!!\0'
	head -c 3 /dev/zero
}

# What the initramfs is made of: the files of tests/linux, this script (the
# recipe) and busybox. Hashes, not mtimes: a checkout or a copy that keeps
# the content keeps the image.
initramfs_inputs() {
	{
		(cd "$TESTS" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
		sha256sum "$SELF"
		cat "$STAMPS/busybox"
	} | sha256sum | cut -d' ' -f1
}

build_initramfs() {
	local key stage src prog
	key=$(initramfs_inputs)
	if [ -f "$OUT/initramfs.cpio.gz" ] && [ -f "$STAMPS/initramfs" ] &&
		[ "$(<"$STAMPS/initramfs")" = "$key" ]; then
		return
	fi
	LOG=$LOGS/initramfs.log
	: >"$LOG"
	say "building initramfs.cpio.gz"
	rm -rf "${OUT:?}/bin"
	mkdir -p "$OUT/bin"
	for src in "$TESTS"/*.c; do
		prog=$(basename "$src" .c)
		run "$CC" "${CFLAGS[@]}" -o "$OUT/bin/$prog" "$src"
	done

	stage=$OUT/initramfs.d
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,dev,proc,sys,tmp,root,sbin,usr/bin,usr/sbin}
	chmod 1777 "$stage/tmp"
	install -m 755 "$OUT/busybox" "$stage/bin/busybox"
	ln -s busybox "$stage/bin/sh"	# everything else: busybox --install at boot
	install -m 755 "$TESTS/init" "$stage/init"
	install -m 755 "$OUT"/bin/* "$stage/bin/"

	# The kernel opens /dev/console for PID 1 before anything is mounted,
	# so the node must be in the archive. It goes in a second archive after
	# the first (the kernel unpacks concatenated archives), when dev/ exists.
	{
		(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
			cpio -o -H newc --owner=0:0 --quiet)
		newc_node dev/console $((8#020600)) 5 1
		newc_trailer
	} | gzip -9n >"$OUT/initramfs.cpio.gz.tmp"
	mv "$OUT/initramfs.cpio.gz.tmp" "$OUT/initramfs.cpio.gz"
	echo "$key" >"$STAMPS/initramfs"
}

# --------------------------------------------------------------------- main

ensure_arm64_arch
ensure_host_packages
build_kernel
build_busybox
build_initramfs
