/*
 * plan — operation requests into checked, queued plans (plan.h).  Every
 * read of the request's facts is in gather(); what they mean for the
 * request is planner.c's.
 */
#include "plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "notify.h"
#include "planner.h"
#include "store_coord.h"
#include "store_incident.h"
#include "store_vault.h"

void
plan_note(store_t *st, const struct store_env_cfg *env, int64_t incident_id, const char *kind,
          const char *actor, const char *event, const char *fmt, ...)
{
	char text[RW_TEXT_MAX + 1];
	va_list ap;

	if (!incident_id)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (store_incident_event(st, incident_id, kind, actor, text) != 0)
		log_warn("incident.note-failed", "incident=%lld error=\"%s\"", (long long)incident_id,
		         store_errmsg(st));
	if (event && env && notify_event(st, env, incident_id, event, text) != 0)
		log_warn("notify.queue-failed", "incident=%lld event=%s", (long long)incident_id, event);
}


/* SERVICE:VERSION or a release id. */
static int
resolve_release(store_t *st, const char *ref, rw_release_t *out)
{
	const char *colon = strchr(ref, ':');
	char svc[RW_NAME_MAX + 1];

	if (!colon)
		return store_release_get(st, strtoll(ref, NULL, 10), out);
	snprintf(svc, sizeof(svc), "%.*s", (int)(colon - ref), ref);
	return store_release_find(st, svc, colon + 1, out);
}

/* A step's service and its deploy order. */
static void
gather_service(store_t *st, const char *name, struct plan_service *ps)
{
	if ((ps->rv = store_service_get(st, name, &ps->service)) == 0)
		ps->rv = store_service_order(st, name, &ps->order);
}

/* The releases named, each with its service (and, promoting, whether it is proven). */
static void
gather_refs(store_t *st, const rw_op_request_t *req, struct plan_facts *f)
{
	bool promote = req->kind == RW_OP_PROMOTE && f->from_rv == 0;

	f->nrefs = req->nreleases;
	for (uint32_t i = 0; i < req->nreleases; i++) {
		struct plan_ref *r = &f->refs[i];
		if ((r->rv = resolve_release(st, req->releases[i], &r->rel)) != 0)
			continue;
		if (promote)
			r->good_rv = store_release_is_known_good(st, f->from.env.id, r->rel.id, &r->good);
		gather_service(st, r->rel.service, &r->svc);
	}
}

static bool
named_by_ref(const struct plan_facts *f, const char *service)
{
	for (uint32_t i = 0; i < f->nrefs; i++)
		if (f->refs[i].rv == 0 && strcmp(f->refs[i].rel.service, service) == 0)
			return true;
	return false;
}

/* The services a rollback touches: those named (up to the first missing) or all deployed. */
static int
gather_targets(store_t *st, const rw_op_request_t *req, struct plan_facts *f)
{
	rw_service_t *svcs = NULL;
	size_t n = 0;

	if (!req->nservices) {
		if ((f->services_rv = store_env_services(st, f->env.env.id, &svcs, &n)) != 0)
			return 0;
		if (n && !(f->targets = calloc(n, sizeof(*f->targets)))) {
			free(svcs);
			return RW_ENOMEM;
		}
		for (size_t i = 0; i < n; i++)
			f->targets[i].svc = svcs[i];
		f->ntargets = n;
		free(svcs);
		return 0;
	}
	if (!(f->targets = calloc(req->nservices, sizeof(*f->targets))))
		return RW_ENOMEM;
	for (uint32_t i = 0; i < req->nservices; i++, f->ntargets++)
		if ((f->services_rv = store_service_get(st, req->services[i], &f->targets[i].svc))) {
			f->services_missing = i;
			return 0;
		}
	return 0;
}

/* One service to roll back: a change in flight, what runs, the known-good before it. */
static void
gather_target(store_t *st, const struct plan_facts *f, struct plan_target *t)
{
	int64_t env_id = f->env.env.id;

	t->busy_rv = store_in_flight(st, env_id, t->svc.id, &t->busy);
	if (t->busy_rv || t->busy)
		return;
	if ((t->cur_rv = store_current(st, env_id, t->svc.id, &t->cur)) != 0 ||
	    named_by_ref(f, t->svc.name))
		return;
	t->good_rv = store_known_good(st, env_id, t->svc.id, t->cur.release.id, &t->good);
	if (t->good_rv == 0)
		gather_service(st, t->good.service, &t->good_svc);
}

