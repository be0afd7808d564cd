/*
 * upload — the artifact upload that `release record` shares with `artifact
 * add`: files packed into a .tar.gz on the operator's machine, hashed, sent
 * as an ARTIFACT_ADD on an open session, and the stored artifact printed
 * (table line or JSON).  It does not choose which files or release (the
 * commands do) and never reads anything back from rewindd's disk.
 */
#ifndef REWIND_UPLOAD_H
#define REWIND_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cli.h"
#include "domain.h"
#include "link.h"
#include "wire.h"

/*
 * Packs files into a .tar.gz (at most RW_ARTIFACT_MAX) for kind
 * (config-archive|migration) and fills an ARTIFACT_ADD for release_id named
 * <prefix>-<kind>.tar.gz; *out is owned by the caller.  Prints the error and
 * returns an exit code on failure.
 */
int upload_pack(const char *const *files, size_t n, int64_t release_id, const char *kind,
                const char *prefix, wire_msg_t **out);
/* Sends a packed ARTIFACT_ADD on an open session, prints the stored artifact. */
int upload_send(struct cli *c, link_t *l, const wire_msg_t *req);
/* A stored artifact (an rw_artifact_t, as struct cmd_list wants it) as a new JSON object. */
json_t *upload_artifact_json(const void *artifact);

#endif
