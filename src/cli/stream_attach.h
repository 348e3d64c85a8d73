/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_CLI_STREAM_ATTACH_H
#define CELLA_CLI_STREAM_ATTACH_H

#include <stdbool.h>

#include <jansson.h>

#include <cella/error.h>

/* The local window size (stdout's, else stdin's); false when neither is a terminal. */
bool cella_cli_window_size(unsigned *cols, unsigned *rows);
/*
 * Attaches this terminal to the stream of the operation in reply (cellad's 202 answer, its metadata
 * holding fds."0", the secret) until the stream ends or, with detach_keys, Ctrl-a q is typed; then waits
 * for the operation: *op (new reference).
 */
int cella_cli_stream_attach(const char *socket, json_t *reply, bool detach_keys, json_t **op,
			    cella_err_t *err);

#endif
