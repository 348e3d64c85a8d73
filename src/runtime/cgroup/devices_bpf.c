/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup v2 device control: load a BPF_PROG_TYPE_CGROUP_DEVICE program and
 * attach it to the cgroup with bpf(2) directly (no libbpf). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "cgroup/cgroup_internal.h"

#define MAX_OLD_PROGS 64

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int load_prog(const struct bpf_insn *insns, size_t n, cella_err_t *err)
{
	static char log[16384];
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	if (errno != EACCES && errno != EINVAL)
		return cella_error_sys(err, "bpf: loading the device-cgroup program (%zu instructions)", n);

	/* Rejected by the verifier: load again with its log, for the message. */
	log[0] = '\0';
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	log[sizeof(log) - 1] = '\0';
	return cella_error_sys(err, "bpf: the verifier rejected the device-cgroup program: %.512s", log);
}

int cgroup_dev_attach_prog(const char *cgroup_dir, const struct bpf_insn *insns, size_t n_insns,
			   cella_err_t *err)
{
	_cleanup_close_ int dirfd = -1, progfd = -1;
	uint32_t old_ids[MAX_OLD_PROGS];
	uint32_t old_count = 0, old_flags = 0;
	union bpf_attr attr;

	dirfd = open(cgroup_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (dirfd < 0)
		return cella_error_sys(err, "devices: open %s", cgroup_dir);

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)dirfd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)old_ids;
	attr.query.prog_cnt = MAX_OLD_PROGS;
	if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
		return cella_error_sys(err, "bpf: querying the device programs of %s", cgroup_dir);
	old_count = attr.query.prog_cnt < MAX_OLD_PROGS ? attr.query.prog_cnt : MAX_OLD_PROGS;
	old_flags = attr.query.attach_flags;

	progfd = load_prog(insns, n_insns, err);
	if (progfd < 0)
		return cella_error_wrap(err, "devices of %s", cgroup_dir);

	/* Attach the new program next to the old ones, then detach those, so the
	 * cgroup is never without device control. A program someone attached
	 * without ALLOW_MULTI can only be replaced. */
	bool multi = old_count == 0 || (old_flags & BPF_F_ALLOW_MULTI);
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)dirfd;
	attr.attach_bpf_fd = (uint32_t)progfd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = multi ? BPF_F_ALLOW_MULTI : 0;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
		return cella_error_sys(err, "bpf: attaching the device-cgroup program to %s", cgroup_dir);
	if (!multi)
		return 0;

	for (uint32_t i = 0; i < old_count; i++) {
		_cleanup_close_ int oldfd = -1;

		memset(&attr, 0, sizeof(attr));
		attr.prog_id = old_ids[i];
		oldfd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
		if (oldfd < 0) {
			if (errno == ENOENT)
				continue; /* already gone */
			return cella_error_sys(err, "bpf: opening old device program %u of %s", old_ids[i],
					       cgroup_dir);
		}
		memset(&attr, 0, sizeof(attr));
		attr.target_fd = (uint32_t)dirfd;
		attr.attach_bpf_fd = (uint32_t)oldfd;
		attr.attach_type = BPF_CGROUP_DEVICE;
		if (sys_bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
			return cella_error_sys(err, "bpf: detaching old device program %u from %s",
					       old_ids[i], cgroup_dir);
	}
	return 0;
}
