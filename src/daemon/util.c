// SPDX-License-Identifier: GPL-2.0-or-later
/* Time stamps, UUIDs and directory helpers for the daemon. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "daemon.h"

char *cellad_now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char date[32];
	char *out;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	if (asprintf(&out, "%s.%06ldZ", date, ts.tv_nsec / 1000) < 0)
		return NULL;
	return out;
}

long long cellad_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int cellad_uuid(char buf[37], cella_err_t *err)
{
	unsigned char b[16];
	size_t done = 0;

	while (done < sizeof(b)) {
		ssize_t n = getrandom(b + done, sizeof(b) - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cella_error_sys(err, "getrandom");
		done += (size_t)n;
	}
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

int cellad_mkdir_p(const char *path, mode_t mode, cella_err_t *err)
{
	_cleanup_free_ char *copy = strdup(path);
	size_t len;

	if (copy == NULL)
		return cella_error_sys(err, "mkdir '%s'", path);
	len = strlen(copy);
	for (size_t i = 1; i <= len; i++) {
		if (copy[i] != '/' && copy[i] != '\0')
			continue;
		copy[i] = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST)
			return cella_error_sys(err, "mkdir '%s'", copy);
		if (i < len)
			copy[i] = '/';
	}
	return 0;
}

static dev_t rm_dev;
static int rm_errno;
static char rm_failed[512];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	int ret;

	if (st->st_dev != rm_dev) {
		rm_errno = EBUSY;
		snprintf(rm_failed, sizeof(rm_failed), "%s (a mount point)", path);
		return 1;
	}
	ret = flag == FTW_DP ? rmdir(path) : unlink(path);
	if (ret < 0) {
		rm_errno = errno;
		snprintf(rm_failed, sizeof(rm_failed), "%s", path);
		return 1;
	}
	return 0;
}

int cellad_rm_rf(const char *path, cella_err_t *err)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct stat st;
	int ret = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : cella_error_sys(err, "remove '%s'", path);
	/* nftw has no user argument: the walk's state lives in statics, guarded by a lock. */
	pthread_mutex_lock(&lock);
	rm_dev = st.st_dev;
	rm_errno = 0;
	if (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0)
		ret = cella_error_make(err, rm_errno, "remove '%s': cannot remove '%s'", path, rm_failed);
	pthread_mutex_unlock(&lock);
	return ret;
}

int cellad_write_file(const char *path, const char *data, size_t len, mode_t mode, cella_err_t *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	size_t done = 0;

	if (fd < 0)
		return cella_error_sys(err, "write '%s'", path);
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cella_error_sys(err, "write '%s'", path);
		done += (size_t)n;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0)
		return cella_error_sys(err, "write '%s'", path);
	return 0;
}

bool cellad_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 63 || name[0] == '-' || (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

bool cellad_stopping(struct cellad *d)
{
	bool s;

	pthread_mutex_lock(&d->lock);
	s = d->stopping;
	pthread_mutex_unlock(&d->lock);
	return s;
}
