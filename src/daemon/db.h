/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_DB_H
#define CELLAD_DB_H

/*
 * cellad's state in SQLite: WAL journal (readers never block the writer and a
 * kill -9 loses nothing committed), foreign keys on, a busy timeout, and a
 * versioned schema brought up to date by migrations at open. Rows come back
 * as jansson objects so callers need no sqlite3 types. Not thread-safe by
 * itself: the daemon serialises access with its own lock.
 */
#include <jansson.h>
#include <stddef.h>

#include <cella/error.h>

struct cellad_db;

/* A bound SQL parameter: DB_TEXT("x"), DB_INT(42), DB_NULL. */
struct cellad_db_arg {
	char type; /* 's' text, 'i' integer, 'n' null */
	const char *text;
	long long integer;
};
#define DB_TEXT(s) ((struct cellad_db_arg){'s', (s), 0})
#define DB_INT(v)  ((struct cellad_db_arg){'i', NULL, (long long)(v)})
#define DB_NULL	   ((struct cellad_db_arg){'n', NULL, 0})
#define DB_ARGS(...)                                 \
	(const struct cellad_db_arg[]){__VA_ARGS__}, \
		sizeof((const struct cellad_db_arg[]){__VA_ARGS__}) / sizeof(struct cellad_db_arg)

/* One schema migration: applied in order, each in the same transaction as its version row. */
struct cellad_db_migration {
	int version;
	const char *sql;
};
/* The daemon's schema (db_schema.c). */
extern const struct cellad_db_migration cellad_db_migrations[];
extern const size_t cellad_db_n_migrations;

/* Opens (creating) path and migrates it to the latest schema version. */
int cellad_db_open(const char *path, struct cellad_db **out, cella_err_t *err);
/* As cellad_db_open with an explicit migration list (unit tests). */
int cellad_db_open_with(const char *path, const struct cellad_db_migration *migrations, size_t n,
			struct cellad_db **out, cella_err_t *err);
void cellad_db_close(struct cellad_db *db);

/* The highest applied migration (0 for an empty database). */
int cellad_db_schema_version(struct cellad_db *db, int *version, cella_err_t *err);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK: a multi-step change is all or nothing. */
int cellad_db_begin(struct cellad_db *db, cella_err_t *err);
int cellad_db_commit(struct cellad_db *db, cella_err_t *err);
void cellad_db_rollback(struct cellad_db *db);

/* Runs one statement; *changes (may be NULL) = rows changed. */
int cellad_db_run(struct cellad_db *db, const char *sql, const struct cellad_db_arg *args, size_t n,
		  long long *changes, cella_err_t *err);
/* Runs a query: *rows = array of objects {column: value} (new reference). */
int cellad_db_query(struct cellad_db *db, const char *sql, const struct cellad_db_arg *args, size_t n,
		    json_t **rows, cella_err_t *err);
/* The first row of a query or NULL (*row new reference or NULL). */
int cellad_db_query_one(struct cellad_db *db, const char *sql, const struct cellad_db_arg *args, size_t n,
			json_t **row, cella_err_t *err);
/* Statements without parameters, several separated by ';' (schema). */
int cellad_db_exec(struct cellad_db *db, const char *sql, cella_err_t *err);

#endif
