/*
 * table: server-side printing, the meta.k8s.io/v1 Table that kubectl get
 * asks for (Accept: ...;as=Table). Owns the columns of each kind and the
 * cell text (READY, STATUS, RESTARTS, AGE...). Does not select or fetch
 * objects.
 */
#ifndef KUBESIM_TABLE_H
#define KUBESIM_TABLE_H

#include <jansson.h>
#include <time.h>

#include "resource.h"

/* New Table for items (array of objects of type r). include is the
 * includeObject parameter: "None", "Object" or (default) "Metadata". rv
 * goes to metadata.resourceVersion when not NULL. Caller owns the result. */
json_t *table_render(const struct kres *r, json_t *items, const char *include,
                     const char *rv, time_t now);

/* Cells of one row (array, caller owns), exposed for unit tests. */
json_t *table_cells(const struct kres *r, json_t *obj, time_t now);

/* The pod STATUS column the way kubectl shows it ("Running",
 * "CrashLoopBackOff", "ContainerCreating", "Terminating"...). */
const char *table_pod_status(json_t *pod);

#endif
