/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Checks linux.resources against runtime-spec 1.2 before anything touches the
 * system, so a bad config.json fails with the name of the offending field. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "cgroup/cgroup_internal.h"

#define PREFIX "config.json: linux.resources"

/* An absent or null member is "not set" and always valid. */
static json_t *member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

static int check_int(json_t *obj, const char *where, const char *key, int64_t min, int64_t max, bool required,
		     cella_err_t *err)
{
	json_t *v = member(obj, key);

	if (!v) {
		if (required)
			return cella_error_make(err, EINVAL, "%s.%s.%s: missing (required)", PREFIX, where,
						key);
		return 0;
	}
	if (!json_is_integer(v))
		return cella_error_make(err, EINVAL, "%s.%s.%s: expected integer", PREFIX, where, key);
	json_int_t i = json_integer_value(v);
	if (i < min || i > max)
		return cella_error_make(err, EINVAL, "%s.%s.%s: %lld is out of range [%lld, %lld]", PREFIX,
					where, key, (long long)i, (long long)min, (long long)max);
	return 0;
}

static int check_bool(json_t *obj, const char *where, const char *key, cella_err_t *err)
{
	json_t *v = member(obj, key);

	if (v && !json_is_boolean(v))
		return cella_error_make(err, EINVAL, "%s.%s.%s: expected boolean", PREFIX, where, key);
	return 0;
}

static int check_object(json_t *v, const char *where, cella_err_t *err)
{
	if (!json_is_object(v))
		return cella_error_make(err, EINVAL, "%s.%s: expected object", PREFIX, where);
	return 0;
}

static int check_array(json_t *v, const char *where, cella_err_t *err)
{
	if (!json_is_array(v))
		return cella_error_make(err, EINVAL, "%s.%s: expected array", PREFIX, where);
	return 0;
}

/* cpuset list syntax: "0-3,8,10-11". */
static int check_cpu_list(json_t *obj, const char *key, cella_err_t *err)
{
	json_t *v = member(obj, key);
	const char *s;

	if (!v)
		return 0;
	if (!json_is_string(v))
		return cella_error_make(err, EINVAL, "%s.cpu.%s: expected string", PREFIX, key);
	s = json_string_value(v);
	for (const char *p = s; *p;) {
		if (*p < '0' || *p > '9')
			goto bad;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p == '-') {
			p++;
			if (*p < '0' || *p > '9')
				goto bad;
			while (*p >= '0' && *p <= '9')
				p++;
		}
		if (*p == ',') {
			p++;
			if (!*p)
				goto bad;
		} else if (*p) {
			goto bad;
		}
	}
	return 0;
bad:
	return cella_error_make(err, EINVAL, "%s.cpu.%s: '%s' is not a CPU/node list such as \"0-3,5\"",
				PREFIX, key, s);
}

