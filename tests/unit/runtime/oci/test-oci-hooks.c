// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for runtime-spec hooks: validation messages, order, stdin, env, fds, failures, timeouts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cella/cleanup.h>
#include <cella/error.h>

#include "oci/hooks.h"

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/cella-hooks.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd = NULL;

	if (asprintf(&cmd, "rm -rf '%s'", f->dir) >= 0 && system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", f->dir);
	free(cmd);
	free(f);
	return 0;
}

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_ALLOW_NUL, &jerr);

	if (v == NULL)
		fail_msg("bad test JSON: %s: %s", jerr.text, text);
	return v;
}

/* {"prestart":[{"path":"/bin/sh","args":["sh","-c",SCRIPT]}]} with optional extra members. */
static json_t *sh_hook(const char *script, const char *extra)
{
	json_t *h = json_pack("{s:s, s:[sss]}", "path", "/bin/sh", "args", "sh", "-c", script);

	if (extra) {
		json_t *more = parse(extra);

		json_object_update(h, more);
		json_decref(more);
	}
	return h;
}

static json_t *hooks_of(const char *kind, json_t *list)
{
	return json_pack("{s:o}", kind, list);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "re");
	char *buf = NULL;
	size_t size = 0;

	if (fp == NULL)
		return NULL;
	if (getdelim(&buf, &size, '\0', fp) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(fp);
	return buf;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void expect_invalid(const char *hooks_json, const char *message)
{
	_cleanup_error_ cella_err_t err = NULL;
	json_t *hooks = parse(hooks_json);

	assert_true(cella_hooks_validate(hooks, &err) < 0);
	assert_string_equal(cella_error_string(err), message);
	json_decref(hooks);
}

static void test_validate_accepts_good_and_empty(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	json_t *good = parse("{\"prestart\":[{\"path\":\"/bin/true\",\"args\":[\"true\"],\"env\":[\"A=1\"],"
			     "\"timeout\":5}],\"poststop\":[],\"unknownKind\":42}");

	assert_int_equal(cella_hooks_validate(NULL, &err), 0);
	assert_int_equal(cella_hooks_validate(json_null(), &err), 0);
	assert_int_equal(cella_hooks_validate(good, &err), 0);
	assert_null(err);
	json_decref(good);
}

static void test_validate_names_the_field(void **state)
{
	expect_invalid("[]", "config.json: hooks: must be an object");
	expect_invalid("{\"prestart\":{}}", "config.json: hooks.prestart: must be an array");
	expect_invalid("{\"prestart\":[{\"path\":\"/bin/true\"},{\"path\":\"bin/x\"}]}",
		       "config.json: hooks.prestart[1].path: must be absolute");
	expect_invalid("{\"poststop\":[{\"args\":[]}]}", "config.json: hooks.poststop[0].path: missing");
	expect_invalid("{\"poststop\":[{\"path\":7}]}",
		       "config.json: hooks.poststop[0].path: must be a string");
	expect_invalid("{\"poststop\":[{\"path\":\"/bin/a\\u0000b\"}]}",
		       "config.json: hooks.poststop[0].path: must be a string");
	expect_invalid("{\"createRuntime\":[{\"path\":\"/x\",\"args\":[\"a\",1]}]}",
		       "config.json: hooks.createRuntime[0].args[1]: must be a string");
	expect_invalid("{\"createRuntime\":[{\"path\":\"/x\",\"args\":\"a\"}]}",
		       "config.json: hooks.createRuntime[0].args: must be an array of strings");
	expect_invalid("{\"startContainer\":[{\"path\":\"/x\",\"env\":[\"NOEQUALS\"]}]}",
		       "config.json: hooks.startContainer[0].env[0]: must be KEY=VALUE");
	expect_invalid("{\"poststart\":[{\"path\":\"/x\",\"timeout\":0}]}",
		       "config.json: hooks.poststart[0].timeout: must be a positive number of seconds (at "
		       "most 86400)");
	expect_invalid("{\"poststart\":[{\"path\":\"/x\",\"timeout\":1.5}]}",
		       "config.json: hooks.poststart[0].timeout: must be a positive number of seconds (at "
		       "most 86400)");
	expect_invalid("{\"createContainer\":[\"/bin/true\"]}",
		       "config.json: hooks.createContainer[0]: must be an object");
}

static void test_run_rejects_unknown_kind(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;

	assert_true(cella_hooks_run(NULL, "prestop", "{}", &err) < 0);
	assert_string_equal(cella_error_string(err), "unknown hook kind 'prestop': Invalid argument");
}

static void test_run_nothing(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	json_t *hooks = parse("{\"poststop\":[{\"path\":\"/bin/false\"}]}");

	assert_int_equal(cella_hooks_run(NULL, "prestart", "{}", &err), 0);
	assert_int_equal(cella_hooks_run(hooks, "prestart", "{}", &err), 0);
	assert_null(err);
	json_decref(hooks);
}

static void test_run_in_order(void **state)
{
	struct fixture *f = *state;
	_cleanup_error_ cella_err_t err = NULL;
	_cleanup_free_ char *log = NULL, *content = NULL;
	json_t *list = json_array();
	json_t *hooks;

	assert_true(asprintf(&log, "%s/order", f->dir) > 0);
	for (int i = 1; i <= 3; i++) {
		_cleanup_free_ char *script = NULL;

		assert_true(asprintf(&script, "echo %d >> '%s'", i, log) > 0);
		json_array_append_new(list, sh_hook(script, NULL));
	}
	hooks = hooks_of("createRuntime", list);
	assert_int_equal(cella_hooks_run(hooks, "createRuntime", "{}", &err), 0);
	content = slurp(log);
	assert_non_null(content);
	assert_string_equal(content, "1\n2\n3\n");
	json_decref(hooks);
}

/* The state arrives whole on stdin, also when it is larger than a pipe buffer. */
static void test_state_on_stdin(void **state)
{
	struct fixture *f = *state;
	_cleanup_error_ cella_err_t err = NULL;
	_cleanup_free_ char *out = NULL, *script = NULL, *content = NULL, *big = NULL;
	const size_t big_len = 300 * 1024;
	json_t *hooks;

	assert_true(asprintf(&out, "%s/state", f->dir) > 0);
	assert_true(asprintf(&script, "cat > '%s'", out) > 0);
	hooks = hooks_of("prestart", json_pack("[o]", sh_hook(script, NULL)));
	assert_int_equal(cella_hooks_run(hooks, "prestart", "{\"id\":\"c1\",\"status\":\"created\"}", &err),
			 0);
	content = slurp(out);
	assert_string_equal(content, "{\"id\":\"c1\",\"status\":\"created\"}");
	free(content);

	big = malloc(big_len + 1);
	assert_non_null(big);
	for (size_t i = 0; i < big_len; i++)
		big[i] = (char)('a' + i % 26);
	big[big_len] = '\0';
	assert_int_equal(cella_hooks_run(hooks, "prestart", big, &err), 0);
	content = slurp(out);
	assert_non_null(content);
	assert_int_equal(strlen(content), big_len);
	assert_memory_equal(content, big, big_len);
	json_decref(hooks);
}

/* A hook that never reads its stdin must neither block nor SIGPIPE the runtime. */
static void test_hook_ignoring_stdin(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	_cleanup_free_ char *big = malloc(1 << 20);
	json_t *hooks = parse("{\"prestart\":[{\"path\":\"/bin/true\"}]}");

	assert_non_null(big);
	memset(big, 'x', (1 << 20) - 1);
	big[(1 << 20) - 1] = '\0';
	assert_int_equal(cella_hooks_run(hooks, "prestart", big, &err), 0);
	assert_null(err);
	json_decref(hooks);
}

static void test_env_given_or_inherited(void **state)
{
	struct fixture *f = *state;
	_cleanup_error_ cella_err_t err = NULL;
	_cleanup_free_ char *out = NULL, *script = NULL, *content = NULL;
	json_t *hooks;

	assert_true(asprintf(&out, "%s/env", f->dir) > 0);
	assert_true(asprintf(&script, "echo \"A=$A INHERITED=${CELLA_TEST_INHERITED:-unset}\" >> '%s'", out) >
		    0);
	setenv("CELLA_TEST_INHERITED", "yes", 1);
	hooks = hooks_of("poststart", json_pack("[o, o]", sh_hook(script, "{\"env\":[\"A=from-spec\"]}"),
						sh_hook(script, NULL)));
	assert_int_equal(cella_hooks_run(hooks, "poststart", "{}", &err), 0);
	unsetenv("CELLA_TEST_INHERITED");
	content = slurp(out);
	assert_string_equal(content, "A=from-spec INHERITED=unset\nA= INHERITED=yes\n");
	json_decref(hooks);
}

static void test_args_default_to_path(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	json_t *hooks =
		parse("{\"prestart\":[{\"path\":\"/bin/true\"},{\"path\":\"/bin/true\",\"args\":[]}]}");

	assert_int_equal(cella_hooks_run(hooks, "prestart", "{}", &err), 0);
	json_decref(hooks);
}

/* Only 0, 1 and 2 reach the hook; an fd the runtime left inheritable does not. */
static void test_fds_closed(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	_cleanup_free_ char *script = NULL;
	int fd = open("/dev/null", O_RDONLY); /* deliberately without O_CLOEXEC */
	json_t *hooks;

	assert_true(fd > 2);
	assert_true(
		asprintf(&script,
			 "if [ -e /proc/$$/fd/%d ]; then echo leaked >&2; exit 1; fi; [ -e /proc/$$/fd/2 ]",
			 fd) > 0);
	hooks = hooks_of("prestart", json_pack("[o]", sh_hook(script, NULL)));
	assert_int_equal(cella_hooks_run(hooks, "prestart", "{}", &err), 0);
	close(fd);
	json_decref(hooks);
}

static void test_exit_status_with_stderr(void **state)
{
	struct fixture *f = *state;
	_cleanup_error_ cella_err_t err = NULL;
	_cleanup_free_ char *marker = NULL, *script = NULL;
	json_t *hooks;

	assert_true(asprintf(&marker, "%s/should-not-exist", f->dir) > 0);
	assert_true(asprintf(&script, "touch '%s'", marker) > 0);
	hooks = hooks_of("prestart", json_pack("[o, o, o]", json_pack("{s:s}", "path", "/bin/true"),
					       sh_hook("echo out; echo 'it broke' >&2; exit 3", NULL),
					       sh_hook(script, NULL)));
	assert_true(cella_hooks_run(hooks, "prestart", "{}", &err) < 0);
	assert_string_equal(cella_error_string(err),
			    "hooks.prestart[1] (/bin/sh) exited with status 3: it broke");
	assert_int_equal(access(marker, F_OK), -1); /* the hook after the failing one did not run */
	json_decref(hooks);
}

static void test_stdout_when_no_stderr(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	json_t *hooks =
		hooks_of("poststop", json_pack("[o]", sh_hook("printf 'line1\\nline2\\n'; exit 1", NULL)));

	assert_true(cella_hooks_run(hooks, "poststop", "{}", &err) < 0);
	assert_string_equal(cella_error_string(err),
			    "hooks.poststop[0] (/bin/sh) exited with status 1: line1\nline2");
	json_decref(hooks);
}

static void test_output_is_bounded(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	json_t *hooks = hooks_of(
		"prestart",
		json_pack("[o]", sh_hook("head -c 1000000 /dev/zero | tr '\\0' x >&2; exit 2", NULL)));
	const char *msg;

	assert_true(cella_hooks_run(hooks, "prestart", "{}", &err) < 0);
	msg = cella_error_string(err);
	assert_true(strlen(msg) < CELLA_HOOKS_OUTPUT_MAX + 200);
	assert_non_null(strstr(msg, "exited with status 2: xxxx"));
	assert_non_null(strstr(msg, "[output truncated]"));
	json_decref(hooks);
}

static void test_killed_by_signal(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	json_t *hooks = hooks_of("prestart", json_pack("[o]", sh_hook("kill -9 $$", NULL)));

	assert_true(cella_hooks_run(hooks, "prestart", "{}", &err) < 0);
	assert_string_equal(cella_error_string(err),
			    "hooks.prestart[0] (/bin/sh) was killed by signal 9 (Killed)");
	json_decref(hooks);
}

static void test_cannot_execute(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	json_t *hooks = parse("{\"prestart\":[{\"path\":\"/nonexistent/hook\"}]}");

	assert_true(cella_hooks_run(hooks, "prestart", "{}", &err) < 0);
	assert_string_equal(
		cella_error_string(err),
		"hooks.prestart[0] (/nonexistent/hook): cannot execute: No such file or directory");
	assert_int_equal(err->errno_value, ENOENT);
	json_decref(hooks);
}

/* Waits (bounded) until @pid is gone or a zombie. */
static bool process_gone(pid_t pid, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	do {
		_cleanup_free_ char *stat = slurp(path);
		const char *paren = stat ? strrchr(stat, ')') : NULL;

		if (stat == NULL || (paren && paren[1] == ' ' && paren[2] == 'Z'))
			return true;
		usleep(10000);
	} while (now_ms() < end);
	return false;
}

/* The timeout kills the hook and what it started, and says so. */
static void test_timeout_kills(void **state)
{
	struct fixture *f = *state;
	_cleanup_error_ cella_err_t err = NULL;
	_cleanup_free_ char *pidfile = NULL, *script = NULL, *pidtext = NULL;
	int64_t start;
	json_t *hooks;
	pid_t child;

	assert_true(asprintf(&pidfile, "%s/pid", f->dir) > 0);
	assert_true(asprintf(&script, "sleep 60 & echo $! > '%s'; wait", pidfile) > 0);
	hooks = hooks_of("prestart", json_pack("[o]", sh_hook(script, "{\"timeout\":1}")));
	start = now_ms();
	assert_true(cella_hooks_run(hooks, "prestart", "{}", &err) < 0);
	assert_true(now_ms() - start < 10000);
	assert_true(now_ms() - start >= 900);
	assert_string_equal(cella_error_string(err),
			    "hooks.prestart[0] (/bin/sh) timed out after 1 s and was killed");
	pidtext = slurp(pidfile);
	assert_non_null(pidtext);
	child = (pid_t)atoi(pidtext);
	assert_true(child > 1);
	if (!process_gone(child, 5000)) {
		kill(child, SIGKILL);
		fail_msg("the hook's child %d survived the timeout", (int)child);
	}
	json_decref(hooks);
}

/* A hook that writes without pause still meets its deadline. */
static void test_flooding_hook_times_out(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	json_t *hooks = hooks_of("prestart", json_pack("[o]", sh_hook("yes flood >&2", "{\"timeout\":1}")));
	int64_t start = now_ms();

	assert_true(cella_hooks_run(hooks, "prestart", "{}", &err) < 0);
	assert_true(now_ms() - start < 10000);
	assert_non_null(strstr(cella_error_string(err), "timed out after 1 s and was killed: flood"));
	assert_non_null(strstr(cella_error_string(err), "[output truncated]"));
	json_decref(hooks);
}

/* A hook that leaves a daemon holding its stdout open still counts as done when it exits. */
static void test_background_child_does_not_block(void **state)
{
	struct fixture *f = *state;
	_cleanup_error_ cella_err_t err = NULL;
	_cleanup_free_ char *pidfile = NULL, *script = NULL, *pidtext = NULL;
	int64_t start;
	json_t *hooks;

	assert_true(asprintf(&pidfile, "%s/bgpid", f->dir) > 0);
	assert_true(asprintf(&script, "sleep 60 & echo $! > '%s'; exit 0", pidfile) > 0);
	hooks = hooks_of("poststart", json_pack("[o]", sh_hook(script, NULL)));
	start = now_ms();
	assert_int_equal(cella_hooks_run(hooks, "poststart", "{}", &err), 0);
	pidtext = slurp(pidfile);
	if (pidtext && atoi(pidtext) > 1)
		kill((pid_t)atoi(pidtext), SIGKILL);
	assert_true(now_ms() - start < 10000);
	json_decref(hooks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_accepts_good_and_empty),
		cmocka_unit_test(test_validate_names_the_field),
		cmocka_unit_test(test_run_rejects_unknown_kind),
		cmocka_unit_test(test_run_nothing),
		cmocka_unit_test_setup_teardown(test_run_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_on_stdin, setup, teardown),
		cmocka_unit_test(test_hook_ignoring_stdin),
		cmocka_unit_test_setup_teardown(test_env_given_or_inherited, setup, teardown),
		cmocka_unit_test(test_args_default_to_path),
		cmocka_unit_test(test_fds_closed),
		cmocka_unit_test_setup_teardown(test_exit_status_with_stderr, setup, teardown),
		cmocka_unit_test(test_stdout_when_no_stderr),
		cmocka_unit_test(test_output_is_bounded),
		cmocka_unit_test(test_killed_by_signal),
		cmocka_unit_test(test_cannot_execute),
		cmocka_unit_test_setup_teardown(test_timeout_kills, setup, teardown),
		cmocka_unit_test(test_flooding_hook_times_out),
		cmocka_unit_test_setup_teardown(test_background_child_does_not_block, setup, teardown),
	};

	return cmocka_run_group_tests_name("oci-hooks", tests, NULL, NULL);
}
