#!/usr/bin/env bash
# Digest pinning against real registries on loopback (docs/artifacts.md):
#   * Debian's docker-registry, anonymous: push an image over the HTTP API,
#     record it, re-push the tag with other content, the recorded digest stays;
#   * docker-registry behind htpasswd (HTTP basic): no, wrong and right credentials;
#   * a small python fake (registry_tool.py serve) for what a real registry will
#     not do on request: 500, garbage, a lying Docker-Content-Digest, a 5 MiB
#     body, and the bearer-token challenge flow GHCR uses.
source "$(dirname "$0")/lib.sh" "$@"
TOOL="python3 $IT_SRC/tests/integration/registry_tool.py"
command -v docker-registry >/dev/null || die "docker-registry not installed (scripts/setup-deps.sh)"
it_setup
it_rewindd_start

# registry_start NAME PORT [htpasswd]: docker-registry with its storage in the test dir.
registry_start() {
	local name=$1 port=$2 dir="$IT_DIR/$1"
	mkdir -p "$dir/data"
	{
		printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n'
		printf 'storage:\n  filesystem:\n    rootdirectory: %s/data\n' "$dir"
		printf 'http:\n  addr: 127.0.0.1:%s\n' "$port"
		if [ -n "${3:-}" ]; then
			printf 'auth:\n  htpasswd:\n    realm: rewind-test\n    path: %s\n' "$3"
		fi
	} >"$dir/config.yml"
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
	IT_PIDS+=($!)
	local i
	for i in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.05
	done
	die "docker-registry $name did not start"
}

P1=$(free_port)
P2=$(free_port)
P3=$(free_port)
htpasswd -Bbc "$IT_DIR/htpasswd" pusher pushpw >/dev/null 2>&1
registry_start open "$P1"
registry_start locked "$P2" "$IT_DIR/htpasswd"
$TOOL serve "$P3" >"$IT_DIR/fake.log" 2>&1 &
IT_PIDS+=($!)
for i in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$P3") 2>/dev/null && break; sleep 0.05; done

R1=127.0.0.1:$P1/team/app
R2=127.0.0.1:$P2/team/priv
R3=127.0.0.1:$P3
as admin rewindctl service add app --image "$R1"
as admin rewindctl service add priv --image "$R2"
as admin rewindctl service add fake --image "$R3/private/app"

# --- the real flow: push, pin, re-push, the pin stays ------------------------
D1=$($TOOL push "http://127.0.0.1:$P1" team/app v1 first) || die "push to docker-registry"
t0=$(date +%s%N)
expect_out "release/app/v1 recorded .*@$D1" as operator rewindctl release record --service app --image "$R1:v1" --registry-insecure
t1=$(date +%s%N)
echo "metric: release record with digest resolution (HEAD+GET, loopback registry, incl. TLS session): $(((t1 - t0) / 1000000)) ms"
D2=$($TOOL push "http://127.0.0.1:$P1" team/app v1 second)
check '[ "$D1" != "$D2" ] && [ "$($TOOL head "http://127.0.0.1:$P1" team/app v1)" = "$D2" ]' "re-pushed tag moved in the registry"
expect_out "Digest: +$D1" as viewer rewindctl release show --service app --version v1
expect_out "Deploys as: +$R1@$D1" as viewer rewindctl release show --service app --version v1
expect_fail 1 'already has a release "v1"' as operator rewindctl release record --service app --image "$R1:v1" --registry-insecure
# The new content is a new release, pinned to the new digest.
$TOOL push "http://127.0.0.1:$P1" team/app v2 second >/dev/null
expect_out "release/app/v2 recorded .*@$D2" as operator rewindctl release record --service app --image "$R1:v2" --registry-insecure
expect_out "\"pinnedRef\": \"$R1@$D1\"" as viewer rewindctl release show --service app --version v1 -o json

# --- bad input from a real registry ---------------------------------------------
expect_fail 5 'not found in the registry' as operator rewindctl release record --service app --image "$R1:nope" --registry-insecure
expect_fail 5 'not found in the registry' as operator rewindctl release record --service app --image "$R1-other:v1" --registry-insecure
# plain http only for loopback; https to a plain-http registry fails cleanly
expect_fail 1 'loopback registries only' as operator rewindctl release record --service app --image "ghcr.io/x/app:v1" --registry-insecure
expect_fail 1 'cannot pin' as operator rewindctl release record --service app --image "$R1:v1b"

