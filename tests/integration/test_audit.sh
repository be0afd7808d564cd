#!/usr/bin/env bash
# Audit queries and the tamper-evident ledger (issue 7, docs/audit.md), end to
# end: rewindd runs as the non-superuser rewind_app role of deploy/sql/roles.sql
# on a known history (deployments, a rollback in the middle of a deployment,
# incidents, timestamps around midnight UTC, the database in UTC+14), and
# every query's answer is checked; then the ledger is tampered with as the
# superuser (changed, deleted, inserted rows, a rewritten chain, a forged
# head) and verify must name what happened; the read-only auditor role gets
# the console's answers from the views; the timeline renders in Chromium.
source "$(dirname "$0")/lib.sh" "$@"
it_setup

PSQL=${PGTEST_BIN}/psql
[ -x "$PSQL" ] || PSQL=psql
su_sql() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 "$PGTEST_URL" "$@"; }
role_url() { echo "postgresql://$1@127.0.0.1:$PGTEST_PORT/$PGTEST_DB"; }
as_sql() { local r=$1; shift; "$PSQL" -X -q -At -v ON_ERROR_STOP=1 "$(role_url "$r")" "$@"; }
# expect_sql WANT SQL: superuser query result equals WANT.
expect_sql() {
	WANT=$1
	OUT=$(su_sql -c "$2" 2>&1) && RC=0 || RC=$?
	check '[ "$OUT" = "$WANT" ]' "expected [$1] from SQL: $2"
}
# json_get EXPR: evaluates a python expression over j = json of $OUT.
json_get() { printf '%s' "$OUT" | python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }

# --- schema as the owner, then the roles, then rewindd as rewind_app ------------
"$IT_BIN/rewindd" --migrate-only --db "$PGTEST_URL" --log-file "$IT_DIR/migrate.log" ||
	die "migrate-only"
su_sql -f "$IT_SRC/deploy/sql/roles.sql" || die "roles.sql"
# Answers must not depend on the server's time zone: put the database in UTC+14.
su_sql -c "ALTER DATABASE $PGTEST_DB SET timezone = 'Pacific/Kiritimati'"
it_rewindd_start --db "$(role_url rewind_app)" --audit-sign-interval 0

