#!/usr/bin/env bash
# make demo — the runbook end to end on an embedded default: a private PostgreSQL,
# a production and a staging simulated k3s cluster (rewind-kubesim over HTTPS with a
# token) with two agents each, a local registry so releases are digest-pinned, and the
# runbook's two services.  Capture v1 (digests, config archive, verified backup),
# deploy to staging, promote to production, release a bad v2, detect, decide, roll
# back both services to v1, verify, ship hotfix v3 through staging to production, and
# print the incident report and the audit trail.
#
# Usage: scripts/demo.sh BIN_DIR      (make demo passes build/bin)
# Cleans up everything it started, also on failure or Ctrl-C.
set -euo pipefail

BIN=$(cd "${1:-build/bin}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/lib/pgtest.sh
source "$SRC/tests/lib/pgtest.sh"
# shellcheck source=../tests/lib/kubesim.sh
source "$SRC/tests/lib/kubesim.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rewind-demo.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
	pgtest_stop >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT
START=$(date +%s)

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
note() { printf '   %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
fails() { printf '$ %s\n' "$*"; set +e; "$@"; echo "(exit code $?)"; set -e; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
CTL="$BIN/rewindctl"

say "A private PostgreSQL for the release history, and the fleet PKI"
pgtest_start >/dev/null
note "PostgreSQL on 127.0.0.1:$PGTEST_PORT (data in a temporary directory)"
cd "$WORK"
run "$CTL" pki init --dir pki
run "$CTL" pki issue --dir pki --role admin --name ops-admin
run "$CTL" pki issue --dir pki --role operator --name incident-coordinator
run "$CTL" pki issue --dir pki --role viewer --name auditor

say "rewindd: mutual TLS, migrations at start, an artifact store, the coordinator"
PORT=$(port)
URL="tls+tcp://127.0.0.1:$PORT"
"$BIN/rewindd" --db "$PGTEST_URL" --pki-dir pki --listen "$URL" --artifact-dir "$WORK/store" \
	--pg-bin "$PGTEST_BIN" --report-interval-ms 400 --log-file "$WORK/rewindd.log" &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q ' listening ' rewindd.log 2>/dev/null && break; sleep 0.05; done
grep -o 'schema.ready.*' rewindd.log
cat > admin.conf <<CONF
server = $URL
ca = pki/ca.crt
cert = pki/ops-admin.crt
key = pki/ops-admin.key
CONF
sed 's/ops-admin/incident-coordinator/' admin.conf > operator.conf
sed 's/ops-admin/auditor/' admin.conf > viewer.conf

say "A local OCI registry: v1, v2 and the hotfix v3 of both services are pushed to it"
REG=$(port)
mkdir -p registry
printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s/registry\nhttp:\n  addr: 127.0.0.1:%s\n' "$WORK" "$REG" > registry.yml
docker-registry serve registry.yml > registry.log 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$REG") 2>/dev/null && break; sleep 0.05; done
FE_REPO=127.0.0.1:$REG/crisisk/mr-dj-frontend
BE_REPO=127.0.0.1:$REG/crisisk/misterdj-backend
push() { python3 "$SRC/tests/integration/registry_tool.py" push "http://127.0.0.1:$REG" "$1" "$2" "$3"; }
for v in v1 v2 v3; do
	push crisisk/mr-dj-frontend "nextjs-standalone-$v" "fe-$v" >/dev/null
	push crisisk/misterdj-backend "backend-$v" "be-$v" >/dev/null
done
FE_V2_DIGEST=$(python3 "$SRC/tests/integration/registry_tool.py" head "http://127.0.0.1:$REG" crisisk/mr-dj-frontend nextjs-standalone-v2)
note "pushed; frontend v2 is $FE_V2_DIGEST"

say "Two simulated k3s clusters (HTTPS + token) with two agents each"
note "In production, frontend v2 answers 503 on /api/health: it needs a setting only staging has."
python3 - "$SRC/kubesim/scenarios/test.json" "$FE_V2_DIGEST" > prod-scenario.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["stepMs"] = 150
for x in d["deployments"]:
    x["progressDeadlineSeconds"] = 10
d["images"].insert(0, {"pattern": "*@" + sys.argv[2], "behaviour": "unhealthy", "healthStatus": 503})
d["configMaps"] = [{"name": "mr-dj-frontend-config", "namespace": "default", "data": {"BOOKING_ENABLED": "true"}}]
print(json.dumps(d))
PY
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["stepMs"]=150; print(json.dumps(d))' \
	"$SRC/kubesim/scenarios/test.json" > staging-scenario.json
"$CTL" pki issue --dir pki --role agent --name prod/k3s-server-1 >/dev/null
for c in prod staging; do
	rc=0
	ksim_start "$WORK/cluster-$c" "$BIN/rewind-kubesim" --tls-listen 127.0.0.1:0 \
		--scenario "$c-scenario.json" --cluster-name "$c" || rc=$?
	PIDS+=("$KSIM_PID")
	[ "$rc" -eq 0 ] || exit 1
	HP=$(ksim_info "$WORK/cluster-$c" healthPort)
	eval "HP_$c=$HP"
	for node in k3s-server-1 k3s-agent-1; do
		[ -f "pki/${c}_$node.crt" ] || "$CTL" pki issue --dir pki --role agent --name "$c/$node" >/dev/null
		"$BIN/rewind-agent" --server "$URL" --ca pki/ca.crt --cert "pki/${c}_$node.crt" \
			--key "pki/${c}_$node.key" --kubeconfig "$WORK/cluster-$c/kubeconfig" --node "$node" \
			--pod-probe-url "http://127.0.0.1:$HP/pods/{namespace}/{pod}{path}" \
			--action-wait-ms 2000 --log-file "$WORK/agent-$c-$node.log" &
		PIDS+=($!)
	done
	note "cluster $c: API over HTTPS, health endpoints on 127.0.0.1:$HP, agents on k3s-server-1 and k3s-agent-1"
done

say "The admin declares environments, the runbook's two services and the coordinator's settings"
export REWIND_CONFIG=admin.conf
run "$CTL" env add production --cluster prod --health-url "http://127.0.0.1:$HP_prod/services/default/mr-dj-frontend/api/health" --health-expect '{"status":"ok"}'
run "$CTL" env add staging --cluster staging --health-url "http://127.0.0.1:$HP_staging/services/default/mr-dj-frontend/api/health" --health-expect '{"status":"ok"}'
run "$CTL" service add mr-dj-frontend --namespace default --image "$FE_REPO" --health-path /api/health --health-expect '{"status":"ok"}'
run "$CTL" service add misterdj-backend --namespace misterdj --image "$BE_REPO" --health-path /api/health --health-expect '{"status":"ok"}'
note "Backend before frontend, as the runbook deploys them:"
run "$CTL" service set-order misterdj-backend 10 >/dev/null
run "$CTL" service set-order mr-dj-frontend 20 >/dev/null
note "Observation windows are seconds here (the runbook says 5-10 minutes):"
run "$CTL" env set staging --observe-seconds 3 --verify-seconds 20 --action-timeout 30 \
	--smoke-command "curl -sf http://127.0.0.1:$HP_staging/services/default/mr-dj-frontend/api/health" >/dev/null
run "$CTL" env set production --observe-seconds 3 --verify-seconds 20 --action-timeout 30 >/dev/null
psql -X -q "$PGTEST_ADMIN_URL" -c "CREATE DATABASE shop" >/dev/null
psql -X -q "postgresql://postgres@127.0.0.1:$PGTEST_PORT/shop" -c "CREATE TABLE bookings (id int); INSERT INTO bookings VALUES (1), (2)" >/dev/null
run "$CTL" env set-db production --db-url "postgresql://postgres@127.0.0.1:$PGTEST_PORT/shop" --sanity-sql "SELECT count(*) FROM bookings"
export REWIND_CONFIG=operator.conf
for _ in $(seq 1 100); do
	grep -q 'agents 2/2 reporting' <<<"$("$CTL" status --env production 2>/dev/null)" &&
		grep -q 'agents 2/2 reporting' <<<"$("$CTL" status --env staging 2>/dev/null)" && break
	sleep 0.2
done

say "Runbook 1: capture v1 — digests from the registry, config archive, verified backup"
mkdir -p infra/k8s docs
echo "kind: Deployment # frontend-nextjs" > infra/k8s/frontend-nextjs.yaml
echo "# deployment guide" > docs/deployment-guide.md
run "$CTL" release record --service mr-dj-frontend --image "$FE_REPO:nextjs-standalone-v1" --registry-insecure --commit a1b2c3d \
	--config-file infra/k8s/frontend-nextjs.yaml --config-file docs/deployment-guide.md
run "$CTL" release record --service misterdj-backend --image "$BE_REPO:backend-v1" --registry-insecure --commit a1b2c3d --migrations-backward-compatible yes
run "$CTL" backup run --env production
run "$CTL" backup verify 1

say "Deploy v1 to staging: in order, by digest, verified, smoke-tested, observed until known-good"
run "$CTL" deploy --env staging --release mr-dj-frontend:nextjs-standalone-v1,misterdj-backend:backend-v1
say "Promote v1 to production (allowed: known-good on staging)"
run "$CTL" promote --release mr-dj-frontend:nextjs-standalone-v1,misterdj-backend:backend-v1 --to production

say "Release v2: fine on staging, promoted to production — where it fails"
run "$CTL" release record --service mr-dj-frontend --image "$FE_REPO:nextjs-standalone-v2" --registry-insecure --commit e5f6a7b
run "$CTL" release record --service misterdj-backend --image "$BE_REPO:backend-v2" --registry-insecure --commit e5f6a7b --migrations-backward-compatible yes
run "$CTL" deploy --env staging --release mr-dj-frontend:nextjs-standalone-v2,misterdj-backend:backend-v2
fails "$CTL" promote --release mr-dj-frontend:nextjs-standalone-v2,misterdj-backend:backend-v2 --to production
note "Detected: Rewind's verification saw the frontend answer 503 in production."

say "Runbook 2: one coordinator, and the decision tree"
run "$CTL" incident open --env production --title "frontend v2 answers 503 in production" --severity sev1
run "$CTL" decide --env production --no-prompt --config-fixable no --ttr-under-15 yes

say "Runbook 3: roll back both services to the last known-good v1 (gates: backup verified)"
run "$CTL" rollback --env production --all --reason "v2 frontend answers 503 in production" --incident 1
run "$CTL" status --env production

say "Runbook 4: hotfix v3, branched from v1's commit, through staging to production"
run "$CTL" release record --service mr-dj-frontend --image "$FE_REPO:nextjs-standalone-v3" --registry-insecure --commit c0ffee1 \
	--notes "hotfix for incident 1, branched from a1b2c3d"
run "$CTL" hotfix --incident 1 --release mr-dj-frontend:nextjs-standalone-v3 --branch-from a1b2c3d

say "Runbook 5-6: close the incident and write the follow-up"
run "$CTL" incident close 1 --summary "Frontend v2 failed health in production; rolled back to v1, hotfix v3 shipped" \
	--root-cause "v2 read a setting that exists only on staging"
run "$CTL" incident report 1

say "The release history and the audit trail"
run "$CTL" history --service mr-dj-frontend --env production
REWIND_CONFIG=viewer.conf run "$CTL" audit log --limit 40

say "Done in $(( $(date +%s) - START )) s. Everything started for the demo is being stopped and removed."
