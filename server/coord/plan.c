/*
 * plan — operation requests into checked, queued plans (plan.h).
 */
#include "plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "log.h"
#include "notify.h"

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

/* SERVICE:VERSION or a release id. */
static int
resolve_release(store_t *st, const char *ref, rw_release_t *out, char *msg, size_t msgsz)
{
	const char *colon = strchr(ref, ':');
	char svc[RW_NAME_MAX + 1];
	int rv;

	if (!colon)
		rv = store_release_get(st, strtoll(ref, NULL, 10), out);
	else {
		snprintf(svc, sizeof(svc), "%.*s", (int)(colon - ref), ref);
		rv = store_release_find(st, svc, colon + 1, out);
	}
	if (rv == RW_ENOTFOUND)
		snprintf(msg, msgsz, "release %s not found (rewindctl release list)", ref);
	return rv;
}

/* Adds a step for rel in deploy order; refuses a second release of one service. */
static int
add_step(store_t *st, struct store_plan *p, int *orders, const rw_release_t *rel, char *warnings,
         size_t wcap, char *msg, size_t msgsz)
{
	struct store_plan_step s;
	int order, rv;
	size_t at;

	memset(&s, 0, sizeof(s));
	if ((rv = store_service_get(st, rel->service, &s.service)) ||
	    (rv = store_service_order(st, rel->service, &order)))
		return rv;
	for (size_t i = 0; i < p->nsteps; i++)
		if (p->steps[i].service.id == s.service.id) {
			snprintf(msg, msgsz, "two releases of service %s in one operation", rel->service);
			return RW_EINVAL;
		}
	if (p->nsteps >= RW_OP_STEPS_MAX) {
		snprintf(msg, msgsz, "at most %d services per operation", RW_OP_STEPS_MAX);
		return RW_ETOOBIG;
	}
	s.release = *rel;
	if (rw_release_pinned_ref(rel, s.image, sizeof(s.image)) != 0) {
		/* Not pinned (recorded with --allow-unpinned): the tag may have moved since. */
		(void)RW_STRCPY(s.image, rel->image_ref);
		warn(warnings, wcap, "%s:%s is not digest-pinned; deploying by tag", rel->service,
		     rel->version);
	}
	/* Insertion keeps the plan sorted by order, then by request order. */
	for (at = p->nsteps; at > 0 && orders[at - 1] > order; at--) {
		p->steps[at] = p->steps[at - 1];
		orders[at] = orders[at - 1];
	}
	p->steps[at] = s;
	orders[at] = order;
	p->nsteps++;
	return 0;
}

static int
plan_forward(store_t *st, const rw_op_request_t *req, const struct store_env_cfg *env,
             struct store_plan *p, char *warnings, size_t wcap, char *msg, size_t msgsz)
{
	int orders[RW_OP_STEPS_MAX];
	struct store_env_cfg from;
	rw_release_t rel;
	int rv;

	if (req->kind == RW_OP_PROMOTE) {
		const char *src = req->from_env[0] ? req->from_env : env->promote_from;
		if ((rv = store_env_cfg_get(st, src, &from))) {
			snprintf(msg, msgsz, "environment \"%s\" (where releases are proven) not found", src);
			return rv;
		}
		if (from.env.id == env->env.id) {
			snprintf(msg, msgsz, "cannot promote from %s to itself", src);
			return RW_EINVAL;
		}
	}
	for (uint32_t i = 0; i < req->nreleases; i++) {
		if ((rv = resolve_release(st, req->releases[i], &rel, msg, msgsz)))
			return rv;
		if (req->kind == RW_OP_PROMOTE) {
			bool good = false;
			if ((rv = store_release_is_known_good(st, from.env.id, rel.id, &good)))
				return rv;
			if (!good) {
				snprintf(msg, msgsz,
				         "refused: %s:%s is not known-good on %s (deploy it there and let it "
				         "stay healthy through the observation window first)",
				         rel.service, rel.version, from.env.name);
				return RW_ECONFLICT;
			}
		}
		if ((rv = add_step(st, p, orders, &rel, warnings, wcap, msg, msgsz)))
			return rv;
	}
	p->dep_kind = req->hotfix ? "hotfix" : req->kind == RW_OP_PROMOTE ? "promote" : "deploy";
	return 0;
}

