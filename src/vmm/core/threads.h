/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_THREADS_H
#define CELLA_VMM_CORE_THREADS_H

/*
 * Per-thread entry bookkeeping: a thread name for ps/top, and the seccomp
 * filter for its kind (src/vmm/api's vmm_seccomp__install()).
 */
#include <stdbool.h>

#include "api/seccomp.h"

/* Names the calling thread and, when with_seccomp, confines it. Prints the reason and returns -1 on failure. */
int vmm_thread__enter(const char *name, enum vmm_thread_kind kind, bool with_seccomp);

#endif
