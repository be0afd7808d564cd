# faults.sh — fault-injection helpers for integration tests (bash; sourced
# after lib.sh).  Written for the crash tests of issue 8 that need rollbacks
# (kill -9 of rewindd at 20 points of a rollback; the rewindd an agent talks
# to killed mid-rollback): a test picks the point by a log event and count.
#
#   fault_kill_at_log PID LOGFILE REGEX N [SIGNAL]
#       in the background: waits (at most FAULT_WAIT_S, default 60 s) for the
#       Nth line of LOGFILE matching REGEX, then sends SIGNAL (default KILL)
#       to PID.  Sets FAULT_PID (the watcher; add it to IT_PIDS).  The
#       watcher writes "killed at line L" or "timed out" to LOGFILE.fault.
#   fault_wait                  waits for the watcher; 0 when it killed.
#
# Example (once rollbacks exist): kill rewindd at the 3rd action progress
#   fault_kill_at_log "$IT_RWD_PID" "$IT_DIR/rewindd.log" 'action\.progress' 3
#   ... start the rollback ...; fault_wait; it_rewindd_start; ...

fault_kill_at_log() {
	local pid=$1 log=$2 re=$3 n=$4 sig=${5:-KILL}
	local wait_s=${FAULT_WAIT_S:-60}
	(
		end=$((SECONDS + wait_s))
		while [ $SECONDS -lt "$end" ]; do
			if [ "$(grep -Ec -- "$re" "$log" 2>/dev/null || true)" -ge "$n" ]; then
				kill -"$sig" "$pid" 2>/dev/null
				echo "killed at line $(grep -En -- "$re" "$log" | sed -n "${n}p" | cut -d: -f1)" >"$log.fault"
				exit 0
			fi
			sleep 0.01
		done
		echo "timed out" >"$log.fault"
		exit 1
	) &
	FAULT_PID=$!
	IT_PIDS+=("$FAULT_PID")
}

fault_wait() {
	wait "$FAULT_PID"
}
