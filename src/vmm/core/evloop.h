/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_EVLOOP_H
#define CELLA_VMM_CORE_EVLOOP_H

/*
 * The device event loop: one thread, one epoll set. Devices add file
 * descriptors (console input, timerfds) with a callback; the loop ends when
 * the stop eventfd becomes readable.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <cella/error.h>

typedef void (*vmm_evloop_fn)(void *opaque, int fd, uint32_t events);

struct vmm_evloop_source {
	int fd;
	vmm_evloop_fn fn;
	void *opaque;
};

#define VMM_EVLOOP_MAX_SOURCES 16

struct vmm_evloop {
	int epoll_fd;
	int stop_fd; /* eventfd: write 1 to end the loop */
	pthread_t thread;
	bool running;
	bool seccomp; /* install the device thread's filter once running */
	struct vmm_evloop_source sources[VMM_EVLOOP_MAX_SOURCES];
};

int vmm_evloop__init(struct vmm_evloop *ev, cella_err_t *err);
/* Watches fd for events (EPOLLIN...). fn runs on the device thread. */
int vmm_evloop__add(struct vmm_evloop *ev, int fd, uint32_t events, vmm_evloop_fn fn, void *opaque,
		    cella_err_t *err);
/* Changes the events watched on fd (0 = none for now, from the loop's own callbacks). */
int vmm_evloop__modify(struct vmm_evloop *ev, int fd, uint32_t events);
/* Stops watching fd (from the loop's own callbacks too). */
void vmm_evloop__remove(struct vmm_evloop *ev, int fd);
int vmm_evloop__start(struct vmm_evloop *ev, cella_err_t *err);
/* Ends the loop and joins its thread. */
void vmm_evloop__stop(struct vmm_evloop *ev);
void vmm_evloop__destroy(struct vmm_evloop *ev);

#endif
