#!/usr/bin/env bash
# PostgreSQL restarted under load: loadgen's agents report continuously over
# TLS while PostgreSQL is stopped the hard way (immediate shutdown: a crash
# for the database) and started again.  rewindd must reconnect by itself and
# nothing it acknowledged may be lost: for every pod, the restart count in
# pod_states is at least the last one loadgen saw acknowledged (rewindd
# acknowledges after commit; PostgreSQL runs durable here, bench/lib.sh).
source "$(dirname "$0")/lib.sh" "$@"
source "$IT_SRC/bench/lib.sh"
it_setup
pg_durable
it_rewindd_start --workers 2 --report-interval-ms 1000
ACKS=$IT_DIR/acks.txt
"$IT_BIN/loadgen" ingest --server "$IT_URL" --pki-dir "$IT_DIR/pki" --agents 4 --pods 110 \
	--changes 25 --seconds 16 --prefix pgr --ack-log "$ACKS" >"$IT_DIR/loadgen.out" 2>&1 &
LG=$!
IT_PIDS+=("$LG")
sleep 4
before=$(pgtest_psql -Atc "SELECT count(*) FROM pod_states WHERE cluster = 'pgr'")
check '[ "$before" -eq 440 ]' "all 440 pods stored before the restart (got $before)"
_pgtest_as_pg "$PGTEST_BIN/pg_ctl" -D "$PGTEST_DIR/data" -m immediate -s -w -t 30 stop ||
	die "PostgreSQL did not stop"
sleep 3 # down for a while: reports fail meanwhile
_pgtest_pg_start || die "PostgreSQL did not start again"
# Acknowledged after the restart: rewindd reconnected without help.
mark=$(pgtest_psql -Atc "SELECT coalesce(max((containers->0->>'restarts')::int), 0) FROM pod_states WHERE cluster = 'pgr'")
lg_rc=0
wait "$LG" || lg_rc=$?
OUT=$(cat "$IT_DIR/loadgen.out")
RC=$lg_rc
check '[ "$lg_rc" -eq 0 ]' "loadgen exited cleanly (under ASan: no leak or error report)"
check 'printf "%s" "$OUT" | grep -Eq "errors=[1-9]"' "loadgen saw failed reports while PostgreSQL was down"
# Like rewind-agent, loadgen follows a failed report with a snapshot; a change
# report after a gap would be refused (store_report_apply) and not acknowledged.
check 'printf "%s" "$OUT" | grep -Eq "refused=0$"' "no change report refused: each failure was followed by a snapshot"
last=$(pgtest_psql -Atc "SELECT coalesce(max((containers->0->>'restarts')::int), 0) FROM pod_states WHERE cluster = 'pgr'")
check '[ "$last" -gt "$mark" ]' "reports committed after the restart ($mark -> $last): rewindd reconnected by itself"
check 'grep -q "" "$ACKS"' "ack log written"
pgtest_psql -c "CREATE TEMP TABLE acks (cluster text, name text, restarts int)" \
	-c "\\copy acks FROM '$ACKS' WITH (FORMAT text, DELIMITER ' ')" \
	-c "SELECT count(*) AS lost FROM acks a LEFT JOIN pod_states p ON p.cluster = a.cluster AND p.namespace = 'bench' AND p.name = a.name WHERE p.name IS NULL OR (p.containers->0->>'restarts')::int < a.restarts" \
	-At >"$IT_DIR/lost.txt"
lost=$(tail -1 "$IT_DIR/lost.txt")
nacks=$(wc -l <"$ACKS")
check '[ "$lost" = 0 ]' "no acknowledged change lost ($lost of $nacks pods behind their acknowledged state)"
check 'grep -q "store.reconnect" "$IT_DIR/rewindd.log"' "rewindd logged its reconnect to the database"
printf '%s\n' "$OUT" | sed 's/^/  /'
it_done
