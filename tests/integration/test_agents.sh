#!/usr/bin/env bash
# Agents end to end: two simulated clusters over HTTPS with tokens, two agents
# each, one rewindd.  Pod state visible within one report interval, set-image
# executed once and followed to the end (checked with the real kubectl), a
# crashing image reported with its reason, an agent killed mid-action and the
# action finished by the other, impersonation refused, metrics served.
source "$(dirname "$0")/lib.sh" "$@"
SCN="$IT_SRC/tests/integration/scenario-agents.json"
PB="python3 $(dirname "$0")/pbenc.py"
it_setup
RWD_MPORT=$(free_port)
it_rewindd_start --report-interval-ms 1000 --lease-ms 3000 --max-wait-ms 5000 --metrics-listen "127.0.0.1:$RWD_MPORT"
it_cluster prod "$SCN"
it_cluster staging "$SCN"
for n in k3s-server-1 k3s-agent-1; do
	it_agent prod $n --report-interval-ms 1000 --action-wait-ms 3000
	it_agent staging $n --report-interval-ms 1000 --action-wait-ms 3000
done
as admin rewindctl env add production --cluster prod
as admin rewindctl env add staging --cluster staging
as admin rewindctl service add mr-dj-frontend --image ghcr.io/crisisk/mr-dj-frontend --health-path /api/health --health-expect '{"status":"ok"}'

# --- every pod of both clusters visible, with node, readiness and health ----
until_out 5 'agents 2/2 reporting' as viewer rewindctl status --env production
until_out 5 'mr-dj-frontend-[a-z0-9]+-[a-z0-9]+ +k3s-agent-1 +1/1 +Running .* ok 200' as viewer rewindctl status --env production
expect_out 'misterdj/misterdj-backend-.* +k3s-server-1 +1/1 +Running' as viewer rewindctl status --env production
until_out 5 'default/mr-dj-frontend +ghcr.io/crisisk/mr-dj-frontend:v1 +2/2 .*complete' as viewer rewindctl status --env staging
expect_out '"node": "k3s-agent-1"' as viewer rewindctl status -o json
check '[ "$(printf "%s" "$OUT" | grep -c "\"name\": \"mr-dj-frontend-")" -eq 4 ]' "4 frontend pods over 2 clusters in status"

# --- set-image, executed once, followed to the end -------------------------
gen_before=$(it_kubectl prod get deployment mr-dj-frontend -o jsonpath='{.metadata.generation}')
expect_out 'succeeded — deployment "mr-dj-frontend" successfully rolled out' \
	as operator rewindctl action set-image --env production --deployment mr-dj-frontend --image ghcr.io/crisisk/mr-dj-frontend:v2 --wait
check '[ "$RC" -eq 0 ]' "set-image exit code 0"
OUT=$(it_kubectl prod get deployment mr-dj-frontend -o jsonpath='{.spec.template.spec.containers[0].image} {.metadata.generation} {.status.updatedReplicas}/{.status.availableReplicas}')
check '[ "$OUT" = "ghcr.io/crisisk/mr-dj-frontend:v2 $((gen_before + 1)) 2/2" ]' "kubectl sees v2, generation bumped once, 2/2 updated/available"
OUT=$(it_kubectl staging get deployment mr-dj-frontend -o jsonpath='{.spec.template.spec.containers[0].image}')
check '[ "$OUT" = "ghcr.io/crisisk/mr-dj-frontend:v1" ]' "the other cluster is untouched"
until_out 5 'default/mr-dj-frontend +ghcr.io/crisisk/mr-dj-frontend:v2 +2/2' as viewer rewindctl status --env production
# The same image again: succeeds without a second change.
expect_out 'succeeded' as operator rewindctl action set-image --env production --deployment mr-dj-frontend --image ghcr.io/crisisk/mr-dj-frontend:v2 --wait
OUT=$(it_kubectl prod get deployment mr-dj-frontend -o jsonpath='{.metadata.generation}')
check '[ "$OUT" = "$((gen_before + 1))" ]' "same image twice: no second rollout"

# --- a crashing image: failed, with the reason -----------------------------
expect_fail 1 'failed — deployment "mr-dj-frontend" exceeded its progress deadline; pod .*CrashLoopBackOff' \
	as operator rewindctl action set-image --env production --deployment mr-dj-frontend --image ghcr.io/crisisk/mr-dj-frontend:v3-crash --wait
