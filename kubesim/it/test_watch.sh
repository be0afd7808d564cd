#!/usr/bin/env bash
# Watches over real HTTP: JSON lines with kind/apiVersion, resourceVersion and
# field selectors honoured, MODIFIED events streamed as the controller rolls
# out, timeoutSeconds, clients that drop mid-watch cleaned up, and a clean
# SIGTERM shutdown with watches open.
source "$(dirname "$0")/lib.sh"
ks_start
DEPS="$KS_API/apis/apps/v1/namespaces/default/deployments"
D="$DEPS/mr-dj-frontend"
watches() { curl -sf "$KS_API/kubesim/stats" | sed -n 's/.*"watches":\([0-9]*\).*/\1/p'; }
watches_are() { [ "$(watches)" = "$1" ]; }

rv=$(curl -sf "$DEPS?fieldSelector=metadata.name%3Dmr-dj-frontend" | sed -n 's/^{"kind":"DeploymentList","apiVersion":"apps\/v1","metadata":{"resourceVersion":"\([0-9]*\)".*/\1/p')
[ -n "$rv" ] || fail "list has no metadata.resourceVersion"
curl -sN "$KS_API/apis/apps/v1/deployments?watch=true&resourceVersion=$rv&fieldSelector=metadata.name%3Dmr-dj-frontend" \
  >"$KS_DIR/w1" 2>/dev/null &
w1=$!
KS_EXTRA_PIDS+=("$w1")
ks_eventually watches_are 1 || fail "watch not registered"
curl -sf -X PATCH -H 'Content-Type: application/strategic-merge-patch+json' "$D" --data-binary \
  '{"spec":{"template":{"spec":{"containers":[{"name":"mr-dj-frontend","image":"ghcr.io/crisisk/mr-dj-frontend:w2"}]}}}}' >/dev/null
ks_eventually grep -q '"observedGeneration":2,"replicas":2,"updatedReplicas":2,"readyReplicas":2' "$KS_DIR/w1" || fail "rollout not seen in the watch: $(cat "$KS_DIR/w1")"
n=$(grep -c '^{"type":"MODIFIED","object":{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"mr-dj-frontend",.*}}$' "$KS_DIR/w1" || true)
[ "$n" -ge 4 ] || fail "expected several MODIFIED events with kind/apiVersion, got $n: $(head -c 600 "$KS_DIR/w1")"
grep -q 'misterdj-backend' "$KS_DIR/w1" && fail "field selector not honoured"
grep -q '"type":"ADDED"' "$KS_DIR/w1" && fail "events before resourceVersion $rv were replayed"
pass "watch streams $n MODIFIED events of a stepped rollout (JSON lines, kind+apiVersion, fieldSelector)"

kill "$w1"
ks_eventually watches_are 0 || fail "dropped watch not cleaned up (watches=$(watches))"
pass "client dropping mid-watch: server notices and frees the watch"

out=$(curl -sN --max-time 10 "$KS_API/api/v1/namespaces/misterdj/pods?watch=1&timeoutSeconds=1")
[ "$(grep -c '^{"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1",.*}}$' <<<"$out")" = 2 ] \
  || fail "watch without resourceVersion should send the current pods as ADDED: $out"
pass "watch without resourceVersion: current objects as ADDED; timeoutSeconds ends the stream"

out=$(curl -s -w '\n%{http_code}' "$KS_API/api/v1/namespaces/default/pods?watch=1&resourceVersion=abc")
grep -q '"reason":"BadRequest"' <<<"$out" && [ "$(tail -n1 <<<"$out")" = 400 ] || fail "bad resourceVersion: $out"
pass "malformed resourceVersion -> 400"

out=$(curl -sN --max-time 10 -H 'Accept: application/json;as=Table;v=v1;g=meta.k8s.io' \
  "$KS_API/api/v1/namespaces/misterdj/pods?watch=1&timeoutSeconds=1")
grep -q '"object":{"kind":"Table","apiVersion":"meta.k8s.io/v1"' <<<"$out" || fail "Table watch: $out"
pass "watch with Table Accept sends Table rows (kubectl get -w)"

# kubectl logs -f: the followed log carries new lines as they are written,
# and the stream ends when the pod goes away.
pod=$(curl -sf "$KS_API/api/v1/namespaces/misterdj/pods" | grep -o '"name":"misterdj-backend-[a-z0-9]*-[a-z0-9]*"' |
  head -n1 | cut -d'"' -f4)
curl -sN --max-time 20 "$KS_API/api/v1/namespaces/misterdj/pods/$pod/log?follow=true&tailLines=1" >"$KS_DIR/follow" &
fpid=$!
KS_EXTRA_PIDS+=("$fpid")
sleep 0.5
curl -s -o /dev/null "$KS_HEALTH/pods/misterdj/$pod/api/health"
ks_eventually grep -q 'INFO  GET /api/health 200$' "$KS_DIR/follow" || fail "followed log did not get the new line"
curl -sf -X DELETE "$KS_API/api/v1/namespaces/misterdj/pods/$pod?gracePeriodSeconds=0" >/dev/null
for _ in $(seq 1 30); do kill -0 "$fpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$fpid" 2>/dev/null && fail "follow stream did not end when the pod was deleted"
pass "logs follow=true streams new lines and ends with the pod"

# SIGTERM with two watches open: the process must exit promptly and cleanly.
for i in 1 2; do
  curl -sN "$KS_API/api/v1/pods?watch=1" >/dev/null 2>&1 &
  KS_EXTRA_PIDS+=("$!")
done
ks_eventually watches_are 2 || fail "watches not open"
kill -TERM "$KS_PID"
for _ in $(seq 1 50); do kill -0 "$KS_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$KS_PID" 2>/dev/null && fail "still running 5 s after SIGTERM"
rc=0
wait "$KS_PID" || rc=$?
KS_PID=""
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"
grep -q 'SIGTERM, shutting down' "$KS_DIR/err.log" || fail "no shutdown message"
pass "SIGTERM with open watches: clean exit (status 0)"
