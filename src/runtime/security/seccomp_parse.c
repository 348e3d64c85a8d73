// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * linux.seccomp: checked and resolved before fork, so the container process
 * only compiles what is known to be valid. Unknown actions, operators,
 * architectures and flags are errors; an unknown syscall name is skipped (it
 * may just be newer than this kernel), as runc does.
 */
#include "security/security_internal.h"
#include "security/seccomp_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/un.h>

#define DEFAULT_ERRNO EPERM
#define MAX_ERRNO_RET 4095 /* the kernel clamps SECCOMP_RET_ERRNO data to MAX_ERRNO */
#define MAX_ARG_INDEX 5

/* Resolves obj[key] (an action name) and obj[errno_key] into a libseccomp action. */
static int parse_action(json_t *obj, const char *key, const char *errno_key, const char *path,
			const char *errno_path, uint32_t *action, cella_err_t *err)
{
	const struct sec_seccomp_action_name *a = NULL;
	const char *name = NULL;
	uint64_t errno_ret = DEFAULT_ERRNO;
	int has_errno;

	if (sec_field_string(obj, key, path, &name, err) < 0)
		return -1;
	if (name == NULL)
		return sec_field_error(err, path, "missing");
	for (size_t i = 0; i < sec_seccomp_n_actions; i++) {
		if (strcmp(name, sec_seccomp_actions[i].name) == 0)
			a = &sec_seccomp_actions[i];
	}
	if (a == NULL)
		return sec_field_error(err, path, "unknown action %s", name);
	has_errno = sec_field_uint64(obj, errno_key, errno_path, MAX_ERRNO_RET, &errno_ret, err);
	if (has_errno < 0)
		return -1;
	if (has_errno && !a->takes_errno)
		return sec_field_error(err, errno_path,
				       "only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %s", name);
	*action = a->takes_errno ? (a->action | (uint32_t)errno_ret) : a->action;
	return 0;
}

static int lookup_arch(const char *name, uint32_t *arch)
{
	for (size_t i = 0; i < sec_seccomp_n_archs; i++) {
		if (strcmp(name, sec_seccomp_archs[i].name) == 0) {
			*arch = sec_seccomp_archs[i].arch;
			return 0;
		}
	}
	return -1;
}

