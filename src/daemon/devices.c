// SPDX-License-Identifier: GPL-2.0-or-later
/* Instance devices: what a device may say, PATCH/PUT merging, loading; see devices.h. */
#include "devices.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "network.h"
#include "vm_nic.h"

/* Device names: 1-31 (cella-vmm's device ids) of [A-Za-z0-9_.-], not starting with '.' or '-' (they become TAP keys and paths). */
static bool device_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= 32 || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

bool cellad_device_flag(json_t *dev, const char *key)
{
	json_t *v = json_object_get(dev, key);

	return json_is_true(v) || (json_is_string(v) && strcmp(json_string_value(v), "true") == 0);
}

/* An absolute path with no "." or ".." component and no empty one after the first '/'. */
static bool path_clean(const char *p)
{
	if (p[0] != '/' || strlen(p) >= 4096)
		return false;
	for (const char *c = p + 1; *c;) {
		size_t n = strcspn(c, "/");

		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.') ||
		    (n == 0 && c[0] == '/'))
			return false;
		c += n;
		if (*c == '/')
			c++;
	}
	return true;
}

static int key_check(const char *dev, json_t *o, const char *const *allowed, const char *allowed_text,
		     cella_err_t *err)
{
	const char *key;
	json_t *v;

	json_object_foreach (o, key, v) {
		bool ok = false;

		for (size_t i = 0; allowed[i]; i++)
			ok = ok || strcmp(key, allowed[i]) == 0;
		if (!ok)
			return cella_error_make(err, EINVAL, "devices: %s: unknown key '%s' (known: %s)", dev,
						key, allowed_text);
		if (!json_is_string(v) && !json_is_boolean(v))
			return cella_error_make(err, EINVAL, "devices: %s: %s: expected a string", dev, key);
	}
	return 0;
}

static int flag_check(const char *dev, json_t *o, const char *key, cella_err_t *err)
{
	json_t *v = json_object_get(o, key);
	const char *s = json_string_value(v);

	if (v && !json_is_boolean(v) && !(s && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)))
		return cella_error_make(err, EINVAL, "devices: %s: %s: expected true or false", dev, key);
	return 0;
}

static int disk_validate(const char *dev, json_t *o, bool vm, cella_err_t *err)
{
	static const char *const ct_keys[] = {"type", "source", "path", "readonly", NULL};
	static const char *const vm_keys[] = {"type", "source", "readonly", NULL};
	const char *source = json_string_value(json_object_get(o, "source"));
	const char *path = json_string_value(json_object_get(o, "path"));

	if (key_check(dev, o, vm ? vm_keys : ct_keys,
		      vm ? "type, source, readonly; a VM's disk is a block device, it has no path"
			 : "type, source, path, readonly",
		      err) < 0 ||
	    flag_check(dev, o, "readonly", err) < 0)
		return -1;
	if (source == NULL || !path_clean(source))
		return cella_error_make(err, EINVAL,
					"devices: %s: source: expected an absolute host path without '.' or "
					"'..' components, got '%s'",
					dev, source ? source : "(missing)");
	/* cella-vmm's option syntax separates fields with ',' and '='. */
	if (vm && source[strcspn(source, ",=")])
		return cella_error_make(err, EINVAL,
					"devices: %s: source: a VM disk path cannot hold ',' or '='", dev);
	if (!vm && (path == NULL || !path_clean(path) || strcmp(path, "/") == 0))
		return cella_error_make(err, EINVAL,
					"devices: %s: path: expected an absolute path in the container "
					"(not '/', no '.' or '..' components), got '%s'",
					dev, path ? path : "(missing)");
	return 0;
}

