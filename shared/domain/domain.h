/*
 * domain — Rewind's domain objects as plain C structs, and the rules that
 * make a value valid (names, image references, bounded texts).
 *
 * Everything crossing a boundary is checked here once: the wire module fills
 * these structs from protobuf and calls the *_check functions; the store only
 * ever sees checked structs.  Fixed-size buffers keep ownership trivial: a
 * struct owns its text, and copying it is a plain assignment.  This module
 * knows nothing of protobuf, SQL or sockets.
 */
#ifndef REWIND_DOMAIN_H
#define REWIND_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Size bounds (bytes, excluding the NUL).  Chosen to match Kubernetes where it has one. */
#define RW_NAME_MAX 63       /* DNS-1123 label, like a Kubernetes object name */
#define RW_ACTOR_MAX 128     /* certificate common name */
#define RW_IMAGE_MAX 512     /* repository[:tag][@digest] */
#define RW_DIGEST_MAX 71     /* "sha256:" + 64 hex */
#define RW_VERSION_MAX 128   /* release tag, e.g. nextjs-standalone-202611260530 */
#define RW_COMMIT_MAX 64     /* git commit id (sha1 or sha256 hex) */
#define RW_PATH_MAX 256      /* health endpoint path */
#define RW_URL_MAX 1024      /* public health URL */
#define RW_JSON_MAX 2048     /* expected JSON fields of a health endpoint */
#define RW_TEXT_MAX 2048     /* notes, reasons */
#define RW_LIST_MAX 1000     /* most rows one list request returns */
#define RW_SHA256_HEX 64     /* a SHA-256 in lower-case hex */
#define RW_LOCATION_MAX 1024 /* where an artifact or backup is stored */
#define RW_FILENAME_MAX 200  /* an artifact's human file name */
#define RW_OUTCOME_MAX 15    /* verification outcome word */
#define RW_SANITY_MAX 8      /* sanity queries per environment database */
#define RW_SQL_MAX 1024      /* one sanity query */
#define RW_ARTIFACT_MAX (16 * 1024 * 1024) /* largest archive sent to rewindd */
/* The session identity proof: pki signs and checks it, wire carries it. */
#define RW_NONCE_LEN 32
#define RW_CERT_PEM_MAX 8192 /* largest PEM certificate (chain) accepted from a peer */
#define RW_SIG_MAX 160       /* an ECDSA P-256 DER signature is at most 72 bytes */

enum rw_role {
	RW_ROLE_NONE = 0,
	RW_ROLE_VIEWER = 1,
	RW_ROLE_OPERATOR = 2,
	RW_ROLE_ADMIN = 3,
	RW_ROLE_AGENT = 4,
};

/* Who did something: the identity bound to a session (or "rewindd" itself). */
typedef struct rw_actor {
	char name[RW_ACTOR_MAX + 1];
	enum rw_role role;
} rw_actor_t;

/* An environment (production, staging, ...) lives on one cluster. */
typedef struct rw_env {
	int64_t id;
	char name[RW_NAME_MAX + 1];
	char cluster[RW_NAME_MAX + 1];
	char health_url[RW_URL_MAX + 1];        /* public URL, may be empty */
	char health_expect[RW_JSON_MAX + 1];    /* JSON object of expected fields, may be empty */
	int64_t created_at;                     /* unix microseconds */
} rw_env_t;

/* A service: one container of one Deployment, deployed to environments. */
typedef struct rw_service {
	int64_t id;
	char name[RW_NAME_MAX + 1];
	char namespace_[RW_NAME_MAX + 1];
	char deployment[RW_NAME_MAX + 1];
	char container[RW_NAME_MAX + 1];
	char image_repo[RW_IMAGE_MAX + 1];      /* e.g. ghcr.io/crisisk/mr-dj-frontend */
	char health_path[RW_PATH_MAX + 1];      /* probed per pod, e.g. /api/health; may be empty */
	char health_expect[RW_JSON_MAX + 1];    /* JSON object of expected fields; may be empty */
	int64_t created_at;
} rw_service_t;

/* A release: one version of one service's image, captured before deploying. */
typedef struct rw_release {
	int64_t id;
	char service[RW_NAME_MAX + 1];
	char version[RW_VERSION_MAX + 1];       /* the tag */
	char image_ref[RW_IMAGE_MAX + 1];       /* repo:tag */
	char digest[RW_DIGEST_MAX + 1];         /* sha256:..., empty when not pinned */
	char source_commit[RW_COMMIT_MAX + 1];  /* may be empty */
	char notes[RW_TEXT_MAX + 1];            /* may be empty */
	char created_by[RW_ACTOR_MAX + 1];
	int64_t created_at;
	char migrations_compat[4];              /* "yes", "no" or "" (not stated) */
} rw_release_t;

