/*
 * coord — runner and observer threads of the coordinator (coord.h).
 *
 * A runner owns one operation at a time and blocks only on its own
 * database connection and sleeps; progress goes to the deployments row and
 * wakes long-polling consoles through NOTIFY.  Everything a runner needs to
 * go on is in those rows, so an operation whose rewindd died is resumed by
 * any other runner (store_op_claim): steps already verified are skipped, a
 * step's set-image action is created once (store_op_action) and followed
 * again, and the outcome with all that follows from it is one transaction
 * fenced by the claim's token.  Failure handling (incident,
 * decision, automatic rollback) is shared by the runner (a deploy that
 * fails its checks) and the observer (a deployment that fails inside its
 * observation window).
 */
#include "coord.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "decide.h"
#include "err.h"
#include "health.h"
#include "log.h"
#include "notify.h"
#include "plan.h"
#include "smoke.h"
#include "store_action.h"
#include "store_agents.h"
#include "store_catalog.h"
#include "store_channel.h"
#include "store_coord.h"
#include "store_incident.h"

#define COORD_MAX_RUNNERS 16

static const rw_actor_t coord_self = {"rewindd", RW_ROLE_NONE};

struct coord;

struct worker {
	struct coord *c;
	pthread_t thread;
	bool started;
	store_t *st;
	int index;
	struct store_claim claim;   /* the operation being run */
	bool lost;                  /* another runner took it over */
};

struct coord {
	struct coord_opts o;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping;
	char instance[128];
	struct worker runners[COORD_MAX_RUNNERS];
	int nrunners;
	struct worker observer;
};

static bool
coord_stopping(struct coord *c)
{
	pthread_mutex_lock(&c->lock);
	bool s = c->stopping;
	pthread_mutex_unlock(&c->lock);
	return s;
}

/* Sleeps ms unless stopping; false when stopping. */
static bool
coord_sleep(struct coord *c, int ms)
{
	struct timespec ts = rw_deadline(CLOCK_REALTIME, ms);
	pthread_mutex_lock(&c->lock);
	if (!c->stopping)
		pthread_cond_timedwait(&c->cond, &c->lock, &ts);
	bool s = c->stopping;
	pthread_mutex_unlock(&c->lock);
	return !s;
}

/* A step update that changes only what is given (the rest -1 / NULL). */
static struct store_step_update
upd(const char *state, const char *outcome)
{
	struct store_step_update u = {state, outcome, 0, -1, -1, -1, NULL, NULL, NULL};
	return u;
}

/*
 * Renews the claim.  RW_ECONFLICT: another runner took the operation over;
 * RW_EUNAVAIL: rewindd is stopping — either way the runner lets go of it
 * without recording anything more.  A heartbeat that fails for database
 * trouble is retried at the next tick.
 */
static int
beat(struct worker *w, int64_t op_id, const char *phase)
{
	if (coord_stopping(w->c))
		return RW_EUNAVAIL;
	if (store_op_heartbeat(w->st, op_id, w->claim.token, phase) == RW_ECONFLICT) {
		w->lost = true;
		return RW_ECONFLICT;
	}
	return 0;
}

static bool
letting_go(int rv)
{
	return rv == RW_EUNAVAIL || rv == RW_ECONFLICT;
}

/* Sleeps one tick after renewing the claim; nonzero (see beat()) to let go. */
static int
tick(struct worker *w, int64_t op_id, char *msg, size_t msgsz)
{
	int rv = beat(w, op_id, NULL);
	if (rv == 0 && !coord_sleep(w->c, w->c->o.tick_ms))
		rv = RW_EUNAVAIL;
	if (rv)
		snprintf(msg, msgsz, "%s", rv == RW_ECONFLICT ? "taken over by another runner"
		                                              : "rewindd is stopping");
	return rv;
}

static void
step_fail(store_t *st, const rw_operation_t *op, const rw_op_step_t *s, const char *why)
{
	struct store_step_update u = upd("done", "failed");
	u.message = why;
	if (store_step_update(st, op->id, s->deployment_id, &u) != 0)
		log_warn("coord.db", "op=%lld error=\"%s\"", (long long)op->id, store_errmsg(st));
}

/* --- failure handling: incident, decision, automatic rollback ----------------- */

