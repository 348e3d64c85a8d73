// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Export: an image as one tar file, metadata.json first (format, type,
 * properties, the original fingerprint and aliases), then the image's rootfs/
 * (or vm/) tree. Importing that file back (POST /1.0/images with it as the
 * body) restores the tree and the properties; the new image's fingerprint is
 * the sha256 of the file, as for any uploaded tarball.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>
#include <cella/file.h>

#include "image_tar.h"
#include "image_transfer.h"
#include "images.h"
#include "util.h"
#include "vm.h"

/* metadata.json is small: anything larger is not one of ours. */
#define MAX_METADATA (1 << 20)

/* Serves the (already unlinked) file behind fd as the reply; takes fd. */
static enum MHD_Result reply_file(struct cellad_request *r, int fd, const char *fingerprint)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char disposition[128];
	struct stat st;

	if (fstat(fd, &st) < 0) {
		close(fd);
		return cellad_reply_error(r, 500, "export: stat: %s", strerror(errno));
	}
	resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (resp == NULL) {
		close(fd);
		return cellad_reply_error(r, 500, "export: cannot create the reply");
	}
	snprintf(disposition, sizeof(disposition), "attachment; filename=\"%.64s.tar\"", fingerprint);
	MHD_add_response_header(resp, "Content-Type", "application/x-tar");
	MHD_add_response_header(resp, "Content-Disposition", disposition);
	ret = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	r->dispatched = true;
	return ret;
}

enum MHD_Result cellad_api_image_export(struct cellad_request *r)
{
	struct cellad *d = r->d;
	json_t *src = json_pack("{s:s}", "fingerprint", r->arg), *row = NULL, *image = NULL, *meta;
	_cleanup_free_ char *tree = NULL, *tar = NULL, *text = NULL;
	cella_err_t err = NULL;
	struct cellad_tar_options opts = {.shift_base = -1};
	const char *fp, *type;
	char id[37];
	int fd;

	pthread_mutex_lock(&d->lock);
	if (cellad_image_resolve_locked(d, src, &row, &err) == 0)
		image = cellad_image_json_locked(d, row);
	pthread_mutex_unlock(&d->lock);
	json_decref(src);
	json_decref(row);
	if (image == NULL)
		return cellad_reply_err(r, MHD_HTTP_NOT_FOUND, &err);
	fp = json_string_value(json_object_get(image, "fingerprint"));
	type = json_string_value(json_object_get(image, "type"));
	opts.prefix = strcmp(type, "virtual-machine") == 0 ? "vm" : "rootfs";
	meta = json_pack("{s:s, s:i, s:s, s:s, s:O, s:O, s:O}", "format", CELLAD_EXPORT_FORMAT, "version", 1,
			 "fingerprint", fp, "type", type, "properties", json_object_get(image, "properties"),
			 "aliases", json_object_get(image, "aliases"), "created_at",
			 json_object_get(image, "created_at"));
	text = json_dumps(meta, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(meta);
	opts.metadata = text;
	if (text == NULL || cellad_uuid(id, &err) < 0 ||
	    asprintf(&tree, "%s/%s/%s", d->images_dir, fp, opts.prefix) < 0 ||
	    asprintf(&tar, "%s/export-%s.tar", d->tmp_dir, id) < 0) {
		json_decref(image);
		if (err == NULL)
			cella_error_make(&err, ENOMEM, "export");
		return cellad_reply_err(r, 500, &err);
	}
	if (cellad_tar_write_tree(tree, tar, &opts, &err) < 0) {
		json_decref(image);
		return cellad_reply_err(r, 500, &err);
	}
	/* Unlinked at once: the open file is all the reply needs, and nothing is left behind. */
	fd = open(tar, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	unlink(tar);
	if (fd < 0) {
		json_decref(image);
		cella_error_sys(&err, "open '%s'", tar);
		return cellad_reply_err(r, 500, &err);
	}
	{
		char fingerprint[65];

		snprintf(fingerprint, sizeof(fingerprint), "%s", fp);
		json_decref(image);
		return reply_file(r, fd, fingerprint);
	}
}

/* After unpacking: the staging dir must hold metadata.json and the one tree its type names, nothing else. */
static int check_layout(const char *staging, const char *tree, cella_err_t *err)
{
	_cleanup_closedir_ DIR *dir = opendir(staging);
	struct dirent *e;
	bool have_tree = false;

	if (dir == NULL)
		return cella_error_sys(err, "open '%s'", staging);
	while ((e = readdir(dir))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    strcmp(e->d_name, CELLAD_EXPORT_METADATA) == 0)
			continue;
		struct stat st;

		if (strcmp(e->d_name, tree) == 0 &&
		    fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
			have_tree = true;
			continue;
		}
		return cella_error_make(err, 0,
					"exported image: unexpected entry '%s' (expected %s and %s/ only)",
					e->d_name, CELLAD_EXPORT_METADATA, tree);
	}
	if (!have_tree)
		return cella_error_make(err, 0, "exported image: no %s/ directory", tree);
	return 0;
}

/* Reads and checks metadata.json; *properties = its properties (new reference), *vm its type. */
static int read_metadata(const char *staging, json_t **properties, bool *vm, cella_err_t *err)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	const char *format, *type;
	json_error_t jerr;
	json_t *doc, *props;
	struct stat st;

