/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_CORE_UTIL_H
#define CELLA_RUNTIME_CORE_UTIL_H

/* Small file and process helpers the runtime core shares between its files. */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cella/error.h>

/* Reads a whole file (at most max_size bytes, else an error naming the file). NUL-terminated. */
int cella_rt_read_file(const char *path, size_t max_size, char **out, size_t *len, cella_err_t *err);
/* Writes data to an existing file (proc/sys files) in one write(). */
int cella_rt_write_file(const char *path, const char *data, size_t len, cella_err_t *err);
/* Writes dir_fd/name atomically: temp file, fsync, rename, so readers never see half a file. */
int cella_rt_write_atomic(int dir_fd, const char *name, const char *data, size_t len, cella_err_t *err);
/* Start time of pid (field 22 of /proc/PID/stat, in clock ticks); 0 if the process is gone. */
unsigned long long cella_rt_proc_start_time(pid_t pid);
/* True if pid is alive and still the process that started at start_time (pid reuse check). */
bool cella_rt_pid_matches(pid_t pid, unsigned long long start_time);
/* Process state letter of /proc/PID/stat (field 3), or 0 if gone. */
char cella_rt_proc_state(pid_t pid);
/* Current time as RFC 3339 with nanoseconds, UTC (runc's "created" format). */
char *cella_rt_now_rfc3339(void);

/* Writes pid to pid_file atomically (runc's --pid-file). */
int cella_rt_write_pid_file(const char *pid_file, pid_t pid, cella_err_t *err);

#endif
