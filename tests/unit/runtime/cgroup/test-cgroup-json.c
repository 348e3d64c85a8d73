/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state-directory JSON of a cgroup: round trip and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cgroup/cgroup_internal.h"

static const char hybrid_state[] =
	"{\"version\":1,\"mode\":\"hybrid\",\"path\":\"/cella/c1\","
	"\"v1\":{\"cpu\":\"/sys/fs/cgroup/cpu/cella/c1\",\"memory\":\"/sys/fs/cgroup/memory/cella/c1\","
	"\"freezer\":\"/sys/fs/cgroup/freezer/cella/c1\"},"
	"\"unified\":\"/sys/fs/cgroup/unified/cella/c1\",\"v2Controllers\":[\"hugetlb\"],"
	"\"created\":[\"/sys/fs/cgroup/cpu/cella\",\"/sys/fs/cgroup/cpu/cella/c1\"]}";

static void test_round_trip(void **state)
{
	json_t *in = json_loads(hybrid_state, 0, NULL), *out;
	struct cella_cgroup *cg = NULL;
	cella_err_t err = NULL;

	assert_non_null(in);
	if (cella_cgroup_from_json(in, &cg, &err) < 0)
		fail_msg("%s", cella_error_string(err));
	assert_int_equal(cella_cgroup_get_mode(cg), CELLA_CGROUP_HYBRID);
	assert_string_equal(cella_cgroup_get_path(cg), "/cella/c1");
	assert_string_equal(cella_cgroup_get_v1_dir(cg, "memory"), "/sys/fs/cgroup/memory/cella/c1");
	assert_null(cella_cgroup_get_v1_dir(cg, "pids"));
	assert_null(cella_cgroup_get_v1_dir(cg, "bogus"));
	assert_string_equal(cella_cgroup_get_unified_dir(cg), "/sys/fs/cgroup/unified/cella/c1");
	assert_int_equal(cg->v2_ctrls, 1u << CG_HUGETLB);
	assert_string_equal(cg->created[1], "/sys/fs/cgroup/cpu/cella/c1");
	assert_null(cg->created[2]);

	out = cella_cgroup_to_json(cg);
	assert_non_null(out);
	if (!json_equal(in, out)) {
		char *a = json_dumps(out, JSON_SORT_KEYS);

		fail_msg("round trip differs: %s", a);
	}
	json_decref(out);
	json_decref(in);
	cella_cgroup_free(cg);
}

static void expect_reject(const char *text, const char *needle)
{
	json_t *j = json_loads(text, 0, NULL);
	struct cella_cgroup *cg = (struct cella_cgroup *)1;
	cella_err_t err = NULL;

	assert_non_null(j);
	assert_int_equal(cella_cgroup_from_json(j, &cg, &err), -1);
	assert_null(cg);
	if (!strstr(cella_error_string(err), needle))
		fail_msg("'%s' does not contain '%s'", cella_error_string(err), needle);
	cella_error_release(&err);
	json_decref(j);
}

static void test_rejects_bad_state(void **state)
{
	expect_reject("[]", "expected object");
	expect_reject("{\"version\":2,\"mode\":\"v2\"}", "version");
	expect_reject("{\"version\":1,\"mode\":\"v3\",\"path\":\"/a\"}", "mode");
	expect_reject("{\"version\":1,\"mode\":\"v1\",\"path\":\"a\"}", "path: expected an absolute path");
	expect_reject("{\"version\":1,\"mode\":\"v1\",\"path\":\"/a\",\"v1\":{\"memory\":\"/x/../../etc\"}}",
		      "v1");
	expect_reject("{\"version\":1,\"mode\":\"v1\",\"path\":\"/a\",\"v1\":{\"nosuch\":\"/x\"}}",
		      "unknown controller");
	expect_reject("{\"version\":1,\"mode\":\"v2\",\"path\":\"/a\"}", "unified: does not match mode");
	expect_reject("{\"version\":1,\"mode\":\"v2\",\"path\":\"/a\",\"unified\":\"/u/a\",\"created\":[\"/u/"
		      "..\"]}",
		      "created");
	expect_reject(
		"{\"version\":1,\"mode\":\"v2\",\"path\":\"/a\",\"unified\":\"/u/a\",\"v2Controllers\":[3]}",
		"v2Controllers[0]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_rejects_bad_state),
	};

	return cmocka_run_group_tests_name("cgroup-json", tests, NULL, NULL);
}
