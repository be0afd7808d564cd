#!/usr/bin/env bash
# HTTPS with a bearer token, the way an agent's service account talks to
# k3s: the certificate kubesim generated (mbedTLS) must verify against the CA
# in the kubeconfig, requests without the token get 401, and kubectl works
# through the certificate-authority-data kubeconfig.
source "$(dirname "$0")/lib.sh"
kubectl_bin=/usr/bin/kubectl
[ -x "$kubectl_bin" ] || kubectl_bin=$(command -v kubectl || true)
ks_kubectl_init "$kubectl_bin"
ks_start --tls-listen 127.0.0.1:0 --token it-token-0123456789 --cert-dir "$KS_DIR/certs"
KS_TLS=$(ks_info tlsServer)
CA=$(ks_info caFile)
[ -n "$KS_TLS" ] && [ -s "$CA" ] || fail "no TLS server or CA file in info.json"
grep -q 'certificate-authority-data: [A-Za-z0-9+/=]\{100,\}' "$KS_KUBECONFIG" || fail "kubeconfig lacks CA data"
grep -q 'token: "it-token-0123456789"' "$KS_KUBECONFIG" || fail "kubeconfig lacks the token"
grep -q "server: $KS_TLS" "$KS_KUBECONFIG" || fail "kubeconfig lacks the https server"
[ "$(stat -c %a "$KS_DIR/certs/server.key")" = 600 ] || fail "server.key is not 0600"
pass "kubeconfig with certificate-authority-data and token"

code=$(curl -s -o "$KS_DIR/noauth.json" -w '%{http_code}' --cacert "$CA" "$KS_TLS/api/v1/namespaces/default/pods")
[ "$code" = 401 ] || fail "no token: HTTP $code"
grep -q '"reason":"Unauthorized"' "$KS_DIR/noauth.json" || fail "401 body: $(cat "$KS_DIR/noauth.json")"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H 'Authorization: Bearer wrong-token-123' \
  "$KS_TLS/api/v1/namespaces/default/pods")
[ "$code" = 401 ] || fail "wrong token: HTTP $code"
code=$(curl -s -o "$KS_DIR/pods.json" -w '%{http_code}' --cacert "$CA" \
  -H 'Authorization: Bearer it-token-0123456789' "$KS_TLS/api/v1/namespaces/default/pods")
[ "$code" = 200 ] || fail "with token: HTTP $code"
grep -q '"kind":"PodList"' "$KS_DIR/pods.json" || fail "pod list over https"
# Verified by name too: the SAN covers localhost as well as 127.0.0.1.
tls_port=$(ks_info tlsPort)
curl -sf --cacert "$CA" -H 'Authorization: Bearer it-token-0123456789' \
  "https://localhost:$tls_port/version" | grep -q '"gitVersion":"v1.32.4+k3s1"' || fail "https://localhost"
pass "certificate verifies against the CA; 401 without a valid token"

# Plain HTTP on loopback needs no token.
curl -sf "$KS_API/api/v1/namespaces/default/pods" | grep -q '"kind":"PodList"' || fail "plain http"
pass "plain HTTP on loopback without auth"

[ "$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')" = "$KS_TLS" ] \
  || fail "kubectl would not use the https server"
ks_kubectl_suite
grep -q "kubesim: GET /apis/apps/v1/namespaces/default/deployments/mr-dj-frontend" "$KS_DIR/err.log" || fail "no requests logged"
pass "kubectl suite over HTTPS"