	if (asprintf(&path, "%s/%s", staging, CELLAD_EXPORT_METADATA) < 0)
		return cella_error_make(err, ENOMEM, "import");
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return cella_error_make(err, 0, "exported image: %s is not a regular file",
					CELLAD_EXPORT_METADATA);
	if (cella_file_read(path, MAX_METADATA, &text, NULL, err) < 0)
		return -1;
	doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return cella_error_make(err, 0, "exported image: %s: invalid JSON at line %d: %s",
					CELLAD_EXPORT_METADATA, jerr.line, jerr.text);
	format = json_string_value(json_object_get(doc, "format"));
	type = json_string_value(json_object_get(doc, "type"));
	props = json_object_get(doc, "properties");
	if (format == NULL || strcmp(format, CELLAD_EXPORT_FORMAT) != 0 ||
	    json_integer_value(json_object_get(doc, "version")) != 1) {
		json_decref(doc);
		return cella_error_make(err, 0, "exported image: %s: format: expected \"%s\" version 1",
					CELLAD_EXPORT_METADATA, CELLAD_EXPORT_FORMAT);
	}
	if (type == NULL || (strcmp(type, "container") != 0 && strcmp(type, "virtual-machine") != 0)) {
		json_decref(doc);
		return cella_error_make(
			err, 0, "exported image: %s: type: expected \"container\" or \"virtual-machine\"",
			CELLAD_EXPORT_METADATA);
	}
	if (props && !json_is_object(props)) {
		json_decref(doc);
		return cella_error_make(err, 0, "exported image: %s: properties: expected an object",
					CELLAD_EXPORT_METADATA);
	}
	*vm = strcmp(type, "virtual-machine") == 0;
	*properties = props ? json_incref(props) : json_object();
	json_decref(doc);
	if (unlink(path) < 0) {
		json_decref(*properties);
		*properties = NULL;
		return cella_error_sys(err, "remove '%s'", path);
	}
	return 0;
}

int cellad_op_image_import_export(struct cellad *d, struct cellad_op *op, cella_err_t *err)
{
	const char *tarball = json_string_value(json_object_get(op->args, "tarball"));
	_cleanup_free_ char *staging = NULL, *vm_dir = NULL;
	json_t *props = NULL;
	cella_err_t cleanup_err = NULL;
	bool vm = false;
	char fp[65];
	int ret;

	if (asprintf(&staging, "%s/.import-%s", d->images_dir, op->id) < 0 ||
	    asprintf(&vm_dir, "%s/vm", staging) < 0) {
		unlink(tarball);
		return cella_error_make(err, ENOMEM, "image import");
	}
	cellad_op_set_metadata(d, op, json_pack("{s:{s:s, s:i}}", "progress", "stage", "hash", "percent", 0));
	ret = cellad_file_sha256(tarball, fp, err);
	if (ret == 0) {
		cellad_op_set_metadata(
			d, op, json_pack("{s:{s:s, s:i}}", "progress", "stage", "unpack", "percent", 0));
		ret = cellad_image_unpack(tarball, staging, NULL, NULL, err);
	}
	unlink(tarball);
	if (ret == 0)
		ret = read_metadata(staging, &props, &vm, err);
	if (ret == 0)
		ret = check_layout(staging, vm ? "vm" : "rootfs", err);
	if (ret == 0 && vm)
		ret = cellad_vm_image_check(vm_dir, err);
	if (ret == 0)
		ret = cellad_image_register(d, staging, fp, json_object_get(op->args, "aliases"), props, err);
	json_decref(props);
	if (ret < 0) {
		if (cellad_rm_rf(staging, &cleanup_err) < 0)
			cella_error_release(&cleanup_err);
		return -1;
	}
	cellad_image_op_done(d, op, fp);
	return 0;
}
