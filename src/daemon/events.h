/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_EVENTS_H
#define CELLAD_EVENTS_H

/*
 * /1.0/events: the last CELLAD_EVENT_RING events kept in memory, each with a
 * sequence number; a stream follows its own cursor, so a slow reader never
 * blocks the daemon (it skips what the ring overwrote).
 */
#include <jansson.h>

#include "daemon.h"

#define CELLAD_EVENT_RING 512

int cellad_events_new(struct cellad_event_ring **out, cella_err_t *err);
void cellad_events_free(struct cellad_event_ring *ring);
/* {"type": type, "timestamp": now, "metadata": metadata}; metadata is stolen. Lock held. */
void cellad_event_emit_locked(struct cellad *d, const char *type, json_t *metadata);
/* A lifecycle event: {"action": action, "source": source}. Lock held. */
void cellad_lifecycle_locked(struct cellad *d, const char *action, const char *source);

#endif
