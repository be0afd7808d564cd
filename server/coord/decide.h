/*
 * decide — the runbook's section 2 as code: the quick decision tree
 * (customer impact in the last 30 minutes → roll back; fixable by
 * configuration → configuration hotfix; low-risk patch within 15 minutes →
 * hotfix; else roll back) and the choosing table as supporting reasons.
 * decide_gather() answers what Rewind knows from the agents' reports and
 * the release log; decide_walk() is pure and takes the operator's answers
 * for the rest.  Recording the decision is the caller's business.
 */
#ifndef REWIND_DECIDE_H
#define REWIND_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "domain.h"
#include "domain_coord.h"
#include "store.h"
#include "store_catalog.h"

/* What Rewind itself knows about an environment. */
struct decide_facts {
	char env[RW_NAME_MAX + 1];
	bool failing;                 /* a service fails health or crash-loops now */
	char failing_what[256];       /* which and how */
	int64_t failing_since;        /* first failure seen in the last 30 minutes (0: unknown) */
	int64_t latest_deploy_at;     /* newest deployment's start (0: none) */
	char latest_deploy[160];      /* "mr-dj-frontend:v2 (operation #7)" */
	bool latest_deploy_failed;    /* the newest deployment failed its checks */
	bool after_deploy;            /* the failure started after the newest deployment */
	bool prior_known_good;        /* every affected service has an earlier known-good release */
	char prior[256];              /* e.g. "mr-dj-frontend:v1, misterdj-backend:v1" */
	int64_t now;
};

int decide_gather(store_t *st, const struct store_env_cfg *env, struct decide_facts *f);

/*
 * Walks the tree with the facts and the operator's answers (yes/no/'' per
 * question); fills out with the recommendation, the reasons in order, the
 * answers actually used (each "yes (operator)" or "yes (rewindd: …)") and
 * the facts.
 */
void decide_walk(const struct decide_facts *f, const rw_answer_t *answers, uint32_t nanswers,
                 rw_decision_t *out);

#endif
