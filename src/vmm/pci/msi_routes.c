// SPDX-License-Identifier: GPL-2.0-or-later
/* The MSI route table: (address, data) -> GSI + irqfd, filled lazily; see msi_routes.h. */
#include "pci/msi_routes.h"

#include <stdio.h>
#include <string.h>

void msi_routes__init(struct msi_routes *t, const struct msi_backend *be, void *opaque, bool use_irqfd,
		      unsigned max)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->be = be;
	t->opaque = opaque;
	t->use_irqfd = use_irqfd;
	t->max = max < MSI_ROUTES_MAX ? max : MSI_ROUTES_MAX;
	t->stats.irqfd_disabled = !use_irqfd;
}

void msi_routes__destroy(struct msi_routes *t)
{
	for (unsigned i = 0; i < t->n; i++)
		t->be->unbind(t->opaque, t->route[i].gsi, t->route[i].fd);
	t->n = 0;
	pthread_mutex_destroy(&t->lock);
}

static struct msi_route *find(struct msi_routes *t, uint64_t addr, uint32_t data)
{
	for (unsigned i = 0; i < t->n; i++) {
		if (t->route[i].addr == addr && t->route[i].data == data)
			return &t->route[i];
	}
	return NULL;
}

/* After a backend failure the irqfd path is off for good: a broken backend is not retried per interrupt. */
static void give_up(struct msi_routes *t, const char *what)
{
	char msg[160];

	t->use_irqfd = false;
	t->stats.irqfd_disabled = true;
	snprintf(msg, sizeof(msg), "MSI: %s failed: interrupts go through KVM_SIGNAL_MSI from now on", what);
	t->be->log(t->opaque, msg);
}

/* Gives (addr, data) a stale route, keeping its GSI and eventfd; NULL when there is none or KVM refused. */
static struct msi_route *reuse_stale(struct msi_routes *t, uint64_t addr, uint32_t data)
{
	for (unsigned i = 0; i < t->n; i++) {
		struct msi_route *r = &t->route[i], old = *r;

		if (!r->stale)
			continue;
		r->addr = addr;
		r->data = data;
		r->stale = false;
		if (t->be->set_routes(t->opaque, t->route, t->n) < 0) {
			*r = old;
			give_up(t, "KVM_SET_GSI_ROUTING");
			return NULL;
		}
		t->stats.updates++;
		t->stats.reused++;
		return r;
	}
	return NULL;
}

/* A new GSI for (addr, data): routing entry first, then the irqfd that raises it. */
static struct msi_route *add_route(struct msi_routes *t, uint64_t addr, uint32_t data)
{
	struct msi_route *r;
	char msg[160];

	if (t->n >= t->max) {
		if (!t->full_logged) {
			snprintf(msg, sizeof(msg),
				 "MSI: route table full (%u routes): new messages go through KVM_SIGNAL_MSI",
				 t->max);
			t->be->log(t->opaque, msg);
			t->full_logged = true;
		}
		return NULL;
	}
	r = &t->route[t->n];
	*r = (struct msi_route){.addr = addr, .data = data, .gsi = MSI_ROUTES_FIRST_GSI + t->n, .fd = -1};
	if (t->be->set_routes(t->opaque, t->route, t->n + 1) < 0) {
		give_up(t, "KVM_SET_GSI_ROUTING");
		return NULL;
	}
	t->stats.updates++;
	r->fd = t->be->bind(t->opaque, r->gsi);
	if (r->fd < 0) {
		/* The entry stays in KVM's table unused until the next update drops it: harmless. */
		give_up(t, "KVM_IRQFD");
		return NULL;
	}
	t->n++;
	return r;
}

void msi_routes__send(struct msi_routes *t, uint64_t addr, uint32_t data)
{
	struct msi_route *r = NULL;
	bool sent = false;

	pthread_mutex_lock(&t->lock);
	if (t->use_irqfd) {
		r = find(t, addr, data);
		if (r)
			r->stale = false; /* the old message is back: its route is still installed */
		else
			r = reuse_stale(t, addr, data);
		if (!r && t->use_irqfd)
			r = add_route(t, addr, data);
	}
	/*
	 * The eventfd write happens under the lock (it costs what a syscall
	 * costs): a route given to another message between the lookup and the
	 * write would deliver the wrong one.
	 */
	sent = r && t->be->fire(t->opaque, r->fd) == 0;
	if (sent)
		t->stats.irqfd++;
	else
		t->stats.fallback++;
	pthread_mutex_unlock(&t->lock);
	if (!sent)
		t->be->signal(t->opaque, addr, data);
}

void msi_routes__retire(struct msi_routes *t, uint64_t addr, uint32_t data)
{
	struct msi_route *r;

	pthread_mutex_lock(&t->lock);
	r = find(t, addr, data);
	if (r)
		r->stale = true;
	pthread_mutex_unlock(&t->lock);
}

void msi_routes__stats(struct msi_routes *t, struct msi_routes_stats *out)
{
	pthread_mutex_lock(&t->lock);
	*out = t->stats;
	out->routes = t->n;
	pthread_mutex_unlock(&t->lock);
}
