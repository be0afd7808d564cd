#!/usr/bin/env bash
# Bad input over the real link: each gets a clear error, the server keeps
# serving everyone else, and nothing is half-written.
source "$(dirname "$0")/lib.sh" "$@"
it_setup
it_rewindd_start

FE=ghcr.io/crisisk/mr-dj-frontend
PB="python3 $(dirname "$0")/pbenc.py"
P=$IT_DIR/pki
raw() { as "$1" rwraw --server "$IT_URL" --ca "$P/ca.crt" --cert "$P/$1-user.crt" --key "$P/$1-user.key" "${@:2}"; }

as admin rewindctl service add mr-dj-frontend --image $FE
as admin rewindctl env add production --cluster prod
as operator rewindctl release record --allow-unpinned --service mr-dj-frontend --image $FE:v1

# --- malformed wire messages (authenticated session) ---
expect_out '^error EPROTO not a valid Rewind envelope' raw operator --hex ffffffffffff
expect_out '^error EVERSION protocol version 2 not supported' raw operator --hex "$($PB envelope 2 7 10 '')"
expect_out '^error EPROTO unknown message type' raw operator --hex "$($PB envelope 1 7 99 '')"
expect_out '^error EPROTO not a request' raw operator --hex "$($PB envelope 1 7 21 '')"
# Requests on a pipe that never proved its identity are refused.
expect_out '^error EAUTH session not authenticated' raw operator --no-auth
# Oversized: above 64 KiB only an artifact upload is accepted (ETOOBIG for
# anything else); above the upload bound (16 MiB + 64 KiB) NNG drops it and the
# client sees no reply.
expect_out '^error ETOOBIG message larger than allowed' raw operator --size 200000
# (Above the upload bound: at the end of this test, see there.)
# Fields checked on the server, not only by rewindctl.
long=$(printf 'a%.0s' $(seq 1 64))
expect_out '^error ETOOBIG name: too long' raw admin --hex "$($PB envelope 1 3 24 "$($PB service "$long")")"
expect_out '^error EINVAL name: may contain only' raw admin --hex "$($PB envelope 1 3 24 "$($PB service 'Bad_Name')")"
expect_out '^error EINVAL image: ' raw operator --hex "$($PB envelope 1 3 30 "$($PB release mr-dj-frontend v9 'not an image')")"
expect_out '^error EINVAL notes: must be UTF-8' raw operator --hex "$($PB envelope 1 3 30 "$($PB release mr-dj-frontend v9 "$FE:v9" $'bell\a')")"
expect_out '^error EINVAL image .* is not in the repository' raw operator --hex "$($PB envelope 1 3 30 "$($PB release mr-dj-frontend v9 ghcr.io/evil/other:v9)")"

# --- unknown objects ---
expect_fail 5 'service "nope" not found' as operator rewindctl release record --allow-unpinned --service nope --image $FE:v2
expect_fail 5 'service "nope" not found' as viewer rewindctl service show nope
expect_fail 5 'unknown service or environment' as viewer rewindctl history --service mr-dj-frontend --env nope
expect_fail 1 'already has a release "v1"' as operator rewindctl release record --allow-unpinned --service mr-dj-frontend --image $FE:v1

# --- SQL metacharacters in every text field are stored verbatim ---
nasty="x'); DROP TABLE releases; -- \"q\" \\\\ ünï"
expect_out 'recorded' as operator rewindctl release record --allow-unpinned --service mr-dj-frontend --image $FE:v2 --notes "$nasty"
expect_out 'DROP TABLE releases' as viewer rewindctl release show --service mr-dj-frontend --version v2
check 'printf "%s" "$OUT" | grep -qF -- "$nasty"' "notes round-trip verbatim"
expect_out 'added' as admin rewindctl env add staging --cluster stg --health-url "https://x/'\";--" --health-expect "{\"status\":\"'; DELETE FROM services; --\"}"
expect_out "DELETE FROM services" as viewer rewindctl env list -o json
expect_out 'added' as admin rewindctl service add sqlsvc --namespace ns --deployment d --container c --image ghcr.io/a/b --health-path "/h?q=';--" --health-expect '{"k":"v\"); DROP TABLE audit_log; --"}'
expect_out "DROP TABLE audit_log" as viewer rewindctl service show sqlsvc -o json
expect_out 'mr-dj-frontend' as viewer rewindctl release list

