#!/usr/bin/env bash
# The simulated services' health endpoints, over real HTTP: 200 with the
# expected JSON while a healthy image runs, 503 or wrong JSON for unhealthy
# images, and a failed connection when no pod is ready.
source "$(dirname "$0")/lib.sh"
ks_start
D="$KS_API/apis/apps/v1/namespaces/default/deployments/mr-dj-frontend"
SVC="$KS_HEALTH/services/default/mr-dj-frontend/api/health"

set_image() {
  curl -sf -X PATCH -H 'Content-Type: application/strategic-merge-patch+json' "$D" --data-binary \
    "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"mr-dj-frontend\",\"image\":\"$1\"}]}}}}" >/dev/null
}
# True once the controller has observed the latest spec and finished it.
rolled_out() {
  local d g og
  d=$(curl -sf "$D")
  g=$(sed -n 's/.*"generation":\([0-9]*\).*/\1/p' <<<"$d")
  og=$(sed -n 's/.*"observedGeneration":\([0-9]*\).*/\1/p' <<<"$d")
  [ -n "$g" ] && [ "$g" = "$og" ] &&
    grep -q '"status":{"observedGeneration":[0-9]*,"replicas":2,"updatedReplicas":2,"readyReplicas":2' <<<"$d" &&
    grep -q '"reason":"NewReplicaSetAvailable"' <<<"$d"
}

body=$(curl -sf "$SVC")
grep -q '"status":"ok","service":"mr-dj-frontend","version":"nextjs-standalone-202501151200"' <<<"$body" \
  || fail "healthy service body: $body"
code=$(curl -s -o /dev/null -w '%{http_code}' "$SVC")
[ "$code" = 200 ] || fail "healthy service: HTTP $code"
pass "service health: 200 {status ok, service, version=tag}"

pod=$(curl -sf "$KS_API/api/v1/namespaces/default/pods?labelSelector=app%3Dmr-dj-frontend" |
  grep -o '"name":"mr-dj-frontend-[a-z0-9]*-[a-z0-9]*"' | head -n1 | cut -d'"' -f4)
[ -n "$pod" ] || fail "no pod found"
body=$(curl -sf "$KS_HEALTH/pods/default/$pod/api/health")
grep -q "\"pod\":\"$pod\"" <<<"$body" || fail "pod health body: $body"
code=$(curl -s -o /dev/null -w '%{http_code}' "$KS_HEALTH/pods/default/$pod/wrong")
[ "$code" = 404 ] || fail "wrong path on a pod: HTTP $code"
curl -s "$KS_HEALTH/" | grep -q "/pods/default/$pod/api/health" || fail "index lacks the pod URL"
grep -q 'INFO  GET /api/health 200$' <<<"$(curl -sf "$KS_API/api/v1/namespaces/default/pods/$pod/log")" \
  || fail "the probe is not in the pod's log"
pass "per-pod health /pods/<ns>/<pod>/api/health, index at /"

set_image ghcr.io/crisisk/mr-dj-frontend:v4-unhealthy
ks_eventually rolled_out || fail "rollout to unhealthy image did not finish"
code=$(curl -s -o "$KS_DIR/b" -w '%{http_code}' "$SVC")
[ "$code" = 503 ] || fail "unhealthy image: HTTP $code"
grep -q '"status":"error","service":"mr-dj-frontend","version":"v4-unhealthy"' "$KS_DIR/b" || fail "503 body: $(cat "$KS_DIR/b")"
pass "unhealthy image: 503 with an error JSON (pods still Running/ready)"

set_image ghcr.io/crisisk/mr-dj-frontend:v5-badjson
ks_eventually rolled_out || fail "rollout to badjson image did not finish"
code=$(curl -s -o "$KS_DIR/b" -w '%{http_code}' "$SVC")
[ "$code" = 200 ] || fail "badjson image: HTTP $code"
[ "$(cat "$KS_DIR/b")" = '<html>oops</html>' ] || fail "badjson body: $(cat "$KS_DIR/b")"
pass "unhealthy image with healthBody: 200 with wrong (non-JSON) content"

set_image ghcr.io/crisisk/mr-dj-frontend:v6
ks_eventually rolled_out || fail "rollout to v6 did not finish"
grep -q '"version":"v6"' <<<"$(curl -sf "$SVC")" || fail "v6 not served"
curl -sf -X PATCH -H 'Content-Type: application/merge-patch+json' "$D" --data-binary '{"spec":{"replicas":0}}' >/dev/null
ks_eventually bash -c "! curl -sf '$KS_API/api/v1/namespaces/default/pods' | grep -q mr-dj-frontend" \
  || fail "pods not removed after scaling to 0"
rc=0
code=$(curl -s -o /dev/null -w '%{http_code}' "$SVC") || rc=$?
[ "$rc" != 0 ] && [ "$code" = 000 ] || fail "no ready pods: expected a failed connection, got rc=$rc HTTP $code"
pass "no ready pods: connection fails (curl rc $rc, no HTTP status)"

code=$(curl -s -o /dev/null -w '%{http_code}' "$KS_HEALTH/services/default/nope/api/health")
[ "$code" = 404 ] || fail "unknown service: HTTP $code"
pass "unknown service: 404"
