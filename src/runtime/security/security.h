/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_SECURITY_H
#define CELLA_RUNTIME_SECURITY_H

/*
 * Process security for the OCI runtime: everything config.json says about the
 * privileges of the container process (rlimits, oomScoreAdj, scheduler, I/O
 * priority, LSM label, user and groups, umask, capabilities,
 * noNewPrivileges, seccomp).
 *
 * cella_process_security_parse() runs in the runtime before fork and checks
 * every field, so a bad config fails `create` with a message naming the field.
 * The apply functions run in the container process after pivot_root, just
 * before execve; they allocate little and trust nothing they did not parse.
 */
#include <stdbool.h>

#include <jansson.h>

#include <cella/error.h>

struct cella_process_security; /* opaque, built before fork from config.json */

/*
 * process: the config.json "process" object; linux_obj: the "linux" object
 * (for seccomp, may be NULL). Errors name the field:
 * "config.json: process.capabilities.bounding[2]: unknown capability CAP_FOO".
 */
int cella_process_security_parse(json_t *process, json_t *linux_obj, struct cella_process_security **out,
				 cella_err_t *err);
void cella_process_security_free(struct cella_process_security *s);

/*
 * In the container process, in this order: rlimits; oomScoreAdj; scheduler;
 * ioPriority; AppArmor/SELinux exec label; setgroups/setresgid/setresuid
 * (capabilities kept across the uid change); umask; bounding set;
 * effective/permitted/inheritable; ambient; noNewPrivileges; then seccomp.
 * Equivalent to apply_creds() followed by cella_seccomp_load() (the listener
 * fd, if any, is closed: use the split calls to hand it to an agent).
 */
int cella_process_security_apply(const struct cella_process_security *s, cella_err_t *err);

/*
 * Everything but seccomp. When a seccomp filter is configured, noNewPrivileges
 * is false and the final effective set lacks CAP_SYS_ADMIN, the kernel only
 * accepts the filter from a CAP_SYS_ADMIN holder: this then keeps
 * CAP_SYS_ADMIN in the effective and permitted sets and cella_seccomp_load()
 * drops it right after loading the filter, as runc does by loading the filter
 * before dropping capabilities. So cella_seccomp_load() MUST follow.
 */
int cella_process_security_apply_creds(const struct cella_process_security *s, cella_err_t *err);

/*
 * Loads linux.seccomp (no-op without one) and drops what apply_creds() kept
 * for it. *listener_fd gets the notify fd when a rule uses SCMP_ACT_NOTIFY,
 * else -1; the caller owns it.
 */
int cella_seccomp_load(const struct cella_process_security *s, int *listener_fd, cella_err_t *err);

/* True when a rule uses SCMP_ACT_NOTIFY; the strings live as long as s (metadata may be NULL). */
bool cella_seccomp_wants_listener(const struct cella_process_security *s, const char **listener_path,
				  const char **metadata);

/*
 * Sends the notify fd to listener_path (unix stream socket, one sendmsg with
 * SCM_RIGHTS), as runc does for seccomp agents. state_json is either the
 * container state (state.json: ociVersion, id, status, pid, bundle...), which
 * is wrapped into the agent payload
 *   {"ociVersion":..,"fds":["seccompFd"],"pid":..,"metadata":..,"state":{..}}
 * or such a payload already (it has "fds"), sent unchanged. The _with_metadata
 * variant puts listenerMetadata (from cella_seccomp_wants_listener) into the
 * wrapped payload; the plain one leaves "metadata" out.
 */
int cella_seccomp_send_listener(const char *listener_path, int listener_fd, const char *state_json,
				cella_err_t *err);
int cella_seccomp_send_listener_with_metadata(const char *listener_path, int listener_fd,
					      const char *state_json, const char *metadata, cella_err_t *err);

/* For `cella-runtime features`:
 * {"enabled":true,"actions":[...],"operators":[...],"archs":[...],"knownFlags":[...],"supportedFlags":[...]} */
json_t *cella_seccomp_features(void);
/* ["CAP_CHOWN", ...]: every capability this runtime knows by name. */
json_t *cella_caps_known(void);
/* "CAP_KILL" -> 5. Returns -1 (no error object) for an unknown name. */
int cella_cap_from_name(const char *name, int *cap);

/*
 * Warnings (a capability the kernel lacks) and debug notes (a syscall name
 * this kernel lacks) go to stderr by default; the runtime may route them into
 * its own log instead. level: 0 = warning, 1 = debug. NULL restores stderr.
 */
enum cella_security_log_level {
	CELLA_SECURITY_LOG_WARNING = 0,
	CELLA_SECURITY_LOG_DEBUG = 1,
};
typedef void (*cella_security_log_fn)(enum cella_security_log_level level, const char *msg, void *data);
void cella_security_set_log(cella_security_log_fn fn, void *data);

#endif
