// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Capability names. Our own table rather than libcap's cap_from_name(): the
 * names the runtime accepts must not depend on which libcap the host has, and
 * the kernel's own limit (cap_last_cap) decides separately what is applied.
 */
#include "security/security_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/capability.h>

static const char *const cap_names[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

#define N_CAP_NAMES ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

int cella_cap_from_name(const char *name, int *cap)
{
	for (int i = 0; name && i < N_CAP_NAMES; i++) {
		if (strcmp(name, cap_names[i]) == 0) {
			*cap = i;
			return 0;
		}
	}
	return -1;
}

const char *sec_cap_name(int cap)
{
	return cap >= 0 && cap < N_CAP_NAMES ? cap_names[cap] : NULL;
}

json_t *cella_caps_known(void)
{
	json_t *a = json_array();

	if (a == NULL)
		return NULL;
	for (int i = 0; i < N_CAP_NAMES; i++) {
		if (json_array_append_new(a, json_string(cap_names[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

int sec_caps_last_cap(void)
{
	char buf[16] = "";
	ssize_t n;
	int fd, last = -1;

	fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			char *end;
			long v;

			buf[n] = '\0';
			v = strtol(buf, &end, 10);
			if (end != buf && v >= 0 && v < 64)
				last = (int)v;
		}
	}
	if (last < 0) /* no /proc (or an odd one): ask the kernel through libcap's probe */
		last = (int)cap_max_bits() - 1;
	/* Capability sets are 64-bit masks here; the kernel has never gone near that. */
	return last > 63 ? 63 : last;
}
