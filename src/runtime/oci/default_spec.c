// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The default config.json, field for field what `runc spec` writes, so that
 * tutorials written for runc work unchanged. Written as the JSON document
 * itself because that is what a reader compares against; the rootless variant
 * applies runc's own ToRootless() transformation to it.
 */
#include "oci/oci.h"

#include <string.h>
#include <unistd.h>

#include <cella/cleanup.h>

static const char default_spec_json[] =
	"{"
	"\"ociVersion\": \"" CELLA_OCI_SPEC_VERSION "\","
	"\"process\": {"
	"  \"terminal\": true,"
	"  \"user\": {\"uid\": 0, \"gid\": 0},"
	"  \"args\": [\"sh\"],"
	"  \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"TERM=xterm\"],"
	"  \"cwd\": \"/\","
	"  \"capabilities\": {"
	"    \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
	"    \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
	"    \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
	"    \"ambient\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]"
	"  },"
	"  \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],"
	"  \"noNewPrivileges\": true"
	"},"
	"\"root\": {\"path\": \"rootfs\", \"readonly\": true},"
	"\"hostname\": \"runc\","
	"\"mounts\": ["
	"  {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
	"  {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
	"   \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},"
	"  {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
	"   \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\", "
	"\"gid=5\"]},"
	"  {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
	"   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},"
	"  {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\","
	"   \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},"
	"  {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\","
	"   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},"
	"  {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\","
	"   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}"
	"],"
	"\"linux\": {"
	"  \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},"
	"  \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"},"
	"                   {\"type\": \"uts\"}, {\"type\": \"mount\"}],"
	"  \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\","
	"                    \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\","
	"                    \"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\"],"
	"  \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", "
	"\"/proc/sysrq-trigger\"]"
	"}"
	"}";

static json_t *id_mapping(unsigned host_id)
{
	return json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID", (json_int_t)host_id, "size", 1);
}

/* Drops the network and user namespaces and appends a user namespace. */
static int rootless_namespaces(json_t *linux_obj)
{
	json_t *old = json_object_get(linux_obj, "namespaces"), *ns;
	json_t *fresh = json_array();
	size_t i;

	if (fresh == NULL)
		return -1;
	json_array_foreach (old, i, ns) {
		const char *type = json_string_value(json_object_get(ns, "type"));

		if (type && (strcmp(type, "network") == 0 || strcmp(type, "user") == 0))
			continue;
		json_array_append(fresh, ns);
	}
	json_array_append_new(fresh, json_pack("{s:s}", "type", "user"));
	return json_object_set_new(linux_obj, "namespaces", fresh);
}

/* /sys becomes a read-only rbind (sysfs cannot be mounted without owning the
 * network namespace); uid=/gid= options go, since those ids are not mapped. */
static int rootless_mounts(json_t *spec)
{
	json_t *mounts = json_object_get(spec, "mounts"), *m;
	size_t i;

	json_array_foreach (mounts, i, m) {
		json_t *opts = json_object_get(m, "options"), *kept;
		const char *dest = json_string_value(json_object_get(m, "destination"));
		json_t *o;
		size_t j;

		if (dest && strcmp(dest, "/sys") == 0) {
			json_t *sys = json_pack("{s:s, s:s, s:s, s:[sssss]}", "destination", "/sys", "type",
						"none", "source", "/sys", "options", "rbind", "nosuid",
						"noexec", "nodev", "ro");

			if (sys == NULL || json_array_set_new(mounts, i, sys) < 0)
				return -1;
			continue;
		}
		if (opts == NULL)
			continue;
		kept = json_array();
		if (kept == NULL)
			return -1;
		json_array_foreach (opts, j, o) {
			const char *s = json_string_value(o);

			if (s && (strncmp(s, "uid=", 4) == 0 || strncmp(s, "gid=", 4) == 0))
				continue;
			json_array_append(kept, o);
		}
		if (json_object_set_new(m, "options", kept) < 0)
			return -1;
	}
	return 0;
}

/* runc's specconv.ToRootless(), in runc's key order (mappings where resources was). */
static int make_rootless(json_t *spec)
{
	json_t *linux_obj = json_object_get(spec, "linux");
	json_t *fresh = json_object();
	const char *key;
	json_t *value;

	if (fresh == NULL)
		return -1;
	json_object_foreach (linux_obj, key, value) {
		if (strcmp(key, "resources") == 0) {
			json_object_set_new(fresh, "uidMappings", id_mapping(geteuid()));
			json_object_set_new(fresh, "gidMappings", id_mapping(getegid()));
			continue;
		}
		json_object_set(fresh, key, value);
	}
	if (json_object_set_new(spec, "linux", fresh) < 0 || rootless_namespaces(fresh) < 0)
		return -1;
	return rootless_mounts(spec);
}

json_t *cella_oci_default_spec(bool rootless)
{
	json_t *spec = json_loads(default_spec_json, JSON_REJECT_DUPLICATES, NULL);

	if (spec && rootless && make_rootless(spec) < 0) {
		json_decref(spec);
		return NULL;
	}
	return spec;
}
