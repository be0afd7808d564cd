#!/usr/bin/env bash
# Runs an agent integration binary against a private rewind-kubesim (HTTPS
# with a token, CA in the generated kubeconfig) and the python3 fake API
# server, all on free loopback ports; cleans everything up on exit.
# usage: run_agent_it.sh KUBESIM_BIN SCENARIO TEST_BIN [args...]
set -euo pipefail
KS_BIN=$1 SCENARIO=$2 TEST_BIN=$3
shift 3
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d "${TMPDIR:-/tmp}/agent-it.XXXXXX")
PIDS=()
cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ "$rc" -ne 0 ]; then echo "--- kubesim stderr (last 30 lines) ---" >&2; tail -n 30 "$DIR/ks.err" >&2 || true; fi
  rm -rf "$DIR"
  exit "$rc"
}
trap cleanup EXIT

"$KS_BIN" --listen 127.0.0.1:0 --tls-listen 127.0.0.1:0 --token agent-it-token-0123456789 \
  --cert-dir "$DIR/certs" --health-listen 127.0.0.1:0 --scenario "$SCENARIO" --cluster-name it \
  --kubeconfig-out "$DIR/kubeconfig" --info-out "$DIR/info.json" >"$DIR/ks.out" 2>"$DIR/ks.err" &
PIDS+=($!)
python3 "$HERE/fakeapi.py" --port-file "$DIR/fake.port" &
PIDS+=($!)
for _ in $(seq 1 100); do
  [ -s "$DIR/info.json" ] && [ -s "$DIR/fake.port" ] && break
  sleep 0.1
done
[ -s "$DIR/info.json" ] || { echo "rewind-kubesim did not start" >&2; cat "$DIR/ks.err" >&2; exit 1; }
[ -s "$DIR/fake.port" ] || { echo "fakeapi.py did not start" >&2; exit 1; }
info() { sed -n "s/^ *\"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$DIR/info.json" | head -n1; }
export AGENT_IT_KUBECONFIG="$DIR/kubeconfig"
export AGENT_IT_HEALTH; AGENT_IT_HEALTH=$(info healthUrl)
export AGENT_IT_FAKE="http://127.0.0.1:$(cat "$DIR/fake.port")"
export AGENT_IT_KS_PID=${PIDS[0]}
"$TEST_BIN" "$@"
