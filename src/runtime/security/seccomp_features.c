// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * linux.seccomp for `cella-runtime features`: what this build parses
 * (known*) and what this host can actually apply (supportedFlags), from the
 * same tables the parser uses.
 */
#include "security/security_internal.h"
#include "security/seccomp_names.h"

#include <errno.h>
#include <unistd.h>

#include <sys/syscall.h>

#include <linux/seccomp.h>

/*
 * The kernel checks the flags before it reads the (NULL) program: EFAULT
 * means it knows the flag, EINVAL that it does not. runc probes the same way;
 * nothing is installed.
 */
static bool kernel_has_flag(unsigned long flag)
{
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

static int append(json_t *arr, const char *s)
{
	return json_array_append_new(arr, json_string(s));
}

json_t *cella_seccomp_features(void)
{
	json_t *f = json_object(), *actions = json_array(), *ops = json_array(), *archs = json_array(),
	       *known = json_array(), *supported = json_array();
	unsigned api = seccomp_api_get();
	int rc = 0;

	if (f == NULL || actions == NULL || ops == NULL || archs == NULL || known == NULL ||
	    supported == NULL)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < sec_seccomp_n_actions; i++)
		rc = append(actions, sec_seccomp_actions[i].name);
	for (size_t i = 0; rc == 0 && i < sec_seccomp_n_ops; i++)
		rc = append(ops, sec_seccomp_ops[i].name);
	for (size_t i = 0; rc == 0 && i < sec_seccomp_n_archs; i++) {
		if (sec_seccomp_archs[i].arch != 0)
			rc = append(archs, sec_seccomp_archs[i].name);
	}
	for (int i = 0; rc == 0 && i < SEC_FLAG_COUNT; i++) {
		const struct sec_seccomp_flag_name *fl = &sec_seccomp_flags[i];

		rc = append(known, fl->name);
		if (rc == 0 && fl->min_api != 0 && api >= fl->min_api && kernel_has_flag(fl->kernel_flag))
			rc = append(supported, fl->name);
	}
	if (rc == 0)
		rc = json_object_set_new(f, "enabled", json_true());
	if (rc == 0)
		rc = json_object_set(f, "actions", actions);
	if (rc == 0)
		rc = json_object_set(f, "operators", ops);
	if (rc == 0)
		rc = json_object_set(f, "archs", archs);
	if (rc == 0)
		rc = json_object_set(f, "knownFlags", known);
	if (rc == 0)
		rc = json_object_set(f, "supportedFlags", supported);
	json_decref(actions);
	json_decref(ops);
	json_decref(archs);
	json_decref(known);
	json_decref(supported);
	if (rc != 0) {
		json_decref(f);
		return NULL;
	}
	return f;
}