static int nic_validate(const char *dev, json_t *o, bool vm, cella_err_t *err)
{
	static const char *const ct_keys[] = {"type", "nictype",      "parent", "hwaddr",
					      "name", "ipv4.address", NULL};
	static const char *const vm_keys[] = {"type", "nictype", "parent", "hwaddr", NULL};
	const char *nictype = json_string_value(json_object_get(o, "nictype"));
	const char *parent = json_string_value(json_object_get(o, "parent"));
	const char *hwaddr = json_string_value(json_object_get(o, "hwaddr"));
	const char *ifname = json_string_value(json_object_get(o, "name"));
	const char *address = json_string_value(json_object_get(o, "ipv4.address"));
	char field[128];
	uint8_t mac[6];

	if (key_check(dev, o, vm ? vm_keys : ct_keys,
		      vm ? "type, nictype, parent, hwaddr; a VM's guest configures its own address"
			 : "type, nictype, parent, hwaddr, name, ipv4.address",
		      err) < 0)
		return -1;
	if (nictype == NULL || strcmp(nictype, "bridged") != 0)
		return cella_error_make(err, EINVAL,
					"devices: %s: nictype: expected \"bridged\" (a NIC joins a host "
					"bridge given by parent; eth0 is the managed network's), got '%s'",
					dev, nictype ? nictype : "(missing)");
	snprintf(field, sizeof(field), "devices: %s: parent", dev);
	if (parent == NULL)
		return cella_error_make(err, EINVAL, "%s: required (the host bridge to join)", field);
	if (cella_network_ifname_validate(field, parent, err) < 0)
		return -1;
	snprintf(field, sizeof(field), "devices: %s: hwaddr", dev);
	if (hwaddr && cella_network_mac_parse(field, hwaddr, mac, err) < 0)
		return -1;
	if (hwaddr && (mac[0] & 1))
		return cella_error_make(err, EINVAL, "%s: '%s' is a multicast address", field, hwaddr);
	snprintf(field, sizeof(field), "devices: %s: ipv4.address", dev);
	if (address) {
		struct cella_ipv4_cidr cidr;

		if (cella_network_ipv4_cidr_parse(field, address, &cidr, err) < 0)
			return -1;
	}
	snprintf(field, sizeof(field), "devices: %s: name", dev);
	if (!ifname && !vm) {
		cella_err_t ignore = NULL;

		/* The interface is named after the device unless that is no interface name. */
		if (cella_network_ifname_validate(field, dev, &ignore) < 0) {
			cella_error_release(&ignore);
			return cella_error_make(err, EINVAL,
						"%s: required: the device name '%s' is not an interface name",
						field, dev);
		}
		ifname = dev;
	}
	if (ifname && cella_network_ifname_validate(field, ifname, err) < 0)
		return -1;
	if (ifname && (strcmp(ifname, "eth0") == 0 || strcmp(ifname, "lo") == 0))
		return cella_error_make(err, EINVAL, "%s: '%s' is the container's own", field, ifname);
	return 0;
}

/* The name a container's NIC device gets inside the container. */
static const char *nic_ifname(const char *dev, json_t *o)
{
	const char *ifname = json_string_value(json_object_get(o, "name"));

	return ifname ? ifname : dev;
}

int cellad_devices_validate(json_t *devices, bool vm, cella_err_t *err)
{
	const char *dev, *other;
	json_t *o, *p;

	if (devices == NULL)
		return 0;
	if (!json_is_object(devices))
		return cella_error_make(err, EINVAL, "devices: expected an object of \"name\": {device}");
	if (json_object_size(devices) > CELLAD_MAX_DEVICES)
		return cella_error_make(err, EINVAL, "devices: at most %d devices", CELLAD_MAX_DEVICES);
	json_object_foreach (devices, dev, o) {
		const char *type = json_string_value(json_object_get(o, "type"));

		if (!device_name_valid(dev))
			return cella_error_make(
				err, EINVAL,
				"devices: '%s': expected a device name (1-31 of letters, digits, "
				"'_', '-', '.', not starting with '.' or '-')",
				dev);
		if (strcmp(dev, "root") == 0 || strcmp(dev, "eth0") == 0)
			return cella_error_make(
				err, EINVAL, "devices: %s: reserved for the instance's own %s", dev,
				strcmp(dev, "root") == 0 ? "root disk" : "NIC on the managed network");
		if (!json_is_object(o))
			return cella_error_make(err, EINVAL, "devices: %s: expected an object", dev);
		if (type && strcmp(type, "disk") == 0) {
			if (disk_validate(dev, o, vm, err) < 0)
				return -1;
		} else if (type && strcmp(type, "nic") == 0) {
			if (nic_validate(dev, o, vm, err) < 0)
				return -1;
		} else {
			return cella_error_make(err, EINVAL,
						"devices: %s: type: expected disk or nic, got '%s'", dev,
						type ? type : "(missing)");
		}
	}
	/* Two devices must not claim one mount point or one interface name. */
	json_object_foreach (devices, dev, o) {
		const char *type = json_string_value(json_object_get(o, "type"));

		json_object_foreach (devices, other, p) {
			if (strcmp(dev, other) >= 0 || vm ||
			    strcmp(type, json_string_value(json_object_get(p, "type"))))
				continue;
			if (strcmp(type, "disk") == 0 &&
			    strcmp(json_string_value(json_object_get(o, "path")),
				   json_string_value(json_object_get(p, "path"))) == 0)
				return cella_error_make(err, EINVAL, "devices: %s and %s: the same path", dev,
							other);
			if (strcmp(type, "nic") == 0 && strcmp(nic_ifname(dev, o), nic_ifname(other, p)) == 0)
				return cella_error_make(err, EINVAL,
							"devices: %s and %s: the same interface name", dev,
							other);
		}
	}
	return 0;
}

