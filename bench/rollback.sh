#!/usr/bin/env bash
# bench/rollback.sh BIN_DIR — rollback latency (issue 8, benchmark 1), Rewind
# against kubectl on the same simulated clusters.  Prints its figures and
# comparisons; asserts nothing.
#
#  1. one service: `rewindctl rollback --service S --to S:V` (rewindctl ->
#     rewindd -> coordinator -> set-image action -> rewind-agent long poll ->
#     agent PATCHes the Deployment) against `kubectl set image`, from just
#     before the command starts (date +%s%6N) to the PATCH arriving at
#     rewind-kubesim (its --access-log).  Rounds alternate Rewind and kubectl
#     so that the machine's load drifts over both alike.
#  2. 20 services over 4 clusters (4 simulators, one agent each, one
#     environment of 5 services each): one `rewindctl rollback --env E --all`
#     per environment, started concurrently, against the runbook's serial loop
#     (for each service: kubectl set image, then kubectl rollout status).
#
# Run by bench/run.sh (part "rollback", which has set up PostgreSQL), or on
# its own: bash bench/rollback.sh build/bin.
# Knobs: ROLLBACK_ROUNDS (20) rounds of part 1 per side; ROLLBACK_FLEET_ROUNDS
# (3) rounds of part 2 per side; ROLLBACK_STEP_MS (100) the simulators'
# controller step; ROLLBACK_REPORT_MS (300) the agents' report interval.
set -euo pipefail
if [ -z "${IT_DIR:-}" ]; then
	RB_BIN=$(cd "${1:-build/bin}" && pwd)
	RB_SRC=$(cd "$(dirname "$0")/.." && pwd)
	source "$RB_SRC/tests/integration/lib.sh" "$RB_BIN" "$RB_BIN/../tests"
	source "$RB_SRC/bench/lib.sh"
	it_setup
	pg_durable
else
	RB_BIN=$IT_BIN
	RB_SRC=$IT_SRC
fi
ROLLBACK_ROUNDS=${ROLLBACK_ROUNDS:-20}
ROLLBACK_FLEET_ROUNDS=${ROLLBACK_FLEET_ROUNDS:-3}
ROLLBACK_STEP_MS=${ROLLBACK_STEP_MS:-100}
ROLLBACK_REPORT_MS=${ROLLBACK_REPORT_MS:-300}
RB_REPO=ghcr.io/bench

# rb_scenario FILE PREFIX N: N Deployments PREFIX-1..N (2 replicas, image :v0) on one node.
rb_scenario() {
	python3 - "$@" <<'PY'
import json, sys
path, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
json.dump({"namespaces": ["default"],
           "nodes": [{"name": "k3s-server-1", "internalIP": "10.0.0.11", "roles": ["control-plane"]}],
           "deployments": [{"name": "%s-%d" % (prefix, i), "namespace": "default", "replicas": 2,
                            "image": "ghcr.io/bench/%s-%d:v0" % (prefix, i),
                            "progressDeadlineSeconds": 60} for i in range(1, n + 1)]},
          open(path, "w"), indent=1)
PY
}

# rb_env NAME NSERVICES: simulator NAME (access log, ROLLBACK_STEP_MS) with one agent,
# environment NAME on it, services NAME-1..N with releases v1 and v2, a verified backup.
rb_env() {
	local name=$1 n=$2 i svc
	rb_scenario "$IT_DIR/scenario-$name.json" "$name" "$n"
	it_cluster_start "$name" "$IT_DIR/scenario-$name.json" 1 \
		--step-ms "$ROLLBACK_STEP_MS" --access-log "$IT_DIR/cluster-$name/access.log"
	as admin rewindctl env add "$name" --cluster "$name"
	[ "$RC" -eq 0 ] || die "env add $name: $OUT"
	as admin rewindctl env set "$name" --observe-seconds 0 --verify-seconds 60 --action-timeout 60
	[ "$RC" -eq 0 ] || die "env set $name: $OUT"
	for i in $(seq 1 "$n"); do
		svc=$name-$i
		as admin rewindctl service add "$svc" --namespace default --image "$RB_REPO/$svc" \
			--health-path /api/health --health-expect '{"status":"ok"}'
		[ "$RC" -eq 0 ] || die "service add $svc: $OUT"
		for v in v1 v2; do
			as operator rewindctl release record --allow-unpinned --service "$svc" --image "$RB_REPO/$svc:$v"
			[ "$RC" -eq 0 ] || die "release record $svc:$v: $OUT"
		done
	done
	it_backup_verified "$name"
}

# rewindctl as the operator, output not captured (for background jobs).
rb_operator() {
	REWIND_CERT="$IT_DIR/pki/operator-user.crt" REWIND_KEY="$IT_DIR/pki/operator-user.key" "$RB_BIN/rewindctl" "$@"
}

