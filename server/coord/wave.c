/*
 * wave — one deploy order's steps, rolled out and verified together
 * (wave.h).  Each step's state is in its deployments row, so a wave resumed
 * after a takeover skips what is verified and follows the set-image action
 * queued before.
 */
#include "wave.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "health.h"
#include "hold.h"
#include "log.h"
#include "store.h"
#include "store_action.h"
#include "store_agents.h"
#include "store_coord.h"

/* A step update that changes only what is given (the rest -1 / NULL). */
static struct store_step_update
upd(const char *state, const char *outcome)
{
	struct store_step_update u = {state, outcome, 0, -1, -1, -1, NULL, NULL, NULL};
	return u;
}

static void
step_fail(store_t *st, const rw_operation_t *op, const rw_op_step_t *s, const char *why)
{
	struct store_step_update u = upd("done", "failed");
	u.message = why;
	if (store_step_update(st, op->id, s->deployment_id, &u) != 0)
		log_warn("coord.db", "op=%lld error=\"%s\"", (long long)op->id, store_errmsg(st));
}

static void
previous_image(const char *previous, char *out, size_t cap)
{
	json_error_t jerr;
	json_t *j = json_loads(previous, 0, &jerr);
	snprintf(out, cap, "%s", j && json_string_value(json_object_get(j, "image"))
	                             ? json_string_value(json_object_get(j, "image"))
	                             : "");
	json_decref(j);
}

/* Copies the Deployment's rollout counters into the step when they changed. */
static void
step_progress(struct hold *h, const rw_operation_t *op, rw_op_step_t *s,
              const struct store_env_cfg *env, const rw_service_t *svc, const char *message)
{
	rw_deploy_state_t d;
	memset(&d, 0, sizeof(d));
	if (store_deploy_state(h->st, env->env.cluster, svc->namespace_, svc->deployment, &d) != 0)
		return;
	if (d.updated == s->updated && d.available == s->available && d.replicas == s->replicas &&
	    (!message || !strcmp(message, s->message)))
		return;
	s->updated = d.updated;
	s->available = d.available;
	s->replicas = d.replicas;
	struct store_step_update u = upd(NULL, NULL);
	u.updated = d.updated;
	u.available = d.available;
	u.replicas = d.replicas;
	if (message) {
		/* Cut to fit; the row gets the whole message. */
		snprintf(s->message, sizeof(s->message), "%.*s", (int)sizeof(s->message) - 1, message);
		u.message = message;
	}
	(void)store_step_update(h->st, op->id, s->deployment_id, &u);
}

/* A step verified under an earlier claim (skipped) or failed (the operation fails). */
static bool
step_settled(const rw_op_step_t *s, bool *failed)
{
	*failed = !strcmp(s->state, "done") && !strcmp(s->outcome, "failed");
	return *failed || !strcmp(s->outcome, "succeeded");
}

enum step_phase { STEP_ROLLOUT, STEP_VERIFY, STEP_DONE };

struct step_run {
	rw_op_step_t *s;
	rw_service_t svc;
	rw_action_t a;
	enum step_phase phase;
	int64_t verify_until;
	char last[256];                 /* the last health verdict recorded */
	int rv;                         /* STEP_DONE: 0 verified, else why in msg */
	char msg[RW_TEXT_MAX + 1];
};

static void
step_done(struct hold *h, const rw_operation_t *op, struct step_run *r, int rv)
{
	r->phase = STEP_DONE;
	r->rv = rv;
	if (rv != 0 && !hold_letting_go(rv))
		step_fail(h->st, op, r->s, r->msg);
}

/* Queues the step's set-image action, or finds the one queued before a takeover. */
static int
step_start(struct hold *h, const rw_operation_t *op, const struct store_env_cfg *env,
           struct step_run *r)
{
	rw_op_step_t *s = r->s;
	bool existing = false;
	int rv;

