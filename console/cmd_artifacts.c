/*
 * cmd_artifacts — console commands for what makes a release restorable:
 * config archives and migration scripts (packed, hashed and sent to
 * rewindd's artifact store by upload.c), artifact verification, the
 * environment's application database, and database backups.
 *
 * Files are read and packed on the operator's machine; rewindd never reads
 * the operator's disk.  Input checks here are for friendly messages only;
 * the server checks everything again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client.h"
#include "cmds.h"
#include "domain.h"
#include "err.h"
#include "textfmt.h"
#include "upload.h"

#define MAX_FILES 32

/* --- artifacts ------------------------------------------------------------- */

/* The release's "<service>-<version>", for artifact names. */
static int
release_prefix(struct cli *c, int64_t id, char *out, size_t outsz)
{
	wire_msg_t *req = wire_msg_new(WIRE_RELEASE_GET, 0), *resp;
	int rv;

	if (req)
		req->u.query.id = id;
	if ((rv = cmd_roundtrip(c, req, WIRE_RELEASE, &resp)) != 0)
		return rv;
	snprintf(out, outsz, "%s-%s", resp->u.release.service, resp->u.release.version);
	wire_msg_free(resp);
	return 0;
}

static int
artifact_add(struct cli *c)
{
	const char *cfg[MAX_FILES], *mig[MAX_FILES];
	const char *rid = cli_get(c, "release");
	size_t ncfg = cli_get_all(c, "config-file", cfg, MAX_FILES);
	size_t nmig = cli_get_all(c, "migration", mig, MAX_FILES);
	char prefix[RW_NAME_MAX + RW_VERSION_MAX + 2];
	wire_msg_t *req = NULL;
	link_t *l;
	int64_t id;
	int rv;

	if (c->nwords != 2 || !rid || (ncfg == 0) == (nmig == 0))
		return cmd_usage_err(c);
	if (ncfg > MAX_FILES || nmig > MAX_FILES) {
		fprintf(stderr, "error: at most %d files per archive\n", MAX_FILES);
		return CLI_USAGE;
	}
	if ((rv = cmd_id("release", rid, &id)) || (rv = cli_check_unused(c, "artifact add")))
		return rv;
	if ((rv = release_prefix(c, id, prefix, sizeof(prefix))) != 0)
		return rv;
	rv = ncfg ? upload_pack(cfg, ncfg, id, "config-archive", prefix, &req)
	          : upload_pack(mig, nmig, id, "migration", prefix, &req);
	if (rv != 0)
		return rv;
	if ((rv = client_connect(c, &l)) == 0) {
		rv = upload_send(c, l, req);
		link_close(l);
	}
	wire_msg_free(req);
	return rv;
}

static void
artifact_row(textfmt_table_t *t, const void *item)
{
	const rw_artifact_t *a = item;
	char id[CMD_INT_TEXT_MAX], rel[CMD_INT_TEXT_MAX], size[CMD_INT_TEXT_MAX], sha[20];
	/* Full hashes are in -o json and SHA256SUMS.txt. */
	snprintf(sha, sizeof(sha), "%.12s", a->sha256);
	const char *row[] = {cmd_int_text(a->id, id),
	                     a->release_id ? cmd_int_text(a->release_id, rel) : "-", a->kind,
	                     a->name[0] ? a->name : a->location, sha, cmd_int_text(a->size, size),
	                     a->outcome[0] ? a->outcome : "none"};
	textfmt_table_add(t, row);
}

static const char *const artifact_cols[] = {"ID", "RELEASE", "KIND", "NAME", "SHA256", "SIZE",
                                            "CHECK"};
static const struct cmd_list artifact_fmt = {7, artifact_cols, upload_artifact_json, artifact_row};

static void
print_artifacts(struct cli *c, const wire_msg_t *resp)
{
	cmd_print_list(c, &artifact_fmt, resp->u.list.items, resp->u.list.n, sizeof(rw_artifact_t));
}

static int
artifact_list(struct cli *c)
{
	const char *rid = cli_get(c, "release");
	wire_msg_t *req, *resp;
	int64_t id = 0;
	int rv;

	if (c->nwords != 2)
		return cmd_usage_err(c);
	if ((rid && (rv = cmd_id("release", rid, &id))) ||
	    (rv = cli_check_unused(c, "artifact list")))
		return rv;
	if ((req = wire_msg_new(WIRE_ARTIFACT_LIST, 0)))
		req->u.query.id = id;
	if ((rv = cmd_roundtrip(c, req, WIRE_ARTIFACT_LIST_OK, &resp)) != 0)
		return rv;
	print_artifacts(c, resp);
	wire_msg_free(resp);
	return 0;
}

