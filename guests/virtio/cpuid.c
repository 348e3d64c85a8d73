/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cpuid.elf: prints what the hypervisor CPUID leaves tell a guest, for
 * tests/integration/vmm_pv.sh (--cpu-profile). Leaf 1 ECX bit 31 says "running
 * under a hypervisor" and stays set either way; the leaves from 0x40000000 on
 * are what --cpu-profile switches:
 *   "hv signature: KVMKVMKVM" and "hv features: 0x..." (paravirt), or
 *   "hv signature: none" (full: the leaf reads as whatever the CPU returns for
 *   an unknown leaf, never the KVM signature).
 */
#include "lib.h"

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static bool is_kvm(const char *sig)
{
	static const char kvm[12] = "KVMKVMKVM\0\0\0";

	for (unsigned i = 0; i < sizeof(kvm); i++)
		if (sig[i] != kvm[i])
			return false;
	return true;
}

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	uint32_t a, b, c, d;
	char sig[12];

	cpuid(0x40000000U, &a, &b, &c, &d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	if (is_kvm(sig) && a >= 0x40000001U) {
		puts("hv signature: KVMKVMKVM\n");
		cpuid(0x40000001U, &a, &b, &c, &d);
		puts("hv features: ");
		put_hex(a);
		puts("\n");
	} else {
		puts("hv signature: none\n");
	}
	pass();
}
