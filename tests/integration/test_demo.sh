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
	if ! printf '%s\n' "$out" | grep -Eq -- "$1"; then
		echo "FAIL: demo output lacks /$1/"
		fails=$((fails + 1))
	fi
}
want 'created fleet CA'
want 'service/mr-dj-frontend added'
want 'service/misterdj-backend added'
want 'release/mr-dj-frontend/nextjs-standalone-202611260530 recorded'
want 'role viewer may not record releases'
want 'exit code 4'
want 'nextjs-standalone-202611240900 +ghcr.io/crisisk/mr-dj-frontend:nextjs-standalone-202611240900'
want 'incident-coordinator +operator +release.record'
[ -z "$(ls -A "$TMPDIR")" ] || { echo "FAIL: demo left its temporary directory behind"; fails=$((fails + 1)); }
# Everything the demo started ran with paths under our private TMPDIR.
! pgrep -f "$TMPDIR/" >/dev/null || { echo "FAIL: demo left processes running: $(pgrep -af "$TMPDIR/")"; fails=$((fails + 1)); }
echo "$((9 - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
