// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * VM snapshots: instances/NAME/snapshots/SNAP/ = info.json + vm/ (cella-vmm's snapshot: state and
 * memory, when stateful) + disk.img (a reflink or sparse copy of the root disk). A running VM is
 * snapshotted through its control API with resume:false, so it stays paused while the disk is
 * copied and memory, devices and disk are one consistent point; then it runs on. Like container
 * snapshots, the directory is built as snapshots/.tmp-SNAP and renamed into place.
 *
 * A restore stops the VM, puts the disk copy back (atomic rename over disk.img) and, for a stateful
 * snapshot, starts cella-vmm --restore on the snapshot's vm/ directory, so the guest continues from
 * the snapshot point; a stateless one boots again if the VM was running.
 */
#include "vm_snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "events.h"
#include "instances.h"
#include "util.h"
#include "vm.h"
#include "vm_disk.h"

static char *path_of(struct cellad *d, const char *name, const char *leaf)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s/%s", d->instances_dir, name, leaf) < 0)
		return NULL;
	return p;
}

struct progress {
	struct cellad *d;
	struct cellad_op *op;
	const char *stage;
	int last_percent;
	struct cellad_vm_disk_progress disk;
};

static void set_stage(struct progress *p, const char *stage, int percent)
{
	p->stage = stage;
	p->last_percent = percent;
	cellad_op_set_metadata(p->d, p->op,
			       json_pack("{s:{s:s, s:i}}", "progress", "stage", stage, "percent", percent));
}

/* The disk copy's progress, at most one metadata update per percent. */
static void disk_progress(void *ctx, unsigned long long done)
{
	struct progress *p = ctx;
	int percent = p->disk.total ? (int)(done * 100 / p->disk.total) : 100;

	if (percent != p->last_percent)
		set_stage(p, p->stage, percent);
}

/* Asks the VMM for a full snapshot into dir, leaving the VM paused. */
static int vmm_snapshot(struct cellad *d, const char *name, const char *dir, cella_err_t *err)
{
	_cleanup_free_ char *sock = path_of(d, name, "vmm.sock"), *req = NULL, *body = NULL;
	json_t *j = json_pack("{s:s, s:s, s:b}", "path", dir, "type", "full", "resume", 0);
	int status = 0;

	req = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (sock == NULL || req == NULL)
		return cella_error_make(err, ENOMEM, "snapshot");
	if (cellad_vm_api(sock, "PUT", "/vm/snapshot", req, &status, &body, err) < 0)
		return cella_error_wrap(err, "VM snapshot");
	if (status / 100 != 2)
		return cella_error_make(err, EIO, "the VMM refused the snapshot: HTTP %d %s", status,
					body ? body : "");
	return 0;
}

/* Sections every cella-vmm snapshot holds whatever devices the VM has: vCPUs, chipset, legacy devices. */
static bool legacy_section(const char *name)
{
	static const char *const legacy_dev[] = {"dev.serial", "dev.rtc", "dev.i8042", "dev.acpi-pm"};

	if (strncmp(name, "vm.", 3) == 0 || strncmp(name, "vcpu.", 5) == 0 ||
	    strncmp(name, "snapshot.", 9) == 0)
		return true;
	for (size_t i = 0; i < sizeof(legacy_dev) / sizeof(legacy_dev[0]); i++)
		if (strcmp(name, legacy_dev[i]) == 0)
			return true;
	return false;
}

static uint64_t le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * True when the snapshot's state file (docs/snapshots.md: header, section table of 64-byte entries
 * with a 32-byte name) holds a section beyond the legacy set, i.e. the VMM saved PCI/virtio device
 * state. A cella-vmm that does not would restore the VM without its disk and NIC.
 */
static int has_device_sections(const char *vm_dir, bool *found, cella_err_t *err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ unsigned char *buf = NULL;
	_cleanup_close_ int fd = -1;
	uint64_t table, n, size;
	struct stat st;
	size_t len, got = 0;

	*found = false;
	if (asprintf(&path, "%s/state", vm_dir) < 0)
		return cella_error_make(err, ENOMEM, "snapshot");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0)
		return cella_error_sys(err, "read '%s'", path);
	if (st.st_size < 96 || st.st_size > (64L << 20))
		return cella_error_make(err, EINVAL, "'%s': %lld bytes is no snapshot state file", path,
					(long long)st.st_size);
	len = (size_t)st.st_size;
	buf = malloc(len);
	if (buf == NULL)
		return cella_error_make(err, ENOMEM, "snapshot");
	while (got < len) {
		ssize_t r = read(fd, buf + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return cella_error_sys(err, "read '%s'", path);
		got += (size_t)r;
	}
	n = le(buf + 20, 4);
	table = le(buf + 24, 8);
	size = (uint64_t)len;
	if (memcmp(buf, "CELLASNP", 8) != 0 || table > size || n > (size - table) / 64)
		return cella_error_make(err, EINVAL, "'%s': not a cella snapshot state file", path);
	for (uint64_t i = 0; i < n && !*found; i++) {
		char name[32];

		memcpy(name, buf + table + i * 64, sizeof(name));
		name[sizeof(name) - 1] = '\0';
		*found = !legacy_section(name);
	}
	return 0;
}

