// SPDX-License-Identifier: GPL-2.0-or-later
/* The "linux" object: namespaces, id mappings, sysctl, timeOffsets, personality, unsupported fields. */
#include "core/spec.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>

#include <cella/cleanup.h>

#define WHERE "config.json: linux"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
	const char *spec_name, *proc_name;
	int flag;
} ns_table[CELLA_NS_COUNT] = {
	[CELLA_NS_USER] = {"user", "user", CLONE_NEWUSER},
	[CELLA_NS_PID] = {"pid", "pid", CLONE_NEWPID},
	[CELLA_NS_NET] = {"network", "net", CLONE_NEWNET},
	[CELLA_NS_IPC] = {"ipc", "ipc", CLONE_NEWIPC},
	[CELLA_NS_UTS] = {"uts", "uts", CLONE_NEWUTS},
	[CELLA_NS_MOUNT] = {"mount", "mnt", CLONE_NEWNS},
	[CELLA_NS_CGROUP] = {"cgroup", "cgroup", CLONE_NEWCGROUP},
	[CELLA_NS_TIME] = {"time", "time", CLONE_NEWTIME},
};

int cella_ns_clone_flag(enum cella_ns_type t)
{
	return ns_table[t].flag;
}

const char *cella_ns_proc_name(enum cella_ns_type t)
{
	return ns_table[t].proc_name;
}

const char *cella_ns_spec_name(enum cella_ns_type t)
{
	return ns_table[t].spec_name;
}

static int parse_namespaces(struct cella_spec *spec, cella_err_t *err)
{
	json_t *list = NULL, *item;
	size_t i;

	if (cella_json_get_array(spec->linux_obj, "namespaces", WHERE, &list, err) < 0)
		return -1;
	json_array_foreach (list, i, item) {
		const char *type = NULL, *path = NULL;
		char where[64];
		int t;

		snprintf(where, sizeof(where), WHERE ".namespaces[%zu]", i);
		if (!json_is_object(item))
			return cella_error_make(err, 0, "%s: expected object", where);
		if (cella_json_get_string(item, "type", where, &type, err) < 0 ||
		    cella_json_get_string(item, "path", where, &path, err) < 0)
			return -1;
		if (type == NULL)
			return cella_error_make(err, 0, "%s.type: missing", where);
		for (t = 0; t < CELLA_NS_COUNT; t++)
			if (strcmp(type, ns_table[t].spec_name) == 0)
				break;
		if (t == CELLA_NS_COUNT)
			return cella_error_make(err, 0, "%s.type: unknown namespace type '%s'", where, type);
		if (spec->ns[t].wanted)
			return cella_error_make(err, 0, "%s.type: duplicate namespace '%s'", where, type);
		if (path && path[0] != '/')
			return cella_error_make(err, 0, "%s.path: '%s' is not an absolute path", where, path);
		spec->ns[t].wanted = true;
		spec->ns[t].path = path && *path ? path : NULL;
	}
	return 0;
}

static int parse_idmaps(json_t *linux_obj, const char *key, struct cella_idmap **out, size_t *n,
			cella_err_t *err)
{
	json_t *list = NULL, *item;
	size_t i;

	if (cella_json_get_array(linux_obj, key, WHERE, &list, err) < 0 || list == NULL)
		return err && *err ? -1 : 0;
	if (json_array_size(list) > 340) /* the kernel's limit on map lines */
		return cella_error_make(err, 0, WHERE ".%s: more than 340 entries", key);
	*out = calloc(json_array_size(list) + 1, sizeof(**out));
	if (*out == NULL)
		return cella_error_sys(err, WHERE ".%s", key);
	json_array_foreach (list, i, item) {
		struct cella_idmap *m = &(*out)[i];
		char where[64];

		snprintf(where, sizeof(where), WHERE ".%s[%zu]", key, i);
		if (!json_is_object(item))
			return cella_error_make(err, 0, "%s: expected object", where);
		if (!json_object_get(item, "containerID") || !json_object_get(item, "hostID") ||
		    !json_object_get(item, "size"))
			return cella_error_make(err, 0, "%s: containerID, hostID and size are required",
						where);
		if (cella_json_get_u32(item, "containerID", where, &m->container_id, err) < 0 ||
		    cella_json_get_u32(item, "hostID", where, &m->host_id, err) < 0 ||
		    cella_json_get_u32(item, "size", where, &m->size, err) < 0)
			return -1;
		if (m->size == 0)
			return cella_error_make(err, 0, "%s.size: must be at least 1", where);
		if ((uint64_t)m->container_id + m->size > UINT32_MAX ||
		    (uint64_t)m->host_id + m->size > UINT32_MAX)
			return cella_error_make(err, 0, "%s: range overflows 32-bit ids", where);
	}
	*n = json_array_size(list);
	return 0;
}

