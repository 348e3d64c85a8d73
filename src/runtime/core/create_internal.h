/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_CORE_CREATE_INTERNAL_H
#define CELLA_RUNTIME_CORE_CREATE_INTERNAL_H

#include <sys/types.h>

/* fork() with namespace flags: the raw clone syscall, returning 0 in the child. */
pid_t cella_clone_process(int flags);

#endif
