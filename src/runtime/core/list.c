// SPDX-License-Identifier: GPL-2.0-or-later
/* list: the state of every container under --root, sorted by id. */
#include "core/container.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "core/ids.h"

static int by_id(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cella_container_list(const char *root, json_t **out, cella_err_t *err)
{
	_cleanup_closedir_ DIR *dir = opendir(root);
	_cleanup_free_ char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	json_t *list;

	*out = json_array();
	if (dir == NULL)
		return errno == ENOENT ? 0 : cella_error_sys(err, "open root '%s'", root);
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.' || cella_container_id_validate(de->d_name, NULL) < 0)
			continue;
		if (n == cap) {
			char **bigger = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*names));

			if (bigger == NULL)
				goto oom;
			names = bigger;
		}
		names[n] = strdup(de->d_name);
		if (names[n] == NULL)
			goto oom;
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), by_id);
	list = *out;
	for (size_t i = 0; i < n; i++) {
		cella_err_t skipped = NULL;
		json_t *one = NULL;

		/* A container being created or deleted right now is simply not listed. */
		if (cella_container_state(root, names[i], &one, &skipped) == 0)
			json_array_append_new(list, one);
		cella_error_release(&skipped);
		free(names[i]);
	}
	return 0;
oom:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return cella_error_sys(err, "list");
}
