/*
 * smoke — runs an environment's smoke-test command (the runbook's e2e
 * suite) after a deploy or rollback: /bin/sh -c COMMAND via posix_spawn in
 * its own process group, stdout and stderr to a private file, killed when
 * it outlives its timeout.  The command is an administrator's setting
 * (env set --smoke-command), never console input of an operator.  Reports
 * the exit code and the output's tail; does not record them.
 */
#ifndef REWIND_SMOKE_H
#define REWIND_SMOKE_H

#include <stdbool.h>
#include <stddef.h>

/* Called about once a second while the command runs; false stops it (RW_EUNAVAIL). */
struct smoke_tick {
	bool (*fn)(void *arg);
	void *arg;
};

/*
 * Runs and waits.  *exit_code: the command's exit status, 124 when it
 * timed out, 127 when it could not start.  tail gets the last bytes of its
 * output (control characters other than newline replaced).  Returns 0 when
 * it ran (whatever its exit code), or a negative rw_err.
 */
int smoke_run(const char *command, int timeout_s, const char *env_name, long long op_id,
              const struct smoke_tick *tick, int *exit_code, char *tail, size_t tailsz);

#endif
