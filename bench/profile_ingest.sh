#!/usr/bin/env bash
# bench/profile_ingest.sh BIN_DIR [SECONDS] — where ingestion time goes: the
# ingest load of bench/run.sh under `perf record -e cpu-clock` (software
# clock: this machine's perf has no hardware counters), attached to this
# run's processes only (rewindd, loadgen, this PostgreSQL's backends: other
# engineers' test databases share the machine), then the split by process and
# the top symbols of rewindd and of the backends.  Prints; asserts nothing.
set -euo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
SECS=${2:-10}
SRC=$(cd "$(dirname "$0")/.." && pwd)
source "$SRC/tests/integration/lib.sh" "$BIN" "$BIN/../tests"
source "$SRC/bench/lib.sh"
command -v perf >/dev/null || { echo "perf not installed"; exit 0; }
it_setup
pg_durable
it_rewindd_start --workers "${WORKERS:-4}"
"$BIN/loadgen" ingest --server "$IT_URL" --pki-dir "$IT_DIR/pki" --agents "${INGEST_AGENTS:-8}" \
	--pods 110 --changes 110 --seconds $((SECS + 2)) --prefix prof >"$IT_DIR/lg.out" &
LG=$!
IT_PIDS+=("$LG")
sleep 1
pm=$(head -1 "$PGTEST_DIR/data/postmaster.pid")
pids=$(echo "$IT_RWD_PID" "$LG" "$pm" $(pgrep -P "$pm") | tr ' ' ',')
perf record -q -e cpu-clock -F 999 -g -p "$pids" -o "$IT_DIR/perf.data" -- sleep "$SECS" 2>/dev/null
wait "$LG" || true
[ -n "${PERF_KEEP:-}" ] && cp "$IT_DIR/perf.data" "$PERF_KEEP"
cat "$IT_DIR/lg.out"
echo "--- CPU by process (samples of this run's processes over ${SECS} s, $(bench_load)) ---"
perf report -i "$IT_DIR/perf.data" --no-children --sort comm --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -12
echo "--- rewindd: top symbols ---"
perf report -i "$IT_DIR/perf.data" --no-children --comm rewindd --sort dso,sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -15
echo "--- postgres: top symbols ---"
perf report -i "$IT_DIR/perf.data" --no-children --comm postgres --sort dso,sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -25
