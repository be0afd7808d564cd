# lib.sh — shared helpers for Rewind's integration tests (bash).
#
#   source tests/integration/lib.sh "$BIN_DIR" "$TEST_BIN_DIR"
#   it_setup                 # temp dir, PostgreSQL, PKI with one cert per role
#   it_rewindd_start         # rewindd on a free port; REWIND_* exported for rewindctl
#   as admin rewindctl ...   # run rewindctl with the admin certificate
#   expect_rc 4 as viewer rewindctl release record ...
#   expect_out "pattern" as viewer rewindctl release list
#
# Every helper fails the test (exit 1) with a message naming what was
# expected; cleanup (processes, PostgreSQL, temp dir) runs on EXIT.

set -euo pipefail

IT_BIN=$(cd "${1:?binary dir}" && pwd)
IT_TBIN=$(cd "${2:?test binary dir}" && pwd)
IT_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IT_PIDS=()
IT_FAILS=0
IT_CHECKS=0

# shellcheck source=../lib/pgtest.sh
source "$IT_SRC/tests/lib/pgtest.sh"
# shellcheck source=../lib/kubesim.sh
source "$IT_SRC/tests/lib/kubesim.sh"

it_cleanup() {
	local p
	for p in "${IT_PIDS[@]:-}"; do
		[ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
	done
	pgtest_stop >/dev/null 2>&1 || true
	# IT_KEEP=1 keeps the logs and data of a run to look at.
	if [ -n "${IT_KEEP:-}" ]; then
		echo "kept: $IT_DIR" >&2
	elif [ -n "${IT_DIR:-}" ]; then
		rm -rf "$IT_DIR"
	fi
}

die() { echo "FAIL: $*" >&2; [ -f "${IT_DIR:-/nonexistent}/rewindd.log" ] && tail -20 "$IT_DIR/rewindd.log" >&2; exit 1; }

# A free TCP port on loopback (bind to 0, read the port, release it).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

it_setup() {
	IT_DIR=$(mktemp -d /tmp/rewind-it.XXXXXX)
	trap it_cleanup EXIT
	pgtest_start >/dev/null || die "PostgreSQL did not start"
	"$IT_BIN/rewindctl" pki init --dir "$IT_DIR/pki" >/dev/null || die "pki init"
	local r
	for r in admin operator viewer; do
		"$IT_BIN/rewindctl" pki issue --dir "$IT_DIR/pki" --role $r --name "$r-user" >/dev/null ||
			die "pki issue $r"
	done
	"$IT_BIN/rewindctl" pki issue --dir "$IT_DIR/pki" --role agent --name prod/node-1 >/dev/null ||
		die "pki issue agent"
}

# Starts rewindd (extra flags pass through); sets IT_URL and REWIND_SERVER/REWIND_CA.
it_rewindd_start() {
	IT_PORT=${IT_PORT:-$(free_port)}
	IT_URL="tls+tcp://127.0.0.1:$IT_PORT"
	# Keep earlier runs' logs, but wait for this run's "listening" line.
	[ -f "$IT_DIR/rewindd.log" ] && mv "$IT_DIR/rewindd.log" "$IT_DIR/rewindd.log.$(date +%s%N)"
	"$IT_BIN/rewindd" --db "$PGTEST_URL" --pki-dir "$IT_DIR/pki" --listen "$IT_URL" \
		--log-file "$IT_DIR/rewindd.log" "$@" &
	IT_RWD_PID=$!
	IT_PIDS+=("$IT_RWD_PID")
	export REWIND_SERVER="$IT_URL" REWIND_CA="$IT_DIR/pki/ca.crt"
	local i
	for i in $(seq 1 100); do
		grep -q ' listening ' "$IT_DIR/rewindd.log" 2>/dev/null && return 0
		kill -0 "$IT_RWD_PID" 2>/dev/null || die "rewindd exited at start"
		sleep 0.05
	done
	die "rewindd did not start listening"
}

it_rewindd_stop() {
	local sig=${1:-TERM}
	kill -"$sig" "$IT_RWD_PID" 2>/dev/null || true
	wait "$IT_RWD_PID" 2>/dev/null || true
}

# as ROLE CMD...: runs CMD with that role's certificate in the environment.
as() {
	local who=$1
	shift
	case "$who" in
	agent) REWIND_CERT="$IT_DIR/pki/prod_node-1.crt" REWIND_KEY="$IT_DIR/pki/prod_node-1.key" run "$@" ;;
	*) REWIND_CERT="$IT_DIR/pki/$who-user.crt" REWIND_KEY="$IT_DIR/pki/$who-user.key" run "$@" ;;
	esac
}

# run rewindctl|rwraw ARGS...: resolves the program, output in $OUT, code in $RC.
run() {
	local prog=$1
	shift
	case "$prog" in
	rewindctl | rewindd) prog="$IT_BIN/$prog" ;;
	rwraw) prog="$IT_TBIN/rwraw" ;;
	esac
	set +e
	OUT=$("$prog" "$@" 2>&1)
	RC=$?
	set -e
	return 0
}

