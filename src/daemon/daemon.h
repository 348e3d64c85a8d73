/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_DAEMON_H
#define CELLAD_DAEMON_H

/*
 * The daemon's shared state. One lock (d->lock) guards the database, the
 * operation queue and the event ring; d->changed is broadcast whenever an
 * operation or event changes, so /wait and /events wake up. Long work (image
 * unpacking, container start/stop) runs on the single operation worker with
 * the lock released; that worker is also the only writer of instance states,
 * so two operations on one instance never interleave.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include <cella/error.h>

#include "db.h"

#define CELLAD_DEFAULT_ROOT   "/var/lib/cella"
#define CELLAD_DEFAULT_SOCKET "/run/cella/cella.sock"
#define CELLAD_GROUP	      "cella"
#define CELLAD_API_VERSION    "1.0"

struct cellad_op;
struct cellad_event_ring;

struct cellad {
	char *root;	    /* --root: cella.db, images/, instances/, tmp/ */
	char *socket_path;  /* --socket */
	char *runtime_root; /* the runtime's state dir (<root>/runtime) */
	char *images_dir, *instances_dir, *tmp_dir;
	struct cellad_db *db;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct cellad_op *queue_head, *queue_tail;
	struct cellad_event_ring *events;
	bool stopping;
	bool have_group; /* group CELLAD_GROUP exists: its members may connect */
	gid_t group;
	char *started_at;
	int lock_fd;	/* flock on <root>/cellad.lock: one cellad per root */
	char *vmm_path; /* the cella-vmm binary VMs run on (--vmm, $CELLA_VMM or beside cellad) */
	bool network;	/* --network default: containers join the managed bridge (networks.c) */
};

/* Lifecycle: paths, database, stale-state recovery (reattach.c), worker. */
int cellad_init(struct cellad *d, const char *root, const char *socket_path, cella_err_t *err);
void cellad_fini(struct cellad *d);

/* Start-up recovery: interrupted operations, half-made images and instances, running containers. */
int cellad_reattach(struct cellad *d, cella_err_t *err);
/* Marks containers that died behind our back stopped (called by the worker when idle; lock NOT held). */
void cellad_reconcile(struct cellad *d);

#endif