json_t *cellad_devices_merge(json_t *old, json_t *change, bool replace, bool vm, cella_err_t *err)
{
	json_t *out, *v;
	const char *dev;

	if (!json_is_object(change)) {
		cella_error_make(err, EINVAL, "devices: expected an object of \"name\": {device}");
		return NULL;
	}
	out = replace || old == NULL ? json_object() : json_deep_copy(old);
	json_object_foreach (change, dev, v) {
		if (json_is_null(v)) {
			if (!replace && json_object_get(out, dev) == NULL) {
				cella_error_make(err, ENOENT, "devices: %s: no such device", dev);
				json_decref(out);
				return NULL;
			}
			json_object_del(out, dev);
		} else {
			json_object_set(out, dev, v);
		}
	}
	if (cellad_devices_validate(out, vm, err) < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

json_t *cellad_devices_load(struct cellad *d, const char *name, cella_err_t *err)
{
	json_t *row = NULL, *devices;

	pthread_mutex_lock(&d->lock);
	if (cellad_db_query_one(d->db, "SELECT devices FROM instances WHERE name = ?", DB_ARGS(DB_TEXT(name)),
				&row, err) == 0 &&
	    row == NULL)
		cella_error_make(err, ENOENT, "instance '%s' not found", name);
	pthread_mutex_unlock(&d->lock);
	if (row == NULL)
		return NULL;
	devices = json_loads(json_string_value(json_object_get(row, "devices")) ?: "{}", 0, NULL);
	json_decref(row);
	if (!json_is_object(devices)) {
		json_decref(devices);
		cella_error_make(err, EINVAL, "instance '%s': its recorded devices are not a JSON object",
				 name);
		return NULL;
	}
	return devices;
}

int cellad_device_hwaddr(struct cellad *d, const char *name, const char *dev, json_t *o, char out[18],
			 cella_err_t *err)
{
	const char *mac = json_string_value(json_object_get(o, "hwaddr"));
	char key[128];
	json_t *row = NULL, *config = NULL;
	uint8_t bytes[6];
	cella_err_t ignore = NULL;

	if (mac) {
		snprintf(out, 18, "%s", mac);
		return 0;
	}
	/* A generated MAC is recorded (as Incus's volatile.DEV.hwaddr) so it stays across restarts. */
	snprintf(key, sizeof(key), "volatile.%s.hwaddr", dev);
	pthread_mutex_lock(&d->lock);
	if (cellad_db_query_one(d->db, "SELECT config FROM instances WHERE name = ?", DB_ARGS(DB_TEXT(name)),
				&row, err) < 0) {
		pthread_mutex_unlock(&d->lock);
		return -1;
	}
	pthread_mutex_unlock(&d->lock);
	config = row ? json_loads(json_string_value(json_object_get(row, "config")) ?: "{}", 0, NULL) : NULL;
	json_decref(row);
	mac = json_string_value(json_object_get(config, key));
	if (mac && cella_network_mac_parse(key, mac, bytes, &ignore) == 0) {
		snprintf(out, 18, "%s", mac);
		json_decref(config);
		return 0;
	}
	cella_error_release(&ignore);
	json_decref(config);
	if (getrandom(bytes, 3, 0) != 3)
		return cella_error_sys(err, "devices: %s: random MAC", dev);
	/* Incus's (Xen's) OUI, as the instance's eth0 has. */
	snprintf(out, 18, "00:16:3e:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2]);
	return cellad_vm_config_set(d, name, key, out, err);
}
