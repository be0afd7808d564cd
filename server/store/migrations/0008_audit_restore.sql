-- 0008: audit queries over a large history (docs/performance.md, 1M
-- releases / 10M events).
--
-- Change failures find their recovery through an index.  The
-- recovery of a failed change is the next successful deployment of the same
-- service in the same environment; 0006 found it through releases (walking
-- every service's successes in the environment from the failure on: minutes
-- for `audit dora` over 1M releases).  deployments.service_id (0005) and
-- this index make it one index probe per failure.  Same columns, same answers.
CREATE INDEX IF NOT EXISTS deployments_restore_idx ON deployments (environment_id, service_id, started_at, id)
	WHERE outcome = 'succeeded';

CREATE OR REPLACE VIEW audit_change_failures AS
SELECT f.id, f.service, f.env, f.environment_id, f.version, f.started_at,
       f.failed_at,
       (SELECT n.finished_at FROM deployments n
         WHERE n.environment_id = f.environment_id AND n.service_id = f.service_id
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

-- The timeline asks which deployments overlap a window (finished after its
-- start, or not finished); the release items of a service are shown when
-- the service was ever deployed to the environment: one probe of
-- deployments_env_service_idx per service instead of a join of every
-- deployment with its release (3.4 s at 1M).
CREATE INDEX IF NOT EXISTS deployments_env_finished_idx ON deployments (environment_id, finished_at);
CREATE OR REPLACE VIEW audit_timeline AS
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
 WHERE EXISTS (SELECT 1 FROM deployments d
                WHERE d.environment_id = e.id AND d.service_id = s.id);