check() {
	IT_CHECKS=$((IT_CHECKS + 1))
	# pipefail off for the condition: `printf | grep -q` may end printf with
	# SIGPIPE once grep has its match, which is not a failure.
	if ! (set +o pipefail; eval "$1"); then
		echo "FAIL: $2" >&2
		echo "  rc=$RC output:" >&2
		printf '%s\n' "$OUT" | sed 's/^/    /' >&2
		IT_FAILS=$((IT_FAILS + 1))
	fi
}

# expect_rc N CMD...: runs CMD, checks its exit code.
expect_rc() {
	local want=$1
	shift
	"$@"
	check '[ "$RC" -eq '"$want"' ]' "expected exit $want from: ${*}"
}

# expect_out REGEX CMD...: runs CMD, checks exit 0 and output matching REGEX.
expect_out() {
	local re=$1
	shift
	"$@"
	check '[ "$RC" -eq 0 ] && printf "%s\n" "$OUT" | grep -Eq -- "$re"' "expected /$re/ from: ${*}"
}

# expect_fail RC REGEX CMD...: exit code RC and message matching REGEX.
expect_fail() {
	local want=$1 re=$2
	shift 2
	"$@"
	check '[ "$RC" -eq '"$want"' ] && printf "%s\n" "$OUT" | grep -Eq -- "$re"' \
		"expected exit $want and /$re/ from: ${*}"
}

it_done() {
	echo "$((IT_CHECKS - IT_FAILS)) passed, $IT_FAILS failed"
	[ "$IT_FAILS" -eq 0 ]
}

# --- simulated clusters and agents -------------------------------------------

