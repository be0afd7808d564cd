-- 0001_init — Rewind's first schema: what was released, where it was
-- deployed, what can be restored, and who did what.
--
-- Conventions
--   * Every time is timestamptz; the store converts to and from unix
--     microseconds with rw_to_us() / rw_from_us() below.
--   * Text columns hold the bounds of shared/domain.h, in BYTES
--     (octet_length), as CHECK constraints named <table>_<column>_len;
--     required text also has <table>_<column>_set (not empty).  The store
--     maps a violated *_len constraint to RW_ETOOBIG and any other CHECK to
--     RW_EINVAL.  Formats (DNS labels, image references) are checked by
--     domain.c at the boundary, not here, so the store keeps any text.
--   * Optional text is '' rather than NULL, as in the C structs.
--   * Rows that history refers to are never deleted: foreign keys RESTRICT.
--   * audit_log is append-only, enforced by triggers (see the end).
--
-- Applied by store_migrate() in one transaction together with its row in
-- schema_migrations.  Never edit this file once released: add 0002_*.sql.

-- unix microseconds <-> timestamptz, exact (numeric epoch, integer interval).
CREATE FUNCTION rw_to_us(ts timestamptz) RETURNS bigint
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$ SELECT (extract(epoch FROM ts) * 1000000)::bigint $$;

CREATE FUNCTION rw_from_us(us bigint) RETURNS timestamptz
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$ SELECT 'epoch'::timestamptz + us * interval '1 microsecond' $$;

-- '' or the text of a JSON object.  Kept as text so the operator's JSON reads
-- back byte for byte; invalid JSON fails the cast (SQLSTATE 22P02).
CREATE FUNCTION rw_is_json_object(v text) RETURNS boolean
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$ SELECT v = '' OR jsonb_typeof(v::jsonb) = 'object' $$;

-- An environment (production, staging, ...) on one k3s cluster.
CREATE TABLE environments (
	id            bigserial PRIMARY KEY,
	name          text NOT NULL UNIQUE,
	cluster       text NOT NULL,
	health_url    text NOT NULL DEFAULT '',   -- public URL probed after a change
	health_expect text NOT NULL DEFAULT '',   -- JSON object of expected fields
	created_at    timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT environments_name_len CHECK (octet_length(name) <= 63),
	CONSTRAINT environments_name_set CHECK (name <> ''),
	CONSTRAINT environments_cluster_len CHECK (octet_length(cluster) <= 63),
	CONSTRAINT environments_cluster_set CHECK (cluster <> ''),
	CONSTRAINT environments_health_url_len CHECK (octet_length(health_url) <= 1024),
	CONSTRAINT environments_health_expect_len CHECK (octet_length(health_expect) <= 2048),
	CONSTRAINT environments_health_expect_json CHECK (rw_is_json_object(health_expect))
);

-- A service: one container of one Deployment in one namespace.
CREATE TABLE services (
	id            bigserial PRIMARY KEY,
	name          text NOT NULL UNIQUE,
	namespace     text NOT NULL,
	deployment    text NOT NULL,
	container     text NOT NULL,
	image_repo    text NOT NULL,              -- e.g. ghcr.io/crisisk/mr-dj-frontend
	health_path   text NOT NULL DEFAULT '',   -- probed on each pod, e.g. /api/health
	health_expect text NOT NULL DEFAULT '',
	created_at    timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT services_name_len CHECK (octet_length(name) <= 63),
	CONSTRAINT services_name_set CHECK (name <> ''),
	CONSTRAINT services_namespace_len CHECK (octet_length(namespace) <= 63),
	CONSTRAINT services_namespace_set CHECK (namespace <> ''),
	CONSTRAINT services_deployment_len CHECK (octet_length(deployment) <= 63),
	CONSTRAINT services_deployment_set CHECK (deployment <> ''),
	CONSTRAINT services_container_len CHECK (octet_length(container) <= 63),
	CONSTRAINT services_container_set CHECK (container <> ''),
	CONSTRAINT services_image_repo_len CHECK (octet_length(image_repo) <= 512),
	CONSTRAINT services_image_repo_set CHECK (image_repo <> ''),
	CONSTRAINT services_health_path_len CHECK (octet_length(health_path) <= 256),
	CONSTRAINT services_health_expect_len CHECK (octet_length(health_expect) <= 2048),
	CONSTRAINT services_health_expect_json CHECK (rw_is_json_object(health_expect))
);