/* As runc's validator: a sysctl is only allowed when the namespace it belongs to is the container's own. */
static int check_sysctl_namespace(struct cella_spec *spec, const char *key, cella_err_t *err)
{
	static const char *const ipc_keys[] = {
		"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",	    "kernel.sem",
		"kernel.shmall", "kernel.shmmax", "kernel.shm_rmid_forced", "kernel.shmmni"};

	for (size_t i = 0; i < sizeof(ipc_keys) / sizeof(ipc_keys[0]); i++)
		if (strcmp(key, ipc_keys[i]) == 0)
			goto ipc;
	if (strncmp(key, "fs.mqueue.", 10) == 0)
		goto ipc;
	if (strncmp(key, "net.", 4) == 0) {
		if (!spec->ns[CELLA_NS_NET].wanted)
			return cella_error_make(
				err, EINVAL, WHERE ".sysctl.%s: needs a network namespace (linux.namespaces)",
				key);
		return 0;
	}
	if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0) {
		if (!spec->ns[CELLA_NS_UTS].wanted)
			return cella_error_make(
				err, 0, WHERE ".sysctl.%s: needs a uts namespace (linux.namespaces)", key);
		return 0;
	}
	return cella_error_make(err, 0, WHERE ".sysctl.%s: not in a separate kernel namespace", key);
ipc:
	if (!spec->ns[CELLA_NS_IPC].wanted)
		return cella_error_make(err, 0, WHERE ".sysctl.%s: needs an ipc namespace (linux.namespaces)",
					key);
	return 0;
}

static int parse_sysctl(struct cella_spec *spec, cella_err_t *err)
{
	json_t *obj = NULL, *value;
	const char *key;
	size_t i = 0;

	if (cella_json_get_object(spec->linux_obj, "sysctl", WHERE, &obj, err) < 0 || obj == NULL)
		return err && *err ? -1 : 0;
	spec->sysctl = calloc(json_object_size(obj) + 1, sizeof(*spec->sysctl));
	if (spec->sysctl == NULL)
		return cella_error_sys(err, WHERE ".sysctl");
	json_object_foreach (obj, key, value) {
		if (!json_is_string(value))
			return cella_error_make(err, 0, WHERE ".sysctl.%s: expected string", key);
		/* The key becomes a path under /proc/sys: keep it from walking anywhere else. */
		if (*key == '\0' || key[0] == '.' || key[0] == '/' || strstr(key, "..") || strstr(key, "//"))
			return cella_error_make(err, 0, WHERE ".sysctl: invalid key '%s'", key);
		if (check_sysctl_namespace(spec, key, err) < 0)
			return -1;
		spec->sysctl[i].key = key;
		spec->sysctl[i].value = json_string_value(value);
		i++;
	}
	spec->n_sysctl = i;
	return 0;
}

static int parse_one_offset(json_t *obj, const char *clock, int64_t *secs, uint32_t *nsecs, cella_err_t *err)
{
	json_t *o = NULL;
	char where[64];

	snprintf(where, sizeof(where), WHERE ".timeOffsets");
	if (cella_json_get_object(obj, clock, where, &o, err) < 0 || o == NULL)
		return err && *err ? -1 : 0;
	snprintf(where, sizeof(where), WHERE ".timeOffsets.%s", clock);
	if (cella_json_get_i64(o, "secs", where, secs, err) < 0 ||
	    cella_json_get_u32(o, "nanosecs", where, nsecs, err) < 0)
		return -1;
	if (*nsecs >= 1000000000u)
		return cella_error_make(err, 0, "%s.nanosecs: must be below 1000000000", where);
	return 0;
}

static int parse_time_offsets(struct cella_spec *spec, cella_err_t *err)
{
	json_t *obj = NULL;
	const char *key;
	json_t *value;

	if (cella_json_get_object(spec->linux_obj, "timeOffsets", WHERE, &obj, err) < 0 || obj == NULL)
		return err && *err ? -1 : 0;
	json_object_foreach (obj, key, value) {
		if (strcmp(key, "monotonic") != 0 && strcmp(key, "boottime") != 0)
			return cella_error_make(err, 0, WHERE ".timeOffsets.%s: unknown clock", key);
	}
	if (!spec->ns[CELLA_NS_TIME].wanted)
		return cella_error_make(err, 0,
					WHERE ".timeOffsets: needs a time namespace (linux.namespaces)");
	if (spec->ns[CELLA_NS_TIME].path)
		return cella_error_make(
			err, EINVAL,
			WHERE ".timeOffsets: cannot set offsets of a time namespace joined by path");
	spec->has_time_offsets = true;
	return parse_one_offset(obj, "monotonic", &spec->monotonic_secs, &spec->monotonic_nsecs, err) < 0 ||
			       parse_one_offset(obj, "boottime", &spec->boottime_secs, &spec->boottime_nsecs,
						err) < 0
		       ? -1
		       : 0;
}

