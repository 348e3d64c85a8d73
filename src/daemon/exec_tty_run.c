// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The interactive exec's operation, on a thread of its own: the command starts through the tty helper
 * with process.terminal, the runtime hands the pty master to our console socket, the session publishes
 * it for the relay; the operation ends with the command ("return") or, when nobody attaches in time,
 * kills it and fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "exec_tty.h"
#include "util.h"

#define TICK_MS 250
/* The runtime hands over the master within this many seconds of the helper's start, or never. */
#define MASTER_TIMEOUT_S 30
/* After SIGTERM the helper kills the command at once; it gets this long before it is killed itself. */
#define KILL_GRACE_MS 10000

long cellad_exec_tty_attach_timeout_s(void)
{
	const char *v = getenv(CELLAD_EXEC_ATTACH_TIMEOUT_ENV);
	char *end;
	long s;

	if (v == NULL)
		return CELLAD_EXEC_ATTACH_TIMEOUT_S;
	errno = 0;
	s = strtol(v, &end, 10);
	if (errno || end == v || *end || s < 1 || s > 3600)
		return CELLAD_EXEC_ATTACH_TIMEOUT_S;
	return s;
}

/* The console socket the runtime connects to: tmp/exec-<the op id's first 18 characters>.sock (short enough
 * for sun_path under any sensible root; tmp/ is emptied at start-up). */
static int console_listen(const char *path, cella_err_t *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(addr.sun_path))
		return cella_error_make(err, ENAMETOOLONG, "console socket '%s': path too long", path);
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cella_error_sys(err, "console socket: socket");
	if (unlink(path) < 0 && errno != ENOENT)
		return cella_error_sys(err, "console socket '%s': remove", path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 1) < 0)
		return cella_error_sys(err, "console socket '%s'", path);
	return steal_fd(&fd);
}

