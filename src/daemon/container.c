// SPDX-License-Identifier: GPL-2.0-or-later
/* Driving the runtime library for one container instance: overlay, create/start, stop, pause, cleanup. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "core/container.h"
#include "devices.h"
#include "start_helper.h"
#include "storage.h"
#include "util.h"

/* After SIGKILL, how long the kernel may take to tear the container down. */
#define KILL_WAIT_MS 10000

static char *instance_path(struct cellad *d, const char *name, const char *leaf)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s%s%s", d->instances_dir, name, leaf ? "/" : "", leaf ? leaf : "") < 0)
		return NULL;
	return p;
}

char *cellad_container_status(struct cellad *d, const char *name)
{
	cella_err_t err = NULL;
	json_t *state = NULL;
	char *status = NULL;

	if (cella_container_state(d->runtime_root, name, &state, &err) < 0) {
		cella_error_release(&err);
		return NULL;
	}
	status = strdup(json_string_value(json_object_get(state, "status")) ?: "stopped");
	json_decref(state);
	return status;
}

/* A system container's root is an unprivileged host uid: every directory above its rootfs must let it pass. */
static int check_searchable(const char *path, cella_err_t *err)
{
	_cleanup_free_ char *copy = strdup(path);
	char *slash;

	if (copy == NULL)
		return cella_error_make(err, ENOMEM, "start");
	while ((slash = strrchr(copy, '/')) != NULL) {
		struct stat st;

		if (slash == copy)
			break;
		*slash = '\0';
		if (stat(copy, &st) < 0)
			return cella_error_sys(err, "stat '%s'", copy);
		if (!(st.st_mode & S_IXOTH))
			return cella_error_make(
				err, EACCES,
				"'%s' (mode %04o) is not searchable by other users, so a system "
				"container's unprivileged root cannot reach its rootfs: chmod o+x it, "
				"or set security.privileged",
				copy, (unsigned)(st.st_mode & 07777));
	}
	return 0;
}

int cellad_container_start(struct cellad *d, const char *name, const char *image_rootfs, json_t *config,
			   long long host_base, cella_err_t *err)
{
	_cleanup_free_ char *bundle = instance_path(d, name, NULL),
			    *rootfs = instance_path(d, name, "rootfs"),
			    *spec_path = instance_path(d, name, "config.json"),
			    *log_path = instance_path(d, name, "console.log"), *text = NULL;
	cella_err_t ignore = NULL;
	json_t *spec, *devices;

	if (bundle == NULL || rootfs == NULL || spec_path == NULL || log_path == NULL)
		return cella_error_make(err, ENOMEM, "start");
	/* A container left stopped by the runtime (it died, or we were killed while stopping it) goes first. */
	if (cellad_container_cleanup(d, name, err) < 0)
		return -1;
	spec = cellad_container_spec(name, rootfs, config, host_base, err);
	if (spec == NULL)
		return -1;
	devices = cellad_devices_load(d, name, err);
	if (devices == NULL || cellad_devices_container_mounts(spec, devices, err) < 0) {
		json_decref(devices);
		json_decref(spec);
		return cella_error_wrap(err, "start '%s'", name);
	}
	json_decref(devices);
	text = json_dumps(spec, JSON_INDENT(2));
	json_decref(spec);
	if (text == NULL || cellad_write_file(spec_path, text, strlen(text), 0600, err) < 0)
		return text ? -1 : cella_error_make(err, ENOMEM, "config.json");
	if (host_base >= 0 && check_searchable(rootfs, err) < 0)
		return -1;
	if (cellad_storage_root_mount(d, name, image_rootfs, host_base, err) < 0)
		return -1;
	if (cellad_start_helper_run(d->runtime_root, name, bundle, log_path, err) < 0) {
		if (cellad_container_cleanup(d, name, &ignore) < 0)
			cella_error_release(&ignore);
		return -1;
	}
	return 0;
}

static bool wait_stopped(struct cellad *d, const char *name, long long timeout_ms)
{
	long long deadline = cellad_now_ms() + timeout_ms;

	for (;;) {
		_cleanup_free_ char *status = cellad_container_status(d, name);
		struct timespec ts = {0, 50 * 1000000L};

		if (status == NULL || strcmp(status, "stopped") == 0)
			return true;
		if (cellad_now_ms() >= deadline)
			return false;
		nanosleep(&ts, NULL);
	}
}

