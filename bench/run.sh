#!/usr/bin/env bash
# bench/run.sh BIN_DIR — `make bench`: every benchmark of docs/performance.md,
# measured side by side in one run on this machine, each figure printed with
# its comparison and the machine's load.  Asserts nothing.
#
# Knobs (environment): INGEST_AGENTS (8), INGEST_SECS (15), COPY_ROWS (200000),
# FANOUT_AGENTS (200), FANOUT_ROUNDS (5), FOOTPRINT_SECS (30), WORKERS (4),
# ROLLBACK_ROUNDS (20), ROLLBACK_FLEET_ROUNDS (3), ROLLBACK_STEP_MS (100),
# ROLLBACK_REPORT_MS (300) (bench/rollback.sh),
# SKIP="ingest fanout footprint rollback" to leave parts out.
set -euo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
source "$SRC/tests/integration/lib.sh" "$BIN" "$BIN/../tests"
source "$SRC/bench/lib.sh"
INGEST_AGENTS=${INGEST_AGENTS:-8}
INGEST_SECS=${INGEST_SECS:-15}
COPY_ROWS=${COPY_ROWS:-200000}
FANOUT_AGENTS=${FANOUT_AGENTS:-200}
FANOUT_ROUNDS=${FANOUT_ROUNDS:-5}
FOOTPRINT_SECS=${FOOTPRINT_SECS:-30}
WORKERS=${WORKERS:-4}
SKIP=${SKIP:-}
skip() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }

echo "== machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
free -h | sed -n 2p | awk '{print "== memory: " $2 " total, " $7 " available"}'
echo "== $(bench_load) at start"
it_setup
pg_durable
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# --- 1. ingestion: rewindd (acknowledged after commit) against raw COPY -----
if ! skip ingest; then
	it_rewindd_start --workers "$WORKERS" --report-interval-ms 5000
	out=$("$BIN/loadgen" ingest --server "$IT_URL" --pki-dir "$IT_DIR/pki" --agents "$INGEST_AGENTS" \
		--pods 110 --changes 110 --seconds "$INGEST_SECS" --prefix ingest)
	echo "$out"
	rate=$(printf '%s\n' "$out" | sed -n 's/^ingest: \([0-9]*\) changes\/s.*/\1/p')
	bench_note "ingest: rewindd persisted $rate changes/s ($INGEST_AGENTS agents x 110 pods, workers=$WORKERS, synchronous_commit=on)"
	rows=$(pgtest_psql -Atc "SELECT count(*) FROM pod_states WHERE cluster = 'ingest'")
	echo "ingest: pod_states rows for the bench cluster: $rows"
	it_rewindd_stop
	# The same rows (same columns, JSON containers, primary key and index) by COPY.
	PGOPTIONS="-c client_min_messages=warning" pgtest_psql -c "DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (LIKE pod_states INCLUDING ALL)"
	python3 - "$COPY_ROWS" >"$IT_DIR/copy.csv" <<'PY'
import sys, json
n = int(sys.argv[1])
for i in range(n):
    node, pod = i // 110, i % 110
    c = json.dumps([{"name": "app", "image": "ghcr.io/bench/app-%d:v1" % (pod % 20), "digest": "",
                     "ready": True, "restarts": i, "reason": ""}], separators=(",", ":"))
    print("ingest\tbench\tnode-%d-pod-%04d\tnode-%d\tdep-%d\tRunning\tt\t%s\t2026-11-26 06:00:00+00\t2026-11-26 06:00:00+00"
          % (node, pod, node, pod % 20, c))
PY
	t0=$(date +%s.%N)
	pgtest_psql -c "\\copy bench_copy (cluster, namespace, name, node, deployment, phase, ready, containers, observed_at, updated_at) FROM '$IT_DIR/copy.csv'"
	t1=$(date +%s.%N)
	copy_rate=$(python3 -c "print(int($COPY_ROWS/($t1-$t0)))")
	bench_note "ingest: raw COPY of $COPY_ROWS rows into a copy of pod_states: $copy_rate rows/s"
	python3 -c "r=$rate; c=$copy_rate; print(f'ingest: rewindd / COPY = {r/c:.2f} (target >= 0.33); {r/1000:.1f}k changes/s (target >= 100k on 2 cores)')"
fi

# --- 2. fan-out: action created -> every agent holding its action -----------
if ! skip fanout; then
	IT_PORT=$(free_port)
	it_rewindd_start --workers "$WORKERS" --contexts $((FANOUT_AGENTS * 2 + 64)) \
		--max-sessions $((FANOUT_AGENTS + 64)) --max-wait-ms 20000
	out=$("$BIN/loadgen" fanout --server "$IT_URL" --pki-dir "$IT_DIR/pki" --agents "$FANOUT_AGENTS" \
		--rounds "$FANOUT_ROUNDS" --seconds $((120 + FANOUT_AGENTS / 5)) --prefix fan \
		--connect-retry-s $((60 + FANOUT_AGENTS / 10)))
	echo "$out"
	p99=$(printf '%s\n' "$out" | sed -n 's/.*p99 \([0-9.]*\) ms.*/\1/p')
	bench_note "fanout: $FANOUT_AGENTS agents over TLS, p99 create->held ${p99:-?} ms (target < 50 ms)"
	it_rewindd_stop
fi

# --- 3. agent footprint against kubectl get pods -w -------------------------
if ! skip footprint; then
	bash "$SRC/bench/agent_footprint.sh" "$BIN" "$FOOTPRINT_SECS"
fi

# --- 4. rollback latency against kubectl (one service; 20 over 4 clusters) ----------
if ! skip rollback; then
	# In a subshell: its rewindd, simulators and agents end with it (the EXIT trap here
	# would also clean them up, but not before the end of the whole run).
	(
		IT_PIDS=()
		trap 'for p in "${IT_PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done' EXIT
		source "$SRC/bench/rollback.sh"
	)
fi
echo "== $(bench_load) at end"
