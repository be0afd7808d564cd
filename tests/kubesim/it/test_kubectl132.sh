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
