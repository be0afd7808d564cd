#!/usr/bin/env bash
# Two servers migrating one empty database at the same moment: both succeed,
# each migration is applied exactly once, and a third run applies nothing.
source "$(dirname "$0")/lib.sh" "$@"
it_setup

for round in 1 2 3; do
	pgtest_psql -q -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;' >/dev/null 2>&1
	"$IT_BIN/rewindd" --db "$PGTEST_URL" --migrate-only --log-file "$IT_DIR/m1.log" & a=$!
	"$IT_BIN/rewindd" --db "$PGTEST_URL" --migrate-only --log-file "$IT_DIR/m2.log" & b=$!
	RC=0; wait $a || RC=$?
	check '[ "$RC" -eq 0 ]' "round $round: first migrator succeeded"
	RC=0; wait $b || RC=$?
	check '[ "$RC" -eq 0 ]' "round $round: second migrator succeeded"
	OUT=$(pgtest_psql -tA -c 'SELECT version, count(*) FROM schema_migrations GROUP BY version HAVING count(*) > 1')
	check '[ -z "$OUT" ]' "round $round: no migration recorded twice"
	OUT=$(grep -h 'store.migrate ' "$IT_DIR/m1.log" "$IT_DIR/m2.log" | wc -l)
	want=$(ls "$IT_SRC/server/store/migrations/"*.sql | wc -l)
	check '[ "$OUT" -eq "$want" ]' "round $round: each of $want migrations applied by exactly one server"
	rm -f "$IT_DIR/m1.log" "$IT_DIR/m2.log"
done

# Idempotent: another run applies nothing and reports the same version.
run rewindd --db "$PGTEST_URL" --migrate-only
check '[ "$RC" -eq 0 ] && printf "%s" "$OUT" | grep -q "applied=0"' "re-run applies nothing"

# The audit log is append-only in the database itself.
OUT=$(pgtest_psql -c "INSERT INTO audit_log (actor, role, action, target) VALUES ('t','admin','x','y')" 2>&1) || true
OUT=$(pgtest_psql -c "UPDATE audit_log SET actor = 'forged'" 2>&1) && RC=0 || RC=$?
check '[ "$RC" -ne 0 ]' "UPDATE of audit_log refused"
OUT=$(pgtest_psql -c "DELETE FROM audit_log" 2>&1) && RC=0 || RC=$?
check '[ "$RC" -ne 0 ]' "DELETE from audit_log refused"

# A database that cannot be reached: a clear error and exit 1, no crash.
run rewindd --db "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2" --migrate-only
check '[ "$RC" -eq 1 ] && printf "%s" "$OUT" | grep -q "cannot connect to the database"' "unreachable database reported"
check '! printf "%s" "$OUT" | grep -qi "password"' "no secrets in the message"

it_done
