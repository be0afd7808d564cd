# Shared helpers for the kubesim integration tests (sourced, not run).
# Starts the real rewind-kubesim on free loopback ports (tests/lib/kubesim.sh),
# with its kubeconfig and a kubectl discovery cache in a private temporary
# folder, and stops it (and anything else registered) on exit.
set -euo pipefail

KS_BIN=${1:?usage: $0 path/to/rewind-kubesim}
KS_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../../tests/lib/kubesim.sh
source "$KS_SRC/../tests/lib/kubesim.sh"
KS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kubesim-it.XXXXXX")
KS_PID=""
KS_EXTRA_PIDS=()
KS_FAILED=0

ks_cleanup() {
  local rc=$?
  for p in "${KS_EXTRA_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "$KS_PID" ]; then
    # The simulator must exit 0 on SIGTERM: under ASan/UBSan a leak or any
    # runtime error makes it exit non-zero, and that fails the test here.
    local ks_rc=0
    ksim_stop "$KS_PID" || ks_rc=$?
    if [ "$ks_rc" -ne 0 ] && [ "$rc" -eq 0 ]; then
      echo "FAIL: rewind-kubesim exited with status $ks_rc" >&2
      rc=1
    fi
  fi
  if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$KS_DIR/err.log" 2>/dev/null; then
    echo "FAIL: sanitizer report in rewind-kubesim's stderr" >&2
    rc=1
  fi
  if [ "$rc" -ne 0 ]; then
    ksim_log "$KS_DIR" 40 >&2
  fi
  rm -rf "$KS_DIR"
  exit "$rc"
}
trap ks_cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

# Value of a string or number field of the --info-out JSON.
ks_info() {
  ksim_info "$KS_DIR" "$1"
}

# ks_start [extra flags...]: starts the simulator with the test scenario.
ks_start() {
  local rc=0
  ksim_start "$KS_DIR" "$KS_BIN" --scenario "$KS_SRC/scenarios/test.json" --cluster-name it \
    --verbose "$@" || rc=$?
  KS_PID=$KSIM_PID
  [ "$rc" -eq 0 ] || fail "rewind-kubesim did not start"
  KS_API=$(ks_info server)
  KS_HEALTH=$(ks_info healthUrl)
  KS_KUBECONFIG="$KS_DIR/kubeconfig"
  mkdir -p "$KS_DIR/cache"
}

# The kubectl to test: first argument of ks_kubectl_init.
ks_kubectl_init() {
  KUBECTL=$1
  [ -x "$KUBECTL" ] || fail "kubectl not found at $KUBECTL (scripts/setup-deps.sh installs one)"
}

k() { "$KUBECTL" --kubeconfig "$KS_KUBECONFIG" --cache-dir "$KS_DIR/cache" "$@"; }

