#!/usr/bin/env bash
# Bad input against the API with curl: every mistake gets a Kubernetes-style
# metav1.Status with the right code, and nothing it touched changes.
source "$(dirname "$0")/lib.sh"
ks_start
D="$KS_API/apis/apps/v1/namespaces/default/deployments/mr-dj-frontend"
SMP='Content-Type: application/strategic-merge-patch+json'

# req METHOD URL [curl args...] -> sets CODE and BODY
req() {
  local m=$1 u=$2; shift 2
  CODE=$(curl -s -o "$KS_DIR/body" -D "$KS_DIR/headers" -w '%{http_code}' -X "$m" "$@" "$u")
  BODY=$(cat "$KS_DIR/body")
}
expect() { # CODE REASON what
  [ "$CODE" = "$1" ] || fail "$3: HTTP $CODE, wanted $1: $BODY"
  grep -q '"kind":"Status"' <<<"$BODY" || fail "$3: not a Status: $BODY"
  grep -q "\"reason\":\"$2\"" <<<"$BODY" || fail "$3: reason: $BODY"
  grep -q "\"code\":$1" <<<"$BODY" || fail "$3: code field: $BODY"
}
rv() { curl -sf "$D" | sed -n 's/.*"resourceVersion":"\([0-9]*\)".*/\1/p' | head -n1; }
gen() { curl -sf "$D" | sed -n 's/.*"generation":\([0-9]*\).*/\1/p' | head -n1; }

before=$(curl -sf "$D")
rv0=$(rv)

req PATCH "$D" -H "$SMP" --data-binary '{"spec": {"template": '
expect 400 BadRequest "malformed JSON patch"
grep -q 'error decoding patch' <<<"$BODY" || fail "malformed message: $BODY"
pass "malformed JSON -> 400 BadRequest"

req PATCH "$D?fieldValidation=Strict" -H "$SMP" --data-binary '{"spec":{"replicaz":3}}'
expect 400 BadRequest "unknown field, Strict"
grep -q 'strict decoding error: unknown field \\"spec.replicaz\\"' <<<"$BODY" || fail "strict message: $BODY"
pass "unknown field with fieldValidation=Strict -> 400"

req PATCH "$D" -H "$SMP" --data-binary '{"metadata":{"labels":{"team":"web"}},"spec":{"replicaz":3}}'
[ "$CODE" = 200 ] || fail "unknown field, default Warn: HTTP $CODE: $BODY"
grep -qi '^Warning: 299 - "unknown field \\"spec.replicaz\\""' "$KS_DIR/headers" || fail "no Warning header: $(cat "$KS_DIR/headers")"
grep -q 'replicaz' <<<"$BODY" && fail "unknown field was stored"
grep -q '"team":"web"' <<<"$BODY" || fail "the known part of the patch was not applied"
pass "unknown field by default (Warn) -> dropped with a Warning header, rest applied"
rv1=$(rv)
gen1=$(gen)

req PATCH "$D" -H "$SMP" --data-binary '{"spec":{"template":{"spec":{"containers":[{"name":"nope"}]}}}}'
expect 422 Invalid "SMP for a container that does not exist"
grep -q 'spec.template.spec.containers\[1\].image: Required value' <<<"$BODY" || fail "422 message: $BODY"
grep -q '"causes":\[{"reason":"FieldValueRequired"' <<<"$BODY" || fail "422 causes: $BODY"
[ "$(rv)" = "$rv1" ] || fail "rejected patch changed the object"
pass "SMP adding a container without image -> 422 Invalid, object untouched"

req PATCH "$D" -H 'Content-Type: application/json-patch+json' \
  --data-binary '[{"op":"test","path":"/spec/replicas","value":7},{"op":"replace","path":"/spec/replicas","value":5}]'
expect 422 Invalid "failing JSON patch test"
req PATCH "$D" -H 'Content-Type: application/json-patch+json' \
  --data-binary '[{"op":"replace","path":"/spec/replicas","value":5},{"op":"replace","path":"/spec/nothere/x","value":1}]'