/* A file kept for a release in rewindd's artifact store (docs/artifacts.md). */
typedef struct rw_artifact {
	int64_t id;
	int64_t release_id;
	char kind[RW_NAME_MAX + 1];             /* config-archive | migration */
	char name[RW_FILENAME_MAX + 1];         /* human file name, also under by-name/ */
	char location[RW_LOCATION_MAX + 1];     /* sha256/<hex>, relative to the store */
	char sha256[RW_SHA256_HEX + 1];
	int64_t size;
	char outcome[RW_OUTCOME_MAX + 1];       /* last check: none | ok | mismatch | missing */
	bool verified;
	int64_t verified_at;
	char verified_by[RW_ACTOR_MAX + 1];
	int64_t created_at;
	char created_by[RW_ACTOR_MAX + 1];
} rw_artifact_t;

/*
 * The application database of an environment, for backups.  db_url is a
 * libpq URI or conninfo and may hold a password: it goes from the console to
 * rewindd and into the database, never back out or into logs.
 */
typedef struct rw_env_db {
	char env[RW_NAME_MAX + 1];
	char db_url[RW_URL_MAX + 1];
	char sanity[RW_SANITY_MAX][RW_SQL_MAX + 1];
	size_t n_sanity;
	int64_t updated_at;
} rw_env_db_t;

/* A database backup of an environment and its last verification. */
typedef struct rw_backup {
	int64_t id;
	char env[RW_NAME_MAX + 1];
	char kind[RW_NAME_MAX + 1];             /* pg_dump, or what the recorder says */
	char location[RW_LOCATION_MAX + 1];
	char sha256[RW_SHA256_HEX + 1];         /* may be empty for a recorded backup */
	int64_t size;
	int64_t taken_at;
	char taken_by[RW_ACTOR_MAX + 1];
	char outcome[RW_OUTCOME_MAX + 1];       /* none | ok | failed */
	bool verified;
	int64_t verified_at;
	char verified_by[RW_ACTOR_MAX + 1];
	char result[RW_TEXT_MAX + 1];
} rw_backup_t;

enum rw_outcome {
	RW_OUTCOME_PENDING = 0,
	RW_OUTCOME_SUCCEEDED = 1,
	RW_OUTCOME_FAILED = 2,
	RW_OUTCOME_ROLLED_BACK = 3,
};

/* One line of a service's history: a release, and where/when it was deployed. */
typedef struct rw_history_row {
	rw_release_t release;
	char env[RW_NAME_MAX + 1];              /* empty: recorded, never deployed */
	int64_t deployment_id;                  /* 0 when never deployed */
	int64_t started_at;
	int64_t finished_at;                    /* 0 while running */
	enum rw_outcome outcome;
	bool known_good;
} rw_history_row_t;

/* One entry of the append-only audit log. */
typedef struct rw_audit {
	int64_t id;
	int64_t at;
	char actor[RW_ACTOR_MAX + 1];
	enum rw_role role;
	char action[RW_NAME_MAX + 1];           /* e.g. "release.record" */
	char target[RW_IMAGE_MAX + 1];          /* e.g. "release/mr-dj-frontend/v1" */
	char detail[RW_TEXT_MAX + 1];           /* JSON object */
	char reason[RW_TEXT_MAX + 1];
} rw_audit_t;

typedef struct rw_audit_filter {
	char actor[RW_ACTOR_MAX + 1];           /* empty: any */
	char action_prefix[RW_NAME_MAX + 1];    /* empty: any */
	int64_t since;                          /* 0: no bound */
	int64_t until;                          /* 0: no bound */
	uint32_t limit;                         /* 0: RW_LIST_MAX */
} rw_audit_filter_t;

const char *rw_role_name(enum rw_role role);
/* Returns RW_ROLE_NONE for an unknown name. */
enum rw_role rw_role_parse(const char *name);
const char *rw_outcome_name(enum rw_outcome o);

/*
 * Permission matrix.  Reads need viewer or better; record/deploy/rollback
 * need operator; service/environment/PKI management needs admin.  Agents
 * may only use the agent messages (checked by the agent handlers themselves).
 */
enum rw_perm { RW_PERM_READ, RW_PERM_WRITE, RW_PERM_ADMIN, RW_PERM_AGENT };
bool rw_role_allows(enum rw_role role, enum rw_perm perm);

/*
 * Validators: return 0 or RW_EINVAL / RW_ETOOBIG, and on failure write a
 * human reason naming the field into msg (may be NULL).
 */
