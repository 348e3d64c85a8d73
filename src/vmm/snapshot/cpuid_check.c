// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Can this host run the guest a snapshot was taken of? The guest saw a CPUID
 * table and may be using any feature it advertised (AVX2 in a loop, XSAVE
 * state components in its context switches); restoring on a host without one
 * of them would crash the guest later in ways no one can debug. So every
 * feature bit the guest saw must be supported here, and the vendor must match.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/snapshot_internal.h"

enum cpuid_reg { EAX, EBX, ECX, EDX };

/* Leaves whose registers are feature bitmaps. Other leaves hold values (cache sizes, topology), not features. */
struct feature_leaf {
	uint32_t function, index;
	enum cpuid_reg reg;
	uint32_t ignore; /* bits that mirror OS state (OSXSAVE, OSPKE) or that the VMM sets (HYPERVISOR) */
};

static const struct feature_leaf feature_leaves[] = {
	{0x1, 0, ECX, (1U << 27) | (1U << 31)},
	{0x1, 0, EDX, 0},
	{0x7, 0, EBX, 0},
	{0x7, 0, ECX, 1U << 4},
	{0x7, 0, EDX, 0},
	{0x7, 1, EAX, 0},
	{0xd, 0, EAX, 0}, /* XCR0 state components: XRSTOR of a component the host lacks faults */
	{0xd, 0, EDX, 0},
	{0xd, 1, EAX, 0},
	{0x80000001, 0, ECX, 0},
	{0x80000001, 0, EDX, 0},
	{0x80000008, 0, EBX, 0},
	{0x40000001, 0, EAX, 0}, /* KVM paravirtual features */
};

struct feature_name {
	uint32_t function, index;
	enum cpuid_reg reg;
	unsigned bit;
	const char *name;
};

static const struct feature_name feature_names[] = {
	{0x1, 0, ECX, 0, "sse3"},
	{0x1, 0, ECX, 1, "pclmulqdq"},
	{0x1, 0, ECX, 9, "ssse3"},
	{0x1, 0, ECX, 12, "fma"},
	{0x1, 0, ECX, 13, "cx16"},
	{0x1, 0, ECX, 17, "pcid"},
	{0x1, 0, ECX, 19, "sse4_1"},
	{0x1, 0, ECX, 20, "sse4_2"},
	{0x1, 0, ECX, 21, "x2apic"},
	{0x1, 0, ECX, 22, "movbe"},
	{0x1, 0, ECX, 23, "popcnt"},
	{0x1, 0, ECX, 24, "tsc_deadline"},
	{0x1, 0, ECX, 25, "aes"},
	{0x1, 0, ECX, 26, "xsave"},
	{0x1, 0, ECX, 28, "avx"},
	{0x1, 0, ECX, 29, "f16c"},
	{0x1, 0, ECX, 30, "rdrand"},
	{0x1, 0, EDX, 0, "fpu"},
	{0x1, 0, EDX, 4, "tsc"},
	{0x1, 0, EDX, 5, "msr"},
	{0x1, 0, EDX, 6, "pae"},
	{0x1, 0, EDX, 8, "cx8"},
	{0x1, 0, EDX, 9, "apic"},
	{0x1, 0, EDX, 11, "sep"},
	{0x1, 0, EDX, 12, "mtrr"},
	{0x1, 0, EDX, 13, "pge"},
	{0x1, 0, EDX, 15, "cmov"},
	{0x1, 0, EDX, 16, "pat"},
	{0x1, 0, EDX, 19, "clflush"},
	{0x1, 0, EDX, 23, "mmx"},
	{0x1, 0, EDX, 24, "fxsr"},
	{0x1, 0, EDX, 25, "sse"},
	{0x1, 0, EDX, 26, "sse2"},
	{0x7, 0, EBX, 0, "fsgsbase"},
	{0x7, 0, EBX, 3, "bmi1"},
	{0x7, 0, EBX, 5, "avx2"},
	{0x7, 0, EBX, 7, "smep"},
	{0x7, 0, EBX, 8, "bmi2"},
	{0x7, 0, EBX, 9, "erms"},
	{0x7, 0, EBX, 10, "invpcid"},
	{0x7, 0, EBX, 11, "rtm"},
	{0x7, 0, EBX, 16, "avx512f"},
	{0x7, 0, EBX, 17, "avx512dq"},
	{0x7, 0, EBX, 18, "rdseed"},
	{0x7, 0, EBX, 19, "adx"},
	{0x7, 0, EBX, 20, "smap"},
	{0x7, 0, EBX, 23, "clflushopt"},
	{0x7, 0, EBX, 24, "clwb"},
	{0x7, 0, EBX, 28, "avx512cd"},
	{0x7, 0, EBX, 29, "sha_ni"},
	{0x7, 0, EBX, 30, "avx512bw"},
	{0x7, 0, EBX, 31, "avx512vl"},
	{0x7, 0, ECX, 1, "avx512vbmi"},
	{0x7, 0, ECX, 2, "umip"},
	{0x7, 0, ECX, 3, "pku"},
	{0x7, 0, ECX, 8, "gfni"},
	{0x7, 0, ECX, 9, "vaes"},
	{0x7, 0, ECX, 10, "vpclmulqdq"},
	{0x7, 0, ECX, 11, "avx512_vnni"},
	{0x7, 0, ECX, 22, "rdpid"},
	{0x7, 0, EDX, 4, "fsrm"},
	{0x7, 0, EDX, 10, "md_clear"},
	{0x7, 0, EDX, 14, "serialize"},
	{0x7, 0, EDX, 26, "spec_ctrl"},
	{0x7, 0, EDX, 27, "intel_stibp"},
	{0x7, 0, EDX, 29, "arch_capabilities"},
	{0x7, 0, EDX, 31, "ssbd"},
	{0xd, 0, EAX, 0, "xsave_x87"},
	{0xd, 0, EAX, 1, "xsave_sse"},
	{0xd, 0, EAX, 2, "xsave_avx"},
	{0xd, 0, EAX, 5, "xsave_opmask"},
	{0xd, 0, EAX, 6, "xsave_zmm_hi256"},
	{0xd, 0, EAX, 7, "xsave_hi16_zmm"},
	{0xd, 0, EAX, 9, "xsave_pkru"},
	{0xd, 0, EAX, 17, "xsave_amx_tilecfg"},
	{0xd, 0, EAX, 18, "xsave_amx_tiledata"},
	{0xd, 1, EAX, 0, "xsaveopt"},
	{0xd, 1, EAX, 1, "xsavec"},
	{0xd, 1, EAX, 2, "xgetbv1"},
	{0xd, 1, EAX, 3, "xsaves"},
	{0x80000001, 0, ECX, 0, "lahf_lm"},
	{0x80000001, 0, ECX, 5, "abm"},
	{0x80000001, 0, ECX, 6, "sse4a"},
	{0x80000001, 0, ECX, 8, "3dnowprefetch"},
	{0x80000001, 0, EDX, 11, "syscall"},
	{0x80000001, 0, EDX, 20, "nx"},
	{0x80000001, 0, EDX, 26, "pdpe1gb"},
	{0x80000001, 0, EDX, 27, "rdtscp"},
	{0x80000001, 0, EDX, 29, "lm"},
	{0x40000001, 0, EAX, 0, "kvm_clocksource"},
	{0x40000001, 0, EAX, 3, "kvm_clocksource2"},
	{0x40000001, 0, EAX, 4, "kvm_async_pf"},
	{0x40000001, 0, EAX, 5, "kvm_steal_time"},
	{0x40000001, 0, EAX, 6, "kvm_pv_eoi"},
	{0x40000001, 0, EAX, 24, "kvm_clocksource_stable"},
};

