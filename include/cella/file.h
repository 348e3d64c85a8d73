/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_FILE_H
#define CELLA_FILE_H

/*
 * File helpers that never leave a half-written result behind and whose errors
 * name the file concerned.
 */
#include <stddef.h>
#include <sys/types.h>

#include <cella/error.h>

/*
 * Replaces path with exactly len bytes of data and the given mode: writes a
 * temporary file in the same directory, fsyncs it, renames it over path and
 * fsyncs the directory, so a crash leaves either the old or the new content.
 * The temporary file is removed on every failure. mode is applied exactly
 * (fchmod: the umask does not reduce it). path itself is replaced, so a
 * symbolic link at path is replaced rather than followed.
 */
int cella_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, cella_err_t *err);

/*
 * Reads the whole of path (regular, /proc or /sys file) into a malloc'd buffer,
 * NUL-terminated for convenience (the NUL is not counted in *len). Fails when
 * the file holds more than max_bytes. len may be NULL.
 */
int cella_file_read(const char *path, size_t max_bytes, char **data, size_t *len, cella_err_t *err);

/* mkdir -p: creates path and missing parents with mode (less the umask); an existing directory is fine. */
int cella_mkdir_p(const char *path, mode_t mode, cella_err_t *err);

/*
 * Writes str to an existing control file (/proc, cgroupfs) with a single
 * write(), as the kernel parses each write on its own. The error names the file
 * and the value.
 */
int cella_file_write_string(const char *path, const char *str, cella_err_t *err);

#endif
