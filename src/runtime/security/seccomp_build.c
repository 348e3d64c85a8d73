// SPDX-License-Identifier: GPL-2.0-or-later
/* Compiles the parsed linux.seccomp with libseccomp and loads it. */
#include "security/security_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/capability.h>

static int set_attr(scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t value, const char *what,
		    cella_err_t *err)
{
	int rc = seccomp_attr_set(ctx, attr, value);

	if (rc < 0)
		return cella_error_make(err, -rc, "seccomp: setting %s", what);
	return 0;
}

/* Two comparisons on one argument in one rule: libseccomp cannot AND those. */
static bool repeats_an_index(const struct sec_seccomp_rule *r)
{
	for (size_t i = 0; i < r->n_args; i++) {
		for (size_t j = i + 1; j < r->n_args; j++) {
			if (r->args[i].arg == r->args[j].arg)
				return true;
		}
	}
	return false;
}

static int add_rule(scmp_filter_ctx ctx, const struct sec_seccomp_rule *r, cella_err_t *err)
{
	int rc = 0;

	if (!repeats_an_index(r)) {
		rc = seccomp_rule_add_array(ctx, r->action, r->nr, r->n_args, r->args);
	} else {
		/* As runc: one rule per comparison, so they match if any one does. */
		for (size_t i = 0; i < r->n_args && rc == 0; i++)
			rc = seccomp_rule_add_array(ctx, r->action, r->nr, 1, &r->args[i]);
	}
	if (rc < 0)
		return cella_error_make(err, -rc, "seccomp: adding the rule for %s (action %#x, %zu args)",
					r->name, r->action, r->n_args);
	return 0;
}

int sec_seccomp_build(const struct sec_seccomp *sc, scmp_filter_ctx *out, cella_err_t *err)
{
	scmp_filter_ctx ctx;

	*out = NULL;
	ctx = seccomp_init(sc->default_action);
	if (ctx == NULL)
		return cella_error_make(err, EINVAL, "seccomp: creating a filter with default action %#x",
					sc->default_action);
	/* noNewPrivileges is process.noNewPrivileges' business, not libseccomp's default. */
	if (set_attr(ctx, SCMP_FLTATR_CTL_NNP, 0, "no_new_privs off", err) < 0)
		goto fail;
	if (sc->flag_tsync && set_attr(ctx, SCMP_FLTATR_CTL_TSYNC, 1, "SECCOMP_FILTER_FLAG_TSYNC", err) < 0)
		goto fail;
	if (sc->flag_log && set_attr(ctx, SCMP_FLTATR_CTL_LOG, 1, "SECCOMP_FILTER_FLAG_LOG", err) < 0)
		goto fail;
	if (sc->flag_spec_allow &&
	    set_attr(ctx, SCMP_FLTATR_CTL_SSB, 1, "SECCOMP_FILTER_FLAG_SPEC_ALLOW", err) < 0)
		goto fail;
#ifdef SCMP_FLTATR_CTL_WAITKILL
	if (sc->flag_wait_killable &&
	    set_attr(ctx, SCMP_FLTATR_CTL_WAITKILL, 1, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", err) < 0)
		goto fail;
#endif
	for (size_t i = 0; i < sc->n_archs; i++) {
		int rc = seccomp_arch_add(ctx, sc->archs[i]);

		if (rc < 0 && rc != -EEXIST) { /* the native arch is in every new filter already */
			cella_error_make(err, -rc, "seccomp: adding architecture %#x", sc->archs[i]);
			goto fail;
		}
	}
	for (size_t i = 0; i < sc->n_rules; i++) {
		if (add_rule(ctx, &sc->rules[i], err) < 0)
			goto fail;
	}
	*out = ctx;
	return 0;
fail:
	seccomp_release(ctx);
	return -1;
}

bool sec_needs_sys_admin_for_seccomp(const struct cella_process_security *s)
{
	return s->seccomp.present && !s->no_new_privileges &&
	       !(s->caps.set[SEC_CAP_EFFECTIVE] & (UINT64_C(1) << CAP_SYS_ADMIN));
}

bool cella_seccomp_wants_listener(const struct cella_process_security *s, const char **listener_path,
				  const char **metadata)
{
	if (listener_path)
		*listener_path = s->seccomp.listener_path;
	if (metadata)
		*metadata = s->seccomp.listener_metadata;
	return s->seccomp.present && s->seccomp.has_notify;
}

int cella_seccomp_load(const struct cella_process_security *s, int *listener_fd, cella_err_t *err)
{
	scmp_filter_ctx ctx = NULL;
	int rc, fd = -1;

	if (listener_fd)
		*listener_fd = -1;
	if (!s->seccomp.present)
		return 0;
	if (sec_seccomp_build(&s->seccomp, &ctx, err) < 0)
		return -1;
	rc = seccomp_load(ctx);
	if (rc < 0) {
		seccomp_release(ctx);
		if (rc == -EACCES && !s->no_new_privileges)
			return cella_error_make(
				err, EACCES,
				"loading the seccomp filter without process.noNewPrivileges needs "
				"CAP_SYS_ADMIN");
		return cella_error_make(err, -rc, "loading the seccomp filter");
	}
	if (s->seccomp.has_notify) {
		/* The kernel made it O_CLOEXEC; seccomp_release() leaves it open, so it is ours. */
		fd = seccomp_notify_fd(ctx);
		if (fd < 0) {
			seccomp_release(ctx);
			return cella_error_make(err, -fd, "getting the seccomp notify fd");
		}
	}
	seccomp_release(ctx);
	if (sec_needs_sys_admin_for_seccomp(s) && sec_caps_drop_kept(&s->caps, err) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (listener_fd)
		*listener_fd = fd;
	else if (fd >= 0)
		close(fd);
	return 0;
}
