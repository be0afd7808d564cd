#!/usr/bin/env bash
# bench/soak.sh BIN_DIR — `make soak` (not in CI): SOAK_AGENTS simulated
# agents (default 200) x 110 pods reporting every SOAK_INTERVAL_MS (5000,
# like real agents; a quarter of the pods change per report) for SOAK_SECS
# (600) against one rewindd on a durable PostgreSQL.  Records rewindd's RSS
# after warm-up and at the end, reports acknowledged/failed, and every
# warning or error rewindd logged.  Prints figures; asserts nothing, but
# exits 1 when a report failed, a rollback failed or rewindd logged an error.
# Meanwhile rollbacks run: a simulated cluster with two real rewind-agents,
# two services, and a rollback of both to the other known-good release every
# SOAK_ROLLBACK_GAP_S (10) seconds, each followed to its end.
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
GAP=${SOAK_ROLLBACK_GAP_S:-10}

# --- the rollbacks: one real cluster, two agents, two services ----------------------
IT_OBSERVE=0
it_cluster_start prod
it_runbook_setup
it_wait_reporting production 2
for v in a b; do
	it_release misterdj-backend be-$v --migrations-backward-compatible yes
	it_release mr-dj-frontend fe-$v
done
for v in a b; do
	as operator rewindctl deploy --env production --release misterdj-backend:be-$v,mr-dj-frontend:fe-$v
	grep -q SUCCEEDED <<<"$OUT" || die "soak set-up: deploy $v: $OUT"
done
it_backup_verified production
# rollback_loop: until $IT_DIR/stop exists; one line per rollback in rollbacks.out.
rollback_loop() {
	local v=a n=0 t0
	while [ ! -e "$IT_DIR/stop" ]; do
		n=$((n + 1))
		t0=$(date +%s%3N)
		as operator rewindctl rollback --env production --all \
			--to "misterdj-backend:be-$v,mr-dj-frontend:fe-$v" --reason "soak rollback $n"
		if grep -q SUCCEEDED <<<"$OUT"; then
			echo "rollback $n: succeeded in $(($(date +%s%3N) - t0)) ms"
		else
			echo "rollback $n: FAILED: $(tail -2 <<<"$OUT" | tr '\n' ' ')"
		fi
		v=$([ $v = a ] && echo b || echo a)
		sleep "$GAP"
	done
}

echo "soak: $AGENTS agents x 110 pods, every ${INTERVAL} ms, ${SECS} s, a rollback every ${GAP} s ($(bench_load))"
"$BIN/loadgen" ingest --server "$IT_URL" --pki-dir "$IT_DIR/pki" --agents "$AGENTS" --pods 110 \
	--changes 28 --interval-ms "$INTERVAL" --seconds "$SECS" --prefix soak \
	--connect-retry-s 60 >"$IT_DIR/loadgen.out" 2>&1 &
LG=$!
IT_PIDS+=("$LG")
rollback_loop >"$IT_DIR/rollbacks.out" 2>&1 &
RB=$!
IT_PIDS+=("$RB")
# Warm-up counts from the moment every session is up (set-ups are spread out).
until grep -q 'sessions up' "$IT_DIR/loadgen.out" 2>/dev/null; do
	kill -0 "$LG" 2>/dev/null || break
	sleep 0.5
done
grep 'sessions up' "$IT_DIR/loadgen.out" || true
sleep "$WARMUP"
rss0=$(awk '/VmRSS/ {print $2}' /proc/$IT_RWD_PID/status)
echo "soak: rewindd RSS ${WARMUP} s after every session is up: $((rss0 / 1024)) MiB"
# RSS every 30 s until loadgen ends: does it level off or keep growing?
(while kill -0 "$LG" 2>/dev/null; do
	awk -v t="$SECONDS" '/VmRSS/ {printf "%d:%d ", t, $2 / 1024}' /proc/$IT_RWD_PID/status
	sleep 30
done) >"$IT_DIR/rss.txt" 2>/dev/null &
IT_PIDS+=("$!")
wait "$LG" || true
# Under load: the last sample before loadgen's sessions went away.
rss1=$(awk -v RS=' ' -F: 'NF == 2 {v = $2} END {print v * 1024}' "$IT_DIR/rss.txt")
[ "${rss1:-0}" -gt 0 ] || rss1=$(awk '/VmRSS/ {print $2}' /proc/$IT_RWD_PID/status)
touch "$IT_DIR/stop"
wait "$RB" || true
rss2=$(awk '/VmRSS/ {print $2}' /proc/$IT_RWD_PID/status)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$IT_RWD_PID/status)
cat "$IT_DIR/loadgen.out"
echo "soak: rewindd RSS at the end of the load: $((rss1 / 1024)) MiB (peak $((hwm / 1024)) MiB), growth $(python3 -c "print(f'{($rss1-$rss0)/$rss0*100:+.1f}')")% (target < 5%) ($(bench_load)); after the $AGENTS sessions closed: $((rss2 / 1024)) MiB"
echo "soak: rewindd RSS (MiB) every 30 s, seconds since the soak began:RSS: $(cat "$IT_DIR/rss.txt")"
errs=$(grep -Ec 'Z (error|warn) ' "$IT_DIR/rewindd.log" || true)
echo "soak: rewindd warnings/errors logged: $errs"
grep -E 'Z (error|warn) ' "$IT_DIR/rewindd.log" | cut -c1-200 | sort | uniq -c | sort -rn | head -10 || true
rb_ok=$(grep -c ': succeeded' "$IT_DIR/rollbacks.out" || true)
rb_fail=$(grep -c ': FAILED' "$IT_DIR/rollbacks.out" || true)
echo "soak: rollbacks during the soak: $rb_ok succeeded, $rb_fail failed; durations (ms): $(sed -n 's/.*succeeded in \([0-9]*\) ms/\1/p' "$IT_DIR/rollbacks.out" | sort -n | awk '{a[NR]=$1} END {if (NR) printf "min %d, median %d, max %d", a[1], a[int((NR+1)/2)], a[NR]}')"
grep FAILED "$IT_DIR/rollbacks.out" | head -5 || true
failed=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' "$IT_DIR/loadgen.out")
[ "${failed:-1}" = 0 ] && [ "$errs" = 0 ] && [ "$rb_fail" = 0 ] && [ "$rb_ok" -gt 0 ]
