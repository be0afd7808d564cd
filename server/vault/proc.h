/*
 * proc — runs one external program (pg_dump, pg_restore) from a worker
 * thread with posix_spawn: argv only, never a shell string; stdout to a
 * file; stderr captured (first bytes) for the error message; a timeout after
 * which the child is killed.  Does not interpret what the program does.
 */
#ifndef REWIND_PROC_H
#define REWIND_PROC_H

#include <stddef.h>

struct proc_run {
	const char *const *argv;    /* argv[0] is looked up in PATH unless it has a '/' */
	const char *stdout_path;    /* NULL: /dev/null */
	const char *password;       /* NULL, or given to the child as PGPASSWORD (not argv) */
	int timeout_s;
};

/*
 * Runs and waits.  0 when the program exited 0.  Otherwise RW_ETIMEDOUT
 * (killed), RW_EIO (could not start, or exited non-zero); errbuf gets the
 * start of its stderr (one line, control characters removed).
 */
int proc_run(const struct proc_run *p, char *errbuf, size_t errsz);

#endif
