/*
 * disc: the discovery documents (/version, /api, /apis, /api/v1,
 * /apis/apps/v1) built from the resource registry, in legacy form or as
 * aggregated discovery (apidiscovery.k8s.io v2 / v2beta1) negotiated on the
 * Accept header. Does not route requests.
 */
#ifndef KUBESIM_DISCOVERY_H
#define KUBESIM_DISCOVERY_H

#include <jansson.h>

enum disc_fmt { DISC_LEGACY, DISC_V2, DISC_V2BETA1 };

/* First acceptable media range wins, as the client ordered them. */
enum disc_fmt disc_negotiate(const char *accept);
/* Content-Type to send with a document of that format. */
const char *disc_content_type(enum disc_fmt f);

/* All return new references (caller owns) or NULL. */
json_t *disc_version(const char *git_version);
json_t *disc_api(enum disc_fmt f, const char *server_addr);
json_t *disc_apis(enum disc_fmt f);
/* APIGroup for /apis/<group>, NULL if unknown. */
json_t *disc_group(const char *group);
/* APIResourceList for a group/version ("" for core), NULL if unknown. */
json_t *disc_resource_list(const char *group, const char *version);

#endif
