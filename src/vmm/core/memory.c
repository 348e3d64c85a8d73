/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/memory.h"

#include <errno.h>
#include <linux/kvm.h>
#include <linux/memfd.h>
#include <stdio.h>
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
	for (unsigned i = 0; i < vm->mem.nregions; i++) {
		struct kvm_userspace_memory_region region = {
			.slot = i,
			.guest_phys_addr = vm->mem.region[i].gpa,
			.memory_size = vm->mem.region[i].size,
			.userspace_addr = (uint64_t)(uintptr_t)vm->mem.region[i].host,
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
			return cella_error_sys(err, "KVM_SET_USER_MEMORY_REGION slot %u", i);
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
