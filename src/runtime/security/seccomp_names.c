// SPDX-License-Identifier: GPL-2.0-or-later
/* The runtime-spec 1.2 seccomp names and their libseccomp values. */
#include "security/seccomp_names.h"

#include <linux/seccomp.h>

const struct sec_seccomp_action_name sec_seccomp_actions[] = {
	{"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false},
	{"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
	{"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
	{"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
	{"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
	{"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
	{"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
	{"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
	{"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
};
const size_t sec_seccomp_n_actions = sizeof(sec_seccomp_actions) / sizeof(sec_seccomp_actions[0]);

const struct sec_seccomp_op_name sec_seccomp_ops[] = {
	{"SCMP_CMP_NE", SCMP_CMP_NE},
	{"SCMP_CMP_LT", SCMP_CMP_LT},
	{"SCMP_CMP_LE", SCMP_CMP_LE},
	{"SCMP_CMP_EQ", SCMP_CMP_EQ},
	{"SCMP_CMP_GE", SCMP_CMP_GE},
	{"SCMP_CMP_GT", SCMP_CMP_GT},
	{"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};
const size_t sec_seccomp_n_ops = sizeof(sec_seccomp_ops) / sizeof(sec_seccomp_ops[0]);

/* Every architecture name in runtime-spec 1.2; 0 where this libseccomp lacks it. */
#ifndef SCMP_ARCH_RISCV64
#define SCMP_ARCH_RISCV64 0
#endif
#ifndef SCMP_ARCH_LOONGARCH64
#define SCMP_ARCH_LOONGARCH64 0
#endif
#ifndef SCMP_ARCH_M68K
#define SCMP_ARCH_M68K 0
#endif
#ifndef SCMP_ARCH_SH
#define SCMP_ARCH_SH 0
#endif
#ifndef SCMP_ARCH_SHEB
#define SCMP_ARCH_SHEB 0
#endif
const struct sec_seccomp_arch_name sec_seccomp_archs[] = {
	{"SCMP_ARCH_X86", SCMP_ARCH_X86},
	{"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
	{"SCMP_ARCH_X32", SCMP_ARCH_X32},
	{"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
	{"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
	{"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
	{"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
	{"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
	{"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
	{"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
	{"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
	{"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
	{"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
	{"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
	{"SCMP_ARCH_S390", SCMP_ARCH_S390},
	{"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
	{"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
	{"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
	{"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
	{"SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64},
	{"SCMP_ARCH_M68K", SCMP_ARCH_M68K},
	{"SCMP_ARCH_SH", SCMP_ARCH_SH},
	{"SCMP_ARCH_SHEB", SCMP_ARCH_SHEB},
};
const size_t sec_seccomp_n_archs = sizeof(sec_seccomp_archs) / sizeof(sec_seccomp_archs[0]);

/*
 * min_api: the libseccomp API level (seccomp_api_get) at which the matching
 * filter attribute works. WAIT_KILLABLE_RECV needs SCMP_FLTATR_CTL_WAITKILL
 * (libseccomp 2.6, API 7); older headers cannot apply it at all.
 */
const struct sec_seccomp_flag_name sec_seccomp_flags[SEC_FLAG_COUNT] = {
	[SEC_FLAG_TSYNC] = {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC, 2},
	[SEC_FLAG_LOG] = {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG, 3},
	[SEC_FLAG_SPEC_ALLOW] = {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW, 4},
#ifdef SCMP_FLTATR_CTL_WAITKILL
	[SEC_FLAG_WAIT_KILLABLE_RECV] = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1UL << 5, 7},
#else
	[SEC_FLAG_WAIT_KILLABLE_RECV] = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1UL << 5, 0},
#endif
};
