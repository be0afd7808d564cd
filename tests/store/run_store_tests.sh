#!/usr/bin/env bash
# Runs the store tests (test_store) against a private PostgreSQL started with
# tests/lib/pgtest.sh, then stops it.  Usage: run_store_tests.sh PATH/test_store [args]
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/pgtest.sh
source "$here/../lib/pgtest.sh"

bin=${1:?usage: run_store_tests.sh PATH/test_store}
shift

export PGTEST_LIB="$here/../lib/pgtest.sh"   # for the restart test
trap pgtest_stop EXIT
t0=$(date +%s%N)
pgtest_start || { echo "run_store_tests: PostgreSQL did not start" >&2; exit 1; }
t1=$(date +%s%N)
echo "run_store_tests: PostgreSQL up in $(( (t1 - t0) / 1000000 )) ms at $PGTEST_URL"

"$bin" "$@"
rc=$?
if [ $rc -ne 0 ]; then
	echo "run_store_tests: test_store failed (rc=$rc); server log tail:" >&2
	tail -n 30 "$PGTEST_DIR/server.log" >&2
fi
exit $rc
