#!/usr/bin/env bash
# The runbook's kubectl commands with the SDK's bundled kubectl 1.27, run
# directly (it asks for v2beta1 aggregated discovery, not v2).
source "$(dirname "$0")/lib.sh"
kubectl_bin=/usr/lib/google-cloud-sdk/bin/kubectl.1.27
if [ ! -x "$kubectl_bin" ]; then
  echo "SKIP: $kubectl_bin is not installed (the Google Cloud SDK bundles it)"
  exit 77
fi
ks_kubectl_init "$kubectl_bin"
client=$("$kubectl_bin" version --client 2>/dev/null || true)
case "$client" in *v1.27.*) ;; *) fail "not a 1.27 client: $client" ;; esac
ks_start
ks_kubectl_suite
grep -q 'kubectl.1.27/v1.27\|kubectl/v1.27' "$KS_DIR/err.log" || fail "no request from a kubectl 1.27 client"
grep -q 'GET /api -> 200' "$KS_DIR/err.log" || fail "1.27 did not fetch discovery"
pass "requests came from kubectl v1.27"
grep -q 'GET /apis/apps/v1 -> ' "$KS_DIR/err.log" && fail "1.27 fell back to legacy discovery"
pass "aggregated discovery (v2beta1) used by 1.27"
