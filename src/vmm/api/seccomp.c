// SPDX-License-Identifier: GPL-2.0-or-later
/* Per-thread seccomp allow-lists for the VMM's threads. */
#include "api/seccomp.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>

static atomic_bool seccomp_enabled = true;

void vmm_seccomp__set_enabled(bool enabled)
{
	atomic_store(&seccomp_enabled, enabled);
}

bool vmm_seccomp__enabled(void)
{
	return atomic_load(&seccomp_enabled);
}

const char *vmm_seccomp__kind_name(enum vmm_thread_kind kind)
{
	switch (kind) {
	case VMM_THREAD_MAIN:
		return "main";
	case VMM_THREAD_VCPU:
		return "vcpu";
	case VMM_THREAD_DEVICES:
		return "devices";
	case VMM_THREAD_API:
		return "api";
	}
	return "unknown";
}

/* What every thread needs: memory management by glibc, locks, time, exiting, signals. */
static const char *const common_syscalls[] = {
	"read",		 "write",	    "readv",	    "writev",	      "close",	      "futex",
	"mmap",		 "munmap",	    "mremap",	    "mprotect",	      "madvise",      "brk",
	"exit",		 "exit_group",	    "rt_sigreturn", "rt_sigprocmask", "rt_sigaction", "sigaltstack",
	"clock_gettime", "clock_nanosleep", "nanosleep",    "sched_yield",    "getpid",	      "gettid",
	"tgkill",	 "restart_syscall", "getrandom",    "fstat",	      "newfstatat",   "lseek",
	"rseq",		 "set_robust_list",
};

/* eventfd2: a completion drained on the main thread may bind a message's first irqfd (main_ioctls). */
static const char *const main_syscalls[] = {
	"wait4",  "rt_sigtimedwait", "ppoll", "poll",	 "epoll_wait", "epoll_pwait",
	"unlink", "unlinkat",	     "kill",  "munlock", "eventfd2",
};

/*
 * Snapshots (PUT /vm/snapshot) are written by the main thread, the one thread
 * whose filter is widened for them: the API thread only parses and hands the
 * request over (src/vmm/core/snapshot_ctl.c), and vCPU and device threads,
 * which a guest can reach, get nothing new. What the snapshot writer
 * (src/vmm/snapshot) does: a temporary directory, files written and fsynced,
 * an atomic rename, the old snapshot removed.
 */
static const char *const main_snapshot_syscalls[] = {
	"openat",     "open",	  "mkdir",     "mkdirat",   "rmdir",	 "rename",   "renameat",
	"renameat2",  "fsync",	  "fdatasync", "ftruncate", "fallocate", "pwrite64", "pread64",
	"getdents64", "getdents", "fcntl",     "getcwd",    "statx",	 "fstatfs",
};

static const char *const devices_syscalls[] = {
	"epoll_wait",
	"epoll_pwait",
	"epoll_ctl",
	"timerfd_settime",
	"timerfd_gettime",
	"ppoll",
	"poll",
	"pread64",
	"pwrite64",
	"preadv",
	"pwritev",
	"fsync",
	"fdatasync",
	"fallocate",
	"eventfd2",
	"recvfrom",
	"sendto",
	"recvmsg",
	"sendmsg",
	/* virtio-vsock's host side: unix sockets the back-end accepts and connects */
	"accept4",
	"connect",
	"shutdown",
};

static const char *const api_syscalls[] = {
	"accept4", "accept", "recvfrom", "sendto",     "recvmsg", "sendmsg",
	"poll",	   "ppoll",  "shutdown", "getsockopt", "fcntl",
};

/*
 * The sanitizers' leak check runs in the thread that calls exit() — the main
 * thread, by design: other threads never end the process — and stops the world
 * with a ptrace'd helper. Sanitizer builds only.
 */
static const char *const sanitizer_syscalls[] = {
	"openat",
	"open",
	"readlink",
	"readlinkat",
	"getdents",
	"getdents64",
	"clone",
	"clone3",
	"ptrace",
	"prctl",
	"wait4",
	"waitid",
	"sched_getaffinity",
	"getppid",
	"kill",
	"pipe2",
	"dup2",
	"dup3",
	"execve",
	"fcntl",
	"uname",
	"setrlimit",
	"getrlimit",
	"prlimit64",
	"sysinfo",
	"statfs",
};

/*
 * KVM_IOEVENTFD: virtio_notify.c follows the guest's BAR and memory-decoding writes.
 * KVM_SET_GSI_ROUTING, KVM_IRQFD (and eventfd2 in vcpu_syscalls): an MSI-X
 * table write that unmasks a pending vector sends it from the vCPU thread,
 * and a message's first send installs its route (core/pci_glue.c); the
 * requests reach only this VM's routing table, as in Cloud Hypervisor.
 */
static const unsigned long vcpu_ioctls[] = {
	KVM_RUN,	   KVM_GET_REGS,	KVM_SET_REGS,	     KVM_GET_SREGS,	  KVM_SET_SREGS,
	KVM_GET_MP_STATE,  KVM_SET_MP_STATE,	KVM_GET_VCPU_EVENTS, KVM_IRQ_LINE,	  KVM_IRQ_LINE_STATUS,
	KVM_SIGNAL_MSI,	   KVM_GET_FPU,		KVM_GET_LAPIC,	     KVM_GET_MSRS,	  KVM_GET_DEBUGREGS,
	KVM_KVMCLOCK_CTRL, KVM_SET_SIGNAL_MASK, KVM_IOEVENTFD,	     KVM_SET_GSI_ROUTING, KVM_IRQFD,
};

