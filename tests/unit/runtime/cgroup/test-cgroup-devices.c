/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Device rules: parsing, v1 lines, and the v2 eBPF program. The program is
 * checked instruction by instruction and also run by a tiny interpreter of the
 * instructions it may use, so the rule semantics are tested, not just bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cgroup/cgroup_internal.h"

static struct cgroup_dev_rule *parse(const char *text, size_t *n)
{
	json_t *j = json_loads(text, 0, NULL);
	struct cgroup_dev_rule *rules = NULL;
	cella_err_t err = NULL;

	assert_non_null(j);
	if (cgroup_dev_rules_parse(j, &rules, n, &err) < 0)
		fail_msg("%s", cella_error_string(err));
	json_decref(j);
	return rules;
}

/* Runs prog on struct bpf_cgroup_dev_ctx {access_type, major, minor}; returns r0. */
static int run(const struct bpf_insn *p, size_t n, unsigned type, unsigned access, uint32_t major,
	       uint32_t minor)
{
	uint32_t ctx[3] = {(access << 16) | type, major, minor};
	uint64_t r[11] = {0};

	for (size_t pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &p[pc];
		uint32_t dst32 = (uint32_t)r[i->dst_reg];

		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W:
			assert_int_equal(i->src_reg, 1);
			assert_true(i->off >= 0 && i->off <= 8 && i->off % 4 == 0);
			r[i->dst_reg] = ctx[i->off / 4];
			break;
		case BPF_ALU | BPF_MOV | BPF_X:
			r[i->dst_reg] = (uint32_t)r[i->src_reg];
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			r[i->dst_reg] = dst32 & (uint32_t)i->imm;
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			r[i->dst_reg] = dst32 >> i->imm;
			break;
		case BPF_ALU64 | BPF_MOV | BPF_K:
			r[i->dst_reg] = (uint64_t)(int64_t)i->imm;
			break;
		case BPF_JMP32 | BPF_JNE | BPF_K:
		case BPF_JMP32 | BPF_JEQ | BPF_K: {
			bool eq = dst32 == (uint32_t)i->imm;

			if ((BPF_OP(i->code) == BPF_JEQ) == eq) {
				assert_true(i->off >= 0 && pc + 1 + (size_t)i->off < n);
				pc += (size_t)i->off;
			}
			break;
		}
		case BPF_JMP | BPF_EXIT:
			return (int)r[0];
		default:
			fail_msg("unexpected opcode 0x%x at %zu", i->code, pc);
		}
	}
	fail_msg("program ran off its end");
	return -1;
}

#define R   BPF_DEVCG_ACC_READ
#define W   BPF_DEVCG_ACC_WRITE
#define M   BPF_DEVCG_ACC_MKNOD
#define CHR BPF_DEVCG_DEV_CHAR
#define BLK BPF_DEVCG_DEV_BLOCK

static void build(const char *text, struct bpf_insn **prog, size_t *n)
{
	size_t nrules;
	struct cgroup_dev_rule *rules = parse(text, &nrules);
	cella_err_t err = NULL;

	assert_int_equal(cgroup_dev_build_prog(rules, nrules, prog, n, &err), 0);
	free(rules);
}

static void test_parse_and_v1_lines(void **state)
{
	size_t n;
	struct cgroup_dev_rule *r =
		parse("[{\"allow\":false,\"access\":\"rwm\"},"
		      "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"},"
		      "{\"allow\":true,\"type\":\"b\",\"major\":8,\"access\":\"m\"},"
		      "{\"allow\":false,\"type\":\"c\",\"major\":-1,\"minor\":5}]",
		      &n);
	char line[64];

	assert_int_equal(n, 4);
	assert_false(r[0].allow);
	assert_int_equal(r[0].type, 'a');
	cgroup_dev_rule_v1_line(&r[0], line, sizeof(line));
	assert_string_equal(line, "a *:* rwm");
	cgroup_dev_rule_v1_line(&r[1], line, sizeof(line));
	assert_string_equal(line, "c 1:3 rw");
	cgroup_dev_rule_v1_line(&r[2], line, sizeof(line));
	assert_string_equal(line, "b 8:* m");
	cgroup_dev_rule_v1_line(&r[3], line, sizeof(line));
	assert_string_equal(line, "c *:5 rwm"); /* absent access = every permission */
	free(r);
}