static int parse_archs(json_t *seccomp, struct sec_seccomp *out, cella_err_t *err)
{
	json_t *arr, *v;
	size_t i;

	if (sec_field_typed(seccomp, "architectures", "linux.seccomp.architectures", JSON_ARRAY, &arr, err) <
	    0)
		return -1;
	if (arr == NULL || json_array_size(arr) == 0)
		return 0;
	out->archs = calloc(json_array_size(arr), sizeof(*out->archs));
	if (out->archs == NULL)
		return cella_error_sys(err, "allocating linux.seccomp.architectures");
	json_array_foreach (arr, i, v) {
		const char *name = json_string_value(v);
		uint32_t arch = 0;

		if (name == NULL)
			return cella_error_make(
				err, 0, "config.json: linux.seccomp.architectures[%zu]: must be a string", i);
		if (lookup_arch(name, &arch) < 0)
			return cella_error_make(
				err, 0,
				"config.json: linux.seccomp.architectures[%zu]: unknown architecture %s", i,
				name);
		if (arch == 0)
			return cella_error_make(
				err, 0,
				"config.json: linux.seccomp.architectures[%zu]: %s is not supported by "
				"libseccomp %u.%u.%u",
				i, name, SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
		out->archs[out->n_archs++] = arch;
	}
	return 0;
}

static int parse_flags(json_t *seccomp, struct sec_seccomp *out, cella_err_t *err)
{
	bool *dest[SEC_FLAG_COUNT] = {
		[SEC_FLAG_TSYNC] = &out->flag_tsync,
		[SEC_FLAG_LOG] = &out->flag_log,
		[SEC_FLAG_SPEC_ALLOW] = &out->flag_spec_allow,
		[SEC_FLAG_WAIT_KILLABLE_RECV] = &out->flag_wait_killable,
	};
	unsigned api = seccomp_api_get();
	json_t *arr, *v;
	size_t i;

	if (sec_field_typed(seccomp, "flags", "linux.seccomp.flags", JSON_ARRAY, &arr, err) < 0)
		return -1;
	json_array_foreach (arr, i, v) {
		const char *name = json_string_value(v);
		int f = -1;

		for (int k = 0; name && k < SEC_FLAG_COUNT; k++) {
			if (strcmp(name, sec_seccomp_flags[k].name) == 0)
				f = k;
		}
		if (f < 0)
			return cella_error_make(err, 0,
						"config.json: linux.seccomp.flags[%zu]: unknown flag %s", i,
						name ? name : "(not a string)");
		if (sec_seccomp_flags[f].min_api == 0 || api < sec_seccomp_flags[f].min_api)
			return cella_error_make(
				err, 0,
				"config.json: linux.seccomp.flags[%zu]: %s is not supported by "
				"libseccomp %u.%u.%u (API level %u) on this host",
				i, name, SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO, api);
		*dest[f] = true;
	}
	return 0;
}

/* Turns a sec_field_*() "absent" (0) into an error for a required member. */
static int required(int ret, const char *path, cella_err_t *err)
{
	if (ret == 0)
		return sec_field_error(err, path, "missing");
	return ret < 0 ? -1 : 0;
}

static int parse_args(json_t *entry, size_t idx, struct scmp_arg_cmp **args_out, size_t *n_out,
		      cella_err_t *err)
{
	char path[96];
	json_t *arr, *a;
	size_t i;

	snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu].args", idx);
	if (sec_field_typed(entry, "args", path, JSON_ARRAY, &arr, err) < 0)
		return -1;
	*n_out = 0;
	*args_out = NULL;
	if (arr == NULL || json_array_size(arr) == 0)
		return 0;
	*args_out = calloc(json_array_size(arr), sizeof(**args_out));
	if (*args_out == NULL)
		return cella_error_sys(err, "allocating %s", path);
	json_array_foreach (arr, i, a) {
		struct scmp_arg_cmp *c = &(*args_out)[i];
		uint64_t index = 0, value = 0, value_two = 0;
		const char *op = NULL;
		bool found = false;

#define ARG_PATH(field) snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu].args[%zu]%s", idx, i, field)
		ARG_PATH("");
		if (!json_is_object(a))
			return sec_field_error(err, path, "must be an object");
		ARG_PATH(".index");
		if (required(sec_field_uint64(a, "index", path, MAX_ARG_INDEX, &index, err), path, err) < 0)
			return -1;
		ARG_PATH(".value");
		if (required(sec_field_uint64(a, "value", path, INT64_MAX, &value, err), path, err) < 0)
			return -1;
		ARG_PATH(".valueTwo");
		if (sec_field_uint64(a, "valueTwo", path, INT64_MAX, &value_two, err) < 0)
			return -1;
		ARG_PATH(".op");
		if (required(sec_field_string(a, "op", path, &op, err), path, err) < 0)
			return -1;
#undef ARG_PATH
		for (size_t k = 0; k < sec_seccomp_n_ops; k++) {
			if (strcmp(op, sec_seccomp_ops[k].name) == 0) {
				c->op = sec_seccomp_ops[k].op;
				found = true;
			}
		}
		if (!found)
			return sec_field_error(err, path, "unknown operator %s", op);
		c->arg = (unsigned)index;
		/* For MASKED_EQ value is the mask and valueTwo the datum, matching libseccomp's a/b. */
		c->datum_a = value;
		c->datum_b = value_two;
		(*n_out)++;
	}
	return 0;
}

static int add_rule(struct sec_seccomp *out, const char *name, int nr, uint32_t action,
		    const struct scmp_arg_cmp *args, size_t n_args, cella_err_t *err)
{
	struct sec_seccomp_rule *grown, *r;

	grown = reallocarray(out->rules, out->n_rules + 1, sizeof(*out->rules));
	if (grown == NULL)
		return cella_error_sys(err, "allocating seccomp rules");
	out->rules = grown;
	r = &out->rules[out->n_rules];
	memset(r, 0, sizeof(*r));
	r->name = strdup(name);
	if (r->name == NULL)
		return cella_error_sys(err, "allocating seccomp rules");
	if (n_args) {
		r->args = calloc(n_args, sizeof(*args));
		if (r->args == NULL) {
			free(r->name);
			return cella_error_sys(err, "allocating seccomp rules");
		}
		memcpy(r->args, args, n_args * sizeof(*args));
	}
	r->nr = nr;
	r->action = action;
	r->n_args = n_args;
	out->n_rules++;
	return 0;
}

