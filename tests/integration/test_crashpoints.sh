#!/usr/bin/env bash
# kill -9 of rewindd at 20 points of a rollback (issue 8, docs/reliability.md).
#
# One environment (a simulated cluster with two agents), two services, each
# rollback returns both to the other known-good pair.  A calibration rollback
# measures how long one takes (D); rollback k is then killed (k-1)*1.05*D/19
# after it was requested — from "just queued" through each step's rollout and
# verification to the outcome — and rewindd is started again at once.  After
# each restart the rollback must finish by itself, exactly once:
#   - the operation succeeded, with one operation.succeeded audit row;
#   - one set-image action per service (none created twice), each applied once
#     (the Deployment's generation moved by one per service);
#   - one incident timeline entry for its outcome (rollback.end notified once);
#   - both services known-good on the target release, the cluster running it.
# At the end the audit chain verifies, and every resumption is in the audit log.
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/faults.sh"
# 20 points; 10 in the sanitizer build of `make test` (REWIND_SANITIZED=1), whose purpose is
# memory errors on these paths, to keep the suite's wall time in bounds.
POINTS=${CRASH_POINTS:-$([ -n "${REWIND_SANITIZED:-}" ] && echo 10 || echo 20)}
it_setup
IT_OBSERVE=0
RWD_FLAGS=(--report-interval-ms 300)
it_rewindd_start "${RWD_FLAGS[@]}"
it_cluster_start prod
it_runbook_setup
# Generous bounds: after each kill the agents reconnect with jittered backoff, which under a
# sanitizer build on a loaded machine can take seconds; the checks are about exactly-once, not speed.
as admin rewindctl env set production --verify-seconds 60 --action-timeout 60
it_wait_reporting production 2
BE=misterdj-backend FE=mr-dj-frontend
for v in a b; do
	it_release $BE be-$v --migrations-backward-compatible yes
	it_release $FE fe-$v
done
expect_out 'SUCCEEDED' as operator rewindctl deploy --env production --release $BE:be-a,$FE:fe-a
expect_out 'SUCCEEDED' as operator rewindctl deploy --env production --release $BE:be-b,$FE:fe-b
it_backup_verified production
expect_out 'incident #1 opened' as operator rewindctl incident open --env production --title "crash points" --severity sev2

sql() { pgtest_psql -Atc "$1"; }
IT_KC_prod=$IT_DIR/cluster-prod/kubeconfig
generation() { it_kubectl prod -n "$1" get deployment "$2" -o jsonpath='{.metadata.generation}'; }
now_ms() { date +%s%3N; }

# rollback VERSION K: queues the rollback of both services to VERSION; sets OP.
rollback() {
	as operator rewindctl rollback --env production --all --to "$BE:be-$1,$FE:fe-$1" \
		--reason "crash point $2" --incident 1 --no-wait
	OP=$(sed -n 's/^operation #\([0-9]*\) queued.*/\1/p' <<<"$OUT" | head -1)
	[ -n "$OP" ] || die "rollback $2 not queued: $OUT"
}

# --- calibration: one rollback without a crash ---------------------------------------
t0=$(now_ms)
rollback a 0
until_out 120 'SUCCEEDED' as viewer rewindctl op show "$OP" --wait
D=$(($(now_ms) - t0))
echo "calibration: rollback of 2 services took $D ms"
cur=a

# --- the crash points -----------------------------------------------------------------------
resumed=0
for k in $(seq 1 "$POINTS"); do
	next=$([ $cur = a ] && echo b || echo a)
	acts0=$(sql "SELECT coalesce(max(id), 0) FROM actions")
	gbe=$(generation misterdj $BE) gfe=$(generation default $FE)
	notes0=$(sql "SELECT count(*) FROM incident_events WHERE incident_id = 1 AND kind = 'verification'")
	at=$(((k - 1) * D * 105 / 100 / (POINTS - 1)))
	t0=$(now_ms)
	rollback "$next" "$k"
	left=$((at - ($(now_ms) - t0)))
	[ "$left" -gt 0 ] && sleep "$(awk -v ms="$left" 'BEGIN { print ms / 1000 }')"
	kill -9 "$IT_RWD_PID"
	wait "$IT_RWD_PID" 2>/dev/null || true
	where=$(sql "SELECT o.state || ' / ' || coalesce(nullif(o.phase, ''), '-') || ' / ' ||
		(SELECT string_agg(d.state || coalesce(':' || a.state, ''), ',' ORDER BY d.step)
		 FROM deployments d LEFT JOIN actions a ON a.id = d.action_id WHERE d.operation_id = o.id)
		FROM operations o WHERE o.id = $OP")
	echo "point $k: killed $(($(now_ms) - t0)) ms after the request: $where"
	case "$where" in running*) resumed=$((resumed + 1)) ;; esac
	it_rewindd_start "${RWD_FLAGS[@]}"
	until_out 120 'SUCCEEDED' as viewer rewindctl op show "$OP" --wait
	check "[ \"\$(sql \"SELECT count(*) FROM actions WHERE id > $acts0\")\" = 2 ]" \
		"point $k: one set-image action per service"
	check "[ \"\$(sql \"SELECT count(DISTINCT action_id) FROM deployments WHERE operation_id = $OP AND action_id > $acts0\")\" = 2 ]" \
		"point $k: each step followed its own action"
	check "[ \"\$(generation misterdj $BE) \$(generation default $FE)\" = \"$((gbe + 1)) $((gfe + 1))\" ]" \
		"point $k: each Deployment patched once"
	check "[ \"\$(sql \"SELECT count(*) FROM audit_log WHERE action = 'operation.succeeded' AND target = 'operation/$OP'\")\" = 1 ]" \
		"point $k: one outcome in the audit log"
	check "[ \"\$(sql \"SELECT count(*) FROM incident_events WHERE incident_id = 1 AND kind = 'verification'\")\" = $((notes0 + 1)) ]" \
		"point $k: one outcome on the incident timeline"
	check "[ \"\$(sql \"SELECT count(*) FROM deployments WHERE operation_id = $OP AND outcome = 'succeeded' AND known_good\")\" = 2 ]" \
		"point $k: both services known-good"
	OUT=$(it_kubectl prod get deployment -A -o jsonpath='{range .items[*]}{.spec.template.spec.containers[0].image} {end}')
	check "grep -q 'misterdj-backend:be-$next' <<<\"\$OUT\" && grep -q 'mr-dj-frontend:fe-$next' <<<\"\$OUT\"" \
		"point $k: the cluster runs the target release"
	cur=$next
done

# --- the whole history ------------------------------------------------------------------------
check "[ \"\$(sql \"SELECT count(*) FROM operations WHERE kind = 'rollback' AND state <> 'succeeded'\")\" = 0 ]" \
	"every rollback succeeded"
check "[ \"\$(sql \"SELECT count(*) FROM audit_log WHERE action = 'operation.resumed'\")\" -ge $resumed ]" \
	"every takeover of a running rollback is in the audit log ($resumed killed while running)"
check "[ \"\$(sql \"SELECT count(*) FROM audit_log WHERE action = 'operation.abandoned'\")\" = 0 ]" \
	"nothing abandoned"
as viewer rewindctl audit verify
check '[ "$RC" -eq 0 ]' "audit chain verifies: $(head -1 <<<"$OUT")"
echo "metric: $POINTS kill -9 points, $resumed hit a running rollback, calibration $D ms"
it_done
