/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_HOST_H
#define CELLA_HOST_H

/*
 * Probes of what the host kernel offers: KVM, the cgroup layout, namespaces,
 * seccomp, overlayfs and the kernel release. `cella check` reports them; the
 * VMM and the runtime use them to pick code paths (e.g. cgroup v1 vs v2).
 *
 * Each probe takes root: NULL or "" for the real host, otherwise a directory
 * standing in for "/" (its proc/ and sys/ are read instead), so tests can feed
 * recorded host files. A probe describes a missing feature in its result; it
 * fails (negative, *err set) only when the host's files cannot be made sense of.
 */
#include <stdbool.h>

#include <cella/error.h>

enum cella_kvm_kind {
	CELLA_KVM_UNAVAILABLE = 0, /* no usable /dev/kvm */
	CELLA_KVM_HARDWARE,	   /* kvm_intel/kvm_amd with vmx/svm: VT-x or AMD-V */
	CELLA_KVM_NESTED_PVM,	   /* kvm_pvm: nested, software-assisted, CPL0 emulated */
	CELLA_KVM_UNKNOWN,	   /* /dev/kvm works but neither of the above is recognised */
};

struct cella_host_kvm {
	bool device_present; /* /dev/kvm exists */
	bool opened;	     /* ... and could be opened read-write */
	int api_version;     /* KVM_GET_API_VERSION, -1 when not known */
	bool vm_created;     /* KVM_CREATE_VM succeeded */
	enum cella_kvm_kind kind;
	char module[16];    /* "kvm_intel", "kvm_amd", "kvm_pvm" or "" */
	bool cpu_virt_flag; /* vmx or svm in /proc/cpuinfo */
	char error[128];    /* why the device could not be used, "" otherwise */
};

#define CELLA_KVM_API_VERSION 12

/* root also selects the device: ROOT/dev/kvm. */
int cella_host_probe_kvm(const char *root, struct cella_host_kvm *out, cella_err_t *err);
/* "hardware-assisted", "nested software-assisted", "unavailable", "unknown". */
const char *cella_kvm_kind_name(enum cella_kvm_kind kind);

enum cella_cgroup_layout {
	CELLA_CGROUP_NONE = 0, /* no cgroup file system mounted */
	CELLA_CGROUP_V1,       /* only v1 hierarchies */
	CELLA_CGROUP_V2,       /* unified: cgroup2 only (v1 named hierarchies without controllers allowed) */
	CELLA_CGROUP_HYBRID,   /* v1 controllers plus a cgroup2 mount (systemd's "hybrid") */
};

struct cella_host_cgroup {
	enum cella_cgroup_layout layout;
	char *v2_mount;	       /* mount point of the first cgroup2 mount, NULL if none */
	char **v1_controllers; /* NULL-terminated, sorted, de-duplicated; never NULL */
	char **v1_mounts;      /* v1_mounts[i]: first mount point of v1_controllers[i] */
	char **v2_controllers; /* from <v2_mount>/cgroup.controllers; never NULL */
};

/* Parses ROOT/proc/self/mountinfo and ROOT<v2_mount>/cgroup.controllers. */
int cella_host_probe_cgroup(const char *root, struct cella_host_cgroup *out, cella_err_t *err);
void cella_host_cgroup_release(struct cella_host_cgroup *cg);
/* "none", "v1", "v2", "hybrid". */
const char *cella_cgroup_layout_name(enum cella_cgroup_layout layout);

enum cella_ns_type {
	CELLA_NS_MNT = 0,
	CELLA_NS_UTS,
	CELLA_NS_IPC,
	CELLA_NS_PID,
	CELLA_NS_NET,
	CELLA_NS_USER,
	CELLA_NS_CGROUP,
	CELLA_NS_TIME,
	CELLA_NS_COUNT,
};

struct cella_host_ns {
	bool available[CELLA_NS_COUNT];
	/* /proc/sys/user/max_user_namespaces, -1 when the file is missing. */
	long max_user_namespaces;
};

/* Names as in /proc/self/ns: "mnt", "uts", ... */
const char *cella_ns_name(enum cella_ns_type type);
int cella_host_probe_namespaces(const char *root, struct cella_host_ns *out, cella_err_t *err);

struct cella_host_misc {
	char kernel_release[128]; /* /proc/sys/kernel/osrelease (uname -r) */
	bool seccomp;		  /* the kernel has seccomp ("Seccomp:" in /proc/self/status) */
	bool seccomp_filter;	  /* and filter mode (/proc/sys/kernel/seccomp/actions_avail) */
	bool overlayfs;		  /* "overlay" in /proc/filesystems */
};

int cella_host_probe_misc(const char *root, struct cella_host_misc *out, cella_err_t *err);

#endif
