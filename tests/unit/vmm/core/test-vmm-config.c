/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cella-vmm configuration: flags, JSON, precedence, and errors that name what is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <cella/cleanup.h>

#include "core/config.h"

/* Parses argv (NULL-terminated); returns the error message, or NULL on success. */
static char *parse(struct vmm_config *cfg, const char *const *args)
{
	_cleanup_error_ cella_err_t err = NULL;
	char *argv[32];
	int argc = 0;

	argv[argc++] = (char *)"cella-vmm";
	while (*args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	vmm_config__init(cfg);
	if (vmm_config__parse_args(cfg, argc, argv, &err) == 0)
		return NULL;
	assert_int_equal(cella_error_status(err), VMM_EXIT_USAGE);
	return strdup(cella_error_string(err));
}

static void expect_error(const char *const *args, const char *message)
{
	struct vmm_config cfg;
	char *msg = parse(&cfg, args);

	assert_non_null(msg);
	if (!strstr(msg, message))
		fail_msg("error '%s' does not contain '%s'", msg, message);
	free(msg);
	vmm_config__release(&cfg);
}

static void test_defaults_and_flags(void **state)
{
	struct vmm_config cfg;

	assert_null(parse(&cfg, (const char *const[]){"--kernel", "k.elf", NULL}));
	assert_string_equal(cfg.kernel, "k.elf");
	assert_int_equal(cfg.memory_mib, 128);
	assert_int_equal(cfg.cpus, 1);
	assert_int_equal(cfg.console, VMM_CONSOLE_STDIO);
	assert_true(cfg.seccomp);
	vmm_config__release(&cfg);

	assert_null(parse(&cfg, (const char *const[]){"--kernel", "k", "--initrd", "i", "--cmdline", "",
						      "--memory", "64", "--cpus", "4", "--console",
						      "file:/tmp/x", "--api-socket", "/tmp/s", "--hugepages",
						      "--no-seccomp", NULL}));
	assert_string_equal(cfg.initrd, "i");
	assert_string_equal(cfg.cmdline, "");
	assert_int_equal(cfg.memory_mib, 64);
	assert_int_equal(cfg.cpus, 4);
	assert_int_equal(cfg.console, VMM_CONSOLE_FILE);
	assert_string_equal(cfg.console_path, "/tmp/x");
	assert_string_equal(cfg.api_socket, "/tmp/s");
	assert_true(cfg.hugepages);
	assert_false(cfg.seccomp);
	vmm_config__release(&cfg);
}

static void test_flag_errors(void **state)
{
	expect_error((const char *const[]){"--kernel", "k", "--cpus", "0", NULL},
		     "--cpus: 0 is out of range 1..255");
	expect_error((const char *const[]){"--kernel", "k", "--cpus", "256", NULL},
		     "--cpus: 256 is out of range");
	expect_error((const char *const[]){"--kernel", "k", "--cpus", "two", NULL},
		     "--cpus: 'two' is not a decimal");
	expect_error((const char *const[]){"--kernel", "k", "--memory", "1", NULL},
		     "--memory: 1 is out of range");
	expect_error((const char *const[]){"--kernel", "k", "--memory", "12M", NULL}, "--memory: '12M'");
	expect_error((const char *const[]){"--kernel", "k", "--memory", "-5", NULL}, "--memory: '-5'");
	expect_error((const char *const[]){"--kernel", "k", "--console", "tty", NULL},
		     "--console: 'tty' is not one");
	expect_error((const char *const[]){"--kernel", "k", "--console", "file:", NULL},
		     "--console: must not be");
	expect_error((const char *const[]){"--kernel", "k", "--bogus", NULL}, "--bogus: unknown option");
	expect_error((const char *const[]){"--kernel", NULL}, "--kernel: requires an argument");
	expect_error((const char *const[]){"--memory", "64", NULL}, "--kernel: missing");
	expect_error((const char *const[]){"--kernel", "k", "extra", NULL}, "extra: unexpected argument");
	expect_error((const char *const[]){"--kernel", "k", "--hugepages", "--memory", "65", NULL},
		     "--memory: must be a multiple of 2 MiB");
}

static char *write_config(const char *json)
{
	char *path = strdup("/tmp/test-vmm-config.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	return path;
}

static void test_json_and_precedence(void **state)
{
	_cleanup_free_ char *path =
		write_config("{\"kernel\": \"a.elf\", \"initrd\": \"i\", \"cmdline\": \"c\", "
			     "\"memory_mib\": 256, \"cpus\": 2, \"console\": \"none\", "
			     "\"api_socket\": \"/run/s\", \"hugepages\": false, \"seccomp\": true}");
	struct vmm_config cfg;

	/* --config may come after the flags that override it. */
	assert_null(parse(&cfg, (const char *const[]){"--cpus", "3", "--config", path, NULL}));
	assert_string_equal(cfg.kernel, "a.elf");
	assert_int_equal(cfg.memory_mib, 256);
	assert_int_equal(cfg.cpus, 3);
	assert_int_equal(cfg.console, VMM_CONSOLE_NONE);
	assert_string_equal(cfg.api_socket, "/run/s");
	vmm_config__release(&cfg);
	unlink(path);
}

static void expect_json_error(const char *json, const char *message)
{
	_cleanup_free_ char *path = write_config(json);
	struct vmm_config cfg;
	char *msg;
	bool ok;

	msg = parse(&cfg, (const char *const[]){"--config", path, NULL});
	unlink(path);
	assert_non_null(msg);
	/* The message starts with the file's name and says what is wrong. */
	ok = strncmp(msg, path, strlen(path)) == 0 && strstr(msg + strlen(path), message);
	if (!ok)
		fprintf(stderr, "error '%s' does not start with '%s' or lacks '%s'\n", msg, path, message);
	free(msg);
	vmm_config__release(&cfg);
	assert_true(ok);
}

static void test_json_errors(void **state)
{
	expect_json_error("{\"kernel\": \"k\", \"memory_mib\": \"64\"}", ": memory_mib: expected integer");
	expect_json_error("{\"kernel\": \"k\", \"memory_mib\": 1.5}", ": memory_mib: expected integer");
	expect_json_error("{\"kernel\": \"k\", \"cpus\": 0}", ": cpus: 0 is out of range 1..255");
	expect_json_error("{\"kernel\": \"k\", \"cpus\": -1}", ": cpus: -1 is out of range");
	expect_json_error("{\"kernel\": 5}", ": kernel: expected string");
	expect_json_error("{\"kernel\": \"k\", \"console\": \"serial\"}",
			  ": console: 'serial' is not one of");
	expect_json_error("{\"kernel\": \"k\", \"hugepages\": 1}", ": hugepages: expected true or false");
	expect_json_error("{\"kernel\": \"k\", \"memory\": 64}", ": memory: unknown field");
	expect_json_error("[1, 2]", ": expected a JSON object");
	expect_json_error("{\"kernel\": ", ":1:");
	expect_json_error("{\"kernel\": \"a\", \"kernel\": \"b\"}", "duplicate");
}

static void test_missing_config_file(void **state)
{
	expect_error((const char *const[]){"--config", "/nonexistent/vm.json", NULL},
		     "/nonexistent/vm.json: cannot open");
}

static void test_help(void **state)
{
	struct vmm_config cfg;

	assert_null(parse(&cfg, (const char *const[]){"--help", NULL}));
	assert_true(cfg.help);
	assert_non_null(strstr(vmm_config__usage(), "--kernel PATH"));
	assert_non_null(strstr(vmm_config__usage(), "Exit status"));
	vmm_config__release(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_flags),  cmocka_unit_test(test_flag_errors),
		cmocka_unit_test(test_json_and_precedence), cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_missing_config_file), cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests_name("vmm-config", tests, NULL, NULL);
}