/* Rollback gate 1 (runbook: backup validation): the latest backup of env is verified. */
static int
gate_backup(store_t *st, const rw_op_request_t *req, const struct store_env_cfg *env,
            char *warnings, size_t wcap, char *msg, size_t msgsz)
{
	rw_backup_t *b = NULL;
	size_t n = 0;
	char why[400];
	int rv = store_backup_list(st, env->env.name, 1, &b, &n);

	if (rv)
		return rv;
	if (n == 1 && b[0].verified) {
		free(b);
		return 0;
	}
	if (n == 0)
		snprintf(why, sizeof(why), "environment %s has no backup", env->env.name);
	else
		snprintf(why, sizeof(why), "the latest backup of %s (#%lld) is not verified%s%.200s",
		         env->env.name, (long long)b[0].id, b[0].result[0] ? ": " : "", b[0].result);
	free(b);
	if (req->override_gate[0]) {
		warn(warnings, wcap, "gate overridden: %s (reason: %s)", why, req->override_gate);
		return 0;
	}
	snprintf(msg, msgsz,
	         "refused by the backup gate: %s — run `rewindctl backup run --env %s` and `backup "
	         "verify`, or give --override-gate REASON",
	         why, env->env.name);
	return RW_ECONFLICT;
}

/* Rollback gate 2: rolling back from a release whose migrations are not backwards compatible. */
static int
gate_migrations(const rw_op_request_t *req, const rw_release_t *from, char *warnings, size_t wcap,
                char *msg, size_t msgsz)
{
	char what[RW_NAME_MAX + RW_VERSION_MAX + 2];
	snprintf(what, sizeof(what), "%s:%s", from->service, from->version);
	if (!strcmp(from->migrations_compat, "yes"))
		return 0;
	if (!from->migrations_compat[0]) {
		warn(warnings, wcap, "%s does not say whether its migrations are backwards compatible",
		     what);
		return 0;
	}
	if (req->override_gate[0]) {
		warn(warnings, wcap, "gate overridden: %s has migrations that are NOT backwards "
		                     "compatible (reason: %s)", what, req->override_gate);
		return 0;
	}
	snprintf(msg, msgsz,
	         "refused by the migration gate: %s ran migrations that are not backwards compatible; "
	         "the older image may fail on the new schema (see the backend runbook), or give "
	         "--override-gate REASON",
	         what);
	return RW_ECONFLICT;
}

/* The explicit --to release for svc, if one was named; RW_EINVAL for another service's. */
static int
rollback_to(store_t *st, const rw_op_request_t *req, const rw_service_t *svc, rw_release_t *out,
            bool *named, char *msg, size_t msgsz)
{
	int rv;
	*named = false;
	for (uint32_t i = 0; i < req->nreleases; i++) {
		if ((rv = resolve_release(st, req->releases[i], out, msg, msgsz)))
			return rv;
		if (strcmp(out->service, svc->name) == 0) {
			*named = true;
			return 0;
		}
	}
	return 0;
}

static int
check_to_services(store_t *st, const rw_op_request_t *req, const struct store_plan *p, char *msg,
                  size_t msgsz)
{
	rw_release_t rel;
	int rv;
	for (uint32_t i = 0; i < req->nreleases; i++) {
		bool ours = false;
		if ((rv = resolve_release(st, req->releases[i], &rel, msg, msgsz)))
			return rv;
		for (size_t k = 0; k < p->nsteps; k++)
			ours |= strcmp(p->steps[k].service.name, rel.service) == 0;
		if (!ours) {
			snprintf(msg, msgsz,
			         "release %s:%s belongs to service %s, which this rollback does not touch",
			         rel.service, rel.version, rel.service);
			return RW_EINVAL;
		}
	}
	return 0;
}

