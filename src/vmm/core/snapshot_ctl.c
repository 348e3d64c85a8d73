/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Snapshot and restore of a whole VM: pausing the vCPUs out of KVM_RUN, the
 * order state is saved and loaded in, full and diff memory, and handing API
 * requests to the main thread (the only one whose seccomp filter allows the
 * file I/O a snapshot needs; a pause goes the same way so that it, too, can
 * wait for the vCPUs and the devices). docs/snapshots.md describes the sections.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "core/memory.h"
#include "core/state.h"
#include "core/vcpu.h"
#include "core/virtio_dirty.h"
#include "core/virtio_glue.h"
#include "snapshot/format.h"

/* vm.config, version 1: u64 memory MiB, u32 vCPUs, u32 generation (restores so far). */
#define VM_CONFIG_SECTION "vm.config"
#define VM_CONFIG_VERSION 1U
#define VM_CONFIG_SIZE	  16U
/* vm.base, version 1 (diff snapshots): the absolute path of the full snapshot it was taken against. */
#define VM_BASE_SECTION "vm.base"
#define VM_BASE_VERSION 1U

/* How long a snapshot waits for every vCPU to leave KVM_RUN: far more than a kick takes. */
#define PARK_TIMEOUT_SEC 10
/* How long it waits for the virtio devices' in-flight requests (disk I/O, rate limiters). */
#define QUIESCE_TIMEOUT_MS 10000

/* The answer to a request that comes while the VM stops: a conflict, not a failure. */
static int shutting_down(cella_err_t *err)
{
	cella_error_make(err, 0, "the VM is shutting down");
	cella_error_set_status(*err, 409);
	return -1;
}

/* Pauses the VM and waits until every vCPU thread is parked. */
static int park_vcpus(struct vmm *vm, cella_err_t *err)
{
	struct timespec deadline;
	int rc = 0;

	vmm__set_paused(vm, true);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += PARK_TIMEOUT_SEC;
	pthread_mutex_lock(&vm->state_lock);
	while (vm->vcpus_parked < vm->ncpus && !vmm__stopping(vm) && rc == 0)
		rc = pthread_cond_timedwait(&vm->parked_cond, &vm->state_lock, &deadline);
	pthread_mutex_unlock(&vm->state_lock);
	if (vmm__stopping(vm))
		return shutting_down(err);
	if (rc != 0)
		return cella_error_make(err, rc, "the vCPUs did not pause within %d s", PARK_TIMEOUT_SEC);
	return 0;
}

/*
 * PUT /vm/state "paused": returns only once every vCPU is out of KVM_RUN and the
 * virtio devices finished the requests they had popped (a disk write in a worker,
 * a rate-limited request), so whoever reads guest state or copies a disk image
 * next sees a VM that no longer moves. On failure the VM goes back to running.
 */
static int pause_quiescent(struct vmm *vm, cella_err_t *err)
{
	bool was_paused = atomic_load(&vm->paused);
	int rc = park_vcpus(vm, err);

	if (rc == 0 && (rc = vmm_virtio__quiesce(vm, QUIESCE_TIMEOUT_MS, err)) == 0)
		vmm_virtio__unquiesce(vm);
	if (rc < 0 && !was_paused && !vmm__stopping(vm))
		vmm__set_paused(vm, false);
	return rc;
}

static char *absolute_path(const char *path)
{
	char cwd[4096];
	char *out = NULL;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)) || asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

static int add_config(struct vmm *vm, struct vmm_snapshot_writer *w, cella_err_t *err)
{
	uint8_t buf[VM_CONFIG_SIZE];

	snapshot_put64(buf, vm->ram_size >> 20);
	snapshot_put32(buf + 8, vm->ncpus);
	snapshot_put32(buf + 12, vm->generation);
	return vmm_snapshot__add_section(w, VM_CONFIG_SECTION, VM_CONFIG_VERSION, buf, sizeof(buf), err);
}

