// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cellad may be killed at any moment. At start-up, and then every second on
 * the idle worker, the recorded state is brought back in line with the
 * system: running containers are re-attached (they never depended on us),
 * vanished ones are marked stopped, interrupted operations are failed and
 * half-created instances and images are rolled back.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "container.h"
#include "instances.h"
#include "storage.h"
#include "util.h"
#include "vm.h"

static void log_err(const char *what, cella_err_t *err)
{
	fprintf(stderr, "cellad: %s: %s\n", what, cella_error_string(*err));
	cella_error_release(err);
}

/* snapshots/.tmp-*: a snapshot of the instance was cut short (cellad died while making it). */
static bool has_half_snapshot(struct cellad *d, const char *name)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_closedir_ DIR *dh = NULL;
	struct dirent *e;

	if (asprintf(&dir, "%s/%s/snapshots", d->instances_dir, name) < 0 || (dh = opendir(dir)) == NULL)
		return false;
	while ((e = readdir(dh)))
		if (strncmp(e->d_name, ".tmp-", 5) == 0)
			return true;
	return false;
}

/*
 * In the instance's directory: snapshots/.tmp-* (a snapshot that never completed), snapshots/.delete-* (one
 * whose removal was cut short), .restore (a restore's copy, or the root it replaced) and .tmp-rootfs (a btrfs
 * root not yet renamed into place). Subvolumes included.
 */
static void remove_instance_leftovers(struct cellad *d, const char *name)
{
	static const char *const leaves[] = {".restore", ".tmp-rootfs"};
	_cleanup_free_ char *snapshots = NULL;
	_cleanup_closedir_ DIR *dh = NULL;
	cella_err_t err = NULL;
	struct dirent *e;

	if (asprintf(&snapshots, "%s/%s/snapshots", d->instances_dir, name) < 0)
		return;
	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		_cleanup_free_ char *path = NULL;

		if (asprintf(&path, "%s/%s/%s", d->instances_dir, name, leaves[i]) > 0 &&
		    cellad_storage_rm_rf(path, &err) < 0)
			log_err(name, &err);
	}
	dh = opendir(snapshots);
	while (dh && (e = readdir(dh))) {
		_cleanup_free_ char *path = NULL;

		if (strncmp(e->d_name, ".tmp-", 5) != 0 && strncmp(e->d_name, ".delete-", 8) != 0)
			continue;
		if (asprintf(&path, "%s/%s", snapshots, e->d_name) > 0 &&
		    cellad_storage_rm_rf(path, &err) < 0)
			log_err(name, &err);
	}
}

/* No VMM runs for the VM, or it answers its API: it is not still writing an interrupted snapshot. */
static bool vmm_settled(struct cellad *d, const char *name)
{
	_cleanup_free_ char *sock = NULL, *status = cellad_vm_status(d, name), *body = NULL;
	cella_err_t err = NULL;
	int code = 0;

	if (status == NULL)
		return true;
	if (asprintf(&sock, "%s/%s/vmm.sock", d->instances_dir, name) < 0 ||
	    cellad_vm_api(sock, "GET", "/vm", NULL, &code, &body, &err) < 0) {
		cella_error_release(&err);
		return false;
	}
	return code == 200;
}

/* Brings one instance in line with what the runtime reports. */
static void reconcile_one(struct cellad *d, const char *name, const char *type, const char *recorded,
			  bool startup)
{
	bool vm = strcmp(type, "vm") == 0;
	_cleanup_free_ char *status = vm ? cellad_vm_status(d, name) : cellad_container_status(d, name);
	/* A VM whose guest is powering off ("shutdown") still runs. */
	bool alive = status && (strcmp(status, "running") == 0 || strcmp(status, "paused") == 0 ||
				(vm && strcmp(status, "shutdown") == 0));
	const char *actual = alive ? (strcmp(status, "paused") == 0 ? "Frozen" : "Running") : "Stopped";
	cella_err_t err = NULL;

	if (strcmp(recorded, actual) == 0) {
		if (!alive && startup && !vm && cellad_container_cleanup(d, name, &err) < 0)
			log_err(name, &err);
		return;
	}
	if (alive && vm && strcmp(recorded, "Running") == 0 && strcmp(status, "paused") == 0 &&
	    has_half_snapshot(d, name)) {
		/*
		 * A snapshot pauses the VM and resumes it at the end: cellad died in between (the idle worker
		 * sees it when the VMM was still writing at start-up). The snapshot is gone; the user never
		 * paused this VM (that would be recorded Frozen), so it runs on. Answering "paused", the VMM
		 * is done with the half snapshot, which can go.
		 */
		if (cellad_vm_pause(d, name, false, &err) == 0) {
			fprintf(stderr, "cellad: %s: resumed (left paused by an interrupted snapshot)\n",
				name);
			remove_instance_leftovers(d, name);
			return;
		}
		log_err(name, &err);
	}
	if (alive) {
		/* Killed in the middle of a start/pause: finish it, the container is there. */
		cellad_instance_set_state(d, name, actual, NULL, startup ? "instance-reattached" : NULL);
		return;
	}
	if ((vm ? cellad_vm_stop(d, name, 0, true, &err) : cellad_container_cleanup(d, name, &err)) < 0)
		log_err(name, &err);
	if (vm)
		cellad_instance_set_state(
			d, name, "Stopped",
			startup ? "the VM stopped while cellad was not running"
				: "the VM stopped (the guest powered off, or its VMM exited)",
			"instance-stopped");
	else
		cellad_instance_set_state(d, name, "Stopped",
					  startup ? "the container stopped while cellad was not running"
						  : "the container stopped behind cellad's back (its init "
						    "exited or was killed)",
					  "instance-stopped");
}