static int validate_memory(json_t *m, cella_err_t *err)
{
	static const char *const ints[] = {"limit", "reservation", "swap", "kernel", "kernelTCP"};
	static const char *const bools[] = {"disableOOMKiller", "useHierarchy", "checkBeforeUpdate"};

	if (check_object(m, "memory", err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if (check_int(m, "memory", ints[i], -1, INT64_MAX, false, err) < 0)
			return -1;
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
		if (check_bool(m, "memory", bools[i], err) < 0)
			return -1;
	if (check_int(m, "memory", "swappiness", 0, 100, false, err) < 0)
		return -1;

	json_int_t limit = json_integer_value(member(m, "limit")),
		   swap = json_integer_value(member(m, "swap"));
	if (limit > 0 && swap > 0 && swap < limit)
		return cella_error_make(err, EINVAL,
					"%s.memory.swap: memory+swap limit %lld must be >= memory.limit %lld",
					PREFIX, (long long)swap, (long long)limit);
	return 0;
}

static int validate_cpu(json_t *c, cella_err_t *err)
{
	if (check_object(c, "cpu", err) < 0 || check_int(c, "cpu", "shares", 0, INT64_MAX, false, err) < 0 ||
	    check_int(c, "cpu", "quota", -1, INT64_MAX, false, err) < 0 ||
	    check_int(c, "cpu", "burst", 0, INT64_MAX, false, err) < 0 ||
	    check_int(c, "cpu", "period", 0, INT64_MAX, false, err) < 0 ||
	    check_int(c, "cpu", "realtimeRuntime", -1, INT64_MAX, false, err) < 0 ||
	    check_int(c, "cpu", "realtimePeriod", 0, INT64_MAX, false, err) < 0 ||
	    check_int(c, "cpu", "idle", 0, 1, false, err) < 0 || check_cpu_list(c, "cpus", err) < 0 ||
	    check_cpu_list(c, "mems", err) < 0)
		return -1;
	return 0;
}

static int validate_device_list(json_t *bio, const char *key, bool throttle, cella_err_t *err)
{
	json_t *list = member(bio, key), *e;
	size_t i;
	char where[96];

	if (!list)
		return 0;
	snprintf(where, sizeof(where), "blockIO.%s", key);
	if (check_array(list, where, err) < 0)
		return -1;
	json_array_foreach (list, i, e) {
		snprintf(where, sizeof(where), "blockIO.%s[%zu]", key, i);
		if (check_object(e, where, err) < 0 ||
		    check_int(e, where, "major", 0, UINT32_MAX, true, err) < 0 ||
		    check_int(e, where, "minor", 0, UINT32_MAX, true, err) < 0)
			return -1;
		if (throttle) {
			if (check_int(e, where, "rate", 0, INT64_MAX, true, err) < 0)
				return -1;
		} else if (check_int(e, where, "weight", 10, 1000, false, err) < 0 ||
			   check_int(e, where, "leafWeight", 10, 1000, false, err) < 0) {
			return -1;
		}
	}
	return 0;
}

static int validate_blkio(json_t *b, cella_err_t *err)
{
	static const char *const throttles[] = {"throttleReadBpsDevice", "throttleWriteBpsDevice",
						"throttleReadIOPSDevice", "throttleWriteIOPSDevice"};
	json_int_t w;

	if (check_object(b, "blockIO", err) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		const char *key = i ? "leafWeight" : "weight";

		if (check_int(b, "blockIO", key, 0, 1000, false, err) < 0)
			return -1;
		w = json_integer_value(member(b, key));
		if (w != 0 && w < 10)
			return cella_error_make(err, EINVAL, "%s.blockIO.%s: %lld is out of range [10, 1000]",
						PREFIX, key, (long long)w);
	}
	if (validate_device_list(b, "weightDevice", false, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(throttles) / sizeof(throttles[0]); i++)
		if (validate_device_list(b, throttles[i], true, err) < 0)
			return -1;
	return 0;
}

/* "2MB", "1GB", "64KB": what hugetlb.<size>.* files are named after. */
static bool valid_page_size(const char *s)
{
	size_t digits = strspn(s, "0123456789");

	return digits > 0 && digits < 12 && s[0] != '0' && strchr("KMG", s[digits]) && s[digits] != '\0' &&
	       s[digits + 1] == 'B' && s[digits + 2] == '\0';
}

static int validate_hugepages(json_t *list, cella_err_t *err)
{
	json_t *e;
	size_t i;
	char where[64];

	if (check_array(list, "hugepageLimits", err) < 0)
		return -1;
	json_array_foreach (list, i, e) {
		json_t *ps;

		snprintf(where, sizeof(where), "hugepageLimits[%zu]", i);
		if (check_object(e, where, err) < 0 ||
		    check_int(e, where, "limit", 0, INT64_MAX, true, err) < 0)
			return -1;
		ps = member(e, "pageSize");
		if (!json_is_string(ps))
			return cella_error_make(err, EINVAL, "%s.%s.pageSize: expected string", PREFIX,
						where);
		if (!valid_page_size(json_string_value(ps)))
			return cella_error_make(err, EINVAL,
						"%s.%s.pageSize: '%s' is not a size such as \"2MB\"", PREFIX,
						where, json_string_value(ps));
	}
	return 0;
}

/* A file or device name that cannot escape the cgroup directory or break a line. */
static bool safe_name(const char *s)
{
	return *s && *s != '.' && !strpbrk(s, "/ \t\n\r");
}

static int validate_network(json_t *n, cella_err_t *err)
{
	json_t *prio, *e;
	size_t i;
	char where[64];

	if (check_object(n, "network", err) < 0 ||
	    check_int(n, "network", "classID", 0, UINT32_MAX, false, err) < 0)
		return -1;
	prio = member(n, "priorities");
	if (!prio)
		return 0;
	if (check_array(prio, "network.priorities", err) < 0)
		return -1;
	json_array_foreach (prio, i, e) {
		json_t *name;

		snprintf(where, sizeof(where), "network.priorities[%zu]", i);
		if (check_object(e, where, err) < 0 ||
		    check_int(e, where, "priority", 0, UINT32_MAX, true, err) < 0)
			return -1;
		name = member(e, "name");
		if (!json_is_string(name) || !safe_name(json_string_value(name)))
			return cella_error_make(err, EINVAL, "%s.%s.name: expected an interface name", PREFIX,
						where);
	}
	return 0;
}

static int validate_rdma(json_t *r, cella_err_t *err)
{
	const char *dev;
	json_t *e;
	char where[128];

	if (check_object(r, "rdma", err) < 0)
		return -1;
	json_object_foreach (r, dev, e) {
		if (!safe_name(dev))
			return cella_error_make(err, EINVAL, "%s.rdma: '%s' is not a device name", PREFIX,
						dev);
		snprintf(where, sizeof(where), "rdma.%s", dev);
		if (check_object(e, where, err) < 0 ||
		    check_int(e, where, "hcaHandles", 0, UINT32_MAX, false, err) < 0 ||
		    check_int(e, where, "hcaObjects", 0, UINT32_MAX, false, err) < 0)
			return -1;
	}
	return 0;
}

/* Keys are files of the cgroup directory; the runtime alone manages membership and the tree. */
static int validate_unified(json_t *u, cella_err_t *err)
{
	const char *key;
	json_t *v;

	if (check_object(u, "unified", err) < 0)
		return -1;
	json_object_foreach (u, key, v) {
		if (!safe_name(key) || !strchr(key, '.'))
			return cella_error_make(err, EINVAL, "%s.unified: '%s' is not a cgroup file name",
						PREFIX, key);
		if (strncmp(key, "cgroup.", 7) == 0 && strcmp(key, "cgroup.max.depth") != 0 &&
		    strcmp(key, "cgroup.max.descendants") != 0)
			return cella_error_make(err, EPERM,
						"%s.unified.%s: managed by the runtime, cannot be set",
						PREFIX, key);
		if (!json_is_string(v))
			return cella_error_make(err, EINVAL, "%s.unified.%s: expected string", PREFIX, key);
	}
	return 0;
}

int cella_cgroup_resources_validate(json_t *resources, cella_err_t *err)
{
	json_t *v;

	if (!resources || json_is_null(resources))
		return 0;
	if (!json_is_object(resources))
		return cella_error_make(err, EINVAL, "%s: expected object", PREFIX);
	if ((v = member(resources, "memory")) && validate_memory(v, err) < 0)
		return -1;
	if ((v = member(resources, "cpu")) && validate_cpu(v, err) < 0)
		return -1;
	if ((v = member(resources, "pids"))) {
		if (check_object(v, "pids", err) < 0 ||
		    check_int(v, "pids", "limit", INT64_MIN, INT64_MAX, false, err) < 0)
			return -1;
	}
	if ((v = member(resources, "blockIO")) && validate_blkio(v, err) < 0)
		return -1;
	if ((v = member(resources, "hugepageLimits")) && validate_hugepages(v, err) < 0)
		return -1;
	if ((v = member(resources, "network")) && validate_network(v, err) < 0)
		return -1;
	if ((v = member(resources, "rdma")) && validate_rdma(v, err) < 0)
		return -1;
	if ((v = member(resources, "unified")) && validate_unified(v, err) < 0)
		return -1;
	if ((v = member(resources, "devices"))) {
		_cleanup_free_ struct cgroup_dev_rule *rules = NULL;
		size_t n;

		if (cgroup_dev_rules_parse(v, &rules, &n, err) < 0)
			return -1;
	}
	return 0;
}
