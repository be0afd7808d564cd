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

/* Current time in unix microseconds. */
int64_t rw_now_us(void);

#endif
