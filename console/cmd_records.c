/*
 * cmd_records — console commands over the release history: environments,
 * services, releases, history and the audit log.  Each builds one request,
 * calls rewindd, and prints the reply as a table or as JSON.  Input checks
 * here are for friendly messages only; the server checks everything again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "client.h"
#include "cmds.h"
#include "domain.h"
#include "err.h"
#include "registry.h"
#include "textfmt.h"
#include "upload.h"

/* --- environments ------------------------------------------------------------ */

static json_t *
env_json(const void *item)
{
	const rw_env_t *e = item;
	json_t *o = json_object();
	cmd_jsets(o, "name", e->name, "cluster", e->cluster, "healthUrl", e->health_url,
	          "healthExpect", e->health_expect, NULL);
	cmd_jtime(o, "createdAt", e->created_at);
	return o;
}

static int
env_add(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_ENV_ADD, 0), *resp;
	char msg[256];
	int rv;

	if (!req)
		return CLI_FAILED;
	rw_env_t *e = &req->u.env;
	if ((rv = cmd_words(c, 3)) || (rv = CMD_COPY(e->name, "name", c->words[2])) ||
	    (rv = CMD_COPY(e->cluster, "cluster", cli_get(c, "cluster"))) ||
	    (rv = CMD_COPY(e->health_url, "health-url", cli_get(c, "health-url"))) ||
	    (rv = CMD_COPY(e->health_expect, "health-expect", cli_get(c, "health-expect"))) ||
	    (rv = cli_check_unused(c, "env add")) ||
	    (rv = cmd_check(rw_env_check(e, msg, sizeof(msg)), msg))) {
		wire_msg_free(req);
		return rv;
	}
	if ((rv = cmd_roundtrip(c, req, WIRE_ENV, &resp)) != 0)
		return rv;
	if (c->json)
		cmd_print_json(env_json(&resp->u.env));
	else
		printf("environment/%s added (cluster %s)\n", resp->u.env.name, resp->u.env.cluster);
	wire_msg_free(resp);
	return 0;
}

static int
env_list(struct cli *c)
{
	static const char *h[] = {"NAME", "CLUSTER", "HEALTH URL", "AGE"};
	wire_msg_t *resp;
	int rv;

	if ((rv = cmd_words(c, 2)) || (rv = cli_check_unused(c, "env list")) ||
	    (rv = cmd_roundtrip(c, wire_msg_new(WIRE_ENV_LIST, 0), WIRE_ENV_LIST_OK, &resp)))
		return rv;
	const rw_env_t *e = resp->u.list.items;
	if (c->json) {
		static const struct cmd_list l = {.json = env_json};
		cmd_print_json(cmd_json_array(&l, e, resp->u.list.n, sizeof(*e)));
	} else {
		/* Not cmd_print_list(): every row's age is taken against the same now. */
		textfmt_table_t *t = textfmt_table_new(4, h);
		int64_t now = rw_now_us();
		for (size_t i = 0; t && i < resp->u.list.n; i++) {
			char age[16];
			const char *row[] = {e[i].name, e[i].cluster,
			                     e[i].health_url[0] ? e[i].health_url : "-",
			                     textfmt_age(e[i].created_at, now, age, sizeof(age))};
			textfmt_table_add(t, row);
		}
		cmd_table_done(t);
	}
	wire_msg_free(resp);
	return 0;
}

/* --- services ------------------------------------------------------------------ */

static json_t *
service_json(const void *item)
{
	const rw_service_t *s = item;
	json_t *o = json_object();
	cmd_jsets(o, "name", s->name, "namespace", s->namespace_, "deployment", s->deployment,
	          "container", s->container, "image", s->image_repo, "healthPath", s->health_path,
	          "healthExpect", s->health_expect, NULL);
	cmd_jtime(o, "createdAt", s->created_at);
	return o;
}

