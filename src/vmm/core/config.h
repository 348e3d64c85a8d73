/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_CONFIG_H
#define CELLA_VMM_CORE_CONFIG_H

/*
 * What one cella-vmm process runs: from a JSON file, then command-line flags
 * that override it. Every error names the option or field that is wrong.
 */
#include <stdbool.h>
#include <stdint.h>

#include <cella/error.h>

struct vmm_vdev_spec;

#define VMM_CONFIG_MAX_CPUS	   255
#define VMM_CONFIG_MIN_MEMORY_MIB  2
#define VMM_CONFIG_MAX_MEMORY_MIB  (1024 * 1024) /* 1 TiB */
#define VMM_CONFIG_DEFAULT_MEM_MIB 128
#define VMM_CONFIG_MAX_OVERRIDES   16

/* Exit statuses of cella-vmm (docs/vmm.md). A debug-exit write of v gives (v << 1) | 1. */
#define VMM_EXIT_OK	    0 /* guest powered off or asked for a reset */
#define VMM_EXIT_HOST_ERROR 1
#define VMM_EXIT_USAGE	    2
#define VMM_EXIT_CRASH	    3

/*
 * --restore-device ID:KEY=VALUE[,KEY=VALUE...]: a back-end option of the
 * snapshot's device ID replaced for this restore (a clone's MAC, TAP, vsock
 * CID and socket, its own copy of a disk image).
 */
struct vmm_restore_override {
	char *id;
	char *opts;	/* KEY=VALUE,... in --disk syntax */
	bool from_file; /* "restore_devices" of --config: a flag for the same id replaces it */
};

enum vmm_console_kind {
	VMM_CONSOLE_STDIO,
	VMM_CONSOLE_NONE,
	VMM_CONSOLE_FILE,
};

/* What the guest is told about the hypervisor (--cpu-profile, "cpu_profile"). */
enum vmm_cpu_profile {
	VMM_CPU_PROFILE_PARAVIRT, /* KVM signature leaves and PV features (kvmclock, PV EOI, ...) */
	VMM_CPU_PROFILE_FULL,	  /* no hypervisor leaves: the guest sees only the virtual hardware */
};

struct vmm_config {
	char *kernel;
	char *initrd;
	char *cmdline;
	uint64_t memory_mib;
	unsigned cpus;
	enum vmm_console_kind console;
	char *console_path; /* VMM_CONSOLE_FILE only */
	char *api_socket;
	char *console_socket; /* COM1 also on this unix socket, input and output, one client at a time */
	char *restore;	      /* --restore DIR: a snapshot to resume instead of a kernel to boot */
	struct vmm_restore_override overrides[VMM_CONFIG_MAX_OVERRIDES];
	unsigned noverrides;
	bool hugepages;
	bool seccomp;
	bool async_teardown; /* the kernel's VM teardown after our exit (core/teardown.h) */
	bool debug;	     /* log unclaimed port/MMIO accesses */
	enum vmm_cpu_profile cpu_profile;
	bool help; /* --help was given: print usage, run nothing */
	/* The virtio devices (config_vdev.h), nvdevs of them. */
	struct vmm_vdev_spec *vdevs;
	unsigned nvdevs;
};

void vmm_config__init(struct vmm_config *cfg);
void vmm_config__release(struct vmm_config *cfg);
/* Merges the JSON file at path into cfg ("PATH: field: problem" on error). */
int vmm_config__load_file(struct vmm_config *cfg, const char *path, cella_err_t *err);
/* Merges a JSON document given as text; origin names it in messages. */
int vmm_config__load_string(struct vmm_config *cfg, const char *json, const char *origin, cella_err_t *err);
/*
 * Parses argv: --config FILE is read first wherever it appears, then every
 * other flag overrides it. Checks the result (vmm_config__check). Errors carry
 * exit status VMM_EXIT_USAGE.
 */
int vmm_config__parse_args(struct vmm_config *cfg, int argc, char **argv, cella_err_t *err);
/* Parses a --cpu-profile / "cpu_profile" value: full or paravirt. */
int vmm_config__parse_cpu_profile(struct vmm_config *cfg, const char *value, const char *what,
				  cella_err_t *err);
/* Parses a --console / "console" value: stdio, none or file:PATH. */
int vmm_config__parse_console(struct vmm_config *cfg, const char *value, const char *what, cella_err_t *err);
/* Checks that the merged configuration can run (kernel given, ranges). */
int vmm_config__check(const struct vmm_config *cfg, cella_err_t *err);
/* The --help text. */
const char *vmm_config__usage(void);

#endif