# rb_releases NAME N VERSION: "NAME-1:VERSION,...,NAME-N:VERSION"
rb_releases() {
	local i out=
	for i in $(seq 1 "$2"); do out+="${out:+,}$1-$i:$3"; done
	echo "$out"
}

# rb_patches_after CLUSTER T0_US [NAME-PREFIX]: arrival times (µs) of the Deployment PATCHes at the
# simulator CLUSTER since T0_US, one a line, of Deployments named PREFIX* (default: all).
rb_patches_after() {
	awk -v t0="$2" -v pre="/apis/apps/v1/namespaces/default/deployments/${3:-}" \
		'$2 == "PATCH" && $1 >= t0 && index($3, pre) == 1 && $3 !~ /\/(status|scale)$/ {print $1}' \
		"$IT_DIR/cluster-$1/access.log"
}

# rb_wait_patches CLUSTER T0_US PREFIX COUNT: waits (10 s at most) until COUNT PATCHes are logged.
rb_wait_patches() {
	local i
	for i in $(seq 1 200); do
		[ "$(rb_patches_after "$1" "$2" "$3" | wc -l)" -ge "$4" ] && return 0
		sleep 0.05
	done
	die "no PATCH of $3 at $1 since $2"
}

# rb_stats NAME FILE: median, p90, min of the values (ms) in FILE, one a line.
rb_stats() {
	python3 - "$@" <<'PY'
import sys, statistics
name, path = sys.argv[1], sys.argv[2]
v = sorted(float(x) for x in open(path) if x.strip())
p90 = v[min(len(v) - 1, int(round(0.9 * (len(v) - 1))))]
print(f"{name:<44} n={len(v):<3} median {statistics.median(v):8.1f} ms   p90 {p90:8.1f} ms   "
      f"min {v[0]:8.1f} ms   max {v[-1]:8.1f} ms")
PY
}
rb_median() { python3 -c 'import sys,statistics; print(statistics.median(float(x) for x in open(sys.argv[1]) if x.strip()))' "$1"; }

echo "== rollback latency (issue 8, benchmark 1): simulators at --step-ms $ROLLBACK_STEP_MS, agents" \
	"reporting every $ROLLBACK_REPORT_MS ms; environments: --observe-seconds 0 (known-good at once," \
	"nothing observed), --verify-seconds 60, --action-timeout 60; a verified backup recorded (gate" \
	"passes); kubectl: $(readlink -f "$(command -v kubectl)") $(kubectl version --client 2>/dev/null | sed -n 's/^Client Version: //p'), warm discovery cache ($(bench_load))"
IT_PORT=$(free_port)
it_rewindd_start --report-interval-ms "$ROLLBACK_REPORT_MS"

# --- 1. one service -------------------------------------------------------------------
rb_env rb1 1
it_wait_reporting rb1 1
for v in v1 v2; do
	as operator rewindctl deploy --env rb1 --release "rb1-1:$v"
	[ "$RC" -eq 0 ] || die "deploy rb1-1:$v: $OUT"
done
KC="$IT_DIR/cluster-rb1/kubeconfig"
KCACHE="$IT_DIR/kcache-rb1"
kubectl --kubeconfig "$KC" --cache-dir "$KCACHE" -n default get deploy rb1-1 >/dev/null # warm the cache
: >"$IT_DIR/rb1-rewind.ms"
: >"$IT_DIR/rb1-rewind-done.ms"
: >"$IT_DIR/rb1-kubectl.ms"
: >"$IT_DIR/rb1-kubectl-exit.ms"
: >"$IT_DIR/rb1-rewind.t"
: >"$IT_DIR/rb1-kubectl.t"
for r in $(seq 1 "$ROLLBACK_ROUNDS"); do
	# Rewind: back to v1, then to v2, ... (each differs from what runs, so the agent PATCHes).
	v=v$((r % 2 == 1 ? 1 : 2))
	t0=$(date +%s%6N)
	as operator rewindctl rollback --env rb1 --service rb1-1 --to "rb1-1:$v" --reason "bench round $r"
	t1=$(date +%s%6N)
	[ "$RC" -eq 0 ] || die "rollback round $r: $OUT"
	rb_wait_patches rb1 "$t0" rb1-1 1
	tp=$(rb_patches_after rb1 "$t0" rb1-1 | head -1)
	echo "$(((tp - t0) / 1000)).$(((tp - t0) % 1000 / 100))" >>"$IT_DIR/rb1-rewind.ms"
	echo "$t0 $tp" >>"$IT_DIR/rb1-rewind.t"
	echo "$(((t1 - t0) / 1000))" >>"$IT_DIR/rb1-rewind-done.ms"
	# kubectl: an image Rewind never sets (k1/k2), so it always differs too.
	t0=$(date +%s%6N)
	kubectl --kubeconfig "$KC" --cache-dir "$KCACHE" -n default set image deployment/rb1-1 \
		"rb1-1=$RB_REPO/rb1-1:k$((r % 2 + 1))" >/dev/null
	t1=$(date +%s%6N)
	rb_wait_patches rb1 "$t0" rb1-1 1
	tp=$(rb_patches_after rb1 "$t0" rb1-1 | head -1)
	echo "$(((tp - t0) / 1000)).$(((tp - t0) % 1000 / 100))" >>"$IT_DIR/rb1-kubectl.ms"
	echo "$t0 $tp" >>"$IT_DIR/rb1-kubectl.t"
	echo "$(((t1 - t0) / 1000))" >>"$IT_DIR/rb1-kubectl-exit.ms"
	# Settle before the next round (not measured): kubectl's rollout, and the agent's report of it.
	kubectl --kubeconfig "$KC" --cache-dir "$KCACHE" -n default rollout status deployment/rb1-1 \
		--timeout 60s >/dev/null
	sleep "$(python3 -c "print(2 * $ROLLBACK_REPORT_MS / 1000)")"
