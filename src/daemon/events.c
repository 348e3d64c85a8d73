// SPDX-License-Identifier: GPL-2.0-or-later
/* The event ring and GET /1.0/events (one JSON document per line, streamed). */
#include "events.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cella/cleanup.h>

#include "http.h"
#include "util.h"

/* With nothing to say for this long, a stream sends an empty line: a gone client is noticed. */
#define KEEPALIVE_MS 15000

struct cellad_event_ring {
	char *lines[CELLAD_EVENT_RING]; /* JSON text + '\n' */
	unsigned long long next_seq;	/* sequence number of the next event */
};

int cellad_events_new(struct cellad_event_ring **out, cella_err_t *err)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return cella_error_make(err, ENOMEM, "event ring");
	return 0;
}

void cellad_events_free(struct cellad_event_ring *ring)
{
	if (ring == NULL)
		return;
	for (size_t i = 0; i < CELLAD_EVENT_RING; i++)
		free(ring->lines[i]);
	free(ring);
}

void cellad_event_emit_locked(struct cellad *d, const char *type, json_t *metadata)
{
	_cleanup_free_ char *now = cellad_now_rfc3339();
	struct cellad_event_ring *ring = d->events;
	json_t *ev = json_pack("{s:s, s:s, s:o}", "type", type, "timestamp", now ? now : "", "metadata",
			       metadata ? metadata : json_null());
	char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
	char *line = NULL;
	size_t slot;

	json_decref(ev);
	if (text == NULL || asprintf(&line, "%s\n", text) < 0) {
		free(text);
		return;
	}
	free(text);
	slot = ring->next_seq % CELLAD_EVENT_RING;
	free(ring->lines[slot]);
	ring->lines[slot] = line;
	ring->next_seq++;
	pthread_cond_broadcast(&d->changed);
}

void cellad_lifecycle_locked(struct cellad *d, const char *action, const char *source)
{
	cellad_event_emit_locked(d, "lifecycle", json_pack("{s:s, s:s}", "action", action, "source", source));
}

struct stream {
	struct cellad *d;
	unsigned long long cursor;
	char *pending; /* what did not fit in the last buffer */
	size_t pending_len, pending_off;
	char type_filter[64]; /* ?type=lifecycle|operation, empty = all */
};

static bool wanted(const struct stream *s, const char *line)
{
	char needle[96];

	if (s->type_filter[0] == '\0')
		return true;
	snprintf(needle, sizeof(needle), "{\"type\":\"%s\"", s->type_filter);
	return strncmp(line, needle, strlen(needle)) == 0;
}

/* Blocks (this connection's own thread) until there is something to send or the daemon stops. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	struct cellad *d = s->d;
	long long deadline = cellad_now_ms() + KEEPALIVE_MS;
	size_t n;

	while (s->pending == NULL) {
		struct cellad_event_ring *ring;

		pthread_mutex_lock(&d->lock);
		ring = d->events;
		if (d->stopping) {
			pthread_mutex_unlock(&d->lock);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (ring->next_seq - s->cursor > CELLAD_EVENT_RING)
			s->cursor = ring->next_seq - CELLAD_EVENT_RING; /* overwritten: skip ahead */
		while (s->cursor < ring->next_seq && s->pending == NULL) {
			const char *line = ring->lines[s->cursor % CELLAD_EVENT_RING];

			s->cursor++;
			if (line && wanted(s, line)) {
				s->pending = strdup(line);
				s->pending_len = s->pending ? strlen(s->pending) : 0;
				s->pending_off = 0;
			}
		}
		if (s->pending == NULL) {
			struct timespec ts;

			if (cellad_now_ms() >= deadline) {
				pthread_mutex_unlock(&d->lock);
				buf[0] = '\n';
				return 1;
			}
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&d->changed, &d->lock, &ts);
		}
		pthread_mutex_unlock(&d->lock);
	}
	n = s->pending_len - s->pending_off;
	if (n > max)
		n = max;
	memcpy(buf, s->pending + s->pending_off, n);
	s->pending_off += n;
	if (s->pending_off == s->pending_len) {
		free(s->pending);
		s->pending = NULL;
	}
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;

	free(s->pending);
	free(s);
}

enum MHD_Result cellad_api_events(struct cellad_request *r)
{
	const char *type = cellad_request_query(r, "type");
	struct stream *s;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (type && strcmp(type, "lifecycle") != 0 && strcmp(type, "operation") != 0)
		return cellad_reply_error(r, MHD_HTTP_BAD_REQUEST,
					  "type: unknown event type '%s' (lifecycle or operation)", type);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return MHD_NO;
	s->d = r->d;
	if (type)
		snprintf(s->type_filter, sizeof(s->type_filter), "%s", type);
	/* A new stream starts at "now": only events after the request are sent. */
	pthread_mutex_lock(&r->d->lock);
	s->cursor = r->d->events->next_seq;
	pthread_mutex_unlock(&r->d->lock);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, s, stream_free);
	if (resp == NULL) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json-seq");
	ret = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	r->dispatched = true;
	return ret;
}