-- A release: one version (image tag) of a service, captured before deploying.
CREATE TABLE releases (
	id            bigserial PRIMARY KEY,
	service_id    bigint NOT NULL REFERENCES services (id) ON DELETE RESTRICT,
	version       text NOT NULL,              -- the tag
	image_ref     text NOT NULL,              -- repo:tag
	digest        text NOT NULL DEFAULT '',   -- sha256:<64 hex>, '' when not pinned
	source_commit text NOT NULL DEFAULT '',
	notes         text NOT NULL DEFAULT '',
	created_by    text NOT NULL,              -- actor (certificate CN)
	created_at    timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT releases_service_version_key UNIQUE (service_id, version),
	CONSTRAINT releases_version_len CHECK (octet_length(version) <= 128),
	CONSTRAINT releases_version_set CHECK (version <> ''),
	CONSTRAINT releases_image_ref_len CHECK (octet_length(image_ref) <= 512),
	CONSTRAINT releases_image_ref_set CHECK (image_ref <> ''),
	CONSTRAINT releases_digest_len CHECK (octet_length(digest) <= 71),
	CONSTRAINT releases_source_commit_len CHECK (octet_length(source_commit) <= 64),
	CONSTRAINT releases_notes_len CHECK (octet_length(notes) <= 2048),
	CONSTRAINT releases_created_by_len CHECK (octet_length(created_by) <= 128),
	CONSTRAINT releases_created_by_set CHECK (created_by <> '')
);
-- Release list and history of one service, newest first.
CREATE INDEX releases_service_created_idx ON releases (service_id, created_at DESC, id DESC);
-- Release list over all services, newest first.
CREATE INDEX releases_created_idx ON releases (created_at DESC, id DESC);

-- Files that make a release restorable: config archives, manifests, SBOMs.
-- verified* records the last successful checksum verification.
CREATE TABLE artifacts (
	id          bigserial PRIMARY KEY,
	release_id  bigint NOT NULL REFERENCES releases (id) ON DELETE RESTRICT,
	kind        text NOT NULL,                -- e.g. k3s-config, manifest
	location    text NOT NULL,                -- where it is stored (path or URL)
	sha256      text NOT NULL,                -- 64 lower-case hex
	size        bigint NOT NULL,
	verified    boolean NOT NULL DEFAULT false,
	verified_at timestamptz,
	verified_by text NOT NULL DEFAULT '',
	created_at  timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT artifacts_kind_len CHECK (octet_length(kind) <= 63),
	CONSTRAINT artifacts_kind_set CHECK (kind <> ''),
	CONSTRAINT artifacts_location_len CHECK (octet_length(location) <= 1024),
	CONSTRAINT artifacts_location_set CHECK (location <> ''),
	CONSTRAINT artifacts_sha256_format CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	CONSTRAINT artifacts_size_range CHECK (size >= 0),
	CONSTRAINT artifacts_verified_by_len CHECK (octet_length(verified_by) <= 128),
	CONSTRAINT artifacts_verified_when CHECK (NOT verified OR verified_at IS NOT NULL)
);
CREATE INDEX artifacts_release_idx ON artifacts (release_id);

