/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `runc events --stats`-shaped statistics from v1 or v2 files. Missing files
 * (a controller the host lacks) leave their part out rather than fail. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "cgroup/cgroup_internal.h"

/* A number file; "max" reads as UINT64_MAX. false when absent or unreadable. */
static bool read_num(const char *dir, const char *file, uint64_t *out)
{
	_cleanup_free_ char *s = NULL;
	cella_err_t ignored = NULL;

	if (!dir || cgroup_read(dir, file, &s, &ignored) < 0) {
		cella_error_release(&ignored);
		return false;
	}
	if (strncmp(s, "max", 3) == 0) {
		*out = UINT64_MAX;
		return true;
	}
	*out = strtoull(s, NULL, 10);
	return true;
}

static void set_num(json_t *obj, const char *key, uint64_t v)
{
	json_object_set_new(obj, key, json_integer((json_int_t)(v > INT64_MAX ? INT64_MAX : v)));
}

static void copy_num(json_t *obj, const char *key, const char *dir, const char *file)
{
	uint64_t v;

	if (read_num(dir, file, &v))
		set_num(obj, key, v);
}

/* "key value" lines (memory.stat, cpu.stat) as an object. */
static json_t *read_flat_keyed(const char *dir, const char *file)
{
	_cleanup_free_ char *s = NULL;
	cella_err_t ignored = NULL;
	char *save = NULL;
	json_t *o;

	if (!dir || cgroup_read(dir, file, &s, &ignored) < 0) {
		cella_error_release(&ignored);
		return NULL;
	}
	o = json_object();
	for (char *line = strtok_r(s, "\n", &save); o && line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');

		if (!sp)
			continue;
		*sp = '\0';
		set_num(o, line, strtoull(sp + 1, NULL, 10));
	}
	return o;
}

static uint64_t keyed(json_t *o, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(o, key));
}

