/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_CORE_CREATE_INTERNAL_H
#define CELLA_RUNTIME_CORE_CREATE_INTERNAL_H

#include <sys/types.h>

/* fork() with namespace flags: the raw clone syscall, returning 0 in the child. */
pid_t cella_clone_process(int flags);
/* The same, born directly in the cgroup2 directory cgroup_fd (clone3 CLONE_INTO_CGROUP, Linux 5.7):
 * no cgroup.procs write, so no wait for an RCU grace period. -1 with errno when the kernel lacks
 * clone3 (ENOSYS) or refuses that cgroup (EBUSY, EACCES, ...): the caller then clones plainly and
 * moves the child itself. */
pid_t cella_clone_into_cgroup(int flags, int cgroup_fd);

#endif
