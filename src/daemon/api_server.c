// SPDX-License-Identifier: GPL-2.0-or-later
/* GET /, GET /1.0 (server and host facts), GET /1.0/metrics (Prometheus text). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "container.h"
#include "vm.h"
#include "http.h"
#include "instances.h"

enum MHD_Result cellad_api_root(struct cellad_request *r)
{
	return cellad_reply_sync(r, MHD_HTTP_OK, json_pack("[s]", "/1.0"));
}

enum MHD_Result cellad_api_server(struct cellad_request *r)
{
	struct utsname u;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long long mem = (long long)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);

	uname(&u);
	return cellad_reply_sync(
		r, MHD_HTTP_OK,
		json_pack("{s:s, s:[s, s, s, s, s, s], s:s, s:s, s:{s:s, s:s, s:s, s:s, s:[s, s], s:i, s:I, "
			  "s:b, s:s, "
			  "s:s, s:s}}",
			  "api_version", CELLAD_API_VERSION, "api_extensions", "instances", "operations_wait",
			  "events", "metrics", "virtual-machines", "instance_exec", "auth", "trusted",
			  "auth_user_method", "unix", "environment", "server", "cellad", "server_version",
			  CELLA_VERSION, "kernel", u.sysname, "kernel_version", u.release, "instance_types",
			  "container", "vm", "cpus", (int)cpus, "memory_bytes", (json_int_t)mem, "kvm",
			  access("/dev/kvm", R_OK | W_OK) == 0, "architecture", u.machine, "started_at",
			  r->d->started_at, "storage", "overlayfs"));
}

/* Prometheus label values escape backslash, quote and newline; instance names have none of these. */
static void metric(FILE *f, const char *name, json_t *row, const char *value)
{
	fprintf(f, "%s{name=\"%s\",type=\"%s\"} %s\n", name, json_string_value(json_object_get(row, "name")),
		json_string_value(json_object_get(row, "type")), value);
}

/* One counter family from stats[i] at the path (keys), for every instance that has it. */
static void counter_family(FILE *f, json_t *rows, json_t *stats, const char *name, const char *help,
			   const char *type, const char *const *path)
{
	json_t *row;
	size_t i;

	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	json_array_foreach (rows, i, row) {
		json_t *v = json_array_get(stats, i);
		char value[32];

		for (const char *const *k = path; *k && v; k++)
			v = json_object_get(v, *k);
		if (!json_is_integer(v))
			continue;
		snprintf(value, sizeof(value), "%lld", (long long)json_integer_value(v));
		metric(f, name, row, value);
	}
}

/* eth0's bytes, as the instance sees them (a container's own counters; a VM's TAP, turned around). */
static void network_metrics(FILE *f, json_t *rows, json_t *stats)
{
	static const char *const rx[] = {"network", "eth0", "counters", "bytes_received", NULL};
	static const char *const tx[] = {"network", "eth0", "counters", "bytes_sent", NULL};

	counter_family(f, rows, stats, "cella_network_receive_bytes_total",
		       "Bytes the instance received on eth0.", "counter", rx);
	counter_family(f, rows, stats, "cella_network_transmit_bytes_total",
		       "Bytes the instance sent on eth0.", "counter", tx);
}

/*
 * Bytes read ("Read") or written ("Write"): a container's blkio "ioServiceBytesRecursive" entries, or
 * a VM's virtio-blk counters (stats.disk.*.read_bytes / write_bytes, as cella-vmm counts them); -1 when
 * there are none.
 */
static long long blkio_bytes(json_t *stats, const char *op)
{
	json_t *list = json_object_get(json_object_get(stats, "blkio"), "ioServiceBytesRecursive"), *e;
	const char *key = strcmp(op, "Read") == 0 ? "read_bytes" : "write_bytes", *dev;
	long long sum = 0;
	bool any = false;
	size_t i;

	if (!json_is_array(list)) {
		json_object_foreach (json_object_get(stats, "disk"), dev, e) {
			json_t *v = json_object_get(e, key);

			any = any || json_is_integer(v);
			sum += json_integer_value(v);
		}
		return any ? sum : -1;
	}
	json_array_foreach (list, i, e)
		if (strcmp(json_string_value(json_object_get(e, "op")) ?: "", op) == 0)
			sum += json_integer_value(json_object_get(e, "value"));
	return sum;
}

