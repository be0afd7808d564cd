#!/usr/bin/env bash
# run.sh — generate a large history in a private PostgreSQL and time every
# audit query end to end (rewindctl -> rewindd -> PostgreSQL), as recorded in
# docs/performance.md.  Not part of the test suite (it takes minutes).
#
#   bench/audit_queries.sh BUILD_DIR [RELEASES] [EVENTS]     (defaults 1000000 10000000)
#
# Prints the machine, generation times, and a markdown table of latencies
# (best and median of 5 runs, milliseconds).
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
RELEASES=${2:-1000000}
EVENTS=${3:-10000000}
SRC=$(cd "$(dirname "$0")/.." && pwd)
source "$SRC/tests/lib/pgtest.sh"
DIR=$(mktemp -d /tmp/rewind-bench.XXXXXX)
RWD=
cleanup() { [ -n "$RWD" ] && kill "$RWD" 2>/dev/null; pgtest_stop >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT
PSQL=$PGTEST_BIN/psql
pgtest_start >/dev/null
PSQL=$PGTEST_BIN/psql
q() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 "$PGTEST_URL" "$@"; }
now_ms() { date +%s%3N; }

echo "## machine"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
free -h | sed 's/^/    /'
echo "postgres: $("$PSQL" --version)"

"$BUILD/bin/rewindd" --migrate-only --db "$PGTEST_URL" --log-file "$DIR/migrate.log"
t0=$(now_ms)
q -v releases="$RELEASES" -v services=1000 -f "$SRC/bench/gen.sql" >/dev/null
t1=$(now_ms)
echo "## generated $RELEASES releases (+ deployments, rollbacks, incidents) in $(( (t1 - t0) / 1000 )) s"
CHUNK=1000000
lo=1
while [ "$lo" -le "$EVENTS" ]; do
	hi=$((lo + CHUNK - 1))
	[ "$hi" -gt "$EVENTS" ] && hi=$EVENTS
	q -v lo="$lo" -v hi="$hi" -f "$SRC/bench/gen_events.sql" >/dev/null
	lo=$((hi + 1))
done
q -c "ANALYZE" >/dev/null
t2=$(now_ms)
echo "## generated $EVENTS chained audit events in $(( (t2 - t1) / 1000 )) s"
q -c "SELECT 'rows: releases ' || (SELECT count(*) FROM releases) || ', deployments ' || (SELECT count(*) FROM deployments) || ', audit_log ' || (SELECT count(*) FROM audit_log) || ', db size ' || pg_size_pretty(pg_database_size(current_database()))"

"$BUILD/bin/rewindctl" pki init --dir "$DIR/pki" >/dev/null
"$BUILD/bin/rewindctl" pki issue --dir "$DIR/pki" --role operator --name bench >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BUILD/bin/rewindd" --db "$PGTEST_URL" --pki-dir "$DIR/pki" --listen "tls+tcp://127.0.0.1:$PORT" \
	--audit-sign-interval 0 --log-file "$DIR/rewindd.log" &
RWD=$!
for _ in $(seq 1 100); do grep -q ' listening ' "$DIR/rewindd.log" 2>/dev/null && break; sleep 0.1; done
export REWIND_SERVER="tls+tcp://127.0.0.1:$PORT" REWIND_CA="$DIR/pki/ca.crt" \
	REWIND_CERT="$DIR/pki/bench.crt" REWIND_KEY="$DIR/pki/bench.key" REWIND_TIMEOUT=3600
MID=$(q -c "SELECT to_char((timestamptz '2023-01-01Z' + ($RELEASES / 2) * interval '90 seconds') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
REL=$((RELEASES / 2))
echo
echo "| query | best ms | median ms | rows |"
echo "|---|---:|---:|---:|"
bench() {
	local name=$1; shift
	local ts=() n=0 out
	for _ in 1 2 3 4 5; do
		local a b
		a=$(now_ms)
		out=$("$BUILD/bin/rewindctl" --timeout 3600 "$@" -o csv) || { echo "| $name | failed | | |"; return; }
		b=$(now_ms)
		ts+=($((b - a)))
	done
	n=$(($(printf '%s\n' "$out" | wc -l) - 1))
	local sorted
	sorted=$(printf '%s\n' "${ts[@]}" | sort -n)
	echo "| $name | $(echo "$sorted" | head -1) | $(echo "$sorted" | sed -n 3p) | $n |"
}
bench "what-ran --env bench-prod --at MID" audit what-ran --env bench-prod --at "$MID"
bench "rollbacks (newest 1000)" audit rollbacks
bench "rollbacks --service svc-0042" audit rollbacks --service svc-0042
bench "rollbacks --since MID (1 day)" audit rollbacks --since "$MID" --until "${MID%T*}T23:59:59Z"
bench "log (newest 1000)" audit log
bench "log --service svc-0042 --limit 100" audit log --service svc-0042 --limit 100
bench "log --kind rollback --limit 100" audit log --kind rollback --limit 100
bench "log --actor user7 --limit 100" audit log --actor user7 --limit 100
bench "log --since MID --until MID+1h" audit log --since "$MID" --until "${MID%Z}+00:00" --limit 1000
bench "release ID (mid history)" audit release "$REL"
bench "dora --env bench-prod (30 days before MID)" audit dora --env bench-prod --until "$MID"
bench "dora --env bench-prod --since 1 year" audit dora --env bench-prod --since 2023-01-01 --until 2024-01-01
WEEK=$(date -u -d "${MID%Z} UTC - 7 days" +%Y-%m-%dT%H:%M:%SZ)
bench "timeline --env bench-prod (since midnight)" audit timeline --env bench-prod --since "${MID%T*}" --until "$MID"
bench "timeline --env bench-prod (7 days)" audit timeline --env bench-prod --since "$WEEK" --until "$MID"
a=$(now_ms)
"$BUILD/bin/rewindctl" --timeout 3600 audit sign >/dev/null
b=$(now_ms)
echo "| sign (once) | $((b - a)) | | 1 |"
a=$(now_ms)
"$BUILD/bin/rewindctl" --timeout 3600 audit verify -o csv >"$DIR/verify.csv" || true
b=$(now_ms)
echo "| verify (whole chain, once) | $((b - a)) | | $(grep -c . "$DIR/verify.csv") |"
grep summary "$DIR/verify.csv" | sed 's/^/    /'
