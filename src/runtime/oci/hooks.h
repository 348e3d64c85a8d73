/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_OCI_HOOKS_H
#define CELLA_RUNTIME_OCI_HOOKS_H

/*
 * runtime-spec hooks (config.json "hooks"). A hook is an absolute path, an
 * argv, an environment and an optional timeout; it gets the container state on
 * stdin. Hook kinds: "prestart", "createRuntime", "createContainer",
 * "startContainer", "poststart", "poststop".
 */
#include <jansson.h>

#include <cella/error.h>

/* Hook output kept for the error message, per stream: enough for a diagnosis,
 * bounded so that a chatty or hostile hook cannot grow the runtime. */
#define CELLA_HOOKS_OUTPUT_MAX 4096

/*
 * Checks the shape of config.json's "hooks" (NULL or JSON null: no hooks).
 * Errors name the field, e.g. "config.json: hooks.prestart[0].path: must be
 * absolute". Unknown hook kinds are ignored, as runc does.
 */
int cella_hooks_validate(json_t *hooks, cella_err_t *err);

/*
 * Runs every hook of @kind in order and stops at the first failure. Each hook
 * runs as fork+execve(path, args, env) (no shell), with @state_json on stdin,
 * stdout/stderr captured (CELLA_HOOKS_OUTPUT_MAX each) and every other fd
 * closed. A hook without "env" inherits the runtime's environment (runc does
 * the same); one without "args" gets argv = { path }. "timeout" (seconds) is
 * enforced with SIGKILL on the hook's process group. Errors read
 * "hooks.prestart[1] (/usr/bin/x) exited with status 3: <stderr>".
 * @hooks may be NULL (nothing to run); it is validated again here.
 */
int cella_hooks_run(json_t *hooks, const char *kind, const char *state_json, cella_err_t *err);

#endif
