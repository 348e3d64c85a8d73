// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `cella check`: what this host offers cella, one line per probe
 * ("ok   kvm: /dev/kvm API 12, ..."), or a JSON document for scripts.
 * Required items FAIL (exit 1) when missing; optional ones only warn,
 * unless --strict.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cella/cleanup.h>
#include <cella/host.h>
#include <cella/log.h>
#include <cella/xalloc.h>

enum check_status { CHECK_OK, CHECK_WARN, CHECK_FAIL };

struct check_item {
	const char *name;
	enum check_status status;
	char *detail;
};

#define MAX_ITEMS 8

struct check_report {
	struct check_item items[MAX_ITEMS];
	size_t n;
	json_t *host;	      /* structured probe results for --format json */
	bool host_incomplete; /* a value could not be encoded (jansson refuses invalid UTF-8) */
	struct cella_host_misc misc;
	bool misc_ok; /* misc holds a successful probe */
};

static const char *const status_names[] = {"ok", "warn", "FAIL"};

static const char check_help[] =
	"NAME\n"
	"    cella check - check what this host offers virtual machines and containers\n"
	"\n"
	"SYNOPSIS\n"
	"    cella check [--format text|json] [--strict] [--root DIR]\n"
	"\n"
	"DESCRIPTION\n"
	"    Probes the host and prints one line per item, as STATUS NAME: DETAIL,\n"
	"    where STATUS is ok, warn or FAIL:\n"
	"\n"
	"    kernel      the running kernel's release\n"
	"    kvm         /dev/kvm opens, reports API version 12 and creates a VM;\n"
	"                whether it is hardware-assisted (kvm_intel or kvm_amd with\n"
	"                vmx/svm) or nested software-assisted (kvm_pvm). A missing\n"
	"                or inaccessible /dev/kvm warns (containers still work); a\n"
	"                /dev/kvm that opens but does not work fails.\n"
	"    cgroup      the cgroup layout (v1, v2 or hybrid) and its controllers;\n"
	"                fails when no cgroup file system is mounted\n"
	"    namespaces  mnt, uts, ipc, pid and net are required; user (also\n"
	"                /proc/sys/user/max_user_namespaces > 0), cgroup and time\n"
	"                only warn when missing\n"
	"    seccomp     seccomp filter mode; warns when missing\n"
	"    overlayfs   overlay in /proc/filesystems; warns when missing\n"
	"\n"
	"OPTIONS\n"
	"    -f, --format text|json\n"
	"        Output format (default: text). json prints one object with\n"
	"        \"ok\", \"checks\" (name, status, detail) and \"host\" (the raw\n"
	"        probe results).\n"
	"    -s, --strict\n"
	"        Treat warnings as failures.\n"
	"    --root DIR\n"
	"        Probe DIR as if it were / (its proc/, sys/ and dev/kvm): for\n"
	"        inspecting a recorded host and for tests.\n"
	"    -h, --help\n"
	"        Show this page.\n"
	"\n"
	"EXIT STATUS\n"
	"    0   no required item failed (with --strict: and nothing warned)\n"
	"    1   a required item failed (with --strict: or an item warned)\n"
	"    2   usage error\n";

static __attribute__((format(printf, 4, 5))) void add_item(struct check_report *r, const char *name,
							   enum check_status status, const char *fmt, ...)
{
	struct check_item *it;
	va_list ap;

	if (r->n >= MAX_ITEMS)
		abort(); /* a programming error: MAX_ITEMS is too small */
	it = &r->items[r->n++];
	it->name = name;
	it->status = status;
	va_start(ap, fmt);
	it->detail = xvasprintf(fmt, ap);
	va_end(ap);
}

/* Adds a probe result to the JSON report; a value jansson could not build poisons the report. */
static void host_set(struct check_report *r, const char *key, json_t *value)
{
	if (value == NULL)
		r->host_incomplete = true;
	json_object_set_new(r->host, key, value);
}

static void check_kvm(struct check_report *r, const char *root)
{
	struct cella_host_kvm kvm;
	cella_err_t err = NULL;

	cella_debug("probing KVM");
	if (cella_host_probe_kvm(root, &kvm, &err) < 0) {
		add_item(r, "kvm", CHECK_FAIL, "%s", cella_error_string(err));
		cella_error_release(&err);
		return;
	}
	host_set(r, "kvm",
		 json_pack("{s:b, s:b, s:i, s:b, s:s, s:s, s:b, s:s}", "device_present", kvm.device_present,
			   "opened", kvm.opened, "api_version", kvm.api_version, "vm_created", kvm.vm_created,
			   "kind", cella_kvm_kind_name(kvm.kind), "module", kvm.module, "cpu_virt_flag",
			   kvm.cpu_virt_flag, "error", kvm.error));
	if (!kvm.opened) {
		add_item(r, "kvm", CHECK_WARN, "%s: virtual machines unavailable", kvm.error);
		return;
	}
	if (!kvm.vm_created) {
		add_item(r, "kvm", CHECK_FAIL, "%s", kvm.error);
		return;
	}
	if (kvm.kind == CELLA_KVM_UNKNOWN) {
		add_item(r, "kvm", CHECK_WARN,
			 "/dev/kvm API %d, acceleration unknown (neither kvm_intel/kvm_amd with vmx/svm nor "
			 "kvm_pvm)",
			 kvm.api_version);
		return;
	}
	add_item(r, "kvm", CHECK_OK, "/dev/kvm API %d, %s (%s)", kvm.api_version,
		 cella_kvm_kind_name(kvm.kind), kvm.module);
}