done
echo "-- one service, command start -> PATCH of the Deployment at the simulator ($ROLLBACK_ROUNDS rounds each)"
rb_stats "rewindctl rollback --service S --to S:V" "$IT_DIR/rb1-rewind.ms"
rb_stats "kubectl set image (warm discovery cache)" "$IT_DIR/rb1-kubectl.ms"
python3 -c "r=$(rb_median "$IT_DIR/rb1-rewind.ms"); k=$(rb_median "$IT_DIR/rb1-kubectl.ms"); print(f'ratio Rewind median / kubectl median = {r/k:.2f} (target <= 0.5)')"
echo "-- for context, whole commands:"
rb_stats "rewindctl rollback, to operation finished" "$IT_DIR/rb1-rewind-done.ms"
rb_stats "kubectl set image, to its exit" "$IT_DIR/rb1-kubectl-exit.ms"
# Floors of the console: a process that connects nowhere, and one session + one request.
: >"$IT_DIR/rb1-help.ms"
: >"$IT_DIR/rb1-envlist.ms"
for r in $(seq 1 10); do
	t0=$(date +%s%6N)
	"$RB_BIN/rewindctl" env list --help >/dev/null 2>&1 || true
	t1=$(date +%s%6N)
	rb_operator env list >/dev/null
	t2=$(date +%s%6N)
	echo "$(((t1 - t0) / 1000))" >>"$IT_DIR/rb1-help.ms"
	echo "$(((t2 - t1) / 1000))" >>"$IT_DIR/rb1-envlist.ms"
done
rb_stats "rewindctl env list --help (no connection)" "$IT_DIR/rb1-help.ms"
rb_stats "rewindctl env list (TLS session + 1 request)" "$IT_DIR/rb1-envlist.ms"
echo "-- where the time goes (medians over the rounds; rewindd's and the agent's logs have ms resolution):"
python3 "$RB_SRC/bench/rollback_breakdown.py" "$IT_DIR/rewindd.log" rb1 "$IT_DIR/rb1-rewind.t" \
	"$IT_DIR/cluster-rb1/access.log" "$IT_DIR/rb1-kubectl.t"
bench_note "rollback: one service measured"

# --- 2. 20 services over 4 clusters -----------------------------------------------------
FLEET="f1 f2 f3 f4"
for e in $FLEET; do rb_env "$e" 5; done
for e in $FLEET; do it_wait_reporting "$e" 1; done
# v1 then v2 everywhere (environments concurrently; each deploy waits for known-good).
# (Jobs are waited for by pid: a bare `wait` would wait for rewindd and the simulators too.)
pids=()
for e in $FLEET; do
	(for v in v1 v2; do
		rb_operator deploy --env "$e" --release "$(rb_releases "$e" 5 "$v")" >"$IT_DIR/deploy-$e.out" 2>&1 ||
			exit 1
	done) &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || die "deploy to a fleet environment failed: $(tail -n 3 "$IT_DIR"/deploy-f?.out)"; done
for e in $FLEET; do
	kubectl --kubeconfig "$IT_DIR/cluster-$e/kubeconfig" --cache-dir "$IT_DIR/kcache-$e" -n default \
		get deploy >/dev/null # warm each cache
