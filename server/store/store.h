/*
 * store — Rewind's release history in PostgreSQL (libpq).
 *
 * The only module that speaks SQL.  All statements are parameterised; libpq
 * results never leave this file: callers get domain structs (domain.h).
 * Every write runs in one transaction together with its audit-log row, so a
 * change is either recorded with its audit entry or not at all.
 *
 * A store_t is one database connection and is NOT thread-safe: rewindd gives
 * each worker thread its own.  Schema migrations are embedded in the binary
 * (server/store/migrations/NNNN_name.sql) and applied by store_migrate().
 */
#ifndef REWIND_STORE_H
#define REWIND_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auditq.h"
#include "domain.h"
#include "domain_coord.h"
#include "ledger.h"

typedef struct store store_t;

/*
 * Connects with a libpq conninfo string or URI.  On success *out is owned by
 * the caller and freed with store_close().  On failure a reason (never the
 * password) is written to msg.
 */
int store_open(const char *conninfo, store_t **out, char *msg, size_t msgsz);
void store_close(store_t *st);

/* Re-establishes a broken connection; 0 when the connection is usable. */
int store_ping(store_t *st);

/* Last error text of the connection for logs (owned by st, valid until the next call). */
const char *store_errmsg(const store_t *st);

/*
 * Applies pending migrations, each in its own transaction, serialised across
 * processes with an advisory lock, so two servers starting at once are safe.
 * *applied (may be NULL) receives how many were applied now.
 */
int store_migrate(store_t *st, unsigned *applied);
/* Highest applied migration version (0 on an empty database). */
int store_schema_version(store_t *st, int *version);

/* Environments.  env->id and env->created_at are set on success. */
int store_env_add(store_t *st, const rw_actor_t *who, rw_env_t *env);
int store_env_get(store_t *st, const char *name, rw_env_t *out);
/* *out is malloc'd, owned by the caller (free()); *n rows. */
int store_env_list(store_t *st, rw_env_t **out, size_t *n);

/* Services.  RW_EEXIST when the name is taken. */
int store_service_add(store_t *st, const rw_actor_t *who, rw_service_t *svc);
int store_service_get(store_t *st, const char *name, rw_service_t *out);
int store_service_list(store_t *st, rw_service_t **out, size_t *n);

/*
 * Records a release of rel->service (RW_ENOTFOUND when the service does not
 * exist; RW_EEXIST when that service already has that version).  Sets id,
 * created_at and created_by (from who).
 */
int store_release_add(store_t *st, const rw_actor_t *who, rw_release_t *rel);
int store_release_get(store_t *st, int64_t id, rw_release_t *out);
int store_release_find(store_t *st, const char *service, const char *version, rw_release_t *out);
/* Newest first; service may be NULL/empty for all; limit 0 means RW_LIST_MAX. */
int store_release_list(store_t *st, const char *service, uint32_t limit, rw_release_t **out,
                       size_t *n);

/*
 * A service's history, newest first: every release with each of its
 * deployments (a release never deployed appears once with an empty env).
 * env may be NULL/empty for all environments; RW_ENOTFOUND for an unknown
 * service or environment.
 */
int store_history(store_t *st, const char *service, const char *env, uint32_t limit,
                  rw_history_row_t **out, size_t *n);

/*
 * Artifacts of releases (docs/artifacts.md).  store_artifact_add() records a
 * file already in the artifact store (RW_ENOTFOUND: no such release;
 * RW_EEXIST: the release already has an artifact of that kind).
 */
int store_artifact_add(store_t *st, const rw_actor_t *who, rw_artifact_t *a);
/* release_id 0 lists all; RW_ENOTFOUND for an unknown release.  Oldest first. */
int store_artifact_list(store_t *st, int64_t release_id, uint32_t limit, rw_artifact_t **out,
                        size_t *n);
/*
 * Saves one verification pass: each artifact's outcome (ok|mismatch|missing),
 * the backups whose files failed their re-hash (result holds why), and one
 * audit row, in one transaction.
 */
int store_artifact_verified(store_t *st, const rw_actor_t *who, const rw_artifact_t *items,
                            size_t n, const rw_backup_t *bad_backups, size_t nbad);

