/*
 * seedgen — writes valid envelopes, made with wire_encode(), as the seed
 * corpus of fuzz_wire: one file per message kind, named after it.  Each is
 * decoded again first so only seeds the validator accepts are written.
 *
 *   fuzz_seedgen OUT_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "err.h"
#include "wire.h"

static int
write_seed(const char *dir, wire_msg_t *m)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	wire_msg_t *back = NULL;
	uint64_t rid;
	char msg[256], path[512];
	FILE *f;
	int rv;

	if ((rv = wire_encode(m, &buf, &len))) {
		wire_msg_free(m);
		return rv;
	}
	if ((rv = wire_decode(buf, len, WIRE_RESPONSE_MAX, &back, &rid, msg, sizeof(msg)))) {
		fprintf(stderr, "seedgen: %s does not decode: %s\n", wire_kind_name(m->kind), msg);
		free(buf);
		wire_msg_free(m);
		return rv;
	}
	wire_msg_free(back);
	snprintf(path, sizeof(path), "%s/%s", dir, wire_kind_name(m->kind));
	if (!(f = fopen(path, "wb")) || fwrite(buf, 1, len, f) != len) {
		perror(path);
		rv = -1;
	}
	if (f)
		fclose(f);
	free(buf);
	wire_msg_free(m);
	return rv;
}

static wire_msg_t *
report(void)
{
	wire_msg_t *m = wire_msg_new(WIRE_AGENT_REPORT, 7);
	struct wire_state *st = &m->u.state;
	rw_pod_state_t *p = calloc(2, sizeof(*p));
	rw_probe_result_t *pr = calloc(1, sizeof(*pr));

	RW_STRCPY(st->cluster, "prod");
	RW_STRCPY(st->node, "k3s-agent-1");
	st->epoch = 42;
	st->seq = 3;
	for (int i = 0; i < 2; i++) {
		RW_STRCPY(p[i].cluster, "prod");
		RW_STRCPY(p[i].node, "k3s-agent-1");
		RW_STRCPY(p[i].namespace_, "default");
		snprintf(p[i].name, sizeof(p[i].name), "mr-dj-frontend-5d9c7b-%c", 'a' + i);
		RW_STRCPY(p[i].deployment, "mr-dj-frontend");
		RW_STRCPY(p[i].phase, "Running");
		p[i].ready = i == 0;
		p[i].ncontainers = 1;
		RW_STRCPY(p[i].containers[0].name, "web");
		RW_STRCPY(p[i].containers[0].image, "ghcr.io/crisisk/mr-dj-frontend:v1");
		p[i].containers[0].restarts = i;
		if (i)
			RW_STRCPY(p[i].containers[0].waiting_reason, "CrashLoopBackOff");
		p[i].observed_at = 1764130000000000;
	}
	pr->target_id = 1;
	RW_STRCPY(pr->subject, "mr-dj-frontend-5d9c7b-a");
	RW_STRCPY(pr->url, "http://10.42.0.5:3000/api/health");
	pr->ok = true;
	pr->http_status = 200;
	pr->at = 1764130000000000;
	st->pods = p;
	st->npods = 2;
	st->probes = pr;
	st->nprobes = 1;
	return m;
}

static wire_msg_t *
action(enum wire_kind kind)
{
	wire_msg_t *m = wire_msg_new(kind, 9);
	rw_action_t *a = kind == WIRE_ACTION_ASSIGN ? &m->u.assign.action : &m->u.action;

	if (kind == WIRE_ACTION_ASSIGN)
		m->u.assign.has = true;
	a->kind = RW_ACTION_SET_IMAGE;
	RW_STRCPY(a->cluster, "prod");
	RW_STRCPY(a->namespace_, "default");
	RW_STRCPY(a->name, "mr-dj-frontend");
	RW_STRCPY(a->container, "web");
	RW_STRCPY(a->image, "ghcr.io/crisisk/mr-dj-frontend:v2");
	a->deadline = 1764130600000000;
	return m;
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	wire_msg_t *m;
	int bad = 0;

	m = wire_msg_new(WIRE_HELLO, 1);
	RW_STRCPY(m->u.hello.client, "rewindctl/0.1.0");
	bad |= write_seed(dir, m);
	m = wire_error_new(2, RW_ENOTFOUND, "no such service");
	bad |= write_seed(dir, m);
	m = wire_msg_new(WIRE_ENV_ADD, 3);
	RW_STRCPY(m->u.env.name, "production");
	RW_STRCPY(m->u.env.cluster, "prod");
	RW_STRCPY(m->u.env.health_url, "https://mr-dj.sevensa.nl/api/health");
	RW_STRCPY(m->u.env.health_expect, "{\"status\":\"ok\"}");
	bad |= write_seed(dir, m);
	m = wire_msg_new(WIRE_SERVICE_ADD, 4);
	RW_STRCPY(m->u.service.name, "mr-dj-frontend");
	RW_STRCPY(m->u.service.namespace_, "default");
	RW_STRCPY(m->u.service.deployment, "mr-dj-frontend");
	RW_STRCPY(m->u.service.container, "web");
	RW_STRCPY(m->u.service.image_repo, "ghcr.io/crisisk/mr-dj-frontend");
	RW_STRCPY(m->u.service.health_path, "/api/health");
	bad |= write_seed(dir, m);
	m = wire_msg_new(WIRE_RELEASE_RECORD, 5);
	RW_STRCPY(m->u.release.service, "mr-dj-frontend");
	RW_STRCPY(m->u.release.version, "nextjs-standalone-202611260530");
	RW_STRCPY(m->u.release.image_ref, "ghcr.io/crisisk/mr-dj-frontend:nextjs-standalone-202611260530");
	RW_STRCPY(m->u.release.digest,
	          "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	RW_STRCPY(m->u.release.source_commit, "3f2a9c1");
	RW_STRCPY(m->u.release.migrations_compat, "yes");
	bad |= write_seed(dir, m);
	m = wire_msg_new(WIRE_HISTORY, 6);
	RW_STRCPY(m->u.query.service, "mr-dj-frontend");
	m->u.query.limit = 10;
	bad |= write_seed(dir, m);
	bad |= write_seed(dir, report());
	m = wire_msg_new(WIRE_ACTION_WAIT, 8);
	m->u.wait.wait_ms = 30000;
	bad |= write_seed(dir, m);
	bad |= write_seed(dir, action(WIRE_ACTION_CREATE));
	bad |= write_seed(dir, action(WIRE_ACTION_ASSIGN));
	m = wire_msg_new(WIRE_ACTION_PROGRESS, 10);
	m->u.progress.id = 1;
	m->u.progress.updated = 1;
	m->u.progress.replicas = 2;
	RW_STRCPY(m->u.progress.message, "Waiting for deployment rollout to finish");
	bad |= write_seed(dir, m);
	m = wire_msg_new(WIRE_ACTION_RESULT, 11);
	m->u.progress.id = 1;
	m->u.progress.ok = true;
	RW_STRCPY(m->u.progress.message, "successfully rolled out");
	RW_STRCPY(m->u.progress.previous, "{\"image\":\"ghcr.io/crisisk/mr-dj-frontend:v1\"}");
	bad |= write_seed(dir, m);
	m = wire_msg_new(WIRE_STATUS_GET, 12);
	RW_STRCPY(m->u.query.env, "production");
	bad |= write_seed(dir, m);
	m = wire_msg_new(WIRE_AUDIT_LOG, 13);
	bad |= write_seed(dir, m);
	return bad ? 1 : 0;
}
