-- gen_events.sql — audit events lo..hi (psql -v lo=1 -v hi=1000000), one
-- every 9 s from 2023-01-01, chained by the real trigger (one statement, one
-- transaction per chunk).  Actions cycle through the kinds the queries filter.
\set ON_ERROR_STOP on
INSERT INTO audit_log (at, actor, role, action, target, detail, reason, incident_id, digests)
SELECT timestamptz '2023-01-01 00:00Z' + g * interval '9 seconds', 'user' || (g % 200),
       (ARRAY['operator', 'admin', 'agent'])[1 + g % 3],
       (ARRAY['release.record', 'deploy.start', 'deploy.finish', 'rollback.start',
              'action.expired', 'artifact.add', 'backup.run', 'hotfix.start'])[1 + g % 8],
       'release/svc-' || lpad((1 + g % 1000)::text, 4, '0') || '/v' || g, '{}',
       CASE WHEN g % 8 = 3 THEN 'bench rollback' ELSE '' END,
       NULL, CASE WHEN g % 8 = 0 THEN 'sha256:' || md5(g::text) ELSE '' END
  FROM generate_series(:lo, :hi) g;
