/*
 * smoke — the smoke-test runner (smoke.h).
 */
#include "smoke.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"


/* Reads the last tailsz-1 bytes of fd, keeping text printable. */
static void
read_tail(int fd, char *tail, size_t tailsz)
{
	off_t end = lseek(fd, 0, SEEK_END);
	off_t from = end > (off_t)(tailsz - 1) ? end - (off_t)(tailsz - 1) : 0;
	ssize_t n;

	tail[0] = '\0';
	if (end < 0 || lseek(fd, from, SEEK_SET) < 0)
		return;
	n = read(fd, tail, tailsz - 1);
	if (n < 0)
		n = 0;
	tail[n] = '\0';
	/* Only printable ASCII and newlines: the tail goes into the database and a report. */
	for (ssize_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tail[i];
		if ((c < 0x20 && c != '\n') || c >= 0x7f)
			tail[i] = '?';
	}
}

static void
kill_group(pid_t pid)
{
	int status;
	kill(-pid, SIGKILL);   /* the whole group: the shell and what it started */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

static int
wait_child(pid_t pid, int timeout_s, const struct smoke_tick *tick, int *exit_code)
{
	struct timespec start, now, last, nap = {0, 50 * 1000 * 1000};
	int status;

	clock_gettime(CLOCK_MONOTONIC, &start);
	last = start;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			*exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return RW_EIO;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= timeout_s) {
			kill_group(pid);
			*exit_code = 124;
			return 0;
		}
		if (tick && tick->fn && now.tv_sec > last.tv_sec) {
			last = now;
			if (!tick->fn(tick->arg)) {
				kill_group(pid);
				return RW_EUNAVAIL;
			}
		}
		nanosleep(&nap, NULL);
	}
}

int
smoke_run(const char *command, int timeout_s, const char *env_name, long long op_id,
          const struct smoke_tick *tick, int *exit_code, char *tail, size_t tailsz)
{
	char path[] = "/tmp/rewind-smoke.XXXXXX", envv[128], opv[64];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	pid_t pid;
	int fd, rv;

	*exit_code = 127;
	tail[0] = '\0';
	if ((fd = mkstemp(path)) < 0)
		return RW_EIO;
	unlink(path);   /* private: gone when closed */
	snprintf(envv, sizeof(envv), "REWIND_ENV=%s", env_name);
	snprintf(opv, sizeof(opv), "REWIND_OPERATION=%lld", op_id);
	char *const argv[] = {"/bin/sh", "-c", (char *)command, NULL};
	char *const envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", envv, opv, NULL};
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fd, 1);
	posix_spawn_file_actions_adddup2(&fa, fd, 2);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	rv = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rv != 0) {
		snprintf(tail, tailsz, "cannot start /bin/sh: %s", strerror(rv));
		close(fd);
		return 0;
	}
	rv = wait_child(pid, timeout_s, tick, exit_code);
	read_tail(fd, tail, tailsz);
	close(fd);
	return rv;
}
