// SPDX-License-Identifier: GPL-2.0-or-later
/* cellad's SQLite layer on real files: migrations, reopen, foreign keys, crash mid-transaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <cella/cleanup.h>

#include "db.h"
#include "util.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/cellad-db-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/cella.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;

	cellad_rm_rf(f->dir, &err);
	cella_error_release(&err);
	free(f);
	return 0;
}

static struct cellad_db *open_ok(const char *path)
{
	struct cellad_db *db = NULL;
	cella_err_t err = NULL;

	if (cellad_db_open(path, &db, &err) < 0)
		fail_msg("open: %s", cella_error_string(err));
	return db;
}

static long long count(struct cellad_db *db, const char *sql)
{
	cella_err_t err = NULL;
	json_t *row = NULL;
	long long n;

	if (cellad_db_query_one(db, sql, NULL, 0, &row, &err) < 0)
		fail_msg("query: %s", cella_error_string(err));
	n = json_integer_value(json_object_get(row, "n"));
	json_decref(row);
	return n;
}

static void test_migrate_empty(void **state)
{
	struct fixture *f = *state;
	struct cellad_db *db = open_ok(f->path);
	cella_err_t err = NULL;
	int version = -1;
	json_t *rows = NULL;

	assert_int_equal(cellad_db_schema_version(db, &version, &err), 0);
	assert_int_equal(version, cellad_db_migrations[cellad_db_n_migrations - 1].version);
	/* Every table of v1 exists. */
	assert_int_equal(
		cellad_db_query(
			db,
			"SELECT name FROM sqlite_master WHERE type = 'table' AND name IN "
			"('config','images','image_aliases','instances','id_allocations','operations')",
			NULL, 0, &rows, &err),
		0);
	assert_int_equal(json_array_size(rows), 6);
	json_decref(rows);
	assert_int_equal(cellad_db_query_one(db, "PRAGMA journal_mode", NULL, 0, &rows, &err), 0);
	assert_string_equal(json_string_value(json_object_get(rows, "journal_mode")), "wal");
	json_decref(rows);
	assert_int_equal(count(db, "SELECT foreign_keys AS n FROM pragma_foreign_keys"), 1);
	cellad_db_close(db);
}

static void test_reopen_keeps_data(void **state)
{
	struct fixture *f = *state;
	struct cellad_db *db = open_ok(f->path);
	cella_err_t err = NULL;
	int version = 0;

	assert_int_equal(cellad_db_run(db, "INSERT INTO config (key, value) VALUES (?, ?)",
				       DB_ARGS(DB_TEXT("k"), DB_TEXT("v")), NULL, &err),
			 0);
	cellad_db_close(db);
	db = open_ok(f->path);
	assert_int_equal(count(db, "SELECT count(*) AS n FROM config WHERE key = 'k' AND value = 'v'"), 1);
	/* Migrations ran once: one row per version. */
	assert_int_equal(count(db, "SELECT count(*) AS n FROM schema_migrations"),
			 (long long)cellad_db_n_migrations);
	assert_int_equal(cellad_db_schema_version(db, &version, &err), 0);
	assert_int_equal(version, 3);
	/* v2: a lease goes with its instance. */
	assert_int_equal(cellad_db_run(db,
				       "INSERT INTO instances (id, name, type, state, created_at) "
				       "VALUES (1, 'c1', 'container', 'Stopped', 'now')",
				       NULL, 0, NULL, &err),
			 0);
	assert_int_equal(cellad_db_run(db,
				       "INSERT INTO network_leases (instance_id, network, address) "
				       "VALUES (1, 'cellabr0', '10.118.0.2/24')",
				       NULL, 0, NULL, &err),
			 0);
	assert_int_equal(cellad_db_run(db, "DELETE FROM instances WHERE id = 1", NULL, 0, NULL, &err), 0);
	assert_int_equal(count(db, "SELECT count(*) AS n FROM network_leases"), 0);
	cellad_db_close(db);
}

/* A database made by a cellad of schema v2 is brought to the current one with its rows kept; the
 * instances.devices column (v3) reads '{}' for an instance that existed before it. */
static void test_upgrade_from_v2_keeps_instances(void **state)
{
	struct fixture *f = *state;
	struct cellad_db *db = NULL;
	cella_err_t err = NULL;
	json_t *row = NULL;
	int version = 0;

	assert_int_equal(cellad_db_open_with(f->path, cellad_db_migrations, 2, &db, &err), 0);
	assert_int_equal(cellad_db_run(db,
				       "INSERT INTO instances (name, type, state, config, created_at) VALUES "
				       "('old', 'container', 'Stopped', '{\"limits.cpu\":\"1\"}', 'now')",
				       NULL, 0, NULL, &err),
			 0);
	cellad_db_close(db);
	db = NULL;
	assert_int_equal(cellad_db_open(f->path, &db, &err), 0);
	assert_int_equal(cellad_db_schema_version(db, &version, &err), 0);
	assert_int_equal(version, cellad_db_migrations[cellad_db_n_migrations - 1].version);
	assert_int_equal(cellad_db_query_one(db, "SELECT config, devices FROM instances WHERE name = 'old'",
					     NULL, 0, &row, &err),
			 0);
	assert_non_null(row);
	assert_string_equal(json_string_value(json_object_get(row, "devices")), "{}");
	assert_string_equal(json_string_value(json_object_get(row, "config")), "{\"limits.cpu\":\"1\"}");
	json_decref(row);
	cellad_db_close(db);
}