# it_cluster NAME [SCENARIO] [KUBESIM FLAGS...]: starts rewind-kubesim over HTTPS
# in $IT_DIR/cluster-NAME (tests/lib/kubesim.sh; further flags are passed to it);
# sets IT_KC_<NAME> (kubeconfig) and IT_HP_<NAME> (health port), '-' in NAME
# becoming '_'.  KSIM_NETNS=NS starts it in that network namespace.
it_cluster() {
	local name=$1 scenario=${2:-$IT_SRC/kubesim/scenarios/test.json}
	shift $(($# < 2 ? $# : 2))
	local dir="$IT_DIR/cluster-$name" rc=0
	ksim_start "$dir" "$IT_BIN/rewind-kubesim" --tls-listen 127.0.0.1:0 --cluster-name "$name" \
		--scenario "$scenario" "$@" || rc=$?
	IT_PIDS+=("$KSIM_PID")
	[ "$rc" -eq 0 ] || die "cluster $name did not start"
	printf -v "IT_KC_${name//-/_}" '%s' "$dir/kubeconfig"
	printf -v "IT_HP_${name//-/_}" '%s' "$(ksim_info "$dir" healthPort)"
}

# it_agent CLUSTER NODE [extra flags]: issues a certificate if needed and
# starts rewind-agent for that node; its pid is in IT_AGENT_PID.
it_agent() {
	local cluster=$1 node=$2
	shift 2
	local kc hp
	kc=$(eval echo "\$IT_KC_$cluster")
	hp=$(eval echo "\$IT_HP_$cluster")
	[ -f "$IT_DIR/pki/${cluster}_$node.crt" ] ||
		"$IT_BIN/rewindctl" pki issue --dir "$IT_DIR/pki" --role agent --name "$cluster/$node" >/dev/null
	"$IT_BIN/rewind-agent" --server "$IT_URL" --ca "$IT_DIR/pki/ca.crt" \
		--cert "$IT_DIR/pki/${cluster}_$node.crt" --key "$IT_DIR/pki/${cluster}_$node.key" \
		--kubeconfig "$kc" --pod-probe-url "http://127.0.0.1:$hp/pods/{namespace}/{pod}{path}" \
		--log-file "$IT_DIR/agent-$cluster-$node.log" "$@" &
	IT_AGENT_PID=$!
	IT_PIDS+=("$IT_AGENT_PID")
}

# kubectl against a simulated cluster, with a private discovery cache.
it_kubectl() {
	local cluster=$1
	shift
	kubectl --kubeconfig "$(eval echo "\$IT_KC_$cluster")" --cache-dir "$IT_DIR/kcache-$cluster" "$@"
}

# until_ok SECONDS CMD...: retries CMD (run via `run`-style helpers) until check passes.
# Usage: until_out SECONDS REGEX CMD... (like expect_out, but waits for it).
# it_wait_until SECS CONDITION: evaluates CONDITION every 0.05 s until it holds
# or SECS have passed; returns its last status (the caller checks it).
it_wait_until() {
	local end=$((SECONDS + $1))
	until eval "$2"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.05
	done
}

until_out() {
	local secs=$1 re=$2
	shift 2
	local end=$((SECONDS + secs))
	while :; do
		"$@"
		if [ "$RC" -eq 0 ] && grep -Eq -- "$re" <<<"$OUT"; then
			check true "waited for /$re/"
			return 0
		fi
		[ $SECONDS -ge $end ] && break
		sleep 0.2
	done
	check false "expected /$re/ within ${secs}s from: ${*}"
}

# --- simulated clusters with agents (coordination tests, demo) -------------------

# it_cluster_start NAME [SCENARIO] [NAGENTS] [KUBESIM FLAGS...]: a rewind-kubesim cluster NAME
# over HTTPS with a token (further flags are passed to rewind-kubesim, e.g. --step-ms), and
# NAGENTS (default 2) rewind-agents (one per node, certificates NAME/NODE) reporting
# to $IT_URL with pod probes through the simulator's health listener.  Sets what it_cluster
# sets and IT_HEALTH_<NAME> (the health base URL, '-' in NAME becomes '_'); the kubeconfig is
# $IT_DIR/cluster-NAME/kubeconfig.  rewindd must be running (it_rewindd_start).
it_cluster_start() {
	local name=$1 scen=${2:-$IT_SRC/kubesim/scenarios/test.json} nagents=${3:-2}
	shift $(($# < 3 ? $# : 3))
	local dir="$IT_DIR/cluster-$name" i node hp="IT_HP_${name//-/_}"
	it_cluster "$name" "$scen" --token "it-token-$name-0123456789" "$@"
	hp=${!hp}
	printf -v "IT_HEALTH_${name//-/_}" '%s' "http://127.0.0.1:$hp"
	i=0
	for node in k3s-server-1 k3s-agent-1; do
		[ "$i" -lt "$nagents" ] || break
		i=$((i + 1))
		[ -f "$IT_DIR/pki/${name}_$node.crt" ] ||
			"$IT_BIN/rewindctl" pki issue --dir "$IT_DIR/pki" --role agent --name "$name/$node" >/dev/null ||
			die "pki issue agent $name/$node"
		"$IT_BIN/rewind-agent" --server "$IT_URL" --ca "$IT_DIR/pki/ca.crt" \
			--cert "$IT_DIR/pki/${name}_$node.crt" --key "$IT_DIR/pki/${name}_$node.key" \
			--kubeconfig "$dir/kubeconfig" --node "$node" --action-wait-ms 2000 \
			--pod-probe-url "http://127.0.0.1:$hp/pods/{namespace}/{pod}{path}" \
			--log-file "$dir/agent-$node.log" &
		IT_PIDS+=($!)
	done
}

# it_runbook_fleet [REWINDD FLAGS...]: the runbook's whole stage on a fresh rewindd:
# it_setup, it_rewindd_start (the flags pass through), clusters prod and staging with two
# agents each (it_cluster_start), it_runbook_setup, and production's agents reporting.
it_runbook_fleet() {
	it_setup
	it_rewindd_start "$@"
	it_cluster_start prod
	it_cluster_start staging
	it_runbook_setup
	it_wait_reporting production 2
}

# it_wait_reporting ENV N [SECONDS]: waits until N agents of ENV's cluster report.
it_wait_reporting() {
	local env=$1 want=$2 secs=${3:-20} i
	for i in $(seq 1 $((secs * 5))); do
		as viewer rewindctl status --env "$env"
		grep -Eq "agents $want/[0-9]+ reporting" <<<"$OUT" && return 0
		sleep 0.2
	done
	die "agents of $env did not report: $OUT"
}

# it_runbook_setup: environments production and staging on clusters prod and staging,
# the runbook's two services (backend deploys first), short coordinator windows for tests.
it_runbook_setup() {
	as admin rewindctl env add production --cluster prod
	as admin rewindctl env add staging --cluster staging
	as admin rewindctl service add mr-dj-frontend --namespace default --image ghcr.io/crisisk/mr-dj-frontend \
		--health-path /api/health --health-expect '{"status":"ok"}'
	as admin rewindctl service add misterdj-backend --namespace misterdj --image ghcr.io/crisisk/misterdj-backend \
		--health-path /api/health --health-expect '{"status":"ok"}'
	as admin rewindctl service set-order misterdj-backend 10
	as admin rewindctl service set-order mr-dj-frontend 20
	local e
	for e in production staging; do
		as admin rewindctl env set "$e" --observe-seconds "${IT_OBSERVE:-2}" --verify-seconds 15 --action-timeout 15
	done
}

# it_release SERVICE VERSION [flags]: records an unpinned release of the runbook's images.
it_release() {
	local svc=$1 ver=$2
	shift 2
	local repo=ghcr.io/crisisk/$svc
	as operator rewindctl release record --allow-unpinned --service "$svc" --image "$repo:$ver" "$@"
	[ "$RC" -eq 0 ] || die "release record $svc:$ver: $OUT"
}

# it_backup_verified ENV: records a backup of ENV as verified elsewhere (the backup gate).
it_backup_verified() {
	as operator rewindctl backup record --env "$1" --kind pg-dump --location "s3://backups/$1-$(date +%s%N).dump" --verified
	[ "$RC" -eq 0 ] || die "backup record: $OUT"
}