static void test_prog_instructions(void **state)
{
	struct bpf_insn *p;
	size_t n;

	build("[{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"}]", &p, &n);
	/* prologue 6 + rule (type, 3 access, major, minor, mov, exit) 8 + default 2 */
	assert_int_equal(n, 16);
	assert_int_equal(p[0].code, BPF_LDX | BPF_MEM | BPF_W);
	assert_int_equal(p[0].dst_reg, 2);
	assert_int_equal(p[0].off, 0);
	assert_int_equal(p[2].code, BPF_ALU | BPF_AND | BPF_K);
	assert_int_equal(p[2].imm, 0xffff);
	assert_int_equal(p[3].code, BPF_ALU | BPF_RSH | BPF_K);
	assert_int_equal(p[3].imm, 16);
	/* type check jumps over the rest of the block (7 insns) to the default deny */
	assert_int_equal(p[6].code, BPF_JMP32 | BPF_JNE | BPF_K);
	assert_int_equal(p[6].imm, CHR);
	assert_int_equal(p[6].off, 7);
	assert_int_equal(p[8].imm, M); /* allow rw: any mknod request mismatches */
	assert_int_equal(p[10].imm, 1);
	assert_int_equal(p[10].dst_reg, 4);
	assert_int_equal(p[11].imm, 3);
	assert_int_equal(p[11].dst_reg, 5);
	assert_int_equal(p[12].code, BPF_ALU64 | BPF_MOV | BPF_K);
	assert_int_equal(p[12].imm, 1);
	assert_int_equal(p[13].code, BPF_JMP | BPF_EXIT);
	assert_int_equal(p[14].imm, 0);
	assert_int_equal(p[15].code, BPF_JMP | BPF_EXIT);
	free(p);
}

static void test_prog_semantics(void **state)
{
	struct bpf_insn *p;
	size_t n;

	/* The usual container list: deny all, then allow a few. */
	build("[{\"allow\":false,\"access\":\"rwm\"},"
	      "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"},"
	      "{\"allow\":true,\"type\":\"c\",\"major\":136,\"access\":\"rw\"},"
	      "{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"w\"}]",
	      &p, &n);
	assert_int_equal(run(p, n, CHR, R, 1, 3), 1);		/* /dev/null read */
	assert_int_equal(run(p, n, CHR, W, 1, 3), 0);		/* write denied by the last rule */
	assert_int_equal(run(p, n, CHR, R | W, 1, 3), 0);	/* partial overlap with a deny: denied */
	assert_int_equal(run(p, n, CHR, M, 1, 3), 1);		/* mknod still allowed */
	assert_int_equal(run(p, n, BLK, R, 1, 3), 0);		/* block 1:3 is another device */
	assert_int_equal(run(p, n, CHR, R | W, 136, 7), 1);	/* pty, any minor */
	assert_int_equal(run(p, n, CHR, M, 136, 7), 0);		/* but no mknod */
	assert_int_equal(run(p, n, CHR, R, 1, 5), 0);		/* /dev/zero not listed */
	assert_int_equal(run(p, n, CHR, R, 0xffffffffu, 3), 0); /* no sign-extension surprises */
	free(p);

	/* Empty list: default deny. Allow-all: everything. */
	build("[]", &p, &n);
	assert_int_equal(n, 8);
	assert_int_equal(run(p, n, CHR, R, 1, 3), 0);
	free(p);
	build("[{\"allow\":true}]", &p, &n);
	assert_int_equal(n, 8); /* no unreachable default after a catch-all (the verifier refuses it) */
	assert_int_equal(p[6].imm, 1);
	assert_int_equal(run(p, n, BLK, R | W | M, 8, 0), 1);
	free(p);
	/* Rules before a catch-all can never decide: left out. */
	build("[{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3},{\"allow\":false}]", &p, &n);
	assert_int_equal(n, 8);
	assert_int_equal(run(p, n, CHR, R, 1, 3), 0);
	free(p);

	/* Big major numbers compare as u32. */
	build("[{\"allow\":true,\"type\":\"c\",\"major\":4294967295,\"minor\":0}]", &p, &n);
	assert_int_equal(run(p, n, CHR, R, 0xffffffffu, 0), 1);
	assert_int_equal(run(p, n, CHR, R, 0x7fffffffu, 0), 0);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_v1_lines),
		cmocka_unit_test(test_prog_instructions),
		cmocka_unit_test(test_prog_semantics),
	};

	return cmocka_run_group_tests_name("cgroup-devices", tests, NULL, NULL);
}
