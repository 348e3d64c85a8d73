// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * process.capabilities: parse the five sets into bit masks, and apply them in
 * the container process after the uid change (which PR_SET_KEEPCAPS made
 * keep the permitted set).
 */
#include "security/security_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sys/capability.h>

static const char *const set_names[SEC_CAP_NSETS] = {
	[SEC_CAP_BOUNDING] = "bounding",       [SEC_CAP_EFFECTIVE] = "effective",
	[SEC_CAP_INHERITABLE] = "inheritable", [SEC_CAP_PERMITTED] = "permitted",
	[SEC_CAP_AMBIENT] = "ambient",
};

#define BIT(cap) (UINT64_C(1) << (cap))

static int parse_set(json_t *caps, enum sec_cap_set which, int last_cap, uint64_t *mask, cella_err_t *err)
{
	char path[64];
	json_t *arr, *v;
	size_t i;
	int ret;

	snprintf(path, sizeof(path), "process.capabilities.%s", set_names[which]);
	ret = sec_field_typed(caps, set_names[which], path, JSON_ARRAY, &arr, err);
	if (ret <= 0)
		return ret;
	json_array_foreach (arr, i, v) {
		const char *name = json_string_value(v);
		int cap;

		if (name == NULL)
			return cella_error_make(err, 0, "config.json: %s[%zu]: must be a string", path, i);
		if (cella_cap_from_name(name, &cap) < 0)
			return cella_error_make(err, 0, "config.json: %s[%zu]: unknown capability %s", path,
						i, name);
		if (cap > last_cap) {
			/* Named in the spec but newer than this kernel: runc skips it too. */
			sec_log(CELLA_SECURITY_LOG_WARNING,
				"%s[%zu]: %s is not known to the running kernel, skipped", path, i, name);
			continue;
		}
		*mask |= BIT(cap);
	}
	return 0;
}

static int first_cap(uint64_t mask)
{
	return mask ? __builtin_ctzll(mask) : -1;
}

int sec_caps_parse(json_t *caps, int last_cap, struct sec_caps *out, cella_err_t *err)
{
	uint64_t extra;

	memset(out, 0, sizeof(*out));
	if (caps == NULL || json_is_null(caps))
		return 0;
	if (!json_is_object(caps))
		return sec_field_error(err, "process.capabilities", "must be an object");
	out->present = true;
	for (int s = 0; s < SEC_CAP_NSETS; s++) {
		if (parse_set(caps, s, last_cap, &out->set[s], err) < 0)
			return -1;
	}
	/* The kernel refuses (EPERM) an effective cap outside permitted: say so now, by name. */
	extra = out->set[SEC_CAP_EFFECTIVE] & ~out->set[SEC_CAP_PERMITTED];
	if (extra)
		return sec_field_error(err, "process.capabilities.effective", "%s is not in permitted",
				       sec_cap_name(first_cap(extra)));
	/*
	 * An ambient cap must be permitted and inheritable. `runc spec` and podman
	 * write ambient without inheritable on every container, so skip it with a
	 * debug note (runc is silent) rather than fail or warn each time.
	 */
	extra = out->set[SEC_CAP_AMBIENT] & ~(out->set[SEC_CAP_PERMITTED] & out->set[SEC_CAP_INHERITABLE]);
	while (extra) {
		int cap = first_cap(extra);

		sec_log(CELLA_SECURITY_LOG_DEBUG,
			"process.capabilities.ambient: %s is not both permitted and inheritable, skipped",
			sec_cap_name(cap));
		out->set[SEC_CAP_AMBIENT] &= ~BIT(cap);
		extra &= ~BIT(cap);
	}
	return 0;
}

