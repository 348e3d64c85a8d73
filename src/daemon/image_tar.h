/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_IMAGE_TAR_H
#define CELLAD_IMAGE_TAR_H

/*
 * Writing a directory tree as one tar file (pax): what image publish
 * fingerprints and unpacks, and what image export hands out. Owners are
 * numeric only (a name would be looked up again, perhaps differently, on the
 * host that imports it), symbolic links are stored as links, and sockets are
 * left out (a tar cannot hold them).
 */
#include "images.h"

/* The name of the metadata entry of an exported image: always the first entry. */
#define CELLAD_EXPORT_METADATA "metadata.json"

struct cellad_tar_options {
	const char *prefix;   /* entries are named PREFIX/..., the root itself PREFIX; NULL: "." */
	const char *metadata; /* when not NULL, written first as CELLAD_EXPORT_METADATA */
	long long
		shift_base; /* >= 0: owners in [shift_base, shift_base + shift_size) become id - shift_base */
	long long shift_size;
	cellad_progress_fn progress; /* may be NULL; percent is always -1 (the total is not known) */
	void *ctx;
};

/* Writes the tree src into the new file out_path (which must not exist; removed on failure). */
int cellad_tar_write_tree(const char *src, const char *out_path, const struct cellad_tar_options *opts,
			  cella_err_t *err);

/* True when the archive's first entry is CELLAD_EXPORT_METADATA (a file made by image export). */
bool cellad_tar_is_export(const char *path);

#endif
