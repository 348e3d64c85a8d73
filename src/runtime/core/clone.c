// SPDX-License-Identifier: GPL-2.0-or-later
/* fork-like clone with namespace flags (glibc's clone() wants a separate stack; we want fork semantics). */
#include "core/create_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#define CLONE_INTO_CGROUP_FLAG 0x200000000ULL

/* struct clone_args of <linux/sched.h> up to CLONE_ARGS_SIZE_VER2 (Linux 5.7, which added .cgroup);
 * spelled out so that <sched.h> and <linux/sched.h> never meet in one file. */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

pid_t cella_clone_process(int flags)
{
	/* x86-64 argument order: flags, stack, parent_tid, child_tid, tls. */
	return (pid_t)syscall(SYS_clone, (unsigned long)(flags | SIGCHLD), 0UL, 0UL, 0UL, 0UL);
}

pid_t cella_clone_into_cgroup(int flags, int cgroup_fd)
{
	/* No stack given: the child runs on a copy of ours, exactly like fork(). */
	struct clone3_args args = {
		.flags = (uint64_t)(unsigned)flags | CLONE_INTO_CGROUP_FLAG,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)cgroup_fd,
	};

	if (cgroup_fd < 0) {
		errno = EBADF;
		return -1;
	}
	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}