/* Writes "FIELD: WHY" into msg (rw_fail) and returns err: every validator's refusal. */
int rw_check_fail(int err, char *msg, size_t msgsz, const char *field, const char *why);
int rw_check_name(const char *field, const char *v, char *msg, size_t msgsz);
int rw_check_text(const char *field, const char *v, size_t max, char *msg, size_t msgsz);
int rw_check_image_repo(const char *field, const char *v, char *msg, size_t msgsz);
int rw_check_image_ref(const char *field, const char *v, char *msg, size_t msgsz);
int rw_check_digest(const char *field, const char *v, char *msg, size_t msgsz);
int rw_check_tag(const char *field, const char *v, char *msg, size_t msgsz);
int rw_check_json_object(const char *field, const char *v, size_t max, char *msg, size_t msgsz);

int rw_service_check(const rw_service_t *s, char *msg, size_t msgsz);
int rw_env_check(const rw_env_t *e, char *msg, size_t msgsz);
/* Checks a release as submitted (service, version, image_ref, digest, commit, notes). */
int rw_release_check(const rw_release_t *r, char *msg, size_t msgsz);

/*
 * The reference every deploy and rollback sends: REPO@sha256:... built from
 * a pinned release (image_ref without its tag, plus the digest).  RW_EINVAL
 * for an unpinned release (empty digest), RW_ETOOBIG if out is too small.
 */
int rw_release_pinned_ref(const rw_release_t *r, char *out, size_t outsz);

int rw_check_sha256_hex(const char *field, const char *v, char *msg, size_t msgsz);
/* An artifact file name: [A-Za-z0-9._-], 1..RW_FILENAME_MAX, not starting with '.'. */
int rw_check_filename(const char *field, const char *v, char *msg, size_t msgsz);
/* Artifact as submitted with an upload: release id, kind, name, sha256. */
int rw_artifact_check(const rw_artifact_t *a, char *msg, size_t msgsz);
int rw_env_db_check(const rw_env_db_t *d, char *msg, size_t msgsz);
/* Backup as registered by "backup record": env, kind, location, optional sha256, size. */
int rw_backup_check(const rw_backup_t *b, char *msg, size_t msgsz);

/*
 * Copies src into a fixed buffer of capacity cap (including NUL).  Returns
 * RW_ETOOBIG instead of truncating, so over-long input is refused, not cut.
 */
int rw_strcpy(char *dst, size_t cap, const char *src);
#define RW_STRCPY(dst, src) rw_strcpy((dst), sizeof(dst), (src))

/* --- agents: pods, deployments, health probes, actions ------------------- */

#define RW_POD_NAME_MAX 253      /* Kubernetes object names (DNS-1123 subdomain) */
#define RW_MAX_CONTAINERS 4      /* containers reported per pod / deployment */
#define RW_REASON_MAX 63
#define RW_KV_MAX 16             /* ConfigMap keys one action may set */
#define RW_KV_KEY_MAX 253
#define RW_KV_VALUE_MAX 1024
#define RW_PROBE_MAX 64          /* probe targets one agent is assigned */

typedef struct rw_container_state {
	char name[RW_NAME_MAX + 1];
	char image[RW_IMAGE_MAX + 1];           /* as in the pod spec/status */
	char image_digest[RW_DIGEST_MAX + 1];   /* sha256:... from status.imageID, '' if unknown */
	bool ready;
	int32_t restarts;
	char waiting_reason[RW_REASON_MAX + 1]; /* e.g. CrashLoopBackOff; '' when running */
} rw_container_state_t;

/* One pod as an agent sees it on its node. */
typedef struct rw_pod_state {
	char cluster[RW_NAME_MAX + 1];
	char node[RW_POD_NAME_MAX + 1];
	char namespace_[RW_NAME_MAX + 1];
	char name[RW_POD_NAME_MAX + 1];
	char deployment[RW_POD_NAME_MAX + 1];   /* owning Deployment, '' if none */
	char phase[RW_REASON_MAX + 1];          /* Pending, Running, ... */
	bool ready;
	bool deleted;                           /* a change saying the pod is gone */
	uint32_t ncontainers;
	rw_container_state_t containers[RW_MAX_CONTAINERS];
	int64_t observed_at;                    /* unix us, when the agent saw this state */
} rw_pod_state_t;

/* A Deployment's spec and rollout status, as the API server reports it. */
typedef struct rw_deploy_state {
	char cluster[RW_NAME_MAX + 1];
	char namespace_[RW_NAME_MAX + 1];
	char name[RW_POD_NAME_MAX + 1];
	uint32_t ncontainers;
	struct {
		char name[RW_NAME_MAX + 1];
		char image[RW_IMAGE_MAX + 1];   /* desired image (spec.template) */
	} containers[RW_MAX_CONTAINERS];
	int64_t generation;
	int64_t observed_generation;
	int32_t replicas;                       /* spec.replicas */
	int32_t updated;
	int32_t ready;
	int32_t available;
	char progressing_reason[RW_REASON_MAX + 1];
	int64_t observed_at;
} rw_deploy_state_t;

