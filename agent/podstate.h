/*
 * podstate — turns Pod and Deployment JSON (as the API server returns them)
 * into the agent's report types rw_pod_state_t / rw_deploy_state_t.
 *
 * Pure: no I/O.  Strings are copied with bounds and an over-long value is
 * an error (RW_ETOOBIG), never silently cut.  observed_at is set to now.
 * It does not decide what to report; podwatch.c does.
 */
#ifndef REWIND_AGENT_PODSTATE_H
#define REWIND_AGENT_PODSTATE_H

#include <stddef.h>

#include <jansson.h>

#include "domain.h"

#define PODSTATE_IP_MAX 45  /* IPv6 text form */

/*
 * Fills *out from a Pod.  The owning Deployment is the controller
 * ReplicaSet owner's name minus "-<pod-template-hash label>"; '' when the
 * pod has no such owner.  Containers come from status.containerStatuses
 * (spec.containers when there is no status yet).  ip (may be NULL) gets
 * status.podIP, '' when unknown (the report type has no field for it).
 *
 * Returns 0, RW_EINVAL (not a pod: missing metadata.name/namespace, wrong
 * types) or RW_ETOOBIG (a value longer than its field, more than
 * RW_MAX_CONTAINERS containers) with the reason in msg.
 */
int podstate_from_json(const json_t *pod, const char *cluster, rw_pod_state_t *out,
                       char ip[PODSTATE_IP_MAX + 1], char *msg, size_t msgsz);

/* Fills *out from a Deployment (spec.template containers, rollout counters). Same errors. */
int deploystate_from_json(const json_t *d, const char *cluster, rw_deploy_state_t *out,
                          char *msg, size_t msgsz);

/* "sha256:..." part of a status.imageID ("repo@sha256:...", "docker-pullable://...@sha256:..."); '' if none. */
const char *podstate_digest(const char *image_id);

#endif
