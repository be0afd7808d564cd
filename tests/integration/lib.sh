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

it_cleanup() {
	local p
	for p in "${IT_PIDS[@]:-}"; do
		[ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
	done
	pgtest_stop >/dev/null 2>&1 || true
	[ -n "${IT_DIR:-}" ] && rm -rf "$IT_DIR"
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
	if ! eval "$1"; then
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
