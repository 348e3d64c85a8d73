/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/config.h"
#include "core/config_vdev.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

void vmm_config__init(struct vmm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memory_mib = VMM_CONFIG_DEFAULT_MEM_MIB;
	cfg->cpus = 1;
	cfg->console = VMM_CONSOLE_STDIO;
	cfg->seccomp = true;
	cfg->async_teardown = true;
}

void vmm_config__release(struct vmm_config *cfg)
{
	free(cfg->kernel);
	free(cfg->initrd);
	free(cfg->cmdline);
	free(cfg->console_path);
	free(cfg->api_socket);
	free(cfg->console_socket);
	free(cfg->restore);
	for (unsigned i = 0; i < cfg->noverrides; i++) {
		free(cfg->overrides[i].id);
		free(cfg->overrides[i].opts);
	}
	vmm_config__release_vdevs(cfg);
	vmm_config__init(cfg);
}

static int __attribute__((format(printf, 3, 4)))
usage_error(cella_err_t *err, int errno_value, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cella_error_make(err, errno_value, "%s", msg);
	cella_error_set_status(*err, VMM_EXIT_USAGE);
	return -1;
}

/* Replaces *slot with a copy of value. */
static int set_string(char **slot, const char *value, const char *what, cella_err_t *err)
{
	char *copy;

	if (value[0] == '\0')
		return usage_error(err, 0, "%s: %s", what, "must not be empty");
	copy = strdup(value);
	if (!copy)
		return usage_error(err, ENOMEM, "%s: %s", what, "out of memory");
	free(*slot);
	*slot = copy;
	return 0;
}

static int check_range(uint64_t v, uint64_t lo, uint64_t hi, const char *what, cella_err_t *err)
{
	if (v < lo || v > hi) {
		cella_error_make(err, 0, "%s: %" PRIu64 " is out of range %" PRIu64 "..%" PRIu64, what, v, lo,
				 hi);
		cella_error_set_status(*err, VMM_EXIT_USAGE);
		return -1;
	}
	return 0;
}

