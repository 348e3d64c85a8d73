// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-console with one port (no multiport): queue 0 carries input to the
 * guest, queue 1 its output. Input comes from stdin, a file or nothing; output
 * goes to stdout, a file or nowhere. Output is buffered and written without
 * blocking, so a reader that stops reading stalls this console, never the
 * device thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "vdev/iov.h"
#include "vdev/vdev.h"

#define CONSOLE_QUEUE_SIZE  128
#define CONSOLE_CONFIG_SIZE 12
#define CONSOLE_BUF	    65536
#define CONSOLE_RX	    0
#define CONSOLE_TX	    1

struct vdev_console {
	struct vdev dev;
	char input[PATH_MAX], output[PATH_MAX];
	int in_fd, out_fd;
	bool in_polled;	 /* in_fd is in the epoll set (else a regular file: read on demand) */
	bool in_waiting; /* input ready but no guest buffer: EPOLLIN off until a kick */
	bool out_polled;
	uint8_t config[CONSOLE_CONFIG_SIZE];
	uint8_t buf[CONSOLE_BUF]; /* guest output not written yet */
	size_t buf_len;
	uint64_t rx_bytes, tx_bytes, tx_dropped;
};

#define to_con(d) ((struct vdev_console *)(d))

/* ---- output ---- */

static void output_closed(struct vdev_console *con)
{
	if (con->out_polled)
		vdev_unwatch(&con->dev, con->out_fd);
	close(con->out_fd);
	con->out_fd = -1;
	con->out_polled = false;
}

static void flush_output(struct vdev_console *con)
{
	if (con->out_fd < 0) {
		con->buf_len = 0;
		return;
	}
	while (con->buf_len) {
		ssize_t w = write(con->out_fd, con->buf, con->buf_len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0) {
			/* The reader went away (EPIPE...): output goes nowhere from now on. */
			con->tx_dropped += con->buf_len;
			con->buf_len = 0;
			output_closed(con);
			return;
		}
		memmove(con->buf, con->buf + w, con->buf_len - (size_t)w);
		con->buf_len -= (size_t)w;
	}
	if (con->out_polled)
		vdev_watch_modify(&con->dev, con->out_fd, con->buf_len ? EPOLLOUT : 0);
}

static void process_tx(struct vdev_console *con)
{
	struct vdev *dev = &con->dev;

	flush_output(con);
	while (con->buf_len < CONSOLE_BUF && vdev_pop(dev, CONSOLE_TX) > 0) {
		struct virtq_chain *c = dev->chain;
		size_t room = CONSOLE_BUF - con->buf_len;
		size_t got = iov_to_buf(c->iov, c->nread, 0, con->buf + con->buf_len, room);

		if (con->out_fd < 0)
			got = 0; /* output=none */
		con->buf_len += got;
		con->tx_bytes += got;
		if (c->read_len > got && con->out_fd >= 0)
			con->tx_dropped += c->read_len - got;
		vdev_push(dev, CONSOLE_TX, c->head, c->epoch, 0);
		flush_output(con);
	}
	vdev_signal(dev, CONSOLE_TX);
}

/* ---- input ---- */

static void input_closed(struct vdev_console *con)
{
	if (con->in_polled)
		vdev_unwatch(&con->dev, con->in_fd);
	close(con->in_fd);
	con->in_fd = -1;
	con->in_polled = false;
}

static void process_rx(struct vdev_console *con)
{
	struct vdev *dev = &con->dev;

	while (con->in_fd >= 0) {
		struct virtq_chain *c;
		ssize_t r;

		if (vdev_pop(dev, CONSOLE_RX) <= 0) {
			/* No buffer: stop watching input until the guest adds one. */
			if (con->in_polled && !con->in_waiting)
				vdev_watch_modify(dev, con->in_fd, 0);
			con->in_waiting = true;
			break;
		}
		c = dev->chain;
		if (!c->nwrite) {
			/* Nothing to write into (a driver bug): give it back, keep the input. */
			vdev_push(dev, CONSOLE_RX, c->head, c->epoch, 0);
			continue;
		}
		r = readv(con->in_fd, c->iov + c->nread, (int)c->nwrite);
		if (r < 0 && errno == EINTR)
			r = readv(con->in_fd, c->iov + c->nread, (int)c->nwrite);
		vdev_push(dev, CONSOLE_RX, c->head, c->epoch, r > 0 ? (uint32_t)r : 0);
		if (r > 0)
			con->rx_bytes += (uint64_t)r;
		if (r == 0 || (r < 0 && errno != EAGAIN)) {
			input_closed(con);
			break;
		}
		if (r < 0 || con->in_polled)
			break; /* wait for the next readiness */
	}
	vdev_signal(dev, CONSOLE_RX);
}

static void console_queue_kick(struct vdev *dev, unsigned q)
{
	struct vdev_console *con = to_con(dev);

	if (q == CONSOLE_TX) {
		process_tx(con);
		return;
	}
	if (con->in_fd < 0)
		return;
	if (con->in_polled) {
		if (con->in_waiting)
			vdev_watch_modify(dev, con->in_fd, EPOLLIN);
		con->in_waiting = false;
		return;
	}
	process_rx(con);
}

