// SPDX-License-Identifier: GPL-2.0-or-later
/* The HTTP front end in-process on a real unix socket: envelope, routing, limits, SO_PEERCRED. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "http.h"
#include "util.h"

struct fixture {
	char dir[64];
	char sock[128];
	struct cellad d;
	struct MHD_Daemon *mhd;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char root[128];
	cella_err_t err = NULL;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/cellad-http-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(root, sizeof(root), "%s/root", f->dir);
	snprintf(f->sock, sizeof(f->sock), "%s/s.sock", f->dir);
	if (cellad_init(&f->d, root, f->sock, &err) < 0 || cellad_http_start(&f->d, &f->mhd, &err) < 0) {
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

	cellad_http_stop(f->mhd);
	cellad_fini(&f->d);
	cellad_rm_rf(f->dir, &err);
	cella_error_release(&err);
	free(f);
	return 0;
}

/* Sends a raw request, returns the whole response (malloc'd) or NULL. */
static char *roundtrip(const char *sock, const char *request, size_t len)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t cap = 65536, used = 0;
	char *buf = malloc(cap);
	struct timeval tv = {30, 0};

	if (fd < 0 || buf == NULL)
		goto fail;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		goto fail;
	for (size_t done = 0; done < len;) {
		ssize_t n = send(fd, request + done, len - done, MSG_NOSIGNAL);

		if (n <= 0)
			break; /* the server may answer (413) and close before taking everything */
		done += (size_t)n;
	}
	for (;;) {
		ssize_t n = recv(fd, buf + used, cap - 1 - used, 0);

		if (n <= 0)
			break;
		used += (size_t)n;
		if (used == cap - 1)
			break;
	}
	buf[used] = '\0';
	close(fd);
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static char *get(const char *sock, const char *path)
{
	char req[512];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: cella\r\n\r\n", path);

	return roundtrip(sock, req, (size_t)n);
}

static void test_server_info(void **state)
{
	struct fixture *f = *state;
	char *resp = get(f->sock, "/1.0");
	struct stat st;

	assert_non_null(resp);
	assert_non_null(strstr(resp, "HTTP/1.0 200") ?: strstr(resp, "HTTP/1.1 200"));
	assert_non_null(strstr(resp, "\"type\":\"sync\""));
	assert_non_null(strstr(resp, "\"api_version\":\"1.0\""));
	free(resp);
	assert_int_equal(stat(f->sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	char *resp = get(f->sock, "/1.0/nope");

	assert_non_null(strstr(resp, " 404 "));
	assert_non_null(strstr(resp, "\"type\":\"error\""));
	assert_non_null(strstr(resp, "/1.0/nope: no such endpoint"));
	free(resp);
	resp = roundtrip(f->sock, "DELETE /1.0/instances HTTP/1.0\r\n\r\n", 34);
	assert_non_null(strstr(resp, " 405 "));
	free(resp);
	resp = get(f->sock, "/1.0/operations/none/wait?timeout=x");
	assert_non_null(strstr(resp, " 400 "));
	assert_non_null(strstr(resp, "timeout: expected seconds"));
	free(resp);
}

static void test_body_limit(void **state)
{
	struct fixture *f = *state;
	size_t body = CELLAD_MAX_JSON_BODY + 10;
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "POST /1.0/instances HTTP/1.0\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n",
			 body);
	char *req = malloc((size_t)n + body), *resp;

	assert_non_null(req);
	memcpy(req, head, (size_t)n);
	memset(req + n, ' ', body);
	resp = roundtrip(f->sock, req, (size_t)n + body);
	free(req);
	assert_non_null(resp);
	assert_non_null(strstr(resp, " 413 "));
	assert_non_null(strstr(resp, "request body: larger than the limit"));
	free(resp);
}

static void test_peer_refused(void **state)
{
	struct fixture *f = *state;
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		print_message("skip: needs root to connect as another uid\n");
		skip();
	}
	assert_int_equal(chmod(f->sock, 0666), 0);
	assert_int_equal(chmod(f->dir, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *resp;

		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		resp = get(f->sock, "/1.0");
		_exit(resp && strstr(resp, " 403 ") &&
				      strstr(resp, "uid 65534 is neither root nor a member of group 'cella'")
			      ? 0
			      : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_peer_rules(void **state)
{
	struct cellad d = {0};
	char *why = NULL;

	assert_true(cellad_peer_allowed(&d, 0, 0, &why));
	assert_false(cellad_peer_allowed(&d, 65534, 65534, &why));
	assert_non_null(strstr(why, "which does not exist on this host"));
	free(why);
	d.have_group = true;
	d.group = 4242;
	assert_true(cellad_peer_allowed(&d, 65534, 4242, &why)); /* primary group */
	assert_false(cellad_peer_allowed(&d, 65534, 65534, &why));
	assert_null(strstr(why, "does not exist"));
	free(why);
}

static void test_route_match(void **state)
{
	char arg[16];

	assert_true(cellad_route_match("/1.0", "/1.0", arg, sizeof(arg)));
	assert_true(cellad_route_match("/1.0/instances", "/1.0/instances/", arg, sizeof(arg)));
	assert_true(cellad_route_match("/1.0/instances/*", "/1.0/instances/web", arg, sizeof(arg)));
	assert_string_equal(arg, "web");
	assert_true(
		cellad_route_match("/1.0/instances/*/state", "/1.0/instances/db/state", arg, sizeof(arg)));
	assert_string_equal(arg, "db");
	assert_false(cellad_route_match("/1.0/instances/*", "/1.0/instances/", arg, sizeof(arg)));
	assert_false(cellad_route_match("/1.0/instances/*", "/1.0/instances/a/b", arg, sizeof(arg)));
	assert_false(
		cellad_route_match("/1.0/instances/*", "/1.0/instances/0123456789abcdefX", arg, sizeof(arg)));
	assert_false(cellad_route_match("/1.0", "/1.0x", arg, sizeof(arg)));
}

/* Two '*' segments (/1.0/instances/NAME/logs/FILE): each goes to its own argument, none may hold a '/'. */
static void test_route_match_two(void **state)
{
	char arg[16], arg2[16];

	assert_true(cellad_route_match2("/1.0/instances/*/logs/*", "/1.0/instances/web/logs/console.log", arg,
					arg2, sizeof(arg)));
	assert_string_equal(arg, "web");
	assert_string_equal(arg2, "console.log");
	assert_false(cellad_route_match2("/1.0/instances/*/logs/*", "/1.0/instances/web/logs/../x", arg, arg2,
					 sizeof(arg)));
	assert_false(cellad_route_match2("/1.0/instances/*/logs/*", "/1.0/instances/web/logs/", arg, arg2,
					 sizeof(arg)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_server_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_refused, setup, teardown),
		cmocka_unit_test(test_peer_rules),
		cmocka_unit_test(test_route_match),
		cmocka_unit_test(test_route_match_two),
	};

	return cmocka_run_group_tests_name("daemon-http", tests, NULL, NULL);
}