static int
plan_rollback_service(store_t *st, const rw_op_request_t *req, const struct store_env_cfg *env,
                      const rw_service_t *svc, struct store_plan *p, int *orders, char *warnings,
                      size_t wcap, char *msg, size_t msgsz)
{
	struct store_current cur;
	rw_release_t target;
	int64_t busy = 0;
	bool named;
	int rv = store_in_flight(st, env->env.id, svc->id, &busy);

	/* Checked first: what "current" means is moving while another change runs. */
	if (rv == 0 && busy) {
		snprintf(msg, msgsz,
		         "refused: a change to %s is already in flight in %s (operation #%lld); one at a "
		         "time per service and environment",
		         svc->name, env->env.name, (long long)busy);
		return RW_EBUSY;
	}
	if (rv == 0)
		rv = store_current(st, env->env.id, svc->id, &cur);

	if (rv == RW_ENOTFOUND) {
		snprintf(msg, msgsz, "service %s was never deployed to %s: nothing to roll back",
		         svc->name, env->env.name);
		return RW_ENOTFOUND;
	}
	if (rv || (rv = rollback_to(st, req, svc, &target, &named, msg, msgsz)))
		return rv;
	if (!named) {
		rv = store_known_good(st, env->env.id, svc->id, cur.release.id, &target);
		if (rv == RW_ENOTFOUND) {
			snprintf(msg, msgsz,
			         "no known-good release of %s in %s to roll back to (none passed its "
			         "observation window there); name one with --to SERVICE:VERSION",
			         svc->name, env->env.name);
			return RW_ECONFLICT;
		}
		if (rv)
			return rv;
	}
	if (target.id == cur.release.id && strcmp(cur.outcome, "failed") != 0) {
		snprintf(msg, msgsz, "%s is already running %s:%s in %s", svc->name, svc->name,
		         target.version, env->env.name);
		return RW_EINVAL;
	}
	if ((rv = gate_migrations(req, &cur.release, warnings, wcap, msg, msgsz)))
		return rv;
	return add_step(st, p, orders, &target, warnings, wcap, msg, msgsz);
}

static int
plan_rollback(store_t *st, const rw_op_request_t *req, const struct store_env_cfg *env,
              struct store_plan *p, char *warnings, size_t wcap, char *msg, size_t msgsz)
{
	int orders[RW_OP_STEPS_MAX];
	rw_service_t *svcs = NULL;
	size_t n = 0;
	int rv;

	if (req->nservices) {
		if (!(svcs = calloc(req->nservices, sizeof(*svcs))))
			return RW_ENOMEM;
		for (uint32_t i = 0; i < req->nservices; i++, n++) {
			if ((rv = store_service_get(st, req->services[i], &svcs[i]))) {
				if (rv == RW_ENOTFOUND)
					snprintf(msg, msgsz, "service %s not found", req->services[i]);
				free(svcs);
				return rv;
			}
		}
	} else if ((rv = store_env_services(st, env->env.id, &svcs, &n))) {
		return rv;
	}
	if (n == 0) {
		free(svcs);
		snprintf(msg, msgsz, "nothing was ever deployed to %s: nothing to roll back",
		         env->env.name);
		return RW_ENOTFOUND;
	}
	rv = gate_backup(st, req, env, warnings, wcap, msg, msgsz);
	for (size_t i = 0; rv == 0 && i < n; i++)
		rv = plan_rollback_service(st, req, env, &svcs[i], p, orders, warnings, wcap, msg,
		                           msgsz);
	free(svcs);
	if (rv == 0)
		rv = check_to_services(st, req, p, msg, msgsz);
	p->dep_kind = "rollback";
	return rv;
}

