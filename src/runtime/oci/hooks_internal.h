/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_OCI_HOOKS_INTERNAL_H
#define CELLA_RUNTIME_OCI_HOOKS_INTERNAL_H

/* Shared between hooks_validate.c and hooks_run.c; not for other modules. */
#include <stdbool.h>
#include <stddef.h>

#include "oci/hooks.h"

/* One day: long enough for any sane hook, small enough that ms arithmetic cannot overflow. */
#define CELLA_HOOKS__TIMEOUT_MAX 86400

extern const char *const cella_hooks__kinds[]; /* NULL-terminated */
bool cella_hooks__is_kind(const char *kind);

/* What one hook process did. Output buffers are NUL-terminated. */
struct cella_hooks__output {
	char data[CELLA_HOOKS_OUTPUT_MAX + 1];
	size_t len;
	bool truncated; /* the hook wrote more than CELLA_HOOKS_OUTPUT_MAX */
};

struct cella_hooks__result {
	int exec_errno;	 /* execve() failed with this errno; 0 when the hook ran */
	bool timed_out;	 /* killed with SIGKILL after the timeout */
	int wait_status; /* from waitpid() */
	struct cella_hooks__output out, err;
};

/*
 * Runs one program: fork, execve(path, argv, envp), @input on its stdin,
 * stdout/stderr captured, every other fd closed, its own process group.
 * timeout_s <= 0: no limit. Returns < 0 only when the runtime itself failed
 * (pipe, fork, poll); what the hook did is in @res.
 */
int cella_hooks__spawn(const char *path, char *const argv[], char *const envp[], const char *input,
		       int timeout_s, struct cella_hooks__result *res, cella_err_t *err);

#endif
