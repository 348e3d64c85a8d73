/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_JSON_H
#define CELLA_JSON_H

/*
 * JSON documents on top of jansson, with errors a user can act on: parse errors
 * name the file, line and column ("config.json:3:7: ..."), and the typed getters
 * name the field's full path ("config.json: process.user.uid: expected integer").
 *
 * Paths. The getters take the path of the object the key is looked up in, as
 * "DOCUMENT: dotted.prefix", or just "DOCUMENT:" for the document's top level
 * (NULL or "" when there is no document name). The key is appended with a dot
 * after a prefix, or after ": " at the top level. cella_json_path_key() and
 * cella_json_path_index() build the path of a nested object the same way.
 *
 * Getter results: 1 when the key was present and *out was set, 0 when it is
 * absent (or JSON null) and not required (*out untouched, so the caller's
 * default stays), negative with *err set otherwise. Strings, objects and arrays
 * are borrowed from the document; string arrays are a new NULL-terminated
 * copy for the caller to free (_cleanup_strv_).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cella/error.h>

static inline void cella_cleanup_json(json_t **j)
{
	if (*j)
		json_decref(*j);
}
#define _cleanup_json_ __attribute__((cleanup(cella_cleanup_json)))

/* Default cap for configuration files. */
#define CELLA_JSON_MAX_FILE (4u * 1024 * 1024)

/*
 * Parses the file at path (at most max_bytes long) into a new reference in
 * *out. Duplicate keys are rejected. Errors read "PATH:LINE:COLUMN: reason".
 */
int cella_json_load_file(const char *path, size_t max_bytes, json_t **out, cella_err_t *err);
/* Parses len bytes named name (for messages), as above. */
int cella_json_load_buffer(const char *name, const char *data, size_t len, json_t **out, cella_err_t *err);

/* Path helpers; the result is malloc'd. */
char *cella_json_path_key(const char *path, const char *key);
char *cella_json_path_index(const char *path, size_t index);

int cella_json_get_string(json_t *obj, const char *key, const char *path, bool required, const char **out,
			  cella_err_t *err);
int cella_json_get_bool(json_t *obj, const char *key, const char *path, bool required, bool *out,
			cella_err_t *err);
int cella_json_get_int32(json_t *obj, const char *key, const char *path, bool required, int32_t *out,
			 cella_err_t *err);
int cella_json_get_uint32(json_t *obj, const char *key, const char *path, bool required, uint32_t *out,
			  cella_err_t *err);
int cella_json_get_int64(json_t *obj, const char *key, const char *path, bool required, int64_t *out,
			 cella_err_t *err);
/* jansson holds integers as signed 64 bits: values above INT64_MAX cannot be parsed. */
int cella_json_get_uint64(json_t *obj, const char *key, const char *path, bool required, uint64_t *out,
			  cella_err_t *err);
int cella_json_get_object(json_t *obj, const char *key, const char *path, bool required, json_t **out,
			  cella_err_t *err);
int cella_json_get_array(json_t *obj, const char *key, const char *path, bool required, json_t **out,
			 cella_err_t *err);
int cella_json_get_string_array(json_t *obj, const char *key, const char *path, bool required, char ***out,
				cella_err_t *err);

/*
 * Fails naming the first member of obj (in document order) that is not in
 * known (a NULL-terminated list): "config.json: process.bogus: unknown field".
 * Also fails when obj is not an object.
 */
int cella_json_check_members(json_t *obj, const char *path, const char *const known[], cella_err_t *err);

/* Writes json, indented, with a final newline, via cella_file_write_atomic(). */
int cella_json_write_atomic(const char *path, json_t *json, mode_t mode, cella_err_t *err);

#endif
