// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Attaching this terminal to a cellad stream (an interactive exec's pty, a VM's console): the HTTP
 * upgrade, the local terminal in raw mode (so every key, ^C included, goes to the other side), the relay
 * both ways, window size changes as control messages, then the operation's end.
 */
#include "stream_attach.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "client.h"

#define STREAM_PROTOCOL "cella-stream"

/* The terminal as it was, restored on every way out, a fatal signal's included. */
static struct termios saved_termios;
static volatile sig_atomic_t raw_mode;
/* SIGWINCH's self-pipe. */
static int winch_pipe[2] = {-1, -1};

static void restore_terminal(void)
{
	if (raw_mode)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
	raw_mode = 0;
}

static void on_fatal(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_winch(int sig)
{
	int saved = errno;
	ssize_t n = write(winch_pipe[1], "w", 1);

	(void)sig;
	(void)n;
	errno = saved;
}

static void enter_raw_mode(void)
{
	static const int fatal[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE};
	struct sigaction sa = {.sa_handler = on_fatal};
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &saved_termios) < 0)
		return;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	raw = saved_termios;
	cfmakeraw(&raw);
	raw_mode = 1;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
		raw_mode = 0;
}

/* The local window: from stdout, else stdin; false when neither is a terminal. */
bool cella_cli_window_size(unsigned *cols, unsigned *rows)
{
	struct winsize ws;

	if ((ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0) ||
	    ws.ws_col == 0 || ws.ws_row == 0)
		return false;
	*cols = ws.ws_col;
	*rows = ws.ws_row;
	return true;
}

static void send_resize(const char *socket, const char *op_id)
{
	char path[128], body[128];
	unsigned cols, rows;
	cella_err_t err = NULL;
	json_t *doc = NULL;
	int status;

	if (!cella_cli_window_size(&cols, &rows))
		return;
	snprintf(path, sizeof(path), "/1.0/operations/%s/control", op_id);
	snprintf(body, sizeof(body),
		 "{\"command\":\"window-resize\",\"args\":{\"width\":\"%u\",\"height\":\"%u\"}}", cols, rows);
	/* A resize that misses (the command just ended) changes nothing worth reporting. */
	if (cella_client_request(socket, "POST", path, NULL, body, NULL, NULL, &status, &doc, &err) < 0)
		cella_error_release(&err);
	json_decref(doc);
}

static bool write_all(int fd, const char *buf, size_t len, bool is_socket)
{
	while (len > 0) {
		ssize_t n = is_socket ? send(fd, buf, len, MSG_NOSIGNAL) : write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/*
 * With detach keys, Ctrl-a q typed on a terminal ends the attach (as `incus console` detaches); Ctrl-a
 * followed by anything else sends both. True when detached that way.
 */
static bool detach_typed(bool *pending_ctrl_a, char *buf, ssize_t *n, int sock)
{
	ssize_t w = 0;

	for (ssize_t i = 0; i < *n; i++) {
		if (*pending_ctrl_a) {
			*pending_ctrl_a = false;
			if (buf[i] == 'q')
				return true;
			if (!write_all(sock, "\x01", 1, true))
				return true;
		}
		if (buf[i] == 0x01)
			*pending_ctrl_a = true;
		else
			buf[w++] = buf[i];
	}
	*n = w;
	return false;
}

/* Relays until cellad closes the stream (the command ended) or fails, or the user detaches. */
static void relay(const char *socket, const char *op_id, int sock, bool detach_keys)
{
	bool stdin_open = true, stdin_tty = isatty(STDIN_FILENO), pending_ctrl_a = false;
	char buf[16384];

	for (;;) {
		struct pollfd p[3] = {{.fd = sock, .events = POLLIN},
				      {.fd = winch_pipe[0], .events = POLLIN},
				      {.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN}};
		ssize_t n;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (p[0].revents) {
			n = recv(sock, buf, sizeof(buf), 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0 || !write_all(STDOUT_FILENO, buf, (size_t)n, false))
				return;
		}
		if (p[1].revents) {
			while (read(winch_pipe[0], buf, sizeof(buf)) > 0)
				;
			send_resize(socket, op_id);
		}
		if (p[2].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			/* Input ended: its output still comes (closing our half would hang the command up).
			 * Input that is no terminal (a pipe, a file) ends as it would on one: ^D, the
			 * command's terminal's end of file. */
			if (n <= 0) {
				stdin_open = false;
				if (!stdin_tty && !detach_keys && !write_all(sock, "\x04", 1, true))
					return;
			} else if (detach_keys && stdin_tty && detach_typed(&pending_ctrl_a, buf, &n, sock)) {
				return;
			} else if (n > 0 && !write_all(sock, buf, (size_t)n, true)) {
				return;
			}
		}
	}
}

int cella_cli_stream_attach(const char *socket, json_t *reply, bool detach_keys, json_t **op,
			    cella_err_t *err)
{
	json_t *meta = json_object_get(reply, "metadata");
	const char *op_id = json_string_value(json_object_get(meta, "id"));
	const char *secret = json_string_value(
		json_object_get(json_object_get(json_object_get(meta, "metadata"), "fds"), "0"));
	char path[256];
	int sock = -1;

	*op = NULL;
	if (op_id == NULL || secret == NULL || strlen(op_id) > 64 || strlen(secret) > 64)
		return cella_error_make(err, EPROTO, "cellad's operation has no stream secret");
	snprintf(path, sizeof(path), "/1.0/operations/%s/stream?secret=%s", op_id, secret);
	if (cella_client_upgrade(socket, path, STREAM_PROTOCOL, &sock, err) < 0)
		return -1;
	if (pipe2(winch_pipe, O_CLOEXEC | O_NONBLOCK) == 0) {
		struct sigaction sa = {.sa_handler = on_winch, .sa_flags = SA_RESTART};

		sigemptyset(&sa.sa_mask);
		sigaction(SIGWINCH, &sa, NULL);
	}
	if (isatty(STDIN_FILENO))
		enter_raw_mode();
	relay(socket, op_id, sock, detach_keys);
	restore_terminal();
	signal(SIGWINCH, SIG_DFL);
	close(sock);
	for (int i = 0; i < 2; i++)
		if (winch_pipe[i] >= 0)
			close(winch_pipe[i]);
	winch_pipe[0] = winch_pipe[1] = -1;
	/* The stream is over: the operation ends with it. */
	return cella_client_wait(socket, reply, op, err);
}
