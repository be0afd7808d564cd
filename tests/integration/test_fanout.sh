#!/usr/bin/env bash
# Fan-out in the suite (correctness, not speed): 200 loadgen agents, each the
# only agent of its cluster, park ActionWaits over TLS; one action per cluster
# must reach its agent, and loadgen must then shut its links down with polls
# still parked without crashing.  Regression test for link_shutdown() closing
# the socket under calls in flight (NNG panic in nng_ctx_close, found by the
# fan-out benchmark).  Timings are printed, not asserted (docs/performance.md).
source "$(dirname "$0")/lib.sh" "$@"
it_setup
it_rewindd_start --contexts 464 --max-sessions 264 --max-wait-ms 20000
for run in 1; do
	run "$IT_BIN/loadgen" fanout --server "$IT_URL" --pki-dir "$IT_DIR/pki" --agents 200 \
		--rounds 1 --seconds 90 --prefix "fan$run" --connect-parallel 32
	printf '%s\n' "$OUT" | sed 's/^/  /'
	check '[ "$RC" -eq 0 ]' "loadgen run $run exited cleanly (no NNG panic at shutdown)"
	check 'printf "%s" "$OUT" | grep -q "actions held 200/200"' "run $run: every agent held its action"
done
as viewer rewindctl action list --cluster fan1-7 -o json
check 'printf "%s" "$OUT" | grep -q "\"state\": \"succeeded\""' "the action was finished by its agent"
it_done