expect 422 Invalid "JSON patch on a missing path"
[ "$(curl -sf "$D" | grep -o '"replicas":2' | head -n1)" = '"replicas":2' ] || fail "half-applied JSON patch"
req PATCH "$D" -H 'Content-Type: application/json-patch+json' --data-binary '{"op":"add"}'
expect 400 BadRequest "JSON patch that is not a list"
req PATCH "$D" -H 'Content-Type: application/merge-patch+json' --data-binary '{"spec":{"replicas":"two"}}'
expect 400 BadRequest "wrong JSON type"
req PATCH "$D" -H 'Content-Type: application/merge-patch+json' --data-binary '{"spec":{"replicas":-1}}'
expect 422 Invalid "negative replicas"
req PATCH "$D" -H 'Content-Type: application/merge-patch+json' --data-binary '{"spec":{"selector":{"matchLabels":{"app":"other"}}}}'
expect 422 Invalid "selector change"
[ "$(rv)" = "$rv1" ] && [ "$(gen)" = "$gen1" ] || fail "a rejected patch changed the object"
pass "JSON patch failures and invalid results are atomic (422/400, nothing applied)"

req PATCH "$D" -H 'Content-Type: text/plain' --data-binary 'hello'
expect 415 UnsupportedMediaType "unknown patch content type"
req PATCH "$KS_API/apis/apps/v1/namespaces/default/deployments/nope" -H "$SMP" --data-binary '{}'
expect 404 NotFound "patch a missing deployment"
grep -q 'deployments.apps \\"nope\\" not found' <<<"$BODY" || fail "404 message: $BODY"
req GET "$KS_API/api/v1/namespaces/default/widgets"
expect 404 NotFound "unknown resource"
req GET "$KS_API/apis/batch/v1/namespaces/default/jobs"
expect 404 NotFound "unknown group"
req DELETE "$KS_API/api/v1/namespaces/default/pods"
expect 405 MethodNotAllowed "delete a collection"
req GET "$KS_API/api/v1/namespaces/default/pods?labelSelector=app%20in%20(x"
expect 400 BadRequest "bad label selector"
req GET "$KS_API/api/v1/namespaces/default/pods?fieldSelector=spec.color%3Dred"
expect 400 BadRequest "unsupported field selector"
grep -q 'field label not supported: spec.color' <<<"$BODY" || fail "field selector message: $BODY"
pass "415, 404 (object, resource, group), 405, bad selectors -> 400"

req PUT "$D" -H 'Content-Type: application/json' \
  --data-binary "$(curl -sf "$D" | sed 's/"resourceVersion":"[0-9]*"/"resourceVersion":"1"/')"
expect 409 Conflict "stale resourceVersion on update"
pass "stale resourceVersion -> 409 Conflict"

head -c 2097152 /dev/zero | tr '\0' 'a' >"$KS_DIR/huge"
req PATCH "$D" -H "$SMP" --data-binary @"$KS_DIR/huge"
expect 413 RequestEntityTooLarge "2 MiB body"
req POST "$KS_API/api/v1/namespaces/default/configmaps" -H 'Content-Type: application/json' \
  -H 'Transfer-Encoding: chunked' --data-binary @"$KS_DIR/huge"
expect 413 RequestEntityTooLarge "2 MiB chunked body"
pass "bodies over 1 MiB -> 413"

req POST "$KS_API/api/v1/namespaces/default/configmaps" -H 'Content-Type: application/json' \
  --data-binary '{"metadata":{"name":"cm1"},"data":{"k":"v"}}'
[ "$CODE" = 201 ] || fail "create configmap: $CODE $BODY"
req POST "$KS_API/api/v1/namespaces/default/configmaps" -H 'Content-Type: application/json' \
  --data-binary '{"metadata":{"name":"cm1"},"data":{"k":"v"}}'
expect 409 AlreadyExists "create twice"
req POST "$KS_API/api/v1/namespaces/nowhere/configmaps" -H 'Content-Type: application/json' \
  --data-binary '{"metadata":{"name":"cm1"}}'
expect 404 NotFound "create in a missing namespace"
pass "create: 201, 409 AlreadyExists, 404 for a missing namespace"

# The server survived all of it, and the deployment is as the Warn patch left it.
after=$(curl -sf "$D")
grep -q '"team":"web"' <<<"$after" || fail "state lost"
[ "$(rv)" = "$rv1" ] || fail "deployment changed by rejected requests"
kill -0 "$KS_PID" || fail "server died"
pass "server alive, state consistent (rv $rv0 -> $rv1 only through the accepted patch)"