/* Everything but the commit, into a writer that the caller aborts or commits. */
static int write_state(struct vmm *vm, struct vmm_snapshot_writer *w, bool diff, uint8_t *dirty_now,
		       cella_err_t *err)
{
	struct guest_mem view;
	int rc;

	if (add_config(vm, w, err) < 0 || vmm_state_vcpu__save(vm, w, err) < 0 ||
	    vmm_state_vm__save(vm, w, err) < 0 || vmm_state_dev__save(vm, w, err) < 0)
		return -1;
	if (diff && vmm_snapshot__add_section(w, VM_BASE_SECTION, VM_BASE_VERSION, vm->snapshot_base,
					      strlen(vm->snapshot_base), err) < 0)
		return -1;
	/* The log is read (and reset) while paused, so it matches the memory written below exactly. */
	if (vm->dirty_logging) {
		/* Devices write RAM behind KVM's log (disk reads, frames): they keep their own. */
		if (vmm_memory__collect_dirty(vm, dirty_now, err) < 0 ||
		    vmm_virtio__dirty_collect(vm, dirty_now, err) < 0)
			return -1;
	}
	if (diff) {
		for (size_t i = 0; i < vmm_memory__bitmap_size(vm); i++)
			vm->dirty_since_base[i] |= dirty_now[i];
		return vmm_snapshot__write_memory(w, &vm->mem, vm->dirty_since_base, vm->snapshot_base, err);
	}
	/* Without the view, scanning a never-touched page of the memfd would allocate it. */
	vmm_memory__snapshot_view(vm, &view);
	rc = vmm_snapshot__write_memory(w, &view, NULL, NULL, err);
	vmm_memory__release_view(vm, &view);
	return rc;
}

/* After a full snapshot: it is the new base, nothing is dirty against it, and KVM logs from now on. */
static int become_base(struct vmm *vm, const char *dir, cella_err_t *err)
{
	char *abs = absolute_path(dir);

	if (!abs)
		return cella_error_sys(err, "snapshot %s: absolute path", dir);
	free(vm->snapshot_base);
	vm->snapshot_base = abs;
	if (!vm->dirty_since_base) {
		vm->dirty_since_base = calloc(1, vmm_memory__bitmap_size(vm) + 1);
		if (!vm->dirty_since_base)
			return cella_error_make(err, ENOMEM, "dirty page bitmap");
	} else {
		memset(vm->dirty_since_base, 0, vmm_memory__bitmap_size(vm));
	}
	if (vmm_virtio__dirty_start(vm, err) < 0)
		return -1;
	if (!vm->dirty_logging)
		return vmm_memory__set_slots(vm, true, err);
	return 0;
}

static int take_snapshot(struct vmm *vm, const char *dir, bool diff, cella_err_t *err)
{
	_cleanup_free_ uint8_t *dirty_now = NULL;
	struct vmm_snapshot_writer *w = NULL;

	if (vmm_snapshot__writer_begin(dir, &w, err) < 0)
		return -1;
	dirty_now = calloc(1, vmm_memory__bitmap_size(vm) + 1);
	if (!dirty_now) {
		vmm_snapshot__abort(w);
		return cella_error_make(err, ENOMEM, "dirty page bitmap");
	}
	if (write_state(vm, w, diff, dirty_now, err) < 0) {
		vmm_snapshot__abort(w);
		goto failed;
	}
	if (vmm_snapshot__commit(w, err) < 0)
		goto failed;
	return diff ? 0 : become_base(vm, dir, err);
failed:
	/* The pages the log reported are still dirty against the old base: keep them for the next diff. */
	if (vm->dirty_since_base) {
		for (size_t i = 0; i < vmm_memory__bitmap_size(vm); i++)
			vm->dirty_since_base[i] |= dirty_now[i];
	}
	return -1;
}

