// SPDX-License-Identifier: GPL-2.0-or-later
/* Initial vCPU state for each entry mode (pure: no /dev/kvm needed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "boot-test.h"

/* What KVM_GET_SREGS returns after reset, roughly: real mode, CD/NW set. */
static struct kvm_sregs reset_sregs(void)
{
	struct kvm_sregs s;

	memset(&s, 0, sizeof(s));
	s.cr0 = 0x60000010;
	s.cs.selector = 0xf000;
	s.cs.base = 0xffff0000;
	return s;
}

static void test_linux64(void **state)
{
	struct vmm_boot_result b = {.mode = VMM_ENTRY_LINUX64,
				    .entry = 0x1000200,
				    .rsi = 0x7000,
				    .pml4_gpa = BOOT_PML4_GPA,
				    .gdt_gpa = BOOT_GDT_GPA};
	struct kvm_sregs s = reset_sregs();
	struct kvm_regs r;

	vmm_boot__setup_sregs(&b, &s);
	assert_int_equal(s.cr0, 0x80000011ULL); /* PG | ET | PE, caches on */
	assert_int_equal(s.cr3, BOOT_PML4_GPA);
	assert_int_equal(s.cr4, 0x20);	 /* PAE */
	assert_int_equal(s.efer, 0x500); /* LME | LMA */
	assert_int_equal(s.cs.selector, 0x10);
	assert_int_equal(s.cs.l, 1);
	assert_int_equal(s.cs.db, 0);
	assert_int_equal(s.cs.type, 11);
	assert_int_equal(s.cs.base, 0);
	assert_int_equal(s.ds.selector, 0x18);
	assert_int_equal(s.ss.type, 3);
	assert_int_equal(s.ss.db, 1);
	assert_int_equal(s.tr.selector, 0x20);
	assert_int_equal(s.tr.type, 11);
	assert_int_equal(s.gdt.base, BOOT_GDT_GPA);
	assert_int_equal(s.gdt.limit, 47);
	assert_int_equal(s.idt.base, BOOT_IDT_GPA);

	vmm_boot__setup_regs(&b, &r);
	assert_int_equal(r.rip, 0x1000200);
	assert_int_equal(r.rsi, 0x7000);
	assert_int_equal(r.rflags, 2);
	assert_int_equal(r.rsp, BOOT_STACK_GPA);
}

static void check_32bit(enum vmm_entry_mode mode)
{
	struct vmm_boot_result b = {.mode = mode, .entry = 0x200040, .rbx = 0x6000, .rax = 0x2BADB002};
	struct kvm_sregs s = reset_sregs();
	struct kvm_regs r;

	s.efer = 0x500; /* must be cleared */
	s.cr4 = 0x20;
	vmm_boot__setup_sregs(&b, &s);
	assert_int_equal(s.cr0, 0x11); /* PE | ET: paging off */
	assert_int_equal(s.cr4, 0);
	assert_int_equal(s.efer, 0);
	assert_int_equal(s.cs.l, 0);
	assert_int_equal(s.cs.db, 1);
	assert_int_equal(s.cs.g, 1);
	assert_int_equal(s.cs.limit, 0xffffffff);
	assert_int_equal(s.es.selector, 0x18);
	vmm_boot__setup_regs(&b, &r);
	assert_int_equal(r.rip, 0x200040);
	assert_int_equal(r.rbx, 0x6000);
	assert_int_equal(r.rax, 0x2BADB002);
	assert_int_equal(r.rflags, 2);
}

static void test_pvh(void **state)
{
	check_32bit(VMM_ENTRY_PVH32);
}

static void test_multiboot(void **state)
{
	check_32bit(VMM_ENTRY_MULTIBOOT32);
}

static void test_gdt_entry(void **state)
{
	assert_int_equal(boot__gdt_entry(0xa09b, 0, 0xfffff), 0x00af9b000000ffffULL);
	assert_int_equal(boot__gdt_entry(0xc09b, 0, 0xfffff), 0x00cf9b000000ffffULL);
	assert_int_equal(boot__gdt_entry(0xc093, 0, 0xfffff), 0x00cf93000000ffffULL);
	assert_int_equal(boot__gdt_entry(0x008b, 0x12345678, 0x67), 0x12008b3456780067ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linux64),
		cmocka_unit_test(test_pvh),
		cmocka_unit_test(test_multiboot),
		cmocka_unit_test(test_gdt_entry),
	};

	return cmocka_run_group_tests_name("vmm-boot-regs", tests, NULL, test_remove_leftovers);
}
