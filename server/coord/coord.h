/*
 * coord — rewindd's coordinator: runner threads that take queued
 * operations (store_op_claim; any rewindd sharing the database may take
 * one) and carry them out step by step — set-image action per service in
 * order, follow the rollout, verify health from the agents' reports, run
 * the smoke test, record the outcome — and an observer thread that watches
 * verified deployments through their observation window (known-good at the
 * end; on failure an incident, the decision tree and, when the environment
 * opted in, an automatic rollback).  Each thread has its own database
 * connection; NNG callbacks and handler workers never wait for any of it.
 */
#ifndef REWIND_COORD_H
#define REWIND_COORD_H

#include <stddef.h>

struct coord_opts {
	const char *conninfo;
	int runners;              /* operations run at once by this rewindd (default 4, max 16) */
	int tick_ms;              /* how often progress and health are read (default 250) */
	int stale_s;              /* another rewindd's operation is abandoned after this */
};

typedef struct coord coord_t;

int coord_start(const struct coord_opts *o, coord_t **out, char *msg, size_t msgsz);
void coord_stop(coord_t *c);

#endif
