/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_OPERATIONS_H
#define CELLAD_OPERATIONS_H

/*
 * Asynchronous operations (Incus' 202 + /1.0/operations/ID): every row lives
 * in the operations table, so a restarted cellad can report (and fail) the
 * ones it was killed in the middle of. The work runs on one worker thread, in
 * submission order (but those submitted with cellad_op_submit_thread_locked).
 */
#include <jansson.h>
#include <pthread.h>

#include "daemon.h"

struct cellad_op;
typedef int (*cellad_op_fn)(struct cellad *d, struct cellad_op *op, cella_err_t *err);

struct cellad_op {
	char id[37];
	json_t *args; /* what the handler validated, for fn */
	cellad_op_fn fn;
	struct cellad_op *next;
};

/* Records a Pending operation and queues it; *op_json = its Incus object. Lock held. */
int cellad_op_submit_locked(struct cellad *d, const char *description, json_t *resources, json_t *args,
			    cellad_op_fn fn, json_t **op_json, cella_err_t *err);
/* As cellad_op_submit_locked, but fn runs at once on a thread of its own (an interactive command lasts as
 * long as its user wants, and must not hold up the queue) and the operation starts with metadata (stolen,
 * may be NULL). fn must end soon once d->stopping is set: cellad_worker_stop joins the thread. */
int cellad_op_submit_thread_locked(struct cellad *d, const char *description, json_t *resources,
				   json_t *metadata, json_t *args, cellad_op_fn fn, json_t **op_json,
				   cella_err_t *err);
/* Replaces the operation's metadata (progress); emits an operation event. Lock NOT held. */
void cellad_op_set_metadata(struct cellad *d, struct cellad_op *op, json_t *metadata);
/* The Incus object of operation id (new reference), NULL if unknown. Lock held. */
json_t *cellad_op_json_locked(struct cellad *d, const char *id);
/* True when the status is final (Success, Failure). */
bool cellad_op_done(const json_t *op);

int cellad_worker_start(struct cellad *d, pthread_t *thread, cella_err_t *err);
/* Wakes the worker (d->stopping set by the caller) and joins it; queued operations stay Pending in the
 * database and are failed by the next start-up. */
void cellad_worker_stop(struct cellad *d, pthread_t thread);

#endif