/* Disk: bytes a container read and wrote through its blkio cgroup, a VM through its virtio-blk disks;
 * bytes a VM's own disk file holds. */
static void disk_metrics(FILE *f, json_t *rows, json_t *stats)
{
	static const char *const usage[] = {"disk", "root", "usage", NULL};
	static const char *const ops[][2] = {{"Read", "cella_disk_read_bytes_total"},
					     {"Write", "cella_disk_written_bytes_total"}};
	json_t *row;
	size_t i;

	for (unsigned o = 0; o < 2; o++) {
		fprintf(f, "# HELP %s Bytes the instance %s its block devices.\n# TYPE %s counter\n",
			ops[o][1], o == 0 ? "read from" : "wrote to", ops[o][1]);
		json_array_foreach (rows, i, row) {
			long long v = blkio_bytes(json_array_get(stats, i), ops[o][0]);
			char value[32];

			if (v < 0)
				continue;
			snprintf(value, sizeof(value), "%lld", v);
			metric(f, ops[o][1], row, value);
		}
	}
	counter_family(f, rows, stats, "cella_disk_usage_bytes", "Bytes allocated to the VM's own disk file.",
		       "gauge", usage);
}

enum MHD_Result cellad_api_metrics(struct cellad_request *r)
{
	struct cellad *d = r->d;
	cella_err_t err = NULL;
	json_t *rows = NULL, *row, *stats;
	char *text = NULL;
	size_t len = 0, i;
	FILE *f;

	pthread_mutex_lock(&d->lock);
	if (cellad_db_query(d->db, "SELECT name, type, state FROM instances ORDER BY name", NULL, 0, &rows,
			    &err) < 0) {
		pthread_mutex_unlock(&d->lock);
		return cellad_reply_err(r, 500, &err);
	}
	pthread_mutex_unlock(&d->lock);
	f = open_memstream(&text, &len);
	if (f == NULL) {
		json_decref(rows);
		return MHD_NO;
	}
	fprintf(f, "# HELP cella_instance_running 1 when the instance runs (or is frozen), else 0.\n"
		   "# TYPE cella_instance_running gauge\n");
	/* One stats read per instance; each metric family is then written as one block, as Prometheus wants. */
	stats = json_array();
	json_array_foreach (rows, i, row) {
		const char *state = json_string_value(json_object_get(row, "state"));
		const char *name = json_string_value(json_object_get(row, "name"));
		bool running = strcmp(state, "Running") == 0 || strcmp(state, "Frozen") == 0;
		json_t *s = NULL;

		metric(f, "cella_instance_running", row, running ? "1" : "0");
		if (running)
			s = cellad_row_is_vm(row) ? cellad_vm_stats(d, name)
						  : cellad_container_stats(d, name);
		json_array_append_new(stats, s ? s : json_null());
	}
	fprintf(f, "# HELP cella_cpu_seconds_total CPU time used by the instance's cgroup.\n"
		   "# TYPE cella_cpu_seconds_total counter\n");
	json_array_foreach (rows, i, row) {
		json_t *usage = json_object_get(json_object_get(json_array_get(stats, i), "cpu"), "usage");
		char value[64];

		if (usage == NULL)
			continue;
		snprintf(value, sizeof(value), "%.9f",
			 (double)json_integer_value(json_object_get(usage, "total")) / 1e9);
		metric(f, "cella_cpu_seconds_total", row, value);
	}
	fprintf(f, "# HELP cella_memory_usage_bytes Memory charged to the instance's cgroup.\n"
		   "# TYPE cella_memory_usage_bytes gauge\n");
	json_array_foreach (rows, i, row) {
		json_t *usage = json_object_get(json_object_get(json_array_get(stats, i), "memory"), "usage");
		char value[64];

		if (usage == NULL)
			continue;
		snprintf(value, sizeof(value), "%lld",
			 (long long)json_integer_value(json_object_get(usage, "usage")));
		metric(f, "cella_memory_usage_bytes", row, value);
	}
	network_metrics(f, rows, stats);
	disk_metrics(f, rows, stats);
	json_decref(stats);
	fclose(f);
	json_decref(rows);
	return cellad_reply_text(r, MHD_HTTP_OK, "text/plain; version=0.0.4", text);
}
