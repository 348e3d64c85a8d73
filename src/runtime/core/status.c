// SPDX-License-Identifier: GPL-2.0-or-later
/* The status as runc reports it: from the init process, the exec fifo and the cgroup freezer. */
#include "core/status.h"

#include <stdio.h>
#include <string.h>

#include <cella/cleanup.h>

#include "cgroup/cgroup.h"
#include "core/util.h"

/* FROZEN (v1 freezer.state) or 1 (v2 cgroup.freeze): paused by us or by anyone else. */
static bool frozen(struct cella_cgroup *cg)
{
	const char *dir = cella_cgroup_get_v1_dir(cg, "freezer");
	_cleanup_free_ char *path = NULL, *text = NULL;
	cella_err_t ignored = NULL;
	bool v1 = dir != NULL;

	if (!v1)
		dir = cella_cgroup_get_unified_dir(cg);
	if (dir == NULL || asprintf(&path, "%s/%s", dir, v1 ? "freezer.state" : "cgroup.freeze") < 0)
		return false;
	if (cella_rt_read_file(path, 64, &text, NULL, &ignored) < 0) {
		cella_error_release(&ignored);
		return false;
	}
	return v1 ? strncmp(text, "FROZEN", 6) == 0 : text[0] == '1';
}

enum cella_status cella_status_live(const struct cella_state *st, int dir_fd, struct cella_cgroup *cg)
{
	enum cella_status s = cella_state_status(st, dir_fd);

	if (cg == NULL || (s != CELLA_STATUS_RUNNING && s != CELLA_STATUS_PAUSED))
		return s;
	return frozen(cg) ? CELLA_STATUS_PAUSED : CELLA_STATUS_RUNNING;
}
