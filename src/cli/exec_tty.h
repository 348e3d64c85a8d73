/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_CLI_EXEC_TTY_H
#define CELLA_CLI_EXEC_TTY_H

#include <jansson.h>

#include <cella/error.h>

/* Runs cmd (with env) in instance name on a terminal, attached to this one: the command's exit status,
 * or -1 with *err. */
int cella_cli_exec_tty(const char *socket, const char *name, json_t *cmd, json_t *env, cella_err_t *err);

#endif