/* Defaults follow the common case of one container named after its Deployment. */
static int
service_fill(struct cli *c, rw_service_t *s)
{
	const char *ns = cli_get(c, "namespace");
	const char *dep = cli_get(c, "deployment");
	const char *ctr = cli_get(c, "container");
	int rv;

	if ((rv = CMD_COPY(s->name, "name", c->words[2])) ||
	    (rv = CMD_COPY(s->namespace_, "namespace", ns ? ns : "default")) ||
	    (rv = CMD_COPY(s->deployment, "deployment", dep ? dep : c->words[2])) ||
	    (rv = CMD_COPY(s->container, "container", ctr ? ctr : (dep ? dep : c->words[2]))) ||
	    (rv = CMD_COPY(s->image_repo, "image", cli_get(c, "image"))) ||
	    (rv = CMD_COPY(s->health_path, "health-path", cli_get(c, "health-path"))) ||
	    (rv = CMD_COPY(s->health_expect, "health-expect", cli_get(c, "health-expect"))))
		return rv;
	return 0;
}

static int
service_add(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_SERVICE_ADD, 0), *resp;
	char msg[256];
	int rv;

	if (!req)
		return CLI_FAILED;
	if ((rv = cmd_words(c, 3)) || (rv = service_fill(c, &req->u.service)) ||
	    (rv = cli_check_unused(c, "service add")) ||
	    (rv = cmd_check(rw_service_check(&req->u.service, msg, sizeof(msg)), msg))) {
		wire_msg_free(req);
		return rv;
	}
	if ((rv = cmd_roundtrip(c, req, WIRE_SERVICE, &resp)) != 0)
		return rv;
	if (c->json)
		cmd_print_json(service_json(&resp->u.service));
	else
		printf("service/%s added (deployment %s/%s, container %s)\n", resp->u.service.name,
		       resp->u.service.namespace_, resp->u.service.deployment,
		       resp->u.service.container);
	wire_msg_free(resp);
	return 0;
}

static void
service_row(textfmt_table_t *t, const void *item)
{
	const rw_service_t *s = item;
	const char *row[] = {s->name, s->namespace_, s->deployment, s->container, s->image_repo,
	                     s->health_path[0] ? s->health_path : "-"};
	textfmt_table_add(t, row);
}

static const char *const service_cols[] = {"NAME",      "NAMESPACE", "DEPLOYMENT",
                                           "CONTAINER", "IMAGE",     "HEALTH"};
static const struct cmd_list service_list_fmt = {6, service_cols, service_json, service_row};

static int
service_list(struct cli *c)
{
	wire_msg_t *resp;
	int rv;

	if ((rv = cmd_words(c, 2)) ||
	    (rv = cli_check_unused(c, "service list")) ||
	    (rv = cmd_roundtrip(c, wire_msg_new(WIRE_SERVICE_LIST, 0), WIRE_SERVICE_LIST_OK, &resp)))
		return rv;
	cmd_print_list(c, &service_list_fmt, resp->u.list.items, resp->u.list.n,
	               sizeof(rw_service_t));
	wire_msg_free(resp);
	return 0;
}

static int
service_show(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_SERVICE_GET, 0), *resp;
	int rv;

	if (!req)
		return CLI_FAILED;
	if ((rv = cmd_words(c, 3)) ||
	    (rv = CMD_COPY(req->u.query.service, "name", c->words[2])) ||
	    (rv = cli_check_unused(c, "service show"))) {
		wire_msg_free(req);
		return rv;
	}
	if ((rv = cmd_roundtrip(c, req, WIRE_SERVICE, &resp)) != 0)
		return rv;
	const rw_service_t *s = &resp->u.service;
	if (c->json) {
		cmd_print_json(service_json(s));
	} else {
		printf("Name:          %s\nNamespace:     %s\nDeployment:    %s\nContainer:     %s\n"
		       "Image:         %s\nHealth path:   %s\nHealth expect: %s\n",
		       s->name, s->namespace_, s->deployment, s->container, s->image_repo,
		       s->health_path[0] ? s->health_path : "-",
		       s->health_expect[0] ? s->health_expect : "-");
	}
	wire_msg_free(resp);
	return 0;
}

/* --- releases ------------------------------------------------------------------- */