/*
 * The application database of an environment.  redacted_url (the URL
 * without its password) is what the audit row shows.  RW_ENOTFOUND for an
 * unknown environment (set) or one without a database (get).  get returns
 * the full URL: callers must not send or log it.
 */
int store_env_db_set(store_t *st, const rw_actor_t *who, rw_env_db_t *d, const char *redacted_url);
int store_env_db_get(store_t *st, const char *env, rw_env_db_t *out);

/*
 * Backups.  store_backup_add() records a backup (action "backup.run" or
 * "backup.record"); b->outcome "ok" records it as verified by who.
 */
int store_backup_add(store_t *st, const rw_actor_t *who, const char *action, rw_backup_t *b);
int store_backup_get(store_t *st, int64_t id, rw_backup_t *out);
/* Newest first; env NULL/empty for all. */
int store_backup_list(store_t *st, const char *env, uint32_t limit, rw_backup_t **out, size_t *n);
/* Saves a restore verification (ok or failed, with its human result) and its audit row. */
int store_backup_verified(store_t *st, const rw_actor_t *who, rw_backup_t *b, bool ok,
                          const char *result);

/* Audit log, newest first, filtered. */
int store_audit_list(store_t *st, const rw_audit_filter_t *f, rw_audit_t **out, size_t *n);

/*
 * Appends an audit row outside any other change (e.g. a refused request worth
 * recording, or a login).  detail_json may be NULL.
 */
int store_audit_append(store_t *st, const rw_actor_t *who, const char *action,
                       const char *target, const char *detail_json, const char *reason);

/* --- agents: reports, status, probes (store_agents.c) ------------------- */

/* One agent report, as decoded and checked at the boundary. */
struct store_report {
	const char *agent;          /* CLUSTER/NODE from the certificate */
	const char *cluster;
	const char *node;
	uint64_t epoch;
	uint64_t seq;
	bool full;                  /* a full snapshot of the node replaces what was stored */
	const rw_pod_state_t *pods;
	size_t npods;
	const rw_deploy_state_t *deploys;
	size_t ndeploys;
	const rw_probe_result_t *probes;
	size_t nprobes;
};

/*
 * Applies a report in one transaction (latest state wins).  A full snapshot
 * is always applied.  A change report is applied only when it follows the
 * last accepted report of the agent (same session epoch, next sequence
 * number); otherwise nothing is stored and *resync is set: the agent must
 * send a full snapshot.  That refuses a gap, a duplicate, and a report of an
 * old session that arrives late (a request the agent gave up on, still in a
 * closed TCP connection's send queue when the network came back) after a
 * newer session's snapshot — which would otherwise overwrite newer state.
 */
int store_report_apply(store_t *st, const struct store_report *r, bool *resync);

/* What status shows for one cluster; every array malloc'd, owned by the caller. */
struct store_status {
	rw_deploy_state_t *deploys;
	size_t ndeploys;
	rw_pod_state_t *pods;
	size_t npods;
	rw_probe_result_t *probes;   /* latest per subject */
	size_t nprobes;
	rw_agent_info_t *agents;
	size_t nagents;
};
int store_status_get(store_t *st, const char *cluster, int64_t connected_since_us,
                     struct store_status *out);
void store_status_free(struct store_status *s);

/*
 * Probe targets for an agent: one per service with a health path (pod
 * probes), plus the public URLs of the cluster's environments if this agent
 * is the cluster's probe leader (the first by name among agents seen since
 * alive_since_us).  *out malloc'd, owned by the caller.
 */
int store_probe_targets(store_t *st, const char *cluster, const char *agent,
                        int64_t alive_since_us, rw_probe_target_t **out, size_t *n);

/* --- the action queue (store_agents.c) ------------------------------------ */

/*
 * Queues an action (sets id, state, created_at, created_by) with its audit
 * row, and notifies every rewindd listening on STORE_ACTION_CHANNEL.
 */
#define STORE_ACTION_CHANNEL "rewind_actions"
int store_action_create(store_t *st, const rw_actor_t *who, rw_action_t *a);
int store_action_get(store_t *st, int64_t id, rw_action_t *out);
int store_action_list(store_t *st, const char *cluster, uint32_t limit, rw_action_t **out,
                      size_t *n);

