-- 0005_coord — coordinated rollback and hotfix (issue 6): environment and
-- service settings, operations (deploy, promote, rollback, config set and
-- revert) run by rewindd's coordinator, one deployments row per service of
-- an operation, incident timelines and decisions, webhook notifications.
-- (0004 is the audit ledger.)  Same conventions as 0001.

-- Per-environment settings of the coordinator (docs/coordination.md).
ALTER TABLE environments
	ADD COLUMN observe_s integer NOT NULL DEFAULT 300,      -- runbook: 5-10 minutes
	ADD COLUMN verify_s integer NOT NULL DEFAULT 120,       -- health must pass within this
	ADD COLUMN action_timeout_s integer NOT NULL DEFAULT 600,
	ADD COLUMN smoke_command text NOT NULL DEFAULT '',
	ADD COLUMN smoke_timeout_s integer NOT NULL DEFAULT 300,
	ADD COLUMN auto_rollback boolean NOT NULL DEFAULT false,
	ADD COLUMN webhook_url text NOT NULL DEFAULT '',
	ADD COLUMN webhook_format text NOT NULL DEFAULT 'generic',
	ADD COLUMN promote_from text NOT NULL DEFAULT 'staging',
	ADD CONSTRAINT environments_observe_range CHECK (observe_s BETWEEN 0 AND 86400),
	ADD CONSTRAINT environments_verify_range CHECK (verify_s BETWEEN 1 AND 86400),
	ADD CONSTRAINT environments_action_timeout_range CHECK (action_timeout_s BETWEEN 1 AND 86400),
	ADD CONSTRAINT environments_smoke_timeout_range CHECK (smoke_timeout_s BETWEEN 1 AND 86400),
	ADD CONSTRAINT environments_smoke_command_len CHECK (octet_length(smoke_command) <= 1024),
	ADD CONSTRAINT environments_webhook_url_len CHECK (octet_length(webhook_url) <= 1024),
	ADD CONSTRAINT environments_webhook_format_check
		CHECK (webhook_format IN ('generic', 'slack')),
	ADD CONSTRAINT environments_promote_from_len CHECK (octet_length(promote_from) <= 63);

-- Deploy order: lower first (runbook: backend before frontend).
ALTER TABLE services
	ADD COLUMN deploy_order integer NOT NULL DEFAULT 100,
	ADD CONSTRAINT services_deploy_order_range CHECK (deploy_order BETWEEN 0 AND 10000);

-- Incidents gain a title, detection/recovery times, the decision and its answers.
ALTER TABLE incidents
	ADD COLUMN title text NOT NULL DEFAULT '',
	ADD COLUMN detected_at timestamptz,
	ADD COLUMN recovered_at timestamptz,
	ADD COLUMN decision text NOT NULL DEFAULT '',
	ADD COLUMN answers jsonb NOT NULL DEFAULT '{}',
	ADD COLUMN root_cause text NOT NULL DEFAULT '',
	ADD CONSTRAINT incidents_title_len CHECK (octet_length(title) <= 2048),
	ADD CONSTRAINT incidents_decision_check
		CHECK (decision IN ('', 'rollback', 'config-hotfix', 'hotfix', 'none')),
	ADD CONSTRAINT incidents_answers_object CHECK (jsonb_typeof(answers) = 'object'),
	ADD CONSTRAINT incidents_root_cause_len CHECK (octet_length(root_cause) <= 2048);

-- What Rewind did and saw during an incident, in order.
CREATE TABLE incident_events (
	id          bigserial PRIMARY KEY,
	incident_id bigint NOT NULL REFERENCES incidents (id) ON DELETE RESTRICT,
	at          timestamptz NOT NULL DEFAULT now(),
	kind        text NOT NULL,
	actor       text NOT NULL,
	text        text NOT NULL,
	CONSTRAINT incident_events_kind_check CHECK (kind IN
		('detection', 'decision', 'action', 'verification', 'note', 'notification')),
	CONSTRAINT incident_events_actor_len CHECK (octet_length(actor) <= 128),
	CONSTRAINT incident_events_text_len CHECK (octet_length(text) <= 2048)
);
CREATE INDEX incident_events_incident_idx ON incident_events (incident_id, at, id);

