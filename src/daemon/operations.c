// SPDX-License-Identifier: GPL-2.0-or-later
/* Operation rows, the queue and its worker thread. */
#include "operations.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <cella/cleanup.h>

#include "events.h"
#include "util.h"

/* The worker looks for containers that died behind its back this often when idle. */
#define RECONCILE_INTERVAL_MS 1000

static int status_code(const char *status)
{
	static const struct {
		const char *name;
		int code;
	} codes[] = {
		{"Running", 103}, {"Pending", 105}, {"Success", 200}, {"Failure", 400}, {"Cancelled", 401}};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(codes[i].name, status) == 0)
			return codes[i].code;
	return 0;
}

bool cellad_op_done(const json_t *op)
{
	int code = (int)json_integer_value(json_object_get(op, "status_code"));

	return code >= 200;
}

static json_t *parse_or_empty(const char *text)
{
	json_t *v = text ? json_loads(text, 0, NULL) : NULL;

	return v ? v : json_object();
}

static json_t *row_to_op(json_t *row)
{
	const char *status = json_string_value(json_object_get(row, "status"));

	return json_pack("{s:O, s:O, s:O, s:O, s:O, s:s, s:i, s:o, s:o, s:b, s:O, s:s}", "id",
			 json_object_get(row, "id"), "class", json_object_get(row, "class"), "description",
			 json_object_get(row, "description"), "created_at",
			 json_object_get(row, "created_at"), "updated_at", json_object_get(row, "updated_at"),
			 "status", status ? status : "", "status_code", status_code(status ? status : ""),
			 "resources", parse_or_empty(json_string_value(json_object_get(row, "resources"))),
			 "metadata", parse_or_empty(json_string_value(json_object_get(row, "metadata"))),
			 "may_cancel", 0, "err", json_object_get(row, "err"), "location", "none");
}

json_t *cellad_op_json_locked(struct cellad *d, const char *id)
{
	cella_err_t err = NULL;
	json_t *row = NULL, *op;

	if (cellad_db_query_one(d->db, "SELECT * FROM operations WHERE id = ?", DB_ARGS(DB_TEXT(id)), &row,
				&err) < 0) {
		cella_error_release(&err);
		return NULL;
	}
	if (row == NULL)
		return NULL;
	op = row_to_op(row);
	json_decref(row);
	return op;
}

static void emit_op_locked(struct cellad *d, const char *id)
{
	json_t *op = cellad_op_json_locked(d, id);

	if (op)
		cellad_event_emit_locked(d, "operation", op);
}

/* Inserts the Pending row (metadata NULL: {}; it and resources are stolen): a new op, or NULL. */
static struct cellad_op *op_insert_locked(struct cellad *d, const char *description, json_t *resources,
					  json_t *metadata, cella_err_t *err)
{
	struct cellad_op *op = calloc(1, sizeof(*op));
	_cleanup_free_ char *now = cellad_now_rfc3339(), *res = NULL, *meta = NULL;

	if (metadata == NULL)
		metadata = json_object();
	res = resources ? json_dumps(resources, JSON_COMPACT) : NULL;
	meta = metadata ? json_dumps(metadata, JSON_COMPACT) : NULL;
	json_decref(resources);
	json_decref(metadata);
	if (op == NULL || now == NULL || res == NULL || meta == NULL) {
		free(op);
		cella_error_make(err, ENOMEM, "operation");
		return NULL;
	}
	if (cellad_uuid(op->id, err) < 0 ||
	    cellad_db_run(d->db,
			  "INSERT INTO operations (id, class, description, status, resources, metadata, "
			  "created_at, updated_at) VALUES (?, 'task', ?, 'Pending', ?, ?, ?, ?)",
			  DB_ARGS(DB_TEXT(op->id), DB_TEXT(description), DB_TEXT(res), DB_TEXT(meta),
				  DB_TEXT(now), DB_TEXT(now)),
			  NULL, err) < 0) {
		free(op);
		return NULL;
	}
	return op;
}