static int64_t
incident_for(store_t *st, const rw_operation_t *op, const struct store_env_cfg *env,
             const char *why)
{
	rw_incident_t inc;
	int64_t id = op->incident_id;

	if (id || store_incident_open_id(st, env->env.id, &id) == 0)
		return id;
	if (!env->auto_rollback)
		return 0;
	/* Nobody is watching: rewindd opens the incident and coordinates it itself. */
	memset(&inc, 0, sizeof(inc));
	(void)RW_STRCPY(inc.env, env->env.name);
	(void)RW_STRCPY(inc.severity, "sev2");
	(void)RW_STRCPY(inc.coordinator, "rewindd");
	snprintf(inc.title, sizeof(inc.title), "%s #%lld failed in %s: %.1500s",
	         rw_op_kind_name(op->kind), (long long)op->id, env->env.name, why);
	if (store_incident_open(st, &coord_self, &inc) != 0) {
		log_warn("incident.open-failed", "env=%s error=\"%s\"", env->env.name, store_errmsg(st));
		return 0;
	}
	(void)notify_event(st, env, inc.id, "incident.open", inc.title);
	return inc.id;
}

static void
auto_rollback(store_t *st, const rw_operation_t *op, const struct store_env_cfg *env,
              int64_t inc, const char *why)
{
	struct decide_facts f;
	rw_decision_t d;
	rw_op_request_t *req;
	char msg[1024] = "";
	int64_t id = 0;

	if (decide_gather(st, env, &f) != 0) {
		plan_note(st, env, inc, "note", "rewindd", NULL, "automatic decision failed: %s",
		          store_errmsg(st));
		return;
	}
	decide_walk(&f, NULL, 0, &d);
	d.incident_id = inc;
	if (store_incident_decision(st, &coord_self, inc, &d) == 0)
		(void)notify_event(st, env, inc, "decision", d.recommendation);
	if (strcmp(d.recommendation, "rollback") != 0) {
		plan_note(st, env, inc, "note", "rewindd", NULL,
		          "no automatic rollback: the decision tree says %s", d.recommendation);
		return;
	}
	if (!(req = calloc(1, sizeof(*req))))
		return;
	req->kind = RW_OP_ROLLBACK;
	req->incident_id = inc;
	(void)RW_STRCPY(req->env, env->env.name);
	snprintf(req->reason, sizeof(req->reason), "automatic rollback: %.1900s", why);
	for (uint32_t i = 0; i < op->nsteps; i++)
		if (op->steps[i].action_id)
			(void)RW_STRCPY(req->services[req->nservices++], op->steps[i].service);
	if (plan_request(st, &coord_self, req, &id, msg, sizeof(msg)) != 0)
		plan_note(st, env, inc, "note", "rewindd", "rollback.refused",
		          "automatic rollback refused: %s", msg);
	else
		log_info("coord.auto-rollback", "op=%lld rollback=%lld incident=%lld", (long long)op->id,
		         (long long)id, (long long)inc);
	free(req);
}

/* A deploy failed its checks (or its observation): record, and roll back if opted in. */
static void
on_failure(store_t *st, const rw_operation_t *op, const struct store_env_cfg *env,
           const char *why)
{
	int64_t inc = incident_for(st, op, env, why);
	if (!inc)
		return;
	if (store_incident_mark(st, inc, false) != 0)
		log_warn("coord.db", "incident=%lld error=\"%s\"", (long long)inc, store_errmsg(st));
	plan_note(st, env, inc, "detection", "rewindd", "detection",
	          "%s #%lld in %s failed its checks: %s", rw_op_kind_name(op->kind),
	          (long long)op->id, env->env.name, why);
	if (env->auto_rollback && (op->kind == RW_OP_DEPLOY || op->kind == RW_OP_PROMOTE))
		auto_rollback(st, op, env, inc, why);
}

/* --- one step: set the image, follow the rollout, verify ---------------------- */

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
step_progress(struct worker *w, const rw_operation_t *op, rw_op_step_t *s,
              const struct store_env_cfg *env, const rw_service_t *svc, const char *message)
{
	rw_deploy_state_t d;
	memset(&d, 0, sizeof(d));
	if (store_deploy_state(w->st, env->env.cluster, svc->namespace_, svc->deployment, &d) != 0)
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
		snprintf(s->message, sizeof(s->message), "%s", message);
		u.message = message;
	}
	(void)store_step_update(w->st, op->id, s->deployment_id, &u);
}

