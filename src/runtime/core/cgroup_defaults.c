// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The devices cgroup rules the container gets besides linux.resources.devices,
 * as runc's spec conversion adds them: mknod of any node, the standard /dev
 * nodes, ptys, tun, and every device listed in linux.devices. Without them the
 * usual "deny all" default spec could not even create /dev/null.
 */
#include "core/spec.h"

#include <string.h>

static const struct {
	const char *type;
	int major, minor; /* -1 = any */
	const char *access;
} default_rules[] = {
	{"c", -1, -1, "m"},    {"b", -1, -1, "m"}, {"c", 1, 3, "rwm"},	  {"c", 1, 8, "rwm"},
	{"c", 1, 7, "rwm"},    {"c", 5, 0, "rwm"}, {"c", 1, 5, "rwm"},	  {"c", 1, 9, "rwm"},
	{"c", 136, -1, "rwm"}, {"c", 5, 2, "rwm"}, {"c", 10, 200, "rwm"},
};

static json_t *rule(const char *type, json_int_t major, json_int_t minor, const char *access)
{
	json_t *r = json_pack("{s:b, s:s, s:s}", "allow", 1, "type", type, "access", access);

	if (major >= 0)
		json_object_set_new(r, "major", json_integer(major));
	if (minor >= 0)
		json_object_set_new(r, "minor", json_integer(minor));
	return r;
}

json_t *cella_spec_cgroup_resources(const struct cella_spec *spec)
{
	json_t *res = spec->resources ? json_deep_copy(spec->resources) : json_object();
	json_t *devices = json_object_get(res, "devices"), *listed, *d;
	size_t i;

	if (devices == NULL || !json_is_array(devices)) {
		devices = json_array();
		json_object_set_new(res, "devices", devices);
	}
	for (i = 0; i < sizeof(default_rules) / sizeof(default_rules[0]); i++)
		json_array_append_new(devices, rule(default_rules[i].type, default_rules[i].major,
						    default_rules[i].minor, default_rules[i].access));
	listed = json_object_get(spec->linux_obj, "devices");
	json_array_foreach (listed, i, d) {
		const char *type = json_string_value(json_object_get(d, "type"));
		json_t *major = json_object_get(d, "major"), *minor = json_object_get(d, "minor");

		if (type == NULL || !json_is_integer(major) || !json_is_integer(minor) ||
		    strcmp(type, "p") == 0)
			continue; /* fifos need no rule; malformed entries are the rootfs parser's to refuse */
		json_array_append_new(devices,
				      rule(strcmp(type, "b") == 0 ? "b" : "c", json_integer_value(major),
					   json_integer_value(minor), "rwm"));
	}
	return res;
}
