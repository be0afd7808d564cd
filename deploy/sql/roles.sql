-- roles.sql — PostgreSQL roles for Rewind (docs/audit.md, "Roles").
--
-- Three roles, none of them superuser:
--   rewind_owner    owns the schema; applies migrations (rewindd --migrate-only)
--   rewind_app      what rewindd runs as: reads and writes the history, but may
--                   only INSERT and SELECT the audit ledger (audit_log,
--                   audit_heads), owns nothing (so it cannot disable triggers),
--                   and cannot record migrations
--   rewind_auditor  read-only: the audit views and the history tables, never
--                   environment_databases (it holds database passwords)
--
-- Run as a superuser (or the schema owner) in Rewind's database, once after
-- creating the database and again after every upgrade (it is idempotent):
--   psql -v ON_ERROR_STOP=1 -d rewind -f deploy/sql/roles.sql
-- Passwords or certificate authentication are set separately (pg_hba.conf,
-- ALTER ROLE ... PASSWORD); this file grants nothing to PUBLIC.

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rewind_owner') THEN
		CREATE ROLE rewind_owner LOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rewind_app') THEN
		CREATE ROLE rewind_app LOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rewind_auditor') THEN
		CREATE ROLE rewind_auditor LOGIN;
	END IF;
END
$$;

ALTER ROLE rewind_owner NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS;
ALTER ROLE rewind_app NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS;
ALTER ROLE rewind_auditor NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS;
-- Auditors' sessions cannot write even by mistake.
ALTER ROLE rewind_auditor SET default_transaction_read_only = on;

GRANT USAGE, CREATE ON SCHEMA public TO rewind_owner;
GRANT USAGE ON SCHEMA public TO rewind_app, rewind_auditor;
REVOKE CREATE ON SCHEMA public FROM rewind_app, rewind_auditor;

-- The application: everything but changing the ledger or the migration record.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO rewind_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO rewind_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, audit_heads FROM rewind_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM rewind_app;
REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM rewind_app;

-- Auditors: the views of docs/audit.md, and the tables the query functions
-- (audit_what_ran, audit_dora) read with the caller's rights.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM rewind_auditor;
GRANT SELECT ON audit_events, audit_deployments, audit_rollbacks, audit_change_failures,
	audit_release_life, audit_timeline TO rewind_auditor;
GRANT SELECT ON audit_log, audit_heads, environments, services, releases, artifacts,
	deployments, incidents, backups TO rewind_auditor;
