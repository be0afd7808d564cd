/*
 * runner — one coordinator runner's loop and the operations it carries out
 * (runner.h).
 *
 * A runner owns one operation at a time and blocks only on its own
 * database connection and sleeps; progress goes to the deployments row and
 * wakes long-polling consoles through NOTIFY.  Everything a runner needs to
 * go on is in those rows, so an operation whose rewindd died is resumed by
 * any other runner (store_op_claim): steps already verified are skipped, a
 * step's set-image action is created once (store_op_action) and followed
 * again, and the outcome with all that follows from it is one transaction
 * fenced by the claim's token.
 */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "failure.h"
#include "hold.h"
#include "log.h"
#include "plan.h"
#include "smoke.h"
#include "stopflag.h"
#include "store.h"
#include "store_action.h"
#include "store_catalog.h"
#include "store_channel.h"
#include "store_coord.h"
#include "store_incident.h"
#include "wave.h"

/* Waits for a config operation's patch-configmap action; 0 when it succeeded, else why in msg. */
static int
wait_config_action(struct hold *h, const rw_operation_t *op, const struct store_env_cfg *env,
                   rw_action_t *a, char *msg, size_t msgsz)
{
	int rv;

	for (;;) {
		if ((rv = store_action_get(h->st, a->id, a)) != 0) {
			snprintf(msg, msgsz, "cannot read action %lld: %s", (long long)a->id, rw_strerror(rv));
			return rv;
		}
		if (a->state == RW_ACTION_SUCCEEDED)
			return 0;
		if (a->state == RW_ACTION_FAILED || a->state == RW_ACTION_CANCELLED) {
			snprintf(msg, msgsz, "%.500s", a->result);
			return RW_EIO;
		}
		if (hold_action_overdue(h, env, a, msg, msgsz))
			return RW_ETIMEDOUT;
		if ((rv = hold_tick(h, op->id, msg, msgsz)) != 0)
			return rv;
	}
}

/* Every verified step of the operation fails with why (the smoke test failed). */
static void
fail_verified(store_t *st, const rw_operation_t *op, const char *why)
{
	for (uint32_t i = 0; i < op->nsteps; i++)
		(void)store_observe_end(st, op->steps[i].deployment_id, false, why);
}

struct smoke_ctx {
	struct hold *h;
	int64_t op_id;
};

static bool
smoke_beat(void *arg)
{
	struct smoke_ctx *c = arg;
	return hold_beat(c->h, c->op_id, NULL) == 0;
}