	if ((rv = store_service_get(h->st, s->service, &r->svc)) != 0) {
		snprintf(r->msg, sizeof(r->msg), "service %s: %s", s->service, rw_strerror(rv));
		return rv;
	}
	(void)store_deploy_superseded(h->st, env->env.id, r->svc.id, s->deployment_id,
	                              op->kind == RW_OP_ROLLBACK);
	memset(&r->a, 0, sizeof(r->a));
	r->a.kind = RW_ACTION_SET_IMAGE;
	(void)RW_STRCPY(r->a.cluster, env->env.cluster);
	(void)RW_STRCPY(r->a.namespace_, r->svc.namespace_);
	(void)RW_STRCPY(r->a.name, r->svc.deployment);
	(void)RW_STRCPY(r->a.container, r->svc.container);
	(void)RW_STRCPY(r->a.image, s->image);
	r->a.deadline = rw_now_us() + (int64_t)env->action_timeout_s * 1000000;
	rv = store_op_action(h->st, op->id, h->claim.token, s->deployment_id, &hold_self, &r->a,
	                     &existing);
	if (rv == RW_ECONFLICT)
		h->lost = true;
	if (rv) {
		snprintf(r->msg, sizeof(r->msg), "cannot queue the set-image action: %s",
		         store_errmsg(h->st));
		return rv;
	}
	if (existing)
		log_info("operation.step-resumed", "op=%lld service=%s action=%lld state=%s",
		         (long long)op->id, s->service, (long long)r->a.id,
		         rw_action_state_name(r->a.state));
	s->action_id = r->a.id;
	r->phase = STEP_ROLLOUT;
	return 0;
}

/* One look at the step's action: on to verification once it succeeded. */
static void
step_rollout(struct hold *h, const rw_operation_t *op, const struct store_env_cfg *env,
             struct step_run *r)
{
	rw_action_t *a = &r->a;
	char prev[RW_IMAGE_MAX + 1];
	int rv;

	if ((rv = store_action_get(h->st, a->id, a)) != 0) {
		snprintf(r->msg, sizeof(r->msg), "cannot read action %lld: %s", (long long)a->id,
		         rw_strerror(rv));
		return step_done(h, op, r, rv);
	}
	step_progress(h, op, r->s, env, &r->svc, a->result[0] ? a->result : NULL);
	if (a->state == RW_ACTION_FAILED || a->state == RW_ACTION_CANCELLED) {
		snprintf(r->msg, sizeof(r->msg), "rollout of %s failed: %.400s", r->svc.name,
		         a->result);
		return step_done(h, op, r, RW_EIO);
	}
	if (a->state != RW_ACTION_SUCCEEDED) {
		if (hold_action_overdue(h, env, a, r->msg, sizeof(r->msg)))
			step_done(h, op, r, RW_ETIMEDOUT);
		return;
	}
	previous_image(a->previous, prev, sizeof(prev));
	struct store_step_update u = upd("verifying", NULL);
	u.previous_image = prev;
	u.message = a->result;
	(void)store_step_update(h->st, op->id, r->s->deployment_id, &u);
	r->verify_until = rw_now_us() + (int64_t)env->verify_s * 1000000;
	r->phase = STEP_VERIFY;
}

enum wave_others { OTHERS_OK, OTHERS_PENDING, OTHERS_FAILED };

/*
 * One health verdict.  The environment's public URL is checked with the
 * operation's last service only, and only once every other service of its
 * wave is verified: it goes through every service, so it cannot pass while
 * another still runs the release being replaced.  When another failed, the
 * operation fails anyway: the service is verified on its own.
 */
static void
step_verify(struct hold *h, const rw_operation_t *op, const struct store_env_cfg *env,
            struct step_run *r, bool last, enum wave_others others)
{
	struct health_verdict v;
	int rv;

	if (last && others == OTHERS_PENDING)
		return;
	rv = health_check(h->st, env->env.cluster, &r->svc, r->s->image, r->s->digest,
	                  last && others == OTHERS_OK ? env->env.health_url : NULL,
	                  r->a.finished_at, &v);
	if (rv != 0) {
		snprintf(r->msg, sizeof(r->msg), "cannot read health: %s", rw_strerror(rv));
		return step_done(h, op, r, rv);
	}
	if (strcmp(r->last, v.text) != 0) {
		snprintf(r->last, sizeof(r->last), "%s", v.text);
		snprintf(r->s->health, sizeof(r->s->health), "%s", v.text);
		struct store_step_update u = upd(NULL, NULL);
		u.health = v.text;
		u.updated = v.updated;
		u.available = v.available;
		u.replicas = v.replicas;
		(void)store_step_update(h->st, op->id, r->s->deployment_id, &u);
	}
	if (v.state == HEALTH_OK) {
		rv = store_step_verified(h->st, op->id, r->s->deployment_id, env->observe_s);
		if (rv)
			snprintf(r->msg, sizeof(r->msg), "cannot record the verification: %s",
			         store_errmsg(h->st));
		return step_done(h, op, r, rv);
	}
	if (v.state == HEALTH_FAILED) {
		snprintf(r->msg, sizeof(r->msg), "%s failed its health check: %s", r->svc.name, v.text);
		return step_done(h, op, r, RW_EIO);
	}
	if (rw_now_us() > r->verify_until) {
		snprintf(r->msg, sizeof(r->msg), "%s not healthy within %d s: %s", r->svc.name,
		         env->verify_s, v.text);
		step_done(h, op, r, RW_ETIMEDOUT);
	}
}