static const char *const reg_names[] = {"EAX", "EBX", "ECX", "EDX"};

static const struct kvm_cpuid_entry2 *find_leaf(const struct kvm_cpuid2 *c, uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == function &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index))
			return e;
	}
	return NULL;
}

static uint32_t reg_value(const struct kvm_cpuid_entry2 *e, enum cpuid_reg reg)
{
	switch (reg) {
	case EAX:
		return e->eax;
	case EBX:
		return e->ebx;
	case ECX:
		return e->ecx;
	default:
		return e->edx;
	}
}

static const char *feature_name(const struct feature_leaf *l, unsigned bit)
{
	for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++) {
		const struct feature_name *n = &feature_names[i];

		if (n->function == l->function && n->index == l->index && n->reg == l->reg && n->bit == bit)
			return n->name;
	}
	return NULL;
}

/* Appends "name (CPUID.(EAX=f,ECX=i).REG[bit])" to *list, comma-separated. */
static int append_missing(char **list, const struct feature_leaf *l, unsigned bit)
{
	const char *name = feature_name(l, bit);
	char *n = NULL;

	if (asprintf(&n, "%s%s%s (CPUID.(EAX=0x%x,ECX=%u).%s[%u])", *list ? *list : "", *list ? ", " : "",
		     name ? name : "unnamed feature", l->function, l->index, reg_names[l->reg], bit) < 0)
		return -1;
	free(*list);
	*list = n;
	return 0;
}

static void vendor_of(const struct kvm_cpuid_entry2 *e, char out[13])
{
	memcpy(out, &e->ebx, 4);
	memcpy(out + 4, &e->edx, 4);
	memcpy(out + 8, &e->ecx, 4);
	out[12] = '\0';
}

static int check_vendor(const struct kvm_cpuid2 *saved, const struct kvm_cpuid2 *host, cella_err_t *err)
{
	const struct kvm_cpuid_entry2 *s = find_leaf(saved, 0, 0), *h = find_leaf(host, 0, 0);
	char sv[13], hv[13];

	if (s == NULL || h == NULL)
		return 0;
	vendor_of(s, sv);
	vendor_of(h, hv);
	if (strcmp(sv, hv) != 0)
		return cella_error_make(err, 0, "snapshot was taken on a %s CPU; this host's CPU is %s", sv,
					hv);
	return 0;
}

int vmm_snapshot__check_cpuid(const struct kvm_cpuid2 *saved, const struct kvm_cpuid2 *host, cella_err_t *err)
{
	char *missing = NULL;
	int ret;

	if (check_vendor(saved, host, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(feature_leaves) / sizeof(feature_leaves[0]); i++) {
		const struct feature_leaf *l = &feature_leaves[i];
		const struct kvm_cpuid_entry2 *s = find_leaf(saved, l->function, l->index);
		const struct kvm_cpuid_entry2 *h = find_leaf(host, l->function, l->index);
		uint32_t lacking;

		if (s == NULL)
			continue;
		lacking = reg_value(s, l->reg) & ~l->ignore & ~(h ? reg_value(h, l->reg) : 0);
		for (unsigned bit = 0; bit < 32; bit++) {
			if ((lacking & (1U << bit)) && append_missing(&missing, l, bit) < 0) {
				free(missing);
				return cella_error_make(err, ENOMEM, "checking the snapshot's CPU features");
			}
		}
	}
	if (missing == NULL)
		return 0;
	ret = cella_error_make(
		err, 0, "the snapshot's guest uses CPU features this host does not support: %s", missing);
	free(missing);
	return ret;
}
