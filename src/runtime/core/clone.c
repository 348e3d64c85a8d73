// SPDX-License-Identifier: GPL-2.0-or-later
/* fork-like clone with namespace flags (glibc's clone() wants a separate stack; we want fork semantics). */
#include "core/create_internal.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

pid_t cella_clone_process(int flags)
{
	/* x86-64 argument order: flags, stack, parent_tid, child_tid, tls. */
	return (pid_t)syscall(SYS_clone, (unsigned long)(flags | SIGCHLD), 0UL, 0UL, 0UL, 0UL);
}
