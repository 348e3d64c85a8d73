// SPDX-License-Identifier: GPL-2.0-or-later
/* Worker threads for blocking I/O, completing through an eventfd. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vdev/workers.h"

static void *worker_main(void *opaque)
{
	struct workers *w = opaque;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct work *job;

		while (!w->todo && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->todo)
			break; /* stopping and nothing left */
		job = w->todo;
		w->todo = job->next;
		if (!w->todo)
			w->todo_tail = &w->todo;
		pthread_mutex_unlock(&w->lock);

		job->fn(job);

		pthread_mutex_lock(&w->lock);
		job->next = NULL;
		*w->done_tail = job;
		w->done_tail = &job->next;
		(void)!eventfd_write(w->done_fd, 1);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int workers_init(struct workers *w, unsigned nthreads, const char *name, cella_err_t *err)
{
	sigset_t all, old;

	memset(w, 0, sizeof(*w));
	w->todo_tail = &w->todo;
	w->done_tail = &w->done;
	w->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->done_fd < 0)
		return cella_error_sys(err, "%s: eventfd", name);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	/* Workers take no signals: those belong to the VMM's main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i < nthreads && i < WORKERS_MAX; i++) {
		int ret = pthread_create(&w->thread[i], NULL, worker_main, w);

		if (ret) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			workers_destroy(w);
			return cella_error_make(err, ret, "%s: starting worker thread", name);
		}
		w->nthreads++;
		char tname[16];

		snprintf(tname, sizeof(tname), "%.10s-io%u", name, i);
		pthread_setname_np(w->thread[i], tname);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

void workers_destroy(struct workers *w)
{
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (unsigned i = 0; i < w->nthreads; i++)
		pthread_join(w->thread[i], NULL);
	w->nthreads = 0;
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	if (w->done_fd >= 0)
		close(w->done_fd);
	w->done_fd = -1;
}

void workers_submit(struct workers *w, struct work *job)
{
	job->next = NULL;
	pthread_mutex_lock(&w->lock);
	*w->todo_tail = job;
	w->todo_tail = &job->next;
	w->inflight++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

struct work *workers_reap(struct workers *w)
{
	struct work *list;
	eventfd_t v;

	pthread_mutex_lock(&w->lock);
	(void)!eventfd_read(w->done_fd, &v);
	list = w->done;
	w->done = NULL;
	w->done_tail = &w->done;
	for (struct work *j = list; j; j = j->next)
		w->inflight--;
	pthread_mutex_unlock(&w->lock);
	return list;
}

unsigned workers_inflight(struct workers *w)
{
	unsigned n;

	pthread_mutex_lock(&w->lock);
	n = w->inflight;
	pthread_mutex_unlock(&w->lock);
	return n;
}
