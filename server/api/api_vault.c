/*
 * api_vault — what rewindd keeps besides the history: release artifacts
 * (upload, list, re-hash), environment databases and backups of them (run,
 * record one made elsewhere, verify by restoring, list).  The archive,
 * dump and restore work is vault/'s (artifacts.c, backup.c, appdb.c).
 * Without an artifact store (rewindd --artifact-dir) the requests that need
 * one are refused; database URLs are answered redacted, and the clear one
 * is wiped from memory once used.
 */
#include "api_handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appdb.h"
#include "err.h"
#include "log.h"
#include "store_catalog.h"
#include "store_vault.h"

/* --- artifacts ----------------------------------------------------------------- */

static bool
have_store(struct api_call *c)
{
	return c->ctx->backup && c->ctx->backup->store;
}

static wire_msg_t *
no_store(struct api_call *c)
{
	return api_fail(c, RW_EUNAVAIL,
	                "this rewindd has no artifact store (start it with --artifact-dir)");
}

wire_msg_t *
api_artifact_add(struct api_call *c)
{
	rw_artifact_t a = c->req->u.upload.meta;
	char text[600] = "", q[200];
	rw_release_t rel;
	int rv;

	if (!have_store(c))
		return no_store(c);
	if ((rv = store_release_get(c->ctx->store, a.release_id, &rel)) != 0)
		return api_fail_on(c, rv, RW_ENOTFOUND, "release not found");
	rv = artstore_put(c->ctx->backup->store, c->req->u.upload.data, c->req->u.upload.len,
	                  a.sha256, a.name, a.location, sizeof(a.location), text, sizeof(text));
	if (rv != 0) {
		log_error("artifact.store-failed", "name=%s err=%s reason=%s", a.name,
		          rw_errname(rv), log_q(q, sizeof(q), text));
		return api_fail(c, rv, text);
	}
	if ((rv = store_artifact_add(c->ctx->store, &c->who, &a)) != 0) {
		snprintf(text, sizeof(text), "release %lld already has a %s artifact",
		         (long long)a.release_id, a.kind);
		return api_fail_on(c, rv, RW_EEXIST, text);
	}
	log_info("artifact.stored", "release=%lld kind=%s sha256=%s size=%lld",
	         (long long)a.release_id, a.kind, a.sha256, (long long)a.size);
	return API_REPLY_WITH(c, WIRE_ARTIFACT, artifact, a);
}

/*
 * Re-hashes the backups kept in the store; the failed ones go into *bad
 * (with the reason) and every checked one into the report as kind "backup".
 */
static int
verify_backups(struct api_call *c, rw_artifact_t **report, size_t *nrep, rw_backup_t **bad,
               size_t *nbad)
{
	rw_backup_t *b = NULL;
	size_t n = 0;
	int rv = store_backup_list(c->ctx->store, NULL, 0, &b, &n);
	rw_artifact_t *grown;

	*bad = NULL;
	*nbad = 0;
	if (rv || n == 0)
		return rv;
	if (!(grown = realloc(*report, (*nrep + n) * sizeof(**report)))) {
		free(b);
		return RW_ENOMEM;
	}
	*report = grown;
	for (size_t i = 0; i < n; i++) {
		rw_artifact_t *r = &(*report)[*nrep];
		char outcome[RW_OUTCOME_MAX + 1];
		if (artstore_check(c->ctx->backup->store, b[i].location, b[i].sha256, b[i].size,
		                   outcome, sizeof(outcome)) != 0)
			continue;                 /* recorded elsewhere: not ours to hash */
		memset(r, 0, sizeof(*r));
		r->id = b[i].id;
		(void)RW_STRCPY(r->kind, "backup");
		(void)RW_STRCPY(r->location, b[i].location);
		(void)RW_STRCPY(r->sha256, b[i].sha256);
		(void)RW_STRCPY(r->outcome, outcome);
		r->size = b[i].size;
		r->verified = strcmp(outcome, "ok") == 0;
		(*nrep)++;
		if (!r->verified) {
			b[*nbad] = b[i];
			snprintf(b[*nbad].result, sizeof(b[*nbad].result),
			         "dump file %s on disk (artifact verify)", outcome);
			(*nbad)++;
		}
	}
	*bad = b;
	return 0;
}

wire_msg_t *
api_artifact_verify(struct api_call *c)
{
	rw_artifact_t *items = NULL;
	rw_backup_t *bad = NULL;
	size_t n = 0, nbad = 0, nart;
	int rv;

	if (!have_store(c))
		return no_store(c);
	if ((rv = store_artifact_list(c->ctx->store, 0, 0, &items, &n)) != 0)
		return api_fail(c, rv, NULL);
	for (size_t i = 0; i < n; i++) {
		rv = artstore_check(c->ctx->backup->store, items[i].location, items[i].sha256,
		                    items[i].size, items[i].outcome, sizeof(items[i].outcome));
		if (rv != 0)
			(void)RW_STRCPY(items[i].outcome, "missing");
		items[i].verified = strcmp(items[i].outcome, "ok") == 0;
		if (!items[i].verified)
			log_warn("artifact.mismatch", "id=%lld location=%s outcome=%s",
			         (long long)items[i].id, items[i].location, items[i].outcome);
	}
	nart = n;
	if ((rv = verify_backups(c, &items, &n, &bad, &nbad)) == 0)
		rv = store_artifact_verified(c->ctx->store, &c->who, items, nart, bad, nbad);
	free(bad);
	if (rv != 0) {
		free(items);
		return api_fail(c, rv, NULL);
	}
	return api_list_reply(c, WIRE_ARTIFACT_VERIFY_OK, 0, NULL, items, n);
}

