/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/threads.h"

#include <pthread.h>
#include <stdio.h>

#include <cella/cleanup.h>

int vmm_thread__enter(const char *name, enum vmm_thread_kind kind, bool with_seccomp)
{
	_cleanup_error_ cella_err_t err = NULL;

	/* 15 characters is the kernel's limit; a longer name is simply not set. */
	pthread_setname_np(pthread_self(), name);
	if (!with_seccomp)
		return 0;
	if (vmm_seccomp__install(kind, &err) < 0) {
		fprintf(stderr, "cella-vmm: %s thread: %s\n", name, cella_error_string(err));
		return -1;
	}
	return 0;
}
