/*
 * observer — watches verified deployments through their observation
 * window: about once a second each one's health is read again (as the
 * agents report it); one healthy to the end of its window becomes
 * known-good (not while its operation still runs: a release set becomes
 * known-good together), one that fails is ended as failed and handed to
 * failure handling (incident, decision, automatic rollback).  Does not
 * start its thread or open its connection (coord.c does).
 */
#ifndef REWIND_OBSERVER_H
#define REWIND_OBSERVER_H

#include "store.h"

struct stopflag;

/* Observes until stop is raised; st is the observer's own connection. */
void observer_loop(store_t *st, struct stopflag *stop);

#endif
