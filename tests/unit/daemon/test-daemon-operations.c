// SPDX-License-Identifier: GPL-2.0-or-later
/* Operations on a real database: queue order, Success/Failure rows, progress metadata, and the
 * start-up recovery of work a killed cellad left behind. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "operations.h"
#include "util.h"

struct fixture {
	char dir[64];
	struct cellad d;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char root[128];
	cella_err_t err = NULL;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/cellad-ops-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(root, sizeof(root), "%s/root", f->dir);
	if (cellad_init(&f->d, root, "/nonexistent/s.sock", &err) < 0) {
		fprintf(stderr, "setup: %s\n", cella_error_string(err));
		cella_error_release(&err);
		cellad_fini(&f->d);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;

	cellad_fini(&f->d);
	cellad_rm_rf(f->dir, &err);
	cella_error_release(&err);
	free(f);
	return 0;
}

static char order[8];
static size_t n_order;

static int op_ok(struct cellad *d, struct cellad_op *op, cella_err_t *err)
{
	order[n_order++] = 'a';
	cellad_op_set_metadata(d, op, json_pack("{s:{s:i}}", "progress", "percent", 50));
	return 0;
}

static int op_fail(struct cellad *d, struct cellad_op *op, cella_err_t *err)
{
	order[n_order++] = 'b';
	return cella_error_make(err, 0, "it went wrong: %s",
				json_string_value(json_object_get(op->args, "why")));
}

/* Waits (bounded, 10 s) for the operation to finish; returns its object. */
static json_t *wait_done(struct cellad *d, const char *id)
{
	long long deadline = cellad_now_ms() + 10000;
	json_t *op = NULL;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		struct timespec ts;

		json_decref(op);
		op = cellad_op_json_locked(d, id);
		if (op == NULL || cellad_op_done(op) || cellad_now_ms() > deadline)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&d->changed, &d->lock, &ts);
	}
	pthread_mutex_unlock(&d->lock);
	return op;
}

static void test_queue(void **state)
{
	struct fixture *f = *state;
	struct cellad *d = &f->d;
	json_t *a = NULL, *b = NULL, *done;
	cella_err_t err = NULL;
	char id_a[37], id_b[37];
	pthread_t worker;

	n_order = 0;
	pthread_mutex_lock(&d->lock);
	assert_int_equal(cellad_op_submit_locked(d, "first", json_pack("{s:[]}", "instances"), json_object(),
						 op_ok, &a, &err),
			 0);
	assert_int_equal(cellad_op_submit_locked(d, "second", json_pack("{s:[]}", "instances"),
						 json_pack("{s:s}", "why", "on purpose"), op_fail, &b, &err),
			 0);
	pthread_mutex_unlock(&d->lock);
	/* Queued, not yet run: Pending (105). */
	assert_string_equal(json_string_value(json_object_get(a, "status")), "Pending");
	assert_int_equal(json_integer_value(json_object_get(a, "status_code")), 105);
	assert_false(cellad_op_done(a));
	snprintf(id_a, sizeof(id_a), "%s", json_string_value(json_object_get(a, "id")));
	snprintf(id_b, sizeof(id_b), "%s", json_string_value(json_object_get(b, "id")));
	json_decref(a);
	json_decref(b);

	assert_int_equal(cellad_worker_start(d, &worker, &err), 0);
	done = wait_done(d, id_a);
	assert_string_equal(json_string_value(json_object_get(done, "status")), "Success");
	assert_int_equal(json_integer_value(json_object_get(done, "status_code")), 200);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_object_get(done, "metadata"), "progress"), "percent")),
			 50);
	json_decref(done);
	done = wait_done(d, id_b);
	assert_string_equal(json_string_value(json_object_get(done, "status")), "Failure");
	assert_int_equal(json_integer_value(json_object_get(done, "status_code")), 400);
	assert_string_equal(json_string_value(json_object_get(done, "err")), "it went wrong: on purpose");
	json_decref(done);
	cellad_worker_stop(d, worker);
	assert_int_equal(n_order, 2);
	assert_memory_equal(order, "ab", 2); /* submission order */
	pthread_mutex_lock(&d->lock);
	assert_null(cellad_op_json_locked(d, "no-such-operation"));
	pthread_mutex_unlock(&d->lock);
}

