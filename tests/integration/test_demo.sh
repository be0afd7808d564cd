#!/usr/bin/env bash
# `make demo` as a test: it runs to the end, cleans up, and shows what it promises.
set -euo pipefail
BIN=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
# A private TMPDIR, so "left nothing behind" is about this run only.
export TMPDIR=$(mktemp -d /tmp/rewind-demo-test.XXXXXX)
chmod 755 "$TMPDIR"
trap 'rm -rf "$TMPDIR"' EXIT
out=$(bash "$SRC/scripts/demo.sh" "$BIN" 2>&1) || { printf '%s\n' "$out"; echo "FAIL: demo exited non-zero"; exit 1; }
fails=0
want() {
	# A here-string, not `printf | grep -q`: grep leaving at its first match
	# would kill printf with SIGPIPE, which pipefail reports as a failure.
	if ! grep -Eq -- "$1" <<<"$out"; then
		echo "FAIL: demo output lacks /$1/"
		[ "$fails" -gt 0 ] || printf '%s\n' "$out" | tail -60
		fails=$((fails + 1))
	fi
}
want 'created fleet CA'
want 'service/mr-dj-frontend added'
want 'service/misterdj-backend added'
want 'release/mr-dj-frontend/nextjs-standalone-v1 recorded .*@sha256:'
want 'backup/production/1 verified by restore'
want 'operation #1 \(deploy, staging\): SUCCEEDED'
want 'smoke test: exit code 0'
want 'known-good \(healthy through the observation window\)'
want 'operation #2 \(promote, production\): SUCCEEDED'
want 'operation #4 \(promote, production\): FAILED — mr-dj-frontend failed its health check: .*HTTP 503'
want 'RECOMMENDATION: rollback'
want 'rolling back to misterdj-backend:backend-v1 \(1/2\)'
want 'operation #5 \(rollback, production\): SUCCEEDED'
want '== hotfix step 2/2: promote to production'
want 'operation #7 \(promote, production\): SUCCEEDED'
want '^# Incident #1: frontend v2 answers 503 in production'
want 'Time to recover:\*\* [0-9]+ min'
want 'Recommendation: \*\*rollback\*\*'
want 'nextjs-standalone-v3 .*production .*succeeded'
want 'incident-coordinator +operator +operation.start'
want 'Done in [0-9]+ s'
[ -z "$(ls -A "$TMPDIR")" ] || { echo "FAIL: demo left its temporary directory behind"; fails=$((fails + 1)); }
# Only this run's processes (their command lines name its private TMPDIR): other work on the
# machine may run its own rewindd meanwhile.
[ -z "$(pgrep -f -- "$TMPDIR/rewind-demo" || true)" ] || { echo "FAIL: demo left processes running"; fails=$((fails + 1)); }
echo "$((23 - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