int cellad_op_submit_locked(struct cellad *d, const char *description, json_t *resources, json_t *args,
			    cellad_op_fn fn, json_t **op_json, cella_err_t *err)
{
	struct cellad_op *op = op_insert_locked(d, description, resources, NULL, err);

	if (op == NULL) {
		json_decref(args);
		return -1;
	}
	op->args = args;
	op->fn = fn;
	if (d->queue_tail)
		d->queue_tail->next = op;
	else
		d->queue_head = op;
	d->queue_tail = op;
	*op_json = cellad_op_json_locked(d, op->id);
	emit_op_locked(d, op->id);
	pthread_cond_broadcast(&d->changed);
	return 0;
}

static void set_status_locked(struct cellad *d, const char *id, const char *status, const char *msg)
{
	_cleanup_free_ char *now = cellad_now_rfc3339();
	cella_err_t err = NULL;

	if (cellad_db_run(d->db, "UPDATE operations SET status = ?, err = ?, updated_at = ? WHERE id = ?",
			  DB_ARGS(DB_TEXT(status), DB_TEXT(msg), DB_TEXT(now), DB_TEXT(id)), NULL,
			  &err) < 0) {
		fprintf(stderr, "cellad: operation %s: %s\n", id, cella_error_string(err));
		cella_error_release(&err);
	}
	emit_op_locked(d, id);
	pthread_cond_broadcast(&d->changed);
}