done
rb_last_patch() { # T0: the latest PATCH at any of the 4 simulators since T0 (all 20 awaited)
	local e
	for e in $FLEET; do rb_wait_patches "$e" "$1" "$e-" 5; done
	for e in $FLEET; do rb_patches_after "$e" "$1" "$e-"; done | sort -n | tail -1
}
: >"$IT_DIR/fleet.txt"
for r in $(seq 1 "$ROLLBACK_FLEET_ROUNDS"); do
	# Rewind: round 1 plain --all (to the newest known-good other than what runs: v1), then
	# alternately --to v2 and v1 for all five.
	for e in $FLEET; do
		to=()
		[ "$r" -eq 1 ] || to=(--to "$(rb_releases "$e" 5 "v$((r % 2 == 1 ? 1 : 2))")")
		printf '%s\n' "${to[@]}" >"$IT_DIR/fleet-$e.args"
	done
	pids=()
	t0=$(date +%s%6N)
	for e in $FLEET; do
		mapfile -t to <"$IT_DIR/fleet-$e.args"
		(rb_operator rollback --env "$e" --all ${to[0]:+"${to[@]}"} --reason "bench fleet round $r" \
			>"$IT_DIR/fleet-$e.out" 2>&1 || echo "rollback --env $e failed: $(tail -2 "$IT_DIR/fleet-$e.out")" >&2
		 date +%s%6N >"$IT_DIR/fleet-$e.end") &
		pids+=($!)
	done
	wait "${pids[@]}"
	tl=$(rb_last_patch "$t0")
	tdone=$(cat "$IT_DIR"/fleet-f?.end | sort -n | tail -1)
	sleep "$(python3 -c "print(2 * $ROLLBACK_REPORT_MS / 1000)")"
	# kubectl: the runbook's loop, one service after the other.
	t1=$(date +%s%6N)
	for e in $FLEET; do
		for i in 1 2 3 4 5; do
			kubectl --kubeconfig "$IT_DIR/cluster-$e/kubeconfig" --cache-dir "$IT_DIR/kcache-$e" -n default \
				set image "deployment/$e-$i" "$e-$i=$RB_REPO/$e-$i:k$((r % 2 + 1))" >/dev/null
			kubectl --kubeconfig "$IT_DIR/cluster-$e/kubeconfig" --cache-dir "$IT_DIR/kcache-$e" -n default \
				rollout status "deployment/$e-$i" --timeout 120s >/dev/null
		done
	done
	t2=$(date +%s%6N)
	kl=$(rb_last_patch "$t1")
	echo "$r $t0 $tl $tdone $t1 $kl $t2" >>"$IT_DIR/fleet.txt"
	sleep "$(python3 -c "print(2 * $ROLLBACK_REPORT_MS / 1000)")"
done
echo "-- 20 services over 4 clusters (4 simulators, one agent each, 5 services per environment), $ROLLBACK_FLEET_ROUNDS rounds each"
echo "   Rewind: 4 x 'rewindctl rollback --env E --all' started together; the 5 services of an environment"
echo "   share one deploy order, so each operation rolls them out together (the agent carries out up to"
echo "   --action-concurrency = 8 actions at once), follows every rollout to its end and verifies each"
echo "   service (pods ready on the new image as the agent reports them, health probes OK)."
echo "   kubectl: the runbook's loop, for each of the 20: 'kubectl set image', then 'kubectl rollout"
echo "   status' (rollout followed to its end; no health check)."
python3 - "$IT_DIR/fleet.txt" <<'PY'
import sys, statistics
rows = [list(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
print(f"{'round':>5} {'Rewind ->last PATCH':>20} {'Rewind ->all done':>18} {'kubectl ->last PATCH':>21} {'kubectl loop':>13}")
rl, rd, kl, kd = [], [], [], []
for r, t0, tl, tdone, t1, kpl, t2 in rows:
    rl.append((tl - t0) / 1e6); rd.append((tdone - t0) / 1e6); kl.append((kpl - t1) / 1e6); kd.append((t2 - t1) / 1e6)
    print(f"{r:>5} {rl[-1]:>19.2f}s {rd[-1]:>17.2f}s {kl[-1]:>20.2f}s {kd[-1]:>12.2f}s")
m = statistics.median
print(f"{'median':>5} {m(rl):>19.2f}s {m(rd):>17.2f}s {m(kl):>20.2f}s {m(kd):>12.2f}s")
print(f"speedup to the last PATCH: kubectl {m(kl):.2f} s / Rewind {m(rl):.2f} s = {m(kl)/m(rl):.1f}x (target >= 10x)")
print(f"speedup to the end (kubectl loop done / every Rewind operation finished): {m(kd):.2f} s / {m(rd):.2f} s = {m(kd)/m(rd):.1f}x")
PY
python3 "$RB_SRC/bench/rollback_breakdown.py" --fleet "$IT_DIR/rewindd.log" "$(head -1 "$IT_DIR/fleet.txt" | cut -d' ' -f2)"
echo "-- operation start and finish per environment (rewindd --runners, default 4), last round:"
grep -E 'operation\.(running|succeeded|failed) .*kind=rollback' "$IT_DIR/rewindd.log" | tail -8 | cut -c1-140
bench_note "rollback: 20 services measured"