static int parse_personality(struct cella_spec *spec, cella_err_t *err)
{
	json_t *obj = NULL, *flags = NULL;
	const char *domain = NULL;

	if (cella_json_get_object(spec->linux_obj, "personality", WHERE, &obj, err) < 0 || obj == NULL)
		return err && *err ? -1 : 0;
	if (cella_json_get_string(obj, "domain", WHERE ".personality", &domain, err) < 0 ||
	    cella_json_get_array(obj, "flags", WHERE ".personality", &flags, err) < 0)
		return -1;
	if (domain == NULL)
		return cella_error_make(err, 0, WHERE ".personality.domain: missing");
	if (strcmp(domain, "LINUX") == 0)
		spec->personality = PER_LINUX;
	else if (strcmp(domain, "LINUX32") == 0)
		spec->personality = PER_LINUX32;
	else
		return cella_error_make(err, 0, WHERE ".personality.domain: unknown domain '%s'", domain);
	if (json_array_size(flags) > 0)
		return cella_error_make(err, 0, WHERE ".personality.flags: not supported");
	spec->has_personality = true;
	return 0;
}

/* Fields this runtime cannot honour: refusing is better than silently running without them. */
static int refuse_unsupported(json_t *linux_obj, cella_err_t *err)
{
	static const char *const unsupported[] = {"intelRdt", "memoryPolicy", "netDevices"};

	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
		json_t *v = json_object_get(linux_obj, unsupported[i]);

		if (v && !json_is_null(v))
			return cella_error_make(err, 0, WHERE ".%s: not supported by cella-runtime",
						unsupported[i]);
	}
	return 0;
}

static int check_userns(struct cella_spec *spec, cella_err_t *err)
{
	struct cella_ns_request *user = &spec->ns[CELLA_NS_USER];

	if (!user->wanted && (spec->n_uid_maps || spec->n_gid_maps))
		return cella_error_make(err, 0, WHERE ".uidMappings: set but there is no user namespace");
	if (user->wanted && !user->path && (spec->n_uid_maps == 0 || spec->n_gid_maps == 0))
		return cella_error_make(
			err, EINVAL,
			WHERE ".uidMappings: a new user namespace needs uidMappings and gidMappings");
	if (user->wanted && user->path && (spec->n_uid_maps || spec->n_gid_maps))
		return cella_error_make(err, 0,
					WHERE ".uidMappings: cannot set mappings of a joined user namespace");
	return 0;
}

int cella_spec_parse_linux(struct cella_spec *spec, cella_err_t *err)
{
	json_t *unused = NULL;

	if (spec->linux_obj == NULL)
		return cella_error_make(err, 0, WHERE ": missing (a Linux container needs it)");
	if (refuse_unsupported(spec->linux_obj, err) < 0 || parse_namespaces(spec, err) < 0 ||
	    parse_idmaps(spec->linux_obj, "uidMappings", &spec->uid_maps, &spec->n_uid_maps, err) < 0 ||
	    parse_idmaps(spec->linux_obj, "gidMappings", &spec->gid_maps, &spec->n_gid_maps, err) < 0 ||
	    check_userns(spec, err) < 0 || parse_sysctl(spec, err) < 0 || parse_time_offsets(spec, err) < 0 ||
	    parse_personality(spec, err) < 0)
		return -1;
	if (cella_json_get_string(spec->linux_obj, "cgroupsPath", WHERE, &spec->cgroups_path, err) < 0 ||
	    cella_json_get_object(spec->linux_obj, "resources", WHERE, &spec->resources, err) < 0 ||
	    cella_json_get_string(spec->linux_obj, "mountLabel", WHERE, &(const char *){NULL}, err) < 0 ||
	    cella_json_get_object(spec->linux_obj, "seccomp", WHERE, &unused, err) < 0 ||
	    cella_json_get_array(spec->linux_obj, "devices", WHERE, &unused, err) < 0 ||
	    cella_json_get_array(spec->linux_obj, "maskedPaths", WHERE, &unused, err) < 0 ||
	    cella_json_get_array(spec->linux_obj, "readonlyPaths", WHERE, &unused, err) < 0)
		return -1;
	if (spec->hostname && *spec->hostname && !spec->ns[CELLA_NS_UTS].wanted)
		return cella_error_make(
			err, EINVAL,
			"config.json: hostname: setting it needs a private uts namespace (linux.namespaces)");
	if (spec->domainname && *spec->domainname && !spec->ns[CELLA_NS_UTS].wanted)
		return cella_error_make(err, 0,
					"config.json: domainname: setting it needs a private uts namespace "
					"(linux.namespaces)");
	return 0;
}
