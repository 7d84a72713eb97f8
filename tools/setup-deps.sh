#!/usr/bin/env bash
# tools/setup-deps.sh - install and build vigil's third-party dependencies.
#
# Everything comes from Debian's archive through apt (binary packages and
# `apt-get source`); no third-party code is ever committed to this repo.
#   tools/setup-deps.sh            everything below
#   tools/setup-deps.sh packages   only the Debian packages (make lint)
#
# Results go to $DEPS (default $BUILD/deps; BUILD defaults to <repo>/build):
#
#   gnu-efi/inc/                    efi.h, efilib.h, aarch64/, protocol/, ...
#   gnu-efi/lib/libefi.a, libgnuefi.a, crt0-efi-aarch64.o, elf_aarch64_efi.lds
#   newlib/aarch64-none-elf/include/   newlib headers
#   newlib/aarch64-none-elf/lib/libc.a (and libm.a, libg.a)
#   newlib/fp-objects.txt           files built without -mgeneral-regs-only
#   newlib/fp-simd-functions.txt    functions of libc.a that use FP/SIMD regs
#   lwip   -> src/lwip/<unpacked lwip source>   (has src/core, src/include)
#   libfdt -> the libfdt folder (fdt.c, libfdt.h, ...) of the dtc source, or
#             src/u-boot/libfdt where the archive does not serve dtc's source
#   stamps/<step>   one per finished step; delete one to redo that step
#   logs/<step>.log the noisy output of each step
#
# Idempotent: every step is guarded by a stamp (and the package step by
# dpkg-query), so a second run with everything present does nothing. A step
# that failed or was interrupted is redone from scratch on the next run.
# Works unattended (CI=true, no stdin) as root, or through sudo otherwise.
set -Eeuo pipefail

# Debian packages the project needs (build, run, debug). Extend here.
# clang + libclang-rt-14-dev: the fuzz targets (tests/fuzz/); the latter
# holds libFuzzer's runtime (-fsanitize=fuzzer), which clang only recommends.
PACKAGES="make gcc gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu
  qemu-system-arm qemu-efi-aarch64 mtools dosfstools gdb-multiarch lldb
  newlib-source dpkg-dev device-tree-compiler python3 xz-utils
  procps iproute2 clang libclang-rt-14-dev"

CROSS=aarch64-linux-gnu-

# newlib for the hypervisor. vigil runs at EL2 and must not touch the FP/SIMD
# registers: they hold the guest's state, which vigil does not save on every
# exit. Hence -mgeneral-regs-only, and -DPREFER_SIZE_OVER_SPEED, which makes
# newlib's aarch64 string functions (memcpy, memset, strlen, memcmp, strcmp,
# ...) use the generic C versions instead of the NEON assembly ones. -fPIC
# because the UEFI image is position independent. Sections per function so
# the final link can drop what is unused.
NEWLIB_CFLAGS="-O2 -g -fPIC -mgeneral-regs-only -DPREFER_SIZE_OVER_SPEED -ffunction-sections -fdata-sections -fno-stack-protector"
# Float printf would need FP registers; our own _sbrk/_write/... replace
# libgloss, so it is not built at all.
NEWLIB_CONFIG="--target=aarch64-none-elf --disable-newlib-supplied-syscalls
  --disable-newlib-io-float --enable-newlib-reent-small --disable-multilib
  --disable-libgloss --disable-nls"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
DEPS=${DEPS:-$BUILD/deps}
mkdir -p "$DEPS"
DEPS=$(cd "$DEPS" && pwd)
STAMPS=$DEPS/stamps
LOGS=$DEPS/logs
SRC=$DEPS/src
JOBS=$(nproc 2>/dev/null || echo 2)
mkdir -p "$STAMPS" "$LOGS" "$SRC"

# Only one setup at a time per build dir.
exec 9>"$DEPS/.lock"
if ! flock -n 9; then
    echo "setup: waiting for another setup-deps.sh run on $DEPS"
    flock 9
fi

LOG=""
say() { echo "setup: $*"; }

fail() {
    echo "setup: FAILED: $*" >&2
    if [ -n "$LOG" ] && [ -s "$LOG" ]; then
        echo "setup: last 40 lines of $LOG:" >&2
        tail -n 40 "$LOG" >&2
    fi
    exit 1
}
trap 'fail "command \"$BASH_COMMAND\" (line $LINENO) exited with $?"' ERR

