/* SPDX-License-Identifier: GPL-2.0-or-later */
/* runtime-spec values are v1-shaped; these map them to cgroup v2 files the way
 * runc and crun do, so a config behaves the same under either runtime. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "cgroup/cgroup_internal.h"

uint64_t cgroup_convert_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2; /* the v1 minimum; below it the formula would underflow */
	if (shares > 262144)
		shares = 262144; /* the v1 maximum, which maps to cpu.weight's 10000 */
	return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cgroup_convert_blkio_weight(uint64_t weight)
{
	if (weight == 0)
		return 0;
	if (weight < 10)
		weight = 10;
	if (weight > 1000)
		weight = 1000;
	return 1 + ((weight - 10) * 9999) / 990;
}

int cgroup_convert_swap_to_v2(int64_t swap, int64_t limit, int64_t *out, cella_err_t *err)
{
	/* Unlimited memory with swap unset means "both unlimited", as on v1. */
	if (limit == -1 && swap == 0) {
		*out = -1;
		return 0;
	}
	if (swap == -1 || swap == 0) {
		*out = swap;
		return 0;
	}
	if (limit == 0 || limit == -1)
		return cella_error_make(
			err, EINVAL,
			"config.json: linux.resources.memory.swap: cannot be set without memory.limit");
	if (swap < limit)
		return cella_error_make(err, EINVAL,
					"config.json: linux.resources.memory.swap: memory+swap limit %" PRId64
					" must be >= memory.limit %" PRId64,
					swap, limit);
	*out = swap - limit;
	return 0;
}

bool cgroup_format_cpu_max(int64_t quota, uint64_t period, char *buf, size_t size)
{
	int n;

	if (quota == 0 && period == 0)
		return false;
	if (quota > 0)
		n = snprintf(buf, size, "%" PRId64, quota);
	else
		n = snprintf(buf, size, "max");
	if (period != 0 && n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, " %" PRIu64, period);
	return true;
}
