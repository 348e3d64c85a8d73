// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control API's device routes (GET /vm/devices[/ID], PATCH /vm/devices/ID)
 * over a real unix socket with fake device operations: routing of the id,
 * methods, body parsing, statuses. Then cella-vmm's own update operation
 * (api/devices.c) on a VM without devices: every malformed body is refused
 * with the field named before any device is looked up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/api.h"
#include "api/devices.h"
#include "core/vmm.h"

struct fake {
	unsigned updates;
	char last_id[64];
	char last_body[256];
};

static json_t *fake_describe(void *opaque)
{
	return json_pack("{s:s}", "state", "running");
}

static int fake_set_state(void *opaque, const char *state, cella_err_t *err)
{
	return 0;
}

static json_t *fake_devices(void *opaque)
{
	return json_pack("[{s:s}]", "id", "disk0");
}

static json_t *fake_device(void *opaque, const char *id, cella_err_t *err)
{
	if (strcmp(id, "disk0") != 0) {
		cella_error_make(err, ENOENT, "device '%s': no such device", id);
		cella_error_set_status(*err, 404);
		return NULL;
	}
	return json_pack("{s:s, s:s}", "id", "disk0", "type", "blk");
}

static int fake_update(void *opaque, const char *id, const json_t *changes, cella_err_t *err)
{
	struct fake *f = opaque;
	char *text = json_dumps(changes, JSON_COMPACT | JSON_SORT_KEYS);

	f->updates++;
	snprintf(f->last_id, sizeof(f->last_id), "%s", id);
	snprintf(f->last_body, sizeof(f->last_body), "%s", text ? text : "");
	free(text);
	if (strcmp(id, "busy") == 0) {
		cella_error_make(err, 0, "device 'busy': 2 devices have this id");
		cella_error_set_status(*err, 409);
		return -1;
	}
	return 0;
}

static const struct vmm_api_ops full_ops = {.describe = fake_describe,
					    .set_state = fake_set_state,
					    .devices = fake_devices,
					    .device = fake_device,
					    .update_device = fake_update};
static const struct vmm_api_ops bare_ops = {.describe = fake_describe, .set_state = fake_set_state};

struct fixture {
	char dir[32];
	char path[64];
	struct fake fake;
	struct vmm_api *api;
};

static int start(void **state, const struct vmm_api_ops *ops)
{
	struct fixture *f = calloc(1, sizeof(*f));
	cella_err_t err = NULL;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/cella-irqapi-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/api.sock", f->dir);
	if (vmm_api__start(f->path, ops, &f->fake, &f->api, &err) < 0) {
		fprintf(stderr, "%s\n", cella_error_string(err));
		cella_error_release(&err);
		rmdir(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int setup_full(void **state)
{
	return start(state, &full_ops);
}

static int setup_bare(void **state)
{
	return start(state, &bare_ops);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vmm_api__stop(f->api);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* One request on a new connection; the whole response (headers and body) in buf. */
static void request(struct fixture *f, const char *raw, char *buf, size_t n)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t used = 0;

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, raw, strlen(raw)), (ssize_t)strlen(raw));
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		const char *body, *cl;
		ssize_t r;

		assert_int_equal(poll(&p, 1, 5000), 1);
		r = read(fd, buf + used, n - used - 1);
		assert_true(r >= 0);
		used += (size_t)r;
		buf[used] = '\0';
		body = strstr(buf, "\r\n\r\n");
		cl = strstr(buf, "Content-Length: ");
		if (r == 0 ||
		    (body && used >= (size_t)(body + 4 - buf) + (cl ? strtoul(cl + 16, NULL, 10) : 0)))
			break;
	}
	close(fd);
}

static void patch(struct fixture *f, const char *path, const char *body, char *buf, size_t n)
{
	char raw[1024];

	snprintf(raw, sizeof(raw), "PATCH %s HTTP/1.1\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
		 path, strlen(body), body);
	request(f, raw, buf, n);
}

