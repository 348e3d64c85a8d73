/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_CLEANUP_H
#define CELLA_CLEANUP_H

/*
 * Scope-bound cleanup, as in crun and systemd: a variable declared with one of
 * these attributes is released on every path out of its scope, so error paths
 * cannot leak. Hand ownership on with steal_pointer()/steal_fd().
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cella/error.h>

static inline void cella_cleanup_free(void *p)
{
	free(*(void **)p);
}

static inline void cella_cleanup_close(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
}

static inline void cella_cleanup_fclose(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void cella_cleanup_closedir(DIR **d)
{
	if (*d)
		closedir(*d);
}

static inline void cella_cleanup_error(cella_err_t *e)
{
	cella_error_release(e);
}

static inline void cella_cleanup_strv(char ***v)
{
	if (*v) {
		for (char **p = *v; *p; p++)
			free(*p);
		free(*v);
	}
}

#define _cleanup_free_	   __attribute__((cleanup(cella_cleanup_free)))
#define _cleanup_close_	   __attribute__((cleanup(cella_cleanup_close)))
#define _cleanup_fclose_   __attribute__((cleanup(cella_cleanup_fclose)))
#define _cleanup_closedir_ __attribute__((cleanup(cella_cleanup_closedir)))
#define _cleanup_error_	   __attribute__((cleanup(cella_cleanup_error)))
#define _cleanup_strv_	   __attribute__((cleanup(cella_cleanup_strv)))

static inline void *cella_steal_pointer(void *pp)
{
	void **p = (void **)pp;
	void *v = *p;

	*p = NULL;
	return v;
}

static inline int cella_steal_fd(int *fd)
{
	int v = *fd;

	*fd = -1;
	return v;
}

#define steal_pointer(pp) cella_steal_pointer(pp)
#define steal_fd(fdp)	  cella_steal_fd(fdp)

#endif
