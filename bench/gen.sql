-- gen.sql — a large release history for timing the audit queries
-- (docs/performance.md).  Run on an empty, migrated database:
--   psql -v releases=1000000 -v services=1000 -f bench/gen.sql
-- Audit events are generated separately by bench/audit_queries.sh in chunks (gen_events.sql),
-- through the real chain trigger.
--
-- Shape: services round-robin; one release every 90 s from 2023-01-01;
-- each deployed to bench-prod an hour after capture (5 min rollout); 1 in 50
-- fails, 1 in 50 is rolled back mid-rollout (with a rollback deployment of
-- the service's previous release), 1 in 97 is a hotfix; one incident per
-- 500 releases.
\set ON_ERROR_STOP on
\if :{?releases}
\else
\set releases 1000000
\endif
\if :{?services}
\else
\set services 1000
\endif

BEGIN;
INSERT INTO environments (name, cluster) VALUES ('bench-prod', 'prod'), ('bench-staging', 'stg');
INSERT INTO services (id, name, namespace, deployment, container, image_repo)
SELECT g, 'svc-' || lpad(g::text, 4, '0'), 'default', 'svc-' || g, 'svc-' || g,
       'ghcr.io/bench/svc-' || g
  FROM generate_series(1, :services) g;
SELECT setval('services_id_seq', :services);

INSERT INTO releases (id, service_id, version, image_ref, digest, created_by, created_at)
SELECT g, 1 + g % :services, 'v' || g, 'ghcr.io/bench/svc-' || (1 + g % :services) || ':v' || g,
       'sha256:' || encode(sha256(g::text::bytea), 'hex'), 'bench',
       timestamptz '2023-01-01 00:00Z' + g * interval '90 seconds'
  FROM generate_series(1, :releases) g;
SELECT setval('releases_id_seq', :releases);

INSERT INTO deployments (id, release_id, service_id, environment_id, started_at, finished_at, outcome,
                         known_good, actor, kind)
SELECT r.id, r.id, r.service_id, e.id, r.created_at + interval '1 hour', r.created_at + interval '65 minutes',
       CASE WHEN r.id % 50 = 0 THEN 'failed' WHEN r.id % 50 = 1 THEN 'rolled-back'
            ELSE 'succeeded' END,
       r.id % 50 > 1, 'bench', CASE WHEN r.id % 97 = 0 THEN 'hotfix' ELSE 'deploy' END
  FROM releases r, environments e
 WHERE e.name = 'bench-prod';

INSERT INTO deployments (id, release_id, service_id, environment_id, started_at, finished_at,
                         outcome, known_good, actor, kind, reason, decision, replaces_id)
SELECT :releases + d.id, d.release_id - :services, d.service_id, d.environment_id,
       d.started_at + interval '3 minutes', d.started_at + interval '6 minutes', 'succeeded',
       true, 'bench', 'rollback', 'bench: health check failed', 'production down: roll back', d.id
  FROM deployments d
 WHERE d.outcome = 'rolled-back' AND d.release_id > :services;
SELECT setval('deployments_id_seq', (SELECT max(id) FROM deployments));

INSERT INTO incidents (environment_id, severity, coordinator, status, opened_at, closed_at, summary)
SELECT e.id, 'sev3', 'bench', 'closed',
       timestamptz '2023-01-01 00:00Z' + (g * 500 + 1) * interval '90 seconds' + interval '62 minutes',
       timestamptz '2023-01-01 00:00Z' + (g * 500 + 1) * interval '90 seconds' + interval '80 minutes',
       'bench incident ' || g
  FROM generate_series(1, :releases / 500) g, environments e
 WHERE e.name = 'bench-prod';
COMMIT;
ANALYZE;
