#!/usr/bin/env bash
# Config archives, migration scripts, the artifact store and its verification,
# and database backups of a real PostgreSQL database verified by restore
# (docs/artifacts.md).
source "$(dirname "$0")/lib.sh" "$@"
it_setup
STORE=$IT_DIR/store
it_rewindd_start --artifact-dir "$STORE" --pg-bin "$PGTEST_BIN" --backup-timeout 60

FE=ghcr.io/crisisk/mr-dj-frontend
PIN=sha256:$(printf 'fe' | sha256sum | cut -c1-64)
as admin rewindctl service add mr-dj-frontend --image $FE

# --- config archives and migrations with a release ---------------------------------
W=$IT_DIR/work
mkdir -p "$W/infra/k8s" "$W/docs" "$W/migrations"
printf 'apiVersion: apps/v1\nkind: Deployment\n' >"$W/infra/k8s/frontend-nextjs.yaml"
printf '# Deployment guide\n' >"$W/docs/deployment-guide.md"
printf 'ALTER TABLE orders ADD COLUMN note text;\n' >"$W/migrations/0042_note.sql"
cd "$W"
# A missing or unreadable (here: not a regular file) config file stops everything: nothing recorded.
expect_fail 2 'docs/missing.md: No such file' as operator rewindctl release record --service mr-dj-frontend --image $FE:v0 --digest $PIN --config-file docs/missing.md
expect_fail 2 'docs: not a regular file' as operator rewindctl release record --service mr-dj-frontend --image $FE:v0 --digest $PIN --config-file docs
expect_fail 2 'with .\.\.. cannot go' as operator rewindctl release record --service mr-dj-frontend --image $FE:v0 --digest $PIN --config-file ../work/docs/deployment-guide.md
expect_out '^ID' as viewer rewindctl release list
check '! printf "%s" "$OUT" | grep -q v0' "no release recorded after a bad config file"

expect_out 'artifact/[0-9]+ mr-dj-frontend-v1-config-archive.tar.gz stored' as operator rewindctl release record \
	--service mr-dj-frontend --image $FE:v1 --digest $PIN \
	--config-file infra/k8s/frontend-nextjs.yaml --config-file docs/deployment-guide.md \
	--migration migrations/0042_note.sql --migrations-backward-compatible no
check 'printf "%s" "$OUT" | grep -q "mr-dj-frontend-v1-migration.tar.gz stored"' "migration archive stored"
cd - >/dev/null
expect_out 'Migrations: +NO' as viewer rewindctl release show --service mr-dj-frontend --version v1
check 'printf "%s" "$OUT" | grep -Eq "config-archive +mr-dj-frontend-v1-config-archive.tar.gz"' "release show lists the archive"
expect_out "Deploys as: +$FE@$PIN" as viewer rewindctl release show --service mr-dj-frontend --version v1
# The archive holds the files under their relative paths, and sha256sum -c agrees.
tar -tzf "$STORE/by-name/mr-dj-frontend-v1-config-archive.tar.gz" >"$IT_DIR/list" 2>&1
check 'grep -qx infra/k8s/frontend-nextjs.yaml "$IT_DIR/list" && grep -qx docs/deployment-guide.md "$IT_DIR/list"' "archive contents"
check '(cd "$STORE" && sha256sum -c --quiet SHA256SUMS.txt)' "sha256sum -c SHA256SUMS.txt passes"
check '[ "$(wc -l <"$STORE/SHA256SUMS.txt")" -eq 2 ]' "one SHA256SUMS line per artifact"
# One archive of a kind per release; artifact add for another release works.
expect_out 'recorded' as operator rewindctl release record --service mr-dj-frontend --image $FE:v2 --digest $PIN
V2=$(printf '%s' "$OUT" | sed -n 's/.*(id \([0-9]*\),.*/\1/p')
expect_out 'mr-dj-frontend-v2-config-archive.tar.gz stored' as operator rewindctl artifact add --release "$V2" --config-file "$W/docs/deployment-guide.md"
expect_fail 1 'already' as operator rewindctl artifact add --release "$V2" --config-file "$W/infra/k8s/frontend-nextjs.yaml"
expect_fail 5 'release not found' as operator rewindctl artifact add --release 999 --config-file "$W/docs/deployment-guide.md"
expect_fail 4 'role viewer may not' as viewer rewindctl artifact add --release "$V2" --migration "$W/migrations/0042_note.sql"
# A big archive (incompressible 6 MiB) crosses the 64 KiB request bound as an upload.
head -c $((6 * 1024 * 1024)) /dev/urandom >"$IT_DIR/big.bin"
t0=$(date +%s%N)
expect_out 'migration.tar.gz stored' as operator rewindctl artifact add --release "$V2" --migration "$IT_DIR/big.bin"
t1=$(date +%s%N)
echo "metric: 6 MiB archive packed, sent and stored in $(((t1 - t0) / 1000000)) ms"

