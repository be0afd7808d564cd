/*
 * domain_coord — names and validation rules of the coordination structs
 * (domain_coord.h).  Pure functions: no I/O, no protobuf, no SQL.
 */
#include "domain_coord.h"

#include <stdio.h>
#include <string.h>

#include "err.h"

static const char *const op_kind_names[] = {
	[RW_OP_NONE] = "none",
	[RW_OP_DEPLOY] = "deploy",
	[RW_OP_PROMOTE] = "promote",
	[RW_OP_ROLLBACK] = "rollback",
	[RW_OP_CONFIG_SET] = "config-set",
	[RW_OP_CONFIG_REVERT] = "config-revert",
};

const char *
rw_op_kind_name(enum rw_op_kind k)
{
	if ((unsigned)k >= sizeof(op_kind_names) / sizeof(op_kind_names[0]))
		return "none";
	return op_kind_names[k];
}

enum rw_op_kind
rw_op_kind_parse(const char *s)
{
	for (unsigned k = 1; s && k < sizeof(op_kind_names) / sizeof(op_kind_names[0]); k++)
		if (strcmp(s, op_kind_names[k]) == 0)
			return (enum rw_op_kind)k;
	return RW_OP_NONE;
}

/* SERVICE:VERSION, or a release id (digits). */
static int
check_release_ref(const char *v, char *msg, size_t msgsz)
{
	char svc[RW_NAME_MAX + 1];
	const char *colon = strchr(v, ':');
	size_t n = strlen(v);
	bool digits = n > 0 && n < 19 && strspn(v, "0123456789") == n;
	int rv;

	if (digits)
		return 0;
	if (!colon || (size_t)(colon - v) > RW_NAME_MAX)
		return rw_check_fail(RW_EINVAL, msg, msgsz, "release", "give SERVICE:VERSION or a release id");
	snprintf(svc, sizeof(svc), "%.*s", (int)(colon - v), v);
	if ((rv = rw_check_name("release service", svc, msg, msgsz)))
		return rv;
	return rw_check_tag("release version", colon + 1, msg, msgsz);
}

static int
check_refs(const rw_op_request_t *r, char *msg, size_t msgsz)
{
	int rv;
	for (uint32_t i = 0; i < r->nreleases; i++)
		if ((rv = check_release_ref(r->releases[i], msg, msgsz)))
			return rv;
	for (uint32_t i = 0; i < r->nservices; i++)
		if ((rv = rw_check_name("service", r->services[i], msg, msgsz)))
			return rv;
	return 0;
}

static int
check_config(const rw_op_request_t *r, char *msg, size_t msgsz)
{
	rw_action_t a;
	int rv;

	if (r->kind == RW_OP_CONFIG_REVERT)
		return r->revert_id >= 0 ? 0 : rw_check_fail(RW_EINVAL, msg, msgsz, "id", "must not be negative");
	memset(&a, 0, sizeof(a));
	a.kind = RW_ACTION_PATCH_CONFIGMAP;
	(void)RW_STRCPY(a.cluster, "x");
	if (RW_STRCPY(a.namespace_, r->namespace_[0] ? r->namespace_ : "default") ||
	    RW_STRCPY(a.name, r->configmap))
		return rw_check_fail(RW_ETOOBIG, msg, msgsz, "configmap", "too long");
	a.nkv = r->nkv;
	memcpy(a.kv, r->kv, sizeof(a.kv));
	if ((rv = rw_action_check(&a, msg, msgsz)))
		return rv;
	return 0;
}

int
rw_op_request_check(const rw_op_request_t *r, char *msg, size_t msgsz)
{
	int rv;

	if (r->kind == RW_OP_NONE)
		return rw_check_fail(RW_EINVAL, msg, msgsz, "kind",
		            "must be deploy, promote, rollback, config-set or config-revert");
	if ((rv = rw_check_name("env", r->env, msg, msgsz)) ||
	    (rv = rw_check_text("reason", r->reason, RW_TEXT_MAX, msg, msgsz)) ||
	    (rv = rw_check_text("override-gate", r->override_gate, RW_TEXT_MAX, msg, msgsz)) ||
	    (rv = rw_check_text("branch-from", r->branch_from, RW_COMMIT_MAX, msg, msgsz)))
		return rv;
	if (r->nreleases > RW_OP_REFS_MAX || r->nservices > RW_OP_REFS_MAX)
		return rw_check_fail(RW_ETOOBIG, msg, msgsz, "release", "at most 16 per operation");
	if (r->incident_id < 0)
		return rw_check_fail(RW_EINVAL, msg, msgsz, "incident", "must be an id");
	if ((rv = check_refs(r, msg, msgsz)))
		return rv;
	switch (r->kind) {
	case RW_OP_DEPLOY:
	case RW_OP_PROMOTE:
		if (r->nreleases == 0)
			return rw_check_fail(RW_EINVAL, msg, msgsz, "release", "name at least one release");
		if (r->kind == RW_OP_PROMOTE && r->from_env[0] &&
		    (rv = rw_check_name("from", r->from_env, msg, msgsz)))
			return rv;
		return 0;
	case RW_OP_ROLLBACK:
		/* Runbook: a rollback always says why; the reason goes into the release log. */
		if (!r->reason[0])
			return rw_check_fail(RW_EINVAL, msg, msgsz, "reason", "a rollback needs --reason");
		return 0;
	case RW_OP_CONFIG_SET:
	case RW_OP_CONFIG_REVERT:
		return check_config(r, msg, msgsz);
	default:
		return rw_check_fail(RW_EINVAL, msg, msgsz, "kind", "unknown");
	}
}