void cellad_op_set_metadata(struct cellad *d, struct cellad_op *op, json_t *metadata)
{
	_cleanup_free_ char *text = json_dumps(metadata, JSON_COMPACT), *now = cellad_now_rfc3339();
	cella_err_t err = NULL;

	json_decref(metadata);
	if (text == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	if (cellad_db_run(d->db, "UPDATE operations SET metadata = ?, updated_at = ? WHERE id = ?",
			  DB_ARGS(DB_TEXT(text), DB_TEXT(now), DB_TEXT(op->id)), NULL, &err) < 0) {
		fprintf(stderr, "cellad: operation %s: %s\n", op->id, cella_error_string(err));
		cella_error_release(&err);
	}
	emit_op_locked(d, op->id);
	pthread_cond_broadcast(&d->changed);
	pthread_mutex_unlock(&d->lock);
}

static void run_one(struct cellad *d, struct cellad_op *op)
{
	cella_err_t err = NULL;
	int ret;

	pthread_mutex_lock(&d->lock);
	set_status_locked(d, op->id, "Running", "");
	pthread_mutex_unlock(&d->lock);
	ret = op->fn(d, op, &err);
	pthread_mutex_lock(&d->lock);
	if (ret < 0) {
		fprintf(stderr, "cellad: operation %s failed: %s\n", op->id, cella_error_string(err));
		set_status_locked(d, op->id, "Failure", cella_error_string(err));
	} else {
		set_status_locked(d, op->id, "Success", "");
	}
	pthread_mutex_unlock(&d->lock);
	cella_error_release(&err);
}

/* Operations on a thread of their own (cellad_op_submit_thread_locked); joined once done, or at stop. */
struct op_thread {
	pthread_t thread;
	struct cellad *d;
	struct cellad_op *op;
	bool done;
	struct op_thread *next;
};
static struct op_thread *op_threads; /* guarded by d->lock (one cellad per process) */

static void *op_thread_main(void *arg)
{
	struct op_thread *t = arg;

	run_one(t->d, t->op);
	json_decref(t->op->args);
	free(t->op);
	t->op = NULL;
	pthread_mutex_lock(&t->d->lock);
	t->done = true;
	pthread_mutex_unlock(&t->d->lock);
	return NULL;
}

/* Joins the threads that finished (they no longer need the lock: done is their last act). */
static void op_threads_reap_locked(void)
{
	struct op_thread **pp = &op_threads;

	while (*pp) {
		struct op_thread *t = *pp;

		if (!t->done) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		pthread_join(t->thread, NULL);
		free(t);
	}
}

int cellad_op_submit_thread_locked(struct cellad *d, const char *description, json_t *resources,
				   json_t *metadata, json_t *args, cellad_op_fn fn, json_t **op_json,
				   cella_err_t *err)
{
	struct op_thread *t = calloc(1, sizeof(*t));
	struct cellad_op *op;
	int rc;

	op_threads_reap_locked();
	op = t ? op_insert_locked(d, description, resources, metadata, err) : NULL;
	if (op == NULL) {
		if (t == NULL) {
			json_decref(resources);
			json_decref(metadata);
			cella_error_make(err, ENOMEM, "operation");
		}
		free(t);
		json_decref(args);
		return -1;
	}
	op->args = args;
	op->fn = fn;
	*t = (struct op_thread){.d = d, .op = op};
	*op_json = cellad_op_json_locked(d, op->id);
	rc = pthread_create(&t->thread, NULL, op_thread_main, t);
	if (rc != 0) {
		set_status_locked(d, op->id, "Failure", "cannot start the operation's thread");
		json_decref(*op_json);
		*op_json = NULL;
		json_decref(args);
		free(op);
		free(t);
		return cella_error_make(err, rc, "start the operation's thread");
	}
	t->next = op_threads;
	op_threads = t;
	emit_op_locked(d, op->id);
	pthread_cond_broadcast(&d->changed);
	return 0;
}

static void *worker_main(void *arg)
{
	struct cellad *d = arg;
	long long next_reconcile = cellad_now_ms() + RECONCILE_INTERVAL_MS;

	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		struct cellad_op *op = d->queue_head;

		if (op == NULL) {
			struct timespec ts;

			if (cellad_now_ms() >= next_reconcile) {
				pthread_mutex_unlock(&d->lock);
				/* cellad is the subreaper of the containers it started: collect the ones that
				 * ended. The helpers this thread forks are waited for before it gets here; the
				 * interactive exec's, forked on their operation's thread, report their status on
				 * a pipe, so reaping one here takes nothing from its waiter. */
				while (waitpid(-1, NULL, WNOHANG) > 0)
					;
				cellad_reconcile(d);
				pthread_mutex_lock(&d->lock);
				next_reconcile = cellad_now_ms() + RECONCILE_INTERVAL_MS;
				continue;
			}
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 200 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&d->changed, &d->lock, &ts);
			continue;
		}
		d->queue_head = op->next;
		if (d->queue_head == NULL)
			d->queue_tail = NULL;
		pthread_mutex_unlock(&d->lock);
		run_one(d, op);
		json_decref(op->args);
		free(op);
		pthread_mutex_lock(&d->lock);
	}
	/* Not run: left Pending in the database, failed as interrupted at the next start. */
	while (d->queue_head) {
		struct cellad_op *op = d->queue_head;

		d->queue_head = op->next;
		json_decref(op->args);
		free(op);
	}
	d->queue_tail = NULL;
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

int cellad_worker_start(struct cellad *d, pthread_t *thread, cella_err_t *err)
{
	int rc = pthread_create(thread, NULL, worker_main, d);

	if (rc != 0)
		return cella_error_make(err, rc, "start the operation worker");
	return 0;
}

void cellad_worker_stop(struct cellad *d, pthread_t thread)
{
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	pthread_cond_broadcast(&d->changed);
	pthread_mutex_unlock(&d->lock);
	pthread_join(thread, NULL);
	/* Their functions watch d->stopping and end soon. */
	for (;;) {
		struct op_thread *t;

		pthread_mutex_lock(&d->lock);
		t = op_threads;
		if (t)
			op_threads = t->next;
		pthread_mutex_unlock(&d->lock);
		if (t == NULL)
			break;
		pthread_join(t->thread, NULL);
		free(t);
	}
}