static void test_recovery(void **state)
{
	struct fixture *f = *state;
	struct cellad *d = &f->d;
	cella_err_t err = NULL;
	json_t *op, *rows = NULL;
	char path[256];

	/* What a cellad killed mid-way leaves: a running operation, a half-created instance and its
	 * directory, an image staging directory. */
	assert_int_equal(
		cellad_db_run(
			d->db,
			"INSERT INTO operations (id, class, description, status, created_at, updated_at) "
			"VALUES ('op1', 'task', 'x', 'Running', 't', 't')",
			NULL, 0, NULL, &err),
		0);
	assert_int_equal(
		cellad_db_run(d->db,
			      "INSERT INTO instances (name, type, state, created_at) VALUES ('half', "
			      "'container', 'Creating', 't'), ('idle', 'container', 'Stopped', 't')",
			      NULL, 0, NULL, &err),
		0);
	snprintf(path, sizeof(path), "%s/half/upper", d->instances_dir);
	assert_int_equal(cellad_mkdir_p(path, 0755, &err), 0);
	snprintf(path, sizeof(path), "%s/.import-op1/rootfs/etc", d->images_dir);
	assert_int_equal(cellad_mkdir_p(path, 0755, &err), 0);
	/* An image renamed into place whose row was never committed, and a kept one. */
	snprintf(path, sizeof(path), "%s/%064d/rootfs", d->images_dir, 1);
	assert_int_equal(cellad_mkdir_p(path, 0755, &err), 0);
	snprintf(path, sizeof(path), "%s/%064d/rootfs", d->images_dir, 2);
	assert_int_equal(cellad_mkdir_p(path, 0755, &err), 0);
	assert_int_equal(
		cellad_db_run(d->db,
			      "INSERT INTO images (fingerprint, created_at) VALUES (printf('%064d', 2), 't')",
			      NULL, 0, NULL, &err),
		0);
	snprintf(path, sizeof(path), "%s/upload-abc", d->tmp_dir);
	assert_int_equal(cellad_write_file(path, "x", 1, 0600, &err), 0);

	if (cellad_reattach(d, &err) < 0)
		fail_msg("%s", cella_error_string(err));
	pthread_mutex_lock(&d->lock);
	op = cellad_op_json_locked(d, "op1");
	pthread_mutex_unlock(&d->lock);
	assert_string_equal(json_string_value(json_object_get(op, "status")), "Failure");
	assert_non_null(strstr(json_string_value(json_object_get(op, "err")), "interrupted"));
	json_decref(op);
	assert_int_equal(cellad_db_query(d->db, "SELECT name, state FROM instances", NULL, 0, &rows, &err),
			 0);
	assert_int_equal(json_array_size(rows), 1); /* the half-made one is gone, the stopped one kept */
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "name")), "idle");
	json_decref(rows);
	snprintf(path, sizeof(path), "%s/half", d->instances_dir);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/.import-op1", d->images_dir);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/%064d", d->images_dir, 1);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/%064d/rootfs", d->images_dir, 2);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/upload-abc", d->tmp_dir);
	assert_int_not_equal(access(path, F_OK), 0);
}

static void test_second_daemon_refused(void **state)
{
	struct fixture *f = *state;
	struct cellad other;
	cella_err_t err = NULL;

	assert_true(cellad_init(&other, f->d.root, "/nonexistent/t.sock", &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "another cellad is already running"));
	cella_error_release(&err);
	cellad_fini(&other);
}

static void test_bad_root(void **state)
{
	struct cellad d;
	cella_err_t err = NULL;

	assert_true(cellad_init(&d, "relative", "/x.sock", &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "--root 'relative': expected an absolute path"));
	cella_error_release(&err);
	cellad_fini(&d);
	assert_true(cellad_init(&d, "/tmp/a,b", "/x.sock", &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "may not contain ','"));
	cella_error_release(&err);
	cellad_fini(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_daemon_refused, setup, teardown),
		cmocka_unit_test(test_bad_root),
	};

	return cmocka_run_group_tests_name("daemon-operations", tests, NULL, NULL);
}
