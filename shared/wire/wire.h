/*
 * wire — the boundary between bytes on the network and domain structs.
 *
 * wire_decode() unpacks one protobuf Envelope (bounded size), checks its
 * version and every field against the domain rules, and produces a
 * wire_msg_t made only of domain types.  wire_encode() does the reverse.
 * Protobuf-c structs never leave shared/wire/.  Which kind belongs to which
 * message family is said once, by the table in wire.c (wire_family.h).
 * This module does no I/O and knows nothing of sessions or permissions.
 */
#ifndef REWIND_WIRE_H
#define REWIND_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auditq.h"
#include "domain.h"
#include "domain_coord.h"

#define WIRE_VERSION 1
#define WIRE_REQUEST_MAX (64 * 1024)       /* largest ordinary request a server accepts */
#define WIRE_REPORT_MAX (1024 * 1024)      /* largest agent report (a node's pods) */
#define WIRE_ITEMS_MAX 2000                /* most items of one kind in a request */
#define WIRE_RESPONSE_MAX (32 * 1024 * 1024) /* largest reply a client accepts */
/*
 * The requests allowed past WIRE_REQUEST_MAX: AGENT_REPORT (up to
 * WIRE_REPORT_MAX) and ARTIFACT_ADD, which carries an archive of up to
 * RW_ARTIFACT_MAX bytes.  The server's socket accepts
 * WIRE_UPLOAD_MAX and wire_decode() refuses any other kind above
 * WIRE_REQUEST_MAX (docs/protocol.md, "Limits").
 */
#define WIRE_UPLOAD_MAX (RW_ARTIFACT_MAX + 64 * 1024)
#define WIRE_ERRMSG_MAX 512

enum wire_kind {
	WIRE_NONE = 0,
	WIRE_HELLO,
	WIRE_CHALLENGE,
	WIRE_AUTH,
	WIRE_AUTH_OK,
	WIRE_ERROR,
	WIRE_ENV_ADD,
	WIRE_ENV,
	WIRE_ENV_LIST,
	WIRE_ENV_LIST_OK,
	WIRE_SERVICE_ADD,
	WIRE_SERVICE,
	WIRE_SERVICE_GET,
	WIRE_SERVICE_LIST,
	WIRE_SERVICE_LIST_OK,
	WIRE_RELEASE_RECORD,
	WIRE_RELEASE,
	WIRE_RELEASE_GET,
	WIRE_RELEASE_LIST,
	WIRE_RELEASE_LIST_OK,
	WIRE_HISTORY,
	WIRE_HISTORY_OK,
	WIRE_AUDIT_LOG,
	WIRE_AUDIT_LOG_OK,
	WIRE_AGENT_REPORT,
	WIRE_AGENT_REPORT_OK,
	WIRE_ACTION_WAIT,
	WIRE_ACTION_ASSIGN,
	WIRE_ACTION_PROGRESS,
	WIRE_ACTION_PROGRESS_OK,
	WIRE_ACTION_RESULT,
	WIRE_ACTION_RESULT_OK,
	WIRE_ACTION_CREATE,
	WIRE_ACTION,
	WIRE_ACTION_GET,
	WIRE_ACTION_LIST,
	WIRE_ACTION_LIST_OK,
	WIRE_STATUS_GET,
	WIRE_STATUS_OK,
	WIRE_ARTIFACT_ADD,
	WIRE_ARTIFACT,
	WIRE_ARTIFACT_LIST,
	WIRE_ARTIFACT_LIST_OK,
	WIRE_ARTIFACT_VERIFY,
	WIRE_ARTIFACT_VERIFY_OK,
	WIRE_ENV_DB_SET,
	WIRE_ENV_DB,
	WIRE_BACKUP_RUN,
	WIRE_BACKUP,
	WIRE_BACKUP_RECORD,
	WIRE_BACKUP_VERIFY,
	WIRE_BACKUP_LIST,
	WIRE_BACKUP_LIST_OK,
	WIRE_SETTINGS_SET,
	WIRE_SETTINGS,
	WIRE_SETTINGS_GET,
	WIRE_OP_START,
	WIRE_OPERATION,
	WIRE_OP_GET,
	WIRE_OP_LIST,
	WIRE_OP_LIST_OK,
	WIRE_INCIDENT_OPEN,
	WIRE_INCIDENT,
	WIRE_INCIDENT_GET,
	WIRE_INCIDENT_LIST,
	WIRE_INCIDENT_LIST_OK,
	WIRE_INCIDENT_CLOSE,
	WIRE_DECIDE,
	WIRE_DECISION,
	WIRE_INCIDENT_REPORT,
	WIRE_REPORT,
	WIRE_AUDIT_QUERY,
	WIRE_AUDIT_TABLE,
	WIRE_KIND_COUNT
};