static json_t *cpu_stats(struct cella_cgroup *cg)
{
	json_t *cpu = json_object(), *usage = json_object(), *thr = json_object();
	bool v2;
	const char *dir = cgroup_ctrl_dir(cg, CG_CPU, &v2), *acct = cgroup_ctrl_dir(cg, CG_CPUACCT, &v2);
	json_t *st = read_flat_keyed(dir, "cpu.stat");

	if (v2 || (!cg->v1_dir[CG_CPU] && cg->unified_dir)) {
		/* v2: cpu.stat in microseconds, even without the cpu controller. */
		json_decref(st);
		st = read_flat_keyed(cg->unified_dir, "cpu.stat");
		set_num(usage, "total", keyed(st, "usage_usec") * 1000);
		set_num(usage, "user", keyed(st, "user_usec") * 1000);
		set_num(usage, "kernel", keyed(st, "system_usec") * 1000);
		set_num(thr, "throttledTime", keyed(st, "throttled_usec") * 1000);
	} else {
		json_t *percpu = json_array();
		_cleanup_free_ char *list = NULL;
		cella_err_t ignored = NULL;
		long hz = sysconf(_SC_CLK_TCK);
		json_t *ticks = read_flat_keyed(acct, "cpuacct.stat");

		copy_num(usage, "total", acct, "cpuacct.usage");
		if (acct && cgroup_read(acct, "cpuacct.usage_percpu", &list, &ignored) == 0) {
			char *save = NULL;

			for (char *t = strtok_r(list, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
				json_array_append_new(percpu, json_integer(strtoll(t, NULL, 10)));
		}
		cella_error_release(&ignored);
		json_object_set_new(usage, "percpu", percpu);
		if (ticks && hz > 0) {
			set_num(usage, "user", keyed(ticks, "user") * (1000000000ULL / (uint64_t)hz));
			set_num(usage, "kernel", keyed(ticks, "system") * (1000000000ULL / (uint64_t)hz));
		}
		json_decref(ticks);
		set_num(thr, "throttledTime", keyed(st, "throttled_time"));
	}
	set_num(thr, "periods", keyed(st, "nr_periods"));
	set_num(thr, "throttledPeriods", keyed(st, "nr_throttled"));
	json_decref(st);
	json_object_set_new(cpu, "usage", usage);
	json_object_set_new(cpu, "throttling", thr);
	return cpu;
}

static json_t *usage_entry(const char *dir, const char *usage, const char *max, const char *failcnt,
			   const char *limit)
{
	json_t *o = json_object();

	copy_num(o, "usage", dir, usage);
	if (max)
		copy_num(o, "max", dir, max);
	if (failcnt)
		copy_num(o, "failcnt", dir, failcnt);
	copy_num(o, "limit", dir, limit);
	return o;
}

static json_t *memory_stats(struct cella_cgroup *cg)
{
	bool v2;
	const char *dir = cgroup_ctrl_dir(cg, CG_MEMORY, &v2);
	json_t *mem, *raw;

	if (!dir)
		return NULL;
	mem = json_object();
	if (v2) {
		uint64_t cur = 0, swap = 0;
		json_t *sw = json_object();

		json_object_set_new(mem, "usage",
				    usage_entry(dir, "memory.current", "memory.peak", NULL, "memory.max"));
		if (read_num(dir, "memory.swap.current", &swap) && read_num(dir, "memory.current", &cur))
			set_num(sw, "usage", cur + swap); /* runc reports memory+swap, as v1's memsw */
		copy_num(sw, "limit", dir, "memory.swap.max");
		json_object_set_new(mem, "swap", sw);
	} else {
		json_object_set_new(mem, "usage",
				    usage_entry(dir, "memory.usage_in_bytes", "memory.max_usage_in_bytes",
						"memory.failcnt", "memory.limit_in_bytes"));
		json_object_set_new(mem, "swap",
				    usage_entry(dir, "memory.memsw.usage_in_bytes",
						"memory.memsw.max_usage_in_bytes", "memory.memsw.failcnt",
						"memory.memsw.limit_in_bytes"));
		json_object_set_new(mem, "kernel",
				    usage_entry(dir, "memory.kmem.usage_in_bytes",
						"memory.kmem.max_usage_in_bytes", "memory.kmem.failcnt",
						"memory.kmem.limit_in_bytes"));
	}
	raw = read_flat_keyed(dir, "memory.stat");
	if (raw)
		json_object_set_new(mem, "raw", raw);
	return mem;
}

static json_t *pids_stats(struct cella_cgroup *cg)
{
	bool v2;
	const char *dir = cgroup_ctrl_dir(cg, CG_PIDS, &v2);
	json_t *p;
	uint64_t limit;

	if (!dir)
		return NULL;
	p = json_object();
	copy_num(p, "current", dir, "pids.current");
	if (read_num(dir, "pids.max", &limit))
		set_num(p, "limit", limit == UINT64_MAX ? 0 : limit); /* runc: 0 = unlimited */
	return p;
}

static void add_blkio_entry(json_t *list, unsigned major, unsigned minor, const char *op, uint64_t value)
{
	json_t *e = json_object();

	json_object_set_new(e, "major", json_integer(major));
	json_object_set_new(e, "minor", json_integer(minor));
	json_object_set_new(e, "op", json_string(op));
	set_num(e, "value", value);
	json_array_append_new(list, e);
}

/* v1 "8:0 Read 4096" lines. */
static json_t *blkio_v1_list(const char *dir, const char *file)
{
	_cleanup_free_ char *s = NULL;
	cella_err_t ignored = NULL;
	char *save = NULL;
	json_t *list = json_array();

	if (cgroup_read(dir, file, &s, &ignored) < 0) {
		cella_error_release(&ignored);
		return list;
	}
	for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned major, minor;
		char op[16];
		unsigned long long v;

		if (sscanf(line, "%u:%u %15s %llu", &major, &minor, op, &v) == 4)
			add_blkio_entry(list, major, minor, op, v);
	}
	return list;
}

static json_t *blkio_stats(struct cella_cgroup *cg)
{
	bool v2;
	const char *dir = cgroup_ctrl_dir(cg, CG_BLKIO, &v2);
	json_t *b;

	if (!dir)
		return NULL;
	b = json_object();
	if (!v2) {
		json_object_set_new(b, "ioServiceBytesRecursive",
				    blkio_v1_list(dir, "blkio.throttle.io_service_bytes_recursive"));
		json_object_set_new(b, "ioServicedRecursive",
				    blkio_v1_list(dir, "blkio.throttle.io_serviced_recursive"));
		return b;
	}

	/* v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." */
	_cleanup_free_ char *s = NULL;
	cella_err_t ignored = NULL;
	json_t *bytes = json_array(), *ios = json_array();
	char *save = NULL;

	if (cgroup_read(dir, "io.stat", &s, &ignored) == 0) {
		for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			unsigned major, minor;
			unsigned long long rb = 0, wb = 0, ri = 0, wi = 0;

			if (sscanf(line, "%u:%u rbytes=%llu wbytes=%llu rios=%llu wios=%llu", &major, &minor,
				   &rb, &wb, &ri, &wi) < 2)
				continue;
			add_blkio_entry(bytes, major, minor, "Read", rb);
			add_blkio_entry(bytes, major, minor, "Write", wb);
			add_blkio_entry(ios, major, minor, "Read", ri);
			add_blkio_entry(ios, major, minor, "Write", wi);
		}
	}
	cella_error_release(&ignored);
	json_object_set_new(b, "ioServiceBytesRecursive", bytes);
	json_object_set_new(b, "ioServicedRecursive", ios);
	return b;
}

