/*
 * dbthread — a thread with its own database connection, as each of the
 * coordinator's runners, its observer and the notifier has: the connection
 * is opened before the thread starts and closed after it is joined, so the
 * thread never shares it.  Does not tell the thread to stop (stopflag.h).
 */
#ifndef REWIND_DBTHREAD_H
#define REWIND_DBTHREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "store.h"

struct dbthread {
	pthread_t thread;
	bool started;
	store_t *st;        /* the thread's connection (owned; NULL until opened) */
};

/*
 * Opens conninfo into t->st, then runs fn(arg) on a new thread.  On failure
 * why in msg ("cannot start <what>" when the thread did not start);
 * dbthread_join() cleans up either way.
 */
int dbthread_start(struct dbthread *t, const char *conninfo, void *(*fn)(void *), void *arg,
                   const char *what, char *msg, size_t msgsz);

/* Joins the thread when it started and closes its connection. */
void dbthread_join(struct dbthread *t);

#endif