/* config-set: {namespace, configmap, data}; config-revert: the previous values of a config-set. */
static int
plan_config(store_t *st, const rw_op_request_t *req, const struct store_env_cfg *env,
            char **spec, char *warnings, size_t wcap, char *msg, size_t msgsz)
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
	} else {
		int64_t id = req->revert_id;
		rw_operation_t *old = malloc(sizeof(*old));
		if (!old) {
			json_decref(data);
			return RW_ENOMEM;
		}
		if (!id && (rv = store_op_last_config(st, env->env.id, &id)) == 0 && !id)
			rv = RW_ENOTFOUND;
		else
			rv = id ? store_op_get(st, id, old) : rv;
		if (rv == 0 && (old->kind != RW_OP_CONFIG_SET || strcmp(old->env, env->env.name) ||
		                !old->previous[0]))
			rv = RW_ENOTFOUND;
		if (rv) {
			snprintf(msg, msgsz, "no applied config set in %s to revert%s", env->env.name,
			         req->revert_id ? " with that id" : "");
			free(old);
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
				warn(warnings, wcap, "key %s did not exist before; it is left in place", k);
		}
		json_decref(prev);
		j = json_pack("{s:s,s:s,s:o,s:I}", "namespace", old->namespace_, "configmap",
		              old->configmap, "data", data, "revert_id", (json_int_t)id);
		free(old);
		if (j && json_object_size(data) == 0) {
			json_decref(j);
			snprintf(msg, msgsz, "nothing to restore: every key was new");
			return RW_EINVAL;
		}
	}
	*spec = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return *spec ? 0 : RW_ENOMEM;
}

static int
plan_build(store_t *st, const rw_op_request_t *req, const struct store_env_cfg *env,
           struct store_plan *p, char **spec, char *warnings, size_t wcap, char *msg, size_t msgsz)
{
	switch (req->kind) {
	case RW_OP_DEPLOY:
	case RW_OP_PROMOTE:
		return plan_forward(st, req, env, p, warnings, wcap, msg, msgsz);
	case RW_OP_ROLLBACK:
		return plan_rollback(st, req, env, p, warnings, wcap, msg, msgsz);
	case RW_OP_CONFIG_SET:
	case RW_OP_CONFIG_REVERT:
		return plan_config(st, req, env, spec, warnings, wcap, msg, msgsz);
	default:
		return RW_EINVAL;
	}
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

int
plan_request(store_t *st, const rw_actor_t *who, const rw_op_request_t *req, int64_t *op_id,
             char *msg, size_t msgsz)
{
	struct store_plan *p = calloc(1, sizeof(*p));
	struct store_env_cfg env;
	char warnings[RW_TEXT_MAX + 1] = "", what[600];
	char *spec = NULL;
	int64_t busy = 0;
	int rv;

	if (!p)
		return RW_ENOMEM;
	if ((rv = store_env_cfg_get(st, req->env, &env))) {
		if (rv == RW_ENOTFOUND)
			snprintf(msg, msgsz, "environment \"%s\" not found", req->env);
		goto out;
	}
	if (req->incident_id) {
		rw_incident_t inc;
		if ((rv = store_incident_get(st, req->incident_id, &inc))) {
			if (rv == RW_ENOTFOUND)
				snprintf(msg, msgsz, "incident %lld not found", (long long)req->incident_id);
			goto out;
		}
		free(inc.timeline);
	}
	if ((rv = plan_build(st, req, &env, p, &spec, warnings, sizeof(warnings), msg, msgsz)))
		goto out;
	p->kind = req->kind;
	p->env_id = env.env.id;
	p->incident_id = req->incident_id;
	p->reason = req->reason;
	p->override_gate = req->override_gate;
	p->warnings = warnings;
	p->spec_json = spec;
	rv = store_op_create(st, who, p, op_id, &busy);
	if (rv == RW_EBUSY)
		snprintf(msg, msgsz,
		         "refused: a change to %s is already in flight in %s (operation #%lld); one at a "
		         "time per service and environment",
		         p->nsteps == 1 ? p->steps[0].service.name : "these services", env.env.name,
		         (long long)busy);
	if (rv)
		goto out;
	describe(p, what, sizeof(what));
	log_info("operation.queued", "id=%lld kind=%s env=%s steps=%zu by=%s", (long long)*op_id,
	         rw_op_kind_name(req->kind), env.env.name, p->nsteps, who->name);
	if (req->incident_id)
		plan_note(st, &env, req->incident_id, "action", who->name,
		          req->kind == RW_OP_ROLLBACK ? "rollback.start" : NULL,
		          "%s started as operation #%lld by %s: %s%s%s%s%s", rw_op_kind_name(req->kind),
		          (long long)*op_id, who->name, what[0] ? what : req->configmap,
		          req->reason[0] ? " — reason: " : "", req->reason, warnings[0] ? " — " : "",
		          warnings);
out:
	free(spec);
	free(p);
	return rv;
}
