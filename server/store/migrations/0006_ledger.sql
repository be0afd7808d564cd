-- 0006_ledger — the audit issue (issue 7): a tamper-evident audit ledger
-- (hash chain computed by a trigger, signed chain heads), the deployment
-- columns audit queries need (the coordination work fills them), and the
-- read-only views auditors and rewindctl share.  See docs/audit.md.
--
-- Same conventions as 0001: byte bounds as CHECK constraints named *_len,
-- '' for optional text, RESTRICT foreign keys.  Never edit once released.

-- --------------------------------------------------------------------------
-- Deployments: what kind of change, why, and which incident.  The contract
-- (docs/audit.md, "Deployment contract"): kind deploy|rollback|hotfix; a
-- rollback names the deployment it replaces (replaces_id); outcome
-- 'rolled-back' means rolled back before the rollout completed, while a
-- deployment that ran and was rolled back later keeps 'succeeded'.
-- kind (deploy|promote|rollback|hotfix) and its check come from 0005_coord.
-- IF NOT EXISTS: the coordination migration may define the same columns.
ALTER TABLE deployments
	ADD COLUMN IF NOT EXISTS reason text NOT NULL DEFAULT '',
	ADD COLUMN IF NOT EXISTS decision text NOT NULL DEFAULT '',
	ADD COLUMN IF NOT EXISTS incident_id bigint REFERENCES incidents (id) ON DELETE RESTRICT,
	ADD COLUMN IF NOT EXISTS replaces_id bigint REFERENCES deployments (id) ON DELETE RESTRICT;
ALTER TABLE deployments
	ADD CONSTRAINT deployments_reason_len CHECK (octet_length(reason) <= 2048),
	ADD CONSTRAINT deployments_decision_len CHECK (octet_length(decision) <= 2048);
-- Every deployment names its service (0005 added the column; writers that
-- only give the release get it filled here), so what-ran can walk
-- deployments_env_service_idx instead of joining releases per row.
CREATE FUNCTION deployments_fill_service() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.service_id IS NULL THEN
		SELECT service_id INTO NEW.service_id FROM releases WHERE id = NEW.release_id;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER deployments_fill_service BEFORE INSERT ON deployments
	FOR EACH ROW EXECUTE FUNCTION deployments_fill_service();
UPDATE deployments d SET service_id = r.service_id
  FROM releases r WHERE r.id = d.release_id AND d.service_id IS NULL;

-- What ran at a moment: the latest succeeded deployment per service and env.
CREATE INDEX deployments_env_succeeded_idx ON deployments (environment_id, started_at DESC, id DESC)
	WHERE outcome = 'succeeded';
CREATE INDEX deployments_rollback_idx ON deployments (started_at DESC) WHERE kind = 'rollback';
CREATE INDEX deployments_replaces_idx ON deployments (replaces_id) WHERE replaces_id IS NOT NULL;
CREATE INDEX incidents_opened_idx ON incidents (opened_at);

-- --------------------------------------------------------------------------
-- The chain.  Every audit_log row carries its position (seq), the hash of
-- the row before it (prev_hash) and its own hash:
--   row_hash = SHA-256(bytes(prev_hash) || canonical text of the row)
-- The canonical text is "rewind-audit-v1\n" followed by each field as
-- "<octet length>:<value>\n" (shared/ledger.c builds the same bytes; the
-- length prefix makes field boundaries unambiguous).
ALTER TABLE audit_log
	ADD COLUMN incident_id bigint,                 -- no FK: the ledger outlives everything
	ADD COLUMN digests text NOT NULL DEFAULT '',   -- image digests involved, space-separated
	ADD COLUMN seq bigint,
	ADD COLUMN prev_hash text,
	ADD COLUMN row_hash text,
	ADD CONSTRAINT audit_log_digests_len CHECK (octet_length(digests) <= 2048);

