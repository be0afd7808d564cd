/*
 * decide — the decision tree and choosing table of the runbook (decide.h).
 */
#include "decide.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "health.h"
#include "store_agents.h"

#define THIRTY_MIN_US (30LL * 60 * 1000000)

static void fit(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* snprintf for human text where cutting a long name short is fine. */
static void
fit(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst, cap, fmt, ap);
	va_end(ap);
}

static void
fmt_time(int64_t us, char *buf, size_t cap)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
append(char *dst, size_t cap, const char *sep, const char *what)
{
	size_t n = strlen(dst);
	if (n + 1 < cap)
		fit(dst + n, cap - n, "%s%s", n ? sep : "", what);
}

/* One service: is it failing now, and is there a known-good release before the current one? */
static int
gather_service(store_t *st, const struct store_env_cfg *env, const rw_service_t *svc,
               struct decide_facts *f, bool *all_prior)
{
	struct store_current cur;
	struct health_verdict v;
	rw_release_t prior;
	char what[400];
	int rv = store_current(st, env->env.id, svc->id, &cur);

	if (rv == RW_ENOTFOUND)
		return 0;
	if (rv)
		return rv;
	if (cur.started_at > f->latest_deploy_at) {
		f->latest_deploy_at = cur.started_at;
		fit(f->latest_deploy, sizeof(f->latest_deploy), "%s:%s (operation #%lld)",
		         svc->name, cur.release.version, (long long)cur.op_id);
		f->latest_deploy_failed = strcmp(cur.outcome, "failed") == 0;
	}
	rv = health_check(st, env->env.cluster, svc, cur.image, cur.release.digest, NULL,
	                  f->now - 60LL * 1000000, &v);
	if (rv)
		return rv;
	if (v.state == HEALTH_FAILED || strcmp(cur.outcome, "failed") == 0) {
		f->failing = true;
		fit(what, sizeof(what), "%s: %s", svc->name,
		         v.state == HEALTH_FAILED ? v.text : "its latest deployment failed its checks");
		append(f->failing_what, sizeof(f->failing_what), "; ", what);
	}
	/* A service still on a known-good release needs no earlier one. */
	if (cur.known_good)
		return 0;
	rv = store_known_good(st, env->env.id, svc->id, cur.release.id, &prior);
	if (rv == RW_ENOTFOUND) {
		*all_prior = false;
		return 0;
	}
	if (rv)
		return rv;
	snprintf(what, sizeof(what), "%s:%s", svc->name, prior.version);
	append(f->prior, sizeof(f->prior), ", ", what);
	return 0;
}

int
decide_gather(store_t *st, const struct store_env_cfg *env, struct decide_facts *f)
{
	rw_service_t *svcs = NULL;
	size_t n = 0;
	bool all_prior = true;
	int rv;

	memset(f, 0, sizeof(*f));
	snprintf(f->env, sizeof(f->env), "%s", env->env.name);
	f->now = rw_now_us();
	if ((rv = store_env_services(st, env->env.id, &svcs, &n)))
		return rv;
	for (size_t i = 0; rv == 0 && i < n; i++)
		rv = gather_service(st, env, &svcs[i], f, &all_prior);
	free(svcs);
	if (rv)
		return rv;
	f->prior_known_good = n > 0 && all_prior;
	/*
	 * Since when: the first failed probe after the newest deployment began
	 * (earlier failures were someone else's, already rolled back), or that
	 * deployment itself when its pods never answered.
	 */
	int64_t from = f->now - THIRTY_MIN_US;
	if (f->latest_deploy_at > from)
		from = f->latest_deploy_at;
	if (f->failing && (rv = store_probe_failing_since(st, env->env.cluster, from,
	                                                  &f->failing_since)))
		return rv;
	if (f->failing && !f->failing_since)
		f->failing_since = f->latest_deploy_at;
	f->after_deploy = f->failing && f->latest_deploy_at &&
	                  f->failing_since >= f->latest_deploy_at;
	return 0;
}

static const char *
answer(const rw_answer_t *a, uint32_t n, const char *key)
{
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(a[i].key, key) == 0)
			return a[i].value;
	return "";
}

