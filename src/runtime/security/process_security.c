// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The whole of process security: parse every part before fork, apply them in
 * the container process in the one order that works (each step may need a
 * privilege a later step drops).
 */
#include "security/security_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/prctl.h>

#include <cella/cleanup.h>

#define APPARMOR_SYSFS "/sys/kernel/security/apparmor"
#define SELINUX_SYSFS  "/sys/fs/selinux"

static int parse_process(json_t *process, struct cella_process_security *s, cella_err_t *err)
{
	json_t *v;
	int64_t oom = 0;
	int ret;

	if (process != NULL && !json_is_object(process))
		return sec_field_error(err, "process", "must be an object");
	if (sec_field_typed(process, "rlimits", "process.rlimits", JSON_ARRAY, &v, err) < 0 ||
	    sec_rlimits_parse(v, &s->rlimits, err) < 0)
		return -1;
	ret = sec_field_int64(process, "oomScoreAdj", "process.oomScoreAdj", -1000, 1000, &oom, err);
	if (ret < 0)
		return -1;
	s->has_oom_score_adj = ret == 1;
	s->oom_score_adj = (int)oom;
	if (sec_field_typed(process, "scheduler", "process.scheduler", JSON_OBJECT, &v, err) < 0 ||
	    sec_sched_parse(v, &s->sched, err) < 0)
		return -1;
	if (sec_field_typed(process, "ioPriority", "process.ioPriority", JSON_OBJECT, &v, err) < 0 ||
	    sec_ioprio_parse(v, &s->ioprio, err) < 0)
		return -1;
	if (sec_lsm_parse(process, APPARMOR_SYSFS, SELINUX_SYSFS, &s->lsm, err) < 0)
		return -1;
	if (sec_field_typed(process, "user", "process.user", JSON_OBJECT, &v, err) < 0 ||
	    sec_user_parse(v, &s->user, err) < 0)
		return -1;
	if (sec_field_typed(process, "capabilities", "process.capabilities", JSON_OBJECT, &v, err) < 0 ||
	    sec_caps_parse(v, sec_caps_last_cap(), &s->caps, err) < 0)
		return -1;
	if (sec_field_bool(process, "noNewPrivileges", "process.noNewPrivileges", &s->no_new_privileges,
			   err) < 0)
		return -1;
	return 0;
}

int cella_process_security_parse(json_t *process, json_t *linux_obj, struct cella_process_security **out,
				 cella_err_t *err)
{
	struct cella_process_security *s;
	json_t *seccomp = NULL;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return cella_error_sys(err, "allocating the process security settings");
	if (parse_process(process, s, err) < 0)
		goto fail;
	if (linux_obj != NULL && !json_is_object(linux_obj) && !json_is_null(linux_obj)) {
		sec_field_error(err, "linux", "must be an object");
		goto fail;
	}
	if (sec_field_typed(linux_obj, "seccomp", "linux.seccomp", JSON_OBJECT, &seccomp, err) < 0 ||
	    sec_seccomp_parse(seccomp, &s->seccomp, err) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	cella_process_security_free(s);
	return -1;
}

void cella_process_security_free(struct cella_process_security *s)
{
	if (s == NULL)
		return;
	sec_rlimits_release(&s->rlimits);
	sec_lsm_release(&s->lsm);
	sec_user_release(&s->user);
	sec_seccomp_release(&s->seccomp);
	free(s);
}

int sec_oom_score_adj_apply(int value, cella_err_t *err)
{
	_cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", value);

	if (fd < 0)
		return cella_error_sys(err, "opening /proc/self/oom_score_adj for process.oomScoreAdj");
	if (write(fd, buf, len) != len) {
		int e = errno;

		if (e == EACCES) {
			cella_error_make(
				err, 0,
				"writing process.oomScoreAdj %d to /proc/self/oom_score_adj: %s (lowering it "
				"below its minimum needs CAP_SYS_RESOURCE)",
				value, strerror(e));
			return -e;
		}
		return cella_error_sys(err, "writing process.oomScoreAdj %d to /proc/self/oom_score_adj",
				       value);
	}
	return 0;
}

int cella_process_security_apply_creds(const struct cella_process_security *s, cella_err_t *err)
{
	if (sec_rlimits_apply(&s->rlimits, err) < 0)
		return -1;
	if (s->has_oom_score_adj && sec_oom_score_adj_apply(s->oom_score_adj, err) < 0)
		return -1;
	/* Before the uid change: a realtime policy or class needs privileges the container may not keep. */
	if (sec_sched_apply(&s->sched, err) < 0 || sec_ioprio_apply(&s->ioprio, err) < 0)
		return -1;
	/* Before the uid change too: /proc/thread-self/attr is ours to write only while we are still root. */
	if (sec_lsm_apply(&s->lsm, err) < 0)
		return -1;
	if (sec_user_apply_ids(&s->user, err) < 0)
		return -1;
	sec_user_apply_umask(&s->user);
	if (sec_caps_apply(&s->caps, sec_needs_sys_admin_for_seccomp(s), err) < 0)
		return -1;
	if (s->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return cella_error_sys(err, "prctl(PR_SET_NO_NEW_PRIVS) for process.noNewPrivileges");
	return 0;
}

int cella_process_security_apply(const struct cella_process_security *s, cella_err_t *err)
{
	int fd = -1;

	if (cella_process_security_apply_creds(s, err) < 0)
		return -1;
	if (cella_seccomp_load(s, &fd, err) < 0)
		return -1;
	if (fd >= 0)
		close(fd);
	return 0;
}
