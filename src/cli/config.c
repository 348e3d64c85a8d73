// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella config set|unset|show|device`: an instance's config keys and devices after creation. */
#include "client.h"
#include "config_device.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char config_help[] =
	"NAME\n"
	"    cella config - change or show an instance's configuration\n"
	"\n"
	"SYNOPSIS\n"
	"    cella config set INSTANCE KEY=VALUE...\n"
	"    cella config unset INSTANCE KEY...\n"
	"    cella config show [--format text|json] INSTANCE\n"
	"    cella config device add INSTANCE DEVICE TYPE [KEY=VALUE]...\n"
	"    cella config device remove INSTANCE DEVICE...\n"
	"    cella config device list|show [--format text|json] INSTANCE\n"
	"\n"
	"DESCRIPTION\n"
	"    set changes configuration keys of an existing instance; unset removes\n"
	"    them (back to no limit). The keys that may change are limits.memory\n"
	"    (bytes, or 256MiB, 1GB...; at least 1MiB), limits.cpu (CPUs, e.g. 0.5:\n"
	"    a CFS quota; whole vCPUs for a VM) and limits.processes (a whole\n"
	"    number). A running container gets the new limits at once, in its\n"
	"    cgroup; a VM or a stopped container at its next start. Keys fixed at\n"
	"    creation (security.privileged, command) and unknown keys are refused,\n"
	"    naming the key, and nothing is changed.\n"
	"\n"
	"    show prints the configuration, one 'key: value' line per key (YAML),\n"
	"    or cellad's config object with --format json.\n"
	"\n"
	"    device add gives the instance a device beyond its root disk and eth0;\n"
	"    device remove takes one away; device list prints their names, device\n"
	"    show their keys. Devices are attached when the instance starts: a\n"
	"    change reaches a running instance at its next start. Types and keys:\n"
	"      disk  source=HOST-PATH (required, absolute), readonly=true|false;\n"
	"            for a container also path=PATH-IN-CONTAINER (required): the\n"
	"            host directory or file is bind-mounted there. For a VM the\n"
	"            source is a raw image file or block device, attached as one\n"
	"            more virtio-blk disk.\n"
	"      nic   nictype=bridged parent=HOST-BRIDGE (required), hwaddr=MAC\n"
	"            (default: generated once and kept); for a container also\n"
	"            name=IFNAME (default: the device name) and ipv4.address=\n"
	"            A.B.C.D/LEN (set by cellad: a system container may not set\n"
	"            addresses itself). A container gets a veth, a VM a TAP, on\n"
	"            that bridge; a VM's guest configures its own address.\n"
	"    Device names are 1-31 letters, digits, '_', '-', '.'; root and eth0\n"
	"    are the instance's own.\n"
	"\n"
	"OPTIONS\n"
	"    -f, --format text|json\n"
	"        show's output format (default: text).\n"
	"    --socket PATH\n"
	"        cellad's socket (default: $CELLA_SOCKET, else /run/cella/cella.sock).\n"
	"    -h, --help\n"
	"        Show this page.\n"
	"\n"
	"EXAMPLES\n"
	"    cella config set web limits.memory=512MiB limits.cpu=1.5\n"
	"    cella config unset web limits.cpu\n"
	"    cella config device add web data disk source=/srv/data path=/data\n"
	"    cella config device add vm1 lan nic nictype=bridged parent=br0\n"
	"    cella config device remove web data\n"
	"\n"
	"EXIT STATUS\n"
	"    0 on success, 1 when cellad refuses or the change fails, 2 on a usage error.\n";

