// SPDX-License-Identifier: GPL-2.0-or-later
/* Interactive exec sessions: the registry, the attach claim, the relay, the resize. */
#include "exec_tty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* Blocking waits wake this often to notice a stopping cellad. */
#define TICK_MS	  250
#define RELAY_BUF 16384

struct cellad_exec_tty {
	struct cellad *d;
	char secret[CELLAD_EXEC_SECRET_LEN + 1];
	char op_id[37];
	int master;	     /* -1 until the command runs, and again once closed */
	unsigned cols, rows; /* last size asked for (0: none) */
	bool claimed;	     /* a client asked to attach (only one may) */
	bool attached;	     /* its relay runs: the master is the relay's to close */
	bool finished;	     /* no attach any more: the command ended, failed or was killed */
	int refs;
	struct cellad_exec_tty *next;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reg_changed = PTHREAD_COND_INITIALIZER;
static struct cellad_exec_tty *sessions;

static void deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* One wait on the registry (reg_lock held) for at most a tick; false when cellad stops (wait no more). */
static bool wait_tick_locked(struct cellad_exec_tty *s)
{
	struct timespec ts;
	bool stop;

	pthread_mutex_unlock(&reg_lock);
	stop = cellad_stopping(s->d);
	pthread_mutex_lock(&reg_lock);
	if (stop)
		return false;
	deadline_in(&ts, TICK_MS);
	pthread_cond_timedwait(&reg_changed, &reg_lock, &ts);
	return true;
}

int cellad_exec_tty_new(struct cellad *d, char secret[CELLAD_EXEC_SECRET_LEN + 1], cella_err_t *err)
{
	unsigned char raw[CELLAD_EXEC_SECRET_LEN / 2];
	struct cellad_exec_tty *s;
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cella_error_sys(err, "exec: getrandom for the stream secret");
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(secret + 2 * i, 3, "%02x", raw[i]);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return cella_error_make(err, ENOMEM, "exec");
	s->d = d;
	s->master = -1;
	s->refs = 1; /* the registry's */
	memcpy(s->secret, secret, sizeof(s->secret));
	pthread_mutex_lock(&reg_lock);
	s->next = sessions;
	sessions = s;
	pthread_mutex_unlock(&reg_lock);
	return 0;
}

static struct cellad_exec_tty **find_locked(const char *secret, const char *op_id)
{
	struct cellad_exec_tty **pp;

	for (pp = &sessions; *pp; pp = &(*pp)->next)
		if ((secret && strcmp((*pp)->secret, secret) == 0) ||
		    (op_id && strcmp((*pp)->op_id, op_id) == 0))
			return pp;
	return NULL;
}

static void unref_locked(struct cellad_exec_tty *s)
{
	if (--s->refs > 0)
		return;
	if (s->master >= 0)
		close(s->master);
	free(s);
}

void cellad_exec_tty_bind(const char *secret, const char *op_id)
{
	struct cellad_exec_tty **pp;

	pthread_mutex_lock(&reg_lock);
	pp = find_locked(secret, NULL);
	if (pp)
		snprintf((*pp)->op_id, sizeof((*pp)->op_id), "%s", op_id);
	pthread_mutex_unlock(&reg_lock);
}

static void unlink_locked(struct cellad_exec_tty *s)
{
	for (struct cellad_exec_tty **pp = &sessions; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			unref_locked(s);
			return;
		}
}

void cellad_exec_tty_drop(const char *secret)
{
	struct cellad_exec_tty **pp;

	pthread_mutex_lock(&reg_lock);
	pp = find_locked(secret, NULL);
	if (pp)
		unlink_locked(*pp);
	pthread_mutex_unlock(&reg_lock);
}

struct cellad_exec_tty *cellad_exec_tty_get(const char *secret)
{
	struct cellad_exec_tty **pp;

	pthread_mutex_lock(&reg_lock);
	pp = find_locked(secret, NULL);
	if (pp)
		(*pp)->refs++;
	pthread_mutex_unlock(&reg_lock);
	return pp ? *pp : NULL;
}

void cellad_exec_tty_put(struct cellad_exec_tty *s)
{
	pthread_mutex_lock(&reg_lock);
	unref_locked(s);
	pthread_mutex_unlock(&reg_lock);
}

void cellad_exec_tty_remove(struct cellad_exec_tty *s)
{
	pthread_mutex_lock(&reg_lock);
	unlink_locked(s);
	pthread_mutex_unlock(&reg_lock);
}

/* Secrets are compared in constant time: the timing of a refusal says nothing about the secret. */
static bool secret_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

enum cellad_exec_claim cellad_exec_tty_claim(const char *op_id, const char *secret,
					     struct cellad_exec_tty **out)
{
	enum cellad_exec_claim ret = CELLAD_EXEC_CLAIMED;
	struct cellad_exec_tty **pp;

