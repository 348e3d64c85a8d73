/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.resources.devices: v1 devices.allow/deny lines, or a v2 eBPF program. */
#include <errno.h>
#include <stdlib.h>

#include <cella/cleanup.h>

#include "cgroup/cgroup_internal.h"

int cgroup_apply_devices(struct cella_cgroup *cg, json_t *devices, cella_err_t *err)
{
	_cleanup_free_ struct cgroup_dev_rule *rules = NULL;
	_cleanup_free_ struct bpf_insn *prog = NULL;
	size_t n, n_insns;

	if (cgroup_dev_rules_parse(devices, &rules, &n, err) < 0)
		return -1;
	if (cg->v1_dir[CG_DEVICES]) {
		/* In order: each line edits the list the previous ones left, so the last rule wins. */
		for (size_t i = 0; i < n; i++) {
			char line[64];

			cgroup_dev_rule_v1_line(&rules[i], line, sizeof(line));
			if (cgroup_write(cg->v1_dir[CG_DEVICES],
					 rules[i].allow ? "devices.allow" : "devices.deny", line, err) < 0)
				return cella_error_wrap(err, "config.json: linux.resources.devices[%zu]", i);
		}
		return 0;
	}
	if (!cg->unified_dir)
		return cella_error_make(
			err, ENOTSUP,
			"config.json: linux.resources.devices: no devices hierarchy is mounted and "
			"there is no cgroup v2");
	if (cgroup_dev_build_prog(rules, n, &prog, &n_insns, err) < 0 ||
	    cgroup_dev_attach_prog(cg->unified_dir, prog, n_insns, err) < 0)
		return cella_error_wrap(err, "config.json: linux.resources.devices");
	return 0;
}