# run CMD...: run with output appended to the current step's log.
run() {
    echo "+ $*" >>"$LOG"
    "$@" </dev/null >>"$LOG" 2>&1 || fail "$* (exit $?)"
}

# run_in DIR CMD...: the same, in DIR.
run_in() {
    local d=$1; shift
    echo "+ (in $d) $*" >>"$LOG"
    (cd "$d" && "$@") </dev/null >>"$LOG" 2>&1 || fail "$* (exit $?)"
}

begin() { # begin STEP MESSAGE
    LOG=$LOGS/$1.log
    rm -f "$STAMPS/$1"
    : >"$LOG"
    say "$2"
}

finish() { # finish STEP KEY
    printf '%s\n' "$2" >"$STAMPS/$1"
    LOG=""
}

stamp_is() { # stamp_is STEP KEY: the step finished with this exact recipe
    [ -f "$STAMPS/$1" ] && [ "$(<"$STAMPS/$1")" = "$2" ]
}

SETUP_NAME=setup
# shellcheck source=tools/apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

# ---------------------------------------------------------------- deb-src

have_deb_src() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] && grep -qE '^[[:space:]]*deb-src[[:space:]]' "$f" && return 0
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && grep -qiE '^Types:.*[[:space:]]deb-src([[:space:]]|$)' "$f" && return 0
    done
    return 1
}