static int
artifact_verify(struct cli *c)
{
	wire_msg_t *resp;
	size_t bad = 0;
	int rv;

	if (c->nwords != 2)
		return cmd_usage_err(c);
	if ((rv = cli_check_unused(c, "artifact verify")) ||
	    (rv = cmd_roundtrip(c, wire_msg_new(WIRE_ARTIFACT_VERIFY, 0), WIRE_ARTIFACT_VERIFY_OK,
	                        &resp)))
		return rv;
	const rw_artifact_t *a = resp->u.list.items;
	for (size_t i = 0; i < resp->u.list.n; i++)
		bad += strcmp(a[i].outcome, "ok") != 0;
	print_artifacts(c, resp);
	if (!c->json)
		printf("%zu checked, %zu ok, %zu failed\n", resp->u.list.n, resp->u.list.n - bad, bad);
	if (bad)
		fprintf(stderr, "error: %zu stored file%s changed or missing\n", bad,
		        bad == 1 ? " is" : "s are");
	wire_msg_free(resp);
	return bad ? CLI_FAILED : 0;
}

/* --- environment database ---------------------------------------------------------- */

static int
env_set_db(struct cli *c)
{
	const char *sql[RW_SANITY_MAX + 1];
	const char *url = cli_get(c, "db-url");
	size_t n = cli_get_all(c, "sanity-sql", sql, RW_SANITY_MAX + 1);
	wire_msg_t *req, *resp;
	char msg[256];
	int rv;

	if (c->nwords != 3 || !url)
		return cmd_usage_err(c);
	if ((rv = cli_check_unused(c, "env set-db")) != 0)
		return rv;
	if (n > RW_SANITY_MAX) {
		fprintf(stderr, "error: at most %d --sanity-sql queries\n", RW_SANITY_MAX);
		return CLI_USAGE;
	}
	if (!(req = wire_msg_new(WIRE_ENV_DB_SET, 0)))
		return CLI_FAILED;
	rw_env_db_t *d = &req->u.env_db;
	rv = RW_STRCPY(d->env, c->words[2]) || RW_STRCPY(d->db_url, url);
	for (size_t i = 0; i < n && rv == 0; i++)
		rv = RW_STRCPY(d->sanity[i], sql[i]);
	d->n_sanity = n;
	if (rv == 0)
		rv = rw_env_db_check(d, msg, sizeof(msg));
	else
		snprintf(msg, sizeof(msg), "a value is too long");
	if (rv != 0) {
		wire_msg_free(req);
		fprintf(stderr, "error: %s\n", msg);
		return CLI_USAGE;
	}
	if ((rv = cmd_roundtrip(c, req, WIRE_ENV_DB, &resp)) != 0)
		return rv;
	if (c->json) {
		json_t *o = json_object(), *a = json_array();
		cmd_jset(o, "env", resp->u.env_db.env);
		cmd_jset(o, "db", resp->u.env_db.db_url);
		for (size_t i = 0; i < resp->u.env_db.n_sanity; i++)
			json_array_append_new(a, json_string(resp->u.env_db.sanity[i]));
		json_object_set_new(o, "sanitySql", a);
		cmd_print_json(o);
	} else {
		/* The server sends the URL back without its password. */
		printf("environment/%s database set (%s; %zu sanity quer%s)\n", resp->u.env_db.env,
		       resp->u.env_db.db_url, resp->u.env_db.n_sanity,
		       resp->u.env_db.n_sanity == 1 ? "y" : "ies");
	}
	wire_msg_free(resp);
	return 0;
}

/* --- backups ---------------------------------------------------------------------- */

static json_t *
backup_json(const rw_backup_t *b)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(b->id));
	cmd_jsets(o, "env", b->env, "kind", b->kind, "location", b->location, "sha256", b->sha256,
	          NULL);
	json_object_set_new(o, "size", json_integer(b->size));
	cmd_jtime(o, "takenAt", b->taken_at);
	cmd_jset(o, "takenBy", b->taken_by);
	cmd_jset(o, "outcome", b->outcome);
	json_object_set_new(o, "verified", json_boolean(b->verified));
	cmd_jtime(o, "verifiedAt", b->verified_at);
	cmd_jset(o, "verifiedBy", b->verified_by);
	cmd_jset(o, "result", b->result);
	return o;
}

static void
backup_print(struct cli *c, const rw_backup_t *b, const char *what)
{
	if (c->json) {
		cmd_print_json(backup_json(b));
		return;
	}
	printf("backup/%s/%lld %s (%s, sha256 %s, %lld bytes, %s)\n", b->env, (long long)b->id,
	       what, b->kind, b->sha256[0] ? b->sha256 : "-", (long long)b->size,
	       b->verified ? "verified" : strcmp(b->outcome, "failed") == 0 ? "verification FAILED"
	                                                                   : "not verified");
	if (b->result[0])
		printf("  %s\n", b->result);
}