static void test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	struct cellad_db *db = open_ok(f->path);
	cella_err_t err = NULL;

	assert_int_equal(
		cellad_db_run(db, "INSERT INTO schema_migrations VALUES (999, 'x')", NULL, 0, NULL, &err), 0);
	cellad_db_close(db);
	db = NULL;
	assert_true(cellad_db_open(f->path, &db, &err) < 0);
	assert_null(db);
	assert_non_null(strstr(cella_error_string(err), "schema version 999 is newer"));
	cella_error_release(&err);
}

static void test_failed_migration_rolls_back(void **state)
{
	static const struct cellad_db_migration bad[] = {
		{1, "CREATE TABLE a (x INTEGER)"},
		{2, "CREATE TABLE b (y INTEGER); THIS IS NOT SQL"},
	};
	struct fixture *f = *state;
	struct cellad_db *db = NULL;
	cella_err_t err = NULL;

	assert_true(cellad_db_open_with(f->path, bad, 2, &db, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "schema migration to version 2"));
	cella_error_release(&err);
	/* All migrations share one transaction: not even version 1 is left behind. */
	db = open_ok(f->path);
	assert_int_equal(count(db, "SELECT count(*) AS n FROM sqlite_master WHERE name IN ('a', 'b')"), 0);
	cellad_db_close(db);
}

static void test_foreign_keys_enforced(void **state)
{
	struct fixture *f = *state;
	struct cellad_db *db = open_ok(f->path);
	cella_err_t err = NULL;

	assert_true(cellad_db_run(db, "INSERT INTO image_aliases (name, image_id) VALUES ('x', 12345)", NULL,
				  0, NULL, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "FOREIGN KEY"));
	cella_error_release(&err);
	cellad_db_close(db);
}

static void test_crash_mid_transaction(void **state)
{
	struct fixture *f = *state;
	struct cellad_db *db = open_ok(f->path);
	int status;
	pid_t pid;

	cellad_db_close(db);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		cella_err_t err = NULL;
		struct cellad_db *child = NULL;

		if (cellad_db_open(f->path, &child, &err) < 0 || cellad_db_begin(child, &err) < 0 ||
		    cellad_db_run(child, "INSERT INTO config (key, value) VALUES ('crash', '1')", NULL, 0,
				  NULL, &err) < 0)
			_exit(2);
		_exit(0); /* no commit, no close: as if killed */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	db = open_ok(f->path);
	assert_int_equal(count(db, "SELECT count(*) AS n FROM config WHERE key = 'crash'"), 0);
	/* The lock the dead writer held is gone: a new write succeeds at once. */
	{
		cella_err_t err = NULL;

		assert_int_equal(cellad_db_run(db, "INSERT INTO config (key, value) VALUES ('after', '1')",
					       NULL, 0, NULL, &err),
				 0);
	}
	cellad_db_close(db);
}

static void test_transaction_rollback(void **state)
{
	struct fixture *f = *state;
	struct cellad_db *db = open_ok(f->path);
	cella_err_t err = NULL;

	assert_int_equal(cellad_db_begin(db, &err), 0);
	assert_int_equal(
		cellad_db_run(db, "INSERT INTO config (key, value) VALUES ('t', '1')", NULL, 0, NULL, &err),
		0);
	/* The second step fails (duplicate key): the caller rolls back, the first step is gone too. */
	assert_true(cellad_db_run(db, "INSERT INTO config (key, value) VALUES ('t', '2')", NULL, 0, NULL,
				  &err) < 0);
	cella_error_release(&err);
	cellad_db_rollback(db);
	assert_int_equal(count(db, "SELECT count(*) AS n FROM config WHERE key = 't'"), 0);
	cellad_db_close(db);
}

static void test_not_a_database(void **state)
{
	struct fixture *f = *state;
	struct cellad_db *db = NULL;
	cella_err_t err = NULL;

	static const char junk[] =
		"this is not an SQLite database, only text long enough to have a header page\n";

	assert_int_equal(cellad_write_file(f->path, junk, strlen(junk), 0600, &err), 0);
	assert_true(cellad_db_open(f->path, &db, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), f->path));
	cella_error_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_v2_keeps_instances, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_migration_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_keys_enforced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_mid_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transaction_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
	};

	return cmocka_run_group_tests_name("daemon-db", tests, NULL, NULL);
}