static json_t *
release_json(const void *item)
{
	const rw_release_t *r = item;
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(r->id));
	cmd_jsets(o, "service", r->service, "version", r->version, "image", r->image_ref, "digest",
	          r->digest, "commit", r->source_commit, "notes", r->notes, "recordedBy",
	          r->created_by, NULL);
	cmd_jtime(o, "recordedAt", r->created_at);
	char pinned[RW_IMAGE_MAX + RW_DIGEST_MAX + 2];
	json_object_set_new(o, "pinned", json_boolean(r->digest[0] != '\0'));
	if (rw_release_pinned_ref(r, pinned, sizeof(pinned)) == 0)
		cmd_jset(o, "pinnedRef", pinned);
	cmd_jset(o, "migrationsBackwardCompatible", r->migrations_compat);
	return o;
}

/* --image REPO:TAG names the version by its tag; --version alone uses the service's repository. */
static int
release_fill(struct cli *c, rw_release_t *r)
{
	const char *image = cli_get(c, "image");
	const char *version = cli_get(c, "version");
	const char *colon, *slash;
	int rv;

	const char *compat = cli_get(c, "migrations-backward-compatible");
	if ((rv = CMD_COPY(r->service, "service", cli_get(c, "service"))) ||
	    (rv = CMD_COPY(r->digest, "digest", cli_get(c, "digest"))) ||
	    (rv = CMD_COPY(r->migrations_compat, "migrations-backward-compatible", compat)) ||
	    (rv = CMD_COPY(r->source_commit, "commit", cli_get(c, "commit"))) ||
	    (rv = CMD_COPY(r->notes, "notes", cli_get(c, "notes"))))
		return rv;
	if (!image && !version) {
		fprintf(stderr, "error: give --image REPOSITORY:TAG (or --version TAG)\n");
		return CLI_USAGE;
	}
	if (image) {
		if ((rv = CMD_COPY(r->image_ref, "image", image)) != 0)
			return rv;
		slash = strrchr(image, '/');
		colon = strrchr(slash ? slash : image, ':');
		if (!version && colon)
			version = colon + 1;
	}
	return CMD_COPY(r->version, "version", version ? version : "");
}

/*
 * Registry credentials: REWIND_REGISTRY_USER/PASSWORD, else the host's line
 * in --registry-auth FILE (default ~/.config/rewind/registry-auth, if any).
 */
static int
registry_creds(struct cli *c, const char *host, char *user, size_t usersz, char *pass,
               size_t passsz)
{
	const char *eu = getenv("REWIND_REGISTRY_USER"), *ep = getenv("REWIND_REGISTRY_PASSWORD");
	const char *file = cli_get(c, "registry-auth"), *home = getenv("HOME");
	char def[1024], msg[400] = "";
	int rv;

	user[0] = pass[0] = '\0';
	if (eu && *eu)
		return rw_strcpy(user, usersz, eu) || rw_strcpy(pass, passsz, ep ? ep : "") ? CLI_USAGE : 0;
	if (!file && home) {
		snprintf(def, sizeof(def), "%s/.config/rewind/registry-auth", home);
		if (access(def, F_OK) != 0)
			return 0;
		file = def;
	}
	if (!file)
		return 0;
	rv = registry_creds_lookup(file, host, user, usersz, pass, passsz, msg, sizeof(msg));
	if (rv == 0 || (rv == RW_ENOTFOUND && access(file, F_OK) == 0))
		return 0;
	fprintf(stderr, "error: registry credentials: %s\n", msg);
	return CLI_USAGE;
}

/*
 * Pins r->digest to what the registry serves for the tag right now.  An
 * unreachable registry is an error unless --allow-unpinned, which records
 * the release without a digest (gates warn about it later).  A registry that
 * answers but refuses, does not know the tag or sends a bad manifest is
 * always an error: that is not a release to record.
 */
