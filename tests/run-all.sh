#!/usr/bin/env bash
# tests/run-all.sh - every test suite in turn, then one total line:
# "N passed, N failed". Exit status 1 if anything failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
export BUILD
cd "$ROOT"

total_pass=0 total_fail=0 log=$(mktemp)
trap 'rm -f "$log"' EXIT

# suite NAME COMMAND...: run it, read its "NAME: N passed, N failed" line.
suite() {
	local name=$1
	shift
	echo "== $name"
	"$@" 2>&1 | tee "$log"
	local status=${PIPESTATUS[0]}
	local counts
	counts=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" "$log" | tail -1)
	if [ -z "$counts" ]; then
		echo "$name: no result line (exit status $status): counted as 1 failure"
		total_fail=$((total_fail + 1))
		return
	fi
	local p f
	p=$(echo "$counts" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$counts" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	# A suite that failed without counting it still fails the run.
	if [ "$status" != 0 ] && [ "$f" = 0 ]; then
		f=1
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
}

suite lint python3 tools/check-layering.py
suite unit tests/unit/run.sh "$BUILD"
suite fuzz tests/fuzz/run.sh "$BUILD" smoke
suite system tests/system/run.sh

echo
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
