/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Asynchronous teardown of the VM after the VMM's exit; see teardown.h. */
#include "core/teardown.h"

#include <dirent.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cella/cleanup.h>

#define TEARDOWN_STACK	   (64 * 1024)
#define TEARDOWN_MAX_FDS   300 /* a VM fd and up to 255 vCPU fds, with room */
#define CLOSE_RANGE_NO_MAX (~0U)

struct teardown_arg {
	pid_t parent;
	unsigned nkeep;
	int keep[TEARDOWN_MAX_FDS]; /* ascending */
};

/*
 * The helper shares the VMM's memory, TLS pointer included: it must not touch errno or
 * any library state, so only raw system calls here. Not instrumented: its stack is not
 * one the sanitizers know.
 */
__attribute__((no_sanitize("address", "undefined"))) static int teardown_main(void *opaque)
{
	const struct teardown_arg *arg = opaque;
	unsigned from = 0;

	syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	syscall(SYS_prctl, PR_SET_NAME, (unsigned long)"cella-teardown", 0, 0, 0);
	/* Our copies of everything but the KVM fds go: no pipe, socket or file of the VMM stays open. */
	for (unsigned i = 0; i < arg->nkeep; i++) {
		if ((unsigned)arg->keep[i] > from)
			syscall(SYS_close_range, from, (unsigned)arg->keep[i] - 1, 0);
		from = (unsigned)arg->keep[i] + 1;
	}
	syscall(SYS_close_range, from, CLOSE_RANGE_NO_MAX, 0);
	/* The VMM may have died before the death signal was armed. */
	if (syscall(SYS_getppid) != arg->parent)
		syscall(SYS_exit, 0);
	for (;;)
		syscall(SYS_pause);
	return 0;
}

/* The fds of the VM and its vCPUs ("anon_inode:kvm-vm", "anon_inode:kvm-vcpu:N"), ascending. */
static int kvm_fds(struct teardown_arg *arg, cella_err_t *err)
{
	_cleanup_closedir_ DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;

	if (!dir)
		return cella_error_sys(err, "asynchronous teardown: /proc/self/fd");
	arg->nkeep = 0;
	while ((de = readdir(dir)) != NULL) {
		char path[64], target[64];
		ssize_t n;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, "anon_inode:kvm-vm") != 0 &&
		    strncmp(target, "anon_inode:kvm-vcpu:", 20) != 0)
			continue;
		if (arg->nkeep == TEARDOWN_MAX_FDS)
			return cella_error_make(err, 0, "asynchronous teardown: more than %d KVM fds",
						TEARDOWN_MAX_FDS);
		arg->keep[arg->nkeep++] = fd;
	}
	if (arg->nkeep == 0)
		return cella_error_make(err, 0, "asynchronous teardown: no KVM VM fd in this process");
	for (unsigned i = 1; i < arg->nkeep; i++) { /* insertion sort: a few entries */
		int v = arg->keep[i];
		unsigned j = i;

		for (; j > 0 && arg->keep[j - 1] > v; j--)
			arg->keep[j] = arg->keep[j - 1];
		arg->keep[j] = v;
	}
	return 0;
}

pid_t vmm_teardown__detach(cella_err_t *err)
{
	static struct teardown_arg arg;
	void *stack;
	pid_t pid;

	arg.parent = getpid();
	if (kvm_fds(&arg, err) < 0)
		return -1;
	stack = mmap(NULL, TEARDOWN_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
		     -1, 0);
	if (stack == MAP_FAILED)
		return cella_error_sys(err, "asynchronous teardown: stack");
	/* Its own copy of the fd table (no CLONE_FILES): the VMM's closes then leave the helper's
	 * references. No exit signal: nobody waits for the helper; init reaps it once the VMM is
	 * gone. The stack stays mapped as long as the shared address space lives. */
	pid = clone(teardown_main, (char *)stack + TEARDOWN_STACK, CLONE_VM, &arg);
	if (pid < 0) {
		munmap(stack, TEARDOWN_STACK);
		return cella_error_sys(err, "asynchronous teardown: clone");
	}
	return pid;
}
