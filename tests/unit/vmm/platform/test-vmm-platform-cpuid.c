// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CPUID editing on a synthetic KVM_GET_SUPPORTED_CPUID table: topology, APIC
 * ids, PMU, hypervisor leaves; and the ioctl wrapper when /dev/kvm is usable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "platform/platform.h"

#define CAPACITY 64

static struct kvm_cpuid2 *synthetic(void)
{
	static const struct kvm_cpuid_entry2 host[] = {
		{.function = 0, .eax = 0x1F, .ebx = 0x756e6547},
		{.function = 1, .eax = 0x806c1, .ebx = 0x07100800, .ecx = 0x00200000, .edx = 0x178bfbff},
		{.function = 4,
		 .index = 0,
		 .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		 .eax = 0x1c004121}, /* L1d */
		{.function = 4,
		 .index = 1,
		 .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		 .eax = 0x1c004122}, /* L1i */
		{.function = 4,
		 .index = 2,
		 .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		 .eax = 0x1c004143}, /* L2 */
		{.function = 4,
		 .index = 3,
		 .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		 .eax = 0x1c03c163},								 /* L3 */
		{.function = 4, .index = 4, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 0}, /* end */
		{.function = 0xA, .eax = 0x07300805, .ebx = 0x7f, .edx = 0x8603},
		{.function = 0xB,
		 .index = 0,
		 .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		 .eax = 1,
		 .ebx = 2,
		 .ecx = 0x100},
		{.function = 0xB,
		 .index = 1,
		 .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		 .eax = 4,
		 .ebx = 8,
		 .ecx = 0x201},
		{.function = 0x40000000,
		 .eax = 0x40000001,
		 .ebx = 0x4b4d564b,
		 .ecx = 0x564b4d56,
		 .edx = 0x4d},
		{.function = 0x40000001, .eax = 0x01007afb},
		{.function = 0x40000010, .eax = 0x1234},
		{.function = 0x80000000, .eax = 0x80000008},
	};
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + CAPACITY * sizeof(c->entries[0]));

	assert_non_null(c);
	c->nent = sizeof(host) / sizeof(host[0]);
	memcpy(c->entries, host, sizeof(host));
	return c;
}

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (unsigned i = 0; i < c->nent; i++) {
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	}
	return NULL;
}

static unsigned count(struct kvm_cpuid2 *c, uint32_t fn)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->nent; i++)
		n += c->entries[i].function == fn;
	return n;
}

static void test_topology_and_ids(void **state)
{
	_cleanup_free_ struct kvm_cpuid2 *c = synthetic();
	cella_err_t err = NULL;
	struct kvm_cpuid_entry2 *e;

	assert_int_equal(vmm_platform__cpuid_edit(c, CAPACITY, 3, 4, true, &err), 0);
	e = find(c, 1, 0);
	assert_int_equal(e->ebx >> 24, 3);		   /* initial APIC id */
	assert_int_equal((e->ebx >> 16) & 0xff, 4);	   /* logical processors */
	assert_int_equal(e->ebx & 0xffff, 0x0800);	   /* CLFLUSH size kept */
	assert_int_equal(e->edx & (1U << 28), 1U << 28);   /* HTT */
	assert_int_equal(e->ecx & (1U << 31), 1U << 31);   /* HYPERVISOR */
	assert_int_equal(e->ecx & 0x00200000, 0x00200000); /* x2APIC kept */

	/* Leaf 4: L1/L2 private (1 thread), L3 shared by 4; 4 cores per package. */
	assert_int_equal(find(c, 4, 0)->eax, 0x0c000121);
	assert_int_equal(find(c, 4, 2)->eax, 0x0c000143);
	assert_int_equal(find(c, 4, 3)->eax, 0x0c00c163);
	assert_int_equal(find(c, 4, 4)->eax, 0);

	/* Leaf 0xA: no PMU. */
	e = find(c, 0xA, 0);
	assert_int_equal(e->eax | e->ebx | e->ecx | e->edx, 0);

	/* Leaves 0xB and 0x1F: SMT (1 thread), core (4, shift 2), end; x2APIC id 3 everywhere. */
	for (uint32_t leaf = 0xB; leaf <= 0x1F; leaf += 0x1F - 0xB) {
		assert_int_equal(count(c, leaf), 3);
		e = find(c, leaf, 0);
		assert_int_equal(e->eax, 0);
		assert_int_equal(e->ebx, 1);
		assert_int_equal(e->ecx, 0x100);
		assert_int_equal(e->edx, 3);
		assert_int_equal(e->flags, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
		e = find(c, leaf, 1);
		assert_int_equal(e->eax, 2);
		assert_int_equal(e->ebx, 4);
		assert_int_equal(e->ecx, 0x201);
		assert_int_equal(e->edx, 3);
		e = find(c, leaf, 2);
		assert_int_equal(e->ebx, 0);
		assert_int_equal(e->ecx, 2);
	}
	/* PV: signature and features kept, nothing else in the hypervisor range. */
	e = find(c, 0x40000000, 0);
	assert_int_equal(e->eax, 0x40000001);
	assert_memory_equal(&e->ebx, "KVMK", 4);
	assert_memory_equal(&e->ecx, "VMKV", 4);
	assert_memory_equal(&e->edx, "M\0\0\0", 4);
	assert_int_equal(find(c, 0x40000001, 0)->eax, 0x01007afb);
	assert_null(find(c, 0x40000010, 0));
	assert_non_null(find(c, 0x80000000, 0));
}

static void test_single_cpu_no_paravirt(void **state)
{
	_cleanup_free_ struct kvm_cpuid2 *c = synthetic();
	cella_err_t err = NULL;
	struct kvm_cpuid_entry2 *e;

	assert_int_equal(vmm_platform__cpuid_edit(c, CAPACITY, 0, 1, false, &err), 0);
	e = find(c, 1, 0);
	assert_int_equal(e->ebx >> 16, 0x0001);
	assert_int_equal(e->edx & (1U << 28), 0);
	assert_int_equal(e->ecx & (1U << 31), 1U << 31); /* still says "hypervisor" */
	assert_int_equal(find(c, 4, 3)->eax, 0x00000163);
	assert_int_equal(find(c, 0xB, 1)->eax, 0);
	assert_int_equal(find(c, 0xB, 1)->ebx, 1);
	assert_null(find(c, 0x40000000, 0));
	assert_null(find(c, 0x40000001, 0));
	assert_null(find(c, 0x40000010, 0));
}

static void test_adds_missing_leaves(void **state)
{
	_cleanup_free_ struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + CAPACITY * sizeof(c->entries[0]));
	cella_err_t err = NULL;

	assert_non_null(c);
	c->nent = 2;
	c->entries[0] = (struct kvm_cpuid_entry2){.function = 0, .eax = 0xB};
	c->entries[1] = (struct kvm_cpuid_entry2){.function = 1};
	assert_int_equal(vmm_platform__cpuid_edit(c, CAPACITY, 1, 2, true, &err), 0);
	assert_int_equal(count(c, 0xB), 3);
	assert_int_equal(count(c, 0x1F), 0); /* beyond the maximum basic leaf */
	assert_memory_equal(&find(c, 0x40000000, 0)->ebx, "KVMK", 4);
	assert_non_null(find(c, 0x40000001, 0));
}