static char *join(char **v, const char *sep, const char *empty)
{
	size_t len = 1;
	char *s;

	if (v[0] == NULL)
		return xstrdup(empty);
	for (size_t i = 0; v[i]; i++)
		len += strlen(v[i]) + strlen(sep);
	s = xcalloc(1, len);
	for (size_t i = 0; v[i]; i++) {
		if (i)
			strcat(s, sep);
		strcat(s, v[i]);
	}
	return s;
}

static json_t *strv_to_json(char **v)
{
	json_t *a = json_array();

	for (size_t i = 0; v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static void check_cgroup(struct check_report *r, const char *root)
{
	struct cella_host_cgroup cg;
	cella_err_t err = NULL;
	_cleanup_free_ char *v1 = NULL;
	_cleanup_free_ char *v2 = NULL;

	cella_debug("probing cgroups");
	if (cella_host_probe_cgroup(root, &cg, &err) < 0) {
		add_item(r, "cgroup", CHECK_FAIL, "%s", cella_error_string(err));
		cella_error_release(&err);
		return;
	}
	v1 = join(cg.v1_controllers, ",", "none");
	v2 = join(cg.v2_controllers, ",", "none");
	host_set(r, "cgroup",
		 json_pack("{s:s, s:o, s:s?, s:o}", "layout", cella_cgroup_layout_name(cg.layout),
			   "v1_controllers", strv_to_json(cg.v1_controllers), "v2_mount", cg.v2_mount,
			   "v2_controllers", strv_to_json(cg.v2_controllers)));
	switch (cg.layout) {
	case CELLA_CGROUP_NONE:
		add_item(r, "cgroup", CHECK_FAIL, "no cgroup file system mounted");
		break;
	case CELLA_CGROUP_V1:
		add_item(r, "cgroup", CHECK_OK, "v1 (controllers: %s)", v1);
		break;
	case CELLA_CGROUP_V2:
		add_item(r, "cgroup", CHECK_OK, "v2 at %s (controllers: %s)", cg.v2_mount, v2);
		break;
	case CELLA_CGROUP_HYBRID:
		add_item(r, "cgroup", CHECK_OK, "hybrid: v1 controllers %s; v2 at %s (controllers: %s)", v1,
			 cg.v2_mount, v2);
		break;
	}
	cella_host_cgroup_release(&cg);
}

static void check_namespaces(struct check_report *r, const char *root)
{
	static const enum cella_ns_type required[] = {CELLA_NS_MNT, CELLA_NS_UTS, CELLA_NS_IPC, CELLA_NS_PID,
						      CELLA_NS_NET};
	char have[128] = "", missing[128] = "";
	bool missing_required = false;
	struct cella_host_ns ns;
	cella_err_t err = NULL;
	json_t *j;

	cella_debug("probing namespaces");
	if (cella_host_probe_namespaces(root, &ns, &err) < 0) {
		add_item(r, "namespaces", CHECK_FAIL, "%s", cella_error_string(err));
		cella_error_release(&err);
		return;
	}
	j = json_object();
	for (int i = 0; i < CELLA_NS_COUNT; i++) {
		char *list = ns.available[i] ? have : missing;

		json_object_set_new(j, cella_ns_name(i), json_boolean(ns.available[i]));
		if (*list)
			strcat(list, " ");
		strcat(list, cella_ns_name(i));
	}
	json_object_set_new(j, "max_user_namespaces", json_integer(ns.max_user_namespaces));
	host_set(r, "namespaces", j);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		missing_required |= !ns.available[required[i]];
	if (*missing == '\0')
		add_item(r, "namespaces", CHECK_OK, "%s", have);
	else
		add_item(r, "namespaces", missing_required ? CHECK_FAIL : CHECK_WARN,
			 "missing %s%s (have: %s)", missing,
			 ns.max_user_namespaces == 0 ? "; max_user_namespaces is 0" : "",
			 *have ? have : "none");
}

static void check_kernel(struct check_report *r, const char *root)
{
	cella_err_t err = NULL;

	cella_debug("probing kernel, seccomp, overlayfs");
	if (cella_host_probe_misc(root, &r->misc, &err) < 0) {
		add_item(r, "kernel", CHECK_FAIL, "%s", cella_error_string(err));
		cella_error_release(&err);
		return;
	}
	r->misc_ok = true;
	host_set(r, "kernel", json_string(r->misc.kernel_release));
	host_set(r, "seccomp",
		 json_pack("{s:b, s:b}", "available", r->misc.seccomp, "filter", r->misc.seccomp_filter));
	host_set(r, "overlayfs", json_boolean(r->misc.overlayfs));
	add_item(r, "kernel", CHECK_OK, "Linux %s", r->misc.kernel_release);
}

/* From the probe check_kernel() made; nothing to report if that failed. */
static void check_seccomp_overlayfs(struct check_report *r)
{
	if (!r->misc_ok)
		return;
	if (r->misc.seccomp_filter)
		add_item(r, "seccomp", CHECK_OK, "filter mode available");
	else
		add_item(r, "seccomp", CHECK_WARN, "%s: containers would run without syscall filtering",
			 r->misc.seccomp ? "no filter mode (no /proc/sys/kernel/seccomp/actions_avail)"
					 : "not supported by the kernel");
	if (r->misc.overlayfs)
		add_item(r, "overlayfs", CHECK_OK, "overlay in /proc/filesystems");
	else
		add_item(r, "overlayfs", CHECK_WARN,
			 "overlay not in /proc/filesystems (module not loaded?): layered images unavailable");
}

static bool report_passes(const struct check_report *r, bool strict)
{
	for (size_t i = 0; i < r->n; i++) {
		if (r->items[i].status == CHECK_FAIL || (strict && r->items[i].status == CHECK_WARN))
			return false;
	}
	return true;
}

static int print_json(const struct check_report *r, bool strict, bool ok, cella_err_t *err)
{
	json_t *doc, *checks = json_array();
	int ret;

	for (size_t i = 0; i < r->n; i++) {
		json_t *item = json_pack("{s:s, s:s, s:s}", "name", r->items[i].name, "status",
					 status_names[r->items[i].status], "detail", r->items[i].detail);

		if (item == NULL || r->host_incomplete) {
			json_decref(item);
			json_decref(checks);
			return cella_error_make(err, 0,
						"check: cannot encode the report as JSON (invalid UTF-8?)");
		}
		json_array_append_new(checks, item);
	}
	doc = json_pack("{s:b, s:b, s:o, s:O}", "ok", ok, "strict", strict, "checks", checks, "host",
			r->host);
	if (doc == NULL)
		return cella_error_make(err, 0, "check: cannot encode JSON");
	ret = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (ret < 0)
		return cella_error_sys(err, "check: write output");
	putchar('\n');
	return 0;
}

static int check_run(int argc, char **argv, cella_err_t *err)
{
	enum { OPT_ROOT = 256 };
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"strict", no_argument, NULL, 's'},
		{"root", required_argument, NULL, OPT_ROOT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	enum cella_cli_format format = CELLA_CLI_FORMAT_TEXT;
	struct check_report report = {.n = 0};
	const char *root = NULL;
	bool strict = false, ok;
	struct stat st;
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:sh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			ret = cella_cli_parse_format("check", optarg, &format, err);
			if (ret < 0)
				return ret;
			break;
		case 's':
			strict = true;
			break;
		case OPT_ROOT:
			if (stat(optarg, &st) < 0)
				return cella_cli_usage_error(err, "check",
							     "invalid value '%s' for option '--root': %s",
							     optarg, strerror(errno));
			if (!S_ISDIR(st.st_mode))
				return cella_cli_usage_error(
					err, "check",
					"invalid value '%s' for option '--root': not a directory", optarg);
			root = optarg;
			break;
		case 'h':
			cella_cli_print_verb_help(&cella_cli_verb_check, stdout);
			return CELLA_EXIT_OK;
		default:
			return cella_cli_option_error(err, "check", c, argv);
		}
	}
	ret = cella_cli_no_arguments(err, "check", argc, argv);
	if (ret < 0)
		return ret;

	report.host = json_object();
	check_kernel(&report, root);
	check_kvm(&report, root);
	check_cgroup(&report, root);
	check_namespaces(&report, root);
	check_seccomp_overlayfs(&report);
	ok = report_passes(&report, strict);

	if (format == CELLA_CLI_FORMAT_JSON) {
		ret = print_json(&report, strict, ok, err);
	} else {
		ret = 0;
		for (size_t i = 0; i < report.n; i++)
			printf("%-4s %s: %s\n", status_names[report.items[i].status], report.items[i].name,
			       report.items[i].detail);
	}
	for (size_t i = 0; i < report.n; i++)
		free(report.items[i].detail);
	json_decref(report.host);
	if (ret < 0)
		return ret;
	if (!ok) {
		ret = cella_error_make(err, 0, "check: %s",
				       strict ? "a required item failed or an item warned (--strict)"
					      : "a required item failed");
		cella_error_set_status(*err, CELLA_EXIT_FAIL);
		return ret;
	}
	return CELLA_EXIT_OK;
}

const struct cella_cli_verb cella_cli_verb_check = {
	.name = "check",
	.summary = "check what this host offers virtual machines and containers",
	.help = check_help,
	.run = check_run,
};
