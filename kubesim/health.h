/*
 * health: the simulated services' own HTTP endpoints on a separate
 * loopback listener, answering the way the running images would:
 *   GET /services/<namespace>/<deployment><path>  one ready pod, round robin
 *   GET /pods/<namespace>/<pod><path>             that pod
 *   GET /                                         JSON index of the URLs
 * <path> is the pod's readinessProbe path (the scenario's healthPath,
 * default /api/health). ok images answer 200 {"status":"ok",...}; unhealthy
 * ones their configured status/body; with no ready pod (or a crashing or
 * starting pod) the connection is closed without an answer, as when no
 * endpoint backs a service. Does not change pods, only logs the probes.
 */
#ifndef KUBESIM_HEALTH_H
#define KUBESIM_HEALTH_H

#include <stddef.h>

#include "scenario.h"
#include "store.h"

struct health_server;

int health_start(const char *host, int port, struct store *st, const struct scenario *scn,
                 struct health_server **out, char *err, size_t errlen);
int health_port(struct health_server *h);
void health_stop(struct health_server *h);

/* The answer a pod gives to GET path, without any network (lock held):
 * *status gets the HTTP status (0: no answer, the connection fails) and
 * *body a new string (caller frees). Exposed for unit tests. */
int health_answer(struct store *st, const struct scenario *scn, json_t *pod, const char *path,
                  int *status, char **body);

#endif