/* Query parameters shared by the list-style requests. */
struct wire_query {
	int64_t id;
	char service[RW_NAME_MAX + 1];
	char env[RW_NAME_MAX + 1];
	char version[RW_VERSION_MAX + 1];
	uint32_t limit;
};

/* Node and cluster state: what an agent reports, and what status returns. All arrays owned. */
struct wire_state {
	char cluster[RW_NAME_MAX + 1];
	char node[RW_POD_NAME_MAX + 1];
	uint64_t epoch;
	uint64_t seq;
	bool full;
	rw_pod_state_t *pods;
	size_t npods;
	rw_deploy_state_t *deploys;
	size_t ndeploys;
	rw_probe_result_t *probes;
	size_t nprobes;
	rw_agent_info_t *agents;       /* STATUS_OK */
	size_t nagents;
	rw_env_t *envs;                /* STATUS_OK */
	size_t nenvs;
};

/*
 * One decoded message.  Heap-allocated by wire_msg_new()/wire_decode() and
 * freed with wire_msg_free(), which also frees the list and certificate
 * buffers it owns.
 */
typedef struct wire_msg {
	enum wire_kind kind;
	uint32_t version;
	uint64_t request_id;
	union {
		struct {
			char client[RW_NAME_MAX * 2 + 1];
		} hello;
		struct {
			uint8_t nonce[RW_NONCE_LEN];
			char server[RW_NAME_MAX * 2 + 1];
		} challenge;
		struct {
			char *cert_pem; /* owned, NUL-terminated */
			size_t cert_len;
			uint8_t sig[RW_SIG_MAX];
			size_t sig_len;
		} auth;
		rw_actor_t auth_ok;
		struct {
			int code;
			char message[WIRE_ERRMSG_MAX + 1];
		} error;
		rw_env_t env;                  /* ENV_ADD, ENV */
		rw_service_t service;          /* SERVICE_ADD, SERVICE */
		rw_release_t release;          /* RELEASE_RECORD, RELEASE */
		struct wire_query query;       /* SERVICE_GET (service), RELEASE_GET, RELEASE_LIST, HISTORY */
		rw_audit_filter_t audit;       /* AUDIT_LOG */
		rw_artifact_t artifact;        /* ARTIFACT */
		struct {
			rw_artifact_t meta;    /* release_id, kind, name, sha256 (sender's) */
			uint8_t *data;         /* owned */
			size_t len;
		} upload;                      /* ARTIFACT_ADD */
		rw_env_db_t env_db;            /* ENV_DB_SET, ENV_DB (db_url redacted) */
		rw_backup_t backup;            /* BACKUP, BACKUP_RECORD */
		/* ARTIFACT_LIST (id = release), BACKUP_RUN (env), BACKUP_VERIFY (id),
		   BACKUP_LIST (env, limit) use query. */
		struct {
			void *items;           /* rw_env_t[], rw_service_t[], rw_release_t[],
			                          rw_history_row_t[], rw_audit_t[], rw_action_t[],
			                          rw_probe_target_t[], rw_artifact_t[] or
			                          rw_backup_t[] by kind; owned */
			size_t n;
			/* AGENT_REPORT_OK only */
			bool resync;
			uint32_t interval_ms;
		} list;
		struct wire_state state;       /* AGENT_REPORT, STATUS_OK */
		struct {
			uint32_t wait_ms;
			int64_t id;            /* ACTION_GET */
		} wait;                        /* ACTION_WAIT, ACTION_GET */
		struct {
			bool has;
			rw_action_t action;
		} assign;                      /* ACTION_ASSIGN */
		rw_action_t action;            /* ACTION_CREATE, ACTION */
		struct {
			int64_t id;
			bool ok;               /* ACTION_RESULT */
			int32_t updated, available, replicas; /* ACTION_PROGRESS */
			char message[RW_TEXT_MAX + 1];
			char previous[RW_TEXT_MAX + 1];
		} progress;                    /* ACTION_PROGRESS, ACTION_RESULT */
		bool flag;                     /* ACTION_PROGRESS_OK (cancel), ACTION_RESULT_OK (accepted) */
		/* coordination */
		rw_settings_t settings;        /* SETTINGS_SET, SETTINGS, SETTINGS_GET (scope, name) */
		rw_op_request_t opreq;         /* OP_START */
		rw_operation_t op;             /* OPERATION */
		struct {
			int64_t id;
			uint32_t wait_ms;
			int64_t after_seq;
		} opget;                       /* OP_GET; INCIDENT_GET and INCIDENT_REPORT use id */
		rw_incident_t incident;        /* INCIDENT (timeline owned), INCIDENT_OPEN, INCIDENT_CLOSE */
		rw_decide_t decide;            /* DECIDE */
		rw_decision_t decision;        /* DECISION */
		char *text;                    /* REPORT: Markdown, owned */
		/* OP_LIST, INCIDENT_LIST use query (env, limit); OP_LIST_OK and
		   INCIDENT_LIST_OK use list (rw_operation_t[], rw_incident_t[] without timelines). */
		rw_auditq_t aquery;            /* AUDIT_QUERY */
		rw_table_t table;              /* AUDIT_TABLE; cells owned */
	} u;
} wire_msg_t;

