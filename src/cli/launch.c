// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella launch IMAGE NAME`: create an instance from an image and start it. */
#include "client.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char launch_help[] =
	"NAME\n"
	"    cella launch - create an instance from an image and start it\n"
	"\n"
	"SYNOPSIS\n"
	"    cella launch [-c KEY=VALUE]... [-d DEVICE,type=TYPE[,KEY=VALUE]...]... [--no-start] [--vm]\n"
	"                 IMAGE NAME [-- COMMAND [ARG]...]\n"
	"\n"
	"DESCRIPTION\n"
	"    Creates the instance NAME from IMAGE (an image alias, or a fingerprint\n"
	"    or its prefix) and starts it. The image 'default' is built on first use\n"
	"    from the host's static busybox. System containers run in a user\n"
	"    namespace of their own unless security.privileged=true. With a COMMAND,\n"
	"    an application container: COMMAND runs as its first process instead of\n"
	"    the image's /sbin/init, and the instance stops when it ends. With --vm,\n"
	"    a virtual machine: IMAGE must be a VM image (cella image import --vm),\n"
	"    and cellad runs it in its own cella-vmm process. Progress is shown on\n"
	"    standard error (a bar on a terminal, one final line otherwise).\n"
	"\n"
	"OPTIONS\n"
	"    -c, --config KEY=VALUE\n"
	"        Instance setting: limits.memory (e.g. 256MiB), limits.processes,\n"
	"        limits.cpu (CPUs, e.g. 0.5), security.privileged (true|false).\n"
	"    -d, --device DEVICE,type=TYPE[,KEY=VALUE]...\n"
	"        A device of the instance: a disk (source, path, readonly) or a\n"
	"        nic (nictype=bridged, parent, hwaddr, name); see cella config\n"
	"        --help for the keys. Example: -d data,type=disk,source=/srv,path=/srv\n"
	"    --no-start\n"
	"        Create the instance but leave it stopped.\n"
	"    --vm\n"
	"        Create a virtual machine instead of a container (limits.cpu: whole\n"
	"        vCPUs; limits.memory: guest RAM).\n"
	"    --socket PATH\n"
	"        cellad's socket (default: $CELLA_SOCKET, else /run/cella/cella.sock).\n"
	"    -h, --help\n"
	"        Show this page.\n"
	"\n"
	"EXIT STATUS\n"
	"    0 on success, 1 when cellad refuses or the operation fails, 2 on a usage error.\n";

enum { OPT_SOCKET = 256, OPT_NO_START, OPT_VM };

/* A fingerprint (prefix) is 12 to 64 lowercase hex digits; anything else names an alias. */
static json_t *image_source(const char *image)
{
	size_t len = strlen(image);

	if (len >= 12 && len <= 64 && strspn(image, "0123456789abcdef") == len)
		return json_pack("{s:s}", "fingerprint", image);
	return json_pack("{s:s}", "alias", image);
}

/* -d NAME,KEY=VALUE[,KEY=VALUE]... (Incus's form) into devices[NAME]. */
static int parse_device(const char *arg, json_t *devices, cella_err_t *err)
{
	const char *comma = strchr(arg, ',');
	json_t *dev;

	if (comma == NULL || comma == arg)
		return cella_cli_usage_error(
			err, "launch", "--device: expected NAME,type=TYPE[,KEY=VALUE]..., got '%s'", arg);
	dev = json_object();
	json_object_setn_new(devices, arg, (size_t)(comma - arg), dev);
	for (const char *p = comma + 1; *p;) {
		size_t n = strcspn(p, ",");
		const char *eq = memchr(p, '=', n);

		if (eq == NULL || eq == p)
			return cella_cli_usage_error(err, "launch",
						     "--device: expected KEY=VALUE, got '%.*s' in '%s'",
						     (int)n, p, arg);
		json_object_setn_new(dev, p, (size_t)(eq - p),
				     json_stringn(eq + 1, n - (size_t)(eq - p) - 1));
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int launch_run(int argc, char **argv, cella_err_t *err)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"no-start", no_argument, NULL, OPT_NO_START},
		{"vm", no_argument, NULL, OPT_VM},
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"device", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *socket_opt = NULL;
	struct cella_progress progress;
	json_t *config = json_object(), *devices = json_object(), *body;
	bool start = true, vm = false;
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': {
			const char *eq = strchr(optarg, '=');

			if (eq == NULL || eq == optarg) {
				json_decref(config);
				return cella_cli_usage_error(
					err, "launch", "--config: expected KEY=VALUE, got '%s'", optarg);
			}
			json_object_setn_new(config, optarg, (size_t)(eq - optarg), json_string(eq + 1));
			break;
		}
		case 'd':
			if (parse_device(optarg, devices, err) < 0) {
				json_decref(config);
				json_decref(devices);
				return CELLA_EXIT_USAGE;
			}
			break;
		case OPT_NO_START:
			start = false;
			break;
		case OPT_VM:
			vm = true;
			break;
		case OPT_SOCKET:
			socket_opt = optarg;
			break;
		case 'h':
			json_decref(config);
			json_decref(devices);
			cella_cli_print_verb_help(&cella_cli_verb_launch, stdout);
			return CELLA_EXIT_OK;
		default:
			json_decref(config);
			json_decref(devices);
			return cella_cli_option_error(err, "launch", c, argv);
		}
	}
	if (argc - optind < 2) {
		json_decref(config);
		json_decref(devices);
		return cella_cli_usage_error(err, "launch", "expected IMAGE and NAME");
	}
	if (argc - optind > 2) {
		json_t *command = json_array();

		for (int i = optind + 2; i < argc; i++)
			json_array_append_new(command, json_string(argv[i]));
		json_object_set_new(config, "command", command);
	}
	body = json_pack("{s:s, s:s, s:o, s:o, s:o, s:b}", "name", argv[optind + 1], "type",
			 vm ? "vm" : "container", "source", image_source(argv[optind]), "config", config,
			 "devices", devices, "start", start);
	cella_client_progress_init(&progress, start ? "Launching instance" : "Creating instance");
	ret = cella_client_async_progress(cella_client_socket(socket_opt), "POST", "/1.0/instances", body,
					  NULL, &progress, err);
	json_decref(body);
	if (ret < 0)
		return ret;
	printf("%s %s\n", start ? "Launched" : "Created", argv[optind + 1]);
	return CELLA_EXIT_OK;
}

const struct cella_cli_verb cella_cli_verb_launch = {
	.name = "launch",
	.summary = "create an instance from an image and start it",
	.help = launch_help,
	.run = launch_run,
};
