/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.resources.devices: parsed into rules, written as v1 devices.allow/deny
 * lines or compiled into a cgroup v2 BPF_PROG_TYPE_CGROUP_DEVICE program (pure
 * functions; the bpf(2) calls are in devices_bpf.c). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "cgroup/cgroup_internal.h"

#define PREFIX	  "config.json: linux.resources.devices"
#define MAX_RULES 4096 /* far above any real config; keeps the program small */
#define ACC_ALL	  (CG_DEV_ACC_MKNOD | CG_DEV_ACC_READ | CG_DEV_ACC_WRITE)

static int parse_number(json_t *e, size_t i, const char *key, int64_t *out, cella_err_t *err)
{
	json_t *v = json_object_get(e, key);

	*out = -1;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return cella_error_make(err, EINVAL, "%s[%zu].%s: expected integer", PREFIX, i, key);
	if (json_integer_value(v) < -1 || json_integer_value(v) > UINT32_MAX)
		return cella_error_make(err, EINVAL, "%s[%zu].%s: %lld is out of range [-1, %u]", PREFIX, i,
					key, (long long)json_integer_value(v), UINT32_MAX);
	*out = json_integer_value(v);
	return 0;
}

static int parse_rule(json_t *e, size_t i, struct cgroup_dev_rule *r, cella_err_t *err)
{
	json_t *allow, *type, *access;

	if (!json_is_object(e))
		return cella_error_make(err, EINVAL, "%s[%zu]: expected object", PREFIX, i);
	allow = json_object_get(e, "allow");
	if (!json_is_boolean(allow))
		return cella_error_make(err, EINVAL, "%s[%zu].allow: expected boolean (required)", PREFIX, i);
	r->allow = json_is_true(allow);

	r->type = 'a';
	type = json_object_get(e, "type");
	if (type && !json_is_null(type)) {
		const char *t = json_is_string(type) ? json_string_value(type) : NULL;

		if (!t || strlen(t) != 1 || !strchr("abc", t[0]))
			return cella_error_make(
				err, EINVAL, "%s[%zu].type: expected one of \"a\", \"b\", \"c\"", PREFIX, i);
		r->type = t[0];
	}
	if (parse_number(e, i, "major", &r->major, err) < 0 ||
	    parse_number(e, i, "minor", &r->minor, err) < 0)
		return -1;

	/* Absent (or empty) access means every permission, as runc reads it. */
	r->access = 0;
	access = json_object_get(e, "access");
	if (access && !json_is_null(access)) {
		if (!json_is_string(access))
			return cella_error_make(err, EINVAL, "%s[%zu].access: expected string", PREFIX, i);
		for (const char *p = json_string_value(access); *p; p++) {
			unsigned bit = *p == 'r'   ? CG_DEV_ACC_READ
				       : *p == 'w' ? CG_DEV_ACC_WRITE
				       : *p == 'm' ? CG_DEV_ACC_MKNOD
						   : 0;

			if (!bit)
				return cella_error_make(
					err, EINVAL, "%s[%zu].access: '%s' is not a combination of r, w, m",
					PREFIX, i, json_string_value(access));
			r->access |= bit;
		}
	}
	if (!r->access)
		r->access = ACC_ALL;
	return 0;
}

int cgroup_dev_rules_parse(json_t *devices, struct cgroup_dev_rule **rules, size_t *n, cella_err_t *err)
{
	_cleanup_free_ struct cgroup_dev_rule *out = NULL;
	size_t count, i;
	json_t *e;

	*rules = NULL;
	*n = 0;
	if (!json_is_array(devices))
		return cella_error_make(err, EINVAL, "%s: expected array", PREFIX);
	count = json_array_size(devices);
	if (count > MAX_RULES)
		return cella_error_make(err, E2BIG, "%s: %zu rules, at most %d are supported", PREFIX, count,
					MAX_RULES);
	out = calloc(count ? count : 1, sizeof(*out));
	if (!out)
		return cella_error_make(err, ENOMEM, "%s: out of memory", PREFIX);
	json_array_foreach (devices, i, e)
		if (parse_rule(e, i, &out[i], err) < 0)
			return -1;
	*rules = steal_pointer(&out);
	*n = count;
	return 0;
}

void cgroup_dev_rule_v1_line(const struct cgroup_dev_rule *r, char *buf, size_t size)
{
	char major[24] = "*", minor[24] = "*", access[4];
	size_t a = 0;

	if (r->major >= 0)
		snprintf(major, sizeof(major), "%lld", (long long)r->major);
	if (r->minor >= 0)
		snprintf(minor, sizeof(minor), "%lld", (long long)r->minor);
	if (r->access & CG_DEV_ACC_READ)
		access[a++] = 'r';
	if (r->access & CG_DEV_ACC_WRITE)
		access[a++] = 'w';
	if (r->access & CG_DEV_ACC_MKNOD)
		access[a++] = 'm';
	access[a] = '\0';
	snprintf(buf, size, "%c %s:%s %s", r->type, major, minor, access);
}

