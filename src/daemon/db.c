// SPDX-License-Identifier: GPL-2.0-or-later
/* SQLite access: open + pragmas + migrations, statements with bound arguments, transactions. */
#include "db.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "util.h"

/* How long a statement waits for another connection's lock (another cellad, a sqlite3 shell). */
#define BUSY_TIMEOUT_MS 5000

struct cellad_db {
	sqlite3 *handle;
	char *path;
};

static int db_error(struct cellad_db *db, cella_err_t *err, const char *what)
{
	return cella_error_make(err, 0, "database '%s': %s: %s", db->path, what, sqlite3_errmsg(db->handle));
}

int cellad_db_exec(struct cellad_db *db, const char *sql, cella_err_t *err)
{
	char *msg = NULL;

	if (sqlite3_exec(db->handle, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int ret = cella_error_make(err, 0, "database '%s': %s", db->path,
					   msg ? msg : sqlite3_errmsg(db->handle));

		sqlite3_free(msg);
		return ret;
	}
	return 0;
}

int cellad_db_begin(struct cellad_db *db, cella_err_t *err)
{
	/* IMMEDIATE takes the write lock now: no deadlock upgrading from a read later. */
	return cellad_db_exec(db, "BEGIN IMMEDIATE", err);
}

int cellad_db_commit(struct cellad_db *db, cella_err_t *err)
{
	if (cellad_db_exec(db, "COMMIT", err) < 0) {
		cellad_db_rollback(db);
		return -1;
	}
	return 0;
}

void cellad_db_rollback(struct cellad_db *db)
{
	if (!sqlite3_get_autocommit(db->handle))
		sqlite3_exec(db->handle, "ROLLBACK", NULL, NULL, NULL);
}

static int prepare(struct cellad_db *db, const char *sql, const struct cellad_db_arg *args, size_t n,
		   sqlite3_stmt **out, cella_err_t *err)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(db->handle, sql, -1, &stmt, NULL) != SQLITE_OK)
		return db_error(db, err, "prepare");
	for (size_t i = 0; i < n; i++) {
		int rc, col = (int)i + 1;

		switch (args[i].type) {
		case 's':
			rc = args[i].text ? sqlite3_bind_text(stmt, col, args[i].text, -1, SQLITE_TRANSIENT)
					  : sqlite3_bind_null(stmt, col);
			break;
		case 'i':
			rc = sqlite3_bind_int64(stmt, col, args[i].integer);
			break;
		default:
			rc = sqlite3_bind_null(stmt, col);
			break;
		}
		if (rc != SQLITE_OK) {
			db_error(db, err, "bind");
			sqlite3_finalize(stmt);
			return -1;
		}
	}
	*out = stmt;
	return 0;
}

int cellad_db_run(struct cellad_db *db, const char *sql, const struct cellad_db_arg *args, size_t n,
		  long long *changes, cella_err_t *err)
{
	sqlite3_stmt *stmt;
	int rc;

	if (prepare(db, sql, args, n, &stmt, err) < 0)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		db_error(db, err, "write");
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	if (changes)
		*changes = sqlite3_changes64(db->handle);
	return 0;
}

static json_t *column_json(sqlite3_stmt *stmt, int col)
{
	switch (sqlite3_column_type(stmt, col)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(stmt, col));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(stmt, col));
	case SQLITE_NULL:
		return json_null();
	default:
		return json_stringn((const char *)sqlite3_column_text(stmt, col),
				    (size_t)sqlite3_column_bytes(stmt, col));
	}
}

int cellad_db_query(struct cellad_db *db, const char *sql, const struct cellad_db_arg *args, size_t n,
		    json_t **rows, cella_err_t *err)
{
	sqlite3_stmt *stmt;
	json_t *out = json_array();
	int rc;

	if (out == NULL)
		return cella_error_make(err, ENOMEM, "database query");
	if (prepare(db, sql, args, n, &stmt, err) < 0) {
		json_decref(out);
		return -1;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		json_t *row = json_object();

		for (int c = 0; c < sqlite3_column_count(stmt); c++)
			json_object_set_new(row, sqlite3_column_name(stmt, c), column_json(stmt, c));
		json_array_append_new(out, row);
	}
	if (rc != SQLITE_DONE) {
		db_error(db, err, "read");
		sqlite3_finalize(stmt);
		json_decref(out);
		return -1;
	}
	sqlite3_finalize(stmt);
	*rows = out;
	return 0;
}

