#!/usr/bin/env bash
# tools/fresh-check.sh - the README's `make test` on a brand-new Debian 12.
#
#   tools/fresh-check.sh          (or: make fresh-check)
#
# A green run on a developer's machine can hide a missing install step: the
# compiler, QEMU or a tool the tests use is already there. This check builds
# a minimal Debian 12 root from Debian's archive (debootstrap
# --variant=minbase bookworm, plus git, make and ca-certificates: the
# README's stated prerequisites), clones this repository's HEAD commit into
# it, and runs `make test` there exactly as the README says: as root, in
# the clone, with no stdin. Uncommitted changes are not part of the check.
#
# The root reaches the archive the way this machine does: it gets this
# machine's Debian 12 source entries (deb lines only: the set-up must add
# deb-src itself) and the Acquire:: settings of /etc/apt/apt.conf.d.
# /proc, /sys, /dev and resolv.conf are mounted into it inside a private
# mount namespace (unshare -m), so nothing stays mounted when the check
# ends, however it ends.
#
# Environment:
#   KEEP=1       keep the root afterwards (default: deleted)
#   FRESH_ROOT   where to build it (default: build/fresh-root)
#   MIRROR       the Debian archive URL for debootstrap (default: the one
#                this machine's apt sources use for bookworm main)
#   FRESH_CMD    the command to run in the clone instead of `make test`,
#                to check another first command: e.g. 'make lint', or
#                'timeout 300 make run' (make run never ends by itself)
#
# The last line is the inner run's "N passed, N failed" and the exit
# status is the inner run's; when the inner run never started (the archive
# could not be reached, say), the last line is "0 passed, 1 failed" and the
# status 1. Needs root (debootstrap, chroot, mounts); installs debootstrap
# from Debian's archive when it is missing.
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FRESH_ROOT=${FRESH_ROOT:-$ROOT/build/fresh-root}
SUITE=bookworm
INCLUDE=git,make,ca-certificates
TRIES=3

say() { echo "fresh-check: $*"; }
# The inner run never started: one failure, counted the way `make test` does.
give_up() {
	say "FAILED: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

[ "$(id -u)" -eq 0 ] || give_up "needs root (debootstrap, chroot and mounts)"

SETUP_NAME=fresh-check
# shellcheck source=tools/apt.sh
. "$ROOT/tools/apt.sh"

# Debian 12 entries of this machine's apt sources, as one-line "deb" entries
# ("URI SUITE COMPONENTS"), from both the classic and the deb822 format.
# Only bookworm* suites: other repositories' keys are not in a fresh root.
host_debian_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n -E 's/\[[^]]*\][[:space:]]*//; s/^[[:space:]]*deb[[:space:]]+([^[:space:]]+)[[:space:]]+(bookworm[^[:space:]]*)[[:space:]]+(.*)$/\1 \2 \3/p' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'BEGIN { RS = ""; FS = "\n" }
		{
			types = uris = suites = comps = ""; off = 0
			for (i = 1; i <= NF; i++) {
				line = $i
				if (line ~ /^#/) continue
				key = tolower(line); sub(/:.*/, "", key)
				val = line; sub(/^[^:]*:[ \t]*/, "", val)
				if (key == "types") types = val
				else if (key == "uris") uris = val
				else if (key == "suites") suites = val
				else if (key == "components") comps = val
				else if (key == "enabled" && tolower(val) ~ /^no/) off = 1
			}
			if (off || (" " types " ") !~ /[ \t]deb[ \t]/) next
			nu = split(uris, U, /[ \t]+/); ns = split(suites, S, /[ \t]+/)
			for (u = 1; u <= nu; u++)
				for (s = 1; s <= ns; s++)
					if (U[u] != "" && S[s] ~ /^bookworm/)
						print U[u], S[s], comps
		}' "$f"
	done
}

sources=$(host_debian_sources | sort -u)
if [ -z "${MIRROR:-}" ]; then
	MIRROR=$(awk -v s="$SUITE" '$2 == s && / main( |$)/ { print $1; exit }' <<<"$sources")
	[ -n "$MIRROR" ] || give_up "no '$SUITE main' entry in /etc/apt sources to take the archive from: set MIRROR"
fi

command -v debootstrap >/dev/null 2>&1 || {
	say "installing debootstrap"
	apt_get install debootstrap >/dev/null || give_up "cannot install debootstrap"
}

commit=$(git -C "$ROOT" rev-parse HEAD)
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ]; then
	say "note: uncommitted changes are not part of the check"
fi