/*
 * Leases the oldest runnable action of the cluster to agent for lease_ms:
 * queued ones, or leased ones whose lease ran out (their agent vanished).
 * Actions past their deadline are failed instead.  *found is false when
 * there is nothing to do.
 */
int store_action_claim(store_t *st, const char *agent, const char *cluster, int lease_ms,
                       rw_action_t *out, bool *found);

/* Extends the lease and records progress; *ours false when the lease was lost. */
int store_action_progress(store_t *st, const char *agent, int64_t id, const char *message,
                          int lease_ms, bool *ours);

/*
 * Finishes an action the agent holds, with its audit row.  *accepted is
 * false (and nothing changes) when it was already finished or taken over:
 * the same action can never finish twice.
 */
int store_action_finish(store_t *st, const rw_actor_t *agent, int64_t id, bool ok,
                        const char *result, const char *previous, bool *accepted);

/* Clusters with runnable actions (queued or lease expired); at most cap names. */
int store_action_runnable_clusters(store_t *st, char (*out)[RW_NAME_MAX + 1], size_t cap,
                                   size_t *n);

/* LISTEN on a channel; then store_notify_wait() waits for notifications. */
int store_listen(store_t *st, const char *channel);
/*
 * Waits up to timeout_ms for a notification; *got is 1 with its payload
 * copied into payload (truncated to cap), or 0 on timeout.
 */
int store_notify_wait(store_t *st, int timeout_ms, char *payload, size_t cap, int *got);

/* --- coordination (store_coord.c; docs/coordination.md) -------------------- */

/* An environment with the coordinator's settings. */
struct store_env_cfg {
	rw_env_t env;
	int observe_s, verify_s, action_timeout_s, smoke_timeout_s;
	char smoke_command[RW_SETTING_VALUE_MAX + 1];
	bool auto_rollback;
	char webhook_url[RW_URL_MAX + 1];
	char webhook_format[16];
	char promote_from[RW_NAME_MAX + 1];
};
int store_env_cfg_get(store_t *st, const char *env, struct store_env_cfg *out);
int store_env_cfg_by_id(store_t *st, int64_t env_id, struct store_env_cfg *out);

/*
 * Applies settings of an environment or a service (checked names; values
 * parsed here: RW_EINVAL with a reason in msg) with one audit row.  get
 * fills s->items with every setting of the scope.
 */
int store_settings_set(store_t *st, const rw_actor_t *who, const rw_settings_t *s, char *msg,
                       size_t msgsz);
int store_settings_get(store_t *st, rw_settings_t *s);

/* A service with its deploy order. */
int store_service_order(store_t *st, const char *name, int *order);

/* One service of a planned operation. */
struct store_plan_step {
	rw_service_t service;
	rw_release_t release;
	char image[RW_IMAGE_MAX + 1];           /* what will be sent */
	char previous_image[RW_IMAGE_MAX + 1];  /* what runs now, as far as Rewind knows */
};
struct store_plan {
	enum rw_op_kind kind;
	const char *dep_kind;                   /* deploy | promote | rollback | hotfix */
	int64_t env_id;
	int64_t incident_id;                    /* 0: none */
	const char *reason, *override_gate, *warnings;
	const char *spec_json;                  /* NULL: {} */
	size_t nsteps;
	struct store_plan_step steps[RW_OP_STEPS_MAX];
};
/*
 * Queues an operation with one deployments row per step, its audit row, and
 * a notification.  RW_EBUSY when a service of the plan already has a change
 * in flight in that environment (any rewindd): *busy_op names that operation.
 */
int store_op_create(store_t *st, const rw_actor_t *who, const struct store_plan *p,
                    int64_t *op_id, int64_t *busy_op);
int store_op_get(store_t *st, int64_t id, rw_operation_t *out);
/* The operation with a change of the service in flight in env (*op 0: none). */
int store_in_flight(store_t *st, int64_t env_id, int64_t service_id, int64_t *op);
/* Newest first; env NULL/empty for all; incident_id 0 for any. */
int store_op_list(store_t *st, const char *env, int64_t incident_id, uint32_t limit,
                  rw_operation_t **out, size_t *n);
