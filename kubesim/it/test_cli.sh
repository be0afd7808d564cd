#!/usr/bin/env bash
# Command line and several clusters: bad flags and scenarios are refused with
# a message, plain HTTP only on loopback, a busy port is reported, and two
# clusters (production, staging) run side by side with separate state.
source "$(dirname "$0")/lib.sh"

expect_refusal() { # expected-status message-fragment args...
  local want=$1 msg=$2 rc=0
  shift 2
  "$KS_BIN" "$@" >"$KS_DIR/cli.out" 2>"$KS_DIR/cli.err" || rc=$?
  [ "$rc" = "$want" ] || fail "$* -> exit $rc, wanted $want: $(cat "$KS_DIR/cli.err")"
  grep -q -- "$msg" "$KS_DIR/cli.err" || fail "$* -> message: $(cat "$KS_DIR/cli.err")"
}

"$KS_BIN" --help | grep -q -- '--tls-listen' || fail "--help"
expect_refusal 1 'must be a loopback address' --listen 0.0.0.0:0
expect_refusal 1 'No such file' --listen 127.0.0.1:0 --scenario "$KS_DIR/missing.json"
echo '{"deployments":[{"name":"x","image":"i","replicaz":2}]}' >"$KS_DIR/typo.json"
expect_refusal 1 'deployments:' --listen 127.0.0.1:0 --scenario "$KS_DIR/typo.json"
expect_refusal 2 'token must be' --listen 127.0.0.1:0 --tls-listen 127.0.0.1:0 --token 'bad token'
expect_refusal 2 'bad value' --listen 127.0.0.1:99999
expect_refusal 2 'cluster-name' --cluster-name 'Prod!'
expect_refusal 1 'cannot open --access-log' --listen 127.0.0.1:0 --health-listen 127.0.0.1:0 \
  --access-log "$KS_DIR/no/such/dir/access.log"
pass "bad flags and scenarios are refused with a message"

ks_start --cluster-name production --access-log "$KS_DIR/access.log"
PROD=$KS_API
port=$(ks_info port)
expect_refusal 1 'cannot listen' --listen "127.0.0.1:$port" --health-listen 127.0.0.1:0
pass "a busy port is reported"

# A second cluster, staging, from the default (built-in) scenario.
ksim_start "$KS_DIR/staging" "$KS_BIN" --cluster-name staging || true
KS_EXTRA_PIDS+=("$KSIM_PID")
STAGING=$(ksim_info "$KS_DIR/staging" server 2>/dev/null || true)
[ -n "$STAGING" ] && [ "$STAGING" != "$PROD" ] || fail "staging did not start"
grep -q 'current-context: staging-http' "$KS_DIR/staging/kubeconfig" || fail "staging kubeconfig"
grep -q 'scenario (built-in default)' "$KS_DIR/staging/out.log" || fail "staging banner: $(cat "$KS_DIR/staging/out.log")"
grep -q '^ready$' "$KS_DIR/staging/out.log" || fail "no ready line"
curl -sf -X PATCH -H 'Content-Type: application/merge-patch+json' \
  "$PROD/apis/apps/v1/namespaces/default/deployments/mr-dj-frontend" --data-binary '{"metadata":{"labels":{"env":"prod"}}}' >/dev/null
curl -sf "$PROD/apis/apps/v1/namespaces/default/deployments/mr-dj-frontend" | grep -q '"env":"prod"' || fail "prod patch"
# --access-log: ARRIVED_US METHOD PATH STATUS USER-AGENT, one line per request.
now_us=$(date +%s%6N)
line=$(grep ' PATCH /apis/apps/v1/namespaces/default/deployments/mr-dj-frontend 200 curl/' "$KS_DIR/access.log") ||
  fail "access log: no PATCH line: $(cat "$KS_DIR/access.log")"
t=${line%% *}
[ "$t" -le "$now_us" ] && [ "$t" -gt $((now_us - 60000000)) ] || fail "access log time $t (now $now_us)"
grep -q ' GET /apis/apps/v1/namespaces/default/deployments/mr-dj-frontend 200 ' "$KS_DIR/access.log" ||
  fail "access log: no GET line"
pass "--access-log: timestamped line per request"
curl -sf "$STAGING/apis/apps/v1/namespaces/default/deployments/mr-dj-frontend" | grep -q '"env":"prod"' &&
  fail "staging shares state with production"
curl -sf "$STAGING/apis/apps/v1/namespaces/misterdj/deployments/misterdj-backend" | grep -q '"replicas":2' ||
  fail "staging lacks the runbook's backend"
pass "two clusters side by side, separate state"

# Discovery negotiation over the wire: legacy for plain JSON, aggregated
# (with its exact Content-Type) when asked for.
curl -sf -H 'Accept: application/json, */*' "$PROD/api" | grep -q '"kind":"APIVersions"' || fail "legacy /api"
curl -sf -H 'Accept: application/json' "$PROD/apis/apps/v1" | grep -q '"shortNames":\["deploy"\]' || fail "legacy /apis/apps/v1"
ct=$(curl -sf -o /dev/null -w '%{content_type}' \
  -H 'Accept: application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json' "$PROD/apis")
[ "$ct" = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList' ] || fail "aggregated content type: $ct"
pass "discovery: legacy or aggregated by Accept"