/* set: KEY=VALUE words; unset: KEY words (null removes the key). */
static int change(const char *socket_path, const char *instance, bool set, int n, char **words,
		  cella_err_t *err)
{
	json_t *config = json_object(), *body, *op = NULL;
	char path[300];
	int ret;

	for (int i = 0; i < n; i++) {
		const char *eq = strchr(words[i], '=');

		if (set && (eq == NULL || eq == words[i])) {
			json_decref(config);
			return cella_cli_usage_error(err, "config", "set: expected KEY=VALUE, got '%s'",
						     words[i]);
		}
		if (!set && (eq || words[i][0] == '\0')) {
			json_decref(config);
			return cella_cli_usage_error(err, "config", "unset: expected a KEY, got '%s'",
						     words[i]);
		}
		if (set)
			json_object_setn_new(config, words[i], (size_t)(eq - words[i]), json_string(eq + 1));
		else
			json_object_set_new(config, words[i], json_null());
	}
	body = json_pack("{s:o}", "config", config);
	snprintf(path, sizeof(path), "/1.0/instances/%s", instance);
	ret = cella_client_async(socket_path, "PATCH", path, body, &op, err);
	json_decref(body);
	if (ret < 0)
		return cella_error_wrap(err, "config %s '%s'", set ? "set" : "unset", instance);
	json_decref(op);
	return CELLA_EXIT_OK;
}

/* A config value as text: strings as they are, anything else as compact JSON. */
static void print_value(json_t *v)
{
	if (json_is_string(v)) {
		puts(json_string_value(v));
		return;
	}
	json_dumpf(v, stdout, JSON_COMPACT | JSON_ENCODE_ANY);
	putchar('\n');
}

static int show(const char *socket_path, const char *instance, enum cella_cli_format format, cella_err_t *err)
{
	json_t *inst = NULL, *config, *v;
	const char *key;
	char path[300];

	snprintf(path, sizeof(path), "/1.0/instances/%s", instance);
	if (cella_client_sync(socket_path, "GET", path, NULL, &inst, err) < 0)
		return -1;
	config = json_object_get(inst, "config");
	if (format == CELLA_CLI_FORMAT_JSON) {
		json_dumpf(config ? config : json_object(), stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	} else {
		/* json_object_foreach keeps insertion order; cellad stores the keys sorted. */
		json_object_foreach (config, key, v) {
			printf("%s: ", key);
			print_value(v);
		}
	}
	json_decref(inst);
	return CELLA_EXIT_OK;
}

static int config_run(int argc, char **argv, cella_err_t *err)
{
	enum cella_cli_format format = CELLA_CLI_FORMAT_TEXT;
	const char *socket_opt = NULL, *sub, *instance;
	int c, n;

	c = cella_cli_format_options(argc, argv, &cella_cli_verb_config, &format, &socket_opt, err);
	if (c != 0)
		return c < 0 ? -1 : CELLA_EXIT_OK;
	if (optind >= argc)
		return cella_cli_usage_error(err, "config", "expected set, unset, show or device");
	sub = argv[optind];
	if (strcmp(sub, "device") == 0)
		return cella_cli_config_device(cella_client_socket(socket_opt), argc - optind - 1,
					       argv + optind + 1, format, err);
	if (strcmp(sub, "set") != 0 && strcmp(sub, "unset") != 0 && strcmp(sub, "show") != 0)
		return cella_cli_usage_error(err, "config",
					     "unknown subcommand '%s' (set, unset, show or device)", sub);
	if (optind + 1 >= argc)
		return cella_cli_usage_error(err, "config", "%s: expected an INSTANCE", sub);
	instance = argv[optind + 1];
	if (!cella_client_name_ok(instance))
		return cella_cli_usage_error(err, "config", "invalid instance name '%s'", instance);
	n = argc - optind - 2;
	if (strcmp(sub, "show") == 0) {
		if (n != 0)
			return cella_cli_usage_error(err, "config", "show: unexpected argument '%s'",
						     argv[optind + 2]);
		return show(cella_client_socket(socket_opt), instance, format, err);
	}
	if (n == 0)
		return cella_cli_usage_error(err, "config", "%s: expected at least one %s", sub,
					     strcmp(sub, "set") == 0 ? "KEY=VALUE" : "KEY");
	return change(cella_client_socket(socket_opt), instance, strcmp(sub, "set") == 0, n,
		      argv + optind + 2, err);
}

const struct cella_cli_verb cella_cli_verb_config = {
	.name = "config",
	.summary = "change or show an instance's configuration",
	.help = config_help,
	.run = config_run,
};
