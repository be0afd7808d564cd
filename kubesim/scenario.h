/*
 * scn: the scenario file: namespaces, nodes, deployments (with image
 * history), config maps, and how each image behaves (ok, crash, unhealthy,
 * slow), matched by exact reference or glob pattern. Loads and checks the
 * file and turns it into the cluster's first objects. Does not run pods
 * (see kubelet) or roll out (see controller).
 */
#ifndef KUBESIM_SCENARIO_H
#define KUBESIM_SCENARIO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

enum scn_behaviour { SCN_OK, SCN_CRASH, SCN_UNHEALTHY, SCN_SLOW };

struct scn_image {
    char *match;           /* exact reference or fnmatch(3) pattern */
    int pattern;
    enum scn_behaviour behaviour;
    int health_status;     /* unhealthy: HTTP status (default 503) */
    char *health_body;     /* unhealthy: body to send instead of JSON */
    int64_t ready_after_ms; /* slow */
    int64_t restart_every_ms; /* crash: time between restarts */
    char *log;             /* extra log line (crash reason...) */
};

struct scn_deploy {
    char *name, *ns, *container, *image, *health_path;
    int replicas, port, progress_deadline;
    json_t *labels;  /* owned */
    json_t *history; /* owned array of older image references */
};

struct scenario {
    char *version;    /* gitVersion reported by /version */
    int64_t step_ms;
    json_t *namespaces; /* array of names */
    json_t *nodes;      /* array of {name, internalIP, roles[]} */
    json_t *configmaps; /* array of {name, namespace, data} */
    struct scn_deploy *deps;
    size_t ndeps;
    struct scn_image *images;
    size_t nimages;
};

/* Parses scenario JSON text; err gets a message on -EINVAL. Caller frees
 * *out with scn_free. */
int scn_load_string(const char *text, struct scenario **out, char *err, size_t errlen);
int scn_load_file(const char *path, struct scenario **out, char *err, size_t errlen);
void scn_free(struct scenario *s);

/* How image behaves: exact references first, then patterns in file order,
 * else a static "ok" entry. Never NULL; borrowed. */
const struct scn_image *scn_image_for(const struct scenario *s, const char *image);
const char *scn_behaviour_name(enum scn_behaviour b);
/* The deployment entry for ns/name, or NULL. */
const struct scn_deploy *scn_deploy_find(const struct scenario *s, const char *ns,
                                         const char *name);

/* Creates the scenario's objects in the store (lock held by caller):
 * namespaces, nodes, config maps, older ReplicaSets for each history
 * image, and the deployments. Returns 0 or a negative errno. */
int scn_seed(const struct scenario *s, struct store *st);

/* The scenario the binary was built with (kubesim/scenarios/default.json). */
extern const char scn_default_json[];

#endif
