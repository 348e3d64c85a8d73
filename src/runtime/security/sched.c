// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * process.scheduler (sched_setattr) and process.ioPriority (ioprio_set).
 * glibc has wrappers for neither, hence the raw syscalls with the kernel's
 * structure layout spelled out here.
 */
#include "security/security_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/syscall.h>

/* The kernel's struct sched_attr, SCHED_ATTR_SIZE_VER0 (48 bytes). */
struct kernel_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

enum { POLICY_OTHER = 0, POLICY_FIFO = 1, POLICY_RR = 2, POLICY_ISO = 4, POLICY_DEADLINE = 6 };

static const struct {
	const char *name;
	uint32_t value;
} policies[] = {
	{"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2},	      {"SCHED_BATCH", 3},
	{"SCHED_ISO", 4},   {"SCHED_IDLE", 5}, {"SCHED_DEADLINE", 6},
};

static const struct {
	const char *name;
	uint64_t value;
} sched_flags[] = {
	{"SCHED_FLAG_RESET_ON_FORK", 0x01},  {"SCHED_FLAG_RECLAIM", 0x02},
	{"SCHED_FLAG_DL_OVERRUN", 0x04},     {"SCHED_FLAG_KEEP_POLICY", 0x08},
	{"SCHED_FLAG_KEEP_PARAMS", 0x10},    {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
	{"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
};

#define UTIL_CLAMP_FLAGS 0x60

static int parse_flags(json_t *sched, uint64_t *out, cella_err_t *err)
{
	json_t *arr, *v;
	size_t i;

	if (sec_field_typed(sched, "flags", "process.scheduler.flags", JSON_ARRAY, &arr, err) < 0)
		return -1;
	json_array_foreach (arr, i, v) {
		const char *name = json_string_value(v);
		bool found = false;

		for (size_t k = 0; name && k < sizeof(sched_flags) / sizeof(sched_flags[0]); k++) {
			if (strcmp(name, sched_flags[k].name) == 0) {
				*out |= sched_flags[k].value;
				found = true;
			}
		}
		if (!found)
			return cella_error_make(err, 0,
						"config.json: process.scheduler.flags[%zu]: unknown flag %s",
						i, name ? name : "(not a string)");
		if (*out & UTIL_CLAMP_FLAGS)
			return cella_error_make(
				err, 0,
				"config.json: process.scheduler.flags[%zu]: %s is not supported "
				"(the runtime-spec carries no utilization value for it)",
				i, name);
	}
	return 0;
}

int sec_sched_parse(json_t *sched, struct sec_sched *out, cella_err_t *err)
{
	const char *policy = NULL;
	int64_t nice = 0;
	uint64_t prio = 0;
	bool found = false;

	memset(out, 0, sizeof(*out));
	if (sched == NULL || json_is_null(sched))
		return 0;
	if (!json_is_object(sched))
		return sec_field_error(err, "process.scheduler", "must be an object");
	if (sec_field_string(sched, "policy", "process.scheduler.policy", &policy, err) < 0)
		return -1;
	if (policy == NULL)
		return sec_field_error(err, "process.scheduler.policy", "missing");
	for (size_t k = 0; k < sizeof(policies) / sizeof(policies[0]); k++) {
		if (strcmp(policy, policies[k].name) == 0) {
			out->policy = policies[k].value;
			found = true;
		}
	}
	if (!found)
		return sec_field_error(err, "process.scheduler.policy", "unknown policy %s", policy);
	if (out->policy == POLICY_ISO)
		return sec_field_error(err, "process.scheduler.policy",
				       "SCHED_ISO is not implemented by Linux");
	if (sec_field_int64(sched, "nice", "process.scheduler.nice", -20, 19, &nice, err) < 0 ||
	    sec_field_uint64(sched, "priority", "process.scheduler.priority", 99, &prio, err) < 0 ||
	    sec_field_uint64(sched, "runtime", "process.scheduler.runtime", INT64_MAX, &out->runtime, err) <
		    0 ||
	    sec_field_uint64(sched, "deadline", "process.scheduler.deadline", INT64_MAX, &out->deadline,
			     err) < 0 ||
	    sec_field_uint64(sched, "period", "process.scheduler.period", INT64_MAX, &out->period, err) < 0 ||
	    parse_flags(sched, &out->flags, err) < 0)
		return -1;
	out->nice = (int32_t)nice;
	out->priority = (uint32_t)prio;
	if ((out->policy == POLICY_FIFO || out->policy == POLICY_RR) && prio == 0)
		return sec_field_error(err, "process.scheduler.priority", "must be 1..99 for %s", policy);
	if (out->policy != POLICY_FIFO && out->policy != POLICY_RR && prio != 0)
		return sec_field_error(err, "process.scheduler.priority", "must be 0 for %s", policy);
	if (out->policy == POLICY_DEADLINE) {
		uint64_t period = out->period ? out->period : out->deadline;

		if (out->runtime == 0 || out->runtime > out->deadline || out->deadline > period)
			return sec_field_error(err, "process.scheduler",
					       "SCHED_DEADLINE needs 0 < runtime <= deadline <= period");
	} else if (out->runtime || out->deadline || out->period) {
		return sec_field_error(err, "process.scheduler",
				       "runtime, deadline and period are for SCHED_DEADLINE");
	}
	out->present = true;
	return 0;
}

int sec_sched_apply(const struct sec_sched *s, cella_err_t *err)
{
	struct kernel_sched_attr attr;

	if (!s->present)
		return 0;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.sched_policy = s->policy;
	attr.sched_flags = s->flags;
	attr.sched_nice = s->nice;
	attr.sched_priority = s->priority;
	attr.sched_runtime = s->runtime;
	attr.sched_deadline = s->deadline;
	attr.sched_period = s->period;
	if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
		return cella_error_sys(
			err, "sched_setattr for process.scheduler (policy %u, nice %d, priority %u)",
			s->policy, s->nice, s->priority);
	return 0;
}

static const struct {
	const char *name;
	int value;
} ioclasses[] = {
	{"IOPRIO_CLASS_RT", 1},
	{"IOPRIO_CLASS_BE", 2},
	{"IOPRIO_CLASS_IDLE", 3},
};

int sec_ioprio_parse(json_t *ioprio, struct sec_ioprio *out, cella_err_t *err)
{
	const char *cls = NULL;
	uint64_t prio = 0;

	memset(out, 0, sizeof(*out));
	if (ioprio == NULL || json_is_null(ioprio))
		return 0;
	if (!json_is_object(ioprio))
		return sec_field_error(err, "process.ioPriority", "must be an object");
	if (sec_field_string(ioprio, "class", "process.ioPriority.class", &cls, err) < 0)
		return -1;
	if (cls == NULL)
		return sec_field_error(err, "process.ioPriority.class", "missing");
	for (size_t k = 0; k < sizeof(ioclasses) / sizeof(ioclasses[0]); k++) {
		if (strcmp(cls, ioclasses[k].name) == 0)
			out->ioclass = ioclasses[k].value;
	}
	if (out->ioclass == 0)
		return sec_field_error(err, "process.ioPriority.class", "unknown class %s", cls);
	if (sec_field_uint64(ioprio, "priority", "process.ioPriority.priority", 7, &prio, err) < 0)
		return -1;
	out->priority = (int)prio;
	out->present = true;
	return 0;
}

int sec_ioprio_apply(const struct sec_ioprio *p, cella_err_t *err)
{
	const int who_process = 1, class_shift = 13;

	if (!p->present)
		return 0;
	if (syscall(SYS_ioprio_set, who_process, 0, (p->ioclass << class_shift) | p->priority) < 0)
		return cella_error_sys(err, "ioprio_set for process.ioPriority (class %d, priority %d)",
				       p->ioclass, p->priority);
	return 0;
}
