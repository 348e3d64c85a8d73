// SPDX-License-Identifier: GPL-2.0-or-later
/* Image records: registration, lookup, the import and delete operations. */
#include "images.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "events.h"
#include "storage.h"
#include "util.h"
#include "vm.h"

/* True (with err set) when the image is already registered: checked before the pool seals the staging copy. */
static bool image_exists(struct cellad *d, const char *fingerprint, cella_err_t *err)
{
	json_t *row = NULL;
	bool exists;

	pthread_mutex_lock(&d->lock);
	if (cellad_db_query_one(d->db, "SELECT id FROM images WHERE fingerprint = ?",
				DB_ARGS(DB_TEXT(fingerprint)), &row, err) < 0) {
		pthread_mutex_unlock(&d->lock);
		return true;
	}
	pthread_mutex_unlock(&d->lock);
	exists = row != NULL;
	json_decref(row);
	if (exists)
		cella_error_make(err, EEXIST, "image %s already exists", fingerprint);
	return exists;
}

int cellad_image_register(struct cellad *d, const char *staging, const char *fingerprint, json_t *aliases,
			  json_t *properties, cella_err_t *err)
{
	_cleanup_free_ char *final = NULL, *now = cellad_now_rfc3339(), *props = NULL, *source = NULL,
			    *rootfs = NULL;
	json_t *row = NULL, *alias;
	cella_err_t ignore = NULL;
	long long image_id;
	size_t i;

	if (asprintf(&final, "%s/%s", d->images_dir, fingerprint) < 0 || now == NULL ||
	    asprintf(&rootfs, "%s/rootfs", staging) < 0 ||
	    (props = properties ? json_dumps(properties, JSON_COMPACT) : strdup("{}")) == NULL)
		return cella_error_make(err, ENOMEM, "register image");
	if (image_exists(d, fingerprint, err))
		return -1;
	/* The pool's form of an image (btrfs: a read-only subvolume), made before it is renamed into place. */
	if (access(rootfs, F_OK) == 0 && cellad_storage_image_seal(rootfs, err) < 0)
		return cella_error_wrap(err, "image %s", fingerprint);
	pthread_mutex_lock(&d->lock);
	if (cellad_db_begin(d->db, err) < 0)
		goto fail_unlocked_tx;
	if (cellad_db_query_one(d->db, "SELECT id FROM images WHERE fingerprint = ?",
				DB_ARGS(DB_TEXT(fingerprint)), &row, err) < 0)
		goto fail;
	if (row) {
		cella_error_make(err, EEXIST, "image %s already exists", fingerprint);
		goto fail;
	}
	if (cellad_db_run(
		    d->db,
		    "INSERT INTO images (fingerprint, ready, properties, created_at) VALUES (?, 1, ?, ?)",
		    DB_ARGS(DB_TEXT(fingerprint), DB_TEXT(props), DB_TEXT(now)), NULL, err) < 0)
		goto fail;
	if (cellad_db_query_one(d->db, "SELECT id FROM images WHERE fingerprint = ?",
				DB_ARGS(DB_TEXT(fingerprint)), &row, err) < 0 ||
	    row == NULL)
		goto fail;
	image_id = json_integer_value(json_object_get(row, "id"));
	json_array_foreach (aliases, i, alias) {
		const char *name = json_string_value(json_object_get(alias, "name"));
		const char *desc = json_string_value(json_object_get(alias, "description"));

		if (cellad_db_run(d->db,
				  "INSERT INTO image_aliases (name, image_id, description) VALUES (?, ?, ?)",
				  DB_ARGS(DB_TEXT(name), DB_INT(image_id), DB_TEXT(desc ? desc : "")), NULL,
				  err) < 0) {
			cella_error_wrap(err, "aliases: '%s'", name);
			goto fail;
		}
	}
	/* The rename is the commit point on disk; a crash before the COMMIT leaves a directory
	 * without a row, which start-up removes. */
	if (rename(staging, final) < 0) {
		cella_error_sys(err, "move '%s' to '%s'", staging, final);
		goto fail;
	}
	if (cellad_db_commit(d->db, err) < 0) {
		rename(final, staging);
		goto fail_unlocked_tx;
	}
	if (asprintf(&source, "/1.0/images/%s", fingerprint) > 0)
		cellad_lifecycle_locked(d, "image-created", source);
	pthread_mutex_unlock(&d->lock);
	json_decref(row);
	return 0;
fail:
	cellad_db_rollback(d->db);
fail_unlocked_tx:
	pthread_mutex_unlock(&d->lock);
	json_decref(row);
	/* The callers remove the staging directory with cellad_rm_rf, which leaves subvolumes alone. */
	if (cellad_storage_rm_rf(rootfs, &ignore) < 0)
		cella_error_release(&ignore);
	return -1;
}