# Prints, for every enabled deb822 stanza of type deb, a copy of type deb-src.
deb822_to_src() {
    awk 'BEGIN { RS = ""; ORS = "" }
    {
        n = split($0, L, "\n"); out = ""; isdeb = 0; off = 0
        for (i = 1; i <= n; i++) {
            line = L[i]
            if (line ~ /^#/) continue
            low = tolower(line)
            if (low ~ /^types:/) {
                if (line ~ /[: \t]deb([ \t]|$)/) isdeb = 1
                line = "Types: deb-src"
            }
            if (low ~ /^enabled:[ \t]*no/) off = 1
            out = out line "\n"
        }
        if (isdeb && !off) print out "\n"
    }' "$@"
}

# Makes sure `apt-get source` works; sets DID_UPDATE=1 if it ran apt-get update.
DID_UPDATE=0
ensure_deb_src() {
    local added=0 tmp f
    if ! have_deb_src; then
        local d822=() classic=()
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -f "$f" ] && [ "$f" != /etc/apt/sources.list.d/vigil-deb-src.sources ] && d822+=("$f")
        done
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -f "$f" ] && [ "$f" != /etc/apt/sources.list.d/vigil-deb-src.list ] && classic+=("$f")
        done
        tmp=$(mktemp) || fail "mktemp"
        if [ ${#d822[@]} -gt 0 ]; then
            { echo "# deb-src copies of the deb entries, added by vigil's tools/setup-deps.sh"
              deb822_to_src "${d822[@]}"; } >"$tmp"
            if grep -q '^Types: deb-src' "$tmp"; then
                as_root install -m 644 "$tmp" /etc/apt/sources.list.d/vigil-deb-src.sources ||
                    fail "cannot write /etc/apt/sources.list.d/vigil-deb-src.sources"
                added=1
            fi
        fi
        if [ ${#classic[@]} -gt 0 ]; then
            { echo "# deb-src copies of the deb lines, added by vigil's tools/setup-deps.sh"
              sed -n -E '/cdrom:/d; s/^[[:space:]]*deb[[:space:]]+/deb-src /p' "${classic[@]}"; } >"$tmp"
            if grep -q '^deb-src ' "$tmp"; then
                as_root install -m 644 "$tmp" /etc/apt/sources.list.d/vigil-deb-src.list ||
                    fail "cannot write /etc/apt/sources.list.d/vigil-deb-src.list"
                added=1
            fi
        fi
        rm -f "$tmp"
        [ $added = 1 ] || fail "no deb entries found in /etc/apt to derive deb-src entries from"
        echo "+ added deb-src entries" >>"$LOG"
    fi
    if [ $added = 1 ] || ! compgen -G '/var/lib/apt/lists/*_Sources*' >/dev/null; then
        run apt_get update
        DID_UPDATE=1
    fi
}

# ---------------------------------------------------------------- packages

declare -A PKG_STATUS=() PKG_VERSION=()
read_packages() {
    local name version status
    PKG_STATUS=(); PKG_VERSION=()
    # shellcheck disable=SC2086
    while IFS='|' read -r name version status; do
        name=${name%%:*}
        PKG_STATUS[$name]=$status
        PKG_VERSION[$name]=$version
    done < <(dpkg-query -W -f='${Package}|${Version}|${Status}\n' $PACKAGES 2>/dev/null || true)
}

missing_packages() {
    local p
    for p in $PACKAGES; do
        [ "${PKG_STATUS[$p]:-}" = "install ok installed" ] || echo "$p"
    done
}

step_packages() {
    local missing
    missing=$(missing_packages | xargs)
    begin packages "installing packages: $missing"
    # Sources are needed by the later steps; set them up now to share the update.
    ensure_deb_src
    [ $DID_UPDATE = 1 ] || run apt_get update
    # shellcheck disable=SC2086
    run apt_get install $missing
    read_packages
    missing=$(missing_packages | xargs)
    [ -z "$missing" ] || fail "still not installed: $missing"
    finish packages "$(packages_key)"
}

# shellcheck disable=SC2086
packages_key() { echo "installed:" $PACKAGES; }

# fetch_source SRCPKG [try]: `apt-get source` into $SRC/SRCPKG (emptied
# first); sets UNPACKED to the unpacked tree. With "try", returns 1 instead
# of failing when apt cannot get it.
fetch_source() {
    local dir=$SRC/$1 sandbox=()
    ensure_deb_src
    rm -rf "$dir"
    mkdir -p "$dir"
    # As root apt cannot drop to _apt for downloading into a root-owned dir.
    [ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root)
    if [ "${2:-}" = try ]; then
        echo "+ (in $dir) apt-get source $1 (allowed to fail)" >>"$LOG"
        if ! (cd "$dir" && apt-get "${APT_OPTS[@]}" "${sandbox[@]}" --only-source source "$1") \
                </dev/null >>"$LOG" 2>&1; then
            rm -rf "$dir"
            return 1
        fi
    else
        run_in "$dir" apt-get "${APT_OPTS[@]}" "${sandbox[@]}" --only-source source "$1"
    fi
    UNPACKED=$(find "$dir" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    [ -n "$UNPACKED" ] || fail "apt-get source $1 unpacked nothing"
    echo "+ unpacked into $UNPACKED" >>"$LOG"
}

# ---------------------------------------------------------------- gnu-efi

GNUEFI_KEY="v1 make ARCH=aarch64 CROSS_COMPILE=$CROSS"
gnuefi_done() {
    stamp_is gnu-efi "$GNUEFI_KEY" &&
        [ -f "$DEPS/gnu-efi/lib/libefi.a" ] && [ -f "$DEPS/gnu-efi/inc/efi.h" ]
}

step_gnuefi() {
    begin gnu-efi "building gnu-efi for aarch64"
    rm -rf "$DEPS/gnu-efi" "$DEPS/gnu-efi.tmp"
    fetch_source gnu-efi
    local s=$UNPACKED o=$UNPACKED/aarch64 d=$DEPS/gnu-efi.tmp
    run make -C "$s" -j"$JOBS" ARCH=aarch64 CROSS_COMPILE="$CROSS" lib gnuefi
    # Only lib/ and gnuefi/ are built: the sample apps are not needed (and
    # their link fails with binutils 2.40: --fatal-warnings meets the new
    # "LOAD segment with RWX permissions" warning).
    mkdir -p "$d/lib"
    cp -a "$s/inc" "$d/inc"
    cp "$o/lib/libefi.a" "$o/gnuefi/libgnuefi.a" "$o/gnuefi/crt0-efi-aarch64.o" \
       "$s/gnuefi/elf_aarch64_efi.lds" "$d/lib/"
    mv "$d" "$DEPS/gnu-efi"
    finish gnu-efi "$GNUEFI_KEY"
}

# ---------------------------------------------------------------- newlib

# shellcheck disable=SC2086
newlib_key() { echo v1 "newlib-source=${PKG_VERSION[newlib-source]:-?}" $NEWLIB_CONFIG $NEWLIB_CFLAGS; }
newlib_done() {
    stamp_is newlib "$(newlib_key)" &&
        [ -f "$DEPS/newlib/aarch64-none-elf/lib/libc.a" ] &&
        [ -d "$DEPS/newlib/aarch64-none-elf/include" ]
}

# Writes a compiler wrapper: newlib is compiled with -mgeneral-regs-only, but
# the few files that inherently compute in floating point (strtod, ecvt,
# dtoa, difftime, erand48, ... and all of libm) cannot be; those are compiled
# without it and listed in fp-objects.txt. Code built with
# -mgeneral-regs-only cannot call them anyway (the compiler rejects any
# float-typed call), so they stay out of vigil.
write_newlib_cc() {
    cat >"$1" <<EOF
#!/bin/bash
# generated by tools/setup-deps.sh
err=\$(mktemp)
if ${CROSS}gcc "\$@" 2>"\$err"; then cat "\$err" >&2; rm -f "\$err"; exit 0; fi
if grep -qE "mgeneral-regs-only.{1,3} is incompatible" "\$err"; then
    rm -f "\$err"
    args=()
    for a in "\$@"; do [ "\$a" = -mgeneral-regs-only ] || args+=("\$a"); done
    src=; for a in "\$@"; do case "\$a" in *.c|*.S) src=\$a;; esac; done
    case "\$src" in conftest.c|"") ;; *) echo "\${src##*/newlib/}" >>"$2" ;; esac
    exec ${CROSS}gcc "\${args[@]}"
fi
cat "\$err" >&2; rm -f "\$err"; exit 1
EOF
    chmod +x "$1"
}

# Fails loudly if a core string function of libc.a uses FP/SIMD registers
# (v0-v31, q/d/s/h/b views of them). The awk scripts only look at the
# operands (after the mnemonic) and use POSIX regexes (Debian's awk is mawk).
FPREG_AWK='function fp(line,  ops) {
    n = split(line, F, "\t"); ops = (n >= 3) ? F[3] : ""
    sub(/<.*$/, "", ops); sub(/\/\/.*$/, "", ops)
    return ops ~ /(^|[ ,{\[])[vqdshb][0-9]+([.,}\]]|$)/ }'