static const char *const vcpu_syscalls[] = {"eventfd2"};

static const unsigned long devices_ioctls[] = {
	KVM_IRQ_LINE,	   KVM_IRQ_LINE_STATUS, KVM_SIGNAL_MSI, KVM_IRQFD,
	KVM_IOEVENTFD,	   KVM_SET_GSI_ROUTING, KVM_GET_CLOCK,	KVM_SET_USER_MEMORY_REGION,
	KVM_GET_DIRTY_LOG, TUNSETOFFLOAD, /* virtio-net: offloads follow the driver's features */
};

static const unsigned long main_ioctls[] = {
	/*
	 * A snapshot may drain in-flight device requests on the main thread;
	 * their completions interrupt the guest: an irqfd write, or a message's
	 * first route (core/pci_glue.c), or the KVM_SIGNAL_MSI fallback.
	 */
	KVM_SET_GSI_ROUTING,
	KVM_IRQFD,
	KVM_SIGNAL_MSI,
	KVM_GET_CLOCK,
	KVM_GET_IRQCHIP,
	KVM_GET_PIT2,
	KVM_GET_DIRTY_LOG,
	KVM_SET_USER_MEMORY_REGION,
	/* Snapshots read every parked vCPU's state from the main thread. */
	KVM_GET_REGS,
	KVM_GET_SREGS,
	KVM_GET_FPU,
	KVM_GET_XSAVE,
	KVM_GET_XCRS,
	KVM_GET_LAPIC,
	KVM_GET_MP_STATE,
	KVM_GET_VCPU_EVENTS,
	KVM_GET_DEBUGREGS,
	KVM_GET_MSRS,
};

/* Terminal queries glibc makes on stdio streams (isatty, window size). */
static const unsigned long tty_ioctls[] = {TCGETS, TIOCGWINSZ, TCSETS, TCSETSW};

static int allow_names(scmp_filter_ctx ctx, const char *const *names, size_t n, cella_err_t *err)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		int r;

		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r < 0) {
			errno = -r;
			return cella_error_sys(err, "seccomp: allow %s", names[i]);
		}
	}
	return 0;
}

static int allow_ioctls(scmp_filter_ctx ctx, const unsigned long *reqs, size_t n, cella_err_t *err)
{
	for (size_t i = 0; i < n; i++) {
		/* The request is an int in the kernel's ABI: compare the low 32 bits only. */
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
					 SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL, reqs[i] & 0xffffffffULL));

		if (r < 0) {
			errno = -r;
			return cella_error_sys(err, "seccomp: allow ioctl 0x%lx", reqs[i]);
		}
	}
	return 0;
}

/* vsock's back-end opens unix sockets only: never a network socket. */
static int allow_unix_sockets(scmp_filter_ctx ctx, cella_err_t *err)
{
	int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX));

	if (r < 0) {
		errno = -r;
		return cella_error_sys(err, "seccomp: allow unix sockets");
	}
	return 0;
}

#define ALLOW(list)	   allow_names(ctx, list, sizeof(list) / sizeof(list[0]), err)
#define ALLOW_IOCTLS(list) allow_ioctls(ctx, list, sizeof(list) / sizeof(list[0]), err)

static bool built_with_sanitizers(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
	return true;
#else
	return false;
#endif
}

int vmm_seccomp__install(enum vmm_thread_kind kind, cella_err_t *err)
{
	scmp_filter_ctx ctx;
	int r = 0;

	if (!vmm_seccomp__enabled())
		return 0;
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL)
		return cella_error_make(err, ENOMEM, "seccomp: cannot create the %s filter",
					vmm_seccomp__kind_name(kind));
	r = ALLOW(common_syscalls);
	if (r == 0)
		r = ALLOW_IOCTLS(tty_ioctls);
	if (r == 0 && kind == VMM_THREAD_MAIN && built_with_sanitizers())
		r = ALLOW(sanitizer_syscalls);
	if (r == 0) {
		switch (kind) {
		case VMM_THREAD_MAIN:
			r = ALLOW(main_syscalls);
			if (r == 0)
				r = ALLOW(main_snapshot_syscalls);
			if (r == 0)
				r = ALLOW_IOCTLS(main_ioctls);
			break;
		case VMM_THREAD_VCPU:
			r = ALLOW(vcpu_syscalls);
			if (r == 0)
				r = ALLOW_IOCTLS(vcpu_ioctls);
			break;
		case VMM_THREAD_DEVICES:
			r = ALLOW(devices_syscalls);
			if (r == 0)
				r = allow_unix_sockets(ctx, err);
			if (r == 0)
				r = ALLOW_IOCTLS(devices_ioctls);
			break;
		case VMM_THREAD_API:
			r = ALLOW(api_syscalls);
			break;
		}
	}
	if (r == 0) {
		r = seccomp_load(ctx);
		if (r < 0) {
			errno = -r;
			r = cella_error_sys(err, "seccomp: load the %s filter", vmm_seccomp__kind_name(kind));
		}
	}
	seccomp_release(ctx);
	return r;
}