-- One run of the coordinator.  owner/heartbeat_at: the rewindd running it;
-- an operation whose heartbeat stops (its rewindd died) is failed by another.
CREATE TABLE operations (
	id             bigserial PRIMARY KEY,
	kind           text NOT NULL,
	environment_id bigint NOT NULL REFERENCES environments (id) ON DELETE RESTRICT,
	state          text NOT NULL DEFAULT 'queued',
	phase          text NOT NULL DEFAULT '',
	incident_id    bigint REFERENCES incidents (id) ON DELETE RESTRICT,
	reason         text NOT NULL DEFAULT '',
	override_gate  text NOT NULL DEFAULT '',
	warnings       text NOT NULL DEFAULT '',
	result         text NOT NULL DEFAULT '',
	spec           jsonb NOT NULL DEFAULT '{}',   -- config-set: namespace, configmap, data
	previous       jsonb,                         -- config-set: values before
	smoke_rc       integer NOT NULL DEFAULT -1,
	smoke_output   text NOT NULL DEFAULT '',
	created_by     text NOT NULL,
	created_at     timestamptz NOT NULL DEFAULT now(),
	started_at     timestamptz,
	finished_at    timestamptz,
	owner          text NOT NULL DEFAULT '',
	heartbeat_at   timestamptz,
	seq            bigint NOT NULL DEFAULT 0,
	CONSTRAINT operations_kind_check CHECK (kind IN
		('deploy', 'promote', 'rollback', 'config-set', 'config-revert')),
	CONSTRAINT operations_state_check CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
	CONSTRAINT operations_phase_len CHECK (octet_length(phase) <= 255),
	CONSTRAINT operations_reason_len CHECK (octet_length(reason) <= 2048),
	CONSTRAINT operations_override_gate_len CHECK (octet_length(override_gate) <= 2048),
	CONSTRAINT operations_warnings_len CHECK (octet_length(warnings) <= 2048),
	CONSTRAINT operations_result_len CHECK (octet_length(result) <= 2048),
	CONSTRAINT operations_smoke_output_len CHECK (octet_length(smoke_output) <= 1024),
	CONSTRAINT operations_created_by_len CHECK (octet_length(created_by) <= 128),
	CONSTRAINT operations_owner_len CHECK (octet_length(owner) <= 128)
);
CREATE INDEX operations_env_idx ON operations (environment_id, id DESC);
CREATE INDEX operations_runnable_idx ON operations (id) WHERE state IN ('queued', 'running');

-- Each deployment now belongs to an operation and records its progress.
-- state: queued, rolling-out, verifying (in flight), observing (verified,
-- inside its observation window), done.
ALTER TABLE deployments
	ADD COLUMN service_id bigint REFERENCES services (id) ON DELETE RESTRICT,
	ADD COLUMN operation_id bigint REFERENCES operations (id) ON DELETE RESTRICT,
	ADD COLUMN kind text NOT NULL DEFAULT 'deploy',
	ADD COLUMN step integer NOT NULL DEFAULT 0,
	ADD COLUMN state text NOT NULL DEFAULT 'done',
	ADD COLUMN image text NOT NULL DEFAULT '',
	ADD COLUMN previous_image text NOT NULL DEFAULT '',
	ADD COLUMN action_id bigint,
	ADD COLUMN updated integer NOT NULL DEFAULT 0,
	ADD COLUMN available integer NOT NULL DEFAULT 0,
	ADD COLUMN replicas integer NOT NULL DEFAULT 0,
	ADD COLUMN health text NOT NULL DEFAULT '',
	ADD COLUMN message text NOT NULL DEFAULT '',
	ADD COLUMN verified_at timestamptz,
	ADD COLUMN observe_until timestamptz,
	ADD CONSTRAINT deployments_kind_check CHECK (kind IN ('deploy', 'promote', 'rollback', 'hotfix')),
	ADD CONSTRAINT deployments_state_check
		CHECK (state IN ('queued', 'rolling-out', 'verifying', 'observing', 'done')),
	ADD CONSTRAINT deployments_image_len CHECK (octet_length(image) <= 512),
	ADD CONSTRAINT deployments_previous_image_len CHECK (octet_length(previous_image) <= 512),
	ADD CONSTRAINT deployments_health_len CHECK (octet_length(health) <= 255),
	ADD CONSTRAINT deployments_message_len CHECK (octet_length(message) <= 511);
UPDATE deployments d SET service_id = r.service_id FROM releases r WHERE r.id = d.release_id;

-- One change in flight per service and environment, across every rewindd
-- sharing this database: a second deploy or rollback fails its INSERT.
CREATE UNIQUE INDEX deployments_one_in_flight_idx ON deployments (environment_id, service_id)
	WHERE state IN ('queued', 'rolling-out', 'verifying');
CREATE INDEX deployments_observing_idx ON deployments (id) WHERE state = 'observing';
CREATE INDEX deployments_env_service_idx ON deployments (environment_id, service_id, started_at DESC);

-- Webhook notifications, sent by a separate thread with retries so a slow
-- or hanging endpoint never holds up a rollback.
CREATE TABLE notifications (
	id           bigserial PRIMARY KEY,
	incident_id  bigint REFERENCES incidents (id) ON DELETE RESTRICT,
	url          text NOT NULL,
	format       text NOT NULL,
	event        text NOT NULL,
	payload      jsonb NOT NULL,
	state        text NOT NULL DEFAULT 'pending',
	attempts     integer NOT NULL DEFAULT 0,
	next_at      timestamptz NOT NULL DEFAULT now(),
	last_error   text NOT NULL DEFAULT '',
	created_at   timestamptz NOT NULL DEFAULT now(),
	sent_at      timestamptz,
	CONSTRAINT notifications_state_check CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
	CONSTRAINT notifications_url_len CHECK (octet_length(url) <= 1024),
	CONSTRAINT notifications_format_check CHECK (format IN ('generic', 'slack')),
	CONSTRAINT notifications_event_len CHECK (octet_length(event) <= 63),
	CONSTRAINT notifications_last_error_len CHECK (octet_length(last_error) <= 512)
);
CREATE INDEX notifications_pending_idx ON notifications (next_at) WHERE state IN ('pending', 'sending');