int cellad_container_stop(struct cellad *d, const char *name, int timeout_s, bool force, cella_err_t *err)
{
	_cleanup_free_ char *status = cellad_container_status(d, name);
	cella_err_t ignore = NULL;

	if (status && strcmp(status, "paused") == 0 &&
	    cella_container_pause(d->runtime_root, name, false, err) < 0)
		return cella_error_wrap(err, "stop '%s': resume it first", name);
	if (status && strcmp(status, "stopped") != 0) {
		if (!force && cella_container_kill(d->runtime_root, name, SIGTERM, false, &ignore) < 0)
			cella_error_release(&ignore);
		if (force || !wait_stopped(d, name, timeout_s * 1000LL)) {
			if (cella_container_kill(d->runtime_root, name, SIGKILL, true, &ignore) < 0)
				cella_error_release(&ignore);
			if (!wait_stopped(d, name, KILL_WAIT_MS))
				return cella_error_make(err, ETIMEDOUT,
							"stop '%s': still running %d ms after SIGKILL", name,
							KILL_WAIT_MS);
		}
	}
	return cellad_container_cleanup(d, name, err);
}

int cellad_container_freeze(struct cellad *d, const char *name, bool frozen, cella_err_t *err)
{
	return cella_container_pause(d->runtime_root, name, frozen, err);
}

int cellad_container_cleanup(struct cellad *d, const char *name, cella_err_t *err)
{
	_cleanup_free_ char *rootfs = instance_path(d, name, "rootfs"),
			    *status = cellad_container_status(d, name);

	if (rootfs == NULL)
		return cella_error_make(err, ENOMEM, "cleanup");
	if (status && cella_container_delete(d->runtime_root, name, true, err) < 0)
		return cella_error_wrap(err, "remove the runtime's container '%s'", name);
	return cellad_storage_root_unmount(d, name, err);
}

/*
 * "network": {"eth0": {"counters": {...}}, "eth1": ...}: every interface but lo as the container sees it
 * (the shape VMs have), NIC devices included: its init's network namespace, through /proc/PID/net/dev,
 * which shows the namespace of the task it belongs to. The names are the container's: only used as keys.
 */
static void add_net_stats(struct cellad *d, const char *name, json_t *stats)
{
	cella_err_t err = NULL;
	json_t *state = NULL, *net;
	char path[64], line[512];
	_cleanup_fclose_ FILE *f = NULL;
	json_int_t pid;

	if (cella_container_state(d->runtime_root, name, &state, &err) < 0) {
		cella_error_release(&err);
		return;
	}
	pid = json_integer_value(json_object_get(state, "pid"));
	json_decref(state);
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%lld/net/dev", (long long)pid);
	f = fopen(path, "re");
	net = json_object();
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long rx, rx_pk, tx, tx_pk;
		char ifname[32];

		/* "  eth0: rx_bytes rx_packets errs drop fifo frame compressed multicast tx_bytes tx_packets ..." */
		if (sscanf(line, " %31[^:]: %llu %llu %*u %*u %*u %*u %*u %*u %llu %llu", ifname, &rx, &rx_pk,
			   &tx, &tx_pk) != 5 ||
		    strcmp(ifname, "lo") == 0)
			continue;
		json_object_set_new(net, ifname,
				    json_pack("{s:{s:I, s:I, s:I, s:I}}", "counters", "bytes_received",
					      (json_int_t)rx, "bytes_sent", (json_int_t)tx,
					      "packets_received", (json_int_t)rx_pk, "packets_sent",
					      (json_int_t)tx_pk));
	}
	if (json_object_size(net))
		json_object_set_new(stats, "network", net);
	else
		json_decref(net);
}

json_t *cellad_container_stats(struct cellad *d, const char *name)
{
	cella_err_t err = NULL;
	json_t *stats = NULL;

	if (cella_container_stats(d->runtime_root, name, &stats, &err) < 0) {
		cella_error_release(&err);
		return NULL;
	}
	add_net_stats(d, name, stats);
	return stats;
}