-- A deployment of a release to an environment (forward, rollback or hotfix).
-- known_good marks a deployment that passed its health checks and may be the
-- target of a later rollback.
CREATE TABLE deployments (
	id             bigserial PRIMARY KEY,
	release_id     bigint NOT NULL REFERENCES releases (id) ON DELETE RESTRICT,
	environment_id bigint NOT NULL REFERENCES environments (id) ON DELETE RESTRICT,
	started_at     timestamptz NOT NULL DEFAULT now(),
	finished_at    timestamptz,               -- NULL while running
	outcome        text NOT NULL DEFAULT 'pending',
	known_good     boolean NOT NULL DEFAULT false,
	actor          text NOT NULL,
	CONSTRAINT deployments_outcome_check
		CHECK (outcome IN ('pending', 'succeeded', 'failed', 'rolled-back')),
	CONSTRAINT deployments_actor_len CHECK (octet_length(actor) <= 128),
	CONSTRAINT deployments_actor_set CHECK (actor <> ''),
	CONSTRAINT deployments_finished_check CHECK (finished_at IS NULL OR finished_at >= started_at),
	CONSTRAINT deployments_known_good_check CHECK (NOT known_good OR outcome = 'succeeded')
);
CREATE INDEX deployments_release_idx ON deployments (release_id, started_at DESC);
-- "What ran in production, newest first" and "last known-good in production".
CREATE INDEX deployments_env_started_idx ON deployments (environment_id, started_at DESC, id DESC);
CREATE INDEX deployments_env_known_good_idx ON deployments (environment_id, started_at DESC)
	WHERE known_good;

-- Database and storage backups of an environment, and their verification.
CREATE TABLE backups (
	id             bigserial PRIMARY KEY,
	environment_id bigint NOT NULL REFERENCES environments (id) ON DELETE RESTRICT,
	kind           text NOT NULL,             -- e.g. pg_dump, volume-snapshot
	location       text NOT NULL,
	sha256         text NOT NULL DEFAULT '',  -- '' until known
	size           bigint NOT NULL DEFAULT 0,
	taken_at       timestamptz NOT NULL DEFAULT now(),
	verified       boolean NOT NULL DEFAULT false,
	verified_at    timestamptz,
	verified_by    text NOT NULL DEFAULT '',
	result         text NOT NULL DEFAULT '',  -- verification output, human text
	CONSTRAINT backups_kind_len CHECK (octet_length(kind) <= 63),
	CONSTRAINT backups_kind_set CHECK (kind <> ''),
	CONSTRAINT backups_location_len CHECK (octet_length(location) <= 1024),
	CONSTRAINT backups_location_set CHECK (location <> ''),
	CONSTRAINT backups_sha256_format CHECK (sha256 = '' OR sha256 ~ '^[0-9a-f]{64}$'),
	CONSTRAINT backups_size_range CHECK (size >= 0),
	CONSTRAINT backups_verified_by_len CHECK (octet_length(verified_by) <= 128),
	CONSTRAINT backups_result_len CHECK (octet_length(result) <= 2048),
	CONSTRAINT backups_verified_when CHECK (NOT verified OR verified_at IS NOT NULL)
);
-- "Latest verified backup of production" before a rollback.
CREATE INDEX backups_env_taken_idx ON backups (environment_id, taken_at DESC);

