/*
 * proc — posix_spawn with a timeout.  Why poll waitpid(): the worker thread
 * must not block forever on a hung pg_dump, and signals (SIGCHLD) are not
 * ours to take in a multi-threaded server.  stderr goes to an unlinked temp
 * file so a chatty child cannot fill a pipe and block.
 */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

extern char **environ;

/* The parent's environment without PGPASSWORD, plus ours when given. */
static char **
child_env(const char *password, char **pwvar)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	if (!(env = calloc(n + 2, sizeof(*env))))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "PGPASSWORD=", 11) != 0)
			env[k++] = environ[i];
	*pwvar = NULL;
	if (password) {
		size_t len = strlen(password) + 12;
		if (!(*pwvar = malloc(len))) {
			free(env);
			return NULL;
		}
		snprintf(*pwvar, len, "PGPASSWORD=%s", password);
		env[k++] = *pwvar;
	}
	env[k] = NULL;
	return env;
}

static void
read_stderr(int fd, char *errbuf, size_t errsz)
{
	ssize_t n;
	if (!errbuf || errsz == 0)
		return;
	errbuf[0] = '\0';
	if (lseek(fd, 0, SEEK_SET) != 0 || (n = read(fd, errbuf, errsz - 1)) <= 0)
		return;
	errbuf[n] = '\0';
	for (char *p = errbuf; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
}

static int
wait_child(pid_t pid, int timeout_s, int *status)
{
	struct timespec nap = {0, 20 * 1000 * 1000};
	long waited_ms = 0;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return RW_EIO;
		if (waited_ms >= (long)timeout_s * 1000) {
			kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return RW_ETIMEDOUT;
		}
		nanosleep(&nap, NULL);
		waited_ms += 20;
	}
}

int
proc_run(const struct proc_run *p, char *errbuf, size_t errsz)
{
	char errpath[] = "/tmp/rewind-proc.XXXXXX";
	posix_spawn_file_actions_t fa;
	char **env, *pwvar = NULL;
	int errfd, status = 0, rv;
	pid_t pid;

	if (errbuf && errsz)
		errbuf[0] = '\0';
	if ((errfd = mkstemp(errpath)) < 0)
		return RW_EIO;
	unlink(errpath);
	if (!(env = child_env(p->password, &pwvar))) {
		close(errfd);
		return RW_ENOMEM;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, p->stdout_path ? p->stdout_path : "/dev/null",
	                                 O_WRONLY | O_TRUNC | O_CREAT, 0600);
	posix_spawn_file_actions_adddup2(&fa, errfd, 2);
	rv = posix_spawnp(&pid, p->argv[0], &fa, NULL, (char *const *)p->argv, env);
	posix_spawn_file_actions_destroy(&fa);
	if (pwvar) {
		memset(pwvar, 0, strlen(pwvar));
		free(pwvar);
	}
	free(env);
	if (rv != 0) {
		if (errbuf)
			snprintf(errbuf, errsz, "cannot run %s: %s", p->argv[0], strerror(rv));
		close(errfd);
		return RW_EIO;
	}
	rv = wait_child(pid, p->timeout_s > 0 ? p->timeout_s : 600, &status);
	read_stderr(errfd, errbuf, errsz);
	close(errfd);
	if (rv == RW_ETIMEDOUT && errbuf)
		snprintf(errbuf, errsz, "%s did not finish within %d s", p->argv[0], p->timeout_s);
	if (rv)
		return rv;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (errbuf && !errbuf[0])
			snprintf(errbuf, errsz, "%s failed (status %d)", p->argv[0], status);
		return RW_EIO;
	}
	return 0;
}
