/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_CORE_SYNC_H
#define CELLA_RUNTIME_CORE_SYNC_H

/*
 * The runtime <-> container-init conversation over a SOCK_SEQPACKET pair: each
 * message is one datagram (type + optional text + optional fd), so a message
 * can never be read half.
 */
#include <stddef.h>

#include <cella/error.h>

enum cella_sync_msg {
	CELLA_SYNC_GO = 1,     /* parent: id maps written, cgroup entered */
	CELLA_SYNC_HOOKS,      /* child: namespaces and mounts exist, run prestart/createRuntime */
	CELLA_SYNC_HOOKS_DONE, /* parent: hooks ran */
	CELLA_SYNC_CONSOLE_FD, /* child: pty master attached */
	CELLA_SYNC_SECCOMP_FD, /* child: seccomp notify fd attached */
	CELLA_SYNC_PID,	       /* child: text is the pid of the real process (exec's grandchild) */
	CELLA_SYNC_READY,      /* child: about to wait on the exec fifo / exec */
	CELLA_SYNC_ERROR,      /* child: text is the error message */
};

#define CELLA_SYNC_TEXT_MAX 4000

/* Sends a message; fd < 0 for none. */
int cella_sync_send(int sock, enum cella_sync_msg type, const char *text, int fd, cella_err_t *err);
/* Receives one message; *fd = received fd or -1; text (NUL-terminated) optional. Returns 0 on EOF as type. */
int cella_sync_recv(int sock, int *type, char *text, size_t text_size, int *fd, cella_err_t *err);
/* Child side: reports err to the parent and exits 1 (never returns). */
__attribute__((noreturn)) void cella_sync_fail(int sock, cella_err_t *err);

#endif
