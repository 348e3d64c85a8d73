/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_CORE_SPEC_H
#define CELLA_RUNTIME_CORE_SPEC_H

/*
 * config.json (runtime-spec 1.2) as the core sees it: the fields the core acts
 * on itself are parsed into struct cella_spec; the parts other modules own
 * (mounts, resources, seccomp, hooks...) stay jansson objects inside `json`
 * and are handed to those modules' parse/validate functions. Strings point
 * into `json`, which the spec owns.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cella/error.h>

#define CELLA_SPEC_MAX_SIZE (4u << 20) /* config.json larger than 4 MiB is refused */
#define CELLA_NS_COUNT	    8

enum cella_ns_type {
	CELLA_NS_USER,
	CELLA_NS_PID,
	CELLA_NS_NET,
	CELLA_NS_IPC,
	CELLA_NS_UTS,
	CELLA_NS_MOUNT,
	CELLA_NS_CGROUP,
	CELLA_NS_TIME,
};

struct cella_ns_request {
	bool wanted;	  /* listed in linux.namespaces */
	const char *path; /* join this namespace instead of creating one; NULL = new */
};

struct cella_idmap {
	uint32_t container_id, host_id, size;
};

struct cella_sysctl {
	const char *key, *value;
};

/* The process part, shared by create and exec --process. */
struct cella_process {
	json_t *json; /* the "process" object (borrowed) */
	bool terminal;
	unsigned console_rows, console_cols;
	const char *cwd;
	const char **args; /* NULL-terminated, strings borrowed */
	const char **env;  /* NULL-terminated */
	uint32_t uid, gid;
	bool no_new_privileges;
};

struct cella_spec {
	json_t *json; /* whole document, owned */
	char *bundle; /* absolute */
	const char *oci_version;
	const char *root_path;
	bool root_readonly;
	struct cella_process process;
	const char *hostname, *domainname;
	json_t *annotations, *hooks, *linux_obj, *resources;
	const char *cgroups_path;
	struct cella_ns_request ns[CELLA_NS_COUNT];
	struct cella_idmap *uid_maps, *gid_maps;
	size_t n_uid_maps, n_gid_maps;
	struct cella_sysctl *sysctl;
	size_t n_sysctl;
	bool has_time_offsets;
	int64_t monotonic_secs, boottime_secs;
	uint32_t monotonic_nsecs, boottime_nsecs;
	bool has_personality;
	unsigned long personality;
};

/* Reads bundle/config.json (size-capped) and validates it. bundle may be relative. */
int cella_spec_load(const char *bundle, struct cella_spec **out, cella_err_t *err);
/* Validates a parsed document; takes ownership of doc on success and on failure. */
int cella_spec_from_json(json_t *doc, const char *bundle, struct cella_spec **out, cella_err_t *err);
void cella_spec_free(struct cella_spec *spec);

/* process object validation, prefix names it ("config.json: process" or "process.json"). */
int cella_process_parse(json_t *process, const char *prefix, struct cella_process *out, cella_err_t *err);
void cella_process_clear(struct cella_process *p);

/* The linux object: namespaces, id mappings, sysctl, timeOffsets, unsupported fields. */
int cella_spec_parse_linux(struct cella_spec *spec, cella_err_t *err);

/* linux.resources plus runc's default device rules and those of linux.devices (new reference). */
json_t *cella_spec_cgroup_resources(const struct cella_spec *spec);

/* CLONE_NEW* flag and the /proc/PID/ns/ file name of a namespace type. */
int cella_ns_clone_flag(enum cella_ns_type t);
const char *cella_ns_proc_name(enum cella_ns_type t);
const char *cella_ns_spec_name(enum cella_ns_type t);

/* Lenient JSON accessors that name the field on a type error: missing is fine (out untouched). */
int cella_json_get_string(json_t *obj, const char *key, const char *where, const char **out,
			  cella_err_t *err);
int cella_json_get_bool(json_t *obj, const char *key, const char *where, bool *out, cella_err_t *err);
int cella_json_get_object(json_t *obj, const char *key, const char *where, json_t **out, cella_err_t *err);
int cella_json_get_array(json_t *obj, const char *key, const char *where, json_t **out, cella_err_t *err);
int cella_json_get_u32(json_t *obj, const char *key, const char *where, uint32_t *out, cella_err_t *err);
int cella_json_get_i64(json_t *obj, const char *key, const char *where, int64_t *out, cella_err_t *err);

#endif
