# pgtest.sh — a private, throw-away PostgreSQL server for tests.
#
#   source tests/lib/pgtest.sh
#   pgtest_start || exit 1          # exports PGTEST_URL, PGTEST_DIR, ...
#   trap pgtest_stop EXIT
#   pgtest_psql -c 'select 1'
#   pgtest_restart                  # stop + start on the same data directory
#
# The server lives in a fresh `mktemp -d` directory: data, unix socket and
# log.  It listens on that socket and on 127.0.0.1 at a free port, never on
# another address.  fsync and friends are off: it is fast and loses data on
# a crash, which is what a test wants.  initdb refuses to run as root, so
# when the caller is root (CI) the server runs as the `postgres` user and the
# directory is made reachable by it.
#
# Exports:
#   PGTEST_DIR   the temp directory (removed by pgtest_stop)
#   PGTEST_PORT  the TCP port on 127.0.0.1
#   PGTEST_SOCK  the unix socket directory
#   PGTEST_DB    the database created for the test ("rewind" unless set)
#   PGTEST_URL   libpq URI of that database over TCP
#   PGTEST_ADMIN_URL  the same server's "postgres" database
#   PGTEST_BIN   the PostgreSQL bin directory used
#
# pgtest_restart also works from a child process (e.g. a test binary running
# `bash -c '. pgtest.sh; pgtest_restart'`): it needs only the exported names.
# If the caller dies without running its trap (SIGKILL), a small watchdog
# process stops the server and removes the directory within a second.
#
# This library does not set shell options (set -e etc.) for its caller and
# does not touch any other PostgreSQL cluster on the machine.

PGTEST_BIN=${PGTEST_BIN:-}
PGTEST_DB=${PGTEST_DB:-rewind}

_pgtest_log() { echo "pgtest: $*" >&2; }

_pgtest_find_bin() {
	if [ -n "$PGTEST_BIN" ] && [ -x "$PGTEST_BIN/initdb" ]; then
		return 0
	fi
	if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
		PGTEST_BIN=/usr/lib/postgresql/15/bin
		return 0
	fi
	# Another major version will do as long as it has initdb.
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$d/initdb" ]; then
			PGTEST_BIN=$d
			return 0
		fi
	done
	_pgtest_log "no PostgreSQL server binaries (apt-get install postgresql)"
	return 1
}

# Runs a server command as the user that owns the data directory.
_pgtest_as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# Is something already listening on 127.0.0.1:$1?
_pgtest_port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