# Waits until a command succeeds (max ~10 s).
ks_eventually() {
  for _ in $(seq 1 100); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

# Runs the runbook's kubectl commands against the cluster and checks what
# they print. Used with the 1.32 and the 1.27 kubectl and over HTTPS.
ks_kubectl_suite() {
  local out err rc ns=(-n default) fe=mr-dj-frontend
  local img1=ghcr.io/crisisk/mr-dj-frontend:nextjs-standalone-202501151200

  out=$(k "${ns[@]}" get deploy,po)
  grep -Eq '^NAME +READY +UP-TO-DATE +AVAILABLE +AGE$' <<<"$out" || fail "get deploy,po header: $out"
  grep -Eq "^deployment.apps/$fe +2/2 +2 +2 +[0-9]+[smh]" <<<"$out" || fail "deployment row: $out"
  grep -Eq '^NAME +READY +STATUS +RESTARTS +AGE$' <<<"$out" || fail "pod header: $out"
  [ "$(grep -Ec "^pod/$fe-[a-z0-9]{10}-[a-z0-9]{5} +1/1 +Running +0 +[0-9]+[smh]" <<<"$out")" = 2 ] \
    || fail "two running pods expected: $out"
  pass "get deploy,po"

  out=$(k "${ns[@]}" get deployment $fe -o json)
  grep -q '"kind": "Deployment"' <<<"$out" || fail "-o json kind: $out"
  grep -q "\"image\": \"$img1\"" <<<"$out" || fail "-o json image"
  grep -q '"deployment.kubernetes.io/revision": "2"' <<<"$out" || fail "-o json revision"
  grep -q '"observedGeneration": 1' <<<"$out" || fail "-o json observedGeneration"
  grep -q '"uid": "' <<<"$out" || fail "-o json uid"
  pass "get deployment -o json"

  out=$(k "${ns[@]}" get pods -l app=$fe)
  echo "$out" | head -n1 | grep -Eq '^NAME +READY +STATUS +RESTARTS +AGE$' || fail "get pods -l header: $out"
  [ "$(grep -Ec "^$fe-[a-z0-9]{10}-[a-z0-9]{5} +1/1 +Running" <<<"$out")" = 2 ] || fail "get pods -l rows: $out"
  out=$(k -n misterdj get pods -l app=$fe 2>&1)
  grep -q 'No resources found in misterdj namespace.' <<<"$out" || fail "label filter across ns: $out"
  pass "get pods -l app=$fe"

  out=$(k "${ns[@]}" set image deployment/$fe $fe=ghcr.io/crisisk/mr-dj-frontend:v2)
  [ "$out" = "deployment.apps/$fe image updated" ] || fail "set image: $out"
  out=$(k "${ns[@]}" rollout status deployment/$fe --timeout=60s)
  grep -q "Waiting for deployment \"$fe\" rollout to finish: " <<<"$out" || fail "no Waiting lines: $out"
  echo "$out" | tail -n1 | grep -qx "deployment \"$fe\" successfully rolled out" || fail "rollout status: $out"
  [ "$(k "${ns[@]}" get deploy $fe -o jsonpath='{.spec.template.spec.containers[0].image}')" = \
    ghcr.io/crisisk/mr-dj-frontend:v2 ] || fail "image after set image"
  pass "set image + stepped rollout status"

  k "${ns[@]}" set image deployment/$fe $fe=ghcr.io/crisisk/mr-dj-frontend:v3-crash >/dev/null
  rc=0
  err=$(k "${ns[@]}" rollout status deployment/$fe --timeout=60s 2>&1 >/dev/null) || rc=$?
  [ "$rc" = 1 ] || fail "rollout status on a crashing image: rc=$rc"
  grep -q "error: deployment \"$fe\" exceeded its progress deadline" <<<"$err" || fail "deadline message: $err"
  k "${ns[@]}" get po | grep -Eq 'CrashLoopBackOff +[1-9]' || fail "no CrashLoopBackOff pod"
  out=$(k "${ns[@]}" get events --field-selector reason=BackOff)
  grep -Eq "Warning +BackOff +pod/$fe-[a-z0-9]+-[a-z0-9]{5} +Back-off restarting failed container $fe" <<<"$out" \
    || fail "no BackOff event: $out"
  out=$(k "${ns[@]}" describe deployment $fe)
  grep -Eq 'Progressing +False +ProgressDeadlineExceeded' <<<"$out" || fail "describe conditions: $out"
  grep -Eq 'ScalingReplicaSet +[0-9]+[sm] +deployment-controller +Scaled up replica set' <<<"$out" \
    || fail "describe events: $out"
  pass "rollout status fails (rc 1) on a crash-looping image's progress deadline; events and describe"

  out=$(k "${ns[@]}" rollout undo deployment/$fe)
  [ "$out" = "deployment.apps/$fe rolled back" ] || fail "rollout undo: $out"
  k "${ns[@]}" rollout status deployment/$fe --timeout=60s | tail -n1 | \
    grep -qx "deployment \"$fe\" successfully rolled out" || fail "status after undo"
  [ "$(k "${ns[@]}" get deploy $fe -o jsonpath='{.spec.template.spec.containers[0].image}')" = \
    ghcr.io/crisisk/mr-dj-frontend:v2 ] || fail "image after undo"
  ks_eventually bash -c "! $(printf '%q ' "$KUBECTL") --kubeconfig $KS_KUBECONFIG --cache-dir $KS_DIR/cache -n default get po | grep -q CrashLoopBackOff" \
    || fail "crashing pod not removed after undo"
  pass "rollout undo back to v2"

  out=$(k "${ns[@]}" logs deploy/$fe --tail=10 2>"$KS_DIR/logs.err")
  [ "$(echo "$out" | wc -l)" -le 10 ] || fail "--tail=10 gave more than 10 lines"
  grep -q "starting $fe version v2" <<<"$out" || fail "logs content: $out"
  grep -q "Found 2 pods, using pod/$fe-" "$KS_DIR/logs.err" || fail "logs stderr: $(cat "$KS_DIR/logs.err")"
  pass "logs deploy/$fe --tail=10"

  rc=0
  err=$(k "${ns[@]}" get deployment nope 2>&1) || rc=$?
  [ "$rc" = 1 ] || fail "get missing deployment rc=$rc"
  grep -qx 'Error from server (NotFound): deployments.apps "nope" not found' <<<"$err" || fail "NotFound: $err"
  pass "NotFound as metav1.Status"
}