int cellad_db_query_one(struct cellad_db *db, const char *sql, const struct cellad_db_arg *args, size_t n,
			json_t **row, cella_err_t *err)
{
	json_t *rows;

	if (cellad_db_query(db, sql, args, n, &rows, err) < 0)
		return -1;
	*row = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	return 0;
}

int cellad_db_schema_version(struct cellad_db *db, int *version, cella_err_t *err)
{
	json_t *row;

	if (cellad_db_query_one(db, "SELECT coalesce(max(version), 0) AS v FROM schema_migrations", NULL, 0,
				&row, err) < 0)
		return -1;
	*version = (int)json_integer_value(json_object_get(row, "v"));
	json_decref(row);
	return 0;
}

static int migrate(struct cellad_db *db, const struct cellad_db_migration *migrations, size_t n,
		   cella_err_t *err)
{
	int current, latest = n ? migrations[n - 1].version : 0;

	if (cellad_db_exec(db,
			   "CREATE TABLE IF NOT EXISTS schema_migrations ("
			   "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
			   err) < 0)
		return -1;
	if (cellad_db_begin(db, err) < 0)
		return -1;
	if (cellad_db_schema_version(db, &current, err) < 0)
		goto fail;
	if (current > latest) {
		cella_error_make(err, 0,
				 "database '%s': schema version %d is newer than this cellad knows (%d): "
				 "refusing to touch it",
				 db->path, current, latest);
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *now = NULL;

		if (migrations[i].version <= current)
			continue;
		now = cellad_now_rfc3339();
		if (cellad_db_exec(db, migrations[i].sql, err) < 0 ||
		    cellad_db_run(db, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
				  DB_ARGS(DB_INT(migrations[i].version), DB_TEXT(now)), NULL, err) < 0) {
			cella_error_wrap(err, "schema migration to version %d", migrations[i].version);
			goto fail;
		}
	}
	return cellad_db_commit(db, err);
fail:
	cellad_db_rollback(db);
	return -1;
}

int cellad_db_open_with(const char *path, const struct cellad_db_migration *migrations, size_t n,
			struct cellad_db **out, cella_err_t *err)
{
	struct cellad_db *db = calloc(1, sizeof(*db));
	json_t *row = NULL;
	const char *mode;

	if (db == NULL || (db->path = strdup(path)) == NULL) {
		free(db);
		return cella_error_make(err, ENOMEM, "database '%s'", path);
	}
	if (sqlite3_open_v2(path, &db->handle,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX |
				    SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		if (db->handle == NULL)
			cella_error_make(err, ENOMEM, "database '%s': open", path);
		else
			db_error(db, err, "open");
		goto fail;
	}
	sqlite3_busy_timeout(db->handle, BUSY_TIMEOUT_MS);
	/* journal_mode answers with the mode in effect: anything but wal means WAL was refused. */
	if (cellad_db_query_one(db, "PRAGMA journal_mode=WAL", NULL, 0, &row, err) < 0)
		goto fail;
	mode = json_string_value(json_object_get(row, "journal_mode"));
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		cella_error_make(err, 0, "database '%s': cannot switch to WAL journal mode (got '%s')", path,
				 mode ? mode : "?");
		goto fail;
	}
	if (cellad_db_exec(db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL", err) < 0 ||
	    migrate(db, migrations, n, err) < 0)
		goto fail;
	json_decref(row);
	*out = db;
	return 0;
fail:
	json_decref(row);
	cellad_db_close(db);
	return -1;
}

int cellad_db_open(const char *path, struct cellad_db **out, cella_err_t *err)
{
	return cellad_db_open_with(path, cellad_db_migrations, cellad_db_n_migrations, out, err);
}

void cellad_db_close(struct cellad_db *db)
{
	if (db == NULL)
		return;
	sqlite3_close_v2(db->handle);
	free(db->path);
	free(db);
}