static int write_info(const char *dir, bool stateful, const char *disk_method, const char *state,
		      cella_err_t *err)
{
	_cleanup_free_ char *now = cellad_now_rfc3339(), *path = NULL, *text = NULL;
	json_t *info;

	if (now == NULL || asprintf(&path, "%s/info.json", dir) < 0)
		return cella_error_make(err, ENOMEM, "snapshot");
	info = json_pack("{s:s, s:b, s:s?, s:s}", "created_at", now, "stateful", stateful, "disk",
			 disk_method, "instance_status", state);
	text = info ? json_dumps(info, JSON_INDENT(1)) : NULL;
	json_decref(info);
	if (text == NULL)
		return cella_error_make(err, ENOMEM, "snapshot");
	return cellad_write_file(path, text, strlen(text), 0600, err);
}

/* Fills tmp: memory + devices (stateful), the disk copy, info.json. The VM is left paused if it ran. */
static int fill(struct cellad *d, struct progress *p, const char *name, const char *tmp, bool stateful,
		const char *state, cella_err_t *err)
{
	_cleanup_free_ char *vm_dir = NULL, *disk_copy = NULL, *disk = cellad_vm_disk_path(d, name);
	enum cellad_vm_disk_method method = CELLAD_VM_DISK_SPARSE;
	bool have_disk;
	struct stat st;

	if (disk == NULL || asprintf(&vm_dir, "%s/vm", tmp) < 0 ||
	    asprintf(&disk_copy, "%s/disk.img", tmp) < 0)
		return cella_error_make(err, ENOMEM, "snapshot");
	have_disk = lstat(disk, &st) == 0 && S_ISREG(st.st_mode);
	if (stateful) {
		bool device_state;

		set_stage(p, "memory", 0);
		if (vmm_snapshot(d, name, vm_dir, err) < 0 ||
		    has_device_sections(vm_dir, &device_state, err) < 0)
			return -1;
		if ((have_disk || d->network) && !device_state)
			return cella_error_make(err, EOPNOTSUPP,
						"stateful: this cella-vmm saved no PCI/virtio device state, "
						"so a restore would "
						"lose the VM's %s; take a stateless snapshot (\"stateful\": "
						"false) or stop the "
						"VM first",
						have_disk && d->network ? "disk and NIC"
						: have_disk		? "disk"
									: "NIC");
	} else if (strcmp(state, "Running") == 0 && cellad_vm_pause(d, name, true, err) < 0) {
		return cella_error_wrap(err, "pause for the disk copy");
	}
	if (have_disk) {
		set_stage(p, "disk", 0);
		p->disk = (struct cellad_vm_disk_progress){.fn = disk_progress, .ctx = p};
		if (cellad_vm_disk_copy(disk, disk_copy, &method, &p->disk, err) < 0)
			return -1;
	}
	return write_info(tmp, stateful, have_disk ? cellad_vm_disk_method_name(method) : NULL, state, err);
}

int cellad_vm_snapshot_create(struct cellad *d, struct cellad_op *op, const char *name, const char *snap,
			      const char *state, json_t *stateful_arg, cella_err_t *err)
{
	_cleanup_free_ char *dir = path_of(d, name, "snapshots"), *tmp = NULL, *final = NULL;
	struct progress p = {.d = d, .op = op, .last_percent = -1};
	bool stopped = strcmp(state, "Stopped") == 0, running = strcmp(state, "Running") == 0;
	/* Stateful by default when the VM runs: memory and devices are what a running VM is. */
	bool stateful = json_is_boolean(stateful_arg) ? json_is_true(stateful_arg) : !stopped;
	cella_err_t ignore = NULL;
	struct stat st;
	int ret;

	if (dir == NULL || asprintf(&tmp, "%s/.tmp-%s", dir, snap) < 0 ||
	    asprintf(&final, "%s/%s", dir, snap) < 0)
		return cella_error_make(err, ENOMEM, "snapshot");
	if (!running && !stopped && strcmp(state, "Frozen") != 0)
		return cella_error_make(err, EBUSY, "snapshot '%s': instance '%s' is %s", snap, name, state);
	if (stateful && stopped)
		return cella_error_make(err, EINVAL,
					"stateful: vm '%s' is stopped: it has no memory or device state to "
					"save (use \"stateful\": false)",
					name);
	if (lstat(final, &st) == 0)
		return cella_error_make(err, EEXIST, "snapshot '%s' of instance '%s' already exists", snap,
					name);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return cella_error_sys(err, "mkdir '%s'", dir);
	/* A crash in an earlier try may have left the temporary copy. */
	if (cellad_rm_rf(tmp, err) < 0)
		return -1;
	if (mkdir(tmp, 0700) < 0)
		return cella_error_sys(err, "mkdir '%s'", tmp);
	ret = fill(d, &p, name, tmp, stateful, state, err);
	/* A VM that ran runs on, whatever happened; a frozen one stays frozen. */
	if (running && cellad_vm_pause(d, name, false, ret < 0 ? &ignore : err) < 0) {
		if (ret < 0)
			cella_error_release(&ignore);
		ret = -1;
	}
	if (ret == 0 && rename(tmp, final) < 0)
		ret = cella_error_sys(err, "rename '%s' to '%s'", tmp, final);
	if (ret < 0) {
		if (cellad_rm_rf(tmp, &ignore) < 0)
			cella_error_release(&ignore);
		return cella_error_wrap(err, "create snapshot '%s' of vm '%s'", snap, name);
	}
	set_stage(&p, "done", 100);
	return 0;
}

