/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_TEST_TMPDIR_H
#define CELLA_TEST_TMPDIR_H

/* Scratch directories for the lib unit tests: created per test, removed recursively after it. */
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static inline int tmpdir_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* Creates a fresh directory; returns a malloc'd path or NULL. */
static inline char *tmpdir_create(void)
{
	const char *base = getenv("TMPDIR");
	char *path = NULL;

	if (asprintf(&path, "%s/cella-test.XXXXXX", base && *base ? base : "/tmp") < 0)
		return NULL;
	if (mkdtemp(path) == NULL) {
		free(path);
		return NULL;
	}
	return path;
}

static inline void tmpdir_remove(char *path)
{
	if (path) {
		nftw(path, tmpdir_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		free(path);
	}
}

/* Writes s to dir/rel, creating parent directories; returns 0 or -1. */
static inline int tmpdir_put(const char *dir, const char *rel, const char *s)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (char *p = path + strlen(dir) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs(s, f);
	return fclose(f) == 0 ? 0 : -1;
}

/* Number of entries in dir, "." and ".." excluded; -1 when it cannot be read. */
static inline int tmpdir_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

#endif