static int
pin_digest(struct cli *c, rw_release_t *r)
{
	char user[REGISTRY_CRED_MAX + 1], pass[REGISTRY_CRED_MAX + 1], msg[600] = "";
	struct registry_opts o = {.insecure = cli_has(c, "registry-insecure")};
	bool allow_unpinned = cli_has(c, "allow-unpinned");
	const char *tmo = cli_get(c, "registry-timeout");
	struct registry_ref ref;
	unsigned t = 0;
	int rv;

	if (tmo && cli_uint("registry-timeout", tmo, 1, 600, &t) != 0)
		return CLI_USAGE;
	o.timeout_s = (long)t;
	if (r->digest[0])
		return 0;                 /* pinned by hand with --digest */
	if (registry_ref_parse(r->image_ref, &ref, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "error: %s\n", msg);
		return CLI_USAGE;
	}
	if ((rv = registry_creds(c, ref.host, user, sizeof(user), pass, sizeof(pass))) != 0)
		return rv;
	o.user = user[0] ? user : NULL;
	o.password = pass;
	rv = registry_resolve(&ref, &o, r->digest, msg, sizeof(msg));
	memset(pass, 0, sizeof(pass));
	if (rv == 0)
		return 0;
	if (allow_unpinned && (rv == RW_ECONNECT || rv == RW_ETIMEDOUT)) {
		fprintf(stderr, "warning: %s: %s; recording the release UNPINNED (--allow-unpinned)\n",
		        ref.host, msg);
		return 0;
	}
	fprintf(stderr, "error: cannot pin %s to a digest: %s%s\n", r->image_ref, msg,
	        rv == RW_ECONNECT || rv == RW_ETIMEDOUT
	            ? " (use --allow-unpinned to record it without a digest)" : "");
	return rv == RW_ENOTFOUND ? CLI_NOTFOUND : CLI_FAILED;
}

/* Packs --config-file / --migration files before anything is sent: a bad file stops here. */
static int
release_archives(struct cli *c, const rw_release_t *r, wire_msg_t **cfg, wire_msg_t **mig)
{
	const char *files[32];
	char prefix[RW_NAME_MAX + RW_VERSION_MAX + 2];
	size_t n;
	int rv;

	*cfg = *mig = NULL;
	snprintf(prefix, sizeof(prefix), "%s-%s", r->service, r->version);
	if ((n = cli_get_all(c, "config-file", files, 32)) > 0 &&
	    (rv = upload_pack(files, n > 32 ? 32 : n, 0, "config-archive", prefix, cfg)) != 0)
		return rv;
	if ((n = cli_get_all(c, "migration", files, 32)) > 0 &&
	    (rv = upload_pack(files, n > 32 ? 32 : n, 0, "migration", prefix, mig)) != 0) {
		wire_msg_free(*cfg);
		*cfg = NULL;
		return rv;
	}
	return 0;
}

/* Records the release and sends its archives on one session. */
static int
release_send(struct cli *c, wire_msg_t *req, wire_msg_t *cfg, wire_msg_t *mig)
{
	wire_msg_t *resp = NULL;
	link_t *l;
	int rv;

	if ((rv = client_connect(c, &l)) != 0)
		return rv;
	if ((rv = client_call(l, req, WIRE_RELEASE, &resp)) != 0) {
		link_close(l);
		return rv;
	}
	const rw_release_t *r = &resp->u.release;
	if (c->json)
		cmd_print_json(release_json(r));
	else
		printf("release/%s/%s recorded (id %lld, image %s%s%s)%s\n", r->service, r->version,
		       (long long)r->id, r->image_ref, r->digest[0] ? "@" : "", r->digest,
		       r->digest[0] ? "" : " UNPINNED: no digest");
	for (int i = 0; i < 2 && rv == 0; i++) {
		wire_msg_t *a = i == 0 ? cfg : mig;
		if (!a)
			continue;
		a->u.upload.meta.release_id = r->id;
		rv = upload_send(c, l, a);
	}
	if (rv != 0)
		fprintf(stderr, "error: release %lld was recorded, but its archive was not stored; "
		        "retry with rewindctl artifact add --release %lld\n", (long long)r->id,
		        (long long)r->id);
	wire_msg_free(resp);
	link_close(l);
	return rv;
}