int vmm__snapshot(struct vmm *vm, const char *dir, bool diff, bool resume, cella_err_t *err)
{
	bool was_paused = atomic_load(&vm->paused);
	int rc;

	if (vmm__stopping(vm))
		return shutting_down(err);
	if (diff && !vm->snapshot_base) {
		cella_error_make(err, 0,
				 "type diff: this VM has no full snapshot to diff against yet (take a "
				 "\"full\" one first)");
		cella_error_set_status(*err, 400);
		return -1;
	}
	rc = park_vcpus(vm, err);
	/*
	 * In-flight rule: with the vCPUs parked no new request arrives; every request a
	 * device popped completes into the used ring, then the devices stay locked until
	 * memory is written, so device state, rings and RAM are one instant. Requests the
	 * guest queued and no device popped stay in the avail rings for after a restore.
	 */
	if (rc == 0 && (rc = vmm_virtio__quiesce(vm, QUIESCE_TIMEOUT_MS, err)) == 0) {
		rc = take_snapshot(vm, dir, diff, err);
		vmm_virtio__unquiesce(vm);
	}
	/* On failure the VM goes back to what it was doing: a failed snapshot must not stop it. */
	if (rc < 0 ? !was_paused : resume)
		vmm__set_paused(vm, false);
	return rc;
}

int vmm__ctl_submit(struct vmm *vm, struct vmm_ctl_request *req, cella_err_t *err)
{
	uint64_t one = 1;

	pthread_mutex_lock(&vm->ctl_lock);
	while (vm->ctl_busy && !vm->ctl_closed)
		pthread_cond_wait(&vm->ctl_cond, &vm->ctl_lock);
	if (vm->ctl_closed) {
		pthread_mutex_unlock(&vm->ctl_lock);
		return shutting_down(err);
	}
	vm->ctl_busy = true;
	req->done = false;
	req->rc = 0;
	req->err = NULL;
	vm->ctl_pending = req;
	pthread_mutex_unlock(&vm->ctl_lock);
	if (write(vm->ctl_efd, &one, sizeof(one)) < 0)
		perror("cella-vmm: control eventfd");
	pthread_mutex_lock(&vm->ctl_lock);
	while (!req->done)
		pthread_cond_wait(&vm->ctl_cond, &vm->ctl_lock);
	vm->ctl_busy = false;
	pthread_cond_broadcast(&vm->ctl_cond);
	pthread_mutex_unlock(&vm->ctl_lock);
	if (req->rc < 0) {
		*err = req->err;
		return -1;
	}
	return 0;
}