/* Sends req (freed) and prints the backup the server answers with, as what. */
static int
backup_send(struct cli *c, wire_msg_t *req, const char *what)
{
	wire_msg_t *resp;
	int rv = cmd_roundtrip(c, req, WIRE_BACKUP, &resp);
	if (rv != 0)
		return rv;
	backup_print(c, &resp->u.backup, what);
	wire_msg_free(resp);
	return 0;
}

static int
backup_run(struct cli *c)
{
	const char *env = cli_get(c, "env");
	wire_msg_t *req;
	int rv;

	if (c->nwords != 2 || !env)
		return cmd_usage_err(c);
	if ((rv = cli_check_unused(c, "backup run")) != 0)
		return rv;
	if (!(req = wire_msg_new(WIRE_BACKUP_RUN, 0)))
		return CLI_FAILED;
	if (RW_STRCPY(req->u.query.env, env) != 0) {
		wire_msg_free(req);
		return cmd_usage_err(c);
	}
	return backup_send(c, req, "taken");
}

static int
backup_verify(struct cli *c)
{
	wire_msg_t *req, *resp;
	int64_t id;
	int rv;

	if (c->nwords != 3)
		return cmd_usage_err(c);
	if ((rv = cmd_id("id", c->words[2], &id)) || (rv = cli_check_unused(c, "backup verify")))
		return rv;
	if ((req = wire_msg_new(WIRE_BACKUP_VERIFY, 0)))
		req->u.query.id = id;
	if ((rv = cmd_roundtrip(c, req, WIRE_BACKUP, &resp)) != 0)
		return rv;
	backup_print(c, &resp->u.backup, resp->u.backup.verified ? "verified by restore"
	                                                         : "FAILED verification");
	rv = resp->u.backup.verified ? 0 : CLI_FAILED;
	if (rv)
		fprintf(stderr, "error: backup %lld did not verify: %s\n", (long long)id,
		        resp->u.backup.result);
	wire_msg_free(resp);
	return rv;
}

static int
backup_fill(struct cli *c, rw_backup_t *b)
{
	const char *kind = cli_get(c, "kind"), *size = cli_get(c, "size");
	char msg[256];
	unsigned long long n = 0;
	char *end;

	if (RW_STRCPY(b->env, cli_get(c, "env") ? cli_get(c, "env") : "") ||
	    RW_STRCPY(b->kind, kind ? kind : "external") ||
	    RW_STRCPY(b->location, cli_get(c, "location") ? cli_get(c, "location") : "") ||
	    RW_STRCPY(b->sha256, cli_get(c, "sha256") ? cli_get(c, "sha256") : "")) {
		fprintf(stderr, "error: a value is too long\n");
		return CLI_USAGE;
	}
	if (size) {
		n = strtoull(size, &end, 10);
		if (!*size || *end || size[0] == '-' || n > (1ULL << 50)) {
			fprintf(stderr, "error: --size must be a number of bytes\n");
			return CLI_USAGE;
		}
	}
	b->size = (int64_t)n;
	b->verified = cli_has(c, "verified");
	if (rw_backup_check(b, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "error: %s\n", msg);
		return CLI_USAGE;
	}
	return 0;
}

static int
backup_record(struct cli *c)
{
	wire_msg_t *req;
	int rv;

	if (c->nwords != 2 || !cli_get(c, "env") || !cli_get(c, "location"))
		return cmd_usage_err(c);
	if (!(req = wire_msg_new(WIRE_BACKUP_RECORD, 0)))
		return CLI_FAILED;
	if ((rv = backup_fill(c, &req->u.backup)) || (rv = cli_check_unused(c, "backup record"))) {
		wire_msg_free(req);
		return rv;
	}
	return backup_send(c, req, "recorded");
}

/* Index of the newest verified backup (lists are newest first), or n. */
static size_t
latest_verified(const rw_backup_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i].verified)
			return i;
	return n;
}

