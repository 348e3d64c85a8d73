// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-console, one port: guest output to a file, input from a file or from stdin (a pipe here). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "vdev-test.h"

struct fixture {
	struct t_guest g;
	char dir[64], in[96], out[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/cella-console-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->in, sizeof(f->in), "%s/in", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/out", f->dir);
	t_guest_init(&f->g);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	t_guest_free(&f->g);
	unlink(f->in);
	unlink(f->out);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void create(struct fixture *f, const char *opts)
{
	cella_err_t err = NULL;

	if (vdev_create_from_string("console", "--console", opts, &f->g.env, &f->g.dev, &err) < 0)
		fail_msg("create: %s", cella_error_string(err));
	assert_true(t_driver_start(&f->g, ~0ULL) & VIRTIO_STATUS_DRIVER_OK);
}

static uint64_t give_rx(struct fixture *f, uint32_t len)
{
	uint64_t gpa = t_alloc(&f->g, len);
	struct t_buf b = {gpa, len, true};

	t_add_chain(&f->g, 0, &b, 1);
	t_kick(&f->g, 0);
	return gpa;
}

static void test_output_to_file(void **state)
{
	struct fixture *f = *state;
	char opts[200], buf[64] = {0};
	uint64_t a = t_alloc(&f->g, 16), b = t_alloc(&f->g, 16);
	struct t_buf bufs[2] = {{a, 6, false}, {b, 8, false}};
	int fd;

	snprintf(opts, sizeof(opts), "output=%s", f->out);
	create(f, opts);
	memcpy(t_ptr(&f->g, a), "hello ", 6);
	memcpy(t_ptr(&f->g, b), "console\n", 8);
	t_add_chain(&f->g, 1, bufs, 2);
	t_kick(&f->g, 1);
	assert_true(t_run_until_used(&f->g, 1, 1, 5000));
	fd = open(f->out, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 14);
	assert_string_equal(buf, "hello console\n");
	close(fd);
}

static void test_input_from_file(void **state)
{
	struct fixture *f = *state;
	char opts[200];
	uint32_t id, len;
	uint64_t gpa;
	int fd = open(f->in, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	snprintf(opts, sizeof(opts), "input=%s,output=none", f->in);
	create(f, opts);
	gpa = give_rx(f, 64);
	assert_true(t_run_until_used(&f->g, 0, 1, 5000));
	t_next_used(&f->g, 0, &id, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(t_ptr(&f->g, gpa), "abc", 3);
}

static void test_input_from_stdin_pipe(void **state)
{
	struct fixture *f = *state;
	int p[2], saved = dup(STDIN_FILENO);
	uint32_t id, len;
	uint64_t gpa;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
	close(p[0]);
	create(f, "input=stdin,output=none");
	/* Restore stdin at once: the device holds its own open file description. */
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
	/* Input before any guest buffer waits in the pipe. */
	assert_int_equal(write(p[1], "xy", 2), 2);
	t_run(&f->g, 20);
	assert_int_equal(t_used_idx(&f->g, 0), 0);
	gpa = give_rx(f, 64);
	assert_true(t_run_until_used(&f->g, 0, 1, 5000));
	t_next_used(&f->g, 0, &id, &len);
	assert_int_equal(len, 2);
	assert_memory_equal(t_ptr(&f->g, gpa), "xy", 2);
	/* More input after the buffer is there. */
	gpa = give_rx(f, 64);
	t_run(&f->g, 0);
	assert_int_equal(write(p[1], "z", 1), 1);
	assert_true(t_run_until_used(&f->g, 0, 1, 5000));
	t_next_used(&f->g, 0, &id, &len);
	assert_int_equal(len, 1);
	assert_memory_equal(t_ptr(&f->g, gpa), "z", 1);
	/* The writer leaves data and goes while the guest has no buffer: no busy loop, data kept. */
	assert_int_equal(write(p[1], "end", 3), 3);
	close(p[1]);
	t_run(&f->g, 20);
	struct pollfd pfd = {.fd = vdev_fd(f->g.dev), .events = POLLIN};

	assert_int_equal(poll(&pfd, 1, 20), 0);
	gpa = give_rx(f, 64);
	assert_true(t_run_until_used(&f->g, 0, 1, 5000));
	t_next_used(&f->g, 0, &id, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(t_ptr(&f->g, gpa), "end", 3);
}

static void test_options(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;

	assert_true(vdev_create_from_string("console", "--console", "output=/nonexistent/dir/log", &f->g.env,
					    &f->g.dev, &err) < 0);
	assert_non_null(
		strstr(cella_error_string(err), "--console: output: cannot open /nonexistent/dir/log"));
	cella_error_release(&err);
	assert_true(vdev_create_from_string("console", "--console", "input=/nonexistent", &f->g.env,
					    &f->g.dev, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "--console: input: cannot open /nonexistent"));
	cella_error_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_output_to_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_input_from_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_input_from_stdin_pipe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_options, setup, teardown),
	};

	return cmocka_run_group_tests_name("vmm-vdev-console", tests, NULL, NULL);
}