/* --- environment databases and backups ----------------------------------------- */

wire_msg_t *
api_env_db_set(struct api_call *c)
{
	rw_env_db_t d = c->req->u.env_db;
	char redacted[RW_URL_MAX + 1];
	int rv;

	if (appdb_redact(d.db_url, redacted, sizeof(redacted)) != 0)
		return api_fail(c, RW_EINVAL, "db-url: not a PostgreSQL URI or conninfo");
	rv = store_env_db_set(c->ctx->store, &c->who, &d, redacted);
	memset(d.db_url, 0, sizeof(d.db_url));
	if (rv != 0)
		return api_fail_on(c, rv, RW_ENOTFOUND, "environment not found");
	(void)RW_STRCPY(d.db_url, redacted); /* the reply shows the URL without its secrets */
	return API_REPLY_WITH(c, WIRE_ENV_DB, env_db, d);
}

/* The environment's database, or an ERROR reply in *err. */
static int
env_db(struct api_call *c, const char *env, rw_env_db_t *d, wire_msg_t **err)
{
	char text[200];
	int rv = store_env_db_get(c->ctx->store, env, d);
	if (rv != 0) {
		snprintf(text, sizeof(text),
		         "environment \"%s\" has no database configured (rewindctl env set-db)", env);
		*err = api_fail_on(c, rv, RW_ENOTFOUND, text);
	}
	return rv;
}

wire_msg_t *
api_backup_run(struct api_call *c)
{
	char text[600] = "", q[700];
	rw_backup_t b = {0};
	rw_env_db_t d;
	wire_msg_t *m = NULL;
	int rv;

	if (!have_store(c))
		return no_store(c);
	if (env_db(c, c->req->u.query.env, &d, &m) != 0)
		return m;
	rv = backup_dump(c->ctx->backup, &d, &b, text, sizeof(text));
	memset(d.db_url, 0, sizeof(d.db_url));
	if (rv != 0) {
		log_error("backup.failed", "env=%s err=%s reason=%s", d.env, rw_errname(rv),
		          log_q(q, sizeof(q), text));
		return api_fail(c, rv, text);
	}
	if ((rv = store_backup_add(c->ctx->store, &c->who, "backup.run", &b)) != 0)
		return api_fail(c, rv, NULL);
	log_info("backup.taken", "env=%s id=%lld sha256=%s size=%lld", b.env, (long long)b.id,
	         b.sha256, (long long)b.size);
	return API_REPLY_WITH(c, WIRE_BACKUP, backup, b);
}

wire_msg_t *
api_backup_record(struct api_call *c)
{
	rw_backup_t b = c->req->u.backup;
	int rv;

	(void)RW_STRCPY(b.outcome, b.verified ? "ok" : "none");
	if (b.verified)
		(void)RW_STRCPY(b.result, "recorded as verified (verification done elsewhere)");
	else
		b.result[0] = '\0';
	if ((rv = store_backup_add(c->ctx->store, &c->who, "backup.record", &b)) != 0)
		return api_fail_on(c, rv, RW_ENOTFOUND, "environment not found");
	return API_REPLY_WITH(c, WIRE_BACKUP, backup, b);
}

wire_msg_t *
api_backup_verify(struct api_call *c)
{
	char result[RW_TEXT_MAX + 1] = "", q[700];
	rw_backup_t b;
	rw_env_db_t d;
	wire_msg_t *m = NULL;
	int rv;

	if (!have_store(c))
		return no_store(c);
	if ((rv = store_backup_get(c->ctx->store, c->req->u.query.id, &b)) != 0)
		return api_fail_on(c, rv, RW_ENOTFOUND, "backup not found");
	/* A backup kept elsewhere cannot be restored from here; that says nothing bad about it. */
	if (artstore_path(c->ctx->backup->store, b.location, result, sizeof(result)) != 0) {
		snprintf(result, sizeof(result),
		         "backup %lld is not in this server's artifact store (%.900s); verify it where "
		         "it is kept and record that with backup record --verified",
		         (long long)b.id, b.location);
		return api_fail(c, RW_EINVAL, result);
	}
	if (env_db(c, b.env, &d, &m) != 0)
		return m;
	rv = backup_verify(c->ctx->backup, &d, &b, result, sizeof(result));
	memset(d.db_url, 0, sizeof(d.db_url));
	log_info("backup.verified", "id=%lld ok=%d result=%s", (long long)b.id, rv == 0,
	         log_q(q, sizeof(q), result));
	/* A failed verification is a result to record, not a failed request. */
	if ((rv = store_backup_verified(c->ctx->store, &c->who, &b, rv == 0, result)) != 0)
		return api_fail(c, rv, NULL);
	return API_REPLY_WITH(c, WIRE_BACKUP, backup, b);
}

