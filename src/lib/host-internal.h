/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_HOST_INTERNAL_H
#define CELLA_HOST_INTERNAL_H

/* Shared by the host probes (host*.c); not part of the public API. */

/* ROOT + absolute path p (root NULL or "" = the real "/"); malloc'd. */
char *cella_host_path(const char *root, const char *p);
/* Whether ROOT + p exists (without following a final symlink). */
int cella_host_exists(const char *root, const char *p);

#endif
