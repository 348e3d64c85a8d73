/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_UTIL_H
#define CELLAD_UTIL_H

/* Small helpers the daemon's files share: time stamps, ids, directories. */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cella/error.h>

/* "2026-12-06T16:20:00.123456Z" (UTC), malloc'd; NULL when out of memory. */
char *cellad_now_rfc3339(void);
struct cellad;

/* Whether cellad is shutting down (d->stopping, read under d->lock): long waits end when it is. */
bool cellad_stopping(struct cellad *d);
/* Milliseconds on CLOCK_MONOTONIC: for timeouts. */
long long cellad_now_ms(void);
/* A random RFC 4122 version-4 UUID into buf (37 bytes). */
int cellad_uuid(char buf[37], cella_err_t *err);
/* mkdir -p with mode for every directory it creates. */
int cellad_mkdir_p(const char *path, mode_t mode, cella_err_t *err);
/* rm -rf that never crosses into another file system (a mount left below is an error, not a wipe). */
int cellad_rm_rf(const char *path, cella_err_t *err);
/* Writes the whole buffer to path (created/truncated with mode), fsync'd. */
int cellad_write_file(const char *path, const char *data, size_t len, mode_t mode, cella_err_t *err);
/* Instance and alias names: 1-63 of [A-Za-z0-9-], not starting with a digit or '-'. */
bool cellad_name_valid(const char *name);

#endif
