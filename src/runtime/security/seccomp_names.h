/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_SECCOMP_NAMES_H
#define CELLA_RUNTIME_SECCOMP_NAMES_H

/*
 * The runtime-spec's seccomp vocabulary (actions, operators, architectures,
 * flags) and what libseccomp calls each; shared by the parser and by
 * `features`, so the two can never disagree.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <seccomp.h>

struct sec_seccomp_action_name {
	const char *name;
	uint32_t action; /* for ERRNO/TRACE: the base, errno ORed in */
	bool takes_errno;
};

struct sec_seccomp_op_name {
	const char *name;
	enum scmp_compare op;
};

struct sec_seccomp_arch_name {
	const char *name;
	uint32_t arch; /* 0: this libseccomp does not know it */
};

enum sec_seccomp_flag {
	SEC_FLAG_TSYNC,
	SEC_FLAG_LOG,
	SEC_FLAG_SPEC_ALLOW,
	SEC_FLAG_WAIT_KILLABLE_RECV,
	SEC_FLAG_COUNT,
};

struct sec_seccomp_flag_name {
	const char *name;
	unsigned long kernel_flag; /* SECCOMP_FILTER_FLAG_* */
	unsigned min_api;	   /* libseccomp API level that applies it; 0 = none does */
};

extern const struct sec_seccomp_action_name sec_seccomp_actions[];
extern const size_t sec_seccomp_n_actions;
extern const struct sec_seccomp_op_name sec_seccomp_ops[];
extern const size_t sec_seccomp_n_ops;
extern const struct sec_seccomp_arch_name sec_seccomp_archs[];
extern const size_t sec_seccomp_n_archs;
extern const struct sec_seccomp_flag_name sec_seccomp_flags[SEC_FLAG_COUNT];

#endif
