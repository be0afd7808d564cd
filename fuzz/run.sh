#!/usr/bin/env bash
# fuzz/run.sh [--build-dir DIR] [--seconds N] [TARGET...] — configures and
# builds the clang fuzzing build if needed (cmake -DREWIND_FUZZ=ON), then runs
# each harness for N seconds (default 10) from the checked-in corpus.  New
# inputs go to a scratch directory, never into fuzz/corpus.  Exits 1 when any
# harness crashes, leaks or times out; the reproducer is copied to
# DIR/crashes/ and named in the output.  Prints each target's execution count.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build-fuzz
SECS=10
TARGETS=()
while [ $# -gt 0 ]; do
	case "$1" in
	--build-dir) BUILD=$2; shift 2 ;;
	--seconds) SECS=$2; shift 2 ;;
	*) TARGETS+=("$1"); shift ;;
	esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(wire k8s_json registry clientconf kubecfg scenario)

CC=$(command -v clang || command -v clang-14 || true)
[ -n "$CC" ] || { echo "fuzz: clang not found (scripts/setup-deps.sh installs it)" >&2; exit 1; }
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
	cmake -S "$SRC" -B "$BUILD" -DCMAKE_C_COMPILER="$CC" -DREWIND_FUZZ=ON \
		-DCMAKE_BUILD_TYPE=Debug >/dev/null
fi
cmake --build "$BUILD" -j "$(nproc)" >"$BUILD/build.log" 2>&1 ||
	{ tail -30 "$BUILD/build.log" >&2; echo "fuzz: build failed" >&2; exit 1; }

WORK=$(mktemp -d /tmp/rewind-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$BUILD/crashes"
failed=0
for t in "${TARGETS[@]}"; do
	mkdir -p "$WORK/$t"
	log=$WORK/$t.log
	set +e
	# -timeout: one input taking over 10 s is a hang; -rss_limit_mb bounds memory.
	"$BUILD/bin/fuzz_$t" "$WORK/$t" "$SRC/fuzz/corpus/$t" -max_total_time="$SECS" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$WORK/$t-" >"$log" 2>&1
	rc=$?
	set -e
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
	if [ $rc -ne 0 ]; then
		failed=1
		echo "fuzz_$t: FAILED (exit $rc) after ${execs:-?} executions"
		grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -5 | sed 's/^/    /'
		for a in "$WORK/$t"-*; do
			[ -e "$a" ] || continue
			cp "$a" "$BUILD/crashes/"
			echo "    reproducer: $BUILD/crashes/$(basename "$a")"
		done
	else
		echo "fuzz_$t: ok, ${execs:-?} executions in ${SECS}s, $cov, corpus $(ls "$SRC/fuzz/corpus/$t" | wc -l)+$(ls "$WORK/$t" | wc -l) new"
	fi
done
exit $failed