static int
gather_rollback(store_t *st, const rw_op_request_t *req, struct plan_facts *f)
{
	rw_backup_t *b = NULL;
	int rv;

	gather_refs(st, req, f);
	if ((rv = gather_targets(st, req, f)) != 0 || f->services_rv || !f->ntargets)
		return rv;
	f->backup_rv = store_backup_list(st, f->env.env.name, 1, &b, &f->nbackups);
	if (f->backup_rv == 0 && f->nbackups == 1)
		f->backup = b[0];
	free(b);
	for (size_t i = 0; i < f->ntargets; i++)
		gather_target(st, f, &f->targets[i]);
	return 0;
}

/* config-revert: the config set named, or the environment's last one. */
static int
gather_revert(store_t *st, const rw_op_request_t *req, struct plan_facts *f)
{
	int64_t id = req->revert_id;
	int rv;

	if (!(f->revert = malloc(sizeof(*f->revert))))
		return RW_ENOMEM;
	if (!id && (rv = store_op_last_config(st, f->env.env.id, &id)) == 0 && !id)
		rv = RW_ENOTFOUND;
	else
		rv = id ? store_op_get(st, id, f->revert) : rv;
	f->revert_rv = rv;
	f->revert_id = id;
	return 0;
}

/*
 * Reads every fact plan_make() may consult for req into f (zeroed by the
 * caller; facts_clear() frees what it holds).  Lookups that fail are
 * facts too; returns only RW_ENOMEM.
 */
static int
gather(store_t *st, const rw_op_request_t *req, struct plan_facts *f)
{
	if ((f->env_rv = store_env_cfg_get(st, req->env, &f->env)) != 0)
		return 0;
	if (req->incident_id) {
		rw_incident_t inc;
		if ((f->incident_rv = store_incident_get(st, req->incident_id, &inc)) == 0)
			free(inc.timeline);
	}
	switch (req->kind) {
	case RW_OP_PROMOTE:
		f->from_rv = store_env_cfg_get(st, req->from_env[0] ? req->from_env
		                                                    : f->env.promote_from, &f->from);
		/* FALLTHROUGH */
	case RW_OP_DEPLOY:
		gather_refs(st, req, f);
		return 0;
	case RW_OP_ROLLBACK:
		return gather_rollback(st, req, f);
	case RW_OP_CONFIG_REVERT:
		return gather_revert(st, req, f);
	default:
		return 0;
	}
}

static void
facts_clear(struct plan_facts *f)
{
	free(f->targets);
	free(f->revert);
}

static void
describe(const struct store_plan *p, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < p->nsteps && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s:%s", i ? ", " : "",
		                      p->steps[i].service.name, p->steps[i].release.version);
}

/* Queues the plan made, logs it and notes it on the incident. */
static int
queue(store_t *st, const rw_actor_t *who, const rw_op_request_t *req,
      const struct store_env_cfg *env, const struct store_plan *p, int64_t *op_id, char *msg,
      size_t msgsz)
{
	char what[600];
	int64_t busy = 0;
	int rv = store_op_create(st, who, p, op_id, &busy);

	if (rv == RW_EBUSY)
		return plan_refuse_busy(p->nsteps == 1 ? p->steps[0].service.name : "these services",
		                        env->env.name, busy, msg, msgsz);
	if (rv)
		return rv;
	describe(p, what, sizeof(what));
	log_info("operation.queued", "id=%lld kind=%s env=%s steps=%zu by=%s", (long long)*op_id,
	         rw_op_kind_name(req->kind), env->env.name, p->nsteps, who->name);
	if (req->incident_id)
		plan_note(st, env, req->incident_id, "action", who->name,
		          req->kind == RW_OP_ROLLBACK ? "rollback.start" : NULL,
		          "%s started as operation #%lld by %s: %s%s%s%s%s", rw_op_kind_name(req->kind),
		          (long long)*op_id, who->name, what[0] ? what : req->configmap,
		          req->reason[0] ? " — reason: " : "", req->reason, p->warnings[0] ? " — " : "",
		          p->warnings);
	return 0;
}

int
plan_request(store_t *st, const rw_actor_t *who, const rw_op_request_t *req, int64_t *op_id,
             char *msg, size_t msgsz)
{
	struct plan_facts *f = calloc(1, sizeof(*f));
	struct plan_draft *d = calloc(1, sizeof(*d));
	int rv = f && d ? 0 : RW_ENOMEM;

	if (rv == 0 && (rv = gather(st, req, f)) == 0 && (rv = plan_make(f, req, d, msg, msgsz)) == 0)
		rv = queue(st, who, req, &f->env, &d->plan, op_id, msg, msgsz);
	if (f)
		facts_clear(f);
	if (d)
		free(d->spec);
	free(f);
	free(d);
	return rv;
}
