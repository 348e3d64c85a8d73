/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_OCI_OCI_H
#define CELLA_RUNTIME_OCI_OCI_H

/* What `cella-runtime spec` and `cella-runtime features` print. */
#include <jansson.h>
#include <stdbool.h>

/* ociVersion written into default specs: runc 1.1 writes "1.0.2-dev", which
 * crun 1.8.1 rejects; "1.0.2" is accepted by runc, crun and cella alike. */
#define CELLA_OCI_SPEC_VERSION "1.0.2"

/*
 * A new default config.json, the same document as `runc spec` (busybox-style
 * bundle: rootfs "rootfs", `sh` on a terminal, default mounts, capabilities,
 * masked and read-only paths, RLIMIT_NOFILE 1024). @rootless: as
 * `runc spec --rootless` (user namespace mapping the current euid/egid to 0,
 * no network namespace, /sys bind-mounted, no uid=/gid= mount options, no
 * resources). Returns a new reference; NULL only when out of memory.
 */
json_t *cella_oci_default_spec(bool rootless);

/*
 * The runtime-spec features document (features.json, `runtime features`).
 * The arguments come from the modules that know them and are borrowed (the
 * result takes its own references): @seccomp_features the linux.seccomp object
 * ({"enabled", "actions", "operators", "archs", ...}), @caps_known an array of
 * "CAP_*" names, @mount_options an array of option names. NULL means unknown
 * and leaves the field out, as the spec prescribes. Returns a new reference;
 * NULL only when out of memory.
 */
json_t *cella_oci_features(json_t *seccomp_features, json_t *caps_known, json_t *mount_options);

#endif