static int
release_record(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_RELEASE_RECORD, 0), *cfg = NULL, *mig = NULL;
	char msg[256];
	int rv;

	if (!req)
		return CLI_FAILED;
	rw_release_t *r = &req->u.release;
	/* Flags read later are marked used now, so the unknown-flag check sees them. */
	(void)cli_get(c, "registry-auth");
	(void)cli_get(c, "registry-timeout");
	(void)cli_has(c, "allow-unpinned");
	(void)cli_has(c, "registry-insecure");
	(void)cli_get(c, "config-file");
	(void)cli_get(c, "migration");
	if ((rv = cmd_words(c, 2)) || (rv = release_fill(c, r)) ||
	    (rv = cli_check_unused(c, "release record"))) {
		wire_msg_free(req);
		return rv;
	}
	if (!r->image_ref[0]) {
		/* Only a version: the image is the service's repository at that tag. */
		wire_msg_t *sreq = wire_msg_new(WIRE_SERVICE_GET, 0), *sresp;
		if (sreq)
			snprintf(sreq->u.query.service, sizeof(sreq->u.query.service), "%s", r->service);
		if ((rv = cmd_roundtrip(c, sreq, WIRE_SERVICE, &sresp)) != 0) {
			wire_msg_free(req);
			return rv;
		}
		rv = snprintf(r->image_ref, sizeof(r->image_ref), "%s:%s",
		              sresp->u.service.image_repo, r->version) >= (int)sizeof(r->image_ref);
		wire_msg_free(sresp);
		if (rv) {
			wire_msg_free(req);
			return cmd_check(RW_ETOOBIG, "image reference too long");
		}
	}
	if ((rv = cmd_check(rw_release_check(r, msg, sizeof(msg)), msg)) != 0 ||
	    (rv = release_archives(c, r, &cfg, &mig)) != 0 || (rv = pin_digest(c, r)) != 0) {
		wire_msg_free(req);
		return rv;
	}
	rv = release_send(c, req, cfg, mig);
	wire_msg_free(req);
	wire_msg_free(cfg);
	wire_msg_free(mig);
	return rv;
}

static void
release_row(textfmt_table_t *t, const void *item)
{
	const rw_release_t *r = item;
	char id[CMD_INT_TEXT_MAX], when[40], dg[24];
	/* Full digests are in -o json; the table shows enough to compare by eye. */
	snprintf(dg, sizeof(dg), "%.19s", r->digest[0] ? r->digest : "UNPINNED");
	const char *row[] = {cmd_int_text(r->id, id), r->service, r->version, r->image_ref, dg,
	                     r->created_by, textfmt_time(r->created_at, when, sizeof(when))};
	textfmt_table_add(t, row);
}

static const char *const release_cols[] = {"ID", "SERVICE", "VERSION", "IMAGE",
                                           "DIGEST", "BY", "RECORDED"};
static const struct cmd_list release_list_fmt = {7, release_cols, release_json, release_row};

static int
release_list(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_RELEASE_LIST, 0), *resp;
	int rv;

	if (!req)
		return CLI_FAILED;
	if ((rv = cmd_words(c, 2)) ||
	    (rv = CMD_COPY(req->u.query.service, "service", cli_get(c, "service"))) ||
	    (rv = cmd_limit(c, &req->u.query.limit)) ||
	    (rv = cli_check_unused(c, "release list"))) {
		wire_msg_free(req);
		return rv;
	}
	if ((rv = cmd_roundtrip(c, req, WIRE_RELEASE_LIST_OK, &resp)) != 0)
		return rv;
	cmd_print_list(c, &release_list_fmt, resp->u.list.items, resp->u.list.n,
	               sizeof(rw_release_t));
	wire_msg_free(resp);
	return 0;
}

static const char *
compat_text(const char *v)
{
	if (strcmp(v, "yes") == 0)
		return "yes (backwards compatible: rolling back the image is enough)";
	if (strcmp(v, "no") == 0)
		return "NO (a rollback needs the migrations rolled back too)";
	return "- (not stated)";
}

