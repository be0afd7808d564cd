-- 0002_artifacts — release artifacts you can trust (issue 5): the migration
-- decision of a release, artifact verification outcomes, the application
-- database of an environment (for backups) and backup verification outcomes.
--
-- Same conventions as 0001: byte bounds as CHECK constraints named *_len,
-- '' for optional text, RESTRICT foreign keys.  Never edit once released.

-- Are this release's migrations backwards compatible?  '' = not stated.
ALTER TABLE releases
	ADD COLUMN migrations_compat text NOT NULL DEFAULT '',
	ADD CONSTRAINT releases_migrations_compat_check
		CHECK (migrations_compat IN ('', 'yes', 'no'));

-- verify_outcome is the last re-hash: none (never), ok, mismatch, missing.
-- verified stays true only for ok; verified_at/verified_by say who checked last.
ALTER TABLE artifacts
	ADD COLUMN name text NOT NULL DEFAULT '',
	ADD COLUMN created_by text NOT NULL DEFAULT '',
	ADD COLUMN verify_outcome text NOT NULL DEFAULT 'none',
	ADD CONSTRAINT artifacts_name_len CHECK (octet_length(name) <= 200),
	ADD CONSTRAINT artifacts_created_by_len CHECK (octet_length(created_by) <= 128),
	ADD CONSTRAINT artifacts_verify_outcome_check
		CHECK (verify_outcome IN ('none', 'ok', 'mismatch', 'missing')),
	ADD CONSTRAINT artifacts_verified_outcome CHECK (verified = (verify_outcome = 'ok')),
	-- One archive of each kind per release: a second one is a new release.
	ADD CONSTRAINT artifacts_release_kind_key UNIQUE (release_id, kind);

-- The application database whose backups Rewind takes and verifies.  db_url
-- may contain a password: rewindd never returns it, logs it or audits it
-- (docs/artifacts.md, "Secrets").  sanity_sql is a JSON array of queries that
-- must each succeed and return a row on a restored copy.
CREATE TABLE environment_databases (
	environment_id bigint PRIMARY KEY REFERENCES environments (id) ON DELETE RESTRICT,
	db_url         text NOT NULL,
	sanity_sql     jsonb NOT NULL DEFAULT '[]',
	updated_at     timestamptz NOT NULL DEFAULT now(),
	updated_by     text NOT NULL,
	CONSTRAINT environment_databases_db_url_len CHECK (octet_length(db_url) <= 1024),
	CONSTRAINT environment_databases_db_url_set CHECK (db_url <> ''),
	CONSTRAINT environment_databases_sanity_array CHECK (jsonb_typeof(sanity_sql) = 'array'),
	CONSTRAINT environment_databases_sanity_len CHECK (octet_length(sanity_sql::text) <= 12000),
	CONSTRAINT environment_databases_updated_by_len CHECK (octet_length(updated_by) <= 128)
);

-- verify_outcome: none (never verified), ok (restored and sane), failed.
ALTER TABLE backups
	ADD COLUMN taken_by text NOT NULL DEFAULT '',
	ADD COLUMN verify_outcome text NOT NULL DEFAULT 'none',
	ADD CONSTRAINT backups_taken_by_len CHECK (octet_length(taken_by) <= 128),
	ADD CONSTRAINT backups_verify_outcome_check
		CHECK (verify_outcome IN ('none', 'ok', 'failed')),
	ADD CONSTRAINT backups_verified_outcome CHECK (verified = (verify_outcome = 'ok'));

-- "Latest verified backup of production" (rollback gate, backup list).
CREATE INDEX backups_env_verified_idx ON backups (environment_id, taken_at DESC, id DESC)
	WHERE verified;
