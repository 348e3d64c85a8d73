/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_EXEC_TTY_H
#define CELLAD_EXEC_TTY_H

/*
 * Interactive exec ("interactive": true): the command runs on a pty the runtime makes inside the
 * container (process.terminal, the master handed over a console socket); one client attaches to
 * GET /1.0/operations/ID/stream?secret=S (an HTTP upgrade to a raw byte stream joined to the master)
 * and resizes it with POST /1.0/operations/ID/control.
 *
 * A session lives in a registry from the exec request until its operation ends: the operation's thread
 * (exec_tty_run.c) starts the command and reaps it; the attached connection's thread relays
 * (exec_tty.c). Whichever holds the master last closes it.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "daemon.h"
#include "operations.h"

#define CELLAD_EXEC_SECRET_LEN 32
/* Seconds a client has to attach before the command is killed; the environment variable overrides it
 * (tests). */
#define CELLAD_EXEC_ATTACH_TIMEOUT_S   30
#define CELLAD_EXEC_ATTACH_TIMEOUT_ENV "CELLAD_EXEC_ATTACH_TIMEOUT"

struct cellad_exec_tty;

/* A new session with a fresh secret (CELLAD_EXEC_SECRET_LEN hex digits + NUL) for the operation about to
 * be submitted; cellad_exec_tty_bind names the operation once it is, cellad_exec_tty_drop forgets it
 * when the submission failed. */
int cellad_exec_tty_new(struct cellad *d, char secret[CELLAD_EXEC_SECRET_LEN + 1], cella_err_t *err);
void cellad_exec_tty_bind(const char *secret, const char *op_id);
void cellad_exec_tty_drop(const char *secret);

/* What a stream request gets: a claimed session (one reference, given to cellad_exec_tty_relay) or why
 * not. */
enum cellad_exec_claim {
	CELLAD_EXEC_CLAIMED,
	CELLAD_EXEC_NO_SESSION, /* not an interactive exec, or one that ended */
	CELLAD_EXEC_BAD_SECRET,
	CELLAD_EXEC_TAKEN, /* a client attached already */
};
enum cellad_exec_claim cellad_exec_tty_claim(const char *op_id, const char *secret,
					     struct cellad_exec_tty **out);
/* Gives back a claim whose relay will never run (the upgrade response could not be queued). */
void cellad_exec_tty_unclaim(struct cellad_exec_tty *s);
/* Relays between the upgraded socket and the master until either side ends (client gone: the master is
 * closed, the command gets SIGHUP), then drops the claim's reference. extra: bytes the client sent
 * after its request, read by the HTTP server already. */
void cellad_exec_tty_relay(struct cellad_exec_tty *s, int sock, const char *extra, size_t extra_len);
/* TIOCSWINSZ on the session's pty (kept for when the master arrives). 1 = done, 0 = no such session. */
int cellad_exec_tty_resize(const char *op_id, unsigned cols, unsigned rows, cella_err_t *err);

/* The operation (exec_tty_run.c): args {"name", "command", "environment", "cwd"?, "width"?, "height"?,
 * "secret"}. */
int cellad_op_instance_exec_tty(struct cellad *d, struct cellad_op *op, cella_err_t *err);

/* The runtime-spec process for an exec (exec.c): the init's, with args' command, environment, cwd, and
 * for an interactive one terminal + consoleSize. New reference or NULL. */
json_t *cellad_exec_process(struct cellad *d, json_t *args, bool terminal, cella_err_t *err);

/* The tty exec helper (exec_tty_spawn.c): a fresh image of cellad running the runtime's exec of process in
 * container id with console_socket; *status_fd reads "E<message>" (it failed) or "R" (running) then
 * "=<status>" (it ended), then EOF; *pidfd signals it (SIGTERM: it kills the command). */
int cellad_exec_tty_spawn(const char *runtime_root, const char *id, json_t *process,
			  const char *console_socket, pid_t *pid, int *pidfd, int *status_fd,
			  cella_err_t *err);

/* The tty exec helper's work, in the fresh image (start_helper.c's constructor runs it). Never returns. */
void cellad_exec_tty_helper_main(char **argv, int status_fd) __attribute__((noreturn));

/* Session internals shared by exec_tty.c and exec_tty_run.c. */
struct cellad_exec_tty *cellad_exec_tty_get(const char *secret);
void cellad_exec_tty_put(struct cellad_exec_tty *s);
/* The command runs: the master (taken) is published for the relay. */
void cellad_exec_tty_ready(struct cellad_exec_tty *s, int master);
/* Waits until a client attached (true) or the deadline passed / cellad stops (false: the session is
 * closed to clients and its master closed). */
bool cellad_exec_tty_wait_attach(struct cellad_exec_tty *s, long long deadline_ms);
/* After an attach: waits until the relay has ended (the client left, or the other side closed) or cellad
 * stops. */
void cellad_exec_tty_wait_detached(struct cellad_exec_tty *s);
/* Attach timeout in seconds: CELLAD_EXEC_ATTACH_TIMEOUT_S or the environment's override. */
long cellad_exec_tty_attach_timeout_s(void);
/* The command ended or will never run: no further attach; a relay waiting for the master gives up. */
void cellad_exec_tty_finish(struct cellad_exec_tty *s);
/* Forgets the session (the operation ends). */
void cellad_exec_tty_remove(struct cellad_exec_tty *s);

#endif
