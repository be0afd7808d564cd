#!/usr/bin/env bash
# make demo — Rewind's main job on an embedded default: a private PostgreSQL,
# a fresh fleet PKI, one rewindd, and the runbook's two services.  It records
# releases the way the runbook's step 1 asks ("note the tags in the
# deployment log") and prints the history and the audit trail.
#
# Usage: scripts/demo.sh BIN_DIR      (make demo passes build/bin)
# Cleans up everything it started, also on failure or Ctrl-C.
set -euo pipefail

BIN=$(cd "${1:-build/bin}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/lib/pgtest.sh
source "$SRC/tests/lib/pgtest.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rewind-demo.XXXXXX")
RWD_PID=
cleanup() {
	[ -n "$RWD_PID" ] && kill "$RWD_PID" 2>/dev/null && wait "$RWD_PID" 2>/dev/null
	pgtest_stop >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "Starting a private PostgreSQL for the release history"
pgtest_start >/dev/null
echo "PostgreSQL on 127.0.0.1:$PGTEST_PORT (data in a temporary directory)"

say "Creating the fleet PKI: a CA, the server certificate, one certificate per person"
cd "$WORK"
run "$BIN/rewindctl" pki init --dir pki
run "$BIN/rewindctl" pki issue --dir pki --role admin --name ops-admin
run "$BIN/rewindctl" pki issue --dir pki --role operator --name incident-coordinator
run "$BIN/rewindctl" pki issue --dir pki --role viewer --name auditor

say "Starting rewindd (mutual TLS, schema migrations applied at start)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN/rewindd" --db "$PGTEST_URL" --pki-dir pki --listen "tls+tcp://127.0.0.1:$PORT" \
	--log-file "$WORK/rewindd.log" &
RWD_PID=$!
for _ in $(seq 1 100); do grep -q ' listening ' rewindd.log 2>/dev/null && break; sleep 0.05; done
grep ' listening \| schema.ready ' rewindd.log

cat > admin.conf <<CONF
server = tls+tcp://127.0.0.1:$PORT
ca = pki/ca.crt
cert = pki/ops-admin.crt
key = pki/ops-admin.key
CONF
sed 's/ops-admin/incident-coordinator/' admin.conf > operator.conf
sed 's/ops-admin/auditor/' admin.conf > viewer.conf

say "The admin declares the environments and the runbook's two services"
export REWIND_CONFIG=admin.conf
run "$BIN/rewindctl" env add production --cluster prod --health-url https://mr-dj.sevensa.nl/api/health --health-expect '{"status":"ok"}'
run "$BIN/rewindctl" env add staging --cluster staging --health-url https://staging.sevensa.nl/api/health --health-expect '{"status":"ok"}'
run "$BIN/rewindctl" service add mr-dj-frontend --namespace default --image ghcr.io/crisisk/mr-dj-frontend --health-path /api/health --health-expect '{"status":"ok"}'
run "$BIN/rewindctl" service add misterdj-backend --namespace misterdj --image ghcr.io/crisisk/misterdj-backend --health-path /api/health --health-expect '{"status":"ok"}'
run "$BIN/rewindctl" service list

say "Runbook step 1: the coordinator records each release's tags before deploying"
# The demo is offline: ghcr.io cannot be asked for digests, so releases are recorded
# UNPINNED (--allow-unpinned).  tests/integration/test_registry.sh pins against a real registry.
export REWIND_CONFIG=operator.conf
for tag in nextjs-standalone-202611240900 nextjs-standalone-202611251400 nextjs-standalone-202611260530; do
	run "$BIN/rewindctl" release record --allow-unpinned --service mr-dj-frontend --image "ghcr.io/crisisk/mr-dj-frontend:$tag" \
		--commit "$(printf '%s' "$tag" | sha1sum | cut -c1-40)" --notes "frontend $tag"
done
run "$BIN/rewindctl" release record --allow-unpinned --service misterdj-backend --image ghcr.io/crisisk/misterdj-backend:nextjs-standalone-202611260530 \
	--notes "backend, backwards-compatible migrations only" --migrations-backward-compatible yes

say "A viewer may read but not record"
export REWIND_CONFIG=viewer.conf
set +e
"$BIN/rewindctl" release record --allow-unpinned --service mr-dj-frontend --version evil-tag
echo "(exit code $? — 4 means permission denied)"
set -e

say "The release history of the frontend"
run "$BIN/rewindctl" history --service mr-dj-frontend

say "The audit trail: who changed what, when"
run "$BIN/rewindctl" audit log

say "Done. Everything started for the demo is being stopped and removed."
