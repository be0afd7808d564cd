#!/usr/bin/env bash
# The release history survives rewindd restarts, clean (SIGTERM) and hard (SIGKILL).
source "$(dirname "$0")/lib.sh" "$@"
it_setup
it_rewindd_start

FE=ghcr.io/crisisk/mr-dj-frontend
as admin rewindctl service add mr-dj-frontend --image $FE
for v in v1 v2 v3; do
	expect_out recorded as operator rewindctl release record --allow-unpinned --service mr-dj-frontend --image $FE:$v --notes "release $v"
done
as viewer rewindctl history --service mr-dj-frontend -o json
before=$OUT

it_rewindd_stop TERM
check 'grep -q " stopped" "$IT_DIR/rewindd.log"' "clean shutdown logged"
expect_fail 3 'cannot open a session' as viewer rewindctl release list --timeout 2
it_rewindd_start
expect_out . as viewer rewindctl history --service mr-dj-frontend -o json
check '[ "$OUT" = "$before" ]' "history identical after a clean restart"

# While serving a client, a hard kill; the next server sees the same history
# and goes on recording.
it_rewindd_stop KILL
it_rewindd_start
expect_out . as viewer rewindctl history --service mr-dj-frontend -o json
check '[ "$OUT" = "$before" ]' "history identical after kill -9"
expect_out 'release/mr-dj-frontend/v4 recorded' as operator rewindctl release record --allow-unpinned --service mr-dj-frontend --image $FE:v4

# The database itself restarted under a running rewindd: it reconnects.
pgtest_restart >/dev/null
# Every worker's connection broke; each reconnects on its next request.
for i in 1 2 3 4 5 6; do
	expect_out 'v4' as viewer rewindctl release list
done
check 'grep -q "store.reconnect" "$IT_DIR/rewindd.log"' "reconnect logged"

it_done
