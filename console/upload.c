/*
 * upload — packing (libarchive, via pack.h) and hashing happen before the
 * session is opened, so a bad file stops the command before anything is
 * sent.  Input checks here are for friendly messages only; the server
 * checks the archive again.
 */
#include "upload.h"

#include <stdio.h>

#include "client.h"
#include "cmd.h"
#include "err.h"
#include "pack.h"

json_t *
upload_artifact_json(const void *artifact)
{
	const rw_artifact_t *a = artifact;
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(a->id));
	if (a->release_id)
		json_object_set_new(o, "releaseId", json_integer(a->release_id));
	cmd_jsets(o, "kind", a->kind, "name", a->name, "location", a->location, "sha256", a->sha256,
	          NULL);
	json_object_set_new(o, "size", json_integer(a->size));
	cmd_jset(o, "outcome", a->outcome);
	json_object_set_new(o, "verified", json_boolean(a->verified));
	cmd_jtime(o, "verifiedAt", a->verified_at);
	cmd_jset(o, "verifiedBy", a->verified_by);
	cmd_jtime(o, "createdAt", a->created_at);
	cmd_jset(o, "createdBy", a->created_by);
	return o;
}

int
upload_pack(const char *const *files, size_t n, int64_t release_id, const char *kind,
            const char *prefix, wire_msg_t **out)
{
	char msg[600] = "";
	wire_msg_t *m;
	int rv;

	*out = NULL;
	if (!(m = wire_msg_new(WIRE_ARTIFACT_ADD, 0)))
		return CLI_FAILED;
	rv = pack_targz(files, n, RW_ARTIFACT_MAX, &m->u.upload.data, &m->u.upload.len, msg,
	                sizeof(msg));
	if (rv != 0) {
		fprintf(stderr, "error: cannot pack the %s files: %s\n", kind,
		        msg[0] ? msg : rw_strerror(rv));
		wire_msg_free(m);
		return rv == RW_ENOMEM ? CLI_FAILED : CLI_USAGE;
	}
	m->u.upload.meta.release_id = release_id;
	m->u.upload.meta.size = (int64_t)m->u.upload.len;
	(void)RW_STRCPY(m->u.upload.meta.kind, kind);
	snprintf(m->u.upload.meta.name, sizeof(m->u.upload.meta.name), "%.150s-%s.tar.gz", prefix,
	         kind);
	if (pack_sha256_buf(m->u.upload.data, m->u.upload.len, m->u.upload.meta.sha256) != 0) {
		wire_msg_free(m);
		return CLI_FAILED;
	}
	*out = m;
	return 0;
}

int
upload_send(struct cli *c, link_t *l, const wire_msg_t *req)
{
	wire_msg_t *resp;
	int rv = client_call(l, (wire_msg_t *)req, WIRE_ARTIFACT, &resp);
	if (rv != 0)
		return rv;
	if (c->json)
		cmd_print_json(upload_artifact_json(&resp->u.artifact));
	else
		printf("artifact/%lld %s stored (%s, sha256 %s, %lld bytes)\n",
		       (long long)resp->u.artifact.id, resp->u.artifact.name, resp->u.artifact.kind,
		       resp->u.artifact.sha256, (long long)resp->u.artifact.size);
	wire_msg_free(resp);
	return 0;
}
