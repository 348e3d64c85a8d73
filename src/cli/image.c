// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella image import|list|delete|publish|export`: cellad's images. */
#include "client.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cella/cleanup.h>

static const char image_help[] =
	"NAME\n"
	"    cella image - import, list, delete, publish and export images\n"
	"\n"
	"SYNOPSIS\n"
	"    cella image import [--alias NAME]... TARBALL|DIRECTORY|EXPORTED-FILE\n"
	"    cella image import --vm [--alias NAME]... DIRECTORY\n"
	"    cella image list [--format text|json]\n"
	"    cella image delete IMAGE...\n"
	"    cella image publish [--alias NAME]... [--property KEY=VALUE]... INSTANCE\n"
	"    cella image export IMAGE FILE\n"
	"\n"
	"DESCRIPTION\n"
	"    import uploads a root file system tarball (any format and compression\n"
	"    libarchive reads) or has cellad copy a directory, and prints the new\n"
	"    image's fingerprint. A file made by 'cella image export' is imported\n"
	"    with its properties and its type (container or VM). With --vm,\n"
	"    DIRECTORY holds a VM image: a kernel file named kernel (PVH ELF,\n"
	"    bzImage or Multiboot), optionally initrd and cmdline. list prints\n"
	"    FINGERPRINT (12 digits), ALIASES and CREATED. delete removes images no\n"
	"    instance uses.\n"
	"\n"
	"    publish turns the root file system of a stopped container INSTANCE (its\n"
	"    image with the changes made in it) into a new image and prints its\n"
	"    fingerprint; files the container's root owns belong to root in the image.\n"
	"\n"
	"    export writes IMAGE as one tar file, FILE: metadata.json (type,\n"
	"    properties, the fingerprint and aliases it had) followed by the image's\n"
	"    tree. FILE is written under a temporary name and renamed when complete.\n"
	"\n"
	"    IMAGE is an alias or a fingerprint (or a unique prefix of one). Long\n"
	"    operations show a progress bar on standard error when it is a terminal,\n"
	"    and one final line otherwise.\n"
	"\n"
	"OPTIONS\n"
	"    -a, --alias NAME\n"
	"        Give the imported or published image this alias (repeatable).\n"
	"    -p, --property KEY=VALUE\n"
	"        publish: set an image property (repeatable), e.g. description=...\n"
	"    --vm\n"
	"        import a VM image directory instead of a root file system.\n"
	"    -f, --format text|json\n"
	"        list's output format (default: text).\n"
	"    --socket PATH\n"
	"        cellad's socket (default: $CELLA_SOCKET, else /run/cella/cella.sock).\n"
	"    -h, --help\n"
	"        Show this page.\n"
	"\n"
	"EXIT STATUS\n"
	"    0 on success, 1 when cellad refuses or the operation fails, 2 on a usage error.\n";

enum { OPT_SOCKET = 256, OPT_VM };

/* Prints the new image's fingerprint from a finished operation. */
static void print_fingerprint(json_t *op)
{
	printf("%s\n",
	       json_string_value(json_object_get(json_object_get(op, "metadata"), "fingerprint")) ?: "?");
}