/* How the steps of the wave other than `except` stand. */
static enum wave_others
wave_others(const struct step_run *runs, size_t n, size_t except)
{
	enum wave_others o = OTHERS_OK;
	for (size_t i = 0; i < n; i++) {
		if (i == except)
			continue;
		if (runs[i].phase == STEP_DONE && runs[i].rv != 0)
			return OTHERS_FAILED;
		if (runs[i].phase != STEP_DONE)
			o = OTHERS_PENDING;
	}
	return o;
}

/*
 * Drives the wave's steps together until each is verified or failed.
 * Returns 0, RW_EUNAVAIL / RW_ECONFLICT to let go of the operation, or
 * another error with why in msg (the first step that failed).
 */
static int
wave_drive(struct hold *h, const rw_operation_t *op, const struct store_env_cfg *env,
           struct step_run *runs, size_t n, char *msg, size_t msgsz)
{
	int rv;
	for (;;) {
		bool busy = false;
		for (size_t i = 0; i < n; i++) {
			struct step_run *r = &runs[i];
			if (r->phase == STEP_ROLLOUT)
				step_rollout(h, op, env, r);
			if (r->phase == STEP_VERIFY)
				step_verify(h, op, env, r, r->s == &op->steps[op->nsteps - 1],
				            wave_others(runs, n, i));
			busy |= r->phase != STEP_DONE;
		}
		if (!busy)
			break;
		if ((rv = hold_tick(h, op->id, msg, msgsz)) != 0)
			return rv;
	}
	for (size_t i = 0; i < n; i++)
		if (runs[i].rv) {
			snprintf(msg, msgsz, "%s", runs[i].msg);
			return runs[i].rv;
		}
	return 0;
}

int
wave_run(struct hold *h, rw_operation_t *op, uint32_t from, uint32_t to,
         const struct store_env_cfg *env, char *msg, size_t msgsz)
{
	struct step_run *runs = calloc(to - from, sizeof(*runs));
	char phase[256];
	size_t n = 0;
	bool failed;
	int rv = 0;

	if (!runs) {
		snprintf(msg, msgsz, "out of memory");
		return RW_ENOMEM;
	}
	snprintf(phase, sizeof(phase), "%s %s:%s%s (%u/%u)",
	         op->kind == RW_OP_ROLLBACK ? "rolling back to" : "deploying", op->steps[from].service,
	         op->steps[from].version, to - from > 1 ? " and the rest of its deploy order" : "",
	         to, op->nsteps);
	if ((rv = hold_beat(h, op->id, phase)) != 0) {
		free(runs);
		return rv;
	}
	for (uint32_t i = from; i < to; i++) {
		rw_op_step_t *s = &op->steps[i];
		if (step_settled(s, &failed)) {
			if (failed && rv == 0) {
				snprintf(msg, msgsz, "%s", s->message);
				rv = RW_EIO;
			}
			continue;
		}
		struct step_run *r = &runs[n];
		r->s = s;
		int e = step_start(h, op, env, r);
		if (hold_letting_go(e)) {
			snprintf(msg, msgsz, "%s", r->msg);
			free(runs);
			return e;
		}
		if (e)
			step_done(h, op, r, e);
		n++;
	}
	int drv = n ? wave_drive(h, op, env, runs, n, msg, msgsz) : 0;
	free(runs);
	if (hold_letting_go(drv) || drv != 0)
		return drv;
	return rv;
}