/* A runner's hold on an operation (store_op_claim). */
struct store_claim {
	int64_t id;
	int32_t token;                 /* fencing token: changes when anyone claims it again */
	bool resumed;                  /* taken over from a runner that stopped */
	char previous_owner[128];
};
/*
 * Takes an orphaned running operation (its runner's database session is
 * gone, or it stopped heartbeating for stale_s) to resume it, else the
 * oldest queued one.  An operation orphaned five times is failed instead.
 */
int store_op_claim(store_t *st, const char *owner, int stale_s, struct store_claim *c,
                   bool *found);
/* RW_ECONFLICT: another runner took the operation over (stop working on it). */
int store_op_heartbeat(store_t *st, int64_t id, int32_t token, const char *phase);
/* Gives the operation up for another runner to resume at once (rewindd stopping). */
int store_op_release(store_t *st, int64_t id, int32_t token);
/*
 * The set-image action of step dep_id (or, dep_id 0, the operation's
 * patch-configmap action), created from *a the first time and linked in the
 * same transaction; later calls load the existing one (*existing true), so
 * an operation resumed by another runner never acts twice.  RW_ECONFLICT
 * when the token is no longer the operation's.
 */
int store_op_action(store_t *st, int64_t op_id, int32_t token, int64_t dep_id,
                    const rw_actor_t *who, rw_action_t *a, bool *existing);
/* Records the outcome once: RW_ECONFLICT when the token is no longer the operation's. */
int store_op_finish(store_t *st, int64_t id, int32_t token, bool ok, const char *result,
                    int smoke_rc, const char *smoke_output);
/*
 * Groups the calls between them into one transaction (the calls' own
 * transactions become savepoints).  store_tx_end commits, or rolls back and
 * returns RW_EDB when a statement inside failed; store_tx_abort rolls back.
 */
int store_tx_begin(store_t *st);
int store_tx_end(store_t *st);
void store_tx_abort(store_t *st);
int store_op_previous(store_t *st, int64_t id, const char *previous_json);
/* The newest succeeded config-set of env not yet reverted (0: none). */
int store_op_last_config(store_t *st, int64_t env_id, int64_t *op_id);

/* Progress of one deployments row (state, outcome NULL = unchanged). */
struct store_step_update {
	const char *state;
	const char *outcome;
	int64_t action_id;                      /* 0: unchanged */
	int32_t updated, available, replicas;   /* -1: unchanged */
	const char *health;
	const char *message;
	const char *previous_image;
};
int store_step_update(store_t *st, int64_t op_id, int64_t dep_id, const struct store_step_update *u);
/* Verified: outcome succeeded; observing until observe_s from now (0: known-good at once). */
int store_step_verified(store_t *st, int64_t op_id, int64_t dep_id, int observe_s);
/* The deployment that dep_id replaces ends as rolled-back (a rollback's steps). */
int store_deploy_superseded(store_t *st, int64_t env_id, int64_t service_id, int64_t dep_id,
                            bool rolled_back);

/* A deployment being observed, with what checking it needs. */
struct store_observed {
	int64_t id, op_id, env_id, service_id, release_id, incident_id;
	char env[RW_NAME_MAX + 1];
	char cluster[RW_NAME_MAX + 1];
	rw_service_t service;
	char image[RW_IMAGE_MAX + 1];
	char digest[RW_DIGEST_MAX + 1];
	char version[RW_VERSION_MAX + 1];
	int64_t verified_at, observe_until;
	char dep_kind[16];
	bool op_running;                        /* its operation has not finished */
};
int store_observing_list(store_t *st, struct store_observed **out, size_t *n);
/* Ends an observation: known-good, or failed with a reason (audited as actor rewindd). */
int store_observe_end(store_t *st, int64_t dep_id, bool good, const char *why);

/* The latest deployment of a service in an environment (RW_ENOTFOUND: never deployed). */
struct store_current {
	int64_t deployment_id, op_id;
	rw_release_t release;
	char image[RW_IMAGE_MAX + 1];
	char state[16], outcome[16];
	bool known_good;
	int64_t started_at, finished_at;
};
int store_current(store_t *st, int64_t env_id, int64_t service_id, struct store_current *out);
/* Newest known-good release of the service in env other than exclude (RW_ENOTFOUND: none). */
int store_known_good(store_t *st, int64_t env_id, int64_t service_id, int64_t exclude_release,
                     rw_release_t *out);
