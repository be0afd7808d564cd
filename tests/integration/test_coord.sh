#!/usr/bin/env bash
# Coordinated deploy, promote and rollback (docs/coordination.md) against two simulated
# clusters with agents: ordering, digest/tag images, verification, known-good after the
# observation window, promotion gate, rollback gates, refusals, concurrent rollbacks,
# an agent-less cluster, configuration hotfix and revert, smoke tests.
source "$(dirname "$0")/lib.sh" "$@"
it_runbook_fleet --report-interval-ms 300
it_wait_reporting staging 2

FE=mr-dj-frontend BE=misterdj-backend
it_release $BE be-v1 --migrations-backward-compatible yes --commit 1111111
it_release $FE fe-v1 --commit 1111111
it_release $BE be-v2 --migrations-backward-compatible yes --commit 2222222
it_release $FE fe-v2-unhealthy --commit 2222222

# --- deploy: backend before frontend, verified, observed, known-good -------------------
expect_out 'operation #[0-9]+ queued: deploy in staging — misterdj-backend:be-v1, mr-dj-frontend:fe-v1' \
	as operator rewindctl deploy --env staging --release $FE:fe-v1,$BE:be-v1
check 'printf "%s\n" "$OUT" | grep -q "not digest-pinned"' "unpinned releases are deployed by tag with a warning"
check 'printf "%s\n" "$OUT" | grep -q "known-good (healthy through the observation window)"' "deploy waits for known-good"
check 'printf "%s\n" "$OUT" | grep -Eq "2/2 pods ready, health ok"' "health verified from the agents' probes"
expect_out "fe-v1 .* staging .* succeeded +yes" as viewer rewindctl history --service $FE --env staging
# --- promote: only what is known-good on staging ---------------------------------------
expect_fail 1 'not known-good on staging' as operator rewindctl promote --release $BE:be-v2 --to production
expect_out 'SUCCEEDED' as operator rewindctl promote --release $FE:fe-v1,$BE:be-v1 --to production
# --- a bad release: detected by verification --------------------------------------------
expect_fail 1 'failed its health check: .*HTTP 503' as operator rewindctl deploy --env production --release $BE:be-v2,$FE:fe-v2-unhealthy
# --- rollback gates and refusals ---------------------------------------------------------
expect_fail 1 'refused by the backup gate' as operator rewindctl rollback --env production --all --reason "fe-v2 answers 503"
expect_fail 2 'reason' as operator rewindctl rollback --env production --all
expect_fail 1 'belongs to service misterdj-backend' as operator rewindctl rollback --env production --service $FE --to $BE:be-v1 --reason x --override-gate "test"
expect_fail 5 'never deployed to production|not found' as operator rewindctl rollback --env production --service nosuch --reason x --override-gate t
expect_fail 4 'role viewer may not' as viewer rewindctl rollback --env production --all --reason x
it_backup_verified production
t0=$(date +%s%N)
expect_out 'operation #[0-9]+ \(rollback, production\): SUCCEEDED' as operator rewindctl rollback --env production --all --reason "fe-v2 answers 503"
t1=$(date +%s%N)
echo "metric: rollback of two services, verified (kubesim 100 ms steps, 300 ms reports): $(((t1 - t0) / 1000000)) ms"
check 'printf "%s\n" "$OUT" | grep -q "rolling back to misterdj-backend:be-v1 (1/2)"' "rollback in deploy order"
expect_out "fe-v2-unhealthy .*production .*rolled-back" as viewer rewindctl history --service $FE --env production
expect_out "misterdj/misterdj-backend +ghcr.io/crisisk/misterdj-backend:be-v1" as viewer rewindctl status --env production
# no known-good other than what runs: nothing to roll back to
expect_fail 1 'already running|no known-good' as operator rewindctl rollback --env production --service $BE --reason again
expect_fail 1 'no known-good release of misterdj-backend in staging' as operator rewindctl rollback --env staging --service $BE --reason x --override-gate "staging has no backups"

# --- one deploy order: its services roll out together ------------------------------------
as admin rewindctl service set-order $BE 20
it_release $BE be-v3 --migrations-backward-compatible yes --commit 3333333
it_release $FE fe-v3 --commit 3333333
mark=$(wc -l <"$IT_DIR/rewindd.log")
expect_out 'operation #[0-9]+ \(deploy, staging\): SUCCEEDED' as operator rewindctl deploy --env staging --release $BE:be-v3,$FE:fe-v3 --no-observe
check 'grep -q "and the rest of its deploy order (2/2)" <<<"$OUT"' "one wave of two services"
leased=$(tail -n +"$mark" "$IT_DIR/rewindd.log" | grep -n "action.leased" | tail -1 | cut -d: -f1)
finished=$(tail -n +"$mark" "$IT_DIR/rewindd.log" | grep -n "action.finished" | head -1 | cut -d: -f1)
check '[ -n "$leased" ] && [ -n "$finished" ] && [ "$leased" -lt "$finished" ]' "both rollouts were under way before either finished"
as admin rewindctl service set-order $BE 10

it_done
