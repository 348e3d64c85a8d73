/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_IMAGES_H
#define CELLAD_IMAGES_H

/*
 * Images: a root file system directory <root>/images/<fingerprint>/rootfs,
 * imported from a tarball (any format and compression libarchive reads) or
 * copied from a directory, plus a row in the images table. The fingerprint is
 * the sha256 of the tarball, or of the copied tree's names, metadata and
 * contents. Everything is unpacked into a staging directory first and renamed
 * into place only when complete, so nothing half-written is ever an image.
 */
#include <jansson.h>
#include <stdbool.h>

#include "daemon.h"
#include "operations.h"

/* Progress: called with what has been done so far (percent 0-100, or -1 when unknown). */
typedef void (*cellad_progress_fn)(void *ctx, int percent, unsigned long long bytes,
				   unsigned long long entries);

/* Unpacks tarball into dest (which must not exist); refuses "..", absolute names and device nodes
 * are skipped. */
int cellad_image_unpack(const char *tarball, const char *dest, cellad_progress_fn progress, void *ctx,
			cella_err_t *err);
/* Copies the tree src into dest, computing the directory fingerprint on the way. */
int cellad_image_copy_tree(const char *src, const char *dest, char fingerprint[65],
			   cellad_progress_fn progress, void *ctx, cella_err_t *err);
int cellad_file_sha256(const char *path, char fingerprint[65], cella_err_t *err);

/* Moves the staging dir (holding rootfs/) to images/<fp> and records the image with its aliases
 * (array of {"name","description"}), all or nothing. */
int cellad_image_register(struct cellad *d, const char *staging, const char *fingerprint, json_t *aliases,
			  json_t *properties, cella_err_t *err);
/* Builds the "default" image from the host's static busybox when it does not exist yet. */
int cellad_image_ensure_default(struct cellad *d, cella_err_t *err);

/* The image holds vm/ (kernel, initrd, cmdline) rather than rootfs/. */
bool cellad_image_is_vm(struct cellad *d, const char *fingerprint);

/* An image operation's progress, a cellad_progress_fn: {"progress": {stage, percent, bytes, entries}} in
 * op's metadata, written at most once per percent, or once per entry_step entries while the total is
 * unknown. Start with last_percent = -2. */
struct cellad_image_progress {
	struct cellad *d;
	struct cellad_op *op;
	const char *stage;
	unsigned long long entry_step;
	int last_percent;
	unsigned long long last_entries;
};
void cellad_image_progress(void *ctx, int percent, unsigned long long bytes, unsigned long long entries);
/* The metadata of a finished image operation: {"fingerprint": fp, "progress": {"stage": "done", ...}}. */
void cellad_image_op_done(struct cellad *d, struct cellad_op *op, const char *fp);

/* Operation bodies (api_images.c submits them). */
int cellad_op_image_import(struct cellad *d, struct cellad_op *op, cella_err_t *err);
int cellad_op_image_delete(struct cellad *d, struct cellad_op *op, cella_err_t *err);

/* Resolves {"alias": A} or {"fingerprint": F (prefix allowed)} to the image row (new ref) or NULL with an
 * error naming the field. Lock held. */
int cellad_image_resolve_locked(struct cellad *d, json_t *source, json_t **image, cella_err_t *err);
/* The Incus image object for a row (new reference). Lock held. */
json_t *cellad_image_json_locked(struct cellad *d, json_t *row);

#endif
