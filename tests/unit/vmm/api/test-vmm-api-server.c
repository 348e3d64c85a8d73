// SPDX-License-Identifier: GPL-2.0-or-later
/* The control API server over a real unix socket, with fake VM operations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/api.h"
#include "api/seccomp.h"

struct fake_vm {
	char state[32];
	int set_calls;
};

static json_t *fake_describe(void *opaque)
{
	struct fake_vm *vm = opaque;

	return json_pack("{s:s, s:{s:i}}", "state", vm->state, "config", "cpus", 1);
}

static int fake_set_state(void *opaque, const char *state, cella_err_t *err)
{
	struct fake_vm *vm = opaque;

	vm->set_calls++;
	if (strcmp(state, "paused") == 0 && strcmp(vm->state, "paused") == 0) {
		cella_error_make(err, 0, "the VM is already paused");
		cella_error_set_status(*err, 409);
		return -1;
	}
	snprintf(vm->state, sizeof(vm->state), "%s", state);
	return 0;
}

static const struct vmm_api_ops fake_ops = {.describe = fake_describe, .set_state = fake_set_state};

struct fixture {
	char dir[32];
	char path[64];
	struct fake_vm vm;
	struct vmm_api *api;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	cella_err_t err = NULL;

	snprintf(f->dir, sizeof(f->dir), "/tmp/cella-api-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/api.sock", f->dir);
	snprintf(f->vm.state, sizeof(f->vm.state), "running");
	if (vmm_api__start(f->path, &fake_ops, &f->vm, &f->api, &err) < 0) {
		fprintf(stderr, "%s\n", cella_error_string(err));
		cella_error_release(&err);
		rmdir(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vmm_api__stop(f->api);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Sends raw bytes, reads one response (headers + Content-Length body) into buf. */
static void request(int fd, const char *raw, char *buf, size_t n)
{
	size_t used = 0;
	char *body;

	assert_int_equal(write(fd, raw, strlen(raw)), (ssize_t)strlen(raw));
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		assert_int_equal(poll(&p, 1, 5000), 1);
		r = read(fd, buf + used, n - used - 1);
		assert_true(r >= 0);
		used += (size_t)r;
		buf[used] = '\0';
		body = strstr(buf, "\r\n\r\n");
		if (body) {
			const char *cl = strstr(buf, "Content-Length: ");
			size_t len = cl ? strtoul(cl + 16, NULL, 10) : 0;

			if (used >= (size_t)(body + 4 - buf) + len)
				return;
		}
		if (r == 0)
			return;
	}
}

static void test_routes(void **state)
{
	struct fixture *f = *state;
	char buf[4096];
	int fd = connect_to(f->path);

	request(fd, "GET / HTTP/1.1\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(buf, "\"name\":\"cella-vmm\""));

	request(fd, "GET /vm HTTP/1.1\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"state\":\"running\""));

	request(fd, "PUT /vm/state HTTP/1.1\r\nContent-Length: 18\r\n\r\n{\"state\":\"paused\"}", buf,
		sizeof(buf));
	assert_non_null(strstr(buf, "HTTP/1.1 204 No Content\r\n"));
	assert_string_equal(f->vm.state, "paused");

	request(fd, "PUT /vm/state HTTP/1.1\r\nContent-Length: 18\r\n\r\n{\"state\":\"paused\"}", buf,
		sizeof(buf));
	assert_non_null(strstr(buf, "HTTP/1.1 409 Conflict\r\n"));
	assert_non_null(strstr(buf, "already paused"));
	close(fd);
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	char buf[4096];
	int fd = connect_to(f->path);

	request(fd, "GET /nope HTTP/1.1\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, "404 Not Found"));
	assert_non_null(strstr(buf, "/nope: no such resource"));

	request(fd, "DELETE /vm HTTP/1.1\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, "405 Method Not Allowed"));
	assert_non_null(strstr(buf, "Allow: GET\r\n"));

	request(fd, "PUT /vm/state HTTP/1.1\r\nContent-Length: 5\r\n\r\n{bad}", buf, sizeof(buf));
	assert_non_null(strstr(buf, "400 Bad Request"));
	assert_non_null(strstr(buf, "invalid JSON"));

	request(fd, "PUT /vm/state HTTP/1.1\r\nContent-Length: 17\r\n\r\n{\"state\":\"fly\"}  ", buf,
		sizeof(buf));
	assert_non_null(strstr(buf, "400 Bad Request"));
	assert_non_null(strstr(buf, "'fly' is not one of"));

	request(fd, "PUT /vm/state HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", buf, sizeof(buf));
	assert_non_null(strstr(buf, "state: expected one of"));
	assert_int_equal(f->vm.set_calls, 0);

	/* A malformed request closes the connection after the answer. */
	request(fd, "BROKEN\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, "400 Bad Request"));
	assert_non_null(strstr(buf, "Connection: close"));
	close(fd);
}

static void test_socket_mode_and_live_socket(void **state)
{
	struct fixture *f = *state;
	struct vmm_api *second = NULL;
	cella_err_t err = NULL;
	struct stat st;

	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(vmm_api__start(f->path, &fake_ops, &f->vm, &second, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "another process is listening on it"));
	cella_error_release(&err);
}

static void test_stale_socket_replaced(void **state)
{
	char dir[] = "/tmp/cella-api-stale-XXXXXX", path[sizeof(dir) + 16];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct fake_vm vm = {.state = "running"};
	struct vmm_api *api = NULL;
	cella_err_t err = NULL;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd); /* bound, never listening: a dead VMM's leftover */
	assert_int_equal(vmm_api__start(path, &fake_ops, &vm, &api, &err), 0);
	vmm_api__stop(api);
	assert_int_equal(access(path, F_OK), -1);

	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_true(vmm_api__start(path, &fake_ops, &vm, &api, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "exists and is not a socket"));
	cella_error_release(&err);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_mode_and_live_socket, setup, teardown),
		cmocka_unit_test(test_stale_socket_replaced),
	};

	/* The API thread runs under its real seccomp filter here: a missing syscall would kill the test. */
	vmm_seccomp__set_enabled(true);
	return cmocka_run_group_tests_name("vmm-api-server", tests, NULL, NULL);
}