static void
backup_table(const rw_backup_t *b, size_t n)
{
	static const char *h[] = {"ID", "ENV", "KIND", "TAKEN", "SIZE", "SHA256", "VERIFIED",
	                          "LATEST-VERIFIED", "RESULT"};
	size_t latest = latest_verified(b, n);
	textfmt_table_t *t = textfmt_table_new(9, h);
	for (size_t i = 0; t && i < n; i++) {
		char id[24], size[24], when[40], sha[20], res[64];
		snprintf(id, sizeof(id), "%lld", (long long)b[i].id);
		snprintf(size, sizeof(size), "%lld", (long long)b[i].size);
		snprintf(sha, sizeof(sha), "%.12s", b[i].sha256[0] ? b[i].sha256 : "-");
		snprintf(res, sizeof(res), "%.60s", b[i].result[0] ? b[i].result : "-");
		const char *row[] = {id, b[i].env, b[i].kind,
		                     textfmt_time(b[i].taken_at, when, sizeof(when)), size, sha,
		                     b[i].verified ? "yes"
		                     : strcmp(b[i].outcome, "failed") == 0 ? "FAILED" : "no",
		                     i == latest ? "*" : "", res};
		textfmt_table_add(t, row);
	}
	cmd_table_done(t);
}

static int
backup_list(struct cli *c)
{
	const char *env = cli_get(c, "env");
	wire_msg_t *req, *resp;
	uint32_t limit;
	int rv;

	if (c->nwords != 2)
		return cmd_usage_err(c);
	if ((rv = cmd_limit(c, &limit)) || (rv = cli_check_unused(c, "backup list")))
		return rv;
	if (!(req = wire_msg_new(WIRE_BACKUP_LIST, 0)))
		return CLI_FAILED;
	req->u.query.limit = limit;
	if (env && RW_STRCPY(req->u.query.env, env) != 0) {
		wire_msg_free(req);
		return cmd_usage_err(c);
	}
	if ((rv = cmd_roundtrip(c, req, WIRE_BACKUP_LIST_OK, &resp)) != 0)
		return rv;
	const rw_backup_t *b = resp->u.list.items;
	if (c->json) {
		size_t latest = latest_verified(b, resp->u.list.n);
		json_t *arr = json_array();
		for (size_t i = 0; i < resp->u.list.n; i++) {
			json_t *o = backup_json(&b[i]);
			json_object_set_new(o, "latestVerified", json_boolean(i == latest));
			json_array_append_new(arr, o);
		}
		cmd_print_json(arr);
	} else {
		backup_table(b, resp->u.list.n);
	}
	wire_msg_free(resp);
	return 0;
}

const struct cmd cmds_artifacts[] = {
    {"artifact", "add", artifact_add, "store a config archive or migration scripts for a release (operator)",
     "Usage: rewindctl artifact add --release ID --config-file FILE [--config-file FILE]...\n"
     "       rewindctl artifact add --release ID --migration FILE [--migration FILE]...\n\n"
     "Packs the files into a .tar.gz (at most 16 MiB), hashes it (SHA-256) and stores it in\n"
     "rewindd's artifact store, listed in its SHA256SUMS.txt.  One archive of each kind per\n"
     "release.  (--config-file, because --config names rewindctl's own settings file.)\n"},
    {"artifact", "list", artifact_list, "list stored artifacts",
     "Usage: rewindctl artifact list [--release ID] [-o table|json]\n"},
    {"artifact", "verify", artifact_verify, "re-hash every stored file (operator)",
     "Usage: rewindctl artifact verify [-o table|json]\n\n"
     "rewindd re-hashes every artifact and every stored database dump and records the outcome\n"
     "(ok, mismatch, missing).  Exits 1 when anything changed or is missing.\n"},
    {"env", "set-db", env_set_db, "set an environment's application database (admin)",
     "Usage: rewindctl env set-db ENV --db-url URL [--sanity-sql SQL]...\n\n"
     "URL is a PostgreSQL URI or conninfo; it may contain a password, which rewindd stores but\n"
     "never shows, logs or audits.  Each --sanity-sql query (at most 8) must succeed and return\n"
     "a row on a restored copy for a backup to count as verified.\n"},
    {"backup", "run", backup_run, "take a pg_dump of an environment's database (operator)",
     "Usage: rewindctl backup run --env ENV\n"},
    {"backup", "verify", backup_verify, "restore a backup into a scratch database and check it (operator)",
     "Usage: rewindctl backup verify ID\n\n"
     "Restores the dump into a fresh scratch database on the environment's server, runs the\n"
     "sanity queries, drops the scratch database and records the result.  Exits 1 when the\n"
     "backup does not verify.\n"},
    {"backup", "record", backup_record, "register a backup taken elsewhere (operator)",
     "Usage: rewindctl backup record --env ENV --location L [--sha256 HEX] [--size N]\n"
     "                               [--kind K] [--verified]\n"},
    {"backup", "list", backup_list, "backups, newest first, with the latest verified one",
     "Usage: rewindctl backup list [--env ENV] [--limit N] [-o table|json]\n"},
    {0},
};