	*out = NULL;
	pthread_mutex_lock(&reg_lock);
	pp = find_locked(NULL, op_id);
	if (pp == NULL || (*pp)->finished)
		ret = CELLAD_EXEC_NO_SESSION;
	else if (secret == NULL || !secret_equal((*pp)->secret, secret))
		ret = CELLAD_EXEC_BAD_SECRET;
	else if ((*pp)->claimed)
		ret = CELLAD_EXEC_TAKEN;
	if (ret == CELLAD_EXEC_CLAIMED) {
		(*pp)->claimed = true;
		(*pp)->refs++;
		*out = *pp;
		pthread_cond_broadcast(&reg_changed);
	}
	pthread_mutex_unlock(&reg_lock);
	return ret;
}

void cellad_exec_tty_unclaim(struct cellad_exec_tty *s)
{
	pthread_mutex_lock(&reg_lock);
	s->claimed = false;
	unref_locked(s);
	pthread_cond_broadcast(&reg_changed);
	pthread_mutex_unlock(&reg_lock);
}

static void set_size(int master, unsigned cols, unsigned rows)
{
	struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};

	if (master >= 0 && cols > 0 && rows > 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

int cellad_exec_tty_resize(const char *op_id, unsigned cols, unsigned rows, cella_err_t *err)
{
	struct cellad_exec_tty **pp;
	int ret = 0;

	pthread_mutex_lock(&reg_lock);
	pp = find_locked(NULL, op_id);
	if (pp && !(*pp)->finished) {
		struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};

		(*pp)->cols = cols;
		(*pp)->rows = rows;
		ret = 1;
		if ((*pp)->master >= 0 && ioctl((*pp)->master, TIOCSWINSZ, &ws) < 0)
			ret = cella_error_sys(err, "window-resize: TIOCSWINSZ");
	}
	pthread_mutex_unlock(&reg_lock);
	return ret;
}

void cellad_exec_tty_ready(struct cellad_exec_tty *s, int master)
{
	pthread_mutex_lock(&reg_lock);
	s->master = master;
	set_size(master, s->cols, s->rows);
	pthread_cond_broadcast(&reg_changed);
	pthread_mutex_unlock(&reg_lock);
}

bool cellad_exec_tty_wait_attach(struct cellad_exec_tty *s, long long deadline_ms)
{
	bool attached;

	pthread_mutex_lock(&reg_lock);
	while (!s->attached && cellad_now_ms() < deadline_ms) {
		if (!wait_tick_locked(s))
			break;
	}
	attached = s->attached;
	if (!attached) {
		/* Too late for anyone: a claim whose upgrade has not started yet finds the session
		 * finished. */
		s->finished = true;
		if (s->master >= 0)
			close(s->master);
		s->master = -1;
		pthread_cond_broadcast(&reg_changed);
	}
	pthread_mutex_unlock(&reg_lock);
	return attached;
}

void cellad_exec_tty_wait_detached(struct cellad_exec_tty *s)
{
	pthread_mutex_lock(&reg_lock);
	while (s->master >= 0) {
		if (!wait_tick_locked(s))
			break;
	}
	pthread_mutex_unlock(&reg_lock);
}

void cellad_exec_tty_finish(struct cellad_exec_tty *s)
{
	pthread_mutex_lock(&reg_lock);
	s->finished = true;
	pthread_cond_broadcast(&reg_changed);
	pthread_mutex_unlock(&reg_lock);
}

/* Waits for the master (or the end of the session); it is then the relay's: true. */
static bool take_master(struct cellad_exec_tty *s, int *master)
{
	pthread_mutex_lock(&reg_lock);
	s->attached = true;
	pthread_cond_broadcast(&reg_changed);
	while (s->master < 0 && !s->finished) {
		if (!wait_tick_locked(s))
			break;
	}
	*master = s->master;
	pthread_mutex_unlock(&reg_lock);
	return *master >= 0;
}

/* Bytes on their way from one side to the other. Each direction holds at most one buffer and reads no
 * more until it is written: neither side can make the other wait (a command blocked on its output
 * while the client sends input is still drained). */
struct relay_buf {
	char data[RELAY_BUF];
	size_t off, len;
};

struct relay {
	struct cellad *d;
	struct cellad_exec_tty *s;
	int sock, master;
	struct relay_buf in, out; /* client -> command, command -> client */
	bool master_done;	  /* the command's side ended: its output is all in out */
};

/* Reads into b from fd: false when fd ended (0, or an error such as the master's EIO once every
 * slave is closed). */
static bool fill(int fd, bool is_socket, struct relay_buf *b)
{
	ssize_t n = is_socket ? recv(fd, b->data, sizeof(b->data), MSG_DONTWAIT)
			      : read(fd, b->data, sizeof(b->data));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	b->off = 0;
	b->len = (size_t)n;
	return true;
}

/* Writes what it can of b to fd: false when fd failed. */
static bool drain(int fd, bool is_socket, struct relay_buf *b)
{
	ssize_t n = is_socket ? send(fd, b->data + b->off, b->len, MSG_DONTWAIT | MSG_NOSIGNAL)
			      : write(fd, b->data + b->off, b->len);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	b->off += (size_t)n;
	b->len -= (size_t)n;
	return true;
}

/* The command ended. Its terminal normally ends the stream first (EIO once every slave is closed); this
 * covers a process it left behind holding the terminal open: the stream ends after a quiet tick. */
static bool session_finished(struct cellad_exec_tty *s)
{
	bool f;

	pthread_mutex_lock(&reg_lock);
	f = s->finished;
	pthread_mutex_unlock(&reg_lock);
	return f;
}

/* One pass of the relay loop: false when the stream is over. */
static bool relay_once(struct relay *x)
{
	short sock_ev = (short)((x->in.len == 0 ? POLLIN : 0) | (x->out.len > 0 ? POLLOUT : 0));
	short master_ev =
		(short)((x->out.len == 0 && !x->master_done ? POLLIN : 0) | (x->in.len > 0 ? POLLOUT : 0));
	/* A side we want nothing from is left out: its POLLHUP would wake us for nothing. */
	struct pollfd p[2] = {{.fd = sock_ev ? x->sock : -1, .events = sock_ev},
			      {.fd = master_ev ? x->master : -1, .events = master_ev}};
	int r;

	if (x->master_done && x->out.len == 0)
		return false; /* the last output is written */
	r = poll(p, 2, TICK_MS);
	if (r < 0)
		return errno == EINTR;
	if (r == 0)
		return !cellad_stopping(x->d) && !(x->out.len == 0 && session_finished(x->s));
	if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) && x->out.len == 0 && !x->master_done &&
	    !fill(x->master, false, &x->out))
		x->master_done = true;
	if ((p[0].revents & POLLOUT) && x->out.len > 0 && !drain(x->sock, true, &x->out))
		return false; /* the client went away */
	if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && x->in.len == 0 && !fill(x->sock, true, &x->in))
		return false; /* the client went away */
	if ((p[1].revents & (POLLOUT | POLLERR | POLLHUP)) && x->in.len > 0 &&
	    !drain(x->master, false, &x->in))
		x->in.len = 0; /* nobody reads input any more: it is dropped */
	return true;
}