/* A VM image's raw disk (vm/disk.img): {"size": bytes}, or null when it has none. */
static json_t *vm_disk_json(struct cellad *d, const char *fingerprint)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s/vm/disk.img", d->images_dir, fingerprint ? fingerprint : "");
	if (fingerprint == NULL || lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return json_null();
	return json_pack("{s:I}", "size", (json_int_t)st.st_size);
}

json_t *cellad_image_json_locked(struct cellad *d, json_t *row)
{
	long long id = json_integer_value(json_object_get(row, "id"));
	json_t *aliases = NULL, *props, *out;
	cella_err_t err = NULL;

	if (cellad_db_query(d->db,
			    "SELECT name, description FROM image_aliases WHERE image_id = ? ORDER BY name",
			    DB_ARGS(DB_INT(id)), &aliases, &err) < 0) {
		cella_error_release(&err);
		aliases = json_array();
	}
	props = json_loads(json_string_value(json_object_get(row, "properties")), 0, NULL);
	out = json_pack("{s:O, s:o, s:o, s:O, s:O, s:s}", "fingerprint", json_object_get(row, "fingerprint"),
			"aliases", aliases, "properties", props ? props : json_object(), "created_at",
			json_object_get(row, "created_at"), "size", json_object_get(row, "size"), "type",
			cellad_image_is_vm(d, json_string_value(json_object_get(row, "fingerprint")))
				? "virtual-machine"
				: "container");
	if (out)
		json_object_set_new(out, "vm_disk",
				    vm_disk_json(d, json_string_value(json_object_get(row, "fingerprint"))));
	return out;
}

int cellad_image_resolve_locked(struct cellad *d, json_t *source, json_t **image, cella_err_t *err)
{
	const char *alias = json_string_value(json_object_get(source, "alias"));
	const char *fp = json_string_value(json_object_get(source, "fingerprint"));
	json_t *rows = NULL;

	*image = NULL;
	if (alias) {
		if (cellad_db_query_one(
			    d->db,
			    "SELECT images.* FROM images JOIN image_aliases ON image_aliases.image_id = "
			    "images.id WHERE image_aliases.name = ?",
			    DB_ARGS(DB_TEXT(alias)), image, err) < 0)
			return -1;
		if (*image == NULL)
			return cella_error_make(err, ENOENT, "source.alias: no image alias '%s'", alias);
		return 0;
	}
	if (fp) {
		size_t len = strlen(fp);
		_cleanup_free_ char *pattern = NULL;

		if (len == 0 || len > 64 || strspn(fp, "0123456789abcdef") != len)
			return cella_error_make(err, EINVAL,
						"source.fingerprint: expected hex digits, got '%s'", fp);
		if (asprintf(&pattern, "%s%%", fp) < 0)
			return cella_error_make(err, ENOMEM, "source.fingerprint");
		if (cellad_db_query(d->db, "SELECT * FROM images WHERE fingerprint LIKE ?",
				    DB_ARGS(DB_TEXT(pattern)), &rows, err) < 0)
			return -1;
		if (json_array_size(rows) != 1) {
			int ret = cella_error_make(err, ENOENT, "source.fingerprint: %s image matches '%s'",
						   json_array_size(rows) ? "more than one" : "no", fp);

			json_decref(rows);
			return ret;
		}
		*image = json_incref(json_array_get(rows, 0));
		json_decref(rows);
		return 0;
	}
	return cella_error_make(err, EINVAL, "source: expected \"alias\" or \"fingerprint\"");
}

void cellad_image_progress(void *ctx, int percent, unsigned long long bytes, unsigned long long entries)
{
	struct cellad_image_progress *p = ctx;

	if (percent >= 0 ? percent == p->last_percent : entries < p->last_entries + p->entry_step)
		return;
	p->last_percent = percent;
	p->last_entries = entries;
	cellad_op_set_metadata(p->d, p->op,
			       json_pack("{s:{s:s, s:i, s:I, s:I}}", "progress", "stage", p->stage, "percent",
					 percent, "bytes", (json_int_t)bytes, "entries",
					 (json_int_t)entries));
}

