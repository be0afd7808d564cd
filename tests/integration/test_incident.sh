#!/usr/bin/env bash
# Incidents and the decision tree (docs/coordination.md): every branch of the tree,
# automatic rollback with an incident rewindd opens itself, a webhook endpoint that hangs
# (the rollback still completes), concurrent rollbacks refused across two rewindd on one
# database, an agent-less cluster, configuration hotfix and revert, the report's content.
source "$(dirname "$0")/lib.sh" "$@"
it_runbook_fleet --report-interval-ms 300
FE=mr-dj-frontend BE=misterdj-backend
it_release $BE be-v1 --migrations-backward-compatible yes
it_release $FE fe-v1
it_release $FE fe-v2-unhealthy
it_release $FE fe-v3-crash
it_release $BE be-v2-nocompat --migrations-backward-compatible no
expect_out SUCCEEDED as operator rewindctl deploy --env production --release $BE:be-v1,$FE:fe-v1

# --- decision tree: healthy production -> config / patch / rollback branches ------------
expect_out 'RECOMMENDATION: config-hotfix' as operator rewindctl decide --env production --dry-run --config-fixable yes
expect_out 'RECOMMENDATION: hotfix' as operator rewindctl decide --env production --dry-run --config-fixable no --low-risk-patch yes
expect_out 'RECOMMENDATION: rollback' as operator rewindctl decide --env production --dry-run --config-fixable no --low-risk-patch no
check 'printf "%s\n" "$OUT" | grep -q "is not down or customer-impacting now"' "tree: production not down"
expect_fail 2 'yes or no' as operator rewindctl decide --env production --config-fixable maybe

# --- a webhook that hangs must not hold up anything -----------------------------------
HOOK=$(free_port)
python3 -c 'import socket,time,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
conns=[]
while True:
    c,_=s.accept(); conns.append(c)   # accept, never answer
' "$HOOK" &
IT_PIDS+=($!)
expect_out 'auto-rollback +on' as admin rewindctl env set production --auto-rollback on --webhook-url "http://127.0.0.1:$HOOK/hook" --webhook-format slack

# --- production down after a bad deploy: rewindd detects, decides, rolls back itself ----
it_backup_verified production
t0=$(date +%s%N)
expect_fail 1 'failed its health check' as operator rewindctl deploy --env production --release $FE:fe-v2-unhealthy
for i in $(seq 1 100); do
	as viewer rewindctl op list --env production
	grep -Eq 'rollback +production +succeeded +rewindd' <<<"$OUT" && break
	sleep 0.2
done
t1=$(date +%s%N)
expect_out 'rollback +production +succeeded +rewindd +mr-dj-frontend:fe-v1' as viewer rewindctl op list --env production
echo "metric: automatic rollback, from deploy start to verified rollback: $(((t1 - t0) / 1000000)) ms"
expect_out '^ *1 +production +sev2 +mitigated +rewindd +rollback' as viewer rewindctl incident list
expect_out 'detection .*failed its checks' as viewer rewindctl incident show 1
check 'printf "%s\n" "$OUT" | grep -q "decision: rollback"' "automatic decision recorded"
check 'printf "%s\n" "$OUT" | grep -q "rollback started as operation"' "rollback recorded on the incident"
check 'printf "%s\n" "$OUT" | grep -q "operation #[0-9]* (rollback) succeeded"' "verification recorded"
expect_fail 1 'already has an open incident \(#1\)' as operator rewindctl incident open --env production --title again

# --- the report --------------------------------------------------------------------------
expect_out '^# Incident #1' as viewer rewindctl incident report 1
for want in '## Timeline' '## Decision' 'Recommendation: \*\*rollback\*\*' '## Artifacts and digests' \
	'## Migration decisions' 'Time to detect:\*\* [0-9]+ min' 'Time to recover:\*\* [0-9]+ min' \
	'### Root cause' '### Detection gaps' '### Action items' 'fe-v2-unhealthy' 'backwards compatible: not stated'; do
	check 'printf "%s\n" "$OUT" | grep -Eq -- "$want"' "report has /$want/"
done
as viewer rewindctl incident report 1 --out "$IT_DIR/report.md"
check '[ -s "$IT_DIR/report.md" ]' "report --out writes the file"
expect_out 'incident #1 closed' as operator rewindctl incident close 1 --summary "fe-v2 answered 503; rolled back" --root-cause "bad health handler"
as admin rewindctl env set production --auto-rollback off