static void reason(rw_decision_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
reason(rw_decision_t *d, const char *fmt, ...)
{
	va_list ap;
	if (d->nreasons >= RW_REASONS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(d->reasons[d->nreasons++], sizeof(d->reasons[0]), fmt, ap);
	va_end(ap);
}

static void
used(rw_decision_t *d, const char *key, bool yes, const char *who)
{
	if (d->nanswers >= RW_ANSWERS_MAX)
		return;
	snprintf(d->answers[d->nanswers].key, sizeof(d->answers[0].key), "%s", key);
	fit(d->answers[d->nanswers].value, sizeof(d->answers[0].value), "%s (%s)",
	         yes ? "yes" : "no", who);
	d->nanswers++;
}

static void
fact(rw_decision_t *d, const char *key, const char *value)
{
	if (d->nfacts >= RW_ANSWERS_MAX)
		return;
	snprintf(d->facts[d->nfacts].key, sizeof(d->facts[0].key), "%s", key);
	snprintf(d->facts[d->nfacts].value, sizeof(d->facts[0].value), "%s", value);
	d->nfacts++;
}

static void
facts_out(const struct decide_facts *f, rw_decision_t *d)
{
	char t[40], buf[300];
	fact(d, "failing", f->failing ? f->failing_what : "no");
	if (f->failing_since) {
		fmt_time(f->failing_since, t, sizeof(t));
		snprintf(buf, sizeof(buf), "%s (%lld s ago)", t,
		         (long long)((f->now - f->failing_since) / 1000000));
		fact(d, "failing-since", buf);
	}
	if (f->latest_deploy_at) {
		fmt_time(f->latest_deploy_at, t, sizeof(t));
		fit(buf, sizeof(buf), "%s at %s%s", f->latest_deploy, t,
		         f->latest_deploy_failed ? ", failed its checks" : "");
		fact(d, "latest-deployment", buf);
	}
	fact(d, "started-after-latest-deployment", f->after_deploy ? "yes" : "no");
	fact(d, "previous-release-known-good", f->prior_known_good ? f->prior : "no");
}

/* The choosing table: each row votes; the counts go into the reasons. */
static void
table(const struct decide_facts *f, const rw_answer_t *a, uint32_t n, rw_decision_t *d)
{
	int rb = 0, hf = 0;
	char line[300];
	if (f->after_deploy)
		rb++;
	if (!strcmp(answer(a, n, "code-change"), "yes"))
		hf++;
	if (strcmp(answer(a, n, "ttr-under-15"), "no") != 0)
		rb++; /* the runbook's default target */
	if (!strcmp(answer(a, n, "regression-in-prior"), "yes") || (!f->prior_known_good && f->failing))
		hf++;
	if (!strcmp(answer(a, n, "infra-change"), "yes"))
		rb++;
	fit(line, sizeof(line),
	         "choosing table: %d row(s) for rollback (deployment artifact%s, time-to-recover "
	         "< 15 min%s), %d for hotfix",
	         rb, f->after_deploy ? ": yes" : ": no",
	         !strcmp(answer(a, n, "infra-change"), "yes") ? ", infrastructure change" : "", hf);
	reason(d, "%s", line);
}

void
decide_walk(const struct decide_facts *f, const rw_answer_t *a, uint32_t n, rw_decision_t *d)
{
	const char *impact = answer(a, n, "customer-impact");
	const char *cfg = answer(a, n, "config-fixable"), *patch = answer(a, n, "low-risk-patch");
	bool down = *impact ? !strcmp(impact, "yes") : (f->failing || f->latest_deploy_failed);
	char why[300];

	memset(d, 0, sizeof(*d));
	facts_out(f, d);
	if (*impact)
		used(d, "customer-impact", down, "operator");
	else {
		fit(why, sizeof(why), "rewindd: %s", f->failing ? f->failing_what : "all services healthy");
		used(d, "customer-impact", down, why);
	}
	if (down) {
		reason(d, "%s is down or customer-impacting within the last 30 minutes: %s", f->env,
		       f->failing ? f->failing_what : "(operator says so)");
		if (f->prior_known_good) {
			snprintf(d->recommendation, sizeof(d->recommendation), "rollback");
			reason(d, "roll back immediately to the previous known-good release: %s",
			       f->prior);
		} else {
			snprintf(d->recommendation, sizeof(d->recommendation), "hotfix");
			reason(d, "no known-good release to roll back to: prepare a hotfix");
		}
		table(f, a, n, d);
		return;
	}
	reason(d, "%s is not down or customer-impacting now", f->env);
	used(d, "config-fixable", !strcmp(cfg, "yes"), *cfg ? "operator" : "not answered: no");
	if (!strcmp(cfg, "yes")) {
		snprintf(d->recommendation, sizeof(d->recommendation), "config-hotfix");
		reason(d, "the issue can be mitigated by configuration or a feature flag: ship a "
		          "configuration hotfix (rewindctl config set), no redeploy");
		table(f, a, n, d);
		return;
	}
	used(d, "low-risk-patch", !strcmp(patch, "yes"), *patch ? "operator" : "not answered: no");
	if (!strcmp(patch, "yes")) {
		snprintf(d->recommendation, sizeof(d->recommendation), "hotfix");
		reason(d, "a low-risk patch can be validated within 15 minutes: build a hotfix from the "
		          "last known-good commit and ship it through staging (rewindctl hotfix)");
	} else {
		snprintf(d->recommendation, sizeof(d->recommendation), "rollback");
		reason(d, "no configuration fix and no low-risk patch: roll back to the previous "
		          "known-good artifact%s%s", f->prior_known_good ? ": " : "", f->prior);
	}
	table(f, a, n, d);
}