static void
release_show_text(const rw_release_t *r, const wire_msg_t *arts)
{
	char when[40], pinned[RW_IMAGE_MAX + RW_DIGEST_MAX + 2];
	const rw_artifact_t *a = arts->u.list.items;

	printf("ID:          %lld\nService:     %s\nVersion:     %s\nImage:       %s\n"
	       "Digest:      %s\nDeploys as:  %s\nMigrations:  %s\nCommit:      %s\n"
	       "Notes:       %s\nRecorded by: %s\nRecorded at: %s\n",
	       (long long)r->id, r->service, r->version, r->image_ref,
	       r->digest[0] ? r->digest : "- UNPINNED (no digest: gates will warn)",
	       rw_release_pinned_ref(r, pinned, sizeof(pinned)) == 0 ? pinned : r->image_ref,
	       compat_text(r->migrations_compat), r->source_commit[0] ? r->source_commit : "-",
	       r->notes[0] ? r->notes : "-", r->created_by,
	       textfmt_time(r->created_at, when, sizeof(when)));
	printf("Artifacts:   %s\n", arts->u.list.n ? "" : "-");
	for (size_t i = 0; i < arts->u.list.n; i++)
		printf("  %-15s %s  sha256 %s  %lld bytes  check: %s\n", a[i].kind, a[i].name,
		       a[i].sha256, (long long)a[i].size, a[i].outcome);
}

static void
release_show_json(const rw_release_t *r, const wire_msg_t *arts)
{
	static const struct cmd_list l = {.json = upload_artifact_json};
	json_t *o = release_json(r);
	json_t *a = cmd_json_array(&l, arts->u.list.items, arts->u.list.n, sizeof(rw_artifact_t));
	json_object_set_new(o, "artifacts", a);
	cmd_print_json(o);
}

static int
release_show(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_RELEASE_GET, 0), *resp;
	int rv = 0;

	if (!req)
		return CLI_FAILED;
	if (c->nwords == 3) {
		rv = cmd_id("id", c->words[2], &req->u.query.id);
	} else {
		rv = CMD_COPY(req->u.query.service, "service", cli_get(c, "service"));
		if (rv == 0)
			rv = CMD_COPY(req->u.query.version, "version", cli_get(c, "version"));
		if (rv == 0 && (c->nwords != 2 || !req->u.query.service[0] || !req->u.query.version[0]))
			rv = cmd_usage_err(c);
	}
	if (rv == 0)
		rv = cli_check_unused(c, "release show");
	if (rv != 0) {
		wire_msg_free(req);
		return rv;
	}
	if ((rv = cmd_roundtrip(c, req, WIRE_RELEASE, &resp)) != 0)
		return rv;
	const rw_release_t *r = &resp->u.release;
	wire_msg_t *areq = wire_msg_new(WIRE_ARTIFACT_LIST, 0), *aresp = NULL;
	if (areq)
		areq->u.query.id = r->id;
	if ((rv = cmd_roundtrip(c, areq, WIRE_ARTIFACT_LIST_OK, &aresp)) != 0) {
		wire_msg_free(resp);
		return rv;
	}
	if (c->json)
		release_show_json(r, aresp);
	else
		release_show_text(r, aresp);
	wire_msg_free(aresp);
	wire_msg_free(resp);
	return 0;
}

/* --- history ------------------------------------------------------------------------- */

static json_t *
history_json(const void *item)
{
	const rw_history_row_t *h = item;
	json_t *o = release_json(&h->release);
	cmd_jset(o, "env", h->env);
	if (h->deployment_id) {
		json_object_set_new(o, "deploymentId", json_integer(h->deployment_id));
		cmd_jtime(o, "deployedAt", h->started_at);
		cmd_jtime(o, "finishedAt", h->finished_at);
		json_object_set_new(o, "outcome", json_string(rw_outcome_name(h->outcome)));
		json_object_set_new(o, "knownGood", json_boolean(h->known_good));
	}
	return o;
}

static void
history_row(textfmt_table_t *t, const void *item)
{
	const rw_history_row_t *h = item;
	char when[40], dg[24];
	bool dep = h->deployment_id != 0;
	snprintf(dg, sizeof(dg), "%.19s", h->release.digest[0] ? h->release.digest : "-");
	const char *row[] = {h->release.version, h->release.image_ref, dg, dep ? h->env : "-",
	                     dep ? textfmt_time(h->started_at, when, sizeof(when)) : "-",
	                     dep ? rw_outcome_name(h->outcome) : "not deployed",
	                     dep && h->known_good ? "yes" : "-", h->release.created_by};
	textfmt_table_add(t, row);
}

static const char *const history_cols[] = {"VERSION",  "IMAGE",   "DIGEST",     "ENV",
                                           "DEPLOYED", "OUTCOME", "KNOWN-GOOD", "RECORDED BY"};
