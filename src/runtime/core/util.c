// SPDX-License-Identifier: GPL-2.0-or-later
/* File and /proc helpers for the runtime core. */
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cella/cleanup.h>

int cella_rt_read_file(const char *path, size_t max_size, char **out, size_t *len, cella_err_t *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t used = 0, cap = 4096;

	if (fd < 0)
		return cella_error_sys(err, "open '%s'", path);
	buf = malloc(cap + 1);
	if (buf == NULL)
		return cella_error_sys(err, "read '%s'", path);
	for (;;) {
		ssize_t n;

		if (used == cap) {
			char *bigger;

			if (cap >= max_size)
				return cella_error_make(err, EFBIG, "'%s' is larger than %zu bytes", path,
							max_size);
			cap = cap * 2 > max_size ? max_size : cap * 2;
			bigger = realloc(buf, cap + 1);
			if (bigger == NULL)
				return cella_error_sys(err, "read '%s'", path);
			buf = bigger;
		}
		n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cella_error_sys(err, "read '%s'", path);
		if (n == 0)
			break;
		used += n;
	}
	buf[used] = '\0';
	if (len)
		*len = used;
	*out = steal_pointer(&buf);
	return 0;
}

int cella_rt_write_file(const char *path, const char *data, size_t len, cella_err_t *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return cella_error_sys(err, "open '%s'", path);
	n = write(fd, data, len);
	if (n < 0)
		return cella_error_sys(err, "write '%.*s' to '%s'", (int)(len > 64 ? 64 : len), data, path);
	if ((size_t)n != len)
		return cella_error_make(err, EIO, "short write to '%s'", path);
	return 0;
}

int cella_rt_write_atomic(int dir_fd, const char *name, const char *data, size_t len, cella_err_t *err)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	size_t done = 0;

	if (asprintf(&tmp, ".%s.tmp", name) < 0)
		return cella_error_sys(err, "write '%s'", name);
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return cella_error_sys(err, "create '%s'", tmp);
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cella_error_sys(err, "write '%s'", tmp);
			unlinkat(dir_fd, tmp, 0);
			return -1;
		}
		done += n;
	}
	if (fsync(fd) < 0 || renameat(dir_fd, tmp, dir_fd, name) < 0) {
		cella_error_sys(err, "commit '%s'", name);
		unlinkat(dir_fd, tmp, 0);
		return -1;
	}
	return 0;
}

/* Fields after the command name, which may itself hold spaces and parentheses. */
static char *proc_stat_after_comm(pid_t pid, char *buf, size_t size)
{
	char path[64];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, size - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ')
		return NULL;
	return p + 2; /* field 3 */
}

unsigned long long cella_rt_proc_start_time(pid_t pid)
{
	char buf[1024];
	char *p = proc_stat_after_comm(pid, buf, sizeof(buf));

	if (p == NULL)
		return 0;
	/* field 3 is the state; start time is field 22: skip 19 more fields. */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (p == NULL)
			return 0;
		p++;
	}
	return strtoull(p, NULL, 10);
}

char cella_rt_proc_state(pid_t pid)
{
	char buf[1024];
	char *p = proc_stat_after_comm(pid, buf, sizeof(buf));

	return p ? *p : 0;
}

bool cella_rt_pid_matches(pid_t pid, unsigned long long start_time)
{
	char st;

	if (pid <= 0)
		return false;
	st = cella_rt_proc_state(pid);
	if (st == 0 || st == 'Z' || st == 'X')
		return false;
	return cella_rt_proc_start_time(pid) == start_time;
}

char *cella_rt_now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char date[64];
	char *out = NULL;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	if (asprintf(&out, "%s.%09ldZ", date, ts.tv_nsec) < 0)
		return NULL;
	return out;
}

int cella_rt_write_pid_file(const char *pid_file, pid_t pid, cella_err_t *err)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int dir_fd = -1;
	const char *slash = strrchr(pid_file, '/');
	char text[32];
	int len = snprintf(text, sizeof(text), "%d", (int)pid);

	dir = slash ? strndup(pid_file, slash == pid_file ? 1 : (size_t)(slash - pid_file)) : strdup(".");
	if (dir == NULL)
		return cella_error_sys(err, "--pid-file");
	dir_fd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (dir_fd < 0)
		return cella_error_sys(err, "--pid-file: open '%s'", dir);
	if (cella_rt_write_atomic(dir_fd, slash ? slash + 1 : pid_file, text, len, err) < 0)
		return cella_error_wrap(err, "--pid-file '%s'", pid_file);
	return 0;
}
