#!/usr/bin/env bash
# Two rewindd on one database; an agent given both addresses.  The server the
# agent talks to is killed in the middle of an action: the agent fails over to
# the other, delivers the action's result there, and its state stays visible.
# Then the same mid-*rollback*: the rewindd that runs the rollback and that
# the agents talk to is killed; the agents fail over to the other rewindd,
# whose coordinator resumes the rollback (it sees the dead one's database
# session gone) and finishes it — one set-image, one outcome.
source "$(dirname "$0")/lib.sh" "$@"
SCN="$IT_SRC/tests/integration/scenario-agents.json"
it_setup
it_rewindd_start --report-interval-ms 500 --lease-ms 3000 --max-wait-ms 3000
A_URL=$IT_URL A_PID=$IT_RWD_PID
IT_PORT=$(free_port)
mv "$IT_DIR/rewindd.log" "$IT_DIR/rewindd-a.log"
it_rewindd_start --report-interval-ms 500 --lease-ms 3000 --max-wait-ms 3000
B_URL=$IT_URL B_PID=$IT_RWD_PID
it_cluster prod "$SCN"
as admin rewindctl env add production --cluster prod
IT_URL=$A_URL
it_agent prod k3s-agent-1 --server "$B_URL" --report-interval-ms 500 --action-wait-ms 2000
it_agent prod k3s-server-1 --server "$B_URL" --report-interval-ms 500 --action-wait-ms 2000
agent_pid=$IT_AGENT_PID
export REWIND_SERVER=$B_URL
until_out 5 'agents 2/2 reporting' as viewer rewindctl status --env production
check 'grep -q "server.connected url=$A_URL" "$IT_DIR/agent-prod-k3s-server-1.log"' "agent first connected to the first server"

# An action created through B reaches the agent connected to A (NOTIFY across servers).
as operator rewindctl action set-image --env production --namespace misterdj --deployment misterdj-backend --image ghcr.io/crisisk/misterdj-backend:v2-slow
id=$(printf '%s' "$OUT" | sed -n 's/^action\/\([0-9]*\) queued.*/\1/p')
until_out 5 '"state": "leased"' as viewer rewindctl action show "$id" -o json
# Kill A while the agent follows the (4 s) rollout.
kill -9 "$A_PID"
until_out 30 '"state": "succeeded"' as viewer rewindctl action show "$id" -o json
owner=$(printf '%s' "$OUT" | sed -n 's/.*"owner": "prod\/\([a-z0-9-]*\)".*/\1/p')
check '[ -n "$owner" ]' "an agent finished it"
check 'printf "%s" "$OUT" | grep -q "\"attempts\": 1"' "no takeover was needed"
until_out 10 "server.connected url=${B_URL/+/.}" run cat "$IT_DIR/agent-prod-$owner.log"
OUT=$(it_kubectl prod -n misterdj get deployment misterdj-backend -o jsonpath='{.spec.template.spec.containers[0].image} {.metadata.generation}')
check '[ "$OUT" = "ghcr.io/crisisk/misterdj-backend:v2-slow 2" ]' "applied once"
# Its state keeps flowing through B: a change made now shows up.
expect_out 'succeeded' as operator rewindctl action set-image --env production --deployment mr-dj-frontend --image ghcr.io/crisisk/mr-dj-frontend:v5 --wait
until_out 5 'mr-dj-frontend:v5 +2/2' as viewer rewindctl status --env production
check 'kill -0 $agent_pid' "agent still running"

# --- mid-rollback: B runs the rollback and serves the agents; B dies -----------------------
BE=misterdj-backend FE=mr-dj-frontend
as admin rewindctl service add $FE --namespace default --image ghcr.io/crisisk/$FE --health-path /api/health --health-expect '{"status":"ok"}'
as admin rewindctl service add $BE --namespace misterdj --image ghcr.io/crisisk/$BE --health-path /api/health --health-expect '{"status":"ok"}'
as admin rewindctl env set production --observe-seconds 0 --verify-seconds 20 --action-timeout 30
for v in v1-slow v6; do
	as operator rewindctl release record --allow-unpinned --service $BE --image ghcr.io/crisisk/$BE:$v --migrations-backward-compatible yes
done
expect_out 'SUCCEEDED' as operator rewindctl deploy --env production --release $BE:v1-slow
expect_out 'SUCCEEDED' as operator rewindctl deploy --env production --release $BE:v6
as operator rewindctl backup record --env production --kind pg-dump --location s3://b/1.dump --verified
gen0=$(it_kubectl prod -n misterdj get deployment $BE -o jsonpath='{.metadata.generation}')
acts0=$(pgtest_psql -Atc "SELECT max(id) FROM actions")
as operator rewindctl rollback --env production --service $BE --to $BE:v1-slow --reason "failover mid-rollback" --no-wait
op=$(sed -n 's/^operation #\([0-9]*\) queued.*/\1/p' <<<"$OUT" | head -1)
check '[ -n "$op" ]' "rollback queued on B"
# B's coordinator has it and the agent follows the 4 s rollout of the slow image.
until_out 10 "rolling-out .*leased|leased" run pgtest_psql -Atc "SELECT d.state || ' ' || a.state FROM deployments d JOIN actions a ON a.id = d.action_id WHERE d.operation_id = $op"
check "[ \"\$(pgtest_psql -Atc \"SELECT owner FROM operations WHERE id = $op\")\" != '' ]" "B runs it"
# A comes back (same address) before B dies, as a standby would be running.
IT_PORT=${A_URL##*:}
mv "$IT_DIR/rewindd.log" "$IT_DIR/rewindd-b.log"
it_rewindd_start --report-interval-ms 500 --lease-ms 3000 --max-wait-ms 3000
A_PID=$IT_RWD_PID
kill -9 "$B_PID"
export REWIND_SERVER=$A_URL
until_out 30 'SUCCEEDED' as viewer rewindctl op show "$op" --wait
check 'grep -q "operation.resumed id=$op" "$IT_DIR/rewindd.log"' "A's coordinator resumed the rollback"
check "[ \"\$(pgtest_psql -Atc \"SELECT count(*) FROM actions WHERE id > $acts0\")\" = 1 ]" "one set-image action"
check "[ \"\$(pgtest_psql -Atc \"SELECT count(*) FROM audit_log WHERE action = 'operation.succeeded' AND target = 'operation/$op'\")\" = 1 ]" "one outcome"
OUT=$(it_kubectl prod -n misterdj get deployment $BE -o jsonpath='{.spec.template.spec.containers[0].image} {.metadata.generation}')
check '[ "$OUT" = "ghcr.io/crisisk/$BE:v1-slow $((gen0 + 1))" ]' "rolled back, patched once ($OUT)"
until_out 10 "server.connected url=${A_URL/+/.}" run cat "$IT_DIR/agent-prod-k3s-server-1.log" "$IT_DIR/agent-prod-k3s-agent-1.log"

it_done
