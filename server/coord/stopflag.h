/*
 * stopflag — the "rewindd is stopping" flag that the coordinator's and the
 * notifier's threads sleep on: a sleep that ends early when the flag is
 * raised, so stopping never waits out a tick or a back-off.  Owns only the
 * flag, its lock and its condition variable; does not start or join
 * threads (coord.c and notify.c do).
 */
#ifndef REWIND_STOPFLAG_H
#define REWIND_STOPFLAG_H

#include <pthread.h>
#include <stdbool.h>

struct stopflag {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool raised;
};

void stopflag_init(struct stopflag *f);
void stopflag_destroy(struct stopflag *f);

/* Raises the flag and wakes every sleeper. */
void stopflag_raise(struct stopflag *f);
bool stopflag_raised(struct stopflag *f);

/* Sleeps ms unless the flag is (or gets) raised; false when it is raised. */
bool stopflag_sleep(struct stopflag *f, int ms);

#endif