static void test_errors(void **state)
{
	_cleanup_free_ struct kvm_cpuid2 *c = synthetic();
	_cleanup_error_ cella_err_t err = NULL;
	unsigned nent = c->nent;

	assert_true(vmm_platform__cpuid_edit(c, CAPACITY, 2, 2, true, &err) < 0);
	assert_string_equal(cella_error_string(err), "CPUID: vCPU 2 of 2 (supported: 1..254 vCPUs)");
	cella_error_release(&err);
	assert_true(vmm_platform__cpuid_edit(c, CAPACITY, 0, 255, true, &err) < 0);
	cella_error_release(&err);
	assert_true(vmm_platform__cpuid_edit(c, 3, 0, 1, true, &err) < 0);
	assert_string_equal(cella_error_string(err), "CPUID: 14 entries exceed the capacity 3");
	cella_error_release(&err);
	/* Room for the table but not for the topology leaves it must add. */
	assert_true(vmm_platform__cpuid_edit(c, nent, 0, 1, true, &err) < 0);
	assert_string_equal(cella_error_string(err), "CPUID table full (14 entries)");
}

static void test_kvm_wrapper(void **state)
{
	_cleanup_close_ int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	_cleanup_free_ struct kvm_cpuid2 *c = NULL;
	cella_err_t err = NULL;
	struct kvm_cpuid_entry2 *e;

	if (fd < 0) {
		print_message("/dev/kvm cannot be opened: the wrapper's ioctl is not exercised\n");
		skip();
	}
	if (vmm_platform__cpuid(fd, 1, 2, false, &c, &err) < 0)
		fail_msg("%s", cella_error_string(err));
	e = find(c, 1, 0);
	assert_non_null(e);
	assert_int_equal(e->ebx >> 24, 1);
	assert_int_equal(e->ecx & (1U << 31), 1U << 31);
	assert_null(find(c, 0x40000000, 0));
	free(c);
	c = NULL;
	assert_int_equal(vmm_platform__cpuid(fd, 0, 2, true, &c, &err), 0);
	assert_memory_equal(&find(c, 0x40000000, 0)->ebx, "KVMK", 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topology_and_ids),    cmocka_unit_test(test_single_cpu_no_paravirt),
		cmocka_unit_test(test_adds_missing_leaves), cmocka_unit_test(test_errors),
		cmocka_unit_test(test_kvm_wrapper),
	};

	return cmocka_run_group_tests_name("vmm-platform-cpuid", tests, NULL, NULL);
}
