/*
 * store_migrations — the SQL migrations embedded at build time from
 * server/store/migrations/NNNN_name.sql (see embed_migrations.cmake).  Sorted by
 * version; versions are never reused or edited once released.
 */
#ifndef REWIND_STORE_MIGRATIONS_H
#define REWIND_STORE_MIGRATIONS_H

struct store_migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct store_migration store_migrations[];
extern const unsigned store_migrations_count;

#endif
