#!/usr/bin/env bash
# Runs an agent integration binary against a private rewind-kubesim (HTTPS
# with a token, CA in the generated kubeconfig; tests/lib/kubesim.sh) and the
# python3 fake API server, all on free loopback ports; cleans everything up on exit.
# usage: run_agent_it.sh KUBESIM_BIN SCENARIO TEST_BIN [args...]
set -euo pipefail
KS_BIN=$1 SCENARIO=$2 TEST_BIN=$3
shift 3
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/kubesim.sh
source "$HERE/../lib/kubesim.sh"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/agent-it.XXXXXX")
KS="$DIR/kubesim"
PIDS=()
cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ "$rc" -ne 0 ]; then ksim_log "$KS" >&2; fi
  rm -rf "$DIR"
  exit "$rc"
}
trap cleanup EXIT

python3 "$HERE/fakeapi.py" --port-file "$DIR/fake.port" &
PIDS+=($!)
rc=0
ksim_start "$KS" "$KS_BIN" --tls-listen 127.0.0.1:0 --token agent-it-token-0123456789 \
  --scenario "$SCENARIO" --cluster-name it || rc=$?
PIDS+=("$KSIM_PID")
[ "$rc" -eq 0 ] || { echo "rewind-kubesim did not start" >&2; exit 1; }
for _ in $(seq 1 100); do
  [ -s "$DIR/fake.port" ] && break
  sleep 0.1
done
[ -s "$DIR/fake.port" ] || { echo "fakeapi.py did not start" >&2; exit 1; }
export AGENT_IT_KUBECONFIG="$KS/kubeconfig"
export AGENT_IT_HEALTH; AGENT_IT_HEALTH=$(ksim_info "$KS" healthUrl)
export AGENT_IT_FAKE="http://127.0.0.1:$(cat "$DIR/fake.port")"
export AGENT_IT_KS_PID=$KSIM_PID
"$TEST_BIN" "$@"
