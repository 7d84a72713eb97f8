#!/usr/bin/env bash
# tests/fuzz/run.sh BUILD_DIR smoke|long [TARGET...]: run the libFuzzer
# targets built in BUILD_DIR/fuzz/bin, one after the other, and end with
# one line "fuzz: N passed, N failed" (one count per target).
#
#   smoke  FUZZ_SMOKE_SECONDS (10) each, from the seeds only; what libFuzzer
#          finds goes to a temporary directory (make test)
#   long   FUZZ_SECONDS (300) each; the corpus grows in
#          BUILD_DIR/fuzz/corpus/<target> from one run to the next (make fuzz)
#
# A target fails on any crash, sanitizer report (ASan, UBSan, a leak), an
# input that runs over 10 s, or a broken invariant; the input is saved as
# BUILD_DIR/fuzz/artifacts/<target>-crash-... and the end of libFuzzer's
# report is shown.
set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 BUILD_DIR smoke|long [TARGET...]" >&2
	exit 2
fi
build=$1 mode=$2
shift 2
case $mode in
smoke) seconds=${FUZZ_SMOKE_SECONDS:-10} ;;
long) seconds=${FUZZ_SECONDS:-300} ;;
*) echo "$0: mode is smoke or long, not '$mode'" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
[ ${#targets[@]} -ne 0 ] || targets=(rsp config guest_dt image walk)

passed=0 failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vigil-fuzz.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$build/fuzz/artifacts"

for t in "${targets[@]}"; do
	bin=$build/fuzz/bin/fuzz_$t
	seeds=$build/fuzz/seeds/$t
	if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
		echo "FAIL fuzz.$t: $bin or $seeds is missing (make fuzz-build)"
		failed=$((failed + 1))
		continue
	fi
	if [ "$mode" = smoke ]; then
		corpus=$tmp/corpus-$t
	else
		corpus=$build/fuzz/corpus/$t
	fi
	mkdir -p "$corpus"
	dict=()
	[ -f "$here/$t.dict" ] && dict=(-dict="$here/$t.dict")
	log=$tmp/$t.log
	start=$(date +%s)
	# New inputs go to the first directory; the seeds are only read.
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$build/fuzz/artifacts/$t-" \
		"${dict[@]}" "$corpus" "$seeds" >"$log" 2>&1
	status=$?
	took=$(($(date +%s) - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 | sed -E 's/.*cov: ([0-9]+).*/\1/')
	if [ "$status" -eq 0 ] && [ -n "$runs" ]; then
		echo "ok fuzz.$t: ${runs} runs in ${took} s, coverage ${cov:-?}, corpus $(find "$corpus" -type f | wc -l), seeds $(find "$seeds" -type f ! -name .stamp | wc -l)"
		passed=$((passed + 1))
	else
		echo "FAIL fuzz.$t: exit status $status after ${took} s; the end of libFuzzer's output:"
		grep -v -E '^#[0-9]+ ' "$log" | tail -n 40 | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