_pgtest_pick_port() {
	local p i
	for i in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		if ! _pgtest_port_busy "$p"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# Writes the per-run settings; port may change between attempts.
_pgtest_write_conf() {
	_pgtest_as_pg tee "$PGTEST_DIR/data/pgtest.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = $PGTEST_PORT
unix_socket_directories = '$PGTEST_SOCK'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 60
shared_buffers = 32MB
max_wal_size = 256MB
logging_collector = off
log_min_messages = warning
CONF
}

_pgtest_pg_start() {
	_pgtest_as_pg "$PGTEST_BIN/pg_ctl" -D "$PGTEST_DIR/data" -l "$PGTEST_DIR/server.log" \
		-w -t 30 -s start
}

# initdb into directory $1 (which exists, owned by the server user).
_pgtest_initdb() {
	_pgtest_as_pg "$PGTEST_BIN/initdb" -D "$1" -U postgres -A trust -E UTF8 --locale=C \
		--no-sync --no-instructions >"$PGTEST_DIR/initdb.log" 2>&1 && return 0
	_pgtest_log "initdb failed:"
	cat "$PGTEST_DIR/initdb.log" >&2
	return 1
}

# The user the server runs as, and so who must own its files.
_pgtest_pg_user() {
	if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi
}

# Fills $PGTEST_DIR/data.  initdb is most of the start time, so its pristine
# output is kept once per user and major version in the temp root and copied.
# A template is used only if the server user owns it with mode 0700 (another
# user could have planted one); PGTEST_NO_TEMPLATE=1 always runs initdb.
_pgtest_init_data() {
	local root=${PGTEST_TMP:-/tmp} major tpl tmp owner
	if [ -n "${PGTEST_NO_TEMPLATE:-}" ]; then
		_pgtest_initdb "$PGTEST_DIR/data"
		return
	fi
	major=$(basename "$(dirname "$PGTEST_BIN")")
	owner=$(_pgtest_pg_user)
	tpl="$root/pgtest-template-$major-$owner"
	if [ ! -f "$tpl/.pgtest-complete" ]; then
		# Build it beside, then rename: concurrent starts never see half a template.
		tmp=$(mktemp -d "$PGTEST_DIR/tpl.XXXXXX") || return 1
		[ "$(id -u)" -eq 0 ] && chown postgres: "$tmp"
		chmod 0700 "$tmp"
		_pgtest_initdb "$tmp" || return 1
		_pgtest_as_pg touch "$tmp/.pgtest-complete"
		mv -T "$tmp" "$tpl" 2>/dev/null || rm -rf -- "$tmp"   # lost a race: fine
	fi
	if [ "$(stat -c '%U %a' "$tpl" 2>/dev/null)" != "$owner 700" ] ||
		[ -L "$tpl" ] || [ ! -f "$tpl/.pgtest-complete" ]; then
		_pgtest_log "ignoring template $tpl (not a private directory of $owner)"
		_pgtest_initdb "$PGTEST_DIR/data"
		return
	fi
	_pgtest_as_pg cp -a "$tpl/." "$PGTEST_DIR/data/" || return 1
	_pgtest_as_pg rm -f "$PGTEST_DIR/data/.pgtest-complete"
}

# Stops the server and removes the directory once process $1 is gone, for
# callers killed by a signal no trap sees (SIGKILL from a test timeout).
_pgtest_watchdog() {
	local parent=$1 dir=$2
	while kill -0 "$parent" 2>/dev/null && [ -d "$dir" ]; do
		sleep 1
	done
	if [ -f "$dir/data/postmaster.pid" ]; then
		_pgtest_as_pg "$PGTEST_BIN/pg_ctl" -D "$dir/data" -m immediate -s stop
	fi
	rm -rf -- "$dir"
}

pgtest_start() {
	local tries caller
	_pgtest_find_bin || return 1
	if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
		_pgtest_log "running as root needs a 'postgres' user"
		return 1
	fi
	PGTEST_DIR=$(mktemp -d "${PGTEST_TMP:-/tmp}/pgtest.XXXXXX") || return 1
	export PGTEST_DIR
	# mktemp makes it 0700: the postgres user must be able to enter it.
	chmod 0755 "$PGTEST_DIR"
	PGTEST_SOCK=$PGTEST_DIR/sock
	mkdir -m 0755 "$PGTEST_SOCK" "$PGTEST_DIR/data"
	touch "$PGTEST_DIR/server.log"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$PGTEST_SOCK" "$PGTEST_DIR/data" "$PGTEST_DIR/server.log"
	fi
	chmod 0700 "$PGTEST_DIR/data"

	_pgtest_init_data || return 1
	echo "include = 'pgtest.conf'" | _pgtest_as_pg tee -a "$PGTEST_DIR/data/postgresql.conf" >/dev/null

	# Another process may take the port between the probe and the bind: retry.
	for tries in 1 2 3 4 5; do
		PGTEST_PORT=$(_pgtest_pick_port) || { _pgtest_log "no free port"; return 1; }
		_pgtest_write_conf
		if _pgtest_pg_start; then
			break
		fi
		if [ "$tries" -eq 5 ]; then
			_pgtest_log "server did not start:"
			tail -n 20 "$PGTEST_DIR/server.log" >&2
			return 1
		fi
	done
	export PGTEST_PORT PGTEST_SOCK PGTEST_DB PGTEST_BIN
	# Detached, with no inherited stdio, so nobody waits on its output.  The
	# caller's pid is taken here: inside the subshell $BASHPID is the watchdog's.
	caller=$BASHPID
	(_pgtest_watchdog "$caller" "$PGTEST_DIR" </dev/null >/dev/null 2>&1 &)
	export PGTEST_URL="postgresql://postgres@127.0.0.1:$PGTEST_PORT/$PGTEST_DB"
	export PGTEST_ADMIN_URL="postgresql://postgres@127.0.0.1:$PGTEST_PORT/postgres"
	if ! psql -X -q -v ON_ERROR_STOP=1 "$PGTEST_ADMIN_URL" \
		-c "CREATE DATABASE \"$PGTEST_DB\"" >/dev/null; then
		_pgtest_log "could not create database $PGTEST_DB"
		return 1
	fi
	return 0
}

# Stops the server (fast, no checkpoint wait) and removes the directory.
# Safe to call twice and after a failed pgtest_start.
pgtest_stop() {
	local dir=${PGTEST_DIR:-}
	case "$dir" in
	*/pgtest.*) ;;
	*) return 0 ;;
	esac
	if [ -f "$dir/data/postmaster.pid" ] && [ -n "$PGTEST_BIN" ]; then
		_pgtest_as_pg "$PGTEST_BIN/pg_ctl" -D "$dir/data" -m immediate -s -w -t 30 stop \
			>/dev/null 2>&1
	fi
	rm -rf -- "$dir"
	unset PGTEST_DIR PGTEST_URL PGTEST_ADMIN_URL PGTEST_PORT PGTEST_SOCK
	return 0
}

# Stops and starts the same data directory on the same port.
# $1: shutdown mode, "fast" (clean, default) or "immediate" (crash-like).
pgtest_restart() {
	local mode=${1:-fast}
	if [ -z "${PGTEST_DIR:-}" ]; then
		_pgtest_log "pgtest_restart: no server"
		return 1
	fi
	_pgtest_find_bin || return 1
	_pgtest_as_pg "$PGTEST_BIN/pg_ctl" -D "$PGTEST_DIR/data" -m "$mode" -s -w -t 30 stop || return 1
	if ! _pgtest_pg_start; then
		_pgtest_log "server did not restart:"
		tail -n 20 "$PGTEST_DIR/server.log" >&2
		return 1
	fi
}

# psql against the test database; extra arguments are passed on.
pgtest_psql() {
	psql -X -q -v ON_ERROR_STOP=1 "$PGTEST_URL" "$@"
}
