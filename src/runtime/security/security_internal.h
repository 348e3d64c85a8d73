/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_SECURITY_INTERNAL_H
#define CELLA_RUNTIME_SECURITY_INTERNAL_H

/*
 * The parsed form of config.json's security fields, shared by the files of
 * src/runtime/security and its unit tests. Each part has a parse function
 * (before fork, errors name the field) and an apply function (in the
 * container process).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <seccomp.h>

#include "security/security.h"

/* ---- capabilities (caps_names.c, caps.c) ---- */
enum sec_cap_set {
	SEC_CAP_BOUNDING,
	SEC_CAP_EFFECTIVE,
	SEC_CAP_INHERITABLE,
	SEC_CAP_PERMITTED,
	SEC_CAP_AMBIENT,
	SEC_CAP_NSETS,
};

struct sec_caps {
	bool present; /* process.capabilities given; absent means every set empty */
	uint64_t set[SEC_CAP_NSETS];
};

/* Highest capability number the running kernel knows (/proc/sys/kernel/cap_last_cap). */
int sec_caps_last_cap(void);
const char *sec_cap_name(int cap); /* NULL when unknown */
int sec_caps_parse(json_t *caps, int last_cap, struct sec_caps *out, cella_err_t *err);
/* keep_sys_admin: keep CAP_SYS_ADMIN in effective+permitted for a later seccomp load. */
int sec_caps_apply(const struct sec_caps *c, bool keep_sys_admin, cella_err_t *err);
/* Drops what sec_caps_apply(keep_sys_admin=true) kept beyond the configured sets. */
int sec_caps_drop_kept(const struct sec_caps *c, cella_err_t *err);

/* ---- user (user.c) ---- */
struct sec_user {
	bool present;
	uint32_t uid, gid;
	bool has_umask;
	mode_t umask;
	size_t n_gids; /* additionalGids, deduplicated, without gid */
	gid_t *gids;
};

int sec_user_parse(json_t *user, struct sec_user *out, cella_err_t *err);
int sec_user_apply_ids(const struct sec_user *u, cella_err_t *err);
void sec_user_apply_umask(const struct sec_user *u);
void sec_user_release(struct sec_user *u);

/* ---- rlimits (rlimits.c) ---- */
struct sec_rlimit {
	int resource;
	const char *name; /* static */
	uint64_t soft, hard;
};

struct sec_rlimits {
	size_t n;
	struct sec_rlimit *v;
};

int sec_rlimits_parse(json_t *rlimits, struct sec_rlimits *out, cella_err_t *err);
int sec_rlimits_apply(const struct sec_rlimits *r, cella_err_t *err);
void sec_rlimits_release(struct sec_rlimits *r);

/* ---- scheduler and I/O priority (sched.c) ---- */
struct sec_sched {
	bool present;
	uint32_t policy;
	int32_t nice;
	uint32_t priority;
	uint64_t flags, runtime, deadline, period;
};

struct sec_ioprio {
	bool present;
	int ioclass;
	int priority;
};

int sec_sched_parse(json_t *sched, struct sec_sched *out, cella_err_t *err);
int sec_sched_apply(const struct sec_sched *s, cella_err_t *err);
int sec_ioprio_parse(json_t *ioprio, struct sec_ioprio *out, cella_err_t *err);
int sec_ioprio_apply(const struct sec_ioprio *p, cella_err_t *err);

/* ---- AppArmor / SELinux (lsm.c) ---- */
struct sec_lsm {
	char *apparmor_profile;
	char *selinux_label;
};

/* The sysfs roots are parameters so tests can point them elsewhere. */
int sec_lsm_parse(json_t *process, const char *apparmor_sysfs, const char *selinux_sysfs, struct sec_lsm *out,
		  cella_err_t *err);
int sec_lsm_apply(const struct sec_lsm *l, cella_err_t *err);
void sec_lsm_release(struct sec_lsm *l);

/* ---- seccomp (seccomp_parse.c, seccomp_build.c) ---- */
struct sec_seccomp_rule {
	char *name; /* for messages */
	int nr;	    /* native syscall number */
	uint32_t action;
	size_t n_args;
	struct scmp_arg_cmp *args;
};

struct sec_seccomp {
	bool present;
	uint32_t default_action;
	size_t n_archs;
	uint32_t *archs;
	bool flag_tsync, flag_log, flag_spec_allow, flag_wait_killable;
	char *listener_path;
	char *listener_metadata;
	bool has_notify;
	size_t n_rules;
	struct sec_seccomp_rule *rules;
};

int sec_seccomp_parse(json_t *seccomp, struct sec_seccomp *out, cella_err_t *err);
/* Compiles the filter without loading it (tests export it with seccomp_export_bpf). */
int sec_seccomp_build(const struct sec_seccomp *sc, scmp_filter_ctx *out, cella_err_t *err);
void sec_seccomp_release(struct sec_seccomp *sc);

/* ---- the whole (process_security.c) ---- */
struct cella_process_security {
	struct sec_rlimits rlimits;
	bool has_oom_score_adj;
	int oom_score_adj;
	struct sec_sched sched;
	struct sec_ioprio ioprio;
	struct sec_lsm lsm;
	struct sec_user user;
	struct sec_caps caps;
	bool no_new_privileges;
	struct sec_seccomp seccomp;
};

/* Writes /proc/self/oom_score_adj (lowering below the minimum needs CAP_SYS_RESOURCE). */
int sec_oom_score_adj_apply(int value, cella_err_t *err);
/* True when apply_creds keeps CAP_SYS_ADMIN so the filter can be loaded without noNewPrivileges. */
bool sec_needs_sys_admin_for_seccomp(const struct cella_process_security *s);

/* ---- JSON field helpers (fields.c): errors read "config.json: <path>: <what>" ---- */
int sec_field_error(cella_err_t *err, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Optional members: return 0 and leave *out alone when absent (or JSON null), 1 when read. */
int sec_field_uint64(json_t *obj, const char *key, const char *path, uint64_t max, uint64_t *out,
		     cella_err_t *err);
int sec_field_int64(json_t *obj, const char *key, const char *path, int64_t min, int64_t max, int64_t *out,
		    cella_err_t *err);
int sec_field_bool(json_t *obj, const char *key, const char *path, bool *out, cella_err_t *err);
int sec_field_string(json_t *obj, const char *key, const char *path, const char **out, cella_err_t *err);
/* Returns the member if it is of the given type (json_typeof), NULL if absent; -1 on a wrong type. */
int sec_field_typed(json_t *obj, const char *key, const char *path, json_type type, json_t **out,
		    cella_err_t *err);

/* ---- logging (log.c) ---- */
void sec_log(enum cella_security_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