# --- production down now: the tree's first branch (manual decide) --------------------------
expect_fail 1 'crash|CrashLoop|not healthy|progress deadline|failed' as operator rewindctl deploy --env production --release $FE:fe-v3-crash --no-observe
expect_out 'RECOMMENDATION: rollback' as operator rewindctl decide --env production --no-prompt
check 'printf "%s\n" "$OUT" | grep -q "down or customer-impacting within the last 30 minutes"' "tree: production down"
check 'printf "%s\n" "$OUT" | grep -Eq "started-after-latest-deployment +yes"' "Rewind knows it started after the deploy"
check 'printf "%s\n" "$OUT" | grep -Eq "recorded on incident #[0-9]+"' "decide opens and records an incident"
INC=$(printf '%s\n' "$OUT" | sed -n 's/.*recorded on incident #\([0-9]*\).*/\1/p')
expect_out 'decision: +rollback' as viewer rewindctl incident show "$INC"

# --- one rollback at a time, also across two rewindd on one database ----------------------
PORT2=$(free_port)
"$IT_BIN/rewindd" --db "$PGTEST_URL" --pki-dir "$IT_DIR/pki" --listen "tls+tcp://127.0.0.1:$PORT2" \
	--log-file "$IT_DIR/rewindd2.log" --report-interval-ms 300 &
IT_PIDS+=($!)
for i in $(seq 1 100); do grep -q ' listening ' "$IT_DIR/rewindd2.log" 2>/dev/null && break; sleep 0.05; done
# Both at the same moment, one through each server: exactly one is accepted, the
# other refused by the database (a second request made later could find the first
# already finished on a fast machine, or still planning on a slow one).
RW1=$IT_DIR/rb1.out RW2=$IT_DIR/rb2.out
( as operator rewindctl rollback --env production --service $FE --reason "crash" --incident "$INC" --no-wait
  printf '%s\n%s\n' "$RC" "$OUT" >"$RW1" ) &
p1=$!
( REWIND_SERVER="tls+tcp://127.0.0.1:$PORT2" as operator rewindctl rollback --env production --service $FE --reason "crash, again" --incident "$INC" --no-wait
  printf '%s\n%s\n' "$RC" "$OUT" >"$RW2" ) &
p2=$!
wait "$p1" "$p2" || true
OUT="$(cat "$RW1")
---
$(cat "$RW2")"
RC=0
check '[ "$(head -1 "$RW1")$(head -1 "$RW2")" = "01" ] || [ "$(head -1 "$RW1")$(head -1 "$RW2")" = "10" ]' \
	"of two simultaneous rollbacks (two rewindd) exactly one is accepted"
check 'grep -q "already in flight in production (operation #" "$RW1" "$RW2"' \
	"the other is refused: already in flight"
for i in $(seq 1 100); do
	as viewer rewindctl op list --env production
	grep -Eq '^ *[0-9]+ +rollback +production +(queued|running)' <<<"$OUT" || break
	sleep 0.2
done

# --- migration gate -------------------------------------------------------------------------
expect_out SUCCEEDED as operator rewindctl deploy --env production --release $BE:be-v2-nocompat --no-observe
expect_fail 1 'migration gate' as operator rewindctl rollback --env production --service $BE --reason x
expect_out 'gate overridden' as operator rewindctl rollback --env production --service $BE --reason x --override-gate "restored schema by hand"

# --- configuration hotfix and revert ----------------------------------------------------------
KC="$IT_DIR/cluster-prod/kubeconfig"
printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"mr-dj-frontend-config","namespace":"default"},"data":{"NODE_ENV":"production"}}' >"$IT_DIR/cm.json"
kubectl --kubeconfig "$KC" create -f "$IT_DIR/cm.json" --validate=false >/dev/null 2>&1 || die "kubectl create configmap"
expect_out 'SUCCEEDED' as operator rewindctl config set --env production --namespace default --configmap mr-dj-frontend-config FEATURE_BOOKING=off NODE_ENV=maintenance
expect_out '"previous": .*NODE_ENV.*production' as viewer rewindctl op list --env production -o json
expect_out 'SUCCEEDED' as operator rewindctl config revert --env production
check 'kubectl --kubeconfig "$KC" -n default get configmap mr-dj-frontend-config -o jsonpath="{.data.NODE_ENV}" 2>/dev/null | grep -qx production' \
	"config revert restored NODE_ENV"
expect_fail 5 'no applied config set' as operator rewindctl config revert --env staging

# --- an agent-less cluster: a clear error after the action timeout --------------------------
as admin rewindctl env add lonely --cluster nowhere
as admin rewindctl env set lonely --action-timeout 2
expect_fail 1 'no agent of cluster nowhere took the set-image action .* within 2 s \(0 agent' \
	as operator rewindctl deploy --env lonely --release $BE:be-v1

# the hanging webhook never blocked: notifications are queued and retried
grep -q 'notify.failed' "$IT_DIR/rewindd.log" "$IT_DIR/rewindd2.log" && echo "webhook failures logged and retried"
it_done