/* Allocates a zeroed message of the given kind; free with wire_msg_free(). */
wire_msg_t *wire_msg_new(enum wire_kind kind, uint64_t request_id);
void wire_msg_free(wire_msg_t *m);

/* Takes ownership of items (malloc'd array of the kind's item type). */
void wire_msg_set_list(wire_msg_t *m, void *items, size_t n);

/* Builds an ERROR reply; returns NULL only when out of memory. */
wire_msg_t *wire_error_new(uint64_t request_id, int code, const char *message);

/*
 * Decodes and validates.  On success *out is owned by the caller.  On
 * failure returns RW_ETOOBIG, RW_EPROTO (not protobuf, no body, unknown
 * message type), RW_EVERSION or RW_EINVAL/RW_ETOOBIG for a bad field, with a
 * human reason in msg; *request_id receives the id when it could be read so
 * the error reply can echo it.
 */
int wire_decode(const void *buf, size_t len, size_t max, wire_msg_t **out, uint64_t *request_id,
                char *msg, size_t msgsz);

/*
 * The server's decoder: like wire_decode() with max WIRE_UPLOAD_MAX, but
 * only an ARTIFACT_ADD may be larger than WIRE_REQUEST_MAX (RW_ETOOBIG
 * otherwise).
 */
int wire_decode_request(const void *buf, size_t len, wire_msg_t **out, uint64_t *request_id,
                        char *msg, size_t msgsz);

/* Encodes into a malloc'd buffer owned by the caller (free()). */
int wire_encode(const wire_msg_t *m, uint8_t **buf, size_t *len);

const char *wire_kind_name(enum wire_kind kind);

#endif