/* The instance's image directory and config (for a fresh boot after a stateless restore). */
static int load_boot(struct cellad *d, const char *name, char **image_dir, json_t **config, cella_err_t *err)
{
	json_t *row = NULL;
	int ret = -1;

	pthread_mutex_lock(&d->lock);
	if (cellad_db_query_one(d->db,
				"SELECT images.fingerprint, instances.config FROM instances JOIN images ON "
				"images.id = instances.image_id WHERE instances.name = ?",
				DB_ARGS(DB_TEXT(name)), &row, err) < 0)
		goto out;
	if (row == NULL) {
		cella_error_make(err, ENOENT, "instance '%s' has no image", name);
		goto out;
	}
	*config = json_loads(json_string_value(json_object_get(row, "config")) ?: "{}", 0, NULL);
	if (asprintf(image_dir, "%s/%s", d->images_dir,
		     json_string_value(json_object_get(row, "fingerprint")) ?: "") < 0) {
		cella_error_make(err, ENOMEM, "restore");
		goto out;
	}
	ret = 0;
out:
	pthread_mutex_unlock(&d->lock);
	json_decref(row);
	return ret;
}

static int boot_again(struct cellad *d, const char *name, cella_err_t *err)
{
	_cleanup_free_ char *image_dir = NULL;
	json_t *config = NULL;
	int ret = load_boot(d, name, &image_dir, &config, err);

	if (ret == 0)
		ret = cellad_vm_start(d, name, image_dir, config, err);
	json_decref(config);
	return ret;
}

int cellad_vm_snapshot_restore(struct cellad *d, struct cellad_op *op, const char *name, const char *snap,
			       const char *state, cella_err_t *err)
{
	_cleanup_free_ char *leaf = NULL, *snap_dir = NULL, *info_path = NULL, *vm_dir = NULL,
			    *disk_copy = NULL, *disk = cellad_vm_disk_path(d, name);
	struct progress p = {.d = d, .op = op, .last_percent = -1};
	bool was_running = strcmp(state, "Running") == 0 || strcmp(state, "Frozen") == 0, stateful;
	enum cellad_vm_disk_method method;
	json_t *info;
	struct stat st;

	if (disk == NULL || asprintf(&leaf, "snapshots/%s", snap) < 0 ||
	    (snap_dir = path_of(d, name, leaf)) == NULL ||
	    asprintf(&info_path, "%s/info.json", snap_dir) < 0 || asprintf(&vm_dir, "%s/vm", snap_dir) < 0 ||
	    asprintf(&disk_copy, "%s/disk.img", snap_dir) < 0)
		return cella_error_make(err, ENOMEM, "restore");
	info = json_load_file(info_path, 0, NULL);
	if (!json_is_object(info)) {
		json_decref(info);
		return cella_error_make(err, ENOENT, "snapshot '%s' of instance '%s' not found", snap, name);
	}
	stateful = json_is_true(json_object_get(info, "stateful"));
	json_decref(info);
	if (stateful && stat(vm_dir, &st) < 0)
		return cella_error_sys(err, "restore '%s': the snapshot's VM state '%s'", snap, vm_dir);
	if (strcmp(state, "Stopped") != 0) {
		set_stage(&p, "stop", 0);
		/* The running state is being replaced: no point asking the guest to shut down. */
		if (cellad_vm_stop(d, name, 0, true, err) < 0)
			return cella_error_wrap(err, "restore snapshot '%s' of vm '%s'", snap, name);
		cellad_instance_set_state(d, name, "Stopped", NULL, "instance-stopped");
	}
	if (lstat(disk_copy, &st) == 0) {
		set_stage(&p, "disk", 0);
		p.disk = (struct cellad_vm_disk_progress){.fn = disk_progress, .ctx = &p};
		if (cellad_vm_disk_copy(disk_copy, disk, &method, &p.disk, err) < 0)
			return cella_error_wrap(err, "restore snapshot '%s' of vm '%s'", snap, name);
	}
	if (stateful || was_running) {
		set_stage(&p, stateful ? "memory" : "boot", 0);
		if ((stateful ? cellad_vm_start_restore(d, name, vm_dir, err) : boot_again(d, name, err)) <
		    0) {
			cellad_instance_set_state(d, name, "Stopped", cella_error_string(*err), NULL);
			return cella_error_wrap(err, "restore snapshot '%s' of vm '%s'", snap, name);
		}
		cellad_instance_set_state(d, name, "Running", NULL, "instance-started");
	}
	set_stage(&p, "done", 100);
	return 0;
}
