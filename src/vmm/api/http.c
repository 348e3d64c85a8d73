// SPDX-License-Identifier: GPL-2.0-or-later
/* Strict HTTP/1.1 request parsing for the VMM control API. */
#include "api/http.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const char *find_head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++) {
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n')
			return buf + i;
	}
	return NULL;
}

static bool token_char(char c)
{
	return isalnum((unsigned char)c) || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int parse_request_line(const char *line, size_t n, struct vmm_http_request *req, const char **why)
{
	const char *sp1 = memchr(line, ' ', n), *sp2;
	size_t mlen, plen;

	if (sp1 == NULL) {
		*why = "malformed request line";
		return -400;
	}
	mlen = (size_t)(sp1 - line);
	sp2 = memchr(sp1 + 1, ' ', n - mlen - 1);
	if (sp2 == NULL || mlen == 0 || mlen >= sizeof(req->method)) {
		*why = "malformed request line";
		return -400;
	}
	for (size_t i = 0; i < mlen; i++) {
		if (!isupper((unsigned char)line[i])) {
			*why = "malformed method";
			return -400;
		}
	}
	plen = (size_t)(sp2 - sp1 - 1);
	if (plen == 0 || plen >= sizeof(req->path) || sp1[1] != '/') {
		*why = "malformed or too long request target";
		return -400;
	}
	for (size_t i = 0; i < plen; i++) {
		unsigned char c = (unsigned char)sp1[1 + i];

		if (c <= ' ' || c >= 0x7f) {
			*why = "invalid character in request target";
			return -400;
		}
	}
	if ((size_t)(line + n - sp2 - 1) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0) {
		*why = "expected HTTP/1.x";
		return -400;
	}
	if (sp2[8] != '1' && sp2[8] != '0') {
		*why = "HTTP version not supported";
		return -505;
	}
	memcpy(req->method, line, mlen);
	req->method[mlen] = '\0';
	memcpy(req->path, sp1 + 1, plen);
	req->path[plen] = '\0';
	req->keep_alive = sp2[8] == '1';
	return 0;
}

static int parse_content_length(const char *v, size_t n, size_t *out, const char **why)
{
	size_t value = 0;

	if (n == 0) {
		*why = "empty Content-Length";
		return -400;
	}
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)v[i])) {
			*why = "Content-Length is not a number";
			return -400;
		}
		if (value > VMM_HTTP_MAX_BODY) {
			*why = "body larger than 65536 bytes";
			return -413;
		}
		value = value * 10 + (size_t)(v[i] - '0');
	}
	if (value > VMM_HTTP_MAX_BODY) {
		*why = "body larger than 65536 bytes";
		return -413;
	}
	*out = value;
	return 0;
}

static int parse_header(const char *line, size_t n, struct vmm_http_request *req, bool *have_length,
			const char **why)
{
	const char *colon = memchr(line, ':', n);
	const char *v, *end = line + n;
	size_t nlen;

	if (colon == NULL || colon == line) {
		*why = "malformed header line";
		return -400;
	}
	nlen = (size_t)(colon - line);
	for (size_t i = 0; i < nlen; i++) {
		if (!token_char(line[i])) {
			*why = "malformed header name";
			return -400;
		}
	}
	v = colon + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (nlen == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
		size_t value;
		int r = parse_content_length(v, (size_t)(end - v), &value, why);

		if (r < 0)
			return r;
		if (*have_length && value != req->content_length) {
			*why = "conflicting Content-Length headers";
			return -400;
		}
		req->content_length = value;
		*have_length = true;
	} else if (nlen == 17 && strncasecmp(line, "Transfer-Encoding", 17) == 0) {
		*why = "chunked or encoded request bodies are not supported; send Content-Length";
		return -411;
	} else if (nlen == 10 && strncasecmp(line, "Connection", 10) == 0) {
		if ((size_t)(end - v) == 5 && strncasecmp(v, "close", 5) == 0)
			req->keep_alive = false;
		else if ((size_t)(end - v) == 10 && strncasecmp(v, "keep-alive", 10) == 0)
			req->keep_alive = true;
	}
	return 0;
}

long vmm_http__parse(const char *buf, size_t len, struct vmm_http_request *req, const char **why)
{
	const char *head_end = find_head_end(buf, len < VMM_HTTP_MAX_HEAD + 4 ? len : VMM_HTTP_MAX_HEAD + 4);
	const char *p = buf, *eol;
	bool have_length = false;
	size_t head_len;
	int r;

	memset(req, 0, sizeof(*req));
	*why = NULL;
	if (head_end == NULL) {
		if (len >= VMM_HTTP_MAX_HEAD + 4) {
			*why = "request head larger than 8192 bytes";
			return -431;
		}
		return 0;
	}
	head_len = (size_t)(head_end - buf) + 4;
	eol = memchr(p, '\r', (size_t)(head_end - p) + 1);
	if (eol == NULL || eol[1] != '\n') {
		*why = "malformed request line";
		return -400;
	}
	r = parse_request_line(p, (size_t)(eol - p), req, why);
	if (r < 0)
		return r;
	p = eol + 2;
	while (p < head_end) {
		eol = memchr(p, '\r', (size_t)(head_end - p) + 1);
		if (eol == NULL || eol[1] != '\n') {
			*why = "header line not terminated by CRLF";
			return -400;
		}
		if (memchr(p, '\n', (size_t)(eol - p)) != NULL) {
			*why = "bare LF in header";
			return -400;
		}
		r = parse_header(p, (size_t)(eol - p), req, &have_length, why);
		if (r < 0)
			return r;
		p = eol + 2;
	}
	if (len - head_len < req->content_length)
		return 0;
	req->body = buf + head_len;
	return (long)(head_len + req->content_length);
}

const char *vmm_http__reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 413:
		return "Payload Too Large";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}