static const struct cmd_list history_fmt = {8, history_cols, history_json, history_row};

static int
history(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_HISTORY, 0), *resp;
	int rv;

	if (!req)
		return CLI_FAILED;
	if ((rv = cmd_words(c, 1)) ||
	    (rv = CMD_COPY(req->u.query.service, "service", cli_get(c, "service"))) ||
	    (rv = CMD_COPY(req->u.query.env, "env", cli_get(c, "env"))) ||
	    (rv = cmd_limit(c, &req->u.query.limit)) || (rv = cli_check_unused(c, "history"))) {
		wire_msg_free(req);
		return rv;
	}
	if (!req->u.query.service[0]) {
		wire_msg_free(req);
		fprintf(stderr, "error: --service is required\n");
		return CLI_USAGE;
	}
	if ((rv = cmd_roundtrip(c, req, WIRE_HISTORY_OK, &resp)) != 0)
		return rv;
	cmd_print_list(c, &history_fmt, resp->u.list.items, resp->u.list.n,
	               sizeof(rw_history_row_t));
	wire_msg_free(resp);
	return 0;
}

const struct cmd cmds_records[] = {
    {"env", "add", env_add, "add an environment (admin)",
     "Usage: rewindctl env add NAME --cluster CLUSTER [--health-url URL] [--health-expect JSON]\n\n"
     "An environment (production, staging, ...) runs on one cluster.  --health-url is its\n"
     "public health endpoint; --health-expect the JSON fields it must return, e.g.\n"
     "'{\"status\":\"ok\"}'.\n"},
    {"env", "list", env_list, "list environments", "Usage: rewindctl env list [-o table|json]\n"},
    {"service", "add", service_add, "add a service (admin)",
     "Usage: rewindctl service add NAME --image REPOSITORY [--namespace NS] [--deployment D]\n"
     "                             [--container C] [--health-path PATH] [--health-expect JSON]\n\n"
     "A service is one container of one Deployment.  --namespace defaults to \"default\";\n"
     "--deployment and --container default to NAME.\n"},
    {"service", "list", service_list, "list services", "Usage: rewindctl service list [-o table|json]\n"},
    {"service", "show", service_show, "show one service", "Usage: rewindctl service show NAME [-o table|json]\n"},
    {"release", "record", release_record, "record a release before deploying it (operator)",
     "Usage: rewindctl release record --service S --image REPOSITORY:TAG [--digest sha256:HEX]\n"
     "                                [--commit SHA] [--notes TEXT]\n"
     "                                [--config-file FILE]... [--migration FILE]...\n"
     "                                [--migrations-backward-compatible yes|no]\n"
     "                                [--allow-unpinned] [--registry-insecure]\n"
     "                                [--registry-auth FILE] [--registry-timeout SEC]\n"
     "       rewindctl release record --service S --version TAG ...\n\n"
     "Records the image a release will ship.  The image must be in the service's repository.\n"
     "The tag is pinned to its manifest digest by asking the registry (HEAD+GET of the\n"
     "manifest, digest verified); credentials come from REWIND_REGISTRY_USER and\n"
     "REWIND_REGISTRY_PASSWORD or from FILE (default ~/.config/rewind/registry-auth, lines\n"
     "\"HOST USER PASSWORD\", mode 0600).  An unreachable registry is an error unless\n"
     "--allow-unpinned (the release is then recorded UNPINNED).  --registry-insecure allows\n"
     "plain http for loopback registries only.  --digest pins by hand, without the registry.\n"
     "--config-file and --migration files are packed into .tar.gz archives and stored with\n"
     "the release (see rewindctl artifact add).\n"},
    {"release", "list", release_list, "list releases, newest first",
     "Usage: rewindctl release list [--service S] [--limit N] [-o table|json]\n"},
    {"release", "show", release_show, "show one release",
     "Usage: rewindctl release show ID [-o table|json]\n"
     "       rewindctl release show --service S --version TAG\n"},
    {"history", NULL, history, "a service's releases and where they were deployed",
     "Usage: rewindctl history --service S [--env E] [--limit N] [-o table|json]\n"},
    {0},
};