check_newlib_simd() {
    local libc=$1 dis=$SRC/newlib/libc.dis fn bad="" users
    ${CROSS}objdump -d --no-show-raw-insn "$libc" >"$dis"
    for fn in memcpy memset strlen memcmp strcmp memmove memchr strcpy strncmp strchr strnlen; do
        if ! grep -q "^[0-9a-f]* <$fn>:\$" "$dis"; then
            case $fn in memcpy|memset|strlen|memcmp|strcmp) bad="$bad $fn(missing)" ;; esac
            continue
        fi
        if awk -v f="<$fn>:" "$FPREG_AWK"'
            $2 == f { on = 1; next } /^[0-9a-f]+ <.*>:$/ || /^$/ { on = 0 }
            on && fp($0) { hit = 1 } END { exit !hit }' "$dis"; then
            bad="$bad $fn"
        fi
    done
    # Every function of libc.a that uses FP/SIMD registers, for the record.
    users=$(awk "$FPREG_AWK"'
        /^[0-9a-f]+ <.*>:$/ { fn = substr($2, 2, length($2) - 3); next }
        fp($0) { print fn }' "$dis" | sort -u)
    printf '%s\n' "$users" >"$DEPS/newlib/fp-simd-functions.txt"
    { echo "functions of libc.a using FP/SIMD registers:"; echo "$users"; } >>"$LOG"
    [ -z "$bad" ] || fail "newlib's libc.a uses FP/SIMD registers in:$bad (see $dis)"
}