# --- basic auth (htpasswd) -------------------------------------------------------------
$TOOL push "http://127.0.0.1:$P2" team/priv v1 locked pusher pushpw >/dev/null || die "push to the htpasswd registry"
expect_fail 1 'registry needs credentials' as operator rewindctl release record --service priv --image "$R2:v1" --registry-insecure
REWIND_REGISTRY_USER=pusher REWIND_REGISTRY_PASSWORD=wrong \
	expect_fail 1 'refused the credentials' as operator rewindctl release record --service priv --image "$R2:v1" --registry-insecure
check '! printf "%s" "$OUT" | grep -q wrong' "the password is not echoed"
REWIND_REGISTRY_USER=pusher REWIND_REGISTRY_PASSWORD=pushpw \
	expect_out 'release/priv/v1 recorded .*@sha256:' as operator rewindctl release record --service priv --image "$R2:v1" --registry-insecure
printf '# host user password\n127.0.0.1:%s pusher pushpw\n' "$P2" >"$IT_DIR/registry-auth"
chmod 0644 "$IT_DIR/registry-auth"
expect_fail 2 'readable by others' as operator rewindctl release record --service priv --image "$R2:v2" --registry-insecure --registry-auth "$IT_DIR/registry-auth"
chmod 0600 "$IT_DIR/registry-auth"
$TOOL push "http://127.0.0.1:$P2" team/priv v2 locked2 pusher pushpw >/dev/null
expect_out 'release/priv/v2 recorded .*@sha256:' as operator rewindctl release record --service priv --image "$R2:v2" --registry-insecure --registry-auth "$IT_DIR/registry-auth"

# --- a registry that misbehaves (fake) ----------------------------------------------------
expect_fail 1 'HTTP 500' as operator rewindctl release record --service fake --image "$R3/err500:v1" --registry-insecure
expect_fail 1 'not a manifest' as operator rewindctl release record --service fake --image "$R3/garbage:v1" --registry-insecure
expect_fail 1 'hash to sha256:' as operator rewindctl release record --service fake --image "$R3/wrongdigest:v1" --registry-insecure
expect_fail 1 'larger than' as operator rewindctl release record --service fake --image "$R3/big:v1" --registry-insecure
# bearer challenge (GHCR flow): anonymous refused, wrong password refused, right one pinned
expect_fail 1 'token service refused anonymous' as operator rewindctl release record --service fake --image "$R3/private/app:v1" --registry-insecure
REWIND_REGISTRY_USER=tester REWIND_REGISTRY_PASSWORD=nope \
	expect_fail 1 'token service refused the credentials' as operator rewindctl release record --service fake --image "$R3/private/app:v1" --registry-insecure
REWIND_REGISTRY_USER=tester REWIND_REGISTRY_PASSWORD=s3cret \
	expect_out 'release/fake/v1 recorded .*@sha256:' as operator rewindctl release record --service fake --image "$R3/private/app:v1" --registry-insecure

# --- unreachable: an error, or UNPINNED only when asked -----------------------------------
DEAD=127.0.0.1:$(free_port)
as admin rewindctl service add gone --image "$DEAD/team/gone"
expect_fail 1 'allow-unpinned' as operator rewindctl release record --service gone --image "$DEAD/team/gone:v1" --registry-insecure
expect_out 'UNPINNED' as operator rewindctl release record --service gone --image "$DEAD/team/gone:v1" --registry-insecure --allow-unpinned
expect_out 'UNPINNED' as viewer rewindctl release show --service gone --version v1
expect_out 'gone +v1 .*UNPINNED' as viewer rewindctl release list
# --allow-unpinned never hides a registry that answered: a missing tag is still an error
expect_fail 5 'not found' as operator rewindctl release record --service app --image "$R1:missing" --registry-insecure --allow-unpinned

# Nothing refused was recorded: app v1 v2, priv v1 v2, fake v1, gone v1.
expect_out '"version"' as viewer rewindctl release list -o json
check '[ "$(printf "%s" "$OUT" | grep -c "\"version\"")" -eq 6 ]' "exactly six releases recorded"
it_done