# --- console-side checks: clear message, exit 2, nothing sent ---
expect_fail 2 'too long' as admin rewindctl service add "$long" --image ghcr.io/a/b
expect_fail 2 'unknown flag --bogus' as viewer rewindctl release list --bogus 1
expect_fail 2 'must be a number' as viewer rewindctl release list --limit -5
expect_fail 2 'unknown command' as viewer rewindctl frobnicate
printf 'server = x\nnonsense line\n' > "$IT_DIR/bad.conf"
expect_fail 2 'bad.conf:2: expected key = value' as viewer rewindctl release list --config "$IT_DIR/bad.conf"

# --- identities that must be refused ---
"$IT_BIN/rewindctl" pki init --dir "$IT_DIR/other" >/dev/null
"$IT_BIN/rewindctl" pki issue --dir "$IT_DIR/other" --role admin --name mallory >/dev/null
expect_fail 3 'cannot open a session' run rewindctl release list --cert "$IT_DIR/other/mallory.crt" --key "$IT_DIR/other/mallory.key" --timeout 3
"$IT_TBIN/rwraw" --make-expired "$P" --cert "$IT_DIR/expired.crt" --key "$IT_DIR/expired.key" ||
	die "could not issue an expired certificate"
expect_fail 3 'cannot open a session' run rewindctl release list --cert "$IT_DIR/expired.crt" --key "$IT_DIR/expired.key" --timeout 3
# A viewer's TLS session claiming the admin's certificate cannot sign for it.
expect_fail 1 '^fail EAUTH signature does not match' raw viewer --proof-cert "$P/admin-user.crt" --proof-key "$P/viewer-user.key"
# The server certificate carries no console role.
expect_fail 1 '^fail EAUTH certificate has no Rewind role' raw viewer --proof-cert "$P/server.crt" --proof-key "$P/server.key"

# --- after all that: still serving, nothing half-written ---
check 'kill -0 $IT_RWD_PID' "rewindd still running"
expect_out 'v2' as viewer rewindctl release list -o json
check '[ "$(printf "%s" "$OUT" | grep -c "\"version\"")" -eq 2 ]' "exactly v1 and v2 recorded"
expect_out . as viewer rewindctl audit log -o json
check '[ "$(printf "%s" "$OUT" | grep -c "\"action\"")" -eq 6 ]' "one audit row per accepted change (6)"
check 'grep -q "session.refused" "$IT_DIR/rewindd.log"' "refusals are logged"
check '! grep -q "BEGIN EC PRIVATE KEY\|PRIVATE KEY" "$IT_DIR/rewindd.log"' "no key material in logs"

# --- above the upload bound (16 MiB + 64 KiB): last, see docs/reliability.md ---
# NNG drops such a message and the client sees no reply.  Two NNG 1.5.2 defects
# show up here: the client's nng_close() sometimes never returns (≈ 1 in 12;
# link_close() gives up after 3 s and says so), and now and then (≈ 1 in 80
# requests here) rewindd's listener stops taking new sessions afterwards — not
# fixed (docs/reliability.md, "Known defects"), so this part runs after every
# other check and the server's state afterwards is printed, not asserted.
# Thirteen requests, so this test hangs (until ctest's timeout) more often
# than not if the client-side bound is lost.
stuck=0
for i in $(seq 1 13); do
	expect_fail 1 '^fail (ETIMEDOUT|ECONNECT)' raw operator --size 17000000
	grep -q 'link.close-stuck' <<<"$OUT" && stuck=$((stuck + 1))
done
echo "oversized request x13: $stuck closes hit the 3 s bound"
as viewer rewindctl release list
echo "rewindd answering after them: $([ "$RC" -eq 0 ] && echo yes || echo "no (rc=$RC)")"

it_done