void cellad_image_op_done(struct cellad *d, struct cellad_op *op, const char *fp)
{
	cellad_op_set_metadata(d, op,
			       json_pack("{s:s, s:{s:s, s:i}}", "fingerprint", fp, "progress", "stage",
					 "done", "percent", 100));
}

/* args: {"tarball": path} or {"directory": path}; "aliases": [...]; "properties": {...} */
int cellad_op_image_import(struct cellad *d, struct cellad_op *op, cella_err_t *err)
{
	const char *tarball = json_string_value(json_object_get(op->args, "tarball"));
	const char *dir = json_string_value(json_object_get(op->args, "directory"));
	bool vm = json_is_true(json_object_get(op->args, "vm"));
	struct cellad_image_progress p = {.d = d, .op = op, .entry_step = 1000, .last_percent = -2};
	_cleanup_free_ char *staging = NULL, *rootfs = NULL;
	char fp[65];
	int ret;

	if (asprintf(&staging, "%s/.import-%s", d->images_dir, op->id) < 0 ||
	    asprintf(&rootfs, "%s/%s", staging, vm ? "vm" : "rootfs") < 0)
		return cella_error_make(err, ENOMEM, "image import");
	if (mkdir(staging, 0700) < 0)
		return cella_error_sys(err, "mkdir '%s'", staging);
	if (tarball) {
		p.stage = "hash";
		ret = cellad_file_sha256(tarball, fp, err);
		if (ret == 0) {
			p.stage = "unpack";
			ret = cellad_image_unpack(tarball, rootfs, cellad_image_progress, &p, err);
		}
		unlink(tarball);
	} else {
		p.stage = "copy";
		ret = mkdir(rootfs, 0755) < 0
			      ? cella_error_sys(err, "mkdir '%s'", rootfs)
			      : cellad_image_copy_tree(dir, rootfs, fp, cellad_image_progress, &p, err);
		/* A VM image is checked on the copy: the source may change under us. */
		if (ret == 0 && vm)
			ret = cellad_vm_image_check(rootfs, err);
	}
	if (ret == 0)
		ret = cellad_image_register(d, staging, fp, json_object_get(op->args, "aliases"),
					    json_object_get(op->args, "properties"), err);
	if (ret < 0) {
		cella_err_t cleanup_err = NULL;

		if (cellad_storage_rm_rf(staging, &cleanup_err) < 0)
			cella_error_release(&cleanup_err);
		return -1;
	}
	cellad_image_op_done(d, op, fp);
	return 0;
}

/* args: {"fingerprint": F}. Refused while an instance uses it (the foreign key says so). */
int cellad_op_image_delete(struct cellad *d, struct cellad_op *op, cella_err_t *err)
{
	const char *fp = json_string_value(json_object_get(op->args, "fingerprint"));
	_cleanup_free_ char *dir = NULL, *trash = NULL, *source = NULL;
	long long changes = 0;

	if (asprintf(&dir, "%s/%s", d->images_dir, fp) < 0 ||
	    asprintf(&trash, "%s/.delete-%s", d->images_dir, op->id) < 0)
		return cella_error_make(err, ENOMEM, "image delete");
	pthread_mutex_lock(&d->lock);
	if (cellad_db_begin(d->db, err) < 0)
		goto fail_unlocked_tx;
	if (cellad_db_run(d->db, "DELETE FROM images WHERE fingerprint = ?", DB_ARGS(DB_TEXT(fp)), &changes,
			  err) < 0) {
		cella_error_wrap(err, "image %s is still used by an instance", fp);
		goto fail;
	}
	/* Renamed away first: the directory is either the image's or trash, never half-removed. */
	if (changes && rename(dir, trash) < 0 && errno != ENOENT) {
		cella_error_sys(err, "move '%s' away", dir);
		goto fail;
	}
	if (cellad_db_commit(d->db, err) < 0)
		goto fail_unlocked_tx;
	if (asprintf(&source, "/1.0/images/%s", fp) > 0)
		cellad_lifecycle_locked(d, "image-deleted", source);
	pthread_mutex_unlock(&d->lock);
	return cellad_storage_rm_rf(trash, err);
fail:
	cellad_db_rollback(d->db);
fail_unlocked_tx:
	pthread_mutex_unlock(&d->lock);
	return -1;
}

bool cellad_image_is_vm(struct cellad *d, const char *fingerprint)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s/vm", d->images_dir, fingerprint ? fingerprint : "");
	return fingerprint && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