/* The master from the runtime's connection (SCM_RIGHTS), checked to be a terminal. */
static int receive_master(int listen_fd, cella_err_t *err)
{
	struct timeval tv = {5, 0};
	_cleanup_close_ int conn = -1;
	char name[64];
	struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *cmsg;
	int master = -1;
	ssize_t n;

	conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return cella_error_sys(err, "console socket: accept");
	setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while ((n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return cella_error_sys(err, "console socket: receive the pty master");
	cmsg = CMSG_FIRSTHDR(&msg);
	if (cmsg && cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS &&
	    cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&master, CMSG_DATA(cmsg), sizeof(int));
	if (master < 0)
		return cella_error_make(err, EPROTO, "console socket: no descriptor came with the message");
	if (!isatty(master)) {
		close(master);
		return cella_error_make(err, EPROTO, "console socket: the descriptor is not a terminal");
	}
	return master;
}

/* Waits for the master or the helper's failure (its message on status_fd). */
static int await_master(struct cellad *d, int listen_fd, int status_fd, cella_err_t *err)
{
	long long deadline = cellad_now_ms() + MASTER_TIMEOUT_S * 1000LL;

	for (;;) {
		struct pollfd p[2] = {{.fd = listen_fd, .events = POLLIN},
				      {.fd = status_fd, .events = POLLIN}};
		int r = poll(p, 2, TICK_MS);

		if (r < 0 && errno != EINTR)
			return cella_error_sys(err, "poll");
		if (r > 0 && p[0].revents)
			return receive_master(listen_fd, err);
		if (r > 0 && p[1].revents)
			return 0; /* the helper's report follows */
		if (cellad_stopping(d))
			return cella_error_make(err, ECANCELED, "cellad is stopping");
		if (cellad_now_ms() >= deadline)
			return cella_error_make(err, ETIMEDOUT,
						"the runtime did not hand over the pty within %d s",
						MASTER_TIMEOUT_S);
	}
}

struct helper {
	pid_t pid;
	int pidfd, status_fd;
	bool signalled, collected;
	char msg[2048]; /* its report so far */
	size_t len;
};

static void helper_term(struct helper *h)
{
	if (!h->signalled && h->pidfd >= 0)
		pidfd_send_signal(h->pidfd, SIGTERM, NULL, 0);
	h->signalled = true;
}

/* Appends what the helper wrote to its report: false at EOF (or when the report is full). */
static bool helper_read(struct helper *h)
{
	ssize_t n;

	do
		n = read(h->status_fd, h->msg + h->len, sizeof(h->msg) - 1 - h->len);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;
	h->len += (size_t)n;
	h->msg[h->len] = '\0';
	return h->len < sizeof(h->msg) - 1;
}

/* Waits (bounded) for the helper's "R": true once the command runs. Otherwise its report says why. */
static bool helper_running(struct cellad *d, struct helper *h)
{
	long long deadline = cellad_now_ms() + MASTER_TIMEOUT_S * 1000LL;

	while (h->len == 0) {
		struct pollfd p = {.fd = h->status_fd, .events = POLLIN};
		int r = poll(&p, 1, TICK_MS);

		if (r < 0 && errno != EINTR)
			return false;
		if (r > 0 && !helper_read(h))
			return false;
		if (r == 0 && (cellad_stopping(d) || cellad_now_ms() >= deadline))
			return false;
	}
	return h->msg[0] == 'R';
}

/* Reads the helper's report to EOF and reaps it: *status, or an error with its message. A stopping
 * cellad kills the command. */
static int helper_collect(struct cellad *d, struct helper *h, int *status, cella_err_t *err)
{
	long long kill_at = -1;
	const char *msg;

	for (;;) {
		struct pollfd p = {.fd = h->status_fd, .events = POLLIN};
		int r = poll(&p, 1, TICK_MS);

		if (r < 0 && errno != EINTR)
			break;
		if (r > 0) {
			if (!helper_read(h))
				break;
			continue;
		}
		if (!h->signalled && cellad_stopping(d))
			helper_term(h);
		if (h->signalled && kill_at < 0)
			kill_at = cellad_now_ms() + KILL_GRACE_MS;
		if (kill_at >= 0 && cellad_now_ms() >= kill_at && h->pidfd >= 0)
			pidfd_send_signal(h->pidfd, SIGKILL, NULL, 0);
	}
	h->msg[h->len] = '\0';
	h->collected = true;
	/* The worker may have reaped it already (it collects every ended child of cellad): ECHILD. Through
	 * the pidfd, a pid reused since cannot be mistaken for it. */
	if (h->pidfd >= 0) {
		siginfo_t info;

		while (waitid(P_PIDFD, (id_t)h->pidfd, &info, WEXITED) < 0 && errno == EINTR)
			;
	} else {
		while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	msg = h->msg[0] == 'R' ? h->msg + 1 : h->msg;
	if (msg[0] == '=') {
		*status = atoi(msg + 1);
		return 0;
	}
	if (msg[0] == 'E')
		return cella_error_make(err, 0, "%s", msg + 1);
	if (h->signalled)
		return cella_error_make(err, ECANCELED, "the command was killed");
	return cella_error_make(err, 0, "the exec helper ended without a report");
}

static int run(struct cellad *d, struct cellad_op *op, struct cellad_exec_tty *s, int *status,
	       cella_err_t *err)
{
	const char *name = json_string_value(json_object_get(op->args, "name"));
	long timeout_s = cellad_exec_tty_attach_timeout_s();
	long long deadline = cellad_now_ms() + timeout_s * 1000LL;
	struct helper h = {.pid = -1, .pidfd = -1, .status_fd = -1};
	_cleanup_free_ char *sock_path = NULL;
	_cleanup_close_ int listen_fd = -1;
	json_t *process;
	int master, ret;

	if (asprintf(&sock_path, "%s/exec-%.18s.sock", d->tmp_dir, op->id) < 0)
		return cella_error_make(err, ENOMEM, "exec");
	process = cellad_exec_process(d, op->args, true, err);
	if (process == NULL)
		return -1;
	listen_fd = console_listen(sock_path, err);
	if (listen_fd < 0) {
		json_decref(process);
		return -1;
	}
	ret = cellad_exec_tty_spawn(d->runtime_root, name, process, sock_path, &h.pid, &h.pidfd, &h.status_fd,
				    err);
	json_decref(process);
	if (ret < 0) {
		unlink(sock_path);
		return -1;
	}
	master = await_master(d, listen_fd, h.status_fd, err);
	unlink(sock_path);
	if (master < 0) {
		helper_term(&h);
		ret = -1;
	} else if (master == 0) {
		/* The helper reported first: its failure (or a command that ended before the runtime even
		 * handed over its terminal). */
		ret = helper_collect(d, &h, status, err);
		if (ret == 0)
			ret = cella_error_make(err, EPROTO,
					       "the command ended before its terminal was handed over");
	} else if (!helper_running(d, &h)) {
		close(master);
		helper_term(&h);
		ret = helper_collect(d, &h, status, err);
		if (ret == 0)
			ret = cella_error_make(err, EPROTO,
					       "the exec helper did not report the command running");
	} else {
		cellad_exec_tty_ready(s, master);
		if (cellad_exec_tty_wait_attach(s, deadline)) {
			ret = helper_collect(d, &h, status, err);
		} else {
			helper_term(&h);
			if (cellad_stopping(d))
				ret = cella_error_make(err, ECANCELED,
						       "cellad stopped before a client attached: the "
						       "command was killed");
			else
				ret = cella_error_make(err, ETIMEDOUT,
						       "no client attached to the stream within %ld s: the "
						       "command was killed",
						       timeout_s);
		}
	}
	if (!h.collected) {
		cella_err_t ignore = NULL;
		int unused;

		if (helper_collect(d, &h, &unused, &ignore) < 0)
			cella_error_release(&ignore);
	}
	close(h.status_fd);
	if (h.pidfd >= 0)
		close(h.pidfd);
	return ret;
}

/* args {"name", "command", "environment", "cwd"?, "width"?, "height"?, "secret"} */
int cellad_op_instance_exec_tty(struct cellad *d, struct cellad_op *op, cella_err_t *err)
{
	const char *name = json_string_value(json_object_get(op->args, "name"));
	struct cellad_exec_tty *s =
		cellad_exec_tty_get(json_string_value(json_object_get(op->args, "secret")));
	int status = 0, ret;

	if (s == NULL)
		return cella_error_make(err, ENOENT, "exec in '%s': its session is gone", name);
	ret = run(d, op, s, &status, err);
	cellad_exec_tty_finish(s);
	cellad_exec_tty_remove(s);
	cellad_exec_tty_put(s);
	if (ret < 0)
		return cella_error_wrap(err, "exec in '%s'", name);
	cellad_op_set_metadata(d, op, json_pack("{s:i}", "return", status));
	return 0;
}