static void console_handle(struct vdev *dev, int fd, uint32_t events)
{
	struct vdev_console *con = to_con(dev);

	if (fd == con->out_fd) {
		process_tx(con);
	} else if (fd == con->in_fd) {
		if ((events & (EPOLLHUP | EPOLLERR)) && con->in_waiting) {
			/*
			 * The writer is gone but data may remain, and no buffer to put it in:
			 * HUP cannot be masked, so stop polling and read on the guest's kicks.
			 */
			vdev_unwatch(dev, con->in_fd);
			con->in_polled = false;
			return;
		}
		process_rx(con);
	}
}

static void console_sync(struct vdev *dev)
{
	struct vdev_console *con = to_con(dev);

	/* After a reset (or at DRIVER_OK), input is watched again until a buffer is missing. */
	if (con->in_polled && con->in_waiting)
		vdev_watch_modify(dev, con->in_fd, EPOLLIN);
	con->in_waiting = false;
}

/* ---- set-up ---- */

/*
 * A private non-blocking open file description for stdin/stdout when the
 * kernel gives one (pipes, ttys): O_NONBLOCK on the shared one would surprise
 * the other processes using it. Else a plain dup.
 */
static int reopen_std(int fd, int flags)
{
	char path[32];
	int nfd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	return nfd >= 0 ? nfd : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

static int open_ends(struct vdev_console *con, const char *what, cella_err_t *err)
{
	if (!strcmp(con->input, "stdin"))
		con->in_fd = reopen_std(STDIN_FILENO, O_RDONLY);
	else if (strcmp(con->input, "none"))
		con->in_fd = open(con->input, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (strcmp(con->input, "none") && con->in_fd < 0)
		return cella_error_sys(err, "%s: input: cannot open %s", what, con->input);
	if (!strcmp(con->output, "stdout"))
		con->out_fd = reopen_std(STDOUT_FILENO, O_WRONLY);
	else if (strcmp(con->output, "none"))
		con->out_fd = open(con->output,
				   O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0640);
	if (strcmp(con->output, "none") && con->out_fd < 0)
		return cella_error_sys(err, "%s: output: cannot open %s", what, con->output);
	return 0;
}

static void console_destroy(struct vdev *dev)
{
	struct vdev_console *con = to_con(dev);

	if (con->in_fd >= 0)
		close(con->in_fd);
	if (con->out_fd >= 0)
		close(con->out_fd);
	vdev_base_release(dev);
	free(con);
}

static int console_create(const struct vdev_opts *o, struct vdev **out, cella_err_t *err)
{
	struct vdev_console *con = calloc(1, sizeof(*con));

	if (!con)
		return cella_error_sys(err, "%s: out of memory", o->what);
	vdev_base_init(&con->dev, &vdev_console_ops, o);
	con->in_fd = con->out_fd = -1;
	if (vdev_opts_str(o, "id", "console", con->dev.id, sizeof(con->dev.id), err) < 0 ||
	    vdev_opts_str(o, "input", "none", con->input, sizeof(con->input), err) < 0 ||
	    vdev_opts_str(o, "output", "stdout", con->output, sizeof(con->output), err) < 0 ||
	    open_ends(con, o->what, err) < 0) {
		console_destroy(&con->dev);
		return -1;
	}
	con->dev.info = (struct vdev_info){
		.virtio_id = 3,
		.class_code = 0x078000, /* communication controller, other */
		.features = VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX),
		.num_queues = 2,
		.queue_size = CONSOLE_QUEUE_SIZE,
		.config = con->config,
		.config_size = CONSOLE_CONFIG_SIZE,
	};
	*out = &con->dev;
	return 0;
}

static int console_start(struct vdev *dev, cella_err_t *err)
{
	struct vdev_console *con = to_con(dev);
	cella_err_t ignored = NULL;

	/* Regular files cannot be polled (EPERM): they are read when the guest gives buffers. */
	if (con->in_fd >= 0) {
		con->in_polled = vdev_watch(dev, con->in_fd, EPOLLIN, &ignored) == 0;
		cella_error_release(&ignored);
	}
	if (con->out_fd >= 0) {
		con->out_polled = vdev_watch(dev, con->out_fd, 0, &ignored) == 0;
		cella_error_release(&ignored);
	}
	return 0;
}

static void console_describe(struct vdev *dev, json_t *o)
{
	struct vdev_console *con = to_con(dev);

	json_object_set_new(o, "input", json_string(con->input));
	json_object_set_new(o, "output", json_string(con->output));
	json_object_set_new(o, "stats",
			    json_pack("{s:I, s:I, s:I}", "rx_bytes", (json_int_t)con->rx_bytes, "tx_bytes",
				      (json_int_t)con->tx_bytes, "tx_dropped", (json_int_t)con->tx_dropped));
}

const struct vdev_ops vdev_console_ops = {
	.type = "console",
	.create = console_create,
	.start = console_start,
	.queue_kick = console_queue_kick,
	.handle = console_handle,
	.sync = console_sync,
	.describe = console_describe,
	.destroy = console_destroy,
};