FE=ghcr.io/crisisk/mr-dj-frontend
BE=ghcr.io/crisisk/misterdj-backend
D=sha256:
dg() { printf 'sha256:%064d' "$1"; }
expect_out 'added' as admin rewindctl env add production --cluster prod
expect_out 'added' as admin rewindctl service add mr-dj-frontend --image $FE
expect_out 'added' as admin rewindctl service add misterdj-backend --image $BE
for v in v1 v2 v3; do
	expect_out recorded as operator rewindctl release record --service mr-dj-frontend \
		--image $FE:$v --digest "$(dg "${v#v}")"
done
for v in b1 b2; do
	expect_out recorded as operator rewindctl release record --service misterdj-backend \
		--image $BE:$v --digest "$(dg "1${v#b}")"
done

# The known history (the coordination work will write these rows; here the
# superuser does).  Capture times, then deployments and one incident.
su_sql <<'SQL'
UPDATE releases SET created_at = t.at FROM (VALUES
  ('v1', timestamptz '2026-03-01 08:00Z'), ('v2', '2026-03-01 20:00Z'), ('v3', '2026-03-02 09:00Z'),
  ('b1', '2026-03-01 08:30Z'), ('b2', '2026-03-02 13:00Z')) t(v, at) WHERE releases.version = t.v;
INSERT INTO incidents (id, environment_id, severity, coordinator, status, opened_at, closed_at, summary)
  VALUES (1, 1, 'sev2', 'alice', 'closed', '2026-03-01 23:58Z', '2026-03-02 00:20Z',
          'checkout <down> & "slow"');
CREATE FUNCTION pg_temp.rel(v text) RETURNS bigint LANGUAGE sql AS $$ SELECT id FROM releases WHERE version = v $$;
INSERT INTO deployments (id, release_id, environment_id, started_at, finished_at, outcome, known_good, actor, kind, reason, decision, incident_id, replaces_id) VALUES
  (1, pg_temp.rel('v1'), 1, '2026-03-01 10:00Z', '2026-03-01 10:10Z', 'succeeded', true, 'alice', 'deploy', '', '', NULL, NULL),
  (2, pg_temp.rel('b1'), 1, '2026-03-01 10:20Z', '2026-03-01 10:25Z', 'succeeded', true, 'alice', 'deploy', '', '', NULL, NULL),
  -- v2 starts before midnight UTC and is rolled back mid-rollout, after midnight
  (3, pg_temp.rel('v2'), 1, '2026-03-01 23:50Z', '2026-03-02 00:05Z', 'rolled-back', false, 'bob', 'deploy', '', '', 1, NULL),
  (4, pg_temp.rel('v1'), 1, '2026-03-02 00:00Z', '2026-03-02 00:04Z', 'succeeded', true, 'alice', 'rollback',
      'health check failing on /api/health', 'production down < 30 min, roll back', 1, 3),
  (5, pg_temp.rel('v3'), 1, '2026-03-02 12:00Z', '2026-03-02 12:06Z', 'succeeded', true, 'bob', 'hotfix', 'fix checkout', '', NULL, NULL),
  (6, pg_temp.rel('b2'), 1, '2026-03-02 14:00Z', '2026-03-02 14:05Z', 'failed', false, 'bob', 'deploy', '', '', NULL, NULL),
  (7, pg_temp.rel('b1'), 1, '2026-03-02 14:10Z', '2026-03-02 14:12Z', 'succeeded', true, 'alice', 'rollback',
      'b2 failed its rollout', 'known-good is b1', NULL, 6);
SELECT setval('deployments_id_seq', 7);
SELECT setval('incidents_id_seq', 1);
SQL
[ $? -eq 0 ] || die "history"
# Audit rows written by another writer (the coordination work, as rewind_app):
# the trigger chains them too, whatever seq or hash the writer claims.
as_sql rewind_app -c "INSERT INTO audit_log (at, actor, role, action, target, detail, reason, incident_id, digests, seq, row_hash)
  VALUES ('2026-03-02 00:00Z', 'alice', 'operator', 'rollback.start', 'rollback/mr-dj-frontend/4',
          '{\"from\":\"v2\",\"to\":\"v1\"}', 'health check failing', 1, '$(dg 1)', 999, 'forged')" ||
	die "insert as rewind_app"
expect_sql "1" "SELECT count(*) FROM audit_log WHERE action = 'rollback.start' AND seq <> 999 AND row_hash <> 'forged'"

# --- what-ran ------------------------------------------------------------------
# Before midnight UTC: v1 runs, v2 is rolling out.
expect_out 'mr-dj-frontend +v1 .*1 +deploy .* v2$' as viewer rewindctl audit what-ran --env production --at 2026-03-01T23:55:00Z
expect_out 'misterdj-backend +b1 ' as viewer rewindctl audit what-ran --env production --at 2026-03-01T23:55:00Z
# After midnight UTC, mid-rollback: the rollback deployment (4) put v1 back; v2 never counts.
run_q() { as viewer rewindctl audit what-ran --env production -o json "$@"; }
run_q --at 2026-03-02T00:02:00Z
check '[ "$(json_get "[(r[\"service\"], r[\"version\"], r[\"deployment\"], r[\"kind\"], r[\"rollingOut\"] if \"rollingOut\" in r else r[\"rolling_out\"]) for r in j]")" = "[('"'"'misterdj-backend'"'"', '"'"'b1'"'"', 2, '"'"'deploy'"'"', '"'"''"'"'), ('"'"'mr-dj-frontend'"'"', '"'"'v1'"'"', 4, '"'"'rollback'"'"', '"'"''"'"')]" ]' \
	"what-ran mid-rollback: v1 by rollback 4, nothing rolling out"
# The same wall-clock time in UTC+01:00 is before midnight UTC: deployment 1, not the rollback.
run_q --at 2026-03-02T00:30:00+01:00
check '[ "$(json_get "[r[\"deployment\"] for r in j if r[\"service\"] == \"mr-dj-frontend\"]")" = "[1]" ]' "what-ran with a +01:00 offset"
run_q --at 2026-03-02T00:30:00Z
check '[ "$(json_get "[r[\"deployment\"] for r in j if r[\"service\"] == \"mr-dj-frontend\"]")" = "[4]" ]' "what-ran at the same wall time in UTC"
# A date is midnight UTC, and the boundary is inclusive: the rollback started at 00:00:00.
run_q --at 2026-03-02
check '[ "$(json_get "[r[\"deployment\"] for r in j if r[\"service\"] == \"mr-dj-frontend\"]")" = "[4]" ]' "what-ran at a date (midnight UTC, inclusive)"
run_q --at 2026-03-01T23:59:59.999999Z
check '[ "$(json_get "[r[\"deployment\"] for r in j if r[\"service\"] == \"mr-dj-frontend\"]")" = "[1]" ]' "what-ran one microsecond before midnight"
run_q --at 2026-03-02T14:07:00Z
check '[ "$(json_get "[(r[\"version\"], r[\"digest\"]) for r in j if r[\"service\"] == \"misterdj-backend\"]")" = "[('"'"'b1'"'"', '"'"'$(dg 11)'"'"')]" ]' "what-ran after a failed deploy: b1 and its digest"
run_q --at 2026-03-01T09:00:00Z
check '[ "$(json_get "len(j)")" = "0" ]' "what-ran before anything was deployed"
expect_fail 5 'environment not found' as viewer rewindctl audit what-ran --env staging --at 2026-03-02
expect_fail 2 'required' as viewer rewindctl audit what-ran --env production
expect_fail 2 'not a time' as viewer rewindctl audit what-ran --env production --at yesterday

# --- rollbacks -------------------------------------------------------------------
as viewer rewindctl audit rollbacks -o json
check '[ "$(json_get "[(r[\"id\"], r[\"service\"], r[\"from_version\"], r[\"to_version\"], r[\"duration_s\"], r[\"incident\"]) for r in j]")" = "[(7, '"'"'misterdj-backend'"'"', '"'"'b2'"'"', '"'"'b1'"'"', 120, None), (4, '"'"'mr-dj-frontend'"'"', '"'"'v2'"'"', '"'"'v1'"'"', 240, 1)]" ]' "rollbacks, newest first, with durations"
expect_out 'health check failing on /api/health' as viewer rewindctl audit rollbacks --service mr-dj-frontend
check '! printf "%s" "$OUT" | grep -q misterdj-backend' "rollbacks --service filters"
as viewer rewindctl audit rollbacks --since 2026-03-02T01:00:00+01:00 --until 2026-03-02T01:00:00Z -o json
check '[ "$(json_get "[r[\"id\"] for r in j]")" = "[4]" ]' "rollbacks in a window given with offsets"
as viewer rewindctl audit rollbacks -o csv
check '[ "$(printf "%s" "$OUT" | python3 -c "import csv,sys; r=list(csv.reader(sys.stdin)); print(len(r), r[0][0], r[2][7])")" = "3 id production down < 30 min, roll back" ]' "rollbacks as CSV (quoted comma)"

# --- log ---------------------------------------------------------------------------
expect_out 'operator-user +operator +release.record +release/mr-dj-frontend/v2' as viewer rewindctl audit log
as viewer rewindctl audit log --kind rollback -o json
check '[ "$(json_get "[(r[\"action\"], r[\"service\"], r[\"incident\"], r[\"detail\"][\"to\"]) for r in j]")" = "[('"'"'rollback.start'"'"', '"'"'mr-dj-frontend'"'"', 1, '"'"'v1'"'"')]" ]' "log --kind rollback"
as viewer rewindctl audit log --service misterdj-backend -o json
check '[ "$(json_get "sorted(r[\"action\"] for r in j)")" = "['"'"'release.record'"'"', '"'"'release.record'"'"', '"'"'service.add'"'"']" ]' "log --service"
as viewer rewindctl audit log --actor admin-user --action service. -o json
check '[ "$(json_get "len(j)")" = "2" ]' "log --actor --action prefix"
as viewer rewindctl audit log --since 2026-03-02T00:59:00+01:00 --until 2026-03-02T01:01:00+01:00 -o json
check '[ "$(json_get "[r[\"action\"] for r in j]")" = "['"'"'rollback.start'"'"']" ]' "log time range with offsets around midnight UTC"

# --- release -------------------------------------------------------------------------
as viewer rewindctl audit release --service mr-dj-frontend --version v2 -o json
check '[ "$(json_get "[(r[\"event\"], r[\"detail\"].split(\":\")[0]) for r in j]")" = "[('"'"'capture'"'"', '"'"'ghcr.io/crisisk/mr-dj-frontend'"'"'), ('"'"'deploy'"'"', '"'"'rolled-back'"'"'), ('"'"'incident'"'"', '"'"'sev2 closed'"'"')]" ]' "release v2: capture, rolled-back deploy, incident"
as viewer rewindctl audit release --service mr-dj-frontend --version v1 -o json
check '[ "$(json_get "[r[\"event\"] for r in j]")" = "['"'"'capture'"'"', '"'"'deploy'"'"', '"'"'incident'"'"', '"'"'rollback'"'"']" ]' "release v1: capture, deploy, incident (once), rollback"
expect_fail 5 'release not found' as viewer rewindctl audit release 9999

# --- dora -------------------------------------------------------------------------------
as viewer rewindctl audit dora --env production --since 2026-03-01 --until 2026-03-03 -o json
check '[ "$(json_get "[(r[\"deployments\"], r[\"days\"], r[\"deploys_per_day\"], r[\"lead_time_median_s\"], r[\"lead_time_mean_s\"], r[\"failures\"], r[\"change_failure_rate\"], r[\"recoveries\"], r[\"mttr_s\"]) for r in j]")" = "[(3, 2.0, 1.5, 7800, 8620, 2, 0.4, 2, 780)]" ]' "dora over two days"
# Only the second day (from midnight at UTC+01:00 = 23:00Z, so v2's failed deploy counts).
as viewer rewindctl audit dora --env production --since 2026-03-02T00:00:00+01:00 --until 2026-03-03 -o json
check '[ "$(json_get "[(r[\"deployments\"], r[\"failures\"], r[\"mttr_s\"]) for r in j]")" = "[(1, 2, 780)]" ]' "dora since local midnight"
expect_out 'change_failure_rate +0.4' as viewer rewindctl audit dora --env production --since 2026-03-01 --until 2026-03-03

# --- the auditor role gets the same answers from SQL ----------------------------------
OUT=$(as_sql rewind_auditor -F' ' -c "SELECT service, version, deployment_id FROM audit_what_ran('production', '2026-03-02T00:02:00Z') ORDER BY service") && RC=0 || RC=$?
check '[ "$OUT" = "$(printf "misterdj-backend b1 2\nmr-dj-frontend v1 4")" ]' "auditor: audit_what_ran as the console"
OUT=$(as_sql rewind_auditor -F' ' -c "SELECT deployments, lead_time_median_s, failures, change_failure_rate, mttr_s FROM audit_dora('production', '2026-03-01Z', '2026-03-03Z')") && RC=0 || RC=$?
check '[ "$OUT" = "3 7800 2 0.400 780" ]' "auditor: audit_dora as the console"
OUT=$(as_sql rewind_auditor -c "SELECT count(*) FROM audit_rollbacks") && RC=0 || RC=$?
check '[ "$OUT" = "2" ]' "auditor: audit_rollbacks"
OUT=$(as_sql rewind_auditor -c "INSERT INTO audit_log (actor, role, action) VALUES ('x', 'admin', 'x')" 2>&1) && RC=0 || RC=$?
check '[ "$RC" -ne 0 ] && printf "%s" "$OUT" | grep -q "read-only transaction"' "auditor: cannot write"
OUT=$(as_sql rewind_auditor -c "SET default_transaction_read_only = off" -c "INSERT INTO incidents (environment_id, severity, coordinator) VALUES (1, 'sev4', 'x')" 2>&1) && RC=0 || RC=$?
check '[ "$RC" -ne 0 ] && printf "%s" "$OUT" | grep -q "permission denied"' "auditor: no write privilege either"
OUT=$(as_sql rewind_auditor -c "SELECT db_url FROM environment_databases" 2>&1) && RC=0 || RC=$?
check '[ "$RC" -ne 0 ] && printf "%s" "$OUT" | grep -q "permission denied"' "auditor: no database passwords"

# --- the application role cannot change the ledger --------------------------------------
for stmt in "UPDATE audit_log SET reason = 'x' WHERE seq = 1" "DELETE FROM audit_log WHERE seq = 1" \
	"TRUNCATE audit_log" "DELETE FROM audit_heads" "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete" \
	"DROP TRIGGER audit_log_chain ON audit_log" "INSERT INTO schema_migrations (version, name) VALUES (99, 'x')"; do
	OUT=$(as_sql rewind_app -c "$stmt" 2>&1) && RC=0 || RC=$?
	check '[ "$RC" -ne 0 ] && printf "%s" "$OUT" | grep -Eq "permission denied|must be owner"' "rewind_app refused: $stmt"
done

# --- the ledger: intact, signed, then tampered with --------------------------------------
expect_out 'summary +intact' as viewer rewindctl audit verify
expect_fail 4 'may not sign' as viewer rewindctl audit sign
expect_out 'new +true' as operator rewindctl audit sign
expect_out 'new +false' as operator rewindctl audit sign        # nothing new to sign
expect_out '1 signed heads \(1 trusted' as viewer rewindctl audit verify
NROWS=$(su_sql -c "SELECT count(*) FROM audit_log")
rid() { su_sql -c "SELECT id FROM audit_log WHERE seq = $1"; }
tamper() { su_sql -c "ALTER TABLE audit_log DISABLE TRIGGER USER; $1; ALTER TABLE audit_log ENABLE TRIGGER USER"; }

# A changed row: verify names it; restoring the exact text restores the chain.
R3=$(rid 3)
tamper "UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 3"
expect_fail 1 "chain +changed +3 +$R3 +row $R3 \(position 3\) was changed" as viewer rewindctl audit verify
expect_fail 1 'summary +tampered' as viewer rewindctl audit verify
tamper "UPDATE audit_log SET reason = '' WHERE seq = 3"
expect_out 'summary +intact' as viewer rewindctl audit verify

# A deleted row.
R6=$(rid 6)
su_sql -c "CREATE TABLE tamper_save AS SELECT * FROM audit_log WHERE seq = 5"
tamper "DELETE FROM audit_log WHERE seq = 5"
expect_fail 1 "chain +deleted +6 +$R6 +positions 5..5 are missing before row $R6: deleted" as viewer rewindctl audit verify
tamper "INSERT INTO audit_log SELECT * FROM tamper_save"
expect_out 'summary +intact' as viewer rewindctl audit verify

# A row inserted out of band in the middle, claiming position 4.
tamper "INSERT INTO audit_log (at, actor, role, action, target, seq, prev_hash, row_hash)
        SELECT at, 'mallory', 'admin', 'release.record', 'release/x/y', seq, prev_hash, row_hash
          FROM audit_log WHERE seq = 4"
RX=$(su_sql -c "SELECT id FROM audit_log WHERE actor = 'mallory'")
expect_fail 1 "chain +inserted +4 +$RX +row $RX is a second row at position 4" as viewer rewindctl audit verify
tamper "DELETE FROM audit_log WHERE actor = 'mallory'"
expect_out 'summary +intact' as viewer rewindctl audit verify

# A row inserted at the end without the trigger: its hash cannot be right.
tamper "INSERT INTO audit_log (actor, role, action, seq, prev_hash, row_hash)
        SELECT 'mallory', 'admin', 'env.add', max(seq) + 1, repeat('0', 64), repeat('0', 64) FROM audit_log"
RX=$(su_sql -c "SELECT id FROM audit_log WHERE actor = 'mallory'")
expect_fail 1 "chain +changed .*row $RX " as viewer rewindctl audit verify
tamper "DELETE FROM audit_log WHERE actor = 'mallory'"

# A rewritten chain (edit, then re-hash everything after it): only the signed head can tell.
REHASH="DO \$\$ DECLARE r record; h text; BEGIN
  SELECT row_hash INTO h FROM audit_log WHERE seq = 1;
  FOR r IN SELECT * FROM audit_log WHERE seq > 1 ORDER BY seq LOOP
    UPDATE audit_log SET prev_hash = h, row_hash = rw_audit_hash(h, rw_audit_canon(r.seq, r.at, r.actor,
      r.role, r.action, r.target, r.detail, r.reason, r.incident_id, r.digests)) WHERE id = r.id
      RETURNING row_hash INTO h;
  END LOOP; END \$\$"
tamper "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2; $REHASH"
expect_fail 1 "chain +head-mismatch .*signed head [0-9]+ \(position $NROWS\) no longer matches" as viewer rewindctl audit verify
tamper "UPDATE audit_log SET actor = 'admin-user' WHERE seq = 2; $REHASH"
expect_out 'summary +intact' as viewer rewindctl audit verify

# A forged head (a signature altered) and a head by an unknown key.
su_sql -c "INSERT INTO audit_heads (seq, row_hash, signed_at, signer, key_id, signature)
           SELECT seq, row_hash, signed_at + interval '1 second', signer, key_id, signature FROM audit_heads LIMIT 1"
HF=$(su_sql -c "SELECT max(id) FROM audit_heads")
expect_fail 1 "head +forged +$NROWS +$HF +head $HF: signature does not verify" as viewer rewindctl audit verify
su_sql -c "ALTER TABLE audit_heads DISABLE TRIGGER USER; DELETE FROM audit_heads WHERE id = $HF; ALTER TABLE audit_heads ENABLE TRIGGER USER"
su_sql -c "INSERT INTO audit_heads (seq, row_hash, signed_at, signer, key_id, signature)
           SELECT seq, row_hash, signed_at, 'other', repeat('a', 64), signature FROM audit_heads LIMIT 1"
expect_out 'head +foreign .*signed by another key' as viewer rewindctl audit verify
check 'printf "%s" "$OUT" | grep -Eq "summary +intact"' "a head by another key is reported, not an accusation"

# Rows deleted from the end, below a signed head.
su_sql -c "CREATE TABLE tamper_tail AS SELECT * FROM audit_log WHERE seq = $NROWS"
tamper "DELETE FROM audit_log WHERE seq = $NROWS"
expect_fail 1 "head-mismatch .*covers position $NROWS but the chain ends at $((NROWS - 1))" as viewer rewindctl audit verify
tamper "INSERT INTO audit_log SELECT * FROM tamper_tail"
expect_out 'summary +intact' as viewer rewindctl audit verify

# --- the timeline -------------------------------------------------------------------------
TL="--env production --since 2026-03-01T06:00:00Z --until 2026-03-02T18:00:00Z"
as viewer rewindctl audit timeline $TL -o svg
printf '%s\n' "$OUT" >"$IT_DIR/timeline.svg"
check '[ "$RC" -eq 0 ] && python3 -c "import sys,xml.etree.ElementTree as E; t=E.parse(sys.argv[1]); print(t.getroot().tag)" "$IT_DIR/timeline.svg" | grep -q "}svg"' "timeline SVG is well-formed XML"
check 'grep -q "checkout &lt;down&gt; &amp; &quot;slow&quot;" "$IT_DIR/timeline.svg" && ! grep -q "<down>" "$IT_DIR/timeline.svg"' "timeline escapes text"
check '[ "$(grep -c "<title>rollback " "$IT_DIR/timeline.svg")" -eq 2 ]' "timeline draws both rollbacks"
as viewer rewindctl audit timeline $TL -o json
check '[ "$(json_get "len([r for r in j if r[\"item\"] in (\"deploy\",\"rollback\",\"hotfix\")])")" = "7" ]' "timeline items"
as viewer rewindctl audit timeline $TL -o html
printf '%s\n' "$OUT" >"$IT_DIR/timeline.html"
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
	check 'false' "chromium is installed (scripts/setup-deps.sh)"
else
	( cd "$IT_DIR" && timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update --disable-sync --no-first-run \
		--user-data-dir="$(mktemp -d "$IT_DIR/chrome.XXXXXX")" --screenshot="$IT_DIR/timeline.png" \
		--window-size=1200,800 "file://$IT_DIR/timeline.html" >"$IT_DIR/chrome.log" 2>&1 ) || true
	OUT=$(python3 "$IT_SRC/tests/integration/pngcheck.py" "$IT_DIR/timeline.png" 2>&1) && RC=0 || RC=$?
	check '[ "$RC" -eq 0 ] && printf "%s" "$OUT" | grep -q "^1200x800 "' "timeline renders in Chromium: 1200x800, not blank, expected colours"
fi

# --- periodic signing ------------------------------------------------------------------------
it_rewindd_stop
H0=$(su_sql -c "SELECT count(*) FROM audit_heads")
it_rewindd_start --db "$(role_url rewind_app)" --audit-sign-interval 1
expect_out 'recorded' as operator rewindctl release record --service mr-dj-frontend --image $FE:v4 --digest "$(dg 4)"
for i in $(seq 1 50); do
	[ "$(su_sql -c "SELECT count(*) FROM audit_heads")" -gt "$H0" ] && break
	sleep 0.1
done
expect_sql "t" "SELECT (SELECT max(seq) FROM audit_heads) = (SELECT max(seq) FROM audit_log)"
expect_out 'summary +intact' as viewer rewindctl audit verify

it_done