void cellad_exec_tty_relay(struct cellad_exec_tty *s, int sock, const char *extra, size_t extra_len)
{
	struct relay *x = calloc(1, sizeof(*x));
	int master = -1;
	bool live = true;

	if (x && take_master(s, &master)) {
		int flags = fcntl(master, F_GETFL);

		if (flags >= 0)
			fcntl(master, F_SETFL, flags | O_NONBLOCK);
		x->d = s->d;
		x->s = s;
		x->sock = sock;
		x->master = master;
		/* What the client sent along with its request comes first, a buffer at a time. */
		while (live && extra_len > 0) {
			size_t n = extra_len < sizeof(x->in.data) ? extra_len : sizeof(x->in.data);

			memcpy(x->in.data, extra, n);
			x->in.off = 0;
			x->in.len = n;
			extra += n;
			extra_len -= n;
			while (live && x->in.len > 0)
				live = relay_once(x);
		}
		while (live)
			live = relay_once(x);
	}
	free(x);
	/* Hang up: a command still running gets SIGHUP from its terminal. */
	pthread_mutex_lock(&reg_lock);
	if (s->master >= 0)
		close(s->master);
	s->master = -1;
	pthread_cond_broadcast(&reg_changed);
	unref_locked(s);
	pthread_mutex_unlock(&reg_lock);
}
