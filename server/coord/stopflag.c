/*
 * stopflag — a stop flag threads sleep on (stopflag.h).
 */
#include "stopflag.h"

#include <time.h>

#include "domain.h"

void
stopflag_init(struct stopflag *f)
{
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->raised = false;
}

void
stopflag_destroy(struct stopflag *f)
{
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
}

void
stopflag_raise(struct stopflag *f)
{
	pthread_mutex_lock(&f->lock);
	f->raised = true;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

bool
stopflag_raised(struct stopflag *f)
{
	pthread_mutex_lock(&f->lock);
	bool raised = f->raised;
	pthread_mutex_unlock(&f->lock);
	return raised;
}

bool
stopflag_sleep(struct stopflag *f, int ms)
{
	struct timespec ts = rw_deadline(CLOCK_REALTIME, ms);
	pthread_mutex_lock(&f->lock);
	if (!f->raised)
		pthread_cond_timedwait(&f->cond, &f->lock, &ts);
	bool raised = f->raised;
	pthread_mutex_unlock(&f->lock);
	return !raised;
}
