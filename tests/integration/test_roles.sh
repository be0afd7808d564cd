#!/usr/bin/env bash
# Role matrix over real TLS: who may do what (docs/architecture.md, "Roles").
source "$(dirname "$0")/lib.sh" "$@"
it_setup
it_rewindd_start

FE=ghcr.io/crisisk/mr-dj-frontend

# admin: manage environments and services, and record releases too.
expect_out 'environment/production added' as admin rewindctl env add production --cluster prod
expect_out 'service/mr-dj-frontend added' as admin rewindctl service add mr-dj-frontend --image $FE --health-path /api/health
expect_out 'recorded' as admin rewindctl release record --allow-unpinned --service mr-dj-frontend --image $FE:v1

# operator: record, read; not manage services or environments.
expect_out 'release/mr-dj-frontend/v2 recorded' as operator rewindctl release record --allow-unpinned --service mr-dj-frontend --image $FE:v2
expect_fail 4 'role operator may not add services' as operator rewindctl service add other --image ghcr.io/x/other
expect_fail 4 'role operator may not add environments' as operator rewindctl env add staging --cluster stg
expect_out 'v2' as operator rewindctl history --service mr-dj-frontend

# viewer: read only.
expect_out 'mr-dj-frontend' as viewer rewindctl service list
expect_out 'v1' as viewer rewindctl release list
expect_out 'production' as viewer rewindctl env list
expect_out 'release.record' as viewer rewindctl audit log
expect_fail 4 'role viewer may not record releases' as viewer rewindctl release record --allow-unpinned --service mr-dj-frontend --image $FE:v3
expect_fail 4 'role viewer may not add services' as viewer rewindctl service add x --image ghcr.io/x/x

# agent: only agent messages; no console reads or writes.
expect_fail 4 'role agent may not' as agent rewindctl release list
expect_fail 4 'role agent may not' as agent rewindctl release record --allow-unpinned --service mr-dj-frontend --image $FE:v4

# Nothing refused was written: exactly v1 and v2 exist, and the audit log names who did what.
expect_out '"version": "v2"' as viewer rewindctl release list -o json
check '[ "$(printf "%s" "$OUT" | grep -c "\"version\"")" -eq 2 ]' "exactly two releases recorded"
expect_out 'operator-user +operator +release.record +release/mr-dj-frontend/v2' as viewer rewindctl audit log
expect_out 'admin-user +admin +service.add' as viewer rewindctl audit log --action service.
check '! printf "%s" "$OUT" | grep -q release.record' "audit --action filter"

# The identity the server bound is the certificate's: JSON output carries recordedBy.
expect_out '"recordedBy": "operator-user"' as viewer rewindctl release show --service mr-dj-frontend --version v2 -o json

it_done