static void test_get(void **state)
{
	struct fixture *f = *state;
	char buf[4096];

	request(f, "GET /vm/devices HTTP/1.1\r\nConnection: close\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(buf, "[{\"id\":\"disk0\"}]"));
	request(f, "GET /vm/devices/disk0 HTTP/1.1\r\nConnection: close\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(buf, "\"type\":\"blk\""));
	request(f, "GET /vm/devices/net9 HTTP/1.1\r\nConnection: close\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, "404 Not Found"));
	assert_non_null(strstr(buf, "device 'net9': no such device"));
	/* A query string is not part of the id. */
	request(f, "GET /vm/devices/disk0?x=1 HTTP/1.1\r\nConnection: close\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
}

static void test_patch(void **state)
{
	struct fixture *f = *state;
	char buf[4096];

	patch(f, "/vm/devices/disk0", "{\"rate_limiter\": {\"bps\": 1000, \"iops\": \"10K\"}}", buf,
	      sizeof(buf));
	assert_non_null(strstr(buf, "HTTP/1.1 204 No Content\r\n"));
	assert_int_equal(f->fake.updates, 1);
	assert_string_equal(f->fake.last_id, "disk0");
	assert_string_equal(f->fake.last_body, "{\"rate_limiter\":{\"bps\":1000,\"iops\":\"10K\"}}");

	/* The operation's status comes through. */
	patch(f, "/vm/devices/busy", "{}", buf, sizeof(buf));
	assert_non_null(strstr(buf, "409 Conflict"));
	assert_non_null(strstr(buf, "2 devices have this id"));

	/* Bad JSON never reaches the device. */
	patch(f, "/vm/devices/disk0", "{\"rate_limiter\": ", buf, sizeof(buf));
	assert_non_null(strstr(buf, "400 Bad Request"));
	assert_non_null(strstr(buf, "invalid JSON"));
	patch(f, "/vm/devices/disk0", "{\"a\": 1, \"a\": 2}", buf, sizeof(buf));
	assert_non_null(strstr(buf, "400 Bad Request"));
	assert_int_equal(f->fake.updates, 2);
}

static void test_routing(void **state)
{
	struct fixture *f = *state;
	char buf[4096], path[128];

	request(f, "PUT /vm/devices/disk0 HTTP/1.1\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}", buf,
		sizeof(buf));
	assert_non_null(strstr(buf, "405 Method Not Allowed"));
	assert_non_null(strstr(buf, "Allow: GET, PATCH\r\n"));
	request(f, "PATCH /vm/devices HTTP/1.1\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}", buf,
		sizeof(buf));
	assert_non_null(strstr(buf, "405 Method Not Allowed"));
	/* Not an id: empty, a further path segment, odd characters, too long. */
	patch(f, "/vm/devices/", "{}", buf, sizeof(buf));
	assert_non_null(strstr(buf, "404 Not Found"));
	patch(f, "/vm/devices/disk0/queues", "{}", buf, sizeof(buf));
	assert_non_null(strstr(buf, "404 Not Found"));
	patch(f, "/vm/devices/a%20b", "{}", buf, sizeof(buf));
	assert_non_null(strstr(buf, "404 Not Found"));
	patch(f, "/vm/devices/..", "{}", buf, sizeof(buf));
	assert_non_null(strstr(buf, "204 No Content")); /* a valid id; the VMM's lookup refuses it */
	snprintf(path, sizeof(path), "/vm/devices/%s", "a1234567890123456789012345678901");
	patch(f, path, "{}", buf, sizeof(buf));
	assert_non_null(strstr(buf, "404 Not Found"));
	path[strlen(path) - 1] = '\0'; /* 31 characters: fine */
	patch(f, path, "{}", buf, sizeof(buf));
	assert_non_null(strstr(buf, "204 No Content"));
	assert_int_equal(f->fake.updates, 2);
}

/* A VMM that does not offer the device operations answers 404 on their routes. */
static void test_bare(void **state)
{
	struct fixture *f = *state;
	char buf[4096];

	request(f, "GET /vm/devices HTTP/1.1\r\nConnection: close\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, "404 Not Found"));
	assert_non_null(strstr(buf, "does not list its devices"));
	patch(f, "/vm/devices/disk0", "{}", buf, sizeof(buf));
	assert_non_null(strstr(buf, "404 Not Found"));
	assert_non_null(strstr(buf, "cannot update devices"));
}

/* ---- api/devices.c on a VM without devices ---- */

static void expect_refused(struct vmm *vm, const char *id, const char *body, int status, const char *what)
{
	json_error_t jerr;
	json_t *changes = json_loads(body, 0, &jerr);
	cella_err_t err = NULL;

	assert_non_null(changes);
	assert_int_equal(vmm_api_devices__update(vm, id, changes, &err), -1);
	assert_non_null(err);
	assert_int_equal(cella_error_status(err), status);
	if (!strstr(cella_error_string(err), what))
		fail_msg("'%s': error '%s' lacks '%s'", body, cella_error_string(err), what);
	cella_error_release(&err);
	json_decref(changes);
}

static void test_update_validation(void **state)
{
	struct vmm *vm = calloc(1, sizeof(*vm));
	cella_err_t err = NULL;
	json_t *list;

	assert_non_null(vm);
	expect_refused(vm, "disk0", "[]", 400, "expected an object");
	expect_refused(vm, "disk0", "{\"rate\": {}}", 400, "rate: unknown field");
	expect_refused(vm, "disk0", "{}", 400, "rate_limiter: missing");
	expect_refused(vm, "disk0", "{\"rate_limiter\": 5}", 400, "rate_limiter: expected an object");
	expect_refused(vm, "disk0", "{\"rate_limiter\": {}}", 400, "rate_limiter: expected an object");
	/* A well-formed body goes on to the lookup. */
	expect_refused(vm, "disk0", "{\"rate_limiter\": {\"bps\": 1}}", 404,
		       "device 'disk0': no such device");
	assert_null(vmm_api_devices__describe(vm, "disk0", &err));
	assert_int_equal(cella_error_status(err), 404);
	cella_error_release(&err);
	list = vmm_api_devices__list(vm);
	assert_true(json_is_array(list) && json_array_size(list) == 0);
	json_decref(list);
	free(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get, setup_full, teardown),
		cmocka_unit_test_setup_teardown(test_patch, setup_full, teardown),
		cmocka_unit_test_setup_teardown(test_routing, setup_full, teardown),
		cmocka_unit_test_setup_teardown(test_bare, setup_bare, teardown),
		cmocka_unit_test(test_update_validation),
	};

	return cmocka_run_group_tests_name("vmm-irq-api-devices", tests, NULL, NULL);
}
