/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test driver for src/runtime/cgroup, used by tests/integration/runtime_cgroup.sh.
 * Each invocation is a separate process, as runc's verbs are; the handle travels
 * in a state file written by `create`.
 *
 *   cgroup-driver [--v2-root DIR] create ID CGROUPS_PATH|- RESOURCES.json|- STATE.json
 *   cgroup-driver validate RESOURCES.json
 *   cgroup-driver enter|update|freeze|pids|stats|kill|destroy|dir STATE.json [ARG]
 *   (stats [a.b.c] prints the whole stats object or one value)
 *
 * --v2-root DIR: treat DIR as the cgroup2 mount of a pure v2 host (the library's
 * testing override), for v2 tests on a v1/hybrid host.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "cgroup/cgroup.h"

static json_t *load(const char *path, cella_err_t *err)
{
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr);

	if (!j)
		cella_error_make(err, EINVAL, "%s:%d: %s", path, jerr.line, jerr.text);
	return j;
}

static int cmd_create(char **argv, cella_err_t *err)
{
	json_t *res = NULL, *state;
	struct cella_cgroup *cg;
	int r;

	if (strcmp(argv[2], "-") != 0 && !(res = load(argv[2], err)))
		return -1;
	r = cella_cgroup_create(argv[0], strcmp(argv[1], "-") == 0 ? NULL : argv[1], res, &cg, err);
	json_decref(res);
	if (r < 0)
		return -1;
	state = cella_cgroup_to_json(cg);
	cella_cgroup_free(cg);
	r = state ? json_dump_file(state, argv[3], JSON_INDENT(2)) : -1;
	json_decref(state);
	return r < 0 ? cella_error_make(err, EIO, "writing %s", argv[3]) : 0;
}

static int cmd_on_cgroup(const char *verb, struct cella_cgroup *cg, const char *arg, cella_err_t *err)
{
	if (strcmp(verb, "enter") == 0)
		return cella_cgroup_enter(cg, (pid_t)atoi(arg), err);
	if (strcmp(verb, "freeze") == 0)
		return cella_cgroup_freeze(cg, strcmp(arg, "1") == 0, err);
	if (strcmp(verb, "kill") == 0)
		return cella_cgroup_kill_all(cg, atoi(arg), err);
	if (strcmp(verb, "destroy") == 0)
		return cella_cgroup_destroy(cg, err);
	if (strcmp(verb, "update") == 0) {
		json_t *res = load(arg, err);
		int r;

		if (!res)
			return -1;
		r = cella_cgroup_update(cg, res, err);
		json_decref(res);
		return r;
	}
	if (strcmp(verb, "pids") == 0) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t n;

		if (cella_cgroup_pids(cg, &pids, &n, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			printf("%d\n", (int)pids[i]);
		return 0;
	}
	if (strcmp(verb, "stats") == 0) {
		json_t *stats, *v;
		_cleanup_free_ char *path = strdup(arg);
		char *save = NULL;

		if (!path || cella_cgroup_stats(cg, &stats, err) < 0)
			return -1;
		/* An optional dotted path ("memory.usage.usage") selects one value. */
		v = stats;
		for (char *k = strtok_r(path, ".", &save); v && k; k = strtok_r(NULL, ".", &save))
			v = json_object_get(v, k);
		if (v)
			json_dumpf(v, stdout, JSON_SORT_KEYS | JSON_ENCODE_ANY);
		putchar('\n');
		json_decref(stats);
		return v ? 0 : cella_error_make(err, ENOENT, "stats: no %s", arg);
	}
	if (strcmp(verb, "dir") == 0) {
		const char *d = strcmp(arg, "unified") == 0 ? cella_cgroup_get_unified_dir(cg)
							    : cella_cgroup_get_v1_dir(cg, arg);

		if (!d)
			return cella_error_make(err, ENOENT, "no %s directory", arg);
		puts(d);
		return 0;
	}
	return cella_error_make(err, EINVAL, "unknown command '%s'", verb);
}

int main(int argc, char **argv)
{
	cella_err_t err = NULL;
	struct cella_cgroup *cg = NULL;
	json_t *state;
	int r;

	if (argc > 2 && strcmp(argv[1], "--v2-root") == 0) {
		cella_cgroup_testing_set_v2_root(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc == 6 && strcmp(argv[1], "create") == 0)
		r = cmd_create(argv + 2, &err);
	else if (argc == 3 && strcmp(argv[1], "validate") == 0) {
		json_t *res = load(argv[2], &err);

		r = res ? cella_cgroup_resources_validate(res, &err) : -1;
		json_decref(res);
	} else if (argc >= 3 && argc <= 4) {
		state = load(argv[2], &err);
		r = state ? cella_cgroup_from_json(state, &cg, &err) : -1;
		json_decref(state);
		if (r == 0)
			r = cmd_on_cgroup(argv[1], cg, argc == 4 ? argv[3] : "", &err);
		cella_cgroup_free(cg);
	} else {
		fprintf(stderr,
			"usage: cgroup-driver [--v2-root DIR] create ID PATH|- RES|- STATE | validate RES |\n"
			"       enter|update|freeze|pids|stats|kill|destroy|dir STATE [ARG]\n");
		r = cella_error_make(&err, EINVAL, "bad arguments");
	}
	cella_cgroup_testing_set_v2_root(NULL);
	if (r < 0)
		return cella_error_report("cgroup-driver", &err);
	return 0;
}