static int parse_entry(json_t *entry, size_t idx, struct sec_seccomp *out, cella_err_t *err)
{
	struct scmp_arg_cmp *args = NULL;
	char path[96], errno_path[96];
	size_t n_args = 0, i;
	json_t *names, *v;
	uint32_t action = 0;
	int ret = -1;

	snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu]", idx);
	if (!json_is_object(entry))
		return sec_field_error(err, path, "must be an object");
	snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu].action", idx);
	snprintf(errno_path, sizeof(errno_path), "linux.seccomp.syscalls[%zu].errnoRet", idx);
	if (parse_action(entry, "action", "errnoRet", path, errno_path, &action, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu].names", idx);
	if (sec_field_typed(entry, "names", path, JSON_ARRAY, &names, err) < 0)
		return -1;
	if (names == NULL || json_array_size(names) == 0)
		return sec_field_error(err, path, "missing or empty");
	if (parse_args(entry, idx, &args, &n_args, err) < 0)
		goto out;
	json_array_foreach (names, i, v) {
		const char *name = json_string_value(v);
		int nr;

		if (name == NULL || name[0] == '\0') {
			cella_error_make(err, 0, "config.json: %s[%zu]: must be a non-empty string", path, i);
			goto out;
		}
		if (action == SCMP_ACT_NOTIFY && strcmp(name, "write") == 0) {
			/* The runtime itself writes (exec fifo, sync pipe) after loading the filter: it would hang. */
			cella_error_make(
				err, 0,
				"config.json: %s[%zu]: SCMP_ACT_NOTIFY cannot be used for write (the runtime "
				"writes after loading the filter)",
				path, i);
			goto out;
		}
		nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) {
			sec_log(CELLA_SECURITY_LOG_DEBUG,
				"%s[%zu]: syscall %s unknown on this system, skipped", path, i, name);
			continue;
		}
		/* libseccomp refuses a rule equal to the default action; it would change nothing anyway. */
		if (action == out->default_action)
			continue;
		if (add_rule(out, name, nr, action, args, n_args, err) < 0)
			goto out;
		if (action == SCMP_ACT_NOTIFY)
			out->has_notify = true;
	}
	ret = 0;
out:
	free(args);
	return ret;
}

static int parse_listener(json_t *seccomp, struct sec_seccomp *out, cella_err_t *err)
{
	const char *path = NULL, *meta = NULL;

	if (sec_field_string(seccomp, "listenerPath", "linux.seccomp.listenerPath", &path, err) < 0 ||
	    sec_field_string(seccomp, "listenerMetadata", "linux.seccomp.listenerMetadata", &meta, err) < 0)
		return -1;
	if (path && path[0] != '\0') {
		if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return sec_field_error(err, "linux.seccomp.listenerPath",
					       "longer than a unix socket path (%zu)",
					       sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		out->listener_path = strdup(path);
		if (out->listener_path == NULL)
			return cella_error_sys(err, "allocating linux.seccomp.listenerPath");
	}
	if (meta) {
		out->listener_metadata = strdup(meta);
		if (out->listener_metadata == NULL)
			return cella_error_sys(err, "allocating linux.seccomp.listenerMetadata");
	}
	return 0;
}

static int parse_all(json_t *seccomp, struct sec_seccomp *out, cella_err_t *err)
{
	json_t *syscalls, *entry;
	size_t i;

	if (parse_action(seccomp, "defaultAction", "defaultErrnoRet", "linux.seccomp.defaultAction",
			 "linux.seccomp.defaultErrnoRet", &out->default_action, err) < 0)
		return -1;
	if (out->default_action == SCMP_ACT_NOTIFY)
		return sec_field_error(err, "linux.seccomp.defaultAction",
				       "SCMP_ACT_NOTIFY cannot be the default");
	if (parse_archs(seccomp, out, err) < 0 || parse_flags(seccomp, out, err) < 0 ||
	    parse_listener(seccomp, out, err) < 0)
		return -1;
	if (sec_field_typed(seccomp, "syscalls", "linux.seccomp.syscalls", JSON_ARRAY, &syscalls, err) < 0)
		return -1;
	json_array_foreach (syscalls, i, entry) {
		if (parse_entry(entry, i, out, err) < 0)
			return -1;
	}
	if (out->has_notify && out->listener_path == NULL)
		return sec_field_error(err, "linux.seccomp.listenerPath",
				       "required when a rule uses SCMP_ACT_NOTIFY (someone must answer)");
	return 0;
}

int sec_seccomp_parse(json_t *seccomp, struct sec_seccomp *out, cella_err_t *err)
{
	memset(out, 0, sizeof(*out));
	if (seccomp == NULL || json_is_null(seccomp))
		return 0;
	if (!json_is_object(seccomp))
		return sec_field_error(err, "linux.seccomp", "must be an object");
	out->present = true;
	if (parse_all(seccomp, out, err) < 0) {
		sec_seccomp_release(out);
		return -1;
	}
	return 0;
}

void sec_seccomp_release(struct sec_seccomp *sc)
{
	for (size_t i = 0; i < sc->n_rules; i++) {
		free(sc->rules[i].name);
		free(sc->rules[i].args);
	}
	free(sc->rules);
	free(sc->archs);
	free(sc->listener_path);
	free(sc->listener_metadata);
	memset(sc, 0, sizeof(*sc));
}
