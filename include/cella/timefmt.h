/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_TIMEFMT_H
#define CELLA_TIMEFMT_H

#include <stddef.h>
#include <time.h>

/*
 * Formats ts as an RFC 3339 UTC timestamp with nanoseconds, as Go's
 * time.RFC3339Nano does for runc's JSON logs: "2024-05-01T12:34:56.123456789Z".
 * Returns the length written (excluding the NUL), or -1 when buf is too small
 * (CELLA_TIME_RFC3339_MAX bytes always suffice) or ts is not representable; buf
 * then holds an empty string (when n > 0).
 */
#define CELLA_TIME_RFC3339_MAX 64
int cella_time_rfc3339(char *buf, size_t n, struct timespec ts);

#endif
