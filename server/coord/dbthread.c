/*
 * dbthread — a thread and its own database connection (dbthread.h).
 */
#include "dbthread.h"

#include "err.h"

int
dbthread_start(struct dbthread *t, const char *conninfo, void *(*fn)(void *), void *arg,
               const char *what, char *msg, size_t msgsz)
{
	int rv;
	if ((rv = store_open(conninfo, &t->st, msg, msgsz)) != 0)
		return rv;
	if (pthread_create(&t->thread, NULL, fn, arg) != 0)
		return rw_fail(RW_ENOMEM, msg, msgsz, "cannot start %s", what);
	t->started = true;
	return 0;
}

void
dbthread_join(struct dbthread *t)
{
	if (t->started)
		pthread_join(t->thread, NULL);
	store_close(t->st);
	t->st = NULL;
}