# Nothing may hold a mount below the old root when it is deleted, and the
# bind mounts exist only in the namespace below, so removing it from here
# never reaches the host's /dev or /sys.
remove_root() { [ ! -e "$FRESH_ROOT" ] || rm -rf --one-file-system "$FRESH_ROOT"; }
kill_inside() { # every process whose root is the fresh root
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$FRESH_ROOT" ] && kill -9 "${p#/proc/}" 2>/dev/null
	done
	return 0
}
cleanup() {
	kill_inside
	if [ "${KEEP:-0}" = 1 ]; then
		say "kept the root at $FRESH_ROOT (chroot into it to look around)"
	else
		remove_root
	fi
}

remove_root
mkdir -p "$(dirname "$FRESH_ROOT")"
FRESH_ROOT=$(cd "$(dirname "$FRESH_ROOT")" && pwd)/$(basename "$FRESH_ROOT")
trap cleanup EXIT

start=$SECONDS
say "debootstrap --variant=minbase $SUITE from $MIRROR into $FRESH_ROOT"
log=$(dirname "$FRESH_ROOT")/fresh-debootstrap.log
ok=0
for ((try = 1; try <= TRIES; try++)); do
	if debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$FRESH_ROOT" "$MIRROR" \
		</dev/null >"$log" 2>&1; then
		ok=1
		break
	fi
	say "debootstrap try $try of $TRIES failed: $(grep -E '^[EW]:' "$log" | tail -n 1)"
	remove_root
	[ "$try" -eq "$TRIES" ] || sleep $((try * 20))
done
[ "$ok" = 1 ] || give_up "the Debian archive could not be reached ($MIRROR; debootstrap failed $TRIES times, last log: $log)"
rm -f "$log"
say "root ready in $((SECONDS - start)) s"

# The root's apt configuration: this machine's Debian 12 entries and its
# Acquire:: settings (a proxy, or a snapshot archive's validity rules).
{
	echo "# this machine's Debian $SUITE entries, copied by tools/fresh-check.sh"
	while read -r uri suite comps; do
		echo "deb $uri $suite $comps"
	done <<<"$sources"
} >"$FRESH_ROOT/etc/apt/sources.list"
for f in /etc/apt/apt.conf.d/*; do
	[ -f "$f" ] && grep -q '^[[:space:]]*Acquire' "$f" && cp "$f" "$FRESH_ROOT/etc/apt/apt.conf.d/"
done
: >"$FRESH_ROOT/etc/resolv.conf"
# The commit and its history travel as a bundle, cloned inside with the
# root's own git (a worktree's .git only points into a folder the root
# cannot see).
git -C "$ROOT" bundle create "$FRESH_ROOT/root/vigil.bundle" HEAD 2>/dev/null ||
	give_up "git bundle create failed in $ROOT"

# Inside the namespace: mount, clone the commit with the root's own git,
# run the README's command, and take every process the run left with it.
inner_log=$(dirname "$FRESH_ROOT")/fresh-make-test.log
cmd=${FRESH_CMD:-make test}
say "cloning $commit into /root/vigil and running '$cmd' there (log: $inner_log)"
start=$SECONDS
set +e
# shellcheck disable=SC2016  # expanded by the inner shell
unshare --mount --propagation private -- bash -c '
	set -e
	r=$1 commit=$2 cmd=$3
	mount -t proc proc "$r/proc"
	mount --rbind /sys "$r/sys"
	mount --rbind /dev "$r/dev"
	mount --bind /etc/resolv.conf "$r/etc/resolv.conf"
	chroot "$r" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb CI="${CI:-}" \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		bash -c "cd /root && git clone -q vigil.bundle vigil && rm vigil.bundle &&
			cd vigil && git checkout -q --detach $commit && $cmd"
' fresh-check "$FRESH_ROOT" "$commit" "$cmd" </dev/null 2>&1 | tee "$inner_log"
status=${PIPESTATUS[0]}
set -e
say "inner '$cmd' exited $status after $((SECONDS - start)) s"
kill_inside

# make test's count is its last line of its own (make may add an error
# line after it when something failed); a run that printed none failed
# (FRESH_CMD may name a command that prints none: its status is the word).
# Only make test's total counts for it; a suite's line ("lint: ...") is the
# count of a FRESH_CMD such as `make lint`.
count_re='^[0-9]+ passed, [0-9]+ failed$'
[ -z "${FRESH_CMD:-}" ] || count_re='^([a-z-]+: )?[0-9]+ passed, [0-9]+ failed$'
last=$(grep -E "$count_re" "$inner_log" | tail -n 1 || true)
if [ -z "$last" ]; then
	if [ -n "${FRESH_CMD:-}" ]; then
		last=""
	else
		[ "$status" -ne 0 ] || status=1
		last="0 passed, 1 failed"
	fi
fi
cleanup
trap - EXIT
[ -z "$last" ] || echo "$last"
exit "$status"