/*
 * An action past its environment's action timeout (queued, or held too
 * long): cancelled, with why in msg.  False while it still has time.
 */
static bool
action_overdue(struct worker *w, const struct store_env_cfg *env, const rw_action_t *a,
               char *msg, size_t msgsz)
{
	int live = 0;

	if (rw_now_us() <= a->created_at + (int64_t)env->action_timeout_s * 1000000)
		return false;
	(void)store_agents_live(w->st, env->env.cluster, rw_now_us() - 30LL * 1000000, &live);
	if (a->state == RW_ACTION_QUEUED)
		snprintf(msg, msgsz,
		         "no agent of cluster %s took the %s action #%lld within %d s "
		         "(%d agent(s) reporting in the last 30 s); nothing was changed",
		         env->env.cluster, rw_action_kind_name(a->kind), (long long)a->id,
		         env->action_timeout_s, live);
	else
		snprintf(msg, msgsz, "agent %s did not finish action #%lld within %d s", a->owner,
		         (long long)a->id, env->action_timeout_s);
	(void)store_action_cancel(w->st, a->id, msg);
	return true;
}

/* Waits for a config operation's patch-configmap action; 0 when it succeeded, else why in msg. */
static int
wait_config_action(struct worker *w, const rw_operation_t *op, const struct store_env_cfg *env,
                   rw_action_t *a, char *msg, size_t msgsz)
{
	int rv;

	for (;;) {
		if ((rv = store_action_get(w->st, a->id, a)) != 0) {
			snprintf(msg, msgsz, "cannot read action %lld: %s", (long long)a->id, rw_strerror(rv));
			return rv;
		}
		if (a->state == RW_ACTION_SUCCEEDED)
			return 0;
		if (a->state == RW_ACTION_FAILED || a->state == RW_ACTION_CANCELLED) {
			snprintf(msg, msgsz, "%.500s", a->result);
			return RW_EIO;
		}
		if (action_overdue(w, env, a, msg, msgsz))
			return RW_ETIMEDOUT;
		if ((rv = tick(w, op->id, msg, msgsz)) != 0)
			return rv;
	}
}

/* A step verified under an earlier claim (skipped) or failed (the operation fails). */
static bool
step_settled(const rw_op_step_t *s, bool *failed)
{
	*failed = !strcmp(s->state, "done") && !strcmp(s->outcome, "failed");
	return *failed || !strcmp(s->outcome, "succeeded");
}

/* --- a wave: the steps of one deploy order, rolled out and verified together ---- */

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
step_done(struct worker *w, const rw_operation_t *op, struct step_run *r, int rv)
{
	r->phase = STEP_DONE;
	r->rv = rv;
	if (rv != 0 && !letting_go(rv))
		step_fail(w->st, op, r->s, r->msg);
}

/* Queues the step's set-image action, or finds the one queued before a takeover. */
static int
step_start(struct worker *w, const rw_operation_t *op, const struct store_env_cfg *env,
           struct step_run *r)
{
	rw_op_step_t *s = r->s;
	bool existing = false;
	int rv;

