/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_VDEV_WORKERS_H
#define CELLA_VMM_VDEV_WORKERS_H

/*
 * A small pool of threads for blocking I/O (preadv, fdatasync, fallocate).
 * Jobs go in from the device thread; finished jobs come back through a done
 * list and an eventfd the device watches, so completion (pushing to the used
 * ring, interrupting the guest) happens on the device thread again.
 */
#include <pthread.h>
#include <stdbool.h>

#include <cella/error.h>

#define WORKERS_MAX 4

struct work {
	struct work *next;
	void (*fn)(struct work *w); /* runs on a worker thread */
};

struct workers {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct work *todo, **todo_tail;
	struct work *done, **done_tail;
	unsigned inflight; /* submitted and not yet taken back by workers_reap() */
	bool stop;
	unsigned nthreads;
	pthread_t thread[WORKERS_MAX];
	int done_fd; /* eventfd: readable when done is not empty */
};

int workers_init(struct workers *w, unsigned nthreads, const char *name, cella_err_t *err);
/* Stops the threads after the queued work ran; unreaped jobs stay on the done list (workers_reap()). */
void workers_destroy(struct workers *w);
void workers_submit(struct workers *w, struct work *job);
/* Takes the finished jobs (oldest first), clearing the eventfd. */
struct work *workers_reap(struct workers *w);
unsigned workers_inflight(struct workers *w);

#endif
