// SPDX-License-Identifier: GPL-2.0-or-later
/* state.json: round trip, runc's public JSON, status derivation, atomic write, directory lifecycle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "core/state.h"
#include "core/util.h"

static struct cella_state *sample(void)
{
	struct cella_state *st = calloc(1, sizeof(*st));

	st->id = strdup("c1");
	st->bundle = strdup("/b");
	st->rootfs = strdup("/b/rootfs");
	st->created = strdup("2024-01-01T00:00:00.000000000Z");
	st->owner = strdup("root");
	st->pid = getpid();
	st->start_time = cella_rt_proc_start_time(getpid());
	st->annotations = json_pack("{s:s}", "k", "v");
	st->config = json_pack("{s:s}", "ociVersion", "1.2.0");
	return st;
}

static void test_public_json(void **state)
{
	struct cella_state *st = sample();
	json_t *doc = cella_state_public_json(st, CELLA_STATUS_RUNNING);
	const char *keys[] = {"ociVersion", "id",      "pid",	"status",     "bundle",
			      "rootfs",	    "created", "owner", "annotations"};

	assert_int_equal(json_object_size(doc), sizeof(keys) / sizeof(keys[0]));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_non_null(json_object_get(doc, keys[i]));
	assert_string_equal(json_string_value(json_object_get(doc, "status")), "running");
	assert_int_equal(json_integer_value(json_object_get(doc, "pid")), getpid());
	json_decref(doc);
	doc = cella_state_public_json(st, CELLA_STATUS_STOPPED);
	assert_int_equal(json_integer_value(json_object_get(doc, "pid")), 0);
	json_decref(doc);
	cella_state_free(st);
}

static void test_round_trip_and_status(void **state)
{
	char root[] = "/tmp/cella-state-test.XXXXXX";
	struct cella_state *st = sample(), *back = NULL;
	_cleanup_close_ int dir = -1;
	cella_err_t err = NULL;

	assert_non_null(mkdtemp(root));
	assert_int_equal(cella_state_dir_open(root, "c1", true, true, &dir, &err), 0);
	/* A second create of the same id is refused with runc's message. */
	{
		int other = -1;

		assert_true(cella_state_dir_open(root, "c1", true, true, &other, &err) < 0);
		assert_non_null(strstr(cella_error_string(err), "container with id exists: c1"));
		cella_error_release(&err);
	}
	assert_true(cella_state_read(dir, "c1", &back, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "still being created"));
	cella_error_release(&err);

	assert_int_equal(cella_state_write(dir, st, &err), 0);
	assert_int_equal(cella_state_read(dir, "c1", &back, &err), 0);
	assert_string_equal(back->bundle, "/b");
	assert_int_equal(back->pid, getpid());
	assert_int_equal(back->start_time, st->start_time);
	assert_string_equal(json_string_value(json_object_get(back->annotations, "k")), "v");
	assert_non_null(back->config);
	/* This process lives and there is no fifo: running; with a fifo: created; paused flag: paused. */
	assert_int_equal(cella_state_status(back, dir), CELLA_STATUS_RUNNING);
	assert_int_equal(mkfifoat(dir, CELLA_EXEC_FIFO, 0600), 0);
	assert_int_equal(cella_state_status(back, dir), CELLA_STATUS_CREATED);
	unlinkat(dir, CELLA_EXEC_FIFO, 0);
	back->paused = true;
	assert_int_equal(cella_state_status(back, dir), CELLA_STATUS_PAUSED);
	/* A reused pid (different start time) reads as stopped. */
	back->start_time += 1;
	assert_int_equal(cella_state_status(back, dir), CELLA_STATUS_STOPPED);
	/* No temp file is left after the atomic write. */
	assert_int_equal(faccessat(dir, ".state.json.tmp", F_OK, 0), -1);

	assert_int_equal(cella_state_dir_remove(root, "c1", &err), 0);
	assert_true(cella_state_dir_open(root, "c1", false, false, &(int){-1}, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "does not exist"));
	cella_error_release(&err);
	assert_int_equal(rmdir(root), 0);
	cella_state_free(st);
	cella_state_free(back);
}

static void test_corrupt(void **state)
{
	json_t *doc = json_pack("{s:s}", "id", "c1");
	struct cella_state *st = NULL;
	cella_err_t err = NULL;

	assert_true(cella_state_from_json(doc, "c1", &st, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "corrupt"));
	cella_error_release(&err);
	json_decref(doc);
}

static void test_hook_json(void **state)
{
	struct cella_state *st = sample();
	char *text = cella_state_hook_json(st, CELLA_STATUS_STOPPED);
	json_t *doc = json_loads(text, 0, NULL);

	assert_int_equal(json_integer_value(json_object_get(doc, "pid")), getpid());
	assert_string_equal(json_string_value(json_object_get(doc, "status")), "stopped");
	assert_string_equal(json_string_value(json_object_get(doc, "bundle")), "/b");
	json_decref(doc);
	free(text);
	cella_state_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_public_json),
		cmocka_unit_test(test_round_trip_and_status),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_hook_json),
	};

	return cmocka_run_group_tests_name("runtime-state", tests, NULL, NULL);
}