/* One entry per page size, keyed "2MB", from the files the cgroup has. */
static json_t *hugetlb_stats(struct cella_cgroup *cg)
{
	bool v2;
	const char *dir = cgroup_ctrl_dir(cg, CG_HUGETLB, &v2);
	const char *suffix = v2 ? ".current" : ".usage_in_bytes";
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *e;
	json_t *h;

	if (!dir || !(d = opendir(dir)))
		return NULL;
	h = json_object();
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name), slen = strlen(suffix);
		char size[32], file[96];
		json_t *entry;

		if (strncmp(e->d_name, "hugetlb.", 8) != 0 || len <= 8 + slen ||
		    strcmp(e->d_name + len - slen, suffix) != 0 || len - 8 - slen >= sizeof(size) ||
		    strstr(e->d_name, ".rsvd."))
			continue;
		memcpy(size, e->d_name + 8, len - 8 - slen);
		size[len - 8 - slen] = '\0';
		entry = json_object();
		copy_num(entry, "usage", dir, e->d_name);
		snprintf(file, sizeof(file), v2 ? "hugetlb.%s.max" : "hugetlb.%s.max_usage_in_bytes", size);
		if (!v2)
			copy_num(entry, "max", dir, file);
		snprintf(file, sizeof(file), v2 ? "hugetlb.%s.events" : "hugetlb.%s.failcnt", size);
		if (v2) {
			json_t *ev = read_flat_keyed(dir, file);

			set_num(entry, "failcnt", keyed(ev, "max"));
			json_decref(ev);
		} else {
			copy_num(entry, "failcnt", dir, file);
		}
		json_object_set_new(h, size, entry);
	}
	return h;
}

int cella_cgroup_stats(struct cella_cgroup *cg, json_t **stats, cella_err_t *err)
{
	json_t *s = json_object(), *part;

	if (!s)
		return cella_error_make(err, ENOMEM, "cgroup: out of memory");
	json_object_set_new(s, "cpu", cpu_stats(cg));
	if ((part = memory_stats(cg)))
		json_object_set_new(s, "memory", part);
	if ((part = pids_stats(cg)))
		json_object_set_new(s, "pids", part);
	if ((part = blkio_stats(cg)))
		json_object_set_new(s, "blkio", part);
	if ((part = hugetlb_stats(cg)))
		json_object_set_new(s, "hugetlb", part);
	*stats = s;
	return 0;
}