/* Decimal only: "0x10" or "12abc" for a MiB count is a mistake worth naming. */
static int parse_u64(const char *s, uint64_t *out, const char *what, cella_err_t *err)
{
	char *end = NULL;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return usage_error(err, 0, "%s: '%s' is not a decimal number", what, s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return usage_error(err, 0, "%s: '%s' is not a decimal number", what, s);
	*out = v;
	return 0;
}

int vmm_config__parse_console(struct vmm_config *cfg, const char *value, const char *what, cella_err_t *err)
{
	if (strcmp(value, "stdio") == 0) {
		cfg->console = VMM_CONSOLE_STDIO;
	} else if (strcmp(value, "none") == 0) {
		cfg->console = VMM_CONSOLE_NONE;
	} else if (strncmp(value, "file:", 5) == 0) {
		if (set_string(&cfg->console_path, value + 5, what, err) < 0)
			return -1;
		cfg->console = VMM_CONSOLE_FILE;
		return 0;
	} else {
		return usage_error(err, 0, "%s: '%s' is not one of stdio, none, file:PATH", what, value);
	}
	free(cfg->console_path);
	cfg->console_path = NULL;
	return 0;
}

static int json_string_field(json_t *root, const char *key, char **slot, const char *origin, cella_err_t *err)
{
	json_t *v = json_object_get(root, key);
	char what[512];

	if (!v)
		return 0;
	snprintf(what, sizeof(what), "%s: %s", origin, key);
	if (!json_is_string(v))
		return usage_error(err, 0, "%s: %s", what, "expected string");
	return set_string(slot, json_string_value(v), what, err);
}

static int json_uint_field(json_t *root, const char *key, uint64_t lo, uint64_t hi, uint64_t *out,
			   const char *origin, cella_err_t *err)
{
	json_t *v = json_object_get(root, key);
	char what[512];

	if (!v)
		return 0;
	snprintf(what, sizeof(what), "%s: %s", origin, key);
	if (!json_is_integer(v))
		return usage_error(err, 0, "%s: %s", what, "expected integer");
	if (json_integer_value(v) < 0) {
		cella_error_make(err, 0, "%s: %" JSON_INTEGER_FORMAT " is out of range %" PRIu64 "..%" PRIu64,
				 what, json_integer_value(v), lo, hi);
		cella_error_set_status(*err, VMM_EXIT_USAGE);
		return -1;
	}
	if (check_range((uint64_t)json_integer_value(v), lo, hi, what, err) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int json_bool_field(json_t *root, const char *key, bool *out, const char *origin, cella_err_t *err)
{
	json_t *v = json_object_get(root, key);
	char what[512];

	if (!v)
		return 0;
	snprintf(what, sizeof(what), "%s: %s", origin, key);
	if (!json_is_boolean(v))
		return usage_error(err, 0, "%s: %s", what, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

/*
 * One back-end override for device id (idlen bytes). A later one for the same id
 * replaces one from a --config file (flags override the file); two flags for one
 * id are refused, as they would silently drop options.
 */
static int add_override(struct vmm_config *cfg, const char *id, size_t idlen, const char *opts,
			bool from_file, const char *what, cella_err_t *err)
{
	struct vmm_restore_override *o = NULL;
	char *id_copy, *opts_copy;

	for (unsigned i = 0; i < cfg->noverrides; i++) {
		if (strlen(cfg->overrides[i].id) != idlen || strncmp(cfg->overrides[i].id, id, idlen))
			continue;
		if (!cfg->overrides[i].from_file)
			return usage_error(err, 0, "%s: %s: %s", what, cfg->overrides[i].id,
					   "given twice (put every option of one device in one flag)");
		o = &cfg->overrides[i];
	}
	if (!o && cfg->noverrides == VMM_CONFIG_MAX_OVERRIDES)
		return usage_error(err, 0, "%s: more than %d devices", what, VMM_CONFIG_MAX_OVERRIDES);
	id_copy = strndup(id, idlen);
	opts_copy = strdup(opts);
	if (!id_copy || !opts_copy) {
		free(id_copy);
		free(opts_copy);
		return usage_error(err, ENOMEM, "%s: %s", what, "out of memory");
	}
	if (o) {
		free(o->id);
		free(o->opts);
	} else {
		o = &cfg->overrides[cfg->noverrides++];
	}
	*o = (struct vmm_restore_override){.id = id_copy, .opts = opts_copy, .from_file = from_file};
	return 0;
}

/* --restore-device ID:KEY=VALUE,...: the id is checked against the snapshot at restore, the options by the device. */
static int add_override_arg(struct vmm_config *cfg, const char *arg, cella_err_t *err)
{
	const char *colon = strchr(arg, ':');

	if (!colon || colon == arg || !colon[1] || !strchr(colon, '='))
		return usage_error(
			err, 0, "%s: %s", "--restore-device",
			"expected ID:KEY=VALUE[,KEY=VALUE...] (e.g. net0:tap=tap7,mac=02:00:00:00:00:07)");
	return add_override(cfg, arg, (size_t)(colon - arg), colon + 1, false, "--restore-device", err);
}

/* Appends KEY=VALUE to *opts (a comma in the value doubled, as vdev_opts_parse() reads it). */
static int append_option(char **opts, const char *key, const char *value)
{
	size_t len = *opts ? strlen(*opts) : 0;
	char *grown = realloc(*opts, len + 1 + strlen(key) + 1 + 2 * strlen(value) + 1);
	char *p;

	if (!grown)
		return -1;
	*opts = grown;
	p = grown + len;
	if (len)
		*p++ = ',';
	p = stpcpy(p, key);
	*p++ = '=';
	for (const char *v = value; *v; v++) {
		if (*v == ',')
			*p++ = ',';
		*p++ = *v;
	}
	*p = '\0';
	return 0;
}

/* One device of "restore_devices": {"KEY": "VALUE" | integer | boolean, ...} as a KEY=VALUE,... string. */
static int override_opts_from_json(json_t *obj, const char *what, char **out, cella_err_t *err)
{
	_cleanup_free_ char *opts = NULL;
	const char *key;
	json_t *v;

	if (!json_is_object(obj) || json_object_size(obj) == 0)
		return usage_error(
			err, 0, "%s: %s", what,
			"expected an object of back-end options (e.g. {\"path\": \"/vm/c1.img\"})");
	json_object_foreach (obj, key, v) {
		char num[32];
		const char *value;

		if (!*key || strpbrk(key, ",="))
			return usage_error(err, 0, "%s: '%s': %s", what, key, "not an option name");
		if (json_is_string(v)) {
			value = json_string_value(v);
		} else if (json_is_integer(v) && json_integer_value(v) >= 0) {
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			value = num;
		} else if (json_is_boolean(v)) {
			value = json_is_true(v) ? "on" : "off";
		} else {
			return usage_error(err, 0, "%s: %s: %s", what, key,
					   "expected a string, a non-negative integer or a boolean");
		}
		if (append_option(&opts, key, value) < 0)
			return usage_error(err, ENOMEM, "%s: %s", what, "out of memory");
	}
	*out = steal_pointer(&opts);
	return 0;
}

/* "restore_devices": {"ID": {...}, ...}: the JSON form of --restore-device ID:KEY=VALUE,... */
static int load_overrides_json(struct vmm_config *cfg, json_t *root, const char *origin, cella_err_t *err)
{
	json_t *devices = json_object_get(root, "restore_devices");
	const char *id;
	json_t *obj;

	if (!devices)
		return 0;
	if (!json_is_object(devices))
		return usage_error(
			err, 0, "%s: restore_devices: %s", origin,
			"expected an object of device ids (e.g. {\"disk0\": {\"path\": \"...\"}})");
	json_object_foreach (devices, id, obj) {
		_cleanup_free_ char *opts = NULL;
		char what[512];

		snprintf(what, sizeof(what), "%s: restore_devices: %s", origin, id);
		if (!*id || strchr(id, ':'))
			return usage_error(err, 0, "%s: %s", what, "not a device id");
		if (override_opts_from_json(obj, what, &opts, err) < 0 ||
		    add_override(cfg, id, strlen(id), opts, true, what, err) < 0)
			return -1;
	}
	return 0;
}

static const char *const known_fields[] = {
	"kernel",      "initrd",	 "cmdline",    "memory_mib",	  "cpus",
	"console",     "console_socket", "api_socket", "hugepages",	  "seccomp",
	"cpu_profile", "async_teardown", "restore",    "restore_devices", NULL};

int vmm_config__parse_cpu_profile(struct vmm_config *cfg, const char *value, const char *what,
				  cella_err_t *err)
{
	if (strcmp(value, "paravirt") == 0)
		cfg->cpu_profile = VMM_CPU_PROFILE_PARAVIRT;
	else if (strcmp(value, "full") == 0)
		cfg->cpu_profile = VMM_CPU_PROFILE_FULL;
	else
		return usage_error(err, 0, "%s: %s: expected full or paravirt", what, value);
	return 0;
}

static int load_json(struct vmm_config *cfg, json_t *root, const char *origin, cella_err_t *err)
{
	const char *key;
	json_t *value;
	uint64_t n;

	if (!json_is_object(root))
		return usage_error(err, 0, "%s: %s", origin, "expected a JSON object at the top level");
	/* An unknown key is most likely a typo ("memory" for "memory_mib"): refuse rather than ignore it. */
	json_object_foreach (root, key, value) {
		bool known = false;

		for (unsigned i = 0; known_fields[i]; i++)
			known = known || strcmp(key, known_fields[i]) == 0;
		if (!known && !vmm_config__is_vdev_field(key))
			return usage_error(err, 0, "%s: %s: unknown field", origin, key);
	}
	if (json_string_field(root, "kernel", &cfg->kernel, origin, err) < 0 ||
	    json_string_field(root, "initrd", &cfg->initrd, origin, err) < 0 ||
	    json_string_field(root, "api_socket", &cfg->api_socket, origin, err) < 0 ||
	    json_string_field(root, "console_socket", &cfg->console_socket, origin, err) < 0 ||
	    json_string_field(root, "restore", &cfg->restore, origin, err) < 0 ||
	    load_overrides_json(cfg, root, origin, err) < 0)
		return -1;
	value = json_object_get(root, "cmdline");
	if (value) {
		/* An empty command line is legitimate, so no set_string() here. */
		char *copy;

		if (!json_is_string(value))
			return usage_error(err, 0, "%s: %s: expected string", origin, "cmdline");
		copy = strdup(json_string_value(value));
		if (!copy)
			return usage_error(err, ENOMEM, "%s: %s: out of memory", origin, "cmdline");
		free(cfg->cmdline);
		cfg->cmdline = copy;
	}
	n = cfg->memory_mib;
	if (json_uint_field(root, "memory_mib", VMM_CONFIG_MIN_MEMORY_MIB, VMM_CONFIG_MAX_MEMORY_MIB, &n,
			    origin, err) < 0)
		return -1;
	cfg->memory_mib = n;
	n = cfg->cpus;
	if (json_uint_field(root, "cpus", 1, VMM_CONFIG_MAX_CPUS, &n, origin, err) < 0)
		return -1;
	cfg->cpus = (unsigned)n;
	value = json_object_get(root, "console");
	if (value) {
		char what[512];

		snprintf(what, sizeof(what), "%s: console", origin);
		if (!json_is_string(value))
			return usage_error(err, 0, "%s: %s", what, "expected string");
		if (vmm_config__parse_console(cfg, json_string_value(value), what, err) < 0)
			return -1;
	}
	value = json_object_get(root, "cpu_profile");
	if (value) {
		char what[512];

		snprintf(what, sizeof(what), "%s: cpu_profile", origin);
		if (!json_is_string(value))
			return usage_error(err, 0, "%s: %s", what, "expected string");
		if (vmm_config__parse_cpu_profile(cfg, json_string_value(value), what, err) < 0)
			return -1;
	}
	if (json_bool_field(root, "hugepages", &cfg->hugepages, origin, err) < 0 ||
	    json_bool_field(root, "seccomp", &cfg->seccomp, origin, err) < 0 ||
	    json_bool_field(root, "async_teardown", &cfg->async_teardown, origin, err) < 0)
		return -1;
	return vmm_config__load_vdevs_json(cfg, root, origin, err);
}

int vmm_config__load_string(struct vmm_config *cfg, const char *json, const char *origin, cella_err_t *err)
{
	json_error_t jerr;
	json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	int ret;

	if (!root) {
		cella_error_make(err, 0, "%s:%d:%d: %s", origin, jerr.line, jerr.column, jerr.text);
		cella_error_set_status(*err, VMM_EXIT_USAGE);
		return -1;
	}
	ret = load_json(cfg, root, origin, err);
	json_decref(root);
	return ret;
}

int vmm_config__load_file(struct vmm_config *cfg, const char *path, cella_err_t *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *text = NULL;
	size_t cap = 0, len = 0, got;

	if (!f)
		return usage_error(err, errno, "%s: %s", path, "cannot open");
	do {
		char *grown;

		if (len + 4096 + 1 > cap) {
			if (cap > (16u << 20))
				return usage_error(err, EFBIG, "%s: %s", path, "larger than 16 MiB");
			cap = cap ? cap * 2 : 8192;
			grown = realloc(text, cap);
			if (!grown)
				return usage_error(err, ENOMEM, "%s: %s", path, "out of memory");
			text = grown;
		}
		got = fread(text + len, 1, 4096, f);
		len += got;
	} while (got > 0);
	if (ferror(f))
		return usage_error(err, EIO, "%s: %s", path, "read error");
	text[len] = '\0';
	if (strlen(text) != len)
		return usage_error(err, 0, "%s: %s", path, "contains a NUL byte");
	return vmm_config__load_string(cfg, text, path, err);
}

int vmm_config__check(const struct vmm_config *cfg, cella_err_t *err)
{
	if (!cfg->restore && cfg->noverrides)
		return usage_error(err, 0, "%s: %s", "--restore-device (\"restore_devices\")",
				   "only with --restore (\"restore\")");
	if (cfg->restore) {
		/* The devices come from the snapshot too; --restore-device changes their back-ends. */
		if (cfg->nvdevs)
			return usage_error(
				err, 0, "%s: %s", "--restore",
				"the snapshot holds the virtio devices; drop --disk, --net, --vsock, "
				"--rng and --virtio-console (change a back-end with --restore-device)");
		/* The snapshot decides the machine: memory, vCPUs and the guest's whole state come from it. */
		if (cfg->kernel || cfg->initrd || cfg->cmdline)
			return usage_error(
				err, 0, "%s: %s", "--restore",
				"the snapshot holds the guest; drop --kernel, --initrd and --cmdline");
		if (cfg->hugepages)
			return usage_error(
				err, 0, "%s: %s", "--restore",
				"guest memory is mapped from the snapshot's memory file; drop --hugepages");
		return 0;
	}
	if (!cfg->kernel)
		return usage_error(err, 0, "%s: %s", "--kernel",
				   "missing (give --kernel PATH or \"kernel\" in --config)");
	if (check_range(cfg->memory_mib, VMM_CONFIG_MIN_MEMORY_MIB, VMM_CONFIG_MAX_MEMORY_MIB, "--memory",
			err) < 0 ||
	    check_range(cfg->cpus, 1, VMM_CONFIG_MAX_CPUS, "--cpus", err) < 0)
		return -1;
	if (cfg->hugepages && cfg->memory_mib % 2 != 0)
		return usage_error(err, 0, "%s: %s", "--memory",
				   "must be a multiple of 2 MiB with --hugepages (2 MiB pages)");
	return 0;
}

enum {
	OPT_KERNEL = 'k',
	OPT_INITRD = 'i',
	OPT_CMDLINE = 'c',
	OPT_MEMORY = 'm',
	OPT_CPUS = 'n',
	OPT_HELP = 'h',
	OPT_CONSOLE = 256,
	OPT_API_SOCKET,
	OPT_CONSOLE_SOCKET,
	OPT_CONFIG,
	OPT_HUGEPAGES,
	OPT_NO_SECCOMP,
	OPT_NO_ASYNC_TEARDOWN,
	OPT_DEBUG,
	OPT_RESTORE,
	OPT_CPU_PROFILE,
	OPT_RESTORE_DEVICE,
	OPT_VDEV, /* --disk, --net, --vsock, --rng, --virtio-console (config_vdev.c) */
};

static const struct option long_options[] = {
	{"kernel", required_argument, NULL, OPT_KERNEL},
	{"initrd", required_argument, NULL, OPT_INITRD},
	{"cmdline", required_argument, NULL, OPT_CMDLINE},
	{"memory", required_argument, NULL, OPT_MEMORY},
	{"cpus", required_argument, NULL, OPT_CPUS},
	{"console", required_argument, NULL, OPT_CONSOLE},
	{"api-socket", required_argument, NULL, OPT_API_SOCKET},
	{"console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"hugepages", no_argument, NULL, OPT_HUGEPAGES},
	{"no-seccomp", no_argument, NULL, OPT_NO_SECCOMP},
	{"no-async-teardown", no_argument, NULL, OPT_NO_ASYNC_TEARDOWN},
	{"debug", no_argument, NULL, OPT_DEBUG},
	{"restore", required_argument, NULL, OPT_RESTORE},
	{"cpu-profile", required_argument, NULL, OPT_CPU_PROFILE},
	{"restore-device", required_argument, NULL, OPT_RESTORE_DEVICE},
	{"help", no_argument, NULL, OPT_HELP},
	{"disk", required_argument, NULL, OPT_VDEV},
	{"net", required_argument, NULL, OPT_VDEV},
	{"vsock", required_argument, NULL, OPT_VDEV},
	{"rng", optional_argument, NULL, OPT_VDEV},
	{"virtio-console", optional_argument, NULL, OPT_VDEV},
	{NULL, 0, NULL, 0},
};

/* Names the option that getopt just rejected, from argv itself. */
static int bad_option(char **argv, int failed_index, cella_err_t *err)
{
	const char *arg = failed_index > 0 ? argv[failed_index - 1] : "?";
	const struct option *o;

	for (o = long_options; o->name; o++) {
		size_t n = strlen(o->name);

		if (strncmp(arg, "--", 2) == 0 && strncmp(arg + 2, o->name, n) == 0 && arg[2 + n] == '\0' &&
		    o->has_arg == required_argument)
			return usage_error(err, 0, "%s: %s", arg, "requires an argument");
	}
	return usage_error(err, 0, "%s: %s", arg, "unknown option (see --help)");
}

int vmm_config__parse_args(struct vmm_config *cfg, int argc, char **argv, cella_err_t *err)
{
	uint64_t n = 0;
	int c, index = 0;

	/* Pass 1: only --config, so that the file is the base every other flag overrides. */
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+", long_options, NULL)) != -1) {
		if (c == '?')
			return bad_option(argv, optind, err);
		if (c == OPT_CONFIG && vmm_config__load_file(cfg, optarg, err) < 0)
			return -1;
		if (c == OPT_HELP)
			cfg->help = true;
	}
	if (cfg->help)
		return 0;
	if (optind < argc)
		return usage_error(err, 0, "%s: %s", argv[optind],
				   "unexpected argument (options start with --)");

	optind = 0;
	while ((c = getopt_long(argc, argv, "+", long_options, &index)) != -1) {
		switch (c) {
		case OPT_KERNEL:
			if (set_string(&cfg->kernel, optarg, "--kernel", err) < 0)
				return -1;
			break;
		case OPT_INITRD:
			if (set_string(&cfg->initrd, optarg, "--initrd", err) < 0)
				return -1;
			break;
		case OPT_CMDLINE: {
			char *copy = strdup(optarg);

			if (!copy)
				return usage_error(err, ENOMEM, "%s: %s", "--cmdline", "out of memory");
			free(cfg->cmdline);
			cfg->cmdline = copy;
			break;
		}
		case OPT_MEMORY:
			if (parse_u64(optarg, &n, "--memory", err) < 0 ||
			    check_range(n, VMM_CONFIG_MIN_MEMORY_MIB, VMM_CONFIG_MAX_MEMORY_MIB, "--memory",
					err) < 0)
				return -1;
			cfg->memory_mib = n;
			break;
		case OPT_CPUS:
			if (parse_u64(optarg, &n, "--cpus", err) < 0 ||
			    check_range(n, 1, VMM_CONFIG_MAX_CPUS, "--cpus", err) < 0)
				return -1;
			cfg->cpus = (unsigned)n;
			break;
		case OPT_CONSOLE:
			if (vmm_config__parse_console(cfg, optarg, "--console", err) < 0)
				return -1;
			break;
		case OPT_CONSOLE_SOCKET:
			if (set_string(&cfg->console_socket, optarg, "--console-socket", err) < 0)
				return -1;
			break;
		case OPT_API_SOCKET:
			if (set_string(&cfg->api_socket, optarg, "--api-socket", err) < 0)
				return -1;
			break;
		case OPT_HUGEPAGES:
			cfg->hugepages = true;
			break;
		case OPT_NO_SECCOMP:
			cfg->seccomp = false;
			break;
		case OPT_NO_ASYNC_TEARDOWN:
			cfg->async_teardown = false;
			break;
		case OPT_DEBUG:
			cfg->debug = true;
			break;
		case OPT_CPU_PROFILE:
			if (vmm_config__parse_cpu_profile(cfg, optarg, "--cpu-profile", err) < 0)
				return -1;
			break;
		case OPT_RESTORE:
			if (set_string(&cfg->restore, optarg, "--restore", err) < 0)
				return -1;
			break;
		case OPT_RESTORE_DEVICE:
			if (add_override_arg(cfg, optarg, err) < 0)
				return -1;
			break;
		case OPT_VDEV:
			if (vmm_config__add_vdev_arg(cfg, long_options[index].name, optarg, err) < 0)
				return -1;
			break;
		default: /* --config and --help were handled in pass 1 */
			break;
		}
	}
	return vmm_config__check(cfg, err);
}

const char *vmm_config__usage(void)
{
	return "Usage: cella-vmm --kernel PATH [OPTION]...\n"
	       "       cella-vmm --restore DIR [--api-socket PATH] [--console KIND] [--console-socket PATH]\n"
	       "                 [OPTION]...\n"
	       "Run one virtual machine on KVM until its guest powers off, resets or crashes.\n"
	       "\n"
	       "Options (each also a field of the --config JSON file; flags override the file):\n"
	       "  --kernel PATH          guest kernel: Multiboot ELF, PVH ELF or bzImage       \"kernel\"\n"
	       "  --initrd PATH          initial RAM disk (Multiboot: module 0)               \"initrd\"\n"
	       "  --cmdline STR          kernel command line                                  \"cmdline\"\n"
	       "  --memory MiB           guest RAM in MiB, 2..1048576 (default 128)           "
	       "\"memory_mib\"\n"
	       "  --cpus N               virtual CPUs, 1..255 (default 1)                     \"cpus\"\n"
	       "  --console KIND         where COM1 goes: stdio (default), none or file:PATH  \"console\"\n"
	       "                         with stdio, COM1 also reads stdin (tty or pipe)\n"
	       "  --console-socket PATH  COM1 also on this unix socket (0600): a client that     "
	       "\"console_socket\"\n"
	       "                         connects reads the output and types the input (one at a\n"
	       "                         time; the console target still gets all output)\n"
	       "  --api-socket PATH      serve the HTTP control API on this unix socket       "
	       "\"api_socket\"\n"
	       "  --config FILE.json     read the options above from a JSON object\n"
	       "  --hugepages            back guest RAM with 2 MiB huge pages                 \"hugepages\"\n"
	       "  --no-seccomp           do not install the per-thread seccomp filters        \"seccomp\": "
	       "false\n"
	       "  --no-async-teardown    tear the VM down before exiting, not after           "
	       "\"async_teardown\": false\n"
	       "                         (by default a helper, cella-teardown, holds the KVM fds and\n"
	       "                         the memory until the VMM is gone, so the caller does not wait)\n"
	       "  --debug                log port and MMIO accesses no device claims (once per address)\n"
	       "  --cpu-profile P        paravirt (default): KVM's PV CPUID leaves; full: none  "
	       "\"cpu_profile\"\n"
	       "  --restore DIR          resume the VM saved in snapshot DIR (PUT /vm/snapshot) instead\n"
	       "                         of booting a kernel; memory, vCPUs and devices come from it\n"
	       "                                                                              \"restore\"\n"
	       "  --restore-device ID:KEY=VALUE[,..]  with --restore: change a back-end option of\n"
	       "                         device ID (a clone: net0:tap=tap7,mac=..., a vsock cid=,\n"
	       "                         socket=, a disk path=); docs/snapshots.md\n"
	       "                         \"restore_devices\": {\"ID\": {\"KEY\": VALUE, ..}, ..}\n"
	       "  --disk path=P[,readonly=on]  virtio-blk on a raw image (repeatable)      \"disks\": [..]\n"
	       "  --net tap=NAME[,mac=M]  virtio-net on a TAP device (repeatable)            \"net\": [..]\n"
	       "  --vsock cid=N,socket=P  virtio-vsock, host side on unix socket P         \"vsock\": {..}\n"
	       "  --rng[=max_bytes=N]     virtio-rng                                          \"rng\": true\n"
	       "  --virtio-console[=input=..,output=..]  virtio-console       \"virtio_console\": [{...}]\n"
	       "                         (device options: docs/virtio-devices.md)\n"
	       "  --help                 show this help and exit\n"
	       "\n"
	       "Exit status:\n"
	       "  0          the guest powered off (ACPI PM1a_CNT SLP_EN, SLP_TYP 5) or asked for a reset\n"
	       "             (i8042 command 0xFE, or 0x06 to port 0xCF9)\n"
	       "  (v<<1)|1   the guest wrote v to the debug-exit port 0xf4 (QEMU isa-debug-exit)\n"
	       "  1          host-side error (KVM, memory, files)\n"
	       "  2          bad command line or configuration; a --restore snapshot that is corrupt,\n"
	       "             of another format version, or needs CPU features this host lacks\n"
	       "  3          guest crash: triple fault, KVM internal/emulation error or failed entry;\n"
	       "             the vCPU registers are printed to stderr\n"
	       "  128+N      stopped by signal N (SIGTERM, SIGINT: an orderly stop of every vCPU)\n"
	       "\n"
	       "Example:\n"
	       "  cella-vmm --kernel guest.elf --memory 64 --cpus 2 --cmdline 'console=ttyS0'\n"
	       "  echo '{\"kernel\": \"guest.elf\", \"memory_mib\": 64}' >vm.json; cella-vmm --config "
	       "vm.json --cpus 2\n";
}