/* Instruction encoders (the kernel's filter.h macros are not in the uapi headers). */
static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

static struct bpf_insn ldx_w(uint8_t dst, uint8_t src, int16_t off)
{
	return insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0);
}

static struct bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm)
{
	return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}

static struct bpf_insn mov32_reg(uint8_t dst, uint8_t src)
{
	return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}

/* 32-bit compares: major/minor are u32 and must not meet sign extension of imm. */
static struct bpf_insn jmp32_imm(uint8_t op, uint8_t dst, int32_t imm, int16_t off)
{
	return insn(BPF_JMP32 | op | BPF_K, dst, 0, off, imm);
}

static struct bpf_insn mov64_imm(uint8_t dst, int32_t imm)
{
	return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}

static struct bpf_insn exit_insn(void)
{
	return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

enum { R0, R1, R2, R3, R4, R5 };

/* The number of instructions the checks of a rule take (before its "return"). */
static size_t rule_checks(const struct cgroup_dev_rule *r)
{
	return (r->type != 'a') + (r->access != ACC_ALL ? 3 : 0) + (r->major >= 0) + (r->minor >= 0);
}

/*
 * Program: r2 = device type, r3 = requested access, r4 = major, r5 = minor
 * (struct bpf_cgroup_dev_ctx: access_type = access << 16 | type). Then one block per
 * rule, last rule first, so the last matching rule decides as in a v1 cgroup; each
 * failed check jumps to the next block. No match: deny. Blocks that cannot be
 * reached (before a catch-all rule) are left out.
 * An allow rule matches when every requested permission is in the rule; a deny
 * rule when any requested permission is in it, so partial overlaps deny.
 */
int cgroup_dev_build_prog(const struct cgroup_dev_rule *rules, size_t n, struct bpf_insn **insns,
			  size_t *n_insns, cella_err_t *err)
{
	size_t total = 6 + 2, k = 0, first = 0;
	_cleanup_free_ struct bpf_insn *p = NULL;

	/* A rule without checks decides everything: the rules before it (and the default)
	 * would be unreachable code, which the verifier refuses. */
	for (size_t i = n; i-- > 0;)
		if (rule_checks(&rules[i]) == 0) {
			first = i;
			break;
		}
	for (size_t i = first; i < n; i++)
		total += rule_checks(&rules[i]) + 2;
	p = calloc(total, sizeof(*p));
	if (!p)
		return cella_error_make(err, ENOMEM, "devices: out of memory");

	p[k++] = ldx_w(R2, R1, 0);
	p[k++] = mov32_reg(R3, R2);
	p[k++] = alu32_imm(BPF_AND, R2, 0xffff);
	p[k++] = alu32_imm(BPF_RSH, R3, 16);
	p[k++] = ldx_w(R4, R1, 4);
	p[k++] = ldx_w(R5, R1, 8);

	for (size_t i = n; i-- > first;) {
		const struct cgroup_dev_rule *r = &rules[i];
		size_t end = k + rule_checks(r); /* index of the block's "r0 = allow" */
#define SKIP ((int16_t)(end + 2 - (k + 1)))	 /* jump offset from p[k] past this block */

		if (r->type != 'a') {
			p[k] = jmp32_imm(BPF_JNE, R2,
					 r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, SKIP);
			k++;
		}
		if (r->access != ACC_ALL) {
			p[k++] = mov32_reg(R1, R3);
			if (r->allow) {
				p[k++] = alu32_imm(BPF_AND, R1, (int32_t)(~r->access & ACC_ALL));
				p[k] = jmp32_imm(BPF_JNE, R1, 0, SKIP);
			} else {
				p[k++] = alu32_imm(BPF_AND, R1, (int32_t)r->access);
				p[k] = jmp32_imm(BPF_JEQ, R1, 0, SKIP);
			}
			k++;
		}
		if (r->major >= 0) {
			p[k] = jmp32_imm(BPF_JNE, R4, (int32_t)(uint32_t)r->major, SKIP);
			k++;
		}
		if (r->minor >= 0) {
			p[k] = jmp32_imm(BPF_JNE, R5, (int32_t)(uint32_t)r->minor, SKIP);
			k++;
		}
#undef SKIP
		p[k++] = mov64_imm(R0, r->allow ? 1 : 0);
		p[k++] = exit_insn();
	}
	if (n == 0 || rule_checks(&rules[first]) != 0) {
		p[k++] = mov64_imm(R0, 0);
		p[k++] = exit_insn();
	}

	*n_insns = k;
	*insns = steal_pointer(&p);
	return 0;
}
