// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella config device add|remove|list|show`: an instance's devices (Incus's `config device`). */
#include "config_device.h"

#include <stdio.h>
#include <string.h>

static int patch_devices(const char *socket_path, const char *instance, json_t *devices, const char *what,
			 cella_err_t *err)
{
	json_t *body = json_pack("{s:o}", "devices", devices), *op = NULL;
	char path[300];
	int ret;

	snprintf(path, sizeof(path), "/1.0/instances/%s", instance);
	ret = cella_client_async(socket_path, "PATCH", path, body, &op, err);
	json_decref(body);
	if (ret < 0)
		return cella_error_wrap(err, "config device %s '%s'", what, instance);
	json_decref(op);
	return CELLA_EXIT_OK;
}

/* add INSTANCE DEVICE TYPE [KEY=VALUE]... */
static int add(const char *socket_path, const char *instance, int n, char **words, cella_err_t *err)
{
	json_t *dev;

	if (n < 2)
		return cella_cli_usage_error(err, "config",
					     "device add: expected DEVICE TYPE [KEY=VALUE]...");
	dev = json_pack("{s:s}", "type", words[1]);
	for (int i = 2; i < n; i++) {
		const char *eq = strchr(words[i], '=');

		if (eq == NULL || eq == words[i]) {
			json_decref(dev);
			return cella_cli_usage_error(err, "config",
						     "device add: expected KEY=VALUE, got '%s'", words[i]);
		}
		json_object_setn_new(dev, words[i], (size_t)(eq - words[i]), json_string(eq + 1));
	}
	return patch_devices(socket_path, instance, json_pack("{s:o}", words[0], dev), "add", err);
}

/* remove INSTANCE DEVICE... (null removes one; cellad refuses an unknown name) */
static int remove_devices(const char *socket_path, const char *instance, int n, char **words,
			  cella_err_t *err)
{
	json_t *devices = json_object();

	if (n < 1) {
		json_decref(devices);
		return cella_cli_usage_error(err, "config", "device remove: expected a DEVICE");
	}
	for (int i = 0; i < n; i++)
		json_object_set_new(devices, words[i], json_null());
	return patch_devices(socket_path, instance, devices, "remove", err);
}

static int list_or_show(const char *socket_path, const char *instance, bool show,
			enum cella_cli_format format, cella_err_t *err)
{
	json_t *inst = NULL, *devices, *dev, *v;
	const char *name, *key;
	char path[300];

	snprintf(path, sizeof(path), "/1.0/instances/%s", instance);
	if (cella_client_sync(socket_path, "GET", path, NULL, &inst, err) < 0)
		return -1;
	devices = json_object_get(inst, "devices");
	if (format == CELLA_CLI_FORMAT_JSON) {
		json_dumpf(devices ? devices : json_object(), stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	} else {
		json_object_foreach (devices, name, dev) {
			if (!show) {
				puts(name);
				continue;
			}
			/* YAML, as `incus config device show` prints it. */
			printf("%s:\n", name);
			json_object_foreach (dev, key, v) {
				if (json_is_string(v))
					printf("  %s: %s\n", key, json_string_value(v));
				else
					printf("  %s: %s\n", key, json_is_true(v) ? "true" : "false");
			}
		}
	}
	json_decref(inst);
	return CELLA_EXIT_OK;
}

int cella_cli_config_device(const char *socket_path, int argc, char **argv, enum cella_cli_format format,
			    cella_err_t *err)
{
	const char *sub, *instance;

	if (argc < 1)
		return cella_cli_usage_error(err, "config", "device: expected add, remove, list or show");
	sub = argv[0];
	if (argc < 2)
		return cella_cli_usage_error(err, "config", "device %s: expected an INSTANCE", sub);
	instance = argv[1];
	if (!cella_client_name_ok(instance))
		return cella_cli_usage_error(err, "config", "invalid instance name '%s'", instance);
	if (strcmp(sub, "add") == 0)
		return add(socket_path, instance, argc - 2, argv + 2, err);
	if (strcmp(sub, "remove") == 0)
		return remove_devices(socket_path, instance, argc - 2, argv + 2, err);
	if (strcmp(sub, "list") == 0 || strcmp(sub, "show") == 0) {
		if (argc > 2)
			return cella_cli_usage_error(err, "config", "device %s: unexpected argument '%s'",
						     sub, argv[2]);
		return list_or_show(socket_path, instance, strcmp(sub, "show") == 0, format, err);
	}
	return cella_cli_usage_error(err, "config",
				     "device: unknown subcommand '%s' (add, remove, list or show)", sub);
}
