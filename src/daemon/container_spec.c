// SPDX-License-Identifier: GPL-2.0-or-later
/* Instance config keys and the config.json they turn into. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "oci/oci.h"

static const char *const known_keys[] = {"limits.memory", "limits.processes", "limits.cpu",
					 "security.privileged", "command"};

/* "256MiB", "1GB", "1048576" -> bytes. */
int cellad_config_size(const char *key, json_t *v, long long *out, cella_err_t *err)
{
	static const struct {
		const char *suffix;
		long long mult;
	} units[] = {{"", 1},	      {"B", 1},		{"kB", 1000},	    {"KiB", 1024},
		     {"MB", 1000000}, {"MiB", 1 << 20}, {"GB", 1000000000}, {"GiB", 1LL << 30}};
	const char *text = json_string_value(v);
	char *end;
	double n;

	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*out = json_integer_value(v);
		return 0;
	}
	if (text == NULL)
		return cella_error_make(err, EINVAL, "config: %s: expected a size such as \"256MiB\"", key);
	errno = 0;
	n = strtod(text, &end);
	if (errno == 0 && end != text && n > 0 && isfinite(n)) {
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (strcmp(end, units[i].suffix) == 0 && n * (double)units[i].mult < 9e18) {
				*out = (long long)(n * (double)units[i].mult);
				return 0;
			}
		}
	}
	return cella_error_make(err, EINVAL, "config: %s: expected a size such as \"256MiB\", got '%s'", key,
				text);
}

static int parse_positive(const char *key, json_t *v, double *out, cella_err_t *err)
{
	const char *text = json_string_value(v);
	char *end;

	if (json_is_number(v)) {
		*out = json_number_value(v);
	} else if (text) {
		errno = 0;
		*out = strtod(text, &end);
		if (errno || end == text || *end)
			*out = -1;
	} else {
		*out = -1;
	}
	if (!(*out > 0) || !isfinite(*out))
		return cella_error_make(err, EINVAL, "config: %s: expected a positive number", key);
	return 0;
}

static bool is_true(json_t *v)
{
	return json_is_true(v) || (json_is_string(v) && strcmp(json_string_value(v), "true") == 0);
}

/* An application container's command: ["program", "arg", ...], run as the container's pid 1. */
static int validate_command(json_t *v, cella_err_t *err)
{
	size_t i, total = 0;
	json_t *a;

	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 256)
		return cella_error_make(
			err, EINVAL,
			"config: command: expected an array of 1 to 256 strings, e.g. [\"sleep\", \"60\"]");
	json_array_foreach (v, i, a) {
		if (!json_is_string(a) || json_string_length(a) == 0 ||
		    strlen(json_string_value(a)) != json_string_length(a))
			return cella_error_make(err, EINVAL,
						"config: command[%zu]: expected a non-empty string", i);
		total += json_string_length(a);
	}
	if (total > 65536)
		return cella_error_make(err, EINVAL, "config: command: longer than 64 KiB");
	return 0;
}

int cellad_instance_config_validate(json_t *config, cella_err_t *err)
{
	const char *key;
	json_t *v;
	long long size = 0;
	double n = 0;

	if (config == NULL)
		return 0;
	if (!json_is_object(config))
		return cella_error_make(err, EINVAL, "config: expected an object of \"key\": value");
	json_object_foreach (config, key, v) {
		/* volatile.* keys are cellad's own records (a VM's MAC, its disk copy method), written back into
		 * the config it validates again on the next request. */
		bool known = strncmp(key, "volatile.", 9) == 0;

		for (size_t i = 0; i < sizeof(known_keys) / sizeof(known_keys[0]); i++)
			known = known || strcmp(key, known_keys[i]) == 0;
		if (!known)
			return cella_error_make(
				err, EINVAL,
				"config: unknown key '%s' (known: limits.memory, limits.processes, "
				"limits.cpu, security.privileged, command)",
				key);
	}
	if ((v = json_object_get(config, "limits.memory"))) {
		if (cellad_config_size("limits.memory", v, &size, err) < 0)
			return -1;
		if (size < (1 << 20))
			return cella_error_make(err, EINVAL, "config: limits.memory: at least 1MiB");
	}
	if ((v = json_object_get(config, "limits.processes")) &&
	    parse_positive("limits.processes", v, &n, err) < 0)
		return -1;
	if (v && n != floor(n))
		return cella_error_make(err, EINVAL, "config: limits.processes: expected a whole number");
	if ((v = json_object_get(config, "limits.cpu")) && parse_positive("limits.cpu", v, &n, err) < 0)
		return -1;
	if ((v = json_object_get(config, "command")) && validate_command(v, err) < 0)
		return -1;
	if ((v = json_object_get(config, "security.privileged")) && !json_is_boolean(v) &&
	    !(json_is_string(v) &&
	      (strcmp(json_string_value(v), "true") == 0 || strcmp(json_string_value(v), "false") == 0)))
		return cella_error_make(err, EINVAL, "config: security.privileged: expected true or false");
	return 0;
}

