/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_OCI_TERMINAL_H
#define CELLA_RUNTIME_OCI_TERMINAL_H

/*
 * The container's terminal (process.terminal = true): a pty pair whose master
 * goes to the caller's --console-socket (runc protocol, read by conmon and
 * containerd's shim) and whose slave becomes the container's stdio and
 * controlling terminal.
 */
#include <cella/error.h>

/* Opens a new pty pair via /dev/ptmx (call it inside the container's mount
 * namespace so that the slave belongs to its devpts). Both fds are O_CLOEXEC
 * and O_NOCTTY. */
int cella_terminal_open(int *master, int *slave, cella_err_t *err);

/* Sets the window size (TIOCSWINSZ) on either end. */
int cella_terminal_set_size(int fd, unsigned rows, unsigned cols, cella_err_t *err);

/* Connects to the unix stream socket @console_socket and sends @master with
 * SCM_RIGHTS, the payload being the master's name ("/dev/ptmx"), as runc does.
 * Paths longer than sun_path are reached through /proc/self/fd. */
int cella_terminal_send_to_socket(const char *console_socket, int master, cella_err_t *err);

/* In the container process: new session, @slave as controlling terminal
 * (TIOCSCTTY) and as fds 0, 1, 2; @slave itself is closed if above 2. */
int cella_terminal_make_controlling(int slave, cella_err_t *err);

#endif
