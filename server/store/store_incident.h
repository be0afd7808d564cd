/*
 * store_incident — incidents of an environment: opening one (at most one
 * open per environment), its timeline of events, the decision recorded
 * with its answers, detection and recovery marks, closing it.
 *
 * Not here: deciding (server/coord/decide.c), telling people (the webhook
 * queue, store_webhook.h), the operations run under an incident
 * (store_coord.h, by incident_id).
 */
#ifndef REWIND_STORE_INCIDENT_H
#define REWIND_STORE_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "domain_coord.h"
#include "store.h"

/* Opens an incident of inc->env (sets id, opened_at, status; defaults severity and coordinator). */
int store_incident_open(store_t *st, const rw_actor_t *who, rw_incident_t *inc);
/* The environment's open incident (RW_ENOTFOUND: none). */
int store_incident_open_id(store_t *st, int64_t env_id, int64_t *id);
/* With its timeline (malloc'd, the caller frees inc->timeline). */
int store_incident_get(store_t *st, int64_t id, rw_incident_t *out);
/* Newest first; env NULL/empty for all; *out malloc'd, owned by the caller (without timelines). */
int store_incident_list(store_t *st, const char *env, uint32_t limit, rw_incident_t **out,
                        size_t *n);
/* RW_ECONFLICT when already closed, RW_ENOTFOUND when there is no such incident. */
int store_incident_close(store_t *st, const rw_actor_t *who, int64_t id, const char *summary,
                         const char *root_cause);
/* A timeline event (audited as actor rewindd). */
int store_incident_event(store_t *st, int64_t id, const char *kind, const char *actor,
                         const char *text);
int store_incident_decision(store_t *st, const rw_actor_t *who, int64_t id,
                            const rw_decision_t *d);
/* detected (sets detected_at once) or recovered (recovered_at, status mitigated). */
int store_incident_mark(store_t *st, int64_t id, bool recovered);

#endif