static int import_image(const char *socket_path, const char *source, json_t *aliases, bool vm,
			cella_err_t *err)
{
	json_t *doc = NULL, *op = NULL;
	struct cella_progress progress;
	struct stat st;
	int status = 0, ret;

	if (stat(source, &st) < 0)
		return cella_error_sys(err, "image import: '%s'", source);
	if (vm && !S_ISDIR(st.st_mode))
		return cella_error_make(
			err, 0,
			"image import --vm: '%s' is not a directory (expected kernel, and optionally "
			"initrd and cmdline, in a directory)",
			source);
	if (S_ISDIR(st.st_mode)) {
		char real[PATH_MAX];
		json_t *body;

		if (realpath(source, real) == NULL)
			return cella_error_sys(err, "image import: '%s'", source);
		body = json_pack("{s:{s:s, s:s}, s:O}", "source", "type", vm ? "vm-directory" : "directory",
				 "path", real, "aliases", aliases);
		cella_client_progress_init(&progress, "Importing image");
		ret = cella_client_async_progress(socket_path, "POST", "/1.0/images", body, &op, &progress,
						  err);
		json_decref(body);
	} else {
		char *header = NULL;
		size_t i;
		json_t *a;
		size_t len = 0;
		FILE *f = open_memstream(&header, &len);

		if (f == NULL)
			return cella_error_sys(err, "image import");
		fputs("X-Cella-Aliases: ", f);
		json_array_foreach (aliases, i, a) {
			fprintf(f, "%s%s", i ? "," : "", json_string_value(json_object_get(a, "name")));
		}
		fclose(f);
		ret = cella_client_request(socket_path, "POST", "/1.0/images", "application/octet-stream",
					   NULL, source, json_array_size(aliases) ? header : NULL, &status,
					   &doc, err);
		free(header);
		if (ret == 0 && json_is_string(json_object_get(doc, "error")) &&
		    strcmp(json_string_value(json_object_get(doc, "type")), "error") == 0)
			ret = cella_error_make(err, 0, "%s",
					       json_string_value(json_object_get(doc, "error")));
		cella_client_progress_init(&progress, "Importing image");
		if (ret == 0)
			ret = cella_client_wait_progress(socket_path, doc, &op, &progress, err);
		json_decref(doc);
	}
	if (ret < 0)
		return cella_error_wrap(err, "image import '%s'", source);
	print_fingerprint(op);
	json_decref(op);
	return 0;
}

static int publish_image(const char *socket_path, const char *instance, json_t *aliases, json_t *properties,
			 cella_err_t *err)
{
	struct cella_progress progress;
	json_t *body, *op = NULL;
	int ret;

	if (!cella_client_name_ok(instance))
		return cella_cli_usage_error(err, "image", "publish: invalid instance name '%s'", instance);
	body = json_pack("{s:{s:s, s:s}, s:O, s:O}", "source", "type", "instance", "name", instance,
			 "aliases", aliases, "properties", properties);
	cella_client_progress_init(&progress, "Publishing image");
	ret = cella_client_async_progress(socket_path, "POST", "/1.0/images", body, &op, &progress, err);
	json_decref(body);
	if (ret < 0)
		return cella_error_wrap(err, "image publish '%s'", instance);
	print_fingerprint(op);
	json_decref(op);
	return 0;
}

static int export_image(const char *socket_path, const char *image, const char *file, cella_err_t *err)
{
	_cleanup_free_ char *fp = NULL;
	char path[512];

	if (cella_client_image_fingerprint(socket_path, image, &fp, err) < 0)
		return cella_error_wrap(err, "image export");
	snprintf(path, sizeof(path), "/1.0/images/%s/export", fp);
	if (cella_client_download(socket_path, path, file, err) < 0)
		return cella_error_wrap(err, "image export '%s' to '%s'", image, file);
	return 0;
}

