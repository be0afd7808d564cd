/*
 * coord — the coordinator's threads, started and stopped (coord.h).
 *
 * Each runner and the observer is a thread with its own database
 * connection; stopping raises one flag they all sleep on and joins them.
 * What a runner does is runner.c (with wave.c and hold.c), what the
 * observer does is observer.c; failure handling shared by both is
 * failure.c.
 */
#include "coord.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dbthread.h"
#include "err.h"
#include "hold.h"
#include "observer.h"
#include "runner.h"
#include "stopflag.h"

#define COORD_MAX_RUNNERS 16

struct coord;

struct worker {
	struct coord *c;
	struct dbthread t;
	struct hold hold;           /* runners: hold.st is t.st */
};

struct coord {
	struct coord_opts o;
	struct stopflag stop;
	char instance[128];
	struct worker runners[COORD_MAX_RUNNERS];
	int nrunners;
	struct worker observer;
};

static void *
runner_main(void *arg)
{
	struct worker *w = arg;
	w->hold.st = w->t.st;
	runner_loop(&w->hold, w->c->o.stale_s);
	return NULL;
}

static void *
observer_main(void *arg)
{
	struct worker *w = arg;
	observer_loop(w->t.st, &w->c->stop);
	return NULL;
}

static int
worker_start(struct coord *c, struct worker *w, void *(*fn)(void *), char *msg, size_t msgsz)
{
	w->c = c;
	w->hold.stop = &c->stop;
	w->hold.tick_ms = c->o.tick_ms;
	w->hold.instance = c->instance;
	return dbthread_start(&w->t, c->o.conninfo, fn, w, "a coordinator thread", msg, msgsz);
}

void
coord_stop(coord_t *c)
{
	if (!c)
		return;
	stopflag_raise(&c->stop);
	for (int i = 0; i < c->nrunners; i++)
		dbthread_join(&c->runners[i].t);
	dbthread_join(&c->observer.t);
	stopflag_destroy(&c->stop);
	free(c);
}

int
coord_start(const struct coord_opts *o, coord_t **out, char *msg, size_t msgsz)
{
	struct coord *c = calloc(1, sizeof(*c));
	char host[64] = "localhost";
	int rv = 0;

	*out = NULL;
	if (!c)
		return RW_ENOMEM;
	stopflag_init(&c->stop);
	c->o = *o;
	c->o.runners = o->runners > 0 ? (o->runners > COORD_MAX_RUNNERS ? COORD_MAX_RUNNERS : o->runners) : 4;
	c->o.tick_ms = o->tick_ms > 0 ? o->tick_ms : 250;
	c->o.stale_s = o->stale_s > 0 ? o->stale_s : 30;
	(void)gethostname(host, sizeof(host) - 1);
	snprintf(c->instance, sizeof(c->instance), "rewindd@%.60s:%d", host, (int)getpid());
	for (int i = 0; rv == 0 && i < c->o.runners; i++, c->nrunners++)
		rv = worker_start(c, &c->runners[i], runner_main, msg, msgsz);
	if (rv == 0)
		rv = worker_start(c, &c->observer, observer_main, msg, msgsz);
	if (rv != 0) {
		coord_stop(c);
		return rv;
	}
	*out = c;
	return 0;
}