void cellad_reconcile(struct cellad *d)
{
	cella_err_t err = NULL;
	json_t *rows = NULL, *row;
	size_t i;

	pthread_mutex_lock(&d->lock);
	if (cellad_db_query(d->db,
			    "SELECT name, type, state FROM instances WHERE state IN ('Running', 'Frozen')",
			    NULL, 0, &rows, &err) < 0) {
		pthread_mutex_unlock(&d->lock);
		log_err("reconcile", &err);
		return;
	}
	pthread_mutex_unlock(&d->lock);
	json_array_foreach (rows, i, row) {
		reconcile_one(d, json_string_value(json_object_get(row, "name")),
			      json_string_value(json_object_get(row, "type")),
			      json_string_value(json_object_get(row, "state")), false);
	}
	json_decref(rows);
}

/* Staging and trash directories (".import-*", ".delete-*") are leftovers of interrupted work. */
static void remove_leftovers(const char *dir)
{
	_cleanup_closedir_ DIR *dh = opendir(dir);
	struct dirent *e;

	while (dh && (e = readdir(dh))) {
		_cleanup_free_ char *path = NULL;
		cella_err_t err = NULL;

		if (strncmp(e->d_name, ".import-", 8) != 0 && strncmp(e->d_name, ".delete-", 8) != 0)
			continue;
		if (asprintf(&path, "%s/%s", dir, e->d_name) > 0 && cellad_storage_rm_rf(path, &err) < 0)
			log_err("remove leftovers", &err);
	}
}

/* Image directories without a row: a crash between the rename into place and the COMMIT. */
static void remove_orphan_images(struct cellad *d)
{
	_cleanup_closedir_ DIR *dh = opendir(d->images_dir);
	struct dirent *e;

	while (dh && (e = readdir(dh))) {
		_cleanup_free_ char *path = NULL;
		cella_err_t err = NULL;
		json_t *row = NULL;

		if (strlen(e->d_name) != 64 || strspn(e->d_name, "0123456789abcdef") != 64)
			continue;
		pthread_mutex_lock(&d->lock);
		if (cellad_db_query_one(d->db, "SELECT id FROM images WHERE fingerprint = ?",
					DB_ARGS(DB_TEXT(e->d_name)), &row, &err) < 0) {
			pthread_mutex_unlock(&d->lock);
			log_err("orphan images", &err);
			continue;
		}
		pthread_mutex_unlock(&d->lock);
		if (row) {
			json_decref(row);
			continue;
		}
		if (asprintf(&path, "%s/%s", d->images_dir, e->d_name) > 0 &&
		    cellad_storage_rm_rf(path, &err) < 0)
			log_err("orphan images", &err);
	}
}

/* tmp/ holds uploads and the default image's build tree: nothing in it outlives the daemon that made it. */
static void empty_tmp(struct cellad *d)
{
	_cleanup_closedir_ DIR *dh = opendir(d->tmp_dir);
	struct dirent *e;

	while (dh && (e = readdir(dh))) {
		_cleanup_free_ char *path = NULL;
		cella_err_t err = NULL;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (asprintf(&path, "%s/%s", d->tmp_dir, e->d_name) > 0 &&
		    cellad_storage_rm_rf(path, &err) < 0)
			log_err("empty tmp", &err);
	}
}

int cellad_reattach(struct cellad *d, cella_err_t *err)
{
	json_t *rows = NULL, *row;
	size_t i;

	/* First: every removal below has to know whether subvolumes may be in the way. */
	if (cellad_storage_open(d, err) < 0)
		return -1;
	remove_leftovers(d->images_dir);
	remove_leftovers(d->instances_dir);
	remove_orphan_images(d);
	empty_tmp(d);
	pthread_mutex_lock(&d->lock);
	if (cellad_db_run(
		    d->db,
		    "UPDATE operations SET status = 'Failure', err = 'interrupted: cellad stopped before it "
		    "finished', updated_at = ? WHERE status IN ('Pending', 'Running')",
		    DB_ARGS(DB_TEXT(d->started_at)), NULL, err) < 0 ||
	    cellad_db_query(d->db, "SELECT name, type, state FROM instances", NULL, 0, &rows, err) < 0) {
		pthread_mutex_unlock(&d->lock);
		return cella_error_wrap(err, "recover the state");
	}
	pthread_mutex_unlock(&d->lock);
	json_array_foreach (rows, i, row) {
		const char *name = json_string_value(json_object_get(row, "name"));
		const char *state = json_string_value(json_object_get(row, "state"));

		if (strcmp(state, "Creating") == 0) {
			/* Never finished: nothing of it was ever reported as existing. */
			_cleanup_free_ char *dir = NULL;
			cella_err_t e = NULL;

			if (cellad_container_cleanup(d, name, &e) < 0)
				log_err(name, &e);
			if (asprintf(&dir, "%s/%s", d->instances_dir, name) > 0 &&
			    cellad_storage_rm_rf(dir, &e) < 0)
				log_err(name, &e);
			pthread_mutex_lock(&d->lock);
			if (cellad_db_run(d->db, "DELETE FROM instances WHERE name = ?",
					  DB_ARGS(DB_TEXT(name)), NULL, &e) < 0)
				log_err(name, &e);
			pthread_mutex_unlock(&d->lock);
			continue;
		}
		reconcile_one(d, name, json_string_value(json_object_get(row, "type")), state, true);
		/* A VMM still busy with an interrupted snapshot keeps it until the idle worker resumes it. */
		if (strcmp(json_string_value(json_object_get(row, "type")), "vm") != 0 ||
		    vmm_settled(d, name))
			remove_instance_leftovers(d, name);
	}
	json_decref(rows);
	return 0;
}
