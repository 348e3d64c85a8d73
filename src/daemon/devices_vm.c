// SPDX-License-Identifier: GPL-2.0-or-later
/* A VM's devices: disks as more virtio-blk disks, NICs as TAPs on host bridges; cella-vmm's arguments. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "devices.h"
#include "network.h"
#include "vm_nic.h"

void cellad_devices_args_free(char **args)
{
	for (size_t i = 0; args && args[i]; i++)
		free(args[i]);
	free(args);
}

/* The recorded TAP name of NIC device dev (volatile.DEV.host_name) into out; 0 when there is one. */
static int recorded_tap(struct cellad *d, const char *name, const char *dev, char out[16])
{
	json_t *row = NULL, *config;
	cella_err_t ignore = NULL;
	char key[128];
	const char *tap;
	int ret = -1;

	snprintf(key, sizeof(key), "volatile.%s.host_name", dev);
	pthread_mutex_lock(&d->lock);
	if (cellad_db_query_one(d->db, "SELECT config FROM instances WHERE name = ?", DB_ARGS(DB_TEXT(name)),
				&row, &ignore) < 0)
		cella_error_release(&ignore);
	pthread_mutex_unlock(&d->lock);
	config = row ? json_loads(json_string_value(json_object_get(row, "config")) ?: "{}", 0, NULL) : NULL;
	json_decref(row);
	tap = json_string_value(json_object_get(config, key));
	/* The database is not trusted blindly: only a name of ours is ever deleted or reused. */
	if (tap && strncmp(tap, "ctap", 4) == 0 && cella_network_ifname_validate(key, tap, &ignore) == 0) {
		snprintf(out, 16, "%s", tap);
		ret = 0;
	}
	cella_error_release(&ignore);
	json_decref(config);
	return ret;
}

/* The TAP for NIC device dev: recorded, or a new name recorded; created fresh on its bridge. */
static int make_tap(struct cellad *d, const char *name, const char *dev, json_t *o, char tap[16],
		    cella_err_t *err)
{
	char made[16], key[128];
	uint8_t r[4];

	if (recorded_tap(d, name, dev, tap) < 0) {
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			return cella_error_sys(err, "random TAP name");
		snprintf(tap, 16, "ctap%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
		snprintf(key, sizeof(key), "volatile.%s.host_name", dev);
		if (cellad_vm_config_set(d, name, key, tap, err) < 0)
			return -1;
	}
	/* One left by a VMM that died with cellad down is replaced: a persistent TAP outlives its VMM. */
	if (cella_network_delete_link(tap, err) < 0) {
		if ((*err)->errno_value != ENODEV)
			return cella_error_wrap(err, "remove the stale TAP %s", tap);
		cella_error_release(err);
	}
	return cella_network_create_tap(json_string_value(json_object_get(o, "parent")), tap, made, NULL,
					err);
}

static int disk_arg(const char *dev, json_t *o, char **out, cella_err_t *err)
{
	const char *source = json_string_value(json_object_get(o, "source"));
	bool readonly = cellad_device_flag(o, "readonly");
	struct stat st;

	if (stat(source, &st) < 0)
		return cella_error_sys(err, "devices: %s: source '%s'", dev, source);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return cella_error_make(err, EINVAL,
					"devices: %s: source '%s': a VM's disk is a file or a block device",
					dev, source);
	if (access(source, readonly ? R_OK : R_OK | W_OK) < 0)
		return cella_error_sys(err, "devices: %s: source '%s'", dev, source);
	/* id= names the device in cella-vmm's API (GET /vm/devices/ID) and in snapshots. */
	if (asprintf(out, "path=%s,id=%s%s", source, dev, readonly ? ",readonly=on" : "") < 0)
		return cella_error_make(err, ENOMEM, "devices");
	return 0;
}

char **cellad_devices_vm_prepare(struct cellad *d, const char *name, json_t *devices, cella_err_t *err)
{
	size_t n = 0;
	char **args = calloc(2 * json_object_size(devices) + 1, sizeof(*args));
	const char *dev;
	json_t *o;

	if (args == NULL) {
		cella_error_make(err, ENOMEM, "devices");
		return NULL;
	}
	json_object_foreach (devices, dev, o) {
		const char *type = json_string_value(json_object_get(o, "type"));
		char mac[18], tap[16];
		int ret;

		if (strcmp(type, "disk") == 0) {
			args[n++] = strdup("--disk");
			ret = disk_arg(dev, o, &args[n], err);
		} else {
			args[n++] = strdup("--net");
			ret = cellad_device_hwaddr(d, name, dev, o, mac, err) < 0 ||
					      make_tap(d, name, dev, o, tap, err) < 0
				      ? -1
			      : asprintf(&args[n], "tap=%s,mac=%s,id=%s", tap, mac, dev) < 0
				      ? cella_error_make(err, ENOMEM, "devices")
				      : 0;
		}
		if (ret < 0 || args[n - 1] == NULL) {
			if (ret == 0)
				cella_error_make(err, ENOMEM, "devices");
			cella_error_wrap(err, "devices: %s", dev);
			cellad_devices_vm_release(d, name);
			/* asprintf leaves its pointer undefined when it fails: only what was made is freed. */
			if (ret < 0)
				args[n] = NULL;
			for (size_t i = 0; i <= n; i++)
				free(args[i]);
			free(args);
			return NULL;
		}
		n++;
	}
	return args;
}

json_t *cellad_devices_vm_taps(struct cellad *d, const char *name)
{
	cella_err_t err = NULL;
	json_t *devices = cellad_devices_load(d, name, &err), *out = json_object(), *o;
	const char *dev;

	cella_error_release(&err);
	json_object_foreach (devices, dev, o) {
		char tap[16], mac[18];

		if (strcmp(json_string_value(json_object_get(o, "type")), "nic") != 0 ||
		    recorded_tap(d, name, dev, tap) < 0)
			continue;
		if (cellad_device_hwaddr(d, name, dev, o, mac, &err) < 0) {
			cella_error_release(&err);
			mac[0] = '\0';
		}
		json_object_set_new(out, dev, json_pack("{s:s, s:s}", "host_name", tap, "hwaddr", mac));
	}
	json_decref(devices);
	return out;
}

void cellad_devices_vm_release(struct cellad *d, const char *name)
{
	cella_err_t err = NULL;
	json_t *devices = cellad_devices_load(d, name, &err), *o;
	const char *dev;

	if (devices == NULL) {
		cella_error_release(&err);
		return;
	}
	json_object_foreach (devices, dev, o) {
		char tap[16];

		if (strcmp(json_string_value(json_object_get(o, "type")), "nic") != 0 ||
		    recorded_tap(d, name, dev, tap) < 0)
			continue;
		if (cella_network_delete_link(tap, &err) < 0) {
			if (err->errno_value != ENODEV)
				fprintf(stderr, "cellad: vm %s: device %s: %s\n", name, dev,
					cella_error_string(err));
			cella_error_release(&err);
		}
	}
	json_decref(devices);
}