static int list_images(const char *socket_path, enum cella_cli_format format, cella_err_t *err)
{
	json_t *list = NULL, *img;
	size_t i;

	if (cella_client_sync(socket_path, "GET", "/1.0/images?recursion=1", NULL, &list, err) < 0)
		return -1;
	if (format == CELLA_CLI_FORMAT_JSON) {
		json_dumpf(list, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(list);
		return 0;
	}
	printf("%-12s  %-24s %s\n", "FINGERPRINT", "ALIASES", "CREATED");
	json_array_foreach (list, i, img) {
		char names[256] = "";
		size_t j, used = 0;
		json_t *a;

		json_array_foreach (json_object_get(img, "aliases"), j, a) {
			int n = snprintf(names + used, sizeof(names) - used, "%s%s", j ? "," : "",
					 json_string_value(json_object_get(a, "name")));

			if (n < 0 || (size_t)n >= sizeof(names) - used)
				break;
			used += (size_t)n;
		}
		printf("%.12s  %-24s %s\n", json_string_value(json_object_get(img, "fingerprint")),
		       used ? names : "-", json_string_value(json_object_get(img, "created_at")));
	}
	json_decref(list);
	return 0;
}

/* An alias is resolved to its fingerprint first; anything else is taken as a fingerprint prefix. */
static int delete_image(const char *socket_path, const char *image, cella_err_t *err)
{
	json_t *alias = NULL;
	char path[512];
	cella_err_t ignore = NULL;
	int ret;

	if (!cella_client_name_ok(image))
		return cella_cli_usage_error(err, "image", "delete: invalid image name '%s'", image);
	snprintf(path, sizeof(path), "/1.0/images/aliases/%s", image);
	if (cella_client_sync(socket_path, "GET", path, NULL, &alias, &ignore) == 0 &&
	    json_string_value(json_object_get(alias, "target")))
		snprintf(path, sizeof(path), "/1.0/images/%s",
			 json_string_value(json_object_get(alias, "target")));
	else
		snprintf(path, sizeof(path), "/1.0/images/%s", image);
	cella_error_release(&ignore);
	json_decref(alias);
	ret = cella_client_async(socket_path, "DELETE", path, NULL, NULL, err);
	return ret < 0 ? cella_error_wrap(err, "image delete '%s'", image) : 0;
}

static int image_run(int argc, char **argv, cella_err_t *err)
{
	static const struct option longopts[] = {
		{"alias", required_argument, NULL, 'a'},
		{"vm", no_argument, NULL, OPT_VM},
		{"format", required_argument, NULL, 'f'},
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"property", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	enum cella_cli_format format = CELLA_CLI_FORMAT_TEXT;
	const char *socket_opt = NULL, *sub;
	json_t *aliases = json_array(), *properties = json_object();
	bool vm = false;
	int c, ret = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":a:f:p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			json_array_append_new(aliases, json_pack("{s:s}", "name", optarg));
			break;
		case 'p': {
			const char *eq = strchr(optarg, '=');

			if (eq == NULL || eq == optarg) {
				cella_cli_usage_error(err, "image",
						      "--property: expected KEY=VALUE, got '%s'", optarg);
				goto fail;
			}
			json_object_setn_new(properties, optarg, (size_t)(eq - optarg), json_string(eq + 1));
			break;
		}
		case 'f':
			if (cella_cli_parse_format("image", optarg, &format, err) < 0)
				goto fail;
			break;
		case OPT_SOCKET:
			socket_opt = optarg;
			break;
		case OPT_VM:
			vm = true;
			break;
		case 'h':
			json_decref(aliases);
			json_decref(properties);
			cella_cli_print_verb_help(&cella_cli_verb_image, stdout);
			return CELLA_EXIT_OK;
		default:
			cella_cli_option_error(err, "image", c, argv);
			goto fail;
		}
	}
	if (optind >= argc) {
		cella_cli_usage_error(err, "image", "expected import, list, delete, publish or export");
		goto fail;
	}
	sub = argv[optind++];
	if (strcmp(sub, "import") == 0) {
		if (argc - optind != 1) {
			cella_cli_usage_error(err, "image", "import: expected one TARBALL or DIRECTORY");
			goto fail;
		}
		ret = import_image(cella_client_socket(socket_opt), argv[optind], aliases, vm, err);
	} else if (strcmp(sub, "list") == 0) {
		if (cella_cli_no_arguments(err, "image", argc, argv) < 0)
			goto fail;
		ret = list_images(cella_client_socket(socket_opt), format, err);
	} else if (strcmp(sub, "delete") == 0) {
		if (optind >= argc) {
			cella_cli_usage_error(err, "image", "delete: no image named");
			goto fail;
		}
		for (int i = optind; i < argc && ret == 0; i++)
			ret = delete_image(cella_client_socket(socket_opt), argv[i], err);
	} else if (strcmp(sub, "publish") == 0) {
		if (argc - optind != 1) {
			cella_cli_usage_error(err, "image", "publish: expected one INSTANCE");
			goto fail;
		}
		ret = publish_image(cella_client_socket(socket_opt), argv[optind], aliases, properties, err);
	} else if (strcmp(sub, "export") == 0) {
		if (argc - optind != 2) {
			cella_cli_usage_error(err, "image", "export: expected IMAGE and FILE");
			goto fail;
		}
		ret = export_image(cella_client_socket(socket_opt), argv[optind], argv[optind + 1], err);
	} else {
		cella_cli_usage_error(err, "image",
				      "unknown subcommand '%s' (import, list, delete, publish or export)",
				      sub);
		goto fail;
	}
	json_decref(aliases);
	json_decref(properties);
	return ret < 0 ? -1 : CELLA_EXIT_OK;
fail:
	json_decref(aliases);
	json_decref(properties);
	return -1;
}

const struct cella_cli_verb cella_cli_verb_image = {
	.name = "image",
	.summary = "import, list, delete, publish and export images",
	.help = image_help,
	.run = image_run,
};