static const char *const env_keys[] = {"observe-seconds", "verify-seconds", "action-timeout",
                                       "smoke-command",   "smoke-timeout",  "auto-rollback",
                                       "webhook-url",     "webhook-format", "promote-from",
                                       NULL};
static const char *const service_keys[] = {"order", NULL};

static bool
key_in(const char *const *keys, const char *k)
{
	for (; *keys; keys++)
		if (strcmp(*keys, k) == 0)
			return true;
	return false;
}

int
rw_settings_check(const rw_settings_t *s, char *msg, size_t msgsz)
{
	bool env = strcmp(s->scope, "env") == 0;
	int rv;

	if (!env && strcmp(s->scope, "service") != 0)
		return rw_check_fail(RW_EINVAL, msg, msgsz, "scope", "must be env or service");
	if ((rv = rw_check_name("name", s->name, msg, msgsz)))
		return rv;
	if (s->n > RW_SETTINGS_MAX)
		return rw_check_fail(RW_ETOOBIG, msg, msgsz, "settings", "at most 16");
	for (uint32_t i = 0; i < s->n; i++) {
		if (!key_in(env ? env_keys : service_keys, s->items[i].key)) {
			if (msg && msgsz)
				snprintf(msg, msgsz, "setting \"%.63s\" is not one of the %s settings",
				         s->items[i].key, env ? "environment" : "service");
			return RW_EINVAL;
		}
		if ((rv = rw_check_text(s->items[i].key, s->items[i].value, RW_SETTING_VALUE_MAX, msg,
		                        msgsz)))
			return rv;
	}
	return 0;
}

int
rw_incident_open_check(const rw_incident_t *i, char *msg, size_t msgsz)
{
	int rv;
	if ((rv = rw_check_name("env", i->env, msg, msgsz)) ||
	    (rv = rw_check_text("title", i->title, RW_TEXT_MAX, msg, msgsz)) ||
	    (rv = rw_check_text("coordinator", i->coordinator, RW_ACTOR_MAX, msg, msgsz)))
		return rv;
	if (i->severity[0] && (strlen(i->severity) != 4 || strncmp(i->severity, "sev", 3) != 0 ||
	                       i->severity[3] < '1' || i->severity[3] > '4'))
		return rw_check_fail(RW_EINVAL, msg, msgsz, "severity", "must be sev1, sev2, sev3 or sev4");
	return 0;
}

static const char *const answer_keys[] = {"config-fixable", "low-risk-patch", "code-change",
                                          "ttr-under-15",   "regression-in-prior",
                                          "infra-change",   "customer-impact", NULL};

bool
rw_answer_key_known(const char *key)
{
	return key_in(answer_keys, key);
}

int
rw_decide_check(const rw_decide_t *d, char *msg, size_t msgsz)
{
	int rv;
	if ((rv = rw_check_name("env", d->env, msg, msgsz)))
		return rv;
	if (d->nanswers > RW_ANSWERS_MAX)
		return rw_check_fail(RW_ETOOBIG, msg, msgsz, "answers", "too many");
	for (uint32_t i = 0; i < d->nanswers; i++) {
		const char *v = d->answers[i].value;
		if (!rw_answer_key_known(d->answers[i].key)) {
			if (msg && msgsz)
				snprintf(msg, msgsz, "\"%.63s\" is not a question of the decision tree",
				         d->answers[i].key);
			return RW_EINVAL;
		}
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0 && v[0])
			return rw_check_fail(RW_EINVAL, msg, msgsz, d->answers[i].key, "answer yes or no");
	}
	return 0;
}