static int set_proc_caps(uint64_t eff, uint64_t perm, uint64_t inh, int last_cap, cella_err_t *err)
{
	cap_t c = cap_init();
	int ret = 0;

	if (c == NULL)
		return cella_error_sys(err, "cap_init");
	for (int cap = 0; cap <= last_cap && ret == 0; cap++) {
		cap_value_t v = cap;

		if (eff & BIT(cap))
			ret = cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET);
		if (ret == 0 && (perm & BIT(cap)))
			ret = cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_SET);
		if (ret == 0 && (inh & BIT(cap)))
			ret = cap_set_flag(c, CAP_INHERITABLE, 1, &v, CAP_SET);
	}
	if (ret == 0 && cap_set_proc(c) < 0) {
		ret = cella_error_sys(
			err,
			"setting capabilities (effective %#llx, permitted %#llx, inheritable %#llx; "
			"inheritable must lie within the bounding set)",
			(unsigned long long)eff, (unsigned long long)perm, (unsigned long long)inh);
	} else if (ret < 0) {
		ret = cella_error_sys(err, "cap_set_flag");
	}
	cap_free(c);
	return ret;
}

/* Whether the calling thread has cap in its permitted set. */
static bool has_permitted(int cap)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t c = cap_get_proc();

	if (c == NULL)
		return false;
	if (cap_get_flag(c, cap, CAP_PERMITTED, &v) < 0)
		v = CAP_CLEAR;
	cap_free(c);
	return v == CAP_SET;
}

/* The uid change cleared the effective set; take back what is permitted (CAP_SETPCAP among it). */
static int raise_effective(cella_err_t *err)
{
	cap_t c = cap_get_proc();
	int ret = 0;

	if (c == NULL)
		return cella_error_sys(err, "reading the process capabilities");
	if (cap_fill(c, CAP_EFFECTIVE, CAP_PERMITTED) < 0 || cap_set_proc(c) < 0)
		ret = cella_error_sys(err, "raising the effective capabilities to the permitted set");
	cap_free(c);
	return ret;
}

static int drop_bounding(uint64_t keep, int last_cap, cella_err_t *err)
{
	for (int cap = 0; cap <= last_cap; cap++) {
		if (keep & BIT(cap))
			continue;
		if (cap_get_bound(cap) != 1)
			continue; /* already gone (or unknown to the kernel) */
		if (cap_drop_bound(cap) < 0) {
			if (errno == EPERM)
				return cella_error_sys(
					err, "dropping %s from the bounding set (needs CAP_SETPCAP)",
					sec_cap_name(cap));
			return cella_error_sys(err, "dropping %s from the bounding set", sec_cap_name(cap));
		}
	}
	return 0;
}

static int set_ambient(uint64_t ambient, int last_cap, cella_err_t *err)
{
	if (cap_reset_ambient() < 0) {
		if (errno == EINVAL && ambient == 0)
			return 0; /* kernel without ambient capabilities and none asked for */
		return cella_error_sys(err, "clearing the ambient capability set");
	}
	for (int cap = 0; cap <= last_cap; cap++) {
		if ((ambient & BIT(cap)) && cap_set_ambient(cap, CAP_SET) < 0)
			return cella_error_sys(err, "raising %s in the ambient set", sec_cap_name(cap));
	}
	return 0;
}

int sec_caps_apply(const struct sec_caps *c, bool keep_sys_admin, cella_err_t *err)
{
	int last_cap = sec_caps_last_cap();
	uint64_t eff = c->set[SEC_CAP_EFFECTIVE], perm = c->set[SEC_CAP_PERMITTED];

	if (raise_effective(err) < 0)
		return -1;
	if (drop_bounding(c->set[SEC_CAP_BOUNDING], last_cap, err) < 0)
		return -1;
	if (keep_sys_admin && has_permitted(CAP_SYS_ADMIN)) {
		eff |= BIT(CAP_SYS_ADMIN);
		perm |= BIT(CAP_SYS_ADMIN);
	}
	if (set_proc_caps(eff, perm, c->set[SEC_CAP_INHERITABLE], last_cap, err) < 0)
		return -1;
	return set_ambient(c->set[SEC_CAP_AMBIENT], last_cap, err);
}

int sec_caps_drop_kept(const struct sec_caps *c, cella_err_t *err)
{
	int ret = set_proc_caps(c->set[SEC_CAP_EFFECTIVE], c->set[SEC_CAP_PERMITTED],
				c->set[SEC_CAP_INHERITABLE], sec_caps_last_cap(), err);

	if (ret < 0)
		return cella_error_wrap(err, "dropping CAP_SYS_ADMIN kept for loading the seccomp filter");
	return 0;
}
