# kubesim.sh — the one launcher of rewind-kubesim for tests, benchmarks and the
# demo (bash; sourced, not run).  Starts the simulator in a directory of its
# own on free loopback ports, waits until it is ready, reads its --info-out
# file, stops it and shows its log.  It does not choose scenarios, tokens or
# TLS (the caller's flags do) and does not clean up: the caller owns the
# directory and the process (KSIM_PID) and kills it the way its test wants.
#
#   source tests/lib/kubesim.sh
#   ksim_start DIR BIN [FLAG...]  # BIN with the flags below, then FLAG...; sets KSIM_PID
#   ksim_info DIR KEY             # a field of DIR/info.json: server, tlsServer, token,
#                                 # caFile, healthUrl, healthPort, port, tlsPort, kubeconfig
#   ksim_log DIR [N]              # the last N (30) lines of its stderr, with a header
#   ksim_stop PID                 # SIGTERM, wait; returns its exit status
#
# In DIR: info.json, kubeconfig, certs/ (when TLS is on), out.log (stdout,
# with the "ready" line) and err.log (stderr).  KSIM_NETNS=NAME runs it in
# that network namespace (ip netns exec).
# shellcheck shell=bash

# ksim_start DIR BIN [FLAG...]: starts BIN --listen 127.0.0.1:0 --health-listen
# 127.0.0.1:0 --cert-dir DIR/certs --kubeconfig-out DIR/kubeconfig --info-out
# DIR/info.json FLAG... in the background and waits (10 s at most) for the
# info file and the "ready" line.  Returns 1 with the reason and the log on
# stderr if it exits or does not get ready; KSIM_PID is set either way.
ksim_start() {
	local dir=$1 bin=$2
	shift 2
	local run=("$bin")
	[ -z "${KSIM_NETNS:-}" ] || run=(ip netns exec "$KSIM_NETNS" "$bin")
	mkdir -p "$dir"
	rm -f "$dir/info.json"
	"${run[@]}" --listen 127.0.0.1:0 --health-listen 127.0.0.1:0 --cert-dir "$dir/certs" \
		--kubeconfig-out "$dir/kubeconfig" --info-out "$dir/info.json" "$@" \
		>"$dir/out.log" 2>"$dir/err.log" &
	KSIM_PID=$!
	for _ in $(seq 1 200); do
		[ -s "$dir/info.json" ] && grep -qx ready "$dir/out.log" && return 0
		if ! kill -0 "$KSIM_PID" 2>/dev/null; then
			echo "rewind-kubesim exited at start ($dir)" >&2
			ksim_log "$dir" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "rewind-kubesim did not get ready within 10 s ($dir)" >&2
	ksim_log "$dir" >&2
	return 1
}

# ksim_info DIR KEY: prints the value of KEY in DIR/info.json ("" if absent).
ksim_info() {
	python3 -c 'import json, sys
v = json.load(open(sys.argv[1])).get(sys.argv[2])
print("" if v is None else v)' "$1/info.json" "$2"
}

# ksim_log DIR [N]: the last N lines of the simulator's stderr, for a failure report.
ksim_log() {
	local n=${2:-30}
	echo "--- rewind-kubesim stderr ($1, last $n lines) ---"
	tail -n "$n" "$1/err.log" 2>/dev/null || true
}

# ksim_stop PID: stops a simulator started by ksim_start (SIGTERM, then waits for
# it); returns its exit status (0 for a clean shutdown).
ksim_stop() {
	local rc=0
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || rc=$?
	return "$rc"
}
