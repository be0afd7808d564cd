#!/usr/bin/env bash
# bench/soak.sh BIN_DIR — `make soak` (not in CI): SOAK_AGENTS simulated
# agents (default 200) x 110 pods reporting every SOAK_INTERVAL_MS (5000,
# like real agents; a quarter of the pods change per report) for SOAK_SECS
# (600) against one rewindd on a durable PostgreSQL.  Records rewindd's RSS
# after warm-up and at the end, reports acknowledged/failed, and every
# warning or error rewindd logged.  Prints figures; asserts nothing, but
# exits 1 when a report failed or rewindd logged an error.
# (Rollbacks running during the soak come with the rollback issue.)
set -euo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
source "$SRC/tests/integration/lib.sh" "$BIN" "$BIN/../tests"
source "$SRC/bench/lib.sh"
AGENTS=${SOAK_AGENTS:-200}
SECS=${SOAK_SECS:-600}
INTERVAL=${SOAK_INTERVAL_MS:-5000}
WARMUP=$(( SECS / 10 > 5 ? SECS / 10 : 5 ))
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
it_setup
pg_durable
it_rewindd_start --report-interval-ms "$INTERVAL" --contexts $((AGENTS * 2 + 64)) \
	--max-sessions $((AGENTS + 64))
echo "soak: $AGENTS agents x 110 pods, every ${INTERVAL} ms, ${SECS} s ($(bench_load))"
"$BIN/loadgen" ingest --server "$IT_URL" --pki-dir "$IT_DIR/pki" --agents "$AGENTS" --pods 110 \
	--changes 28 --interval-ms "$INTERVAL" --seconds "$SECS" --prefix soak \
	--connect-retry-s 60 >"$IT_DIR/loadgen.out" 2>&1 &
LG=$!
IT_PIDS+=("$LG")
# Warm-up counts from the moment every session is up (set-ups are spread out).
until grep -q 'sessions up' "$IT_DIR/loadgen.out" 2>/dev/null; do
	kill -0 "$LG" 2>/dev/null || break
	sleep 0.5
done
grep 'sessions up' "$IT_DIR/loadgen.out" || true
sleep "$WARMUP"
rss0=$(awk '/VmRSS/ {print $2}' /proc/$IT_RWD_PID/status)
echo "soak: rewindd RSS ${WARMUP} s after every session is up: $((rss0 / 1024)) MiB"
wait "$LG" || true
rss1=$(awk '/VmRSS/ {print $2}' /proc/$IT_RWD_PID/status)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$IT_RWD_PID/status)
cat "$IT_DIR/loadgen.out"
echo "soak: rewindd RSS at the end: $((rss1 / 1024)) MiB (peak $((hwm / 1024)) MiB), growth $(python3 -c "print(f'{($rss1-$rss0)/$rss0*100:+.1f}')")% (target < 5%) ($(bench_load))"
errs=$(grep -Ec 'Z (error|warn) ' "$IT_DIR/rewindd.log" || true)
echo "soak: rewindd warnings/errors logged: $errs"
grep -E 'Z (error|warn) ' "$IT_DIR/rewindd.log" | cut -c1-200 | sort | uniq -c | sort -rn | head -10 || true
failed=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' "$IT_DIR/loadgen.out")
[ "${failed:-1}" = 0 ] && [ "$errs" = 0 ]
