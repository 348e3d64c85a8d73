/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.resources.cpu: cpu (shares, CFS, RT, idle) and cpuset (cpus, mems). */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cgroup/cgroup_internal.h"

#define F "config.json: linux.resources.cpu"

static json_t *member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

static int64_t get(json_t *c, const char *key)
{
	return json_integer_value(member(c, key));
}

static int write_num(const char *dir, const char *file, int64_t v, cella_err_t *err)
{
	return cgroup_writef(dir, file, err, "%" PRId64, v);
}

static int apply_cpu_v1(const char *dir, json_t *c, cella_err_t *err)
{
	int64_t quota = get(c, "quota"), period = get(c, "period");

	if (get(c, "shares") && write_num(dir, "cpu.shares", get(c, "shares"), err) < 0)
		return -1;
	/* Period first; if the kernel refuses it against the old quota, quota first. */
	if (period) {
		cella_err_t tmp = NULL;

		if (write_num(dir, "cpu.cfs_period_us", period, &tmp) < 0) {
			cella_error_release(&tmp);
			if ((quota && write_num(dir, "cpu.cfs_quota_us", quota, err) < 0) ||
			    write_num(dir, "cpu.cfs_period_us", period, err) < 0)
				return -1;
		}
	}
	if (quota && write_num(dir, "cpu.cfs_quota_us", quota, err) < 0)
		return -1;
	if (get(c, "burst") && write_num(dir, "cpu.cfs_burst_us", get(c, "burst"), err) < 0)
		return -1;
	if (get(c, "realtimePeriod") && write_num(dir, "cpu.rt_period_us", get(c, "realtimePeriod"), err) < 0)
		return -1;
	if (get(c, "realtimeRuntime") &&
	    write_num(dir, "cpu.rt_runtime_us", get(c, "realtimeRuntime"), err) < 0)
		return -1;
	if (member(c, "idle") && write_num(dir, "cpu.idle", get(c, "idle"), err) < 0)
		return -1;
	return 0;
}

static int apply_cpu_v2(const char *dir, json_t *c, cella_err_t *err)
{
	uint64_t weight = cgroup_convert_shares_to_weight((uint64_t)get(c, "shares"));
	char max[64];

	if (get(c, "realtimeRuntime") || get(c, "realtimePeriod"))
		return cella_error_make(
			err, ENOTSUP,
			F ".realtimeRuntime/realtimePeriod: real-time CPU limits are not supported "
			  "by cgroup v2");
	if (weight && cgroup_writef(dir, "cpu.weight", err, "%" PRIu64, weight) < 0)
		return -1;
	if (cgroup_format_cpu_max(get(c, "quota"), (uint64_t)get(c, "period"), max, sizeof(max)) &&
	    cgroup_write(dir, "cpu.max", max, err) < 0)
		return -1;
	if (get(c, "burst") && write_num(dir, "cpu.max.burst", get(c, "burst"), err) < 0)
		return -1;
	if (member(c, "idle") && write_num(dir, "cpu.idle", get(c, "idle"), err) < 0)
		return -1;
	return 0;
}

int cgroup_apply_cpu(struct cella_cgroup *cg, json_t *c, cella_err_t *err)
{
	const char *cpus = json_string_value(member(c, "cpus")), *mems = json_string_value(member(c, "mems"));
	bool needs_cpu = get(c, "shares") || get(c, "quota") || get(c, "period") || get(c, "burst") ||
			 get(c, "realtimeRuntime") || get(c, "realtimePeriod") || get(c, "idle");
	const char *dir;
	bool v2;

	if (needs_cpu) {
		dir = cgroup_ctrl_dir(cg, CG_CPU, &v2);
		if (!dir)
			return cella_error_make(err, ENOTSUP,
						F ": the cpu controller is not available on this host");
		if ((v2 ? apply_cpu_v2(dir, c, err) : apply_cpu_v1(dir, c, err)) < 0)
			return -1;
	}
	if ((!cpus || !*cpus) && (!mems || !*mems))
		return 0;
	dir = cgroup_ctrl_dir(cg, CG_CPUSET, &v2);
	if (!dir)
		return cella_error_make(err, ENOTSUP,
					F ".cpus/mems: the cpuset controller is not available on this host");
	if (cpus && *cpus && cgroup_write(dir, "cpuset.cpus", cpus, err) < 0)
		return -1;
	if (mems && *mems && cgroup_write(dir, "cpuset.mems", mems, err) < 0)
		return -1;
	return 0;
}