step_newlib() {
    begin newlib "building newlib (takes about a minute)"
    local tarball s=$SRC/newlib/source b=$SRC/newlib/build p=$DEPS/newlib cc
    tarball=$(dpkg -L newlib-source | grep -E '/newlib[^/]*\.tar\.(xz|gz|bz2)$' | head -n 1 || true)
    if [ -z "$tarball" ] || [ ! -f "$tarball" ]; then
        fail "no newlib tarball in package newlib-source"
    fi
    rm -rf "$SRC/newlib" "$p"
    mkdir -p "$s" "$b" "$p"
    run tar -xf "$tarball" -C "$s" --strip-components=1
    cc=$SRC/newlib/cc-for-target
    write_newlib_cc "$cc" "$p/fp-objects.txt"
    : >"$p/fp-objects.txt"
    # shellcheck disable=SC2086
    run_in "$b" "$s/configure" $NEWLIB_CONFIG --prefix="$p" \
        CC_FOR_TARGET="$cc" \
        AR_FOR_TARGET=${CROSS}ar AS_FOR_TARGET=${CROSS}as LD_FOR_TARGET=${CROSS}ld \
        NM_FOR_TARGET=${CROSS}nm RANLIB_FOR_TARGET=${CROSS}ranlib \
        OBJCOPY_FOR_TARGET=${CROSS}objcopy OBJDUMP_FOR_TARGET=${CROSS}objdump \
        READELF_FOR_TARGET=${CROSS}readelf STRIP_FOR_TARGET=${CROSS}strip \
        CFLAGS_FOR_TARGET="$NEWLIB_CFLAGS"
    run make -C "$b" -j"$JOBS"
    run make -C "$b" install
    local t=$p/aarch64-none-elf
    if [ ! -f "$t/lib/libc.a" ] || [ ! -d "$t/include" ]; then
        fail "newlib installed, but not as $t/lib/libc.a and $t/include"
    fi
    sort -u -o "$p/fp-objects.txt" "$p/fp-objects.txt"
    check_newlib_simd "$t/lib/libc.a"
    rm -rf "$b"   # about 100 MB of objects; the source stays for debugging
    finish newlib "$(newlib_key)"
}

# ---------------------------------------------------------------- lwip, libfdt

link_done() { # link_done STEP LINK FILE-INSIDE
    stamp_is "$1" v1 && [ -e "$2/$3" ]
}

step_lwip() {
    begin lwip "unpacking lwip source"
    rm -rf "$DEPS/lwip"
    fetch_source lwip
    if [ ! -d "$UNPACKED/src/core" ] || [ ! -d "$UNPACKED/src/include" ]; then
        fail "lwip source has no src/core and src/include"
    fi
    ln -sfn "${UNPACKED#"$DEPS"/}" "$DEPS/lwip"
    finish lwip v1
}

step_libfdt() {
    begin libfdt "unpacking libfdt (dtc) source"
    rm -rf "$DEPS/libfdt"
    rm -rf "$SRC/u-boot"
    local dir
    if fetch_source device-tree-compiler try; then
        dir=$UNPACKED/libfdt
    else
        # Some mirrors (this workplace's among them) do not serve the dtc
        # source tarballs (404). u-boot's source carries the same libfdt
        # (scripts/dtc/libfdt, upstream layout); keep only that folder.
        say "  (dtc's source is not served by the archive: using u-boot's copy of libfdt)"
        fetch_source u-boot
        dir=$SRC/u-boot/libfdt
        [ -d "$UNPACKED/scripts/dtc/libfdt" ] || fail "u-boot source has no scripts/dtc/libfdt"
        mv "$UNPACKED/scripts/dtc/libfdt" "$dir"
        echo "libfdt/ is scripts/dtc/libfdt of Debian source package ${UNPACKED##*/}" \
            >"$SRC/u-boot/ORIGIN"
        find "$SRC/u-boot" -mindepth 1 -maxdepth 1 ! -name libfdt ! -name ORIGIN -exec rm -rf {} +
    fi
    local f
    for f in libfdt.h fdt.h libfdt_env.h libfdt_internal.h fdt.c fdt_ro.c fdt_rw.c fdt_sw.c fdt_wip.c; do
        [ -f "$dir/$f" ] || fail "libfdt source has no $f"
    done
    ln -sfn "${dir#"$DEPS"/}" "$DEPS/libfdt"
    finish libfdt v1
}

# ---------------------------------------------------------------- main

read_packages
if [ -n "$(missing_packages)" ]; then
    step_packages
elif ! stamp_is packages "$(packages_key)"; then
    finish packages "$(packages_key)"   # all there already: just record it
fi
[ "${1:-}" != packages ] || exit 0
if ! gnuefi_done; then step_gnuefi; fi
if ! newlib_done; then step_newlib; fi
if ! link_done lwip "$DEPS/lwip" src/core; then step_lwip; fi
if ! link_done libfdt "$DEPS/libfdt" libfdt.h; then step_libfdt; fi
exit 0