until_out 5 'CrashLoopBackOff' as viewer rewindctl status --env production
# Bad targets: a clear failure from the agent, nothing changed.
expect_fail 1 'has no container "nope"' as operator rewindctl action set-image --env production --deployment mr-dj-frontend --container nope --image ghcr.io/crisisk/mr-dj-frontend:v9 --wait
expect_fail 1 'not found' as operator rewindctl action set-image --env production --deployment nope --image ghcr.io/crisisk/nope:v1 --wait
expect_fail 2 'image' as operator rewindctl action set-image --env production --deployment mr-dj-frontend --image 'Not An Image' --wait
expect_fail 4 'role viewer may not create actions' as viewer rewindctl action set-image --env production --deployment mr-dj-frontend --image ghcr.io/crisisk/mr-dj-frontend:v1

# --- configmap patch returns the previous values ---------------------------
expect_out 'succeeded' as operator rewindctl action patch-configmap --env staging --configmap mr-dj-frontend-config MAINTENANCE=on --wait
expect_out '"previous": .*MAINTENANCE.*off' as viewer rewindctl action list --cluster staging --limit 1 -o json
OUT=$(it_kubectl staging get configmap mr-dj-frontend-config -o jsonpath='{.data.MAINTENANCE}')
check '[ "$OUT" = "on" ]' "configmap patched"

# --- an agent killed mid-action: the other agent finishes it, once ---------
as operator rewindctl action set-image --cluster staging --namespace misterdj --deployment misterdj-backend --image ghcr.io/crisisk/misterdj-backend:v2-slow
id=$(printf '%s' "$OUT" | sed -n 's/^action\/\([0-9]*\) queued.*/\1/p')
check '[ -n "$id" ]' "slow action queued"
until_out 5 '"state": "leased"' as viewer rewindctl action show "$id" -o json
owner=$(printf '%s' "$OUT" | sed -n 's/.*"owner": "staging\/\([a-z0-9-]*\)".*/\1/p')
check '[ -n "$owner" ]' "action leased by a staging agent"
# This run's agent only: other checkouts may run the same test at the same time.
victim=$(pgrep -f -- "$IT_DIR/agent-staging-$owner.log" | head -1)
kill -9 "$victim"
until_out 30 '"state": "succeeded"' as viewer rewindctl action show "$id" -o json
check 'printf "%s" "$OUT" | grep -q "\"attempts\": 2"' "taken over: second attempt"
check '! printf "%s" "$OUT" | grep -q "\"owner\": \"staging/$owner\""' "finished by the other agent"
OUT=$(it_kubectl staging -n misterdj get deployment misterdj-backend -o jsonpath='{.spec.template.spec.containers[0].image} {.metadata.generation}')
check '[ "$OUT" = "ghcr.io/crisisk/misterdj-backend:v2-slow 2" ]' "applied exactly once (generation 2)"
expect_out 'action.succeeded +action/'"$id" as viewer rewindctl audit log --action action.
check '[ "$(printf "%s" "$OUT" | grep -c "action/$id\$\|action/$id ")" -ge 1 ]' "one finish in the audit log"