	if ((rv = store_service_get(w->st, s->service, &r->svc)) != 0) {
		snprintf(r->msg, sizeof(r->msg), "service %s: %s", s->service, rw_strerror(rv));
		return rv;
	}
	(void)store_deploy_superseded(w->st, env->env.id, r->svc.id, s->deployment_id,
	                              op->kind == RW_OP_ROLLBACK);
	memset(&r->a, 0, sizeof(r->a));
	r->a.kind = RW_ACTION_SET_IMAGE;
	(void)RW_STRCPY(r->a.cluster, env->env.cluster);
	(void)RW_STRCPY(r->a.namespace_, r->svc.namespace_);
	(void)RW_STRCPY(r->a.name, r->svc.deployment);
	(void)RW_STRCPY(r->a.container, r->svc.container);
	(void)RW_STRCPY(r->a.image, s->image);
	r->a.deadline = rw_now_us() + (int64_t)env->action_timeout_s * 1000000;
	rv = store_op_action(w->st, op->id, w->claim.token, s->deployment_id, &coord_self, &r->a,
	                     &existing);
	if (rv == RW_ECONFLICT)
		w->lost = true;
	if (rv) {
		snprintf(r->msg, sizeof(r->msg), "cannot queue the set-image action: %s",
		         store_errmsg(w->st));
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
step_rollout(struct worker *w, const rw_operation_t *op, const struct store_env_cfg *env,
             struct step_run *r)
{
	rw_action_t *a = &r->a;
	char prev[RW_IMAGE_MAX + 1];
	int rv;

	if ((rv = store_action_get(w->st, a->id, a)) != 0) {
		snprintf(r->msg, sizeof(r->msg), "cannot read action %lld: %s", (long long)a->id,
		         rw_strerror(rv));
		return step_done(w, op, r, rv);
	}
	step_progress(w, op, r->s, env, &r->svc, a->result[0] ? a->result : NULL);
	if (a->state == RW_ACTION_FAILED || a->state == RW_ACTION_CANCELLED) {
		snprintf(r->msg, sizeof(r->msg), "rollout of %s failed: %.400s", r->svc.name,
		         a->result);
		return step_done(w, op, r, RW_EIO);
	}
	if (a->state != RW_ACTION_SUCCEEDED) {
		if (action_overdue(w, env, a, r->msg, sizeof(r->msg)))
			step_done(w, op, r, RW_ETIMEDOUT);
		return;
	}
	previous_image(a->previous, prev, sizeof(prev));
	struct store_step_update u = upd("verifying", NULL);
	u.previous_image = prev;
	u.message = a->result;
	(void)store_step_update(w->st, op->id, r->s->deployment_id, &u);
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
step_verify(struct worker *w, const rw_operation_t *op, const struct store_env_cfg *env,
            struct step_run *r, bool last, enum wave_others others)
{
	struct health_verdict v;
	int rv;

	if (last && others == OTHERS_PENDING)
		return;
	rv = health_check(w->st, env->env.cluster, &r->svc, r->s->image, r->s->digest,
	                  last && others == OTHERS_OK ? env->env.health_url : NULL,
	                  r->a.finished_at, &v);
	if (rv != 0) {
		snprintf(r->msg, sizeof(r->msg), "cannot read health: %s", rw_strerror(rv));
		return step_done(w, op, r, rv);
	}
	if (strcmp(r->last, v.text) != 0) {
		snprintf(r->last, sizeof(r->last), "%s", v.text);
		snprintf(r->s->health, sizeof(r->s->health), "%s", v.text);
		struct store_step_update u = upd(NULL, NULL);
		u.health = v.text;
		u.updated = v.updated;
		u.available = v.available;
		u.replicas = v.replicas;
		(void)store_step_update(w->st, op->id, r->s->deployment_id, &u);
	}
	if (v.state == HEALTH_OK) {
		rv = store_step_verified(w->st, op->id, r->s->deployment_id, env->observe_s);
		if (rv)
			snprintf(r->msg, sizeof(r->msg), "cannot record the verification: %s",
			         store_errmsg(w->st));
		return step_done(w, op, r, rv);
	}
	if (v.state == HEALTH_FAILED) {
		snprintf(r->msg, sizeof(r->msg), "%s failed its health check: %s", r->svc.name, v.text);
		return step_done(w, op, r, RW_EIO);
	}
	if (rw_now_us() > r->verify_until) {
		snprintf(r->msg, sizeof(r->msg), "%s not healthy within %d s: %s", r->svc.name,
		         env->verify_s, v.text);
		step_done(w, op, r, RW_ETIMEDOUT);
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
wave_drive(struct worker *w, const rw_operation_t *op, const struct store_env_cfg *env,
           struct step_run *runs, size_t n, char *msg, size_t msgsz)
{
	int rv;
	for (;;) {
		bool busy = false;
		for (size_t i = 0; i < n; i++) {
			struct step_run *r = &runs[i];
			if (r->phase == STEP_ROLLOUT)
				step_rollout(w, op, env, r);
			if (r->phase == STEP_VERIFY)
				step_verify(w, op, env, r, r->s == &op->steps[op->nsteps - 1],
				            wave_others(runs, n, i));
			busy |= r->phase != STEP_DONE;
		}
		if (!busy)
			break;
		if ((rv = tick(w, op->id, msg, msgsz)) != 0)
			return rv;
	}
	for (size_t i = 0; i < n; i++)
		if (runs[i].rv) {
			snprintf(msg, msgsz, "%s", runs[i].msg);
			return runs[i].rv;
		}
	return 0;
}

/* The steps [from, to) of op (one deploy order): start every unsettled one, then drive. */
static int
run_wave(struct worker *w, rw_operation_t *op, uint32_t from, uint32_t to,
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
	if ((rv = beat(w, op->id, phase)) != 0) {
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
		int e = step_start(w, op, env, r);
		if (letting_go(e)) {
			snprintf(msg, msgsz, "%s", r->msg);
			free(runs);
			return e;
		}
		if (e)
			step_done(w, op, r, e);
		n++;
	}
	int drv = n ? wave_drive(w, op, env, runs, n, msg, msgsz) : 0;
	free(runs);
	if (letting_go(drv) || drv != 0)
		return drv;
	return rv;
}

/* Every verified step of the operation fails with why (the smoke test failed). */
static void
fail_verified(store_t *st, const rw_operation_t *op, const char *why)
{
	for (uint32_t i = 0; i < op->nsteps; i++)
		(void)store_observe_end(st, op->steps[i].deployment_id, false, why);
}

struct smoke_ctx {
	struct worker *w;
	int64_t op_id;
};

static bool
smoke_beat(void *arg)
{
	struct smoke_ctx *c = arg;
	return beat(c->w, c->op_id, NULL) == 0;
}

/* 0, or RW_EUNAVAIL / RW_ECONFLICT when the runner must let go meanwhile. */
static int
run_smoke(struct worker *w, const rw_operation_t *op, const struct store_env_cfg *env, bool *ok,
          int *rc, char *tail, size_t tailsz, char *result, size_t rcap)
{
	struct smoke_ctx ctx = {w, op->id};
	struct smoke_tick t = {smoke_beat, &ctx};
	int rv;

	if ((rv = beat(w, op->id, "running the smoke test")) != 0)
		return rv;
	rv = smoke_run(env->smoke_command, env->smoke_timeout_s, env->env.name, (long long)op->id,
	               &t, rc, tail, tailsz);
	if (rv == RW_EUNAVAIL)
		return w->lost ? RW_ECONFLICT : RW_EUNAVAIL;
	if (rv != 0)
		*rc = 127;
	if (*rc == 0)
		return 0;
	*ok = false;
	snprintf(result, rcap, "smoke test failed (exit %d%s)", *rc, *rc == 124 ? ", timed out" : "");
	return 0;
}

/*
 * The runner stops working on the operation without recording an outcome:
 * when rewindd is stopping it hands it over (another runner, or this
 * rewindd restarted, resumes it at once); when it was taken over there is
 * nothing to do.
 */
static void
let_go(struct worker *w, const rw_operation_t *op)
{
	if (!w->lost && store_op_release(w->st, op->id, w->claim.token) != 0)
		log_warn("coord.db", "op=%lld error=\"%s\"", (long long)op->id, store_errmsg(w->st));
	log_info(w->lost ? "operation.lost" : "operation.released", "id=%lld by=%s",
	         (long long)op->id, w->c->instance);
}

/* One statement group inside the outcome's transaction; its failure undoes only itself. */
#define SAVEPOINT(st, body)                                                               \
	do {                                                                              \
		if (store_tx_begin(st) == 0) {                                            \
			body;                                                             \
			if (store_tx_end(st) != 0)                                        \
				log_warn("coord.db", "error=\"%s\"", store_errmsg(st));   \
		}                                                                         \
	} while (0)

/* What follows from a deploy or rollback's outcome, inside its transaction. */
static void
forward_outcome(store_t *st, const rw_operation_t *op, const struct store_env_cfg *env, bool ok,
                const char *result, bool stopping)
{
	if (op->incident_id)
		SAVEPOINT(st, plan_note(st, env, op->incident_id, "verification", "rewindd",
		                        op->kind == RW_OP_ROLLBACK ? (ok ? "rollback.end"
		                                                         : "rollback.failed")
		                                                   : NULL,
		                        "operation #%lld (%s) %s: %s", (long long)op->id,
		                        rw_op_kind_name(op->kind), ok ? "succeeded" : "FAILED",
		                        result));
	if (ok && op->kind == RW_OP_ROLLBACK && op->incident_id)
		SAVEPOINT(st, (void)store_incident_mark(st, op->incident_id, true));
	if (ok)
		return;
	/* The services verified before the failure were deployed as part of a failed set. */
	char why[RW_TEXT_MAX + 64];
	snprintf(why, sizeof(why), "operation #%lld failed: %.1900s", (long long)op->id, result);
	SAVEPOINT(st, fail_verified(st, op, why));
	if (!stopping)
		SAVEPOINT(st, on_failure(st, op, env, result));
}

/*
 * The outcome and everything that follows from it, in one transaction: a
 * rewindd dying here leaves all of it or none (then the operation is
 * resumed and finished by another runner).  False when it was not recorded.
 */
static bool
finish_forward(struct worker *w, const rw_operation_t *op, const struct store_env_cfg *env,
               bool ok, const char *result, int smoke_rc, const char *tail)
{
	store_t *st = w->st;
	int rv;

	if ((rv = store_tx_begin(st)) != 0)
		goto failed;
	if ((rv = store_op_finish(st, op->id, w->claim.token, ok, result, smoke_rc, tail)) != 0) {
		store_tx_abort(st);
		goto failed;
	}
	forward_outcome(st, op, env, ok, result, coord_stopping(w->c));
	if ((rv = store_tx_end(st)) != 0)
		goto failed;
	return true;
failed:
	w->lost = rv == RW_ECONFLICT;
	log_warn("operation.finish-failed", "id=%lld error=\"%s\"", (long long)op->id,
	         store_errmsg(st));
	return false;
}

static void
run_forward(struct worker *w, rw_operation_t *op, const struct store_env_cfg *env)
{
	char result[RW_TEXT_MAX + 1] = "", tail[RW_OUTPUT_TAIL_MAX + 1] = "";
	int smoke_rc = -1, rv = 0;
	bool ok = true;

	/* Services of one deploy order go together; orders one after the other. */
	for (uint32_t i = 0, j; ok && i < op->nsteps; i = j) {
		for (j = i + 1; j < op->nsteps && op->steps[j].order == op->steps[i].order; j++)
			;
		rv = run_wave(w, op, i, j, env, result, sizeof(result));
		if (letting_go(rv)) {
			let_go(w, op);
			return;
		}
		ok = rv == 0;
	}
	if (ok && env->smoke_command[0] &&
	    letting_go(run_smoke(w, op, env, &ok, &smoke_rc, tail, sizeof(tail), result,
	                         sizeof(result)))) {
		let_go(w, op);
		return;
	}
	if (ok)
		snprintf(result, sizeof(result), "%u service(s) %s and verified%s; %s", op->nsteps,
		         op->kind == RW_OP_ROLLBACK ? "rolled back" : "deployed",
		         smoke_rc == 0 ? " (smoke test passed)" : "",
		         env->observe_s ? "observing" : "known-good");
	if (!finish_forward(w, op, env, ok, result, smoke_rc, tail)) {
		let_go(w, op);
		return;
	}
	log_info(ok ? "operation.succeeded" : "operation.failed", "id=%lld kind=%s result=\"%s\"",
	         (long long)op->id, rw_op_kind_name(op->kind), result);
}

static bool
finish_config(struct worker *w, const rw_operation_t *op, const struct store_env_cfg *env,
              bool ok, const rw_action_t *a, const char *result)
{
	store_t *st = w->st;
	int rv;

	if ((rv = store_tx_begin(st)) != 0)
		goto failed;
	if (ok && op->kind == RW_OP_CONFIG_SET && a->previous[0] &&
	    (rv = store_op_previous(st, op->id, a->previous)) != 0) {
		store_tx_abort(st);
		goto failed;
	}
	if ((rv = store_op_finish(st, op->id, w->claim.token, ok, result, -1, "")) != 0) {
		store_tx_abort(st);
		goto failed;
	}
	if (op->incident_id)
		SAVEPOINT(st, plan_note(st, env, op->incident_id, "action", "rewindd", NULL,
		                        "operation #%lld (%s) %s: %s", (long long)op->id,
		                        rw_op_kind_name(op->kind), ok ? "succeeded" : "FAILED",
		                        result));
	if ((rv = store_tx_end(st)) != 0)
		goto failed;
	return true;
failed:
	w->lost = rv == RW_ECONFLICT;
	log_warn("operation.finish-failed", "id=%lld error=\"%s\"", (long long)op->id,
	         store_errmsg(st));
	return false;
}

static void
run_config(struct worker *w, rw_operation_t *op, const struct store_env_cfg *env)
{
	char result[RW_TEXT_MAX + 1] = "";
	rw_action_t a;
	bool ok = false, existing = false;
	int rv;

	memset(&a, 0, sizeof(a));
	a.kind = RW_ACTION_PATCH_CONFIGMAP;
	(void)RW_STRCPY(a.cluster, env->env.cluster);
	(void)RW_STRCPY(a.namespace_, op->namespace_);
	(void)RW_STRCPY(a.name, op->configmap);
	a.nkv = op->nkv;
	memcpy(a.kv, op->kv, sizeof(a.kv));
	a.deadline = rw_now_us() + (int64_t)env->action_timeout_s * 1000000;
	if ((rv = beat(w, op->id, "patching the ConfigMap")) == 0)
		rv = store_op_action(w->st, op->id, w->claim.token, 0, &coord_self, &a, &existing);
	if (rv == RW_ECONFLICT)
		w->lost = true;
	if (rv == 0)
		rv = wait_config_action(w, op, env, &a, result, sizeof(result));
	else if (!letting_go(rv))
		snprintf(result, sizeof(result), "cannot queue the patch-configmap action: %s",
		         store_errmsg(w->st));
	if (letting_go(rv)) {
		let_go(w, op);
		return;
	}
	if (rv == 0) {
		ok = true;
		snprintf(result, sizeof(result), "%s/%s: %.1500s", op->namespace_, op->configmap,
		         a.result);
	}
	if (!finish_config(w, op, env, ok, &a, result))
		let_go(w, op);
}

static void
run_op(struct worker *w, const struct store_claim *claim)
{
	rw_operation_t *op = malloc(sizeof(*op));
	struct store_env_cfg env;
	int64_t id = claim->id;

	w->claim = *claim;
	w->lost = false;
	if (!op) {
		let_go(w, &(rw_operation_t){.id = id});
		return;
	}
	if (store_op_get(w->st, id, op) != 0 || store_env_cfg_get(w->st, op->env, &env) != 0) {
		log_error("coord.load", "op=%lld error=\"%s\"", (long long)id, store_errmsg(w->st));
		(void)store_op_finish(w->st, id, claim->token, false, "could not load the operation",
		                      -1, "");
		free(op);
		return;
	}
	if (claim->resumed)
		log_info("operation.resumed", "id=%lld kind=%s env=%s by=%s previous=%s claim=%d",
		         (long long)id, rw_op_kind_name(op->kind), op->env, w->c->instance,
		         claim->previous_owner, (int)claim->token);
	else
		log_info("operation.running", "id=%lld kind=%s env=%s by=%s", (long long)id,
		         rw_op_kind_name(op->kind), op->env, w->c->instance);
	if (op->kind == RW_OP_CONFIG_SET || op->kind == RW_OP_CONFIG_REVERT)
		run_config(w, op, &env);
	else
		run_forward(w, op, &env);
	free(op);
}

static void *
runner_main(void *arg)
{
	struct worker *w = arg;
	bool listening = false;

	while (!coord_stopping(w->c)) {
		char payload[64];
		int got = 0;
		struct store_claim claim;
		bool found = false;

		if (!listening)
			listening = store_ping(w->st) == 0 &&
			            store_channel_listen(w->st, STORE_OP_CHANNEL) == 0;
		if (store_op_claim(w->st, w->c->instance, w->c->o.stale_s, &claim, &found) != 0) {
			listening = false;
			coord_sleep(w->c, 500);
			continue;
		}
		if (found) {
			run_op(w, &claim);
			continue;
		}
		/* New operations NOTIFY; the timeout also covers a missed one and orphans. */
		if (!listening || store_channel_wait(w->st, 500, payload, sizeof(payload), &got) != 0) {
			listening = false;
			coord_sleep(w->c, 500);
		}
	}
	return NULL;
}

/* --- observation ---------------------------------------------------------------- */

static void
observe_one(struct worker *w, const struct store_observed *o)
{
	struct store_env_cfg env;
	struct health_verdict v;
	rw_operation_t *op;
	bool done = rw_now_us() >= o->observe_until;

	if (store_env_cfg_by_id(w->st, o->env_id, &env) != 0 ||
	    health_check(w->st, o->cluster, &o->service, o->image, o->digest, env.env.health_url,
	                 o->verified_at, &v) != 0)
		return;
	if (v.state != HEALTH_FAILED) {
		/* A release set becomes known-good together: not while its operation still runs. */
		if (!done || o->op_running || store_observe_end(w->st, o->id, true, NULL) != 0)
			return;
		log_info("deployment.known-good", "id=%lld service=%s version=%s env=%s",
		         (long long)o->id, o->service.name, o->version, o->env);
		plan_note(w->st, &env, o->incident_id, "verification", "rewindd", NULL,
		          "%s:%s healthy through its observation window in %s: known-good",
		          o->service.name, o->version, o->env);
		return;
	}
	if (store_observe_end(w->st, o->id, false, v.text) != 0)
		return;
	log_warn("deployment.failed", "id=%lld service=%s env=%s why=\"%s\"", (long long)o->id,
	         o->service.name, o->env, v.text);
	if (!o->op_id || !(op = malloc(sizeof(*op))))
		return;
	if (store_op_get(w->st, o->op_id, op) == 0) {
		char why[800];
		snprintf(why, sizeof(why), "%s:%s inside its observation window: %s", o->service.name,
		         o->version, v.text);
		on_failure(w->st, op, &env, why);
	}
	free(op);
}

static void *
observer_main(void *arg)
{
	struct worker *w = arg;
	while (coord_sleep(w->c, 1000)) {
		struct store_observed *obs = NULL;
		size_t n = 0;
		if (store_observing_list(w->st, &obs, &n) != 0) {
			(void)store_ping(w->st);
			continue;
		}
		for (size_t i = 0; i < n && !coord_stopping(w->c); i++)
			observe_one(w, &obs[i]);
		free(obs);
	}
	return NULL;
}

/* --- start and stop ------------------------------------------------------------- */

static int
worker_start(struct coord *c, struct worker *w, void *(*fn)(void *), char *msg, size_t msgsz)
{
	int rv;
	w->c = c;
	if ((rv = store_open(c->o.conninfo, &w->st, msg, msgsz)) != 0)
		return rv;
	if (pthread_create(&w->thread, NULL, fn, w) != 0) {
		snprintf(msg, msgsz, "cannot start a coordinator thread");
		return RW_ENOMEM;
	}
	w->started = true;
	return 0;
}

int
coord_start(const struct coord_opts *o, coord_t **out, char *msg, size_t msgsz)
{
	struct coord *c = calloc(1, sizeof(*c));
	char host[64] = "localhost";
	int rv = 0;

	*out = NULL;
	if (!c)
		return RW_ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	c->o = *o;
	c->o.runners = o->runners > 0 ? (o->runners > COORD_MAX_RUNNERS ? COORD_MAX_RUNNERS : o->runners) : 4;
	c->o.tick_ms = o->tick_ms > 0 ? o->tick_ms : 250;
	c->o.stale_s = o->stale_s > 0 ? o->stale_s : 30;
	(void)gethostname(host, sizeof(host) - 1);
	snprintf(c->instance, sizeof(c->instance), "rewindd@%.60s:%d", host, (int)getpid());
	for (int i = 0; rv == 0 && i < c->o.runners; i++, c->nrunners++) {
		c->runners[i].index = i;
		rv = worker_start(c, &c->runners[i], runner_main, msg, msgsz);
	}
	if (rv == 0)
		rv = worker_start(c, &c->observer, observer_main, msg, msgsz);
	if (rv != 0) {
		coord_stop(c);
		return rv;
	}
	*out = c;
	return 0;
}

static void
worker_stop(struct worker *w)
{
	if (w->started)
		pthread_join(w->thread, NULL);
	store_close(w->st);
}

void
coord_stop(coord_t *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	for (int i = 0; i < c->nrunners; i++)
		worker_stop(&c->runners[i]);
	worker_stop(&c->observer);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