CREATE FUNCTION rw_audit_field(v text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$ SELECT octet_length(v)::text || ':' || v || E'\n' $$;

CREATE FUNCTION rw_audit_canon(seq bigint, at timestamptz, actor text, role text, action text,
                               target text, detail jsonb, reason text, incident_id bigint,
                               digests text) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$ SELECT 'rewind-audit-v1' || E'\n' || rw_audit_field(seq::text)
	          || rw_audit_field(rw_to_us(at)::text) || rw_audit_field(actor)
	          || rw_audit_field(role) || rw_audit_field(action) || rw_audit_field(target)
	          || rw_audit_field(detail::text) || rw_audit_field(reason)
	          || rw_audit_field(coalesce(incident_id::text, '')) || rw_audit_field(digests) $$;

-- sha256(bytea) is built in since PostgreSQL 11: no extension (pgcrypto needs a superuser).
CREATE FUNCTION rw_audit_hash(prev_hash text, canon text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$ SELECT encode(sha256(decode(prev_hash, 'hex') || convert_to(canon, 'UTF8')), 'hex') $$;

-- Existing rows are chained once, in id order (they were written one at a time).
ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete;
DO $$
DECLARE
	r record;
	s bigint := 0;
	h text := repeat('0', 64);
BEGIN
	FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
		s := s + 1;
		UPDATE audit_log SET seq = s, prev_hash = h,
			row_hash = rw_audit_hash(h, rw_audit_canon(s, r.at, r.actor, r.role, r.action,
			                         r.target, r.detail, r.reason, r.incident_id, r.digests))
			WHERE id = r.id RETURNING row_hash INTO h;
	END LOOP;
END
$$;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete;
ALTER TABLE audit_log
	ALTER COLUMN seq SET NOT NULL,
	ALTER COLUMN prev_hash SET NOT NULL,
	ALTER COLUMN row_hash SET NOT NULL;
-- Not unique on purpose: a row slipped into the middle shows up as a second
-- row at one position, which verify names, instead of failing the insert.
CREATE INDEX audit_log_seq_idx ON audit_log (seq, id);

-- Appends one row to the chain.  One place for every writer (rewindd's store,
-- a future module, a human with psql as the application role): the writer
-- cannot choose seq or the hashes.
--
-- Serialising: an advisory lock held until commit, so two connections (two
-- rewindd) never append at the same position; under READ COMMITTED the
-- query after the lock sees the last committed row.  The first append of a
-- transaction finds the last row with a freshly planned query (EXECUTE: a
-- plan cached while the table was small would stay a sequential scan); the
-- tip is then kept in a transaction-local setting, so a bulk insert costs
-- O(1) per row (a savepoint rollback restores the setting with its rows).
-- A client that forges the setting can only break the chain visibly:
-- verify names the row.  SECURITY DEFINER so the application role needs no
-- more than INSERT on audit_log.
CREATE FUNCTION audit_log_chain() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public
	AS $$
DECLARE
	tip text := current_setting('rewind.audit_tip', true);
	last_seq bigint;
	last_hash text;
BEGIN
	IF current_setting('transaction_isolation') <> 'read committed' THEN
		RAISE EXCEPTION 'audit_log rows are appended under READ COMMITTED only'
			USING ERRCODE = 'invalid_transaction_state';
	END IF;
	PERFORM pg_advisory_xact_lock(5937573838512712040);
	IF coalesce(tip, '') = '' OR split_part(tip, ':', 1) <> txid_current()::text THEN
		EXECUTE 'SELECT seq, row_hash FROM audit_log ORDER BY seq DESC, id DESC LIMIT 1'
			INTO last_seq, last_hash;
		last_seq := coalesce(last_seq, 0);
		last_hash := coalesce(last_hash, repeat('0', 64));
	ELSE
		last_seq := split_part(tip, ':', 2)::bigint;
		last_hash := split_part(tip, ':', 3);
	END IF;
	NEW.seq := last_seq + 1;
	NEW.prev_hash := last_hash;
	NEW.row_hash := rw_audit_hash(NEW.prev_hash,
		rw_audit_canon(NEW.seq, NEW.at, NEW.actor, NEW.role, NEW.action, NEW.target,
		               NEW.detail, NEW.reason, NEW.incident_id, NEW.digests));
	PERFORM set_config('rewind.audit_tip',
	                   txid_current()::text || ':' || NEW.seq::text || ':' || NEW.row_hash, true);
	RETURN NEW;
END
$$;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

-- Chain heads signed by rewindd's server key (ECDSA P-256 over SHA-256 of
-- "rewind-audit-head-v1\n<seq>\n<row_hash>\n<signed_at us>\n").  key_id is
-- the SHA-256 of the signer's public key (DER), so a rotated key is told
-- apart from a forged signature.
CREATE TABLE audit_heads (
	id        bigserial PRIMARY KEY,
	seq       bigint NOT NULL,
	row_hash  text NOT NULL,
	signed_at timestamptz NOT NULL,
	signer    text NOT NULL,
	key_id    text NOT NULL,
	signature text NOT NULL,                        -- DER, hex
	CONSTRAINT audit_heads_row_hash_format CHECK (row_hash ~ '^[0-9a-f]{64}$'),
	CONSTRAINT audit_heads_key_id_format CHECK (key_id ~ '^[0-9a-f]{64}$'),
	CONSTRAINT audit_heads_signer_len CHECK (octet_length(signer) <= 128),
	CONSTRAINT audit_heads_signature_len CHECK (octet_length(signature) <= 320)
);
CREATE INDEX audit_heads_seq_idx ON audit_heads (seq DESC, id DESC);

CREATE TRIGGER audit_heads_no_update_delete
	BEFORE UPDATE OR DELETE ON audit_heads
	FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_heads_no_truncate
	BEFORE TRUNCATE ON audit_heads
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- --------------------------------------------------------------------------
-- Views for auditors (docs/audit.md).  rewindctl's audit commands select
-- from these same views and functions, so both get the same answers.

-- The service an audit row is about: detail->>'service', else the second
-- part of targets like release/<service>/<version> or deploy/<service>/...
CREATE FUNCTION rw_audit_service(target text, detail jsonb) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$ SELECT coalesce(nullif(detail->>'service', ''),
	             CASE WHEN split_part(target, '/', 1) IN
	                       ('release', 'service', 'deploy', 'deployment', 'rollback', 'hotfix')
	                  THEN split_part(target, '/', 2) ELSE '' END) $$;
CREATE INDEX audit_log_service_idx ON audit_log (rw_audit_service(target, detail), at DESC, id DESC);

CREATE VIEW audit_events AS
SELECT a.id, a.seq, a.at, a.actor, a.role, a.action,
       split_part(a.action, '.', 1) AS kind,
       rw_audit_service(a.target, a.detail) AS service,
       a.target, a.detail, a.reason, a.incident_id, a.digests, a.row_hash
  FROM audit_log a;

-- Every deployment with its service, release and environment.
CREATE VIEW audit_deployments AS
SELECT d.id, s.name AS service, e.name AS env, r.id AS release_id, r.version, r.image_ref,
       r.digest, r.created_at AS captured_at, d.kind, d.started_at, d.finished_at, d.outcome,
       d.known_good, d.actor, d.reason, d.decision, d.incident_id, d.replaces_id,
       d.environment_id, r.service_id
  FROM deployments d
  JOIN releases r ON r.id = d.release_id
  JOIN services s ON s.id = r.service_id
  JOIN environments e ON e.id = d.environment_id;

-- What ran in env at a moment: per service, the latest deployment that
-- succeeded and started at or before it; rolling_out names a deployment in
-- flight at that moment that started after it (NULL when none).
CREATE FUNCTION audit_what_ran(env_name text, at_time timestamptz)
	RETURNS TABLE (service text, version text, image_ref text, digest text,
	               deployment_id bigint, kind text, deployed_at timestamptz,
	               actor text, rolling_out text)
	LANGUAGE sql STABLE
	AS $$
SELECT s.name, w.version, w.image_ref, w.digest, w.id, w.kind, w.started_at, w.actor,
       (SELECT r2.version FROM deployments d2 JOIN releases r2 ON r2.id = d2.release_id
         WHERE d2.environment_id = e.id AND d2.service_id = s.id
           AND d2.started_at <= at_time AND d2.started_at > w.started_at
           AND (d2.finished_at IS NULL OR d2.finished_at > at_time)
         ORDER BY d2.started_at DESC, d2.id DESC LIMIT 1)
  FROM environments e
  CROSS JOIN services s
  CROSS JOIN LATERAL (
	SELECT d.id, d.kind, d.started_at, d.actor, r.version, r.image_ref, r.digest
	  FROM deployments d JOIN releases r ON r.id = d.release_id
	 -- d.service_id (0005) walks deployments_env_service_idx newest first.
	 WHERE d.environment_id = e.id AND d.service_id = s.id
	   AND d.outcome = 'succeeded' AND d.started_at <= at_time
	 ORDER BY d.started_at DESC, d.id DESC LIMIT 1) w
 WHERE e.name = env_name
 ORDER BY s.name
$$;

-- Rollbacks with what they replaced, why, who decided, and how long they took.
CREATE VIEW audit_rollbacks AS
SELECT d.id, d.service, d.env, p.version AS from_version, d.version AS to_version,
       d.digest AS to_digest, d.reason, d.decision, d.actor, d.incident_id,
       d.started_at, d.finished_at, d.outcome,
       extract(epoch FROM d.finished_at - d.started_at)::bigint AS duration_s,
       p.id AS replaced_id, p.outcome AS replaced_outcome
  FROM audit_deployments d
  LEFT JOIN audit_deployments p ON p.id = d.replaces_id
 WHERE d.kind = 'rollback';

-- Changes that failed, and when service was restored: a deploy or hotfix
-- that failed or was rolled back mid-rollout fails from its start; one that
-- succeeded and was rolled back later fails from its rollback's incident (or
-- the rollback's start).  Restored = first succeeded deployment of the same
-- service and env that started after the failure.
CREATE VIEW audit_change_failures AS
SELECT f.id, f.service, f.env, f.environment_id, f.version, f.started_at,
       f.failed_at,
       (SELECT n.finished_at FROM deployments n JOIN releases nr ON nr.id = n.release_id
         WHERE n.environment_id = f.environment_id AND nr.service_id = f.service_id
           AND n.outcome = 'succeeded' AND n.started_at >= f.failed_at AND n.id <> f.id
         ORDER BY n.started_at, n.id LIMIT 1) AS restored_at
  FROM (SELECT d.*,
               CASE WHEN d.outcome IN ('failed', 'rolled-back') THEN d.started_at
                    ELSE (SELECT coalesce(i.opened_at, rb.started_at)
                            FROM deployments rb LEFT JOIN incidents i ON i.id = rb.incident_id
                           WHERE rb.replaces_id = d.id AND rb.kind = 'rollback'
                           ORDER BY rb.started_at LIMIT 1) END AS failed_at
          FROM audit_deployments d
         WHERE d.kind IN ('deploy', 'promote', 'hotfix')) f
 WHERE f.failed_at IS NOT NULL;

-- DORA metrics of an environment over [since, until).
CREATE FUNCTION audit_dora(env_name text, since timestamptz, until timestamptz)
	RETURNS TABLE (deployments bigint, days numeric, deploys_per_day numeric,
	               lead_time_median_s bigint, lead_time_mean_s bigint,
	               failures bigint, change_failure_rate numeric,
	               recoveries bigint, mttr_s bigint)
	LANGUAGE sql STABLE
	AS $$
WITH d AS (
	SELECT * FROM audit_deployments
	 WHERE env = env_name AND kind IN ('deploy', 'promote', 'hotfix')
	   AND started_at >= since AND started_at < until),
ok AS (SELECT * FROM d WHERE outcome = 'succeeded'),
f AS (SELECT * FROM audit_change_failures
       WHERE env = env_name AND started_at >= since AND started_at < until)
SELECT (SELECT count(*) FROM ok),
       round(extract(epoch FROM until - since) / 86400, 3),
       round((SELECT count(*) FROM ok) / nullif(extract(epoch FROM until - since) / 86400, 0), 3),
       (SELECT percentile_cont(0.5) WITHIN GROUP
               (ORDER BY extract(epoch FROM finished_at - captured_at))::bigint FROM ok),
       (SELECT avg(extract(epoch FROM finished_at - captured_at))::bigint FROM ok),
       (SELECT count(*) FROM f),
       round((SELECT count(*) FROM f)::numeric
             / nullif((SELECT count(*) FROM d WHERE outcome <> 'pending'), 0), 3),
       (SELECT count(restored_at) FROM f),
       (SELECT avg(extract(epoch FROM restored_at - failed_at))::bigint FROM f)
$$;

-- Everything that happened to one release.
CREATE VIEW audit_release_life AS
SELECT r.id AS release_id, 'capture'::text AS event, r.created_at AS at, NULL::timestamptz AS until,
       r.created_by AS actor, '' AS env,
       r.image_ref || CASE WHEN r.digest <> '' THEN '@' || r.digest ELSE ' (unpinned)' END AS detail
  FROM releases r
UNION ALL
SELECT a.release_id, 'artifact', a.created_at, NULL, a.created_by, '',
       a.kind || ' ' || a.name || ' sha256:' || a.sha256 || ' check:' || a.verify_outcome
  FROM artifacts a
UNION ALL
SELECT d.release_id, d.kind, d.started_at, d.finished_at, d.actor, d.env,
       d.outcome || CASE WHEN d.reason <> '' THEN ': ' || d.reason ELSE '' END
  FROM audit_deployments d
UNION ALL
SELECT d.release_id, 'incident', i.opened_at, i.closed_at, i.coordinator, d.env,
       i.severity || ' ' || i.status || CASE WHEN i.summary <> '' THEN ': ' || i.summary ELSE '' END
  FROM incidents i JOIN audit_deployments d ON d.incident_id = i.id
UNION ALL
SELECT d.release_id, 'incident', i.opened_at, i.closed_at, i.coordinator, d.env,
       i.severity || ' ' || i.status || ' (while running)'
         || CASE WHEN i.summary <> '' THEN ': ' || i.summary ELSE '' END
  FROM audit_deployments d
  JOIN incidents i ON i.environment_id = d.environment_id AND i.opened_at >= d.started_at
   AND NOT EXISTS (SELECT 1 FROM deployments x
                    WHERE x.release_id = d.release_id AND x.incident_id = i.id)
 WHERE d.outcome = 'succeeded'
   AND i.opened_at < coalesce((SELECT min(n.started_at) FROM deployments n
                                 JOIN releases nr ON nr.id = n.release_id
                                WHERE n.environment_id = d.environment_id
                                  AND nr.service_id = d.service_id AND n.outcome = 'succeeded'
                                  AND n.started_at > d.started_at), 'infinity');

-- Items of the timeline picture: releases captured, deployments (by kind)
-- and incidents, per service (incidents: service '').
CREATE VIEW audit_timeline AS
SELECT d.env, d.service, d.kind AS item, d.version AS label, d.started_at AS start_at,
       d.finished_at AS end_at, d.outcome
  FROM audit_deployments d
UNION ALL
SELECT e.name, '', 'incident', i.severity || ' ' || i.summary, i.opened_at, i.closed_at, i.status
  FROM incidents i JOIN environments e ON e.id = i.environment_id
UNION ALL
SELECT e.name, s.name, 'release', r.version, r.created_at, NULL, ''
  FROM releases r
  JOIN services s ON s.id = r.service_id
  CROSS JOIN environments e
 WHERE EXISTS (SELECT 1 FROM deployments d JOIN releases r2 ON r2.id = d.release_id
                WHERE d.environment_id = e.id AND r2.service_id = s.id);
