/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_CORE_STATUS_H
#define CELLA_RUNTIME_CORE_STATUS_H

#include "core/state.h"

struct cella_cgroup;

/* cella_state_status() refined by the cgroup freezer (cg may be NULL: the paused flag decides). */
enum cella_status cella_status_live(const struct cella_state *st, int dir_fd, struct cella_cgroup *cg);

#endif
