/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_TEST_SNAPSHOT_H
#define CELLA_TEST_SNAPSHOT_H

/* Scratch directories and file helpers shared by the snapshot unit tests. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * A fresh scratch directory under $TMPDIR, else /dev/shm, else /tmp. The
 * caller frees the name. tmpfs first: these tests check the format, not the
 * disk, and each commit's fsyncs cost ~100 ms on a slow virtual disk (the
 * integration test writes to a real one).
 */
static inline char *snaptest_mkdtemp(void)
{
	const char *base = getenv("TMPDIR");
	char *dir = NULL;

	if (base == NULL)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	if (asprintf(&dir, "%s/cella-snaptest.XXXXXX", base) < 0)
		return NULL;
	if (mkdtemp(dir) == NULL) {
		free(dir);
		return NULL;
	}
	return dir;
}

/* Removes a scratch directory two levels deep (snapshot directories inside it): all the tests create. */
static inline void snaptest_rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *path = NULL;
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
			continue;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			snaptest_rmtree(path);
		else
			unlink(path);
		free(path);
	}
	closedir(d);
	rmdir(dir);
}

/* Number of entries in DIR (without . and ..), -1 on error. */
static inline int snaptest_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

/* Reads a whole file into a malloc'd buffer. */
static inline unsigned char *snaptest_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long size;

	*len = 0;
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc(size ? (size_t)size : 1);
		if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)size;
	}
	fclose(f);
	return buf;
}

static inline int snaptest_write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ret = 0;

	if (f == NULL)
		return -1;
	if (len && fwrite(buf, 1, len, f) != len)
		ret = -1;
	if (fclose(f) != 0)
		ret = -1;
	return ret;
}

#endif
