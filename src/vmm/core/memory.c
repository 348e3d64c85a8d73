/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/memory.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/memfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/vmm.h"

/* Free 2 MiB huge pages per /proc/meminfo, or -1 when unknown; for the error message only. */
static long free_hugepages(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	long n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	}
	fclose(f);
	return n;
}

static int hugepage_error(cella_err_t *err, int errnum, uint64_t size)
{
	return cella_error_make(err, errnum,
				"--hugepages: cannot get %llu huge pages of 2 MiB (%ld free; raise "
				"/proc/sys/vm/nr_hugepages)",
				(unsigned long long)(size >> 21), free_hugepages());
}

int vmm_memory__create(struct vmm *vm, uint64_t size, bool hugepages, cella_err_t *err)
{
	unsigned flags = MFD_CLOEXEC;
	int mmap_flags = MAP_SHARED;

	if (hugepages)
		flags |= MFD_HUGETLB | MFD_HUGE_2MB;
	else
		mmap_flags |= MAP_NORESERVE; /* pages are allocated as the guest touches them */
	vm->mem_fd = memfd_create("cella-guest-ram", flags);
	if (vm->mem_fd < 0)
		return hugepages ? hugepage_error(err, errno, size) : cella_error_sys(err, "memfd_create");
	if (ftruncate(vm->mem_fd, (off_t)size) < 0)
		return hugepages ? hugepage_error(err, errno, size)
				 : cella_error_sys(err, "guest RAM: ftruncate to %llu MiB",
						   (unsigned long long)(size >> 20));
	/* Without MAP_NORESERVE, a hugetlb mapping reserves its pages now: failure here, not SIGBUS later. */
	vm->ram = mmap(NULL, size, PROT_READ | PROT_WRITE, mmap_flags, vm->mem_fd, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		return hugepages ? hugepage_error(err, errno, size)
				 : cella_error_sys(err, "guest RAM: mmap %llu MiB",
						   (unsigned long long)(size >> 20));
	}
	vm->ram_size = size;
	/* Guest RAM has no place in a core dump of the VMM (size, and the guest's secrets). */
	madvise(vm->ram, size, MADV_DONTDUMP);
	guest_mem__init(&vm->mem, vm->ram, size);
	return vmm_memory__set_slots(vm, false, err);
}

int vmm_memory__set_slots(struct vmm *vm, bool log_dirty, cella_err_t *err)
{
	for (unsigned i = 0; i < vm->mem.nregions; i++) {
		struct kvm_userspace_memory_region region = {
			.slot = i,
			.flags = log_dirty ? KVM_MEM_LOG_DIRTY_PAGES : 0,
			.guest_phys_addr = vm->mem.region[i].gpa,
			.memory_size = vm->mem.region[i].size,
			.userspace_addr = (uint64_t)(uintptr_t)vm->mem.region[i].host,
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
			return cella_error_sys(err, "KVM_SET_USER_MEMORY_REGION slot %u%s", i,
					       log_dirty ? " (dirty logging on)" : "");
	}
	vm->dirty_logging = log_dirty;
	return 0;
}

int vmm_memory__adopt(struct vmm *vm, const struct guest_mem *mem, cella_err_t *err)
{
	vm->ram = mem->region[0].host;
	vm->ram_size = mem->ram_size;
	vm->mem = *mem;
	vm->ram_from_snapshot = true;
	madvise(vm->ram, vm->ram_size, MADV_DONTDUMP);
	/* Logging from the start: the snapshot restored from is the base of this VM's diffs. */
	return vmm_memory__set_slots(vm, true, err);
}

/* More separate data ranges than this and the view is not worth its mappings: read RAM directly. */
#define VIEW_MAX_RANGES 16384

/* Maps the memfd's data ranges (SEEK_DATA/SEEK_HOLE) over an anonymous read-only mapping. */
static int map_data_ranges(const struct vmm *vm, uint8_t *base)
{
	off_t off = 0, size = (off_t)vm->ram_size;
	unsigned ranges = 0;

	while (off < size) {
		off_t data = lseek(vm->mem_fd, off, SEEK_DATA), hole;

		if (data < 0)
			return errno == ENXIO ? 0 : -1; /* ENXIO: no data after off */
		hole = lseek(vm->mem_fd, data, SEEK_HOLE);
		if (hole < 0 || ++ranges > VIEW_MAX_RANGES)
			return -1;
		if (hole > size)
			hole = size;
		if (mmap(base + data, (size_t)(hole - data), PROT_READ, MAP_SHARED | MAP_FIXED, vm->mem_fd,
			 data) == MAP_FAILED)
			return -1;
		off = hole;
	}
	return 0;
}

void vmm_memory__snapshot_view(const struct vmm *vm, struct guest_mem *view)
{
	uint8_t *base;

	*view = vm->mem;
	if (vm->mem_fd < 0 || vm->cfg->hugepages)
		return;
	base = mmap(NULL, vm->ram_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return;
	/* Holes read as the (huge) zero page: nothing is allocated for them. */
	madvise(base, vm->ram_size, MADV_HUGEPAGE);
	if (map_data_ranges(vm, base) < 0) {
		munmap(base, vm->ram_size);
		return;
	}
	guest_mem__init(view, base, vm->ram_size);
}

void vmm_memory__release_view(const struct vmm *vm, struct guest_mem *view)
{
	if (view->region[0].host && view->region[0].host != vm->mem.region[0].host)
		munmap(view->region[0].host, vm->ram_size);
	view->region[0].host = NULL;
}

size_t vmm_memory__bitmap_size(const struct vmm *vm)
{
	return (size_t)((vm->ram_size / 4096 + 7) / 8);
}

int vmm_memory__collect_dirty(struct vmm *vm, uint8_t *bitmap, cella_err_t *err)
{
	uint64_t first_page = 0;

	for (unsigned i = 0; i < vm->mem.nregions; i++) {
		uint64_t pages = vm->mem.region[i].size / 4096;
		/* KVM writes whole longs: a buffer of its own, then the bits OR-ed in place. */
		size_t words = (size_t)((pages + 63) / 64);
		uint64_t *log = calloc(words ? words : 1, sizeof(uint64_t));
		struct kvm_dirty_log dl = {.slot = i, .dirty_bitmap = log};

		if (!log)
			return cella_error_make(err, ENOMEM, "dirty log of slot %u", i);
		if (ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &dl) < 0) {
			free(log);
			return cella_error_sys(err, "KVM_GET_DIRTY_LOG slot %u", i);
		}
		for (uint64_t p = 0; p < pages; p++) {
			if (log[p / 64] >> (p % 64) & 1) {
				uint64_t bit = first_page + p;

				bitmap[bit / 8] |= (uint8_t)(1U << (bit % 8));
			}
		}
		free(log);
		first_page += pages;
	}
	return 0;
}

void vmm_memory__destroy(struct vmm *vm)
{
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	if (vm->mem_fd >= 0)
		close(vm->mem_fd);
	vm->ram = NULL;
	vm->mem_fd = -1;
}
