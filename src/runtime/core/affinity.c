// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * process.execCPUAffinity (runtime-spec 1.2): CPU lists for an exec'd process,
 * "initial" before it joins the container's cgroup, "final" after. Not
 * applicable to the init, as the spec says; validated for it all the same.
 */
#include "core/affinity.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/spec.h"

static int parse_cpu_list(const char *text, const char *where, cpu_set_t *set, cella_err_t *err)
{
	const char *p = text;

	CPU_ZERO(set);
	if (*p == '\0')
		return cella_error_make(err, 0, "%s: empty CPU list", where);
	while (*p) {
		char *end;
		unsigned long lo, hi;

		errno = 0;
		lo = strtoul(p, &end, 10);
		if (errno || end == p || (*p < '0' || *p > '9'))
			goto bad;
		hi = lo;
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				goto bad;
			hi = strtoul(p, &end, 10);
			if (errno || hi < lo)
				goto bad;
		}
		if (hi >= CPU_SETSIZE)
			return cella_error_make(err, 0, "%s: CPU %lu out of range (0..%d)", where, hi,
						CPU_SETSIZE - 1);
		for (unsigned long c = lo; c <= hi; c++)
			CPU_SET(c, set);
		if (*end == ',' && end[1] != '\0')
			end++;
		else if (*end != '\0')
			goto bad;
		p = end;
	}
	return 0;
bad:
	return cella_error_make(err, 0, "%s: invalid CPU list '%s' (e.g. \"0-3,7\")", where, text);
}

int cella_affinity_parse(json_t *process, const char *prefix, struct cella_affinity *out, cella_err_t *err)
{
	static const char *const keys[] = {"initial", "final"};
	json_t *obj = NULL;
	char where[96];

	memset(out, 0, sizeof(*out));
	if (cella_json_get_object(process, "execCPUAffinity", prefix, &obj, err) < 0 || obj == NULL)
		return err && *err ? -1 : 0;
	for (int i = 0; i < 2; i++) {
		const char *text = NULL;

		snprintf(where, sizeof(where), "%s.execCPUAffinity", prefix);
		if (cella_json_get_string(obj, keys[i], where, &text, err) < 0)
			return -1;
		if (text == NULL)
			continue;
		snprintf(where, sizeof(where), "%s.execCPUAffinity.%s", prefix, keys[i]);
		if (parse_cpu_list(text, where, i ? &out->final : &out->initial, err) < 0)
			return -1;
		if (i)
			out->has_final = true;
		else
			out->has_initial = true;
	}
	return 0;
}

int cella_affinity_apply(const cpu_set_t *set, const char *which, cella_err_t *err)
{
	if (sched_setaffinity(0, sizeof(*set), set) < 0)
		return cella_error_sys(err, "process.execCPUAffinity.%s: sched_setaffinity", which);
	return 0;
}