/*
 * A health probe assigned by the server.  Pod probes name a deployment: the
 * agent probes each of that deployment's pods on its node (path on the
 * pod); URL probes name a public URL (one agent per cluster gets those).
 */
typedef struct rw_probe_target {
	uint32_t id;
	char namespace_[RW_NAME_MAX + 1];       /* pod probes */
	char deployment[RW_POD_NAME_MAX + 1];   /* pod probes; '' for a URL probe */
	char path[RW_PATH_MAX + 1];             /* pod probes */
	char url[RW_URL_MAX + 1];               /* URL probes */
	char expect[RW_JSON_MAX + 1];           /* JSON object the body must contain; '' = any */
	int32_t expect_status;                  /* 0 means 200 */
	int32_t timeout_ms;
} rw_probe_target_t;

typedef struct rw_probe_result {
	uint32_t target_id;
	char subject[RW_POD_NAME_MAX + 1];      /* pod name, or the URL */
	char url[RW_URL_MAX + 1];               /* what was actually requested */
	bool ok;
	int32_t http_status;                    /* 0 when no HTTP answer */
	int32_t latency_ms;
	char error[256];                        /* why it failed, "" when ok */
	int64_t at;
} rw_probe_result_t;

enum rw_action_kind {
	RW_ACTION_NONE = 0,
	RW_ACTION_SET_IMAGE = 1,        /* kubectl set image + rollout status */
	RW_ACTION_PATCH_CONFIGMAP = 2,  /* set keys, return the previous values */
};

enum rw_action_state {
	RW_ACTION_QUEUED = 0,
	RW_ACTION_LEASED = 1,
	RW_ACTION_SUCCEEDED = 2,
	RW_ACTION_FAILED = 3,
	RW_ACTION_CANCELLED = 4,
};

typedef struct rw_kv {
	char key[RW_KV_KEY_MAX + 1];
	char value[RW_KV_VALUE_MAX + 1];
} rw_kv_t;

/* Work for the agents of one cluster. */
typedef struct rw_action {
	int64_t id;
	enum rw_action_kind kind;
	enum rw_action_state state;
	char cluster[RW_NAME_MAX + 1];
	char namespace_[RW_NAME_MAX + 1];
	char name[RW_POD_NAME_MAX + 1];         /* Deployment or ConfigMap */
	char container[RW_NAME_MAX + 1];        /* set-image */
	char image[RW_IMAGE_MAX + 1];           /* set-image: repo:tag or repo@sha256:... */
	uint32_t nkv;
	rw_kv_t kv[RW_KV_MAX];                  /* patch-configmap */
	int64_t deadline;                       /* unix us: give up (fail) after this */
	char owner[RW_ACTOR_MAX + 1];           /* agent holding the lease */
	int32_t attempts;
	char result[RW_TEXT_MAX + 1];           /* human outcome / last progress */
	char previous[RW_TEXT_MAX + 1];         /* JSON: previous image or ConfigMap values */
	char created_by[RW_ACTOR_MAX + 1];
	int64_t created_at;
	int64_t finished_at;
} rw_action_t;

/* An agent as the server knows it. */
typedef struct rw_agent_info {
	char name[RW_ACTOR_MAX + 1];            /* CLUSTER/NODE, from its certificate */
	char cluster[RW_NAME_MAX + 1];
	char node[RW_POD_NAME_MAX + 1];
	int64_t last_seen;
	bool connected;
} rw_agent_info_t;

/* Splits an agent identity "CLUSTER/NODE"; RW_EINVAL when it is not one. */
int rw_agent_name_split(const char *name, char *cluster, size_t ccap, char *node, size_t ncap);

const char *rw_action_kind_name(enum rw_action_kind k);
enum rw_action_kind rw_action_kind_parse(const char *s);
const char *rw_action_state_name(enum rw_action_state s);
enum rw_action_state rw_action_state_parse(const char *s);
int rw_action_check(const rw_action_t *a, char *msg, size_t msgsz);
/* Kubernetes object names: DNS-1123 subdomain (lower-case, digits, '-', '.'), at most 253. */
int rw_check_k8s_name(const char *field, const char *v, char *msg, size_t msgsz);

/* Current time in unix microseconds. */
int64_t rw_now_us(void);

/* The time ms from now on clock (an absolute deadline for pthread_cond_timedwait). */
struct timespec rw_deadline(clockid_t clock, long ms);

#endif
