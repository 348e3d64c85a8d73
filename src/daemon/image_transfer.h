/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_IMAGE_TRANSFER_H
#define CELLAD_IMAGE_TRANSFER_H

/*
 * Images made from or turned into one file: publish (a stopped container's
 * root file system, image lower layer + its writable layer, becomes a new
 * image), export (an image as one tar: metadata.json first, then rootfs/ or
 * vm/) and the import of such an exported file.
 */
#include <jansson.h>

#include "http.h"
#include "operations.h"

/* The export file's metadata.json "format" value. */
#define CELLAD_EXPORT_FORMAT "cella-image-export"

/* POST /1.0/images {"source": {"type": "instance", "name": N}, "aliases": [...], "properties": {...}};
 * aliases already validated (stolen). Replies 202 or an error. */
enum MHD_Result cellad_image_publish_request(struct cellad_request *r, json_t *body, json_t *aliases);
/* GET /1.0/images/FP/export */
enum MHD_Result cellad_api_image_export(struct cellad_request *r);

/* args: {"name", "aliases", "properties"} */
int cellad_op_image_publish(struct cellad *d, struct cellad_op *op, cella_err_t *err);
/* The pack helper's work (start_helper.c runs it in a fresh image of cellad): argv {NAME, UPPER, LOWER,
 * MERGED, TAR, BASE}; progress and the result go to out. Never returns. */
void cellad_pack_helper_main(char **argv, int out) __attribute__((noreturn));
/* args: {"tarball": a file made by export, "aliases"} */
int cellad_op_image_import_export(struct cellad *d, struct cellad_op *op, cella_err_t *err);

#endif
