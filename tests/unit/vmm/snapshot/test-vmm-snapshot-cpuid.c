/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The restore-time CPU check: every feature the guest saw must be on this host, named when it is not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cella/cleanup.h>

#include "snapshot/snapshot.h"

struct table {
	struct kvm_cpuid2 hdr;
	struct kvm_cpuid_entry2 e[8];
};

/* GenuineIntel with SSE4.2/AVX/XSAVE (leaf 1), AVX2/BMI2 (leaf 7) and x87/SSE/AVX state (leaf 0xd). */
static void intel(struct table *t)
{
	memset(t, 0, sizeof(*t));
	t->hdr.nent = 4;
	t->e[0] = (struct kvm_cpuid_entry2){.function = 0, .eax = 0xd};
	memcpy(&t->e[0].ebx, "Genu", 4);
	memcpy(&t->e[0].edx, "ineI", 4);
	memcpy(&t->e[0].ecx, "ntel", 4);
	t->e[1] = (struct kvm_cpuid_entry2){
		.function = 1, .ecx = (1U << 20) | (1U << 26) | (1U << 28), .edx = 1};
	t->e[2] = (struct kvm_cpuid_entry2){.function = 7,
					    .index = 0,
					    .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
					    .ebx = (1U << 5) | (1U << 8)};
	t->e[3] = (struct kvm_cpuid_entry2){
		.function = 0xd, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 7};
}

static void test_same_host_passes(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	struct table saved, host;

	intel(&saved);
	intel(&host);
	assert_int_equal(vmm_snapshot__check_cpuid(&saved.hdr, &host.hdr, &err), 0);
	/* A host with more features is fine too. */
	host.e[2].ebx |= 1U << 16;
	assert_int_equal(vmm_snapshot__check_cpuid(&saved.hdr, &host.hdr, &err), 0);
}

static void test_missing_feature_named(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	struct table saved, host;
	const char *msg;

	intel(&saved);
	intel(&host);
	host.e[2].ebx &= ~(1U << 5);  /* no AVX2 */
	host.e[1].ecx &= ~(1U << 20); /* no SSE4.2 */
	assert_true(vmm_snapshot__check_cpuid(&saved.hdr, &host.hdr, &err) < 0);
	msg = cella_error_string(err);
	assert_non_null(strstr(msg, "avx2 (CPUID.(EAX=0x7,ECX=0).EBX[5])"));
	assert_non_null(strstr(msg, "sse4_2 (CPUID.(EAX=0x1,ECX=0).ECX[20])"));
	assert_null(strstr(msg, "bmi2"));
}

static void test_missing_leaf_and_xsave_state(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	struct table saved, host;

	intel(&saved);
	intel(&host);
	host.hdr.nent = 3; /* no leaf 0xd at all: every XSAVE component the guest used is missing */
	assert_true(vmm_snapshot__check_cpuid(&saved.hdr, &host.hdr, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "xsave_avx"));
	cella_error_release(&err);

	/* An unnamed bit is still reported, by position. */
	intel(&host);
	saved.e[2].ebx |= 1U << 1;
	saved.hdr.nent = 3;
	assert_true(vmm_snapshot__check_cpuid(&saved.hdr, &host.hdr, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "unnamed feature (CPUID.(EAX=0x7,ECX=0).EBX[1])"));
}

static void test_os_state_bits_ignored(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	struct table saved, host;

	/* OSXSAVE and HYPERVISOR reflect the guest OS and the VMM, not the host CPU. */
	intel(&saved);
	intel(&host);
	saved.e[1].ecx |= (1U << 27) | (1U << 31);
	assert_int_equal(vmm_snapshot__check_cpuid(&saved.hdr, &host.hdr, &err), 0);
}

static void test_vendor_mismatch(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	struct table saved, host;

	intel(&saved);
	intel(&host);
	memcpy(&host.e[0].ebx, "Auth", 4);
	memcpy(&host.e[0].edx, "enti", 4);
	memcpy(&host.e[0].ecx, "cAMD", 4);
	assert_true(vmm_snapshot__check_cpuid(&saved.hdr, &host.hdr, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "GenuineIntel"));
	assert_non_null(strstr(cella_error_string(err), "AuthenticAMD"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_host_passes),
		cmocka_unit_test(test_missing_feature_named),
		cmocka_unit_test(test_missing_leaf_and_xsave_state),
		cmocka_unit_test(test_os_state_bits_ignored),
		cmocka_unit_test(test_vendor_mismatch),
	};

	return cmocka_run_group_tests_name("vmm-snapshot-cpuid", tests, NULL, NULL);
}
