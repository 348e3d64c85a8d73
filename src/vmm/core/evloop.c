/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/evloop.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/threads.h"

int vmm_evloop__init(struct vmm_evloop *ev, cella_err_t *err)
{
	struct epoll_event e = {.events = EPOLLIN};

	memset(ev, 0, sizeof(*ev));
	for (unsigned i = 0; i < VMM_EVLOOP_MAX_SOURCES; i++)
		ev->sources[i].fd = -1;
	ev->stop_fd = -1;
	ev->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (ev->epoll_fd < 0)
		return cella_error_sys(err, "device loop: epoll_create1");
	ev->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ev->stop_fd < 0)
		return cella_error_sys(err, "device loop: eventfd");
	e.data.fd = ev->stop_fd;
	if (epoll_ctl(ev->epoll_fd, EPOLL_CTL_ADD, ev->stop_fd, &e) < 0)
		return cella_error_sys(err, "device loop: epoll_ctl");
	return 0;
}

int vmm_evloop__add(struct vmm_evloop *ev, int fd, uint32_t events, vmm_evloop_fn fn, void *opaque,
		    cella_err_t *err)
{
	struct epoll_event e = {.events = events, .data.fd = fd};

	for (unsigned i = 0; i < VMM_EVLOOP_MAX_SOURCES; i++) {
		if (ev->sources[i].fd >= 0)
			continue;
		if (epoll_ctl(ev->epoll_fd, EPOLL_CTL_ADD, fd, &e) < 0)
			return cella_error_sys(err, "device loop: watching fd %d", fd);
		ev->sources[i] = (struct vmm_evloop_source){.fd = fd, .fn = fn, .opaque = opaque};
		return 0;
	}
	return cella_error_make(err, ENOSPC, "device loop: more than %d event sources",
				VMM_EVLOOP_MAX_SOURCES);
}

int vmm_evloop__modify(struct vmm_evloop *ev, int fd, uint32_t events)
{
	struct epoll_event e = {.events = events, .data.fd = fd};

	return epoll_ctl(ev->epoll_fd, EPOLL_CTL_MOD, fd, &e);
}

void vmm_evloop__remove(struct vmm_evloop *ev, int fd)
{
	for (unsigned i = 0; i < VMM_EVLOOP_MAX_SOURCES; i++) {
		if (ev->sources[i].fd == fd) {
			epoll_ctl(ev->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
			ev->sources[i].fd = -1;
		}
	}
}

static void *evloop__thread(void *arg)
{
	struct vmm_evloop *ev = arg;
	struct epoll_event events[8];

	if (vmm_thread__enter("devices", VMM_THREAD_DEVICES, ev->seccomp) < 0)
		return NULL;
	for (;;) {
		int n = epoll_wait(ev->epoll_fd, events, 8, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("cella-vmm: device loop: epoll_wait");
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			int fd = events[i].data.fd;

			if (fd == ev->stop_fd)
				return NULL;
			for (unsigned s = 0; s < VMM_EVLOOP_MAX_SOURCES; s++) {
				if (ev->sources[s].fd == fd) {
					ev->sources[s].fn(ev->sources[s].opaque, fd, events[i].events);
					break;
				}
			}
		}
	}
}

int vmm_evloop__start(struct vmm_evloop *ev, cella_err_t *err)
{
	int rc = pthread_create(&ev->thread, NULL, evloop__thread, ev);

	if (rc != 0)
		return cella_error_make(err, rc, "device loop: cannot start its thread");
	ev->running = true;
	return 0;
}

void vmm_evloop__stop(struct vmm_evloop *ev)
{
	uint64_t one = 1;

	if (!ev->running)
		return;
	if (write(ev->stop_fd, &one, sizeof(one)) < 0)
		perror("cella-vmm: device loop: eventfd write");
	pthread_join(ev->thread, NULL);
	ev->running = false;
}

void vmm_evloop__destroy(struct vmm_evloop *ev)
{
	vmm_evloop__stop(ev);
	if (ev->epoll_fd >= 0)
		close(ev->epoll_fd);
	if (ev->stop_fd >= 0)
		close(ev->stop_fd);
	ev->epoll_fd = ev->stop_fd = -1;
}
