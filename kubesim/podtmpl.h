/*
 * tmpl: pod template identity, the way the deployment controller decides
 * whether a ReplicaSet already runs a Deployment's template. Normalises
 * (drops nulls, empty maps and lists, the pod-template-hash label) before
 * comparing or hashing, so a template that went through kubectl's rollout
 * undo (with "resources": {} and "creationTimestamp": null) still matches.
 * Does not create ReplicaSets (see controller).
 */
#ifndef KUBESIM_PODTMPL_H
#define KUBESIM_PODTMPL_H

#include <jansson.h>
#include <stddef.h>

/* Normalised deep copy of a pod template (caller owns), NULL on ENOMEM. */
json_t *tmpl_normalize(json_t *tmpl);
/* 1 if the two templates are equal after normalisation, 0 if not. */
int tmpl_equal(json_t *a, json_t *b);
/* Ten-character pod-template-hash of the normalised template. */
int tmpl_hash(json_t *tmpl, char *out, size_t len);

#endif