/* 0, or RW_EUNAVAIL / RW_ECONFLICT when the runner must let go meanwhile. */
static int
run_smoke(struct hold *h, const rw_operation_t *op, const struct store_env_cfg *env, bool *ok,
          int *rc, char *tail, size_t tailsz, char *result, size_t rcap)
{
	struct smoke_ctx ctx = {h, op->id};
	struct smoke_tick t = {smoke_beat, &ctx};
	int rv;

	if ((rv = hold_beat(h, op->id, "running the smoke test")) != 0)
		return rv;
	rv = smoke_run(env->smoke_command, env->smoke_timeout_s, env->env.name, (long long)op->id,
	               &t, rc, tail, tailsz);
	if (rv == RW_EUNAVAIL)
		return h->lost ? RW_ECONFLICT : RW_EUNAVAIL;
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
let_go(struct hold *h, const rw_operation_t *op)
{
	if (!h->lost && store_op_release(h->st, op->id, h->claim.token) != 0)
		log_warn("coord.db", "op=%lld error=\"%s\"", (long long)op->id, store_errmsg(h->st));
	log_info(h->lost ? "operation.lost" : "operation.released", "id=%lld by=%s",
	         (long long)op->id, h->instance);
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

/* The operation's outcome on its incident's timeline. */
static void
note_outcome(store_t *st, const rw_operation_t *op, const struct store_env_cfg *env,
             const char *kind, const char *event, bool ok, const char *result)
{
	if (op->incident_id)
		SAVEPOINT(st, plan_note(st, env, op->incident_id, kind, "rewindd", event,
		                        "operation #%lld (%s) %s: %s", (long long)op->id,
		                        rw_op_kind_name(op->kind), ok ? "succeeded" : "FAILED",
		                        result));
}

/* What follows from a deploy or rollback's outcome, inside its transaction. */
static void
forward_outcome(store_t *st, const rw_operation_t *op, const struct store_env_cfg *env, bool ok,
                const char *result, bool stopping)
{
	note_outcome(st, op, env, "verification",
	             op->kind == RW_OP_ROLLBACK ? (ok ? "rollback.end" : "rollback.failed") : NULL,
	             ok, result);
	if (ok && op->kind == RW_OP_ROLLBACK && op->incident_id)
		SAVEPOINT(st, (void)store_incident_mark(st, op->incident_id, true));
	if (ok)
		return;
	/* The services verified before the failure were deployed as part of a failed set. */
	char why[RW_TEXT_MAX + 64];
	snprintf(why, sizeof(why), "operation #%lld failed: %.1900s", (long long)op->id, result);
	SAVEPOINT(st, fail_verified(st, op, why));
	if (!stopping)
		SAVEPOINT(st, failure_record(st, op, env, result));
}

/* An operation's outcome as the runner found it. */
struct outcome {
	bool ok;
	const char *result;
	int smoke_rc;                   /* -1: no smoke test ran */
	const char *tail;               /* the smoke test's output */
	const rw_action_t *config;      /* config operations: the patch-configmap action */
};

/* The operation's row: finished (with, after a config set, the values it replaced). */
static int
record_outcome(struct hold *h, const rw_operation_t *op, const struct outcome *o)
{
	int rv;
	if (o->config && o->ok && op->kind == RW_OP_CONFIG_SET && o->config->previous[0] &&
	    (rv = store_op_previous(h->st, op->id, o->config->previous)) != 0)
		return rv;
	return store_op_finish(h->st, op->id, h->claim.token, o->ok, o->result, o->smoke_rc,
	                       o->tail);
}

/*
 * The outcome and everything that follows from it, in one transaction: a
 * rewindd dying here leaves all of it or none (then the operation is
 * resumed and finished by another runner).  False when it was not recorded.
 */
static bool
finish(struct hold *h, const rw_operation_t *op, const struct store_env_cfg *env,
       const struct outcome *o)
{
	store_t *st = h->st;
	int rv;

	if ((rv = store_tx_begin(st)) != 0)
		goto failed;
	if ((rv = record_outcome(h, op, o)) != 0) {
		store_tx_abort(st);
		goto failed;
	}
	if (o->config)
		note_outcome(st, op, env, "action", NULL, o->ok, o->result);
	else
		forward_outcome(st, op, env, o->ok, o->result, stopflag_raised(h->stop));
	if ((rv = store_tx_end(st)) != 0)
		goto failed;
	return true;
failed:
	h->lost = rv == RW_ECONFLICT;
	log_warn("operation.finish-failed", "id=%lld error=\"%s\"", (long long)op->id,
	         store_errmsg(st));
	return false;
}

static void
run_forward(struct hold *h, rw_operation_t *op, const struct store_env_cfg *env)
{
	char result[RW_TEXT_MAX + 1] = "", tail[RW_OUTPUT_TAIL_MAX + 1] = "";
	int smoke_rc = -1, rv = 0;
	bool ok = true;

	/* Services of one deploy order go together; orders one after the other. */
	for (uint32_t i = 0, j; ok && i < op->nsteps; i = j) {
		for (j = i + 1; j < op->nsteps && op->steps[j].order == op->steps[i].order; j++)
			;
		rv = wave_run(h, op, i, j, env, result, sizeof(result));
		if (hold_letting_go(rv)) {
			let_go(h, op);
			return;
		}
		ok = rv == 0;
	}
	if (ok && env->smoke_command[0] &&
	    hold_letting_go(run_smoke(h, op, env, &ok, &smoke_rc, tail, sizeof(tail), result,
	                              sizeof(result)))) {
		let_go(h, op);
		return;
	}
	if (ok)
		snprintf(result, sizeof(result), "%u service(s) %s and verified%s; %s", op->nsteps,
		         op->kind == RW_OP_ROLLBACK ? "rolled back" : "deployed",
		         smoke_rc == 0 ? " (smoke test passed)" : "",
		         env->observe_s ? "observing" : "known-good");
	struct outcome o = {ok, result, smoke_rc, tail, NULL};
	if (!finish(h, op, env, &o)) {
		let_go(h, op);
		return;
	}
	log_info(ok ? "operation.succeeded" : "operation.failed", "id=%lld kind=%s result=\"%s\"",
	         (long long)op->id, rw_op_kind_name(op->kind), result);
}

static void
run_config(struct hold *h, rw_operation_t *op, const struct store_env_cfg *env)
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
	if ((rv = hold_beat(h, op->id, "patching the ConfigMap")) == 0)
		rv = store_op_action(h->st, op->id, h->claim.token, 0, &hold_self, &a, &existing);
	if (rv == RW_ECONFLICT)
		h->lost = true;
	if (rv == 0)
		rv = wait_config_action(h, op, env, &a, result, sizeof(result));
	else if (!hold_letting_go(rv))
		snprintf(result, sizeof(result), "cannot queue the patch-configmap action: %s",
		         store_errmsg(h->st));
	if (hold_letting_go(rv)) {
		let_go(h, op);
		return;
	}
	if (rv == 0) {
		ok = true;
		snprintf(result, sizeof(result), "%s/%s: %.1500s", op->namespace_, op->configmap,
		         a.result);
	}
	struct outcome o = {ok, result, -1, "", &a};
	if (!finish(h, op, env, &o))
		let_go(h, op);
}

static void
run_op(struct hold *h, const struct store_claim *claim)
{
	rw_operation_t *op = malloc(sizeof(*op));
	struct store_env_cfg env;
	int64_t id = claim->id;

	h->claim = *claim;
	h->lost = false;
	if (!op) {
		let_go(h, &(rw_operation_t){.id = id});
		return;
	}
	if (store_op_get(h->st, id, op) != 0 || store_env_cfg_get(h->st, op->env, &env) != 0) {
		log_error("coord.load", "op=%lld error=\"%s\"", (long long)id, store_errmsg(h->st));
		(void)store_op_finish(h->st, id, claim->token, false, "could not load the operation",
		                      -1, "");
		free(op);
		return;
	}
	if (claim->resumed)
		log_info("operation.resumed", "id=%lld kind=%s env=%s by=%s previous=%s claim=%d",
		         (long long)id, rw_op_kind_name(op->kind), op->env, h->instance,
		         claim->previous_owner, (int)claim->token);
	else
		log_info("operation.running", "id=%lld kind=%s env=%s by=%s", (long long)id,
		         rw_op_kind_name(op->kind), op->env, h->instance);
	if (op->kind == RW_OP_CONFIG_SET || op->kind == RW_OP_CONFIG_REVERT)
		run_config(h, op, &env);
	else
		run_forward(h, op, &env);
	free(op);
}

void
runner_loop(struct hold *h, int stale_s)
{
	bool listening = false;

	while (!stopflag_raised(h->stop)) {
		char payload[64];
		int got = 0;
		struct store_claim claim;
		bool found = false;

		if (!listening)
			listening = store_ping(h->st) == 0 && store_channel_listen(h->st, STORE_OP_CHANNEL) == 0;
		if (store_op_claim(h->st, h->instance, stale_s, &claim, &found) != 0) {
			listening = false;
			stopflag_sleep(h->stop, 500);
			continue;
		}
		if (found) {
			run_op(h, &claim);
			continue;
		}
		/* New operations NOTIFY; the timeout also covers a missed one and orphans. */
		if (!listening || store_channel_wait(h->st, 500, payload, sizeof(payload), &got) != 0) {
			listening = false;
			stopflag_sleep(h->stop, 500);
		}
	}
}
