// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The runtime-spec features document: what this runtime implements, for
 * clients (containerd, podman) that adapt to the runtime. Only what cella
 * really does is claimed; fields we cannot know are left out ("unknown").
 */
#include "oci/oci.h"

#include <seccomp.h>
#include <stdio.h>

#define FEATURES_VERSION_MIN "1.0.0"
#define FEATURES_VERSION_MAX "1.2.0"

static json_t *enabled(bool on)
{
	return json_pack("{s:b}", "enabled", on);
}

static json_t *linux_features(json_t *seccomp_features, json_t *caps_known)
{
	/* every namespace core/ creates or joins, time (runtime-spec 1.2) included; idmapped
	 * bind mounts are implemented by rootfs/idmap.c (the kernel may still refuse one) */
	json_t *l = json_pack("{s:[ssssssss], s:{s:b, s:b, s:b, s:b, s:b}, s:o, s:o, s:o, s:{s:o}}",
			      "namespaces", "cgroup", "ipc", "mount", "network", "pid", "user", "uts", "time",
			      "cgroup", "v1", 1, "v2", 1, "systemd", 0, "systemdUser", 0, "rdma", 0,
			      "apparmor", enabled(false), "selinux", enabled(false), "intelRdt",
			      enabled(false), "mountExtensions", "idmap", enabled(true));

	if (l == NULL)
		return NULL;
	if (caps_known && json_object_set(l, "capabilities", caps_known) < 0)
		goto fail;
	if (seccomp_features && json_object_set(l, "seccomp", seccomp_features) < 0)
		goto fail;
	return l;
fail:
	json_decref(l);
	return NULL;
}

json_t *cella_oci_features(json_t *seccomp_features, json_t *caps_known, json_t *mount_options)
{
	const struct scmp_version *sv = seccomp_version();
	char seccomp_ver[64] = "";
	json_t *f, *l = linux_features(seccomp_features, caps_known);

	if (l == NULL)
		return NULL;
	if (sv)
		snprintf(seccomp_ver, sizeof(seccomp_ver), "%u.%u.%u", sv->major, sv->minor, sv->micro);
	f = json_pack("{s:s, s:s, s:[ssssss], s:o, s:{s:s}}", "ociVersionMin", FEATURES_VERSION_MIN,
		      "ociVersionMax", FEATURES_VERSION_MAX, "hooks", "prestart", "createRuntime",
		      "createContainer", "startContainer", "poststart", "poststop", "linux", l, "annotations",
		      "org.cella.runtime.version", CELLA_VERSION);
	if (f == NULL)
		return NULL;
	if (mount_options && json_object_set(f, "mountOptions", mount_options) < 0)
		goto fail;
	if (seccomp_ver[0] &&
	    json_object_set_new(json_object_get(f, "annotations"), "io.github.seccomp.libseccomp.version",
				json_string(seccomp_ver)) < 0)
		goto fail;
	return f;
fail:
	json_decref(f);
	return NULL;
}
