// SPDX-License-Identifier: GPL-2.0-or-later
/* Runs the hooks of one kind in order and turns a failing hook into a readable error. */
#include "oci/hooks.h"
#include "oci/hooks_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cella/cleanup.h>

extern char **environ;

/* A NULL-terminated copy of a JSON string array; { @fallback } (or empty) when the array is absent or empty. */
static char **strv_from_json(json_t *arr, const char *fallback)
{
	size_t n = json_is_array(arr) ? json_array_size(arr) : 0, i;
	char **v = calloc(n + 2, sizeof(*v));
	json_t *s;

	if (v == NULL)
		return NULL;
	if (n == 0) {
		if (fallback && (v[0] = strdup(fallback)) == NULL) {
			free(v);
			return NULL;
		}
		return v;
	}
	json_array_foreach (arr, i, s) {
		v[i] = strdup(json_string_value(s));
		if (v[i] == NULL) {
			_cleanup_strv_ char **undo = v;
			return NULL;
		}
	}
	return v;
}

/* Hook output goes into an error message: keep it printable, drop the final newline. */
static void output_sanitize(struct cella_hooks__output *o)
{
	while (o->len && (o->data[o->len - 1] == '\n' || o->data[o->len - 1] == '\r'))
		o->data[--o->len] = '\0';
	for (size_t i = 0; i < o->len; i++) {
		unsigned char c = (unsigned char)o->data[i];

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			o->data[i] = '?';
	}
}

static int hook_failure(cella_err_t *err, const char *kind, size_t i, const char *path,
			struct cella_hooks__result *res, int timeout_s)
{
	struct cella_hooks__output *o = res->err.len ? &res->err : &res->out;
	_cleanup_free_ char *what = NULL;
	const char *sep = o->len ? ": " : "";
	const char *more = o->truncated ? " [output truncated]" : "";
	int r;

	if (res->exec_errno)
		return cella_error_make(err, res->exec_errno, "hooks.%s[%zu] (%s): cannot execute", kind, i,
					path);
	if (res->timed_out)
		r = asprintf(&what, "timed out after %d s and was killed", timeout_s);
	else if (WIFSIGNALED(res->wait_status))
		r = asprintf(&what, "was killed by signal %d (%s)", WTERMSIG(res->wait_status),
			     strsignal(WTERMSIG(res->wait_status)));
	else
		r = asprintf(&what, "exited with status %d", WEXITSTATUS(res->wait_status));
	if (r < 0)
		return cella_error_make(err, ENOMEM, "hooks.%s[%zu] (%s) failed", kind, i, path);
	output_sanitize(o);
	return cella_error_make(err, 0, "hooks.%s[%zu] (%s) %s%s%s%s", kind, i, path, what, sep, o->data,
				more);
}

static int run_one(json_t *hook, const char *kind, size_t i, const char *state_json, cella_err_t *err)
{
	const char *path = json_string_value(json_object_get(hook, "path"));
	json_t *env = json_object_get(hook, "env");
	json_t *timeout = json_object_get(hook, "timeout");
	int timeout_s = json_is_integer(timeout) ? (int)json_integer_value(timeout) : 0;
	_cleanup_strv_ char **argv = strv_from_json(json_object_get(hook, "args"), path);
	_cleanup_strv_ char **envp = NULL;
	_cleanup_free_ struct cella_hooks__result *res = calloc(1, sizeof(*res));
	int ret;

	if (json_is_array(env))
		envp = strv_from_json(env, NULL); /* "env": [] is an empty environment */
	if (argv == NULL || res == NULL || (json_is_array(env) && envp == NULL))
		return cella_error_make(err, ENOMEM, "hooks.%s[%zu] (%s)", kind, i, path);
	ret = cella_hooks__spawn(path, argv, envp ? envp : environ, state_json, timeout_s, res, err);
	if (ret < 0)
		return cella_error_wrap(err, "hooks.%s[%zu] (%s)", kind, i, path);
	if (res->exec_errno || res->timed_out || !WIFEXITED(res->wait_status) ||
	    WEXITSTATUS(res->wait_status))
		return hook_failure(err, kind, i, path, res, timeout_s);
	return 0;
}

int cella_hooks_run(json_t *hooks, const char *kind, const char *state_json, cella_err_t *err)
{
	json_t *list, *hook;
	size_t i;
	int ret;

	if (!cella_hooks__is_kind(kind))
		return cella_error_make(err, EINVAL, "unknown hook kind '%s'", kind ? kind : "(null)");
	ret = cella_hooks_validate(hooks, err);
	if (ret < 0)
		return ret;
	list = hooks ? json_object_get(hooks, kind) : NULL;
	json_array_foreach (list, i, hook) {
		ret = run_one(hook, kind, i, state_json, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}
