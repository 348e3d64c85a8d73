// SPDX-License-Identifier: GPL-2.0-or-later
/* update <id> [-r FILE | --memory X --cpu-shares N ...]: new linux.resources for a running container. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/container.h"

enum {
	OPT_MEMORY = 256,
	OPT_MEM_RES,
	OPT_MEM_SWAP,
	OPT_KMEM,
	OPT_KMEM_TCP,
	OPT_CPU_SHARES,
	OPT_CPU_QUOTA,
	OPT_CPU_PERIOD,
	OPT_CPU_RT_RUNTIME,
	OPT_CPU_RT_PERIOD,
	OPT_CPUSET_CPUS,
	OPT_CPUSET_MEMS,
	OPT_PIDS,
	OPT_BLKIO,
};

/* runc's units: "100m", "1g", "512k", plain bytes, or -1 for unlimited. */
static int parse_bytes(const char *option, const char *text, int64_t *out, cella_err_t *err)
{
	char *end;
	double v;
	int64_t mult = 1;

	if (strcmp(text, "-1") == 0) {
		*out = -1;
		return 0;
	}
	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || v < 0)
		goto bad;
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'k':
		mult = 1LL << 10;
		break;
	case 'm':
		mult = 1LL << 20;
		break;
	case 'g':
		mult = 1LL << 30;
		break;
	case 't':
		mult = 1LL << 40;
		break;
	default:
		goto bad;
	}
	if (*end && end[1] && !((end[1] == 'b' || end[1] == 'B') && end[2] == '\0'))
		goto bad;
	if (v * mult > (double)INT64_MAX)
		goto bad;
	*out = (int64_t)(v * mult);
	return 0;
bad:
	return cella_error_make(err, EINVAL, "%s: invalid size '%s' (bytes, or with k/m/g/t suffix)", option,
				text);
}

static json_t *section(json_t *res, const char *name)
{
	json_t *s = json_object_get(res, name);

	if (s == NULL) {
		s = json_object();
		json_object_set_new(res, name, s);
	}
	return s;
}

static int set_int(json_t *res, const char *sec, const char *key, const char *option, const char *text,
		   cella_err_t *err)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || *end)
		return cella_error_make(err, EINVAL, "%s: invalid number '%s'", option, text);
	json_object_set_new(section(res, sec), key, json_integer(v));
	return 0;
}

static json_t *read_resources(const char *path, cella_err_t *err)
{
	json_error_t jerr;
	json_t *doc = strcmp(path, "-") == 0 ? json_loadf(stdin, 0, &jerr) : json_load_file(path, 0, &jerr);

	if (doc == NULL)
		cella_error_make(err, EINVAL, "-r %s: line %d: %s", path, jerr.line, jerr.text);
	else if (!json_is_object(doc)) {
		json_decref(doc);
		doc = NULL;
		cella_error_make(err, EINVAL, "-r %s: expected a linux.resources object", path);
	}
	return doc;
}

static int apply_option(json_t *res, int c, cella_err_t *err)
{
	static const struct {
		int opt;
		const char *sec, *key, *name;
	} ints[] = {
		{OPT_CPU_SHARES, "cpu", "shares", "--cpu-shares"},
		{OPT_CPU_QUOTA, "cpu", "quota", "--cpu-quota"},
		{OPT_CPU_PERIOD, "cpu", "period", "--cpu-period"},
		{OPT_CPU_RT_RUNTIME, "cpu", "realtimeRuntime", "--cpu-rt-runtime"},
		{OPT_CPU_RT_PERIOD, "cpu", "realtimePeriod", "--cpu-rt-period"},
		{OPT_PIDS, "pids", "limit", "--pids-limit"},
		{OPT_BLKIO, "blockIO", "weight", "--blkio-weight"},
	};
	int64_t bytes;

	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if (c == ints[i].opt)
			return set_int(res, ints[i].sec, ints[i].key, ints[i].name, optarg, err);
	switch (c) {
	case OPT_MEMORY:
	case OPT_MEM_RES:
	case OPT_MEM_SWAP:
		if (parse_bytes(c == OPT_MEMORY	   ? "--memory"
				: c == OPT_MEM_RES ? "--memory-reservation"
						   : "--memory-swap",
				optarg, &bytes, err) < 0)
			return -1;
		json_object_set_new(section(res, "memory"),
				    c == OPT_MEMORY    ? "limit"
				    : c == OPT_MEM_RES ? "reservation"
						       : "swap",
				    json_integer(bytes));
		return 0;
	case OPT_KMEM:
	case OPT_KMEM_TCP:
		return 0; /* deprecated in runc as well: accepted, ignored */
	case OPT_CPUSET_CPUS:
	case OPT_CPUSET_MEMS:
		json_object_set_new(section(res, "cpu"), c == OPT_CPUSET_CPUS ? "cpus" : "mems",
				    json_string(optarg));
		return 0;
	default:
		return 1;
	}
}

static int run(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"resources", required_argument, NULL, 'r'},
		{"memory", required_argument, NULL, OPT_MEMORY},
		{"memory-reservation", required_argument, NULL, OPT_MEM_RES},
		{"memory-swap", required_argument, NULL, OPT_MEM_SWAP},
		{"kernel-memory", required_argument, NULL, OPT_KMEM},
		{"kernel-memory-tcp", required_argument, NULL, OPT_KMEM_TCP},
		{"cpu-shares", required_argument, NULL, OPT_CPU_SHARES},
		{"cpu-quota", required_argument, NULL, OPT_CPU_QUOTA},
		{"cpu-period", required_argument, NULL, OPT_CPU_PERIOD},
		{"cpu-rt-runtime", required_argument, NULL, OPT_CPU_RT_RUNTIME},
		{"cpu-rt-period", required_argument, NULL, OPT_CPU_RT_PERIOD},
		{"cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS},
		{"cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS},
		{"pids-limit", required_argument, NULL, OPT_PIDS},
		{"blkio-weight", required_argument, NULL, OPT_BLKIO},
		{0},
	};
	cella_err_t err = NULL;
	json_t *res = json_object(), *from_file = NULL;
	const char *id;
	int c, ret = 0;

	while ((c = getopt_long(argc, argv, "r:", opts, NULL)) != -1) {
		if (c == 'r') {
			json_decref(from_file);
			from_file = read_resources(optarg, &err);
			if (from_file == NULL)
				goto fail;
			continue;
		}
		ret = apply_option(res, c, &err);
		if (ret < 0)
			goto fail;
		if (ret > 0) {
			json_decref(res);
			json_decref(from_file);
			return cli_usage_error(cli, &cli_verb_update, "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	ret = cli_want_id(cli, &cli_verb_update, argc, argv, &id);
	if (ret == 0) {
		/* As runc: -r replaces the flags. */
		if (cella_container_update(cli->root, id, from_file ? from_file : res, &err) < 0)
			goto fail;
	}
	json_decref(res);
	json_decref(from_file);
	return ret;
fail:
	json_decref(res);
	json_decref(from_file);
	return cli_fail(cli, &err);
}

const struct cli_verb cli_verb_update = {
	"update",
	run,
	"update [-r FILE|-] [--memory X] [--memory-reservation X] [--memory-swap X] [--cpu-shares N] "
	"[--cpu-quota N] "
	"[--cpu-period N] [--cpuset-cpus S] [--cpuset-mems S] [--pids-limit N] [--blkio-weight N] <id>",
};