-- An incident: one coordinator, open until closed.
CREATE TABLE incidents (
	id             bigserial PRIMARY KEY,
	environment_id bigint NOT NULL REFERENCES environments (id) ON DELETE RESTRICT,
	severity       text NOT NULL,
	coordinator    text NOT NULL,
	status         text NOT NULL DEFAULT 'open',
	opened_at      timestamptz NOT NULL DEFAULT now(),
	closed_at      timestamptz,
	summary        text NOT NULL DEFAULT '',
	CONSTRAINT incidents_severity_check CHECK (severity IN ('sev1', 'sev2', 'sev3', 'sev4')),
	CONSTRAINT incidents_status_check CHECK (status IN ('open', 'mitigated', 'closed')),
	CONSTRAINT incidents_coordinator_len CHECK (octet_length(coordinator) <= 128),
	CONSTRAINT incidents_coordinator_set CHECK (coordinator <> ''),
	CONSTRAINT incidents_summary_len CHECK (octet_length(summary) <= 2048),
	CONSTRAINT incidents_closed_check CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
CREATE INDEX incidents_env_opened_idx ON incidents (environment_id, opened_at DESC);
-- At most one open (or mitigated) incident per environment: one coordinator
-- runs it (runbook, "assign a single incident coordinator").
CREATE UNIQUE INDEX incidents_one_open_idx ON incidents (environment_id) WHERE status <> 'closed';

-- Work for the cluster agents (set image, rollout status, health probe, ...).
-- An agent leases a queued action; an expired lease may be taken over.
CREATE TABLE actions (
	id               bigserial PRIMARY KEY,
	kind             text NOT NULL,
	cluster          text NOT NULL,
	target           jsonb NOT NULL,          -- what to act on, e.g. namespace/deployment/image
	state            text NOT NULL DEFAULT 'queued',
	lease_owner      text NOT NULL DEFAULT '',  -- agent name holding the lease
	lease_expires_at timestamptz,
	attempts         integer NOT NULL DEFAULT 0,
	created_at       timestamptz NOT NULL DEFAULT now(),
	finished_at      timestamptz,
	result           jsonb,                   -- agent's report, NULL until finished
	CONSTRAINT actions_kind_len CHECK (octet_length(kind) <= 63),
	CONSTRAINT actions_kind_set CHECK (kind <> ''),
	CONSTRAINT actions_cluster_len CHECK (octet_length(cluster) <= 63),
	CONSTRAINT actions_cluster_set CHECK (cluster <> ''),
	CONSTRAINT actions_target_object CHECK (jsonb_typeof(target) = 'object'),
	CONSTRAINT actions_state_check
		CHECK (state IN ('queued', 'leased', 'succeeded', 'failed', 'cancelled')),
	CONSTRAINT actions_lease_owner_len CHECK (octet_length(lease_owner) <= 128),
	CONSTRAINT actions_lease_check
		CHECK (state <> 'leased' OR (lease_owner <> '' AND lease_expires_at IS NOT NULL)),
	CONSTRAINT actions_attempts_range CHECK (attempts >= 0)
);
-- An agent polling for its cluster's work, oldest first.
CREATE INDEX actions_pending_idx ON actions (cluster, created_at)
	WHERE state IN ('queued', 'leased');
CREATE INDEX actions_created_idx ON actions (created_at DESC);

-- Who did what, when and why.  Append-only: see the triggers below.
CREATE TABLE audit_log (
	id     bigserial PRIMARY KEY,
	at     timestamptz NOT NULL DEFAULT now(),
	actor  text NOT NULL,
	role   text NOT NULL,
	action text NOT NULL,                     -- e.g. release.record
	target text NOT NULL DEFAULT '',          -- e.g. release/mr-dj-frontend/v1
	detail jsonb NOT NULL DEFAULT '{}',
	reason text NOT NULL DEFAULT '',
	CONSTRAINT audit_log_actor_len CHECK (octet_length(actor) <= 128),
	CONSTRAINT audit_log_actor_set CHECK (actor <> ''),
	CONSTRAINT audit_log_role_check
		CHECK (role IN ('none', 'viewer', 'operator', 'admin', 'agent')),
	CONSTRAINT audit_log_action_len CHECK (octet_length(action) <= 63),
	CONSTRAINT audit_log_action_set CHECK (action <> ''),
	CONSTRAINT audit_log_target_len CHECK (octet_length(target) <= 512),
	CONSTRAINT audit_log_detail_object CHECK (jsonb_typeof(detail) = 'object'),
	-- detail is read back as jsonb's text form into a RW_TEXT_MAX buffer.
	CONSTRAINT audit_log_detail_len CHECK (octet_length(detail::text) <= 2048),
	CONSTRAINT audit_log_reason_len CHECK (octet_length(reason) <= 2048)
);
-- Filters of store_audit_list (newest first = id DESC).
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action text_pattern_ops, id DESC);

-- Append-only: UPDATE, DELETE and TRUNCATE raise insufficient_privilege
-- (42501).  This guards against mistakes and application bugs, not against
-- the table's owner or a superuser, who can disable triggers; production
-- should also run rewindd as a role that does not own the schema.
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
	LANGUAGE plpgsql
	AS $$
BEGIN
	RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
		USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_no_update_delete
	BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();

CREATE TRIGGER audit_log_no_truncate
	BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
