// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the control API's HTTP request parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/http.h"

static long parse(const char *s, struct vmm_http_request *req, const char **why)
{
	return vmm_http__parse(s, strlen(s), req, why);
}

static void test_get(void **state)
{
	const char *s = "GET /vm HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n";
	struct vmm_http_request req;
	const char *why;

	assert_int_equal(parse(s, &req, &why), (long)strlen(s));
	assert_string_equal(req.method, "GET");
	assert_string_equal(req.path, "/vm");
	assert_int_equal(req.content_length, 0);
	assert_true(req.keep_alive);
}

static void test_put_with_body_and_split_reads(void **state)
{
	const char *s = "PUT /vm/state HTTP/1.1\r\nContent-Length: 18\r\n\r\n{\"state\":\"paused\"}";
	struct vmm_http_request req;
	const char *why;
	size_t n = strlen(s);

	/* Every prefix is incomplete, never an error. */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(vmm_http__parse(s, i, &req, &why), 0);
	assert_int_equal(vmm_http__parse(s, n, &req, &why), (long)n);
	assert_int_equal(req.content_length, 18);
	assert_memory_equal(req.body, "{\"state\":\"paused\"}", 18);
}

static void test_pipelined(void **state)
{
	const char *s = "GET / HTTP/1.1\r\n\r\nGET /vm HTTP/1.1\r\n\r\n";
	struct vmm_http_request req;
	const char *why;
	long used = parse(s, &req, &why);

	assert_int_equal(used, 18);
	assert_string_equal(req.path, "/");
	assert_int_equal(vmm_http__parse(s + used, strlen(s) - (size_t)used, &req, &why), 20);
	assert_string_equal(req.path, "/vm");
}

static void test_connection_close_and_http10(void **state)
{
	struct vmm_http_request req;
	const char *why;

	assert_true(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &req, &why) > 0);
	assert_false(req.keep_alive);
	assert_true(parse("GET / HTTP/1.0\r\n\r\n", &req, &why) > 0);
	assert_false(req.keep_alive);
	assert_true(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &req, &why) > 0);
	assert_true(req.keep_alive);
}

static void expect_error(const char *s, long status, const char *why_expected)
{
	struct vmm_http_request req;
	const char *why = NULL;

	assert_int_equal(parse(s, &req, &why), status);
	assert_non_null(why);
	assert_string_equal(why, why_expected);
}

static void test_malformed(void **state)
{
	expect_error("GET\r\n\r\n", -400, "malformed request line");
	expect_error("get / HTTP/1.1\r\n\r\n", -400, "malformed method");
	expect_error("GET vm HTTP/1.1\r\n\r\n", -400, "malformed or too long request target");
	expect_error("GET / HTTP/2.0\r\n\r\n", -400, "expected HTTP/1.x");
	expect_error("GET / HTTP/1.7\r\n\r\n", -505, "HTTP version not supported");
	expect_error("GET / FTP/1.1x\r\n\r\n", -400, "expected HTTP/1.x");
	expect_error("GET / HTTP/1.1\r\nNoColon\r\n\r\n", -400, "malformed header line");
	expect_error("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", -400, "malformed header name");
	expect_error("PUT / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n", -400, "Content-Length is not a number");
	expect_error("PUT / HTTP/1.1\r\nContent-Length:\r\n\r\n", -400, "empty Content-Length");
	expect_error("PUT / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", -400,
		     "conflicting Content-Length headers");
	expect_error("PUT / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", -413,
		     "body larger than 65536 bytes");
	expect_error("PUT / HTTP/1.1\r\nContent-Length: 65537\r\n\r\n", -413, "body larger than 65536 bytes");
	expect_error("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", -411,
		     "chunked or encoded request bodies are not supported; send Content-Length");
	expect_error("GET /a\x01 HTTP/1.1\r\n\r\n", -400, "invalid character in request target");
}

static void test_huge_head(void **state)
{
	size_t n = VMM_HTTP_MAX_HEAD + 100;
	char *s = malloc(n + 1);
	struct vmm_http_request req;
	const char *why;

	assert_non_null(s);
	memset(s, 'a', n);
	memcpy(s, "GET / HTTP/1.1\r\nX: ", 19);
	s[n] = '\0';
	assert_int_equal(vmm_http__parse(s, n, &req, &why), -431);
	free(s);
}

static void test_reasons(void **state)
{
	assert_string_equal(vmm_http__reason(404), "Not Found");
	assert_string_equal(vmm_http__reason(204), "No Content");
	assert_string_equal(vmm_http__reason(999), "Unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),	  cmocka_unit_test(test_put_with_body_and_split_reads),
		cmocka_unit_test(test_pipelined), cmocka_unit_test(test_connection_close_and_http10),
		cmocka_unit_test(test_malformed), cmocka_unit_test(test_huge_head),
		cmocka_unit_test(test_reasons),
	};

	return cmocka_run_group_tests_name("vmm-api-http", tests, NULL, NULL);
}
