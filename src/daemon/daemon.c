// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's directories, lock, database and event ring. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "events.h"
#include "util.h"

int cellad_init(struct cellad *d, const char *root, const char *socket_path, cella_err_t *err)
{
	_cleanup_free_ char *db_path = NULL, *lock_path = NULL;
	pthread_condattr_t attr;

	memset(d, 0, sizeof(*d));
	d->lock_fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_cond_init(&d->changed, &attr);
	pthread_condattr_destroy(&attr);
	if (root[0] != '/')
		return cella_error_make(err, EINVAL, "--root '%s': expected an absolute path", root);
	/* overlayfs options are split on ',' and ':': such paths cannot be layers. */
	if (strpbrk(root, ",:\\\n") != NULL)
		return cella_error_make(err, EINVAL,
					"--root '%s': may not contain ',', ':', '\\' or newlines", root);
	if (socket_path[0] != '/')
		return cella_error_make(err, EINVAL, "--socket '%s': expected an absolute path", socket_path);
	d->root = strdup(root);
	d->socket_path = strdup(socket_path);
	d->started_at = cellad_now_rfc3339();
	if (d->root == NULL || d->socket_path == NULL || d->started_at == NULL ||
	    asprintf(&d->runtime_root, "%s/runtime", root) < 0 ||
	    asprintf(&d->images_dir, "%s/images", root) < 0 ||
	    asprintf(&d->instances_dir, "%s/instances", root) < 0 ||
	    asprintf(&d->tmp_dir, "%s/tmp", root) < 0 || asprintf(&db_path, "%s/cella.db", root) < 0 ||
	    asprintf(&lock_path, "%s/cellad.lock", root) < 0)
		return cella_error_make(err, ENOMEM, "init");
	if (cellad_mkdir_p(root, 0711, err) < 0 || cellad_mkdir_p(d->images_dir, 0700, err) < 0 ||
	    cellad_mkdir_p(d->instances_dir, 0711, err) < 0 || cellad_mkdir_p(d->tmp_dir, 0700, err) < 0 ||
	    cellad_mkdir_p(d->runtime_root, 0700, err) < 0)
		return cella_error_wrap(err, "--root");
	d->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lock_fd < 0)
		return cella_error_sys(err, "open '%s'", lock_path);
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return cella_error_make(err, errno, "--root '%s': another cellad is already running on it",
					root);
	if (cellad_events_new(&d->events, err) < 0 || cellad_db_open(db_path, &d->db, err) < 0)
		return -1;
	return 0;
}

void cellad_fini(struct cellad *d)
{
	cellad_db_close(d->db);
	cellad_events_free(d->events);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	free(d->root);
	free(d->socket_path);
	free(d->runtime_root);
	free(d->images_dir);
	free(d->instances_dir);
	free(d->tmp_dir);
	free(d->vmm_path);
	free(d->started_at);
	pthread_cond_destroy(&d->changed);
	pthread_mutex_destroy(&d->lock);
}
