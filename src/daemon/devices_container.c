// SPDX-License-Identifier: GPL-2.0-or-later
/* A container's devices: disks as bind mounts in its OCI spec, NICs as veths on host bridges. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "devices.h"
#include "network.h"

int cellad_devices_container_mounts(json_t *spec, json_t *devices, cella_err_t *err)
{
	json_t *mounts = json_object_get(spec, "mounts"), *o;
	const char *dev;

	if (!json_is_array(mounts)) {
		mounts = json_array();
		json_object_set_new(spec, "mounts", mounts);
	}
	json_object_foreach (devices, dev, o) {
		const char *source = json_string_value(json_object_get(o, "source"));
		struct stat st;
		json_t *options;

		if (strcmp(json_string_value(json_object_get(o, "type")), "disk") != 0)
			continue;
		/* Checked here, not at creation: the source is the host's and may come and go. */
		if (stat(source, &st) < 0)
			return cella_error_sys(err, "devices: %s: source '%s'", dev, source);
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
			return cella_error_make(
				err, EINVAL,
				"devices: %s: source '%s': a container's disk is a directory or "
				"a file to bind-mount",
				dev, source);
		options = json_pack("[s, s]", "rbind", "rprivate");
		if (cellad_device_flag(o, "readonly"))
			json_array_append_new(options, json_string("ro"));
		/* After the spec's own mounts, so a device path under /dev or /proc is mounted over them. */
		json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:o}", "destination",
							json_string_value(json_object_get(o, "path")), "type",
							"bind", "source", source, "options", options));
	}
	return 0;
}

int cellad_devices_container_nics(struct cellad *d, const char *name, pid_t pid, json_t *devices,
				  cella_err_t *err)
{
	const char *dev;
	json_t *o;

	json_object_foreach (devices, dev, o) {
		const char *ifname = json_string_value(json_object_get(o, "name"));
		char mac[18], host_if[16];

		if (strcmp(json_string_value(json_object_get(o, "type")), "nic") != 0)
			continue;
		/* With ipv4.address, set from the host (a system container has no CAP_NET_ADMIN); without, the
		 * interface is up with no address. The host end goes away with the container's namespace. */
		if (cellad_device_hwaddr(d, name, dev, o, mac, err) < 0 ||
		    cella_network_attach_container(
			    json_string_value(json_object_get(o, "parent")), pid, ifname ? ifname : dev, mac,
			    json_string_value(json_object_get(o, "ipv4.address")), NULL, host_if, err) < 0)
			return cella_error_wrap(err, "devices: %s", dev);
	}
	return 0;
}
