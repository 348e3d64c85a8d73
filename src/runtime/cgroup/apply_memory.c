/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.resources.memory on v1 (memory.*_in_bytes, memsw = memory+swap) and v2
 * (memory.max, memory.swap.max = swap alone). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include <cella/cleanup.h>

#include "cgroup/cgroup_internal.h"

#define F "config.json: linux.resources.memory"

static json_t *member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

static int write_limit(const char *dir, const char *file, int64_t v, bool v2, cella_err_t *err)
{
	if (v == 0)
		return 0; /* unset */
	if (v < 0)
		return cgroup_write(dir, file, v2 ? "max" : "-1", err);
	return cgroup_writef(dir, file, err, "%" PRId64, v);
}

static int read_u64(const char *dir, const char *file, uint64_t *out, cella_err_t *err)
{
	_cleanup_free_ char *s = NULL;
	char *end;

	if (cgroup_read(dir, file, &s, err) < 0)
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || end == s)
		*out = UINT64_MAX; /* "max" */
	return 0;
}

/* checkBeforeUpdate: refuse to set a limit below what the cgroup already uses. */
static int check_usage(const char *dir, bool v2, int64_t limit, cella_err_t *err)
{
	uint64_t usage;

	if (limit <= 0)
		return 0;
	if (read_u64(dir, v2 ? "memory.current" : "memory.usage_in_bytes", &usage, err) < 0)
		return -1;
	if (usage > (uint64_t)limit)
		return cella_error_make(err, EBUSY,
					F ".limit: %" PRId64 " is below the current usage %" PRIu64
					  " (checkBeforeUpdate)",
					limit, usage);
	return 0;
}

static int apply_v1(const char *dir, int64_t limit, int64_t swap, cella_err_t *err)
{
	bool has_memsw = cgroup_file_exists(dir, "memory.memsw.limit_in_bytes");
	uint64_t cur;

	if (limit == -1 && swap == 0 && has_memsw)
		swap = -1; /* unlimited memory with swap unset: unlimited memory+swap, as runc */
	if (swap != 0 && !has_memsw)
		return cella_error_make(
			err, ENOTSUP,
			F ".swap: %s/memory.memsw.limit_in_bytes is missing (swap accounting is "
			  "disabled on this host)",
			dir);

	/* The kernel keeps limit <= memsw at every step: raise memsw first when growing. */
	if (limit != 0 && swap != 0) {
		if (read_u64(dir, "memory.limit_in_bytes", &cur, err) < 0)
			return -1;
		if (swap == -1 || cur < (uint64_t)swap) {
			if (write_limit(dir, "memory.memsw.limit_in_bytes", swap, false, err) < 0)
				return -1;
			return write_limit(dir, "memory.limit_in_bytes", limit, false, err);
		}
	}
	if (write_limit(dir, "memory.limit_in_bytes", limit, false, err) < 0)
		return -1;
	return write_limit(dir, "memory.memsw.limit_in_bytes", swap, false, err);
}

static int apply_v2(const char *dir, int64_t limit, int64_t swap, cella_err_t *err)
{
	int64_t swap_v2;

	if (cgroup_convert_swap_to_v2(swap, limit, &swap_v2, err) < 0)
		return -1;
	if (write_limit(dir, "memory.max", limit, true, err) < 0)
		return -1;
	if (swap_v2 == 0)
		return 0;
	if (!cgroup_file_exists(dir, "memory.swap.max")) {
		if (swap_v2 == -1)
			return 0; /* "unlimited" is what a host without swap accounting gives anyway */
		return cella_error_make(err, ENOTSUP,
					F ".swap: %s/memory.swap.max is missing (no swap accounting)", dir);
	}
	return write_limit(dir, "memory.swap.max", swap_v2, true, err);
}

int cgroup_apply_memory(struct cella_cgroup *cg, json_t *m, bool update, cella_err_t *err)
{
	int64_t limit = json_integer_value(member(m, "limit")), swap = json_integer_value(member(m, "swap"));
	int64_t reservation = json_integer_value(member(m, "reservation"));
	json_t *swappiness = member(m, "swappiness");
	bool no_oom = json_is_true(member(m, "disableOOMKiller")), v2;
	const char *dir;

	if (member(m, "kernel") || member(m, "kernelTCP"))
		cgroup_debug("linux.resources.memory.kernel/kernelTCP are deprecated and ignored");
	if (limit == 0 && swap == 0 && reservation == 0 && !swappiness && !no_oom)
		return 0;
	dir = cgroup_ctrl_dir(cg, CG_MEMORY, &v2);
	if (!dir)
		return cella_error_make(err, ENOTSUP,
					F ": the memory controller is not available on this host");

	if (update && json_is_true(member(m, "checkBeforeUpdate")) && check_usage(dir, v2, limit, err) < 0)
		return -1;
	if ((v2 ? apply_v2(dir, limit, swap, err) : apply_v1(dir, limit, swap, err)) < 0)
		return -1;
	if (write_limit(dir, v2 ? "memory.low" : "memory.soft_limit_in_bytes", reservation, v2, err) < 0)
		return -1;

	if (v2) {
		if (swappiness || no_oom)
			cgroup_debug(
				"memory.swappiness/disableOOMKiller have no cgroup v2 equivalent; ignored");
		return 0;
	}
	if (swappiness && cgroup_writef(dir, "memory.swappiness", err, "%lld",
					(long long)json_integer_value(swappiness)) < 0)
		return -1;
	if (no_oom && cgroup_write(dir, "memory.oom_control", "1", err) < 0)
		return -1;
	if (json_is_true(member(m, "useHierarchy")) && cgroup_file_exists(dir, "memory.use_hierarchy") &&
	    cgroup_write(dir, "memory.use_hierarchy", "1", err) < 0)
		return -1;
	return 0;
}
