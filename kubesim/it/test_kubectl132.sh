#!/usr/bin/env bash
# The runbook's kubectl commands with /usr/bin/kubectl: the gcloud dispatcher,
# which runs kubectl 1.32 because /version reports v1.32.x (Debian's
# kubernetes-client where there is no SDK).
source "$(dirname "$0")/lib.sh"
kubectl_bin=/usr/bin/kubectl
[ -x "$kubectl_bin" ] || kubectl_bin=$(command -v kubectl || true)
ks_kubectl_init "$kubectl_bin"
ks_start
ks_kubectl_suite
# The dispatcher must have picked a 1.32 client (kubesim logs User-Agents).
grep -q 'kubectl/v1.32' "$KS_DIR/err.log" || fail "no request from a kubectl 1.32 client"
pass "requests came from kubectl v1.32"
# 1.32 asks for aggregated discovery (v2) and must not have fallen back to
# the legacy per-group documents.
grep -q 'GET /apis -> 200' "$KS_DIR/err.log" || fail "no discovery request"
grep -q 'GET /apis/apps/v1 -> ' "$KS_DIR/err.log" && fail "kubectl fell back to legacy discovery"
pass "aggregated discovery used (no /apis/apps/v1 request)"
