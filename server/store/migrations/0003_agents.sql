-- 0003_agents — what agents report (pods, deployments, health), who the
-- agents are, and what the action queue needs beyond 0001 (deadline,
-- requester, progress).  Version 0002 is the artifacts migration.

-- One row per agent identity (CLUSTER/NODE from its certificate).  epoch/seq
-- is the last report accepted: a report that does not follow it is a gap.
CREATE TABLE agents (
	name      text PRIMARY KEY,
	cluster   text NOT NULL,
	node      text NOT NULL,
	epoch     bigint NOT NULL DEFAULT 0,
	seq       bigint NOT NULL DEFAULT 0,
	last_seen timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT agents_name_len CHECK (octet_length(name) <= 128),
	CONSTRAINT agents_cluster_len CHECK (octet_length(cluster) <= 63),
	CONSTRAINT agents_node_len CHECK (octet_length(node) <= 253)
);
CREATE INDEX agents_cluster_idx ON agents (cluster, name);

-- Latest state of each pod (latest report wins).  containers: JSON array of
-- {name, image, digest, ready, restarts, reason}.
CREATE TABLE pod_states (
	cluster     text NOT NULL,
	namespace   text NOT NULL,
	name        text NOT NULL,
	node        text NOT NULL,
	deployment  text NOT NULL DEFAULT '',
	phase       text NOT NULL DEFAULT '',
	ready       boolean NOT NULL DEFAULT false,
	containers  jsonb NOT NULL DEFAULT '[]',
	observed_at timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (cluster, namespace, name),
	CONSTRAINT pod_states_containers_array CHECK (jsonb_typeof(containers) = 'array')
);
CREATE INDEX pod_states_node_idx ON pod_states (cluster, node);

-- Latest spec and rollout status of each Deployment agents have seen.
CREATE TABLE deploy_states (
	cluster             text NOT NULL,
	namespace           text NOT NULL,
	name                text NOT NULL,
	containers          jsonb NOT NULL DEFAULT '[]',  -- [{name, image}] desired
	generation          bigint NOT NULL DEFAULT 0,
	observed_generation bigint NOT NULL DEFAULT 0,
	replicas            integer NOT NULL DEFAULT 0,
	updated             integer NOT NULL DEFAULT 0,
	ready               integer NOT NULL DEFAULT 0,
	available           integer NOT NULL DEFAULT 0,
	progressing_reason  text NOT NULL DEFAULT '',
	observed_at         timestamptz NOT NULL,
	PRIMARY KEY (cluster, namespace, name)
);

-- Every health probe result, for history; status shows the latest per subject.
CREATE TABLE health_results (
	id          bigserial PRIMARY KEY,
	cluster     text NOT NULL,
	node        text NOT NULL,
	target_id   bigint NOT NULL,
	subject     text NOT NULL,
	url         text NOT NULL DEFAULT '',
	ok          boolean NOT NULL,
	http_status integer NOT NULL DEFAULT 0,
	latency_ms  integer NOT NULL DEFAULT 0,
	error       text NOT NULL DEFAULT '',
	at          timestamptz NOT NULL
);
CREATE INDEX health_results_subject_idx ON health_results (cluster, subject, at DESC);
CREATE INDEX health_results_at_idx ON health_results (at);

ALTER TABLE actions
	ADD COLUMN deadline   timestamptz,
	ADD COLUMN created_by text NOT NULL DEFAULT '',
	ADD COLUMN progress   text NOT NULL DEFAULT '',
	ADD CONSTRAINT actions_created_by_len CHECK (octet_length(created_by) <= 128),
	ADD CONSTRAINT actions_progress_len CHECK (octet_length(progress) <= 2048);
