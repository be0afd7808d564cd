-- 0007: operations outlive the rewindd running them (docs/coordination.md,
-- "When rewindd dies").  A runner claims an operation with a fencing token
-- (claims, bumped by every claim) and names the PostgreSQL backend of its
-- connection: when that backend is gone, its rewindd is gone, and any other
-- runner resumes the operation where the rows say it stopped.  Writes that
-- must happen once (the set-image action of a step, the outcome) check the
-- token in the same transaction.
ALTER TABLE operations
	ADD COLUMN claims integer NOT NULL DEFAULT 0,
	ADD COLUMN owner_pid integer,
	ADD COLUMN owner_backend_start timestamptz,
	-- config-set / config-revert: the patch-configmap action, created once
	ADD COLUMN action_id bigint REFERENCES actions (id) ON DELETE RESTRICT;

CREATE INDEX operations_running ON operations (id) WHERE state = 'running';
