/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_API_HTTP_H
#define CELLA_VMM_API_HTTP_H

/*
 * A strict HTTP/1.1 request parser over a byte buffer: no allocation, no I/O, so
 * it can be unit-tested and fuzzed on its own. Only what a control API needs:
 * request line, headers, a Content-Length body (no chunked requests).
 */
#include <stdbool.h>
#include <stddef.h>

#define VMM_HTTP_MAX_HEAD 8192	/* request line + headers */
#define VMM_HTTP_MAX_BODY 65536 /* body cap: 413 beyond */

struct vmm_http_request {
	char method[16];
	char path[256];
	size_t content_length;
	const char *body; /* points into the parsed buffer; not NUL-terminated */
	bool keep_alive;
};

/*
 * Parses one request from buf[0..len). Returns the number of bytes it used when
 * a whole request is there, 0 when more bytes are needed, or a negative HTTP
 * status (-400, -411, -413, -431, -505) when the request is malformed; *why then
 * names the problem.
 */
long vmm_http__parse(const char *buf, size_t len, struct vmm_http_request *req, const char **why);

/* The reason phrase of a status code ("Not Found"). */
const char *vmm_http__reason(int status);

#endif