int store_release_is_known_good(store_t *st, int64_t env_id, int64_t release_id, bool *good);
/* Services deployed (ever) in the environment, in deploy order. */
int store_env_services(store_t *st, int64_t env_id, rw_service_t **out, size_t *n);

/* Health as the agents last reported it. */
int store_pods_of(store_t *st, const char *cluster, const char *ns, const char *deployment,
                  rw_pod_state_t **out, size_t *n);
int store_deploy_state(store_t *st, const char *cluster, const char *ns, const char *name,
                       rw_deploy_state_t *out);
/* Latest probe result of subject at or after since_us; *found false when none. */
int store_probe_latest(store_t *st, const char *cluster, const char *subject, int64_t since_us,
                       rw_probe_result_t *out, bool *found);
/* Earliest failing probe of the cluster since since_us (0 if none). */
int store_probe_failing_since(store_t *st, const char *cluster, int64_t since_us, int64_t *first);
int store_agents_live(store_t *st, const char *cluster, int64_t since_us, int *n);
int store_action_cancel(store_t *st, int64_t id, const char *why);

/* Incidents. */
int store_incident_open(store_t *st, const rw_actor_t *who, rw_incident_t *inc);
/* The environment's open incident (RW_ENOTFOUND: none). */
int store_incident_open_id(store_t *st, int64_t env_id, int64_t *id);
/* With its timeline (malloc'd, the caller frees inc->timeline). */
int store_incident_get(store_t *st, int64_t id, rw_incident_t *out);
int store_incident_list(store_t *st, const char *env, uint32_t limit, rw_incident_t **out,
                        size_t *n);
int store_incident_close(store_t *st, const rw_actor_t *who, int64_t id, const char *summary,
                         const char *root_cause);
int store_incident_event(store_t *st, int64_t id, const char *kind, const char *actor,
                         const char *text);
int store_incident_decision(store_t *st, const rw_actor_t *who, int64_t id,
                            const rw_decision_t *d);
/* detected (sets detected_at once) or recovered (recovered_at, status mitigated). */
int store_incident_mark(store_t *st, int64_t id, bool recovered);

/* Webhook notifications. */
struct store_notification {
	int64_t id;
	char url[RW_URL_MAX + 1];
	char format[16];
	char event[RW_NAME_MAX + 1];
	char *payload;                          /* malloc'd JSON */
	int attempts;
};
int store_notify_enqueue(store_t *st, int64_t incident_id, const char *url, const char *format,
                         const char *event, const char *payload_json);
int store_notify_claim(store_t *st, struct store_notification *out, bool *found);
int store_notify_done(store_t *st, int64_t id, bool ok, const char *error, int retry_in_s,
                      bool give_up);

/* The channel the coordinator listens on for new operations. */
#define STORE_OP_CHANNEL "rewind_ops"
/* --- audit queries and the ledger (store_audit.c) -------------------------- */

/*
 * Answers an audit query (not verify/sign) from the read-only views of
 * docs/audit.md into out (owned by the caller: rw_table_free()).
 * RW_ENOTFOUND for an unknown environment or release.
 */
int store_auditq(store_t *st, const rw_auditq_t *q, rw_table_t *out);

/* Ledger rows after (after_seq, after_id) in chain order; *out malloc'd, owned by the caller. */
int store_ledger_batch(store_t *st, int64_t after_seq, int64_t after_id, uint32_t limit,
                       rw_ledger_row_t **out, size_t *n);
/* Every signed head, by position; *out malloc'd, owned by the caller. */
int store_ledger_heads(store_t *st, rw_ledger_head_t **out, size_t *n);
/* The chain's last row (seq 0 when empty), and whether a head already signs it. */
int store_ledger_tip(store_t *st, int64_t *seq, char hash[LEDGER_HASH_HEX + 1], bool *signed_);
/* Appends a signed head; sets h->id. */
int store_ledger_head_add(store_t *st, rw_ledger_head_t *h);

#endif
