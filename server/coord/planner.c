/*
 * planner — facts and a request into a plan or a refusal (planner.h).
 */
#include "planner.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"

static void warn(char *w, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Appends one warning ("; "-separated); what does not fit is dropped. */
static void
warn(char *w, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(w);
	va_list ap;
	if (n + 3 >= cap)
		return;
	if (n)
		n += (size_t)snprintf(w + n, cap - n, "; ");
	va_start(ap, fmt);
	vsnprintf(w + n, cap - n, fmt, ap);
	va_end(ap);
}

int
plan_refuse_busy(const char *what, const char *env, int64_t busy_op, char *msg, size_t msgsz)
{
	return rw_fail(RW_EBUSY, msg, msgsz,
	               "refused: a change to %s is already in flight in %s (operation #%lld); one at "
	               "a time per service and environment",
	               what, env, (long long)busy_op);
}

/* The i-th release the request names, as resolved. */
static int
ref_resolved(const struct plan_facts *f, const rw_op_request_t *req, uint32_t i, char *msg,
             size_t msgsz)
{
	int rv = f->refs[i].rv;
	if (rv == RW_ENOTFOUND)
		snprintf(msg, msgsz, "release %s not found (rewindctl release list)", req->releases[i]);
	return rv;
}

/* Adds a step for rel in deploy order; refuses a second release of one service. */
static int
add_step(struct plan_draft *d, int *orders, const rw_release_t *rel, const struct plan_service *ps,
         char *msg, size_t msgsz)
{
	struct store_plan *p = &d->plan;
	struct store_plan_step s;
	size_t at;

	if (ps->rv)
		return ps->rv;
	memset(&s, 0, sizeof(s));
	s.service = ps->service;
	for (size_t i = 0; i < p->nsteps; i++)
		if (p->steps[i].service.id == s.service.id)
			return rw_fail(RW_EINVAL, msg, msgsz, "two releases of service %s in one operation",
			               rel->service);
	if (p->nsteps >= RW_OP_STEPS_MAX)
		return rw_fail(RW_ETOOBIG, msg, msgsz, "at most %d services per operation",
		               RW_OP_STEPS_MAX);
	s.release = *rel;
	if (rw_release_pinned_ref(rel, s.image, sizeof(s.image)) != 0) {
		/* Not pinned (recorded with --allow-unpinned): the tag may have moved since. */
		(void)RW_STRCPY(s.image, rel->image_ref);
		warn(d->warnings, sizeof(d->warnings), "%s:%s is not digest-pinned; deploying by tag",
		     rel->service, rel->version);
	}
	/* Insertion keeps the plan sorted by order, then by request order. */
	for (at = p->nsteps; at > 0 && orders[at - 1] > ps->order; at--) {
		p->steps[at] = p->steps[at - 1];
		orders[at] = orders[at - 1];
	}
	p->steps[at] = s;
	orders[at] = ps->order;
	p->nsteps++;
	return 0;
}

static int
plan_forward(const struct plan_facts *f, const rw_op_request_t *req, struct plan_draft *d,
             char *msg, size_t msgsz)
{
	const struct store_env_cfg *env = &f->env;
	int orders[RW_OP_STEPS_MAX];
	int rv;

	if (req->kind == RW_OP_PROMOTE) {
		const char *src = req->from_env[0] ? req->from_env : env->promote_from;
		if (f->from_rv)
			return rw_fail(f->from_rv, msg, msgsz,
			               "environment \"%s\" (where releases are proven) not found", src);
		if (f->from.env.id == env->env.id)
			return rw_fail(RW_EINVAL, msg, msgsz, "cannot promote from %s to itself", src);
	}
	for (uint32_t i = 0; i < req->nreleases; i++) {
		const struct plan_ref *r = &f->refs[i];
		if ((rv = ref_resolved(f, req, i, msg, msgsz)))
			return rv;
		if (req->kind == RW_OP_PROMOTE) {
			if (r->good_rv)
				return r->good_rv;
			if (!r->good)
				return rw_fail(RW_ECONFLICT, msg, msgsz,
				               "refused: %s:%s is not known-good on %s (deploy it there and "
				               "let it stay healthy through the observation window first)",
				               r->rel.service, r->rel.version, f->from.env.name);
		}
		if ((rv = add_step(d, orders, &r->rel, &r->svc, msg, msgsz)))
			return rv;
	}
	d->plan.dep_kind = req->hotfix ? "hotfix" : req->kind == RW_OP_PROMOTE ? "promote" : "deploy";
	return 0;
}

/* Rollback gate 1 (runbook: backup validation): the latest backup of env is verified. */
static int
gate_backup(const struct plan_facts *f, const rw_op_request_t *req, struct plan_draft *d,
            char *msg, size_t msgsz)
{
	const char *env = f->env.env.name;
	const rw_backup_t *b = &f->backup;
	char why[400];

	if (f->backup_rv)
		return f->backup_rv;
	if (f->nbackups == 1 && b->verified)
		return 0;
	if (f->nbackups == 0)
		snprintf(why, sizeof(why), "environment %s has no backup", env);
	else
		snprintf(why, sizeof(why), "the latest backup of %s (#%lld) is not verified%s%.200s",
		         env, (long long)b->id, b->result[0] ? ": " : "", b->result);
	if (req->override_gate[0]) {
		warn(d->warnings, sizeof(d->warnings), "gate overridden: %s (reason: %s)", why,
		     req->override_gate);
		return 0;
	}
	return rw_fail(RW_ECONFLICT, msg, msgsz,
	               "refused by the backup gate: %s — run `rewindctl backup run --env %s` and "
	               "`backup verify`, or give --override-gate REASON",
	               why, env);
}

/* Rollback gate 2: rolling back from a release whose migrations are not backwards compatible. */
static int
gate_migrations(const rw_op_request_t *req, const rw_release_t *from, struct plan_draft *d,
                char *msg, size_t msgsz)
{
	char what[RW_NAME_MAX + RW_VERSION_MAX + 2];
	snprintf(what, sizeof(what), "%s:%s", from->service, from->version);
	if (!strcmp(from->migrations_compat, "yes"))
		return 0;
	if (!from->migrations_compat[0]) {
		warn(d->warnings, sizeof(d->warnings),
		     "%s does not say whether its migrations are backwards compatible", what);
		return 0;
	}
	if (req->override_gate[0]) {
		warn(d->warnings, sizeof(d->warnings), "gate overridden: %s has migrations that are "
		     "NOT backwards compatible (reason: %s)", what, req->override_gate);
		return 0;
	}
	return rw_fail(RW_ECONFLICT, msg, msgsz,
	               "refused by the migration gate: %s ran migrations that are not backwards "
	               "compatible; the older image may fail on the new schema (see the backend "
	               "runbook), or give --override-gate REASON",
	               what);
}

/* The explicit --to release for svc, if one was named (*to NULL: none). */
static int
rollback_to(const struct plan_facts *f, const rw_op_request_t *req, const rw_service_t *svc,
            const struct plan_ref **to, char *msg, size_t msgsz)
{
	int rv;
	*to = NULL;
	for (uint32_t i = 0; i < req->nreleases; i++) {
		if ((rv = ref_resolved(f, req, i, msg, msgsz)))
			return rv;
		if (strcmp(f->refs[i].rel.service, svc->name) == 0) {
			*to = &f->refs[i];
			return 0;
		}
	}
	return 0;
}

/* Every --to release belongs to a service the rollback touches. */
static int
check_to_services(const struct plan_facts *f, const rw_op_request_t *req,
                  const struct store_plan *p, char *msg, size_t msgsz)
{
	int rv;
	for (uint32_t i = 0; i < req->nreleases; i++) {
		const rw_release_t *rel = &f->refs[i].rel;
		bool ours = false;
		if ((rv = ref_resolved(f, req, i, msg, msgsz)))
			return rv;
		for (size_t k = 0; k < p->nsteps; k++)
			ours |= strcmp(p->steps[k].service.name, rel->service) == 0;
		if (!ours)
			return rw_fail(RW_EINVAL, msg, msgsz,
			               "release %s:%s belongs to service %s, which this rollback does not "
			               "touch",
			               rel->service, rel->version, rel->service);
	}
	return 0;
}

static int
plan_rollback_service(const struct plan_facts *f, const rw_op_request_t *req,
                      const struct plan_target *t, struct plan_draft *d, int *orders, char *msg,
                      size_t msgsz)
{
	const char *env = f->env.env.name;
	const rw_service_t *svc = &t->svc;
	const struct plan_ref *to;
	const rw_release_t *target;
	const struct plan_service *target_svc;
	int rv = t->busy_rv;

	/* Checked first: what "current" means is moving while another change runs. */
	if (rv == 0 && t->busy)
		return plan_refuse_busy(svc->name, env, t->busy, msg, msgsz);
	if (rv == 0)
		rv = t->cur_rv;
	if (rv == RW_ENOTFOUND)
		return rw_fail(RW_ENOTFOUND, msg, msgsz,
		               "service %s was never deployed to %s: nothing to roll back", svc->name,
		               env);
	if (rv || (rv = rollback_to(f, req, svc, &to, msg, msgsz)))
		return rv;
	if (to) {
		target = &to->rel;
		target_svc = &to->svc;
	} else {
		if (t->good_rv == RW_ENOTFOUND)
			return rw_fail(RW_ECONFLICT, msg, msgsz,
			               "no known-good release of %s in %s to roll back to (none passed "
			               "its observation window there); name one with --to "
			               "SERVICE:VERSION",
			               svc->name, env);
		if (t->good_rv)
			return t->good_rv;
		target = &t->good;
		target_svc = &t->good_svc;
	}
	if (target->id == t->cur.release.id && strcmp(t->cur.outcome, "failed") != 0)
		return rw_fail(RW_EINVAL, msg, msgsz, "%s is already running %s:%s in %s", svc->name,
		               svc->name, target->version, env);
	if ((rv = gate_migrations(req, &t->cur.release, d, msg, msgsz)))
		return rv;
	return add_step(d, orders, target, target_svc, msg, msgsz);
}

static int
plan_rollback(const struct plan_facts *f, const rw_op_request_t *req, struct plan_draft *d,
              char *msg, size_t msgsz)
{
	int orders[RW_OP_STEPS_MAX];
	int rv = f->services_rv;

	if (rv == RW_ENOTFOUND && req->nservices)
		snprintf(msg, msgsz, "service %s not found", req->services[f->services_missing]);
	if (rv)
		return rv;
	if (f->ntargets == 0)
		return rw_fail(RW_ENOTFOUND, msg, msgsz,
		               "nothing was ever deployed to %s: nothing to roll back",
		               f->env.env.name);
	rv = gate_backup(f, req, d, msg, msgsz);
	for (size_t i = 0; rv == 0 && i < f->ntargets; i++)
		rv = plan_rollback_service(f, req, &f->targets[i], d, orders, msg, msgsz);
	if (rv == 0)
		rv = check_to_services(f, req, &d->plan, msg, msgsz);
	d->plan.dep_kind = "rollback";
	return rv;
}

/* config-revert: the previous values of the config set reverted. */
static int
plan_config_revert(const struct plan_facts *f, const rw_op_request_t *req, struct plan_draft *d,
                   json_t *data, json_t **j, char *msg, size_t msgsz)
{
	const rw_operation_t *old = f->revert;
	int rv = f->revert_rv;

	if (rv == 0 && (old->kind != RW_OP_CONFIG_SET || strcmp(old->env, f->env.env.name) ||
	                !old->previous[0]))
		rv = RW_ENOTFOUND;
	if (rv) {
		snprintf(msg, msgsz, "no applied config set in %s to revert%s", f->env.env.name,
		         req->revert_id ? " with that id" : "");
		json_decref(data);
		return rv;
	}
	json_error_t jerr;
	json_t *prev = json_loads(old->previous, 0, &jerr), *v;
	const char *k;
	json_object_foreach(prev, k, v) {
		if (json_is_string(v))
			json_object_set_new(data, k, json_string(json_string_value(v)));
		else
			warn(d->warnings, sizeof(d->warnings),
			     "key %s did not exist before; it is left in place", k);
	}
	json_decref(prev);
	*j = json_pack("{s:s,s:s,s:o,s:I}", "namespace", old->namespace_, "configmap",
	               old->configmap, "data", data, "revert_id", (json_int_t)f->revert_id);
	if (*j && json_object_size(data) == 0) {
		json_decref(*j);
		return rw_fail(RW_EINVAL, msg, msgsz, "nothing to restore: every key was new");
	}
	return 0;
}

/* config-set: {namespace, configmap, data}; config-revert: the previous values of a config-set. */
static int
plan_config(const struct plan_facts *f, const rw_op_request_t *req, struct plan_draft *d,
            char *msg, size_t msgsz)
{
	json_t *data = json_object(), *j;
	int rv;

	if (!data)
		return RW_ENOMEM;
	if (req->kind == RW_OP_CONFIG_SET) {
		for (uint32_t i = 0; i < req->nkv; i++)
			json_object_set_new(data, req->kv[i].key, json_string(req->kv[i].value));
		j = json_pack("{s:s,s:s,s:o}", "namespace", req->namespace_[0] ? req->namespace_ : "default",
		              "configmap", req->configmap, "data", data);
	} else if ((rv = plan_config_revert(f, req, d, data, &j, msg, msgsz))) {
		return rv;
	}
	d->spec = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return d->spec ? 0 : RW_ENOMEM;
}

static int
plan_build(const struct plan_facts *f, const rw_op_request_t *req, struct plan_draft *d,
           char *msg, size_t msgsz)
{
	switch (req->kind) {
	case RW_OP_DEPLOY:
	case RW_OP_PROMOTE:
		return plan_forward(f, req, d, msg, msgsz);
	case RW_OP_ROLLBACK:
		return plan_rollback(f, req, d, msg, msgsz);
	case RW_OP_CONFIG_SET:
	case RW_OP_CONFIG_REVERT:
		return plan_config(f, req, d, msg, msgsz);
	default:
		return RW_EINVAL;
	}
}

int
plan_make(const struct plan_facts *f, const rw_op_request_t *req, struct plan_draft *d,
          char *msg, size_t msgsz)
{
	struct store_plan *p = &d->plan;
	int rv;

	if (f->env_rv)
		return f->env_rv == RW_ENOTFOUND
		           ? rw_fail(RW_ENOTFOUND, msg, msgsz, "environment \"%s\" not found", req->env)
		           : f->env_rv;
	if (req->incident_id && f->incident_rv)
		return f->incident_rv == RW_ENOTFOUND
		           ? rw_fail(RW_ENOTFOUND, msg, msgsz, "incident %lld not found",
		                     (long long)req->incident_id)
		           : f->incident_rv;
	if ((rv = plan_build(f, req, d, msg, msgsz)))
		return rv;
	p->kind = req->kind;
	p->env_id = f->env.env.id;
	p->incident_id = req->incident_id;
	p->reason = req->reason;
	p->override_gate = req->override_gate;
	p->warnings = d->warnings;
	p->spec_json = d->spec;
	return 0;
}
