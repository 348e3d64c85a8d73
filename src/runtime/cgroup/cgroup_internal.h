/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_CGROUP_INTERNAL_H
#define CELLA_RUNTIME_CGROUP_INTERNAL_H

/* Shared by the files of src/runtime/cgroup/ and its unit tests; not a public API. */
#include <stdbool.h>
#include <stdint.h>
#include <linux/bpf.h>

#include "cgroup/cgroup.h"

/* The controllers the runtime drives. In v1 each may have its own hierarchy
 * (or share one, as cpu,cpuacct often do); in v2 they are files of one directory. */
enum cg_ctrl {
	CG_CPU,
	CG_CPUACCT,
	CG_CPUSET,
	CG_MEMORY,
	CG_DEVICES,
	CG_FREEZER,
	CG_BLKIO,
	CG_PIDS,
	CG_HUGETLB,
	CG_NET_CLS,
	CG_NET_PRIO,
	CG_RDMA,
	CG_NCTRL
};

/* v1 controller name ("blkio"), or NULL for an out-of-range value. */
const char *cgroup_ctrl_v1_name(enum cg_ctrl c);
/* v2 name of the controller ("io"), or NULL when v2 has no such controller (devices, freezer,
 * net_cls, net_prio: devices and freezing are core v2 features). */
const char *cgroup_ctrl_v2_name(enum cg_ctrl c);
/* Controller by v1 name, or -1. */
int cgroup_ctrl_from_v1_name(const char *name);

/* What /proc/self/mountinfo says about the host's cgroup hierarchies. */
struct cgroup_layout {
	enum cella_cgroup_mode mode;
	char *v1_mount[CG_NCTRL]; /* mount point of the v1 hierarchy of each controller, or NULL */
	char *unified_mount;	  /* cgroup2 mount point, or NULL */
};

/* Parses mountinfo text (pure: tests feed samples). No cgroup mount at all is an error. */
int cgroup_layout_parse(const char *mountinfo, struct cgroup_layout *out, cella_err_t *err);
/* Reads /proc/self/mountinfo, or uses the testing override. */
int cgroup_layout_detect(struct cgroup_layout *out, cella_err_t *err);
void cgroup_layout_clear(struct cgroup_layout *l);

struct cella_cgroup {
	enum cella_cgroup_mode mode;
	char *path;		/* path inside every hierarchy, "/cella/<id>" */
	char *v1_dir[CG_NCTRL]; /* directory in the controller's v1 hierarchy, or NULL */
	char *unified_dir;	/* directory in the cgroup2 hierarchy, or NULL */
	unsigned v2_ctrls;	/* bit (1u << enum cg_ctrl) per controller enabled in unified_dir */
	char **created;		/* directories this cgroup made, parents first, NULL-terminated */
};

/* Where a controller's files live for this cgroup: the directory, and whether it speaks v2.
 * Returns NULL when the controller is available nowhere. */
const char *cgroup_ctrl_dir(const struct cella_cgroup *cg, enum cg_ctrl c, bool *v2);

/* cgroupfs file access: one write() per value; errors name the file and the value. */
int cgroup_write(const char *dir, const char *file, const char *value, cella_err_t *err);
int cgroup_writef(const char *dir, const char *file, cella_err_t *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Reads a whole (small) cgroup file into a malloc'd NUL-terminated string. */
int cgroup_read(const char *dir, const char *file, char **out, cella_err_t *err);
bool cgroup_file_exists(const char *dir, const char *file);
/* Prints a note to stderr when CELLA_DEBUG is set (deprecated/ignored settings). */
void cgroup_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Applies validated linux.resources to every hierarchy. */
int cgroup_apply_resources(struct cella_cgroup *cg, json_t *resources, bool update, cella_err_t *err);
int cgroup_apply_memory(struct cella_cgroup *cg, json_t *memory, bool update, cella_err_t *err);
int cgroup_apply_cpu(struct cella_cgroup *cg, json_t *cpu, cella_err_t *err);
int cgroup_apply_blkio(struct cella_cgroup *cg, json_t *blkio, cella_err_t *err);
int cgroup_apply_devices(struct cella_cgroup *cg, json_t *devices, cella_err_t *err);

/* --- v1 -> v2 value conversions (pure) --- */
/* cpu.shares -> cpu.weight, as runc/crun: 1 + ((shares - 2) * 9999) / 262142; 0 stays 0 (unset). */
uint64_t cgroup_convert_shares_to_weight(uint64_t shares);
/* blkio.weight (10..1000) -> io.weight (1..10000); 0 stays 0 (unset). */
uint64_t cgroup_convert_blkio_weight(uint64_t weight);
/* OCI memory.swap (memory+swap, as v1) -> v2 memory.swap.max (swap alone). *out: -1 = "max",
 * 0 = leave unset, else bytes. Fails (naming the fields) on an inconsistent pair. */
int cgroup_convert_swap_to_v2(int64_t swap, int64_t limit, int64_t *out, cella_err_t *err);
/* The cpu.max line for quota/period (0 = unset); false when there is nothing to write. */
bool cgroup_format_cpu_max(int64_t quota, uint64_t period, char *buf, size_t size);

/* --- device rules --- */
#define CG_DEV_ACC_MKNOD 1u /* BPF_DEVCG_ACC_MKNOD */
#define CG_DEV_ACC_READ	 2u
#define CG_DEV_ACC_WRITE 4u

struct cgroup_dev_rule {
	bool allow;
	char type;	 /* 'a', 'b' or 'c' */
	int64_t major;	 /* -1 = any */
	int64_t minor;	 /* -1 = any */
	unsigned access; /* CG_DEV_ACC_* bits */
};

/* linux.resources.devices -> rules; errors name the entry. */
int cgroup_dev_rules_parse(json_t *devices, struct cgroup_dev_rule **rules, size_t *n, cella_err_t *err);
/* "c 1:3 rwm" / "a *:* rwm" for devices.allow / devices.deny. */
void cgroup_dev_rule_v1_line(const struct cgroup_dev_rule *r, char *buf, size_t size);
/* The BPF_PROG_TYPE_CGROUP_DEVICE program for rules (last matching rule wins,
 * default deny). *insns is malloc'd. */
int cgroup_dev_build_prog(const struct cgroup_dev_rule *rules, size_t n, struct bpf_insn **insns,
			  size_t *n_insns, cella_err_t *err);
/* Loads the program and attaches it to the cgroup directory, replacing the programs
 * previously attached there. */
int cgroup_dev_attach_prog(const char *cgroup_dir, const struct bpf_insn *insns, size_t n_insns,
			   cella_err_t *err);

#endif
