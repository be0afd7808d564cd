#!/usr/bin/env bash
# bench/agent_footprint.sh BIN_DIR [SECONDS] — RSS and CPU of one rewind-agent
# reporting 110 pods (k3s's default maximum per node) at a 5 s interval,
# probing every pod's health endpoint, against rewindd and a simulated
# cluster on loopback, side by side with `kubectl get pods -A -w` watching the
# same simulator over the same window (kubectl only watches: it neither
# reports nor probes).  Prints the figures, then the agent's memory broken
# down by mapping and its threads (bench/agent_smaps.sh); asserts nothing.
# AGENT_FLAGS="..." adds flags to the agent (e.g. --metrics-listen 127.0.0.1:0).
set -euo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
SECS=${2:-60}
SRC=$(cd "$(dirname "$0")/.." && pwd)
source "$SRC/tests/integration/lib.sh" "$BIN" "$BIN/../tests"
it_setup
it_rewindd_start --report-interval-ms 5000
it_cluster bench "$SRC/tests/agent/scenario-110pods.json"
as admin rewindctl env add bench --cluster bench
# Probe every pod: one service per deployment of the scenario.
for d in $(python3 -c 'import json,sys; print(" ".join(x["name"] for x in json.load(open(sys.argv[1]))["deployments"]))' "$SRC/tests/agent/scenario-110pods.json"); do
	ns=$(python3 -c 'import json,sys; print([x.get("namespace","default") for x in json.load(open(sys.argv[1]))["deployments"] if x["name"]==sys.argv[2]][0])' "$SRC/tests/agent/scenario-110pods.json" "$d")
	as admin rewindctl service add "$d" --namespace "$ns" --image "example.org/$d" --health-path /api/health --health-expect '{"status":"ok"}'
done
node=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nodes"][0]["name"])' "$SRC/tests/agent/scenario-110pods.json")
# shellcheck disable=SC2086
it_agent bench "$node" --report-interval-ms 5000 ${AGENT_FLAGS:-}
pid=$IT_AGENT_PID
# kubectl may be a dispatcher that runs the real client as a child (the
# cloud SDK's): count the whole process tree.
tree_pids() { local p=$1 c; echo "$p"; for c in $(pgrep -P "$p"); do tree_pids "$c"; done; }
tree_cpu() { local p u=0 s=0 a b; for p in $(tree_pids "$1"); do read -r a b < <(awk '{print $14, $15}' /proc/$p/stat); u=$((u + a)); s=$((s + b)); done; echo "$u $s"; }
tree_status() { local p t=0 v; for p in $(tree_pids "$2"); do v=$(awk -v k="$1:" '$1 == k {print $2}' /proc/$p/status); t=$((t + ${v:-0})); done; echo "$t"; }
kubectl --kubeconfig "$IT_KC_bench" --cache-dir "$IT_DIR/kcache-bench" get pods -A -w \
	>"$IT_DIR/kubectl-watch.out" 2>&1 &
kpid=$!
IT_PIDS+=("$kpid")
sleep 10   # start-up: list, first snapshot, first probes; kubectl's discovery and list
read -r u0 s0 < <(awk '{print $14, $15}' /proc/$pid/stat)
read -r ku0 ks0 < <(tree_cpu "$kpid")
t0=$(date +%s.%N)
# RSS sampled every 0.2 s over the window: a probe round's transient
# allocations show up in the maximum (VmHWM also counts start-up).
( while kill -0 "$pid" 2>/dev/null; do awk '/VmRSS/ {print $2}' /proc/$pid/status; sleep 0.2; done ) \
	>"$IT_DIR/agent-rss.samples" 2>/dev/null &
spid=$!
IT_PIDS+=("$spid")
sleep "$SECS"
kill "$spid" 2>/dev/null || true
read -r u1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat)
read -r ku1 ks1 < <(tree_cpu "$kpid")
t1=$(date +%s.%N)
hz=$(getconf CLK_TCK)
rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
krss=$(tree_status VmRSS "$kpid")
khwm=$(tree_status VmHWM "$kpid")
kcpu=$(python3 -c "print(f'{(($ku1+$ks1)-($ku0+$ks0))/$hz/($t1-$t0)*100:.2f}')")
as viewer rewindctl status --env bench -o json
pods=$(printf '%s' "$OUT" | grep -c '"deployment": ' || true)
probes=$(printf '%s' "$OUT" | grep -c '"subject": ' || true)
python3 - "$u0" "$s0" "$u1" "$s1" "$t0" "$t1" "$hz" "$rss" "$hwm" "$pods" "$probes" "$IT_DIR/agent-rss.samples" <<'PY'
import sys
u0,s0,u1,s1=map(int,sys.argv[1:5]); t0,t1=map(float,sys.argv[5:7]); hz=int(sys.argv[7])
rss,hwm,pods,probes=map(int,sys.argv[8:12])
samples=[int(x) for x in open(sys.argv[12]).read().split() if x.isdigit()] or [rss]
cpu=((u1+s1)-(u0+s0))/hz/(t1-t0)*100
print(f"agent footprint: pods reported={pods} probe subjects={probes} window={t1-t0:.1f}s")
print(f"  RSS {rss/1024:.1f} MiB (peak {hwm/1024:.1f} MiB), CPU {cpu:.2f}% of one core at a 5 s interval")
print(f"  RSS over the window ({len(samples)} samples): min {min(samples)/1024:.1f} MiB, "
      f"median {sorted(samples)[len(samples)//2]/1024:.1f} MiB, max {max(samples)/1024:.1f} MiB")
print(f"  target: RSS <= 6 MiB, CPU < 0.5% of a core")
PY
kname=$(readlink -f "$(command -v kubectl)")
echo "kubectl get pods -A -w ($kname, $(tree_pids "$kpid" | wc -l) processes), same simulator, same window:"
echo "  RSS $((krss / 1024)) MiB (peak $((khwm / 1024)) MiB), CPU ${kcpu}% of one core"
echo "  agent RSS / kubectl RSS = $(python3 -c "print(f'{$rss/$krss:.2f}')") ($(cut -d' ' -f1-3 /proc/loadavg | sed 's/^/load /'))"
echo
echo "agent memory by mapping and threads (bench/agent_smaps.sh $pid):"
bash "$SRC/bench/agent_smaps.sh" "$pid"