# --- one agent (staging's other one was killed above): several actions at once, -------
# --- but never two on one Deployment --------------------------------------------------
act() {
	as operator rewindctl action set-image --cluster staging --namespace "$1" --deployment "$2" --image "$3"
	sed -n 's/^action\/\([0-9]*\) queued.*/\1/p' <<<"$OUT"
}
states() { pgtest_psql -Atc "SELECT string_agg(id || ':' || state, ' ' ORDER BY id) FROM actions WHERE id IN ($a1, $a2, $a3)"; }
a1=$(act misterdj misterdj-backend ghcr.io/crisisk/misterdj-backend:v3-slow)
a2=$(act misterdj misterdj-backend ghcr.io/crisisk/misterdj-backend:v4-slow)
a3=$(act default mr-dj-frontend ghcr.io/crisisk/mr-dj-frontend:v7)
check '[ -n "$a1" ] && [ -n "$a2" ] && [ -n "$a3" ]' "three actions queued"
until_out 5 "^$a1:leased $a2:queued " run states
until_out 30 "^$a1:succeeded $a2:succeeded $a3:succeeded\$" run states
OUT=$(pgtest_psql -Atc "SELECT count(DISTINCT lease_owner) FROM actions WHERE id IN ($a1, $a2, $a3)")
check '[ "$OUT" = 1 ]' "one agent carried out all three"
fin1=$(grep -n "action.finished id=$a1 " "$IT_DIR/rewindd.log" | head -1 | cut -d: -f1)
lease2=$(grep -n "action.leased id=$a2 " "$IT_DIR/rewindd.log" | head -1 | cut -d: -f1)
check '[ -n "$fin1" ] && [ -n "$lease2" ] && [ "$lease2" -gt "$fin1" ]' "the second change of the backend was handed out after the first finished"
lease3=$(grep -n "action.leased id=$a3 " "$IT_DIR/rewindd.log" | head -1 | cut -d: -f1)
check '[ -n "$lease3" ] && [ "$lease3" -lt "$fin1" ]' "the frontend's change, queued last, ran while the backend's first one did"
OUT=$(it_kubectl staging -n misterdj get deployment misterdj-backend -o jsonpath='{.spec.template.spec.containers[0].image}')
check '[ "$OUT" = "ghcr.io/crisisk/misterdj-backend:v4-slow" ]' "the later change is the one in place"

# --- impersonation -----------------------------------------------------------
P=$IT_DIR/pki
report() { run rwraw --server "$IT_URL" --ca "$P/ca.crt" --cert "$P/$1.crt" --key "$P/$1.key" --hex "$($PB envelope 1 5 70 "$($PB report "$2" "$3")")"; }
report prod_k3s-server-1 prod k3s-agent-1
check 'printf "%s" "$OUT" | grep -q "^error EPERM certificate for prod/k3s-server-1 may not report for prod/k3s-agent-1"' "node-1 cannot speak for node-2"
report staging_k3s-agent-1 prod k3s-agent-1
check 'printf "%s" "$OUT" | grep -q "^error EPERM"' "a staging agent cannot speak for prod"
expect_fail 4 'role agent may not' as agent rewindctl action list
run "$IT_BIN/rewind-agent" --server "$IT_URL" --ca "$P/ca.crt" --cert "$P/prod_k3s-server-1.crt" --key "$P/prod_k3s-server-1.key" --kubeconfig "$IT_KC_prod" --node k3s-agent-1
check '[ "$RC" -eq 1 ] && printf "%s" "$OUT" | grep -q "certificate is for prod/k3s-server-1"' "agent refuses a --node its certificate does not name"
run "$IT_BIN/rewind-agent" --server "$IT_URL" --ca "$P/ca.crt" --cert "$P/operator-user.crt" --key "$P/operator-user.key" --kubeconfig "$IT_KC_prod"
check '[ "$RC" -eq 1 ] && printf "%s" "$OUT" | grep -q "not an agent certificate"' "agent refuses a console certificate"

# --- metrics -------------------------------------------------------------------
mport=$(free_port)
it_agent prod k3s-server-1 --metrics-listen "127.0.0.1:$mport" --report-interval-ms 1000
until_out 5 'rewind_agent_reports_total [1-9]' run curl -s "http://127.0.0.1:$mport/metrics"
expect_out 'rewind_agent_pods 2' run curl -s "http://127.0.0.1:$mport/metrics"
expect_out 'rewind_agent_connected 1' run curl -s "http://127.0.0.1:$mport/metrics"
expect_out 'rewind_server_agents_connected [1-9]' run curl -s "http://127.0.0.1:$RWD_MPORT/metrics"
expect_out 'rewind_server_actions_total\{outcome="succeeded"\} [1-9]' run curl -s "http://127.0.0.1:$RWD_MPORT/metrics"
expect_out 'rewind_server_actions_total\{outcome="failed"\} [1-9]' run curl -s "http://127.0.0.1:$RWD_MPORT/metrics"
expect_out 'rewind_server_reports_total [1-9]' run curl -s "http://127.0.0.1:$RWD_MPORT/metrics"
expect_out 'rewind_server_requests_total\{kind="action-wait"\}' run curl -s "http://127.0.0.1:$RWD_MPORT/metrics"
expect_out 'rewind_server_errors_total\{code="EPERM"\} [1-9]' run curl -s "http://127.0.0.1:$RWD_MPORT/metrics"

it_done