void vmm__ctl_serve(struct vmm *vm, bool closing)
{
	struct vmm_ctl_request *req;
	uint64_t n;

	if (read(vm->ctl_efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		perror("cella-vmm: control eventfd");
	pthread_mutex_lock(&vm->ctl_lock);
	req = vm->ctl_pending;
	vm->ctl_pending = NULL;
	if (closing) {
		vm->ctl_closed = true;
		pthread_cond_broadcast(&vm->ctl_cond);
	}
	pthread_mutex_unlock(&vm->ctl_lock);
	if (!req)
		return;
	if (closing) {
		req->rc = shutting_down(&req->err);
	} else if (!req->path) {
		req->rc = pause_quiescent(vm, &req->err); /* a request without a path is a pause */
	} else {
		req->rc = vmm__snapshot(vm, req->path, req->diff, req->resume, &req->err);
	}
	pthread_mutex_lock(&vm->ctl_lock);
	req->done = true;
	pthread_cond_broadcast(&vm->ctl_cond);
	pthread_mutex_unlock(&vm->ctl_lock);
}

/* A diff snapshot is made whole (in place, atomically) against the base it names before it is mapped. */
static int open_full(const char *dir, struct vmm_snapshot_reader **out, cella_err_t *err)
{
	_cleanup_free_ char *base = NULL;
	uint32_t version;
	const void *data;
	size_t len;

	if (vmm_snapshot__open(dir, out, err) < 0)
		return -1;
	if (!vmm_snapshot__is_diff(*out))
		return 0;
	if (vmm_snapshot__section(*out, VM_BASE_SECTION, &version, &data, &len) < 0 ||
	    version != VM_BASE_VERSION || len == 0 || len > 4095 || memchr(data, '\0', len))
		return cella_error_make(err, 0, "snapshot %s: a diff snapshot without a valid %s section",
					dir, VM_BASE_SECTION);
	base = strndup(data, len);
	vmm_snapshot__close(*out);
	*out = NULL;
	if (!base)
		return cella_error_make(err, ENOMEM, "snapshot %s", dir);
	if (vmm_snapshot__merge_diff(base, dir, err) < 0)
		return cella_error_wrap(err, "snapshot %s: merging onto its base %s", dir, base);
	return vmm_snapshot__open(dir, out, err);
}

static int read_config(const struct vmm_snapshot_reader *r, struct vmm_config *cfg, uint32_t *generation,
		       cella_err_t *err)
{
	uint8_t buf[VM_CONFIG_SIZE];
	uint64_t mib;
	uint32_t cpus;

	if (vmm_state__section_exact(r, VM_CONFIG_SECTION, VM_CONFIG_VERSION, buf, sizeof(buf), err) < 0)
		return -1;
	mib = snapshot_get64(buf);
	cpus = snapshot_get32(buf + 8);
	if (mib < VMM_CONFIG_MIN_MEMORY_MIB || mib > VMM_CONFIG_MAX_MEMORY_MIB || cpus < 1 ||
	    cpus > VMM_CONFIG_MAX_CPUS)
		return cella_error_make(err, 0, "section %s: %llu MiB, %u vCPUs out of range",
					VM_CONFIG_SECTION, (unsigned long long)mib, cpus);
	cfg->memory_mib = mib;
	cfg->cpus = cpus;
	*generation = snapshot_get32(buf + 12);
	return 0;
}

/* Everything a restore loads, in KVM's order: irqchip and PIT, vCPUs, devices, the clock last. */
static int load_state(struct vmm *vm, const struct vmm_snapshot_reader *r, cella_err_t *err)
{
	if (vmm_state_vm__load_irqchip(vm, r, err) < 0 || vmm_state_vcpu__load(vm, r, err) < 0 ||
	    vmm_state_dev__load(vm, r, err) < 0 || vmm_state_vm__load_clock(vm, r, err) < 0)
		return -1;
	return 0;
}

/* A snapshot that cannot be used is the caller's input error (exit status 2), not a host failure. */
static int refuse(cella_err_t *err, const char *dir)
{
	cella_error_wrap(err, "--restore %s", dir);
	cella_error_set_status(*err, VMM_EXIT_USAGE);
	return -1;
}

int vmm__restore(struct vmm_config *cfg, const char *dir, struct vmm **out, cella_err_t *err)
{
	struct vmm_snapshot_reader *r = NULL;
	struct guest_mem mem = {0};
	uint32_t generation = 0;
	struct vmm *vm;
	int rc = -1;

	*out = NULL;
	if (open_full(dir, &r, err) < 0 || read_config(r, cfg, &generation, err) < 0) {
		vmm_snapshot__close(r);
		return refuse(err, dir);
	}
	if (vmm__create_shell(cfg, out, err) < 0)
		goto out;
	vm = *out;
	if (vmm_state_vcpu__check_cpuid(vm, r, err) < 0 || vmm_snapshot__map_memory(r, &mem, err) < 0) {
		refuse(err, dir);
		goto out;
	}
	if (vmm_memory__adopt(vm, &mem, err) < 0)
		goto out;
	if (vmm__create_vcpus(vm, err) < 0)
		goto out;
	if (load_state(vm, r, err) < 0) {
		refuse(err, dir);
		goto out;
	}
	/* A new generation: whoever runs this copy gets an ID no other copy has. */
	vm->generation = generation + 1;
	if (getrandom(vm->generation_id, sizeof(vm->generation_id), 0) !=
	    (ssize_t)sizeof(vm->generation_id)) {
		cella_error_sys(err, "getrandom (generation ID)");
		goto out;
	}
	/* The snapshot restored from is the base of this VM's diffs until its next full snapshot. */
	rc = become_base(vm, dir, err);
out:
	vmm_snapshot__close(r);
	return rc;
}
