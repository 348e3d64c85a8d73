// SPDX-License-Identifier: GPL-2.0-or-later
/* process.rlimits: type RLIMIT_*, soft, hard; set in the container process first of all. */
#include "security/security_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/resource.h>

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{"RLIMIT_AS", RLIMIT_AS},
	{"RLIMIT_CORE", RLIMIT_CORE},
	{"RLIMIT_CPU", RLIMIT_CPU},
	{"RLIMIT_DATA", RLIMIT_DATA},
	{"RLIMIT_FSIZE", RLIMIT_FSIZE},
	{"RLIMIT_LOCKS", RLIMIT_LOCKS},
	{"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
	{"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
	{"RLIMIT_NICE", RLIMIT_NICE},
	{"RLIMIT_NOFILE", RLIMIT_NOFILE},
	{"RLIMIT_NPROC", RLIMIT_NPROC},
	{"RLIMIT_RSS", RLIMIT_RSS},
	{"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
	{"RLIMIT_RTTIME", RLIMIT_RTTIME},
	{"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
	{"RLIMIT_STACK", RLIMIT_STACK},
};

#define N_RLIMITS (sizeof(rlimit_names) / sizeof(rlimit_names[0]))

static int parse_one(json_t *o, size_t i, struct sec_rlimit *out, cella_err_t *err)
{
	char path[64];
	const char *type = NULL;
	int ret;

	snprintf(path, sizeof(path), "process.rlimits[%zu]", i);
	if (!json_is_object(o))
		return sec_field_error(err, path, "must be an object");
	snprintf(path, sizeof(path), "process.rlimits[%zu].type", i);
	if (sec_field_string(o, "type", path, &type, err) < 0)
		return -1;
	if (type == NULL)
		return sec_field_error(err, path, "missing");
	out->name = NULL;
	for (size_t k = 0; k < N_RLIMITS; k++) {
		if (strcmp(type, rlimit_names[k].name) == 0) {
			out->name = rlimit_names[k].name;
			out->resource = rlimit_names[k].resource;
		}
	}
	if (out->name == NULL)
		return sec_field_error(err, path, "unknown rlimit type %s", type);

	snprintf(path, sizeof(path), "process.rlimits[%zu].hard", i);
	ret = sec_field_uint64(o, "hard", path, INT64_MAX, &out->hard, err);
	if (ret == 0)
		return sec_field_error(err, path, "missing");
	if (ret < 0)
		return -1;
	snprintf(path, sizeof(path), "process.rlimits[%zu].soft", i);
	ret = sec_field_uint64(o, "soft", path, INT64_MAX, &out->soft, err);
	if (ret == 0)
		return sec_field_error(err, path, "missing");
	if (ret < 0)
		return -1;
	if (out->soft > out->hard)
		return sec_field_error(err, path, "soft limit %llu of %s is above its hard limit %llu",
				       (unsigned long long)out->soft, out->name,
				       (unsigned long long)out->hard);
	return 0;
}

int sec_rlimits_parse(json_t *rlimits, struct sec_rlimits *out, cella_err_t *err)
{
	json_t *o;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (rlimits == NULL || json_is_null(rlimits))
		return 0;
	if (!json_is_array(rlimits))
		return sec_field_error(err, "process.rlimits", "must be an array");
	if (json_array_size(rlimits) == 0)
		return 0;
	out->v = calloc(json_array_size(rlimits), sizeof(*out->v));
	if (out->v == NULL)
		return cella_error_sys(err, "allocating rlimits");
	json_array_foreach (rlimits, i, o) {
		struct sec_rlimit *r = &out->v[out->n];

		if (parse_one(o, i, r, err) < 0)
			goto fail;
		/* runtime-spec: a type given twice is an error. */
		for (size_t k = 0; k < out->n; k++) {
			if (out->v[k].resource == r->resource) {
				cella_error_make(err, 0,
						 "config.json: process.rlimits[%zu].type: %s given twice", i,
						 r->name);
				goto fail;
			}
		}
		out->n++;
	}
	return 0;
fail:
	sec_rlimits_release(out);
	return -1;
}

void sec_rlimits_release(struct sec_rlimits *r)
{
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

int sec_rlimits_apply(const struct sec_rlimits *r, cella_err_t *err)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct sec_rlimit *l = &r->v[i];
		struct rlimit want = {.rlim_cur = l->soft, .rlim_max = l->hard}, cur;
		int e;

		if (setrlimit(l->resource, &want) == 0)
			continue;
		e = errno;
		if (e == EPERM && getrlimit(l->resource, &cur) == 0 && l->hard > cur.rlim_max) {
			cella_error_make(err, 0,
					 "setrlimit %s to %llu/%llu: %s (raising the hard limit needs "
					 "CAP_SYS_RESOURCE)",
					 l->name, (unsigned long long)l->soft, (unsigned long long)l->hard,
					 strerror(e));
			return -e;
		}
		errno = e;
		return cella_error_sys(err, "setrlimit %s to %llu/%llu", l->name, (unsigned long long)l->soft,
				       (unsigned long long)l->hard);
	}
	return 0;
}