bool cellad_config_privileged(json_t *config)
{
	return is_true(json_object_get(config, "security.privileged"));
}

static void set_resources(json_t *linux_obj, json_t *config)
{
	json_t *res = json_object(), *v;
	long long size;
	double n;
	cella_err_t ignore = NULL;

	if ((v = json_object_get(config, "limits.memory")) &&
	    cellad_config_size("limits.memory", v, &size, &ignore) == 0)
		json_object_set_new(res, "memory", json_pack("{s:I}", "limit", (json_int_t)size));
	if ((v = json_object_get(config, "limits.processes")) &&
	    parse_positive("limits.processes", v, &n, &ignore) == 0)
		json_object_set_new(res, "pids", json_pack("{s:I}", "limit", (json_int_t)n));
	/* limits.cpu = N CPUs worth of time: a CFS quota of N periods. */
	if ((v = json_object_get(config, "limits.cpu")) && parse_positive("limits.cpu", v, &n, &ignore) == 0)
		json_object_set_new(res, "cpu",
				    json_pack("{s:I, s:I}", "quota", (json_int_t)(n * 100000), "period",
					      (json_int_t)100000));
	cella_error_release(&ignore);
	json_object_set_new(linux_obj, "resources", res);
}

/*
 * CAP_NET_RAW, as Docker's default set has it: ping works. It only reaches the container's own
 * network namespace (and, in a system container, only as its user namespace's root).
 */
static void add_net_raw(json_t *caps)
{
	static const char *const sets[] = {"bounding", "effective", "permitted"};

	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		json_t *set = json_object_get(caps, sets[i]);

		if (json_is_array(set))
			json_array_append_new(set, json_string("CAP_NET_RAW"));
	}
}

static json_t *idmap(long long host_base)
{
	return json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID", (json_int_t)host_base, "size",
			 CELLAD_IDMAP_SIZE);
}

json_t *cellad_container_spec(const char *name, const char *rootfs, json_t *config, long long host_base,
			      cella_err_t *err)
{
	json_t *spec = cella_oci_default_spec(false), *process, *linux_obj, *mounts, *m;
	char cgroup[128];
	size_t i;

	if (spec == NULL) {
		cella_error_make(err, ENOMEM, "config.json");
		return NULL;
	}
	process = json_object_get(spec, "process");
	linux_obj = json_object_get(spec, "linux");
	json_object_set_new(process, "terminal", json_false());
	/* A system container boots the image's init; an application container runs its command as pid 1. */
	if (json_is_array(json_object_get(config, "command")))
		json_object_set(process, "args", json_object_get(config, "command"));
	else
		json_object_set_new(process, "args", json_pack("[s]", "/sbin/init"));
	json_object_set_new(process, "cwd", json_string("/"));
	json_object_set_new(spec, "root", json_pack("{s:s, s:b}", "path", rootfs, "readonly", 0));
	json_object_set_new(spec, "hostname", json_string(name));
	set_resources(linux_obj, config);
	add_net_raw(json_object_get(process, "capabilities"));
	snprintf(cgroup, sizeof(cgroup), "/cellad/%s", name);
	json_object_set_new(linux_obj, "cgroupsPath", json_string(cgroup));
	if (host_base >= 0) {
		/* A system container: its root is an unprivileged host id range of its own. */
		json_array_append_new(json_object_get(linux_obj, "namespaces"),
				      json_pack("{s:s}", "type", "user"));
		json_object_set_new(linux_obj, "uidMappings", idmap(host_base));
		json_object_set_new(linux_obj, "gidMappings", idmap(host_base));
		/* A cgroup v1 hierarchy cannot be mounted from a user namespace: leave /sys/fs/cgroup out. */
		mounts = json_object_get(spec, "mounts");
		json_array_foreach (mounts, i, m) {
			if (strcmp(json_string_value(json_object_get(m, "destination")), "/sys/fs/cgroup") ==
			    0) {
				json_array_remove(mounts, i);
				break;
			}
		}
	}
	return spec;
}
