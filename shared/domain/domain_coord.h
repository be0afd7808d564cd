/*
 * domain_coord — the domain structs of coordination (issue 6): environment
 * and service settings, operations (deploy, promote, rollback, config
 * set/revert) with one step per service, incidents with their timeline,
 * and decisions of the runbook's decision tree.  Validation rules for what
 * a console may send.  No protobuf, no SQL, no I/O.
 */
#ifndef REWIND_DOMAIN_COORD_H
#define REWIND_DOMAIN_COORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"

#define RW_OP_STEPS_MAX 16       /* services one operation deploys */
#define RW_OP_REFS_MAX 16        /* releases/services named in one request */
#define RW_SETTINGS_MAX 16       /* settings in one request */
#define RW_SETTING_VALUE_MAX 1024
#define RW_TIMELINE_MAX 500      /* timeline entries returned with an incident */
#define RW_REASONS_MAX 16        /* reasons of one decision */
#define RW_REASON_TEXT_MAX 300
#define RW_REPORT_MAX (512 * 1024) /* an incident report in Markdown */
#define RW_OUTPUT_TAIL_MAX 1024  /* smoke-test output kept */

/* key = value settings of an environment or a service (docs/coordination.md). */
typedef struct rw_settings {
	char scope[16];                         /* env | service */
	char name[RW_NAME_MAX + 1];
	uint32_t n;
	struct {
		char key[RW_NAME_MAX + 1];
		char value[RW_SETTING_VALUE_MAX + 1];
	} items[RW_SETTINGS_MAX];
} rw_settings_t;

enum rw_op_kind {
	RW_OP_NONE = 0,
	RW_OP_DEPLOY,
	RW_OP_PROMOTE,
	RW_OP_ROLLBACK,
	RW_OP_CONFIG_SET,
	RW_OP_CONFIG_REVERT,
};

/* What a console asks for (OP_START). */
typedef struct rw_op_request {
	enum rw_op_kind kind;
	char env[RW_NAME_MAX + 1];
	uint32_t nreleases;
	char releases[RW_OP_REFS_MAX][RW_NAME_MAX + RW_VERSION_MAX + 2]; /* SERVICE:VERSION or id */
	uint32_t nservices;
	char services[RW_OP_REFS_MAX][RW_NAME_MAX + 1];
	char from_env[RW_NAME_MAX + 1];
	char reason[RW_TEXT_MAX + 1];
	char override_gate[RW_TEXT_MAX + 1];
	int64_t incident_id;
	char configmap[RW_POD_NAME_MAX + 1];
	char namespace_[RW_NAME_MAX + 1];
	uint32_t nkv;
	rw_kv_t kv[RW_KV_MAX];
	char branch_from[RW_COMMIT_MAX + 1];
	int64_t revert_id;
	bool hotfix;
} rw_op_request_t;

/* One service of an operation. */
typedef struct rw_op_step {
	char service[RW_NAME_MAX + 1];
	int64_t release_id;
	char version[RW_VERSION_MAX + 1];
	char image[RW_IMAGE_MAX + 1];
	char previous_image[RW_IMAGE_MAX + 1];
	int64_t deployment_id;
	int64_t action_id;
	char state[16];                         /* queued | rolling-out | verifying | observing | done */
	char outcome[16];                       /* pending | succeeded | failed | rolled-back */
	bool known_good;
	int32_t updated, available, replicas;
	char health[256];
	char message[512];
	char migrations_compat[4];
	char digest[RW_DIGEST_MAX + 1];
	int64_t observe_until;
	int32_t order;                          /* the service's deploy order (not on the wire) */
} rw_op_step_t;

typedef struct rw_operation {
	int64_t id;
	enum rw_op_kind kind;
	char env[RW_NAME_MAX + 1];
	char state[16];                         /* queued | running | succeeded | failed */
	char reason[RW_TEXT_MAX + 1];
	char override_gate[RW_TEXT_MAX + 1];
	int64_t incident_id;
	char warnings[RW_TEXT_MAX + 1];
	char result[RW_TEXT_MAX + 1];
	char created_by[RW_ACTOR_MAX + 1];
	int64_t created_at, started_at, finished_at;
	int64_t seq;
	uint32_t nsteps;
	rw_op_step_t steps[RW_OP_STEPS_MAX];
	int32_t smoke_rc;                       /* -1: none ran */
	char smoke_output[RW_OUTPUT_TAIL_MAX + 1];
	char phase[256];
	uint32_t nkv;
	rw_kv_t kv[RW_KV_MAX];                  /* config-set/revert */
	char configmap[RW_POD_NAME_MAX + 1];
	char namespace_[RW_NAME_MAX + 1];
	char previous[RW_TEXT_MAX + 1];         /* config-set: previous values, JSON */
} rw_operation_t;

typedef struct rw_timeline {
	int64_t at;
	char kind[16];                          /* detection | decision | action | verification | note | notification */
	char actor[RW_ACTOR_MAX + 1];
	char text[RW_TEXT_MAX + 1];
} rw_timeline_t;

#define RW_ANSWERS_MAX 16

typedef struct rw_answer {
	char key[RW_NAME_MAX + 1];
	char value[RW_REASON_TEXT_MAX + 1];
} rw_answer_t;

typedef struct rw_incident {
	int64_t id;
	char env[RW_NAME_MAX + 1];
	char title[RW_TEXT_MAX + 1];
	char severity[8];                       /* sev1..sev4 */
	char coordinator[RW_ACTOR_MAX + 1];
	char status[16];                        /* open | mitigated | closed */
	int64_t opened_at, detected_at, recovered_at, closed_at;
	char decision[16];
	uint32_t nanswers;
	rw_answer_t answers[RW_ANSWERS_MAX];
	char summary[RW_TEXT_MAX + 1];
	char root_cause[RW_TEXT_MAX + 1];
	rw_timeline_t *timeline;                /* owned; NULL in lists */
	size_t ntimeline;
} rw_incident_t;

typedef struct rw_decide {
	char env[RW_NAME_MAX + 1];
	int64_t incident_id;
	uint32_t nanswers;
	rw_answer_t answers[RW_ANSWERS_MAX];
	bool dry_run;
} rw_decide_t;

typedef struct rw_decision {
	int64_t incident_id;
	char recommendation[16];                /* rollback | config-hotfix | hotfix | none */
	uint32_t nreasons;
	char reasons[RW_REASONS_MAX][RW_REASON_TEXT_MAX + 1];
	uint32_t nanswers;
	rw_answer_t answers[RW_ANSWERS_MAX];
	uint32_t nfacts;
	rw_answer_t facts[RW_ANSWERS_MAX];
} rw_decision_t;

const char *rw_op_kind_name(enum rw_op_kind k);
enum rw_op_kind rw_op_kind_parse(const char *s);

/* Checks an OP_START as submitted (names, sizes, per-kind required fields). */
int rw_op_request_check(const rw_op_request_t *r, char *msg, size_t msgsz);
int rw_settings_check(const rw_settings_t *s, char *msg, size_t msgsz);
int rw_incident_open_check(const rw_incident_t *i, char *msg, size_t msgsz);
int rw_decide_check(const rw_decide_t *d, char *msg, size_t msgsz);
/* The operator's answers the decision tree knows: "yes", "no" or "" (unknown). */
bool rw_answer_key_known(const char *key);

#endif