# --- verify, then tamper -------------------------------------------------------------------
t0=$(date +%s%N)
expect_out '4 checked, 4 ok, 0 failed' as operator rewindctl artifact verify
t1=$(date +%s%N)
echo "metric: artifact verify of ~6.1 MiB in 4 files: $(((t1 - t0) / 1000000)) ms"
expect_fail 4 'role viewer may not verify' as viewer rewindctl artifact verify
CFG=$(sed -n 's/^\([0-9a-f]*\)  by-name\/mr-dj-frontend-v1-config-archive.tar.gz$/\1/p' "$STORE/SHA256SUMS.txt")
MIG=$(sed -n 's/^\([0-9a-f]*\)  by-name\/mr-dj-frontend-v1-migration.tar.gz$/\1/p' "$STORE/SHA256SUMS.txt")
printf 'x' >>"$STORE/sha256/$CFG"                    # changed in place (same inode as by-name/)
rm -f "$STORE/sha256/$MIG"
expect_fail 1 '2 stored files are changed or missing' as operator rewindctl artifact verify
check 'printf "%s" "$OUT" | grep -Eq "config-archive .* mismatch"' "tampered archive reported as mismatch"
check 'printf "%s" "$OUT" | grep -Eq "migration .* missing"' "deleted archive reported as missing"
expect_out 'mismatch' as viewer rewindctl artifact list --release 1
expect_out '"verified": false' as viewer rewindctl artifact list --release 1 -o json
check '! (cd "$STORE" && sha256sum -c --quiet SHA256SUMS.txt >/dev/null 2>&1)' "sha256sum -c sees it too"

# --- database snapshots ------------------------------------------------------------------
APPPW=app-s3cret-pw
psql -X -q -v ON_ERROR_STOP=1 "$PGTEST_ADMIN_URL" -c "CREATE DATABASE shop" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 "postgresql://postgres@127.0.0.1:$PGTEST_PORT/shop" \
	-c "CREATE TABLE orders (id int PRIMARY KEY, what text); INSERT INTO orders SELECT g, 'order ' || g FROM generate_series(1, 20000) g" >/dev/null
APPURL="postgresql://postgres:$APPPW@127.0.0.1:$PGTEST_PORT/shop"
as admin rewindctl env add production --cluster prod
as admin rewindctl env add staging --cluster stg
expect_fail 4 'role operator may not' as operator rewindctl env set-db production --db-url "$APPURL"
expect_out 'environment/production database set' as admin rewindctl env set-db production --db-url "$APPURL" \
	--sanity-sql "SELECT count(*) FROM orders HAVING count(*) = 20000" --sanity-sql "SELECT 1 FROM orders WHERE id = 1"
check '! printf "%s" "$OUT" | grep -q "$APPPW"' "env set-db does not echo the password"
# staging: same database, but a sanity query on a table that does not exist.
as admin rewindctl env set-db staging --db-url "$APPURL" --sanity-sql "SELECT 1 FROM missing_table"
expect_fail 5 'no database configured' as operator rewindctl backup run --env nowhere

t0=$(date +%s%N)
expect_out 'backup/production/1 taken \(pg_dump' as operator rewindctl backup run --env production
t1=$(date +%s%N)
expect_out 'verified by restore' as operator rewindctl backup verify 1
t2=$(date +%s%N)
echo "metric: pg_dump of 20000 rows $(((t1 - t0) / 1000000)) ms; restore + 2 sanity queries + drop $(((t2 - t1) / 1000000)) ms"
expect_out 'backup/staging/2 taken' as operator rewindctl backup run --env staging
expect_fail 1 'sanity query 1 failed: .*missing_table' as operator rewindctl backup verify 2
expect_out 'FAILED' as viewer rewindctl backup list --env staging
check '! printf "%s" "$OUT" | grep -q "\*"' "no latest verified backup in staging"
# A dump changed on disk fails before any restore.
expect_out 'backup/production/3 taken' as operator rewindctl backup run --env production
B3=$(as viewer rewindctl backup list --env production -o json; printf '%s' "$OUT" | sed -n 's/.*"location": "sha256\/\([0-9a-f]*\)".*/\1/p' | head -1)
dd if=/dev/zero of="$STORE/sha256/$B3" bs=1 count=64 seek=100 conv=notrunc status=none
expect_fail 1 'did not verify: dump file .*mismatch' as operator rewindctl backup verify 3
# A garbage dump with a matching record cannot be made through the API; a dump that
# is not pg_dump output at all fails to restore: register one taken "elsewhere".
expect_out 'recorded' as operator rewindctl backup record --env production --location s3://backups/prod-managed.dump \
	--sha256 "$(printf 'm' | sha256sum | cut -c1-64)" --size 12345 --kind managed --verified
expect_fail 1 'not in this server.s artifact store' as operator rewindctl backup verify 4
# Latest verified: the managed backup (4), it was verified elsewhere; then 1 below it.
expect_out '^ID' as viewer rewindctl backup list --env production
check 'printf "%s" "$OUT" | grep -Eq "^4 +production +managed .* yes +\*"' "latest verified is the managed backup"
check 'printf "%s" "$OUT" | grep -Eq "^3 .*FAILED"' "tampered dump marked FAILED"
check 'printf "%s" "$OUT" | grep -Eq "^1 .* yes +[^*]"' "backup 1 verified"
expect_fail 4 'role viewer may not run backups' as viewer rewindctl backup run --env production
# artifact verify re-hashes dumps too: backup 3 already failed; 1 and 2 are intact.
as operator rewindctl artifact verify
check 'printf "%s" "$OUT" | grep -Eq "backup .* mismatch"' "artifact verify reports the changed dump"

# Every scratch database is gone; the password is nowhere in logs or the audit log.
SCRATCH=$(psql -X -At "$PGTEST_ADMIN_URL" -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'rewind_verify_%'")
check '[ "$SCRATCH" = 0 ]' "scratch databases dropped"
expect_out 'backup.verify' as viewer rewindctl audit log -o json
check '! printf "%s" "$OUT" | grep -q "$APPPW"' "audit log has no password"
check 'printf "%s" "$OUT" | grep -q "env.set-db"' "env.set-db audited"
check '! grep -q "$APPPW" "$IT_DIR"/rewindd.log*' "rewindd log has no password"
it_done
