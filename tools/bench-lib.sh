# shellcheck shell=bash
# tools/bench-lib.sh - what the `make bench` scripts share, sourced by them
# (tools/bench.sh, tools/bench-net.sh, tools/bench-gdb.sh). Sourcing it
# sets ROOT (the repository, also the working directory) and BUILD (made
# absolute; default $ROOT/build). A script defines say() and fills
# results[] and failed[] through these, then ends with bench_report.
#
# Figures are printed as
#   bench: <name> = <value> <unit> (goal ...: met|missed)
# each followed by an indented line saying what exactly was measured.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-$ROOT/build}
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)

results=()	# the bench: lines, printed at the end
failed=()	# figures that could not be measured

# result NAME VALUE UNIT GOAL EXPLANATION: GOAL is "", "<= N", ">= N" or
# "== N".
result() {
	local verdict=""
	if [ -n "$4" ]; then
		if awk -v v="$2" -v g="$4" 'BEGIN {
			split(g, p, " "); op = p[1]; lim = p[2] + 0; v += 0
			exit !((op == "<=" && v <= lim) || (op == ">=" && v >= lim) ||
			       (op == "==" && v == lim))
		}'; then
			verdict=" (goal $4: met)"
		else
			verdict=" (goal $4: missed)"
		fi
	fi
	results+=("bench: $1 = $2 $3$verdict" "  $5")
}

unavailable() { # NAME REASON
	results+=("bench: $1 = unavailable ($2)")
	failed+=("$1")
	say "FAILED: $1: $2" >&2
}

# div2 A B: A/B with two decimals.
div2() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# A free TCP port on the loopback interface.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The figures; exit status 1 if any could not be measured.
bench_report() {
	local line
	echo
	for line in "${results[@]}"; do
		echo "$line"
	done
	if [ ${#failed[@]} -gt 0 ]; then
		echo "bench: could not measure: ${failed[*]}"
		exit 1
	fi
}
