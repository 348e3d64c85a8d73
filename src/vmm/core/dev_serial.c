/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * COM1: the 16550A model (uart16550.c) on ports 0x3f8-0x3ff, IRQ 4. Output goes
 * to the console target. With --console stdio and stdin a tty or pipe, host
 * input feeds the receive FIFO; when the FIFO is full, input waits in a
 * holding buffer and a 1 ms timerfd retries, so a pipe's data is never dropped.
 * With --console-socket, a client connected to that unix socket is the input
 * instead and gets the output too (what cellad's interactive console attaches
 * to): one client at a time, a second is turned away; output it is too slow to
 * take is dropped for it (never stalling the guest), the console target keeps all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <unistd.h>

#include "api/api.h"
#include "core/state.h"
#include "core/uart16550.h"
#include "core/vmm.h"
#include "platform/layout.h"

struct serial {
	struct vmm *vm;
	pthread_mutex_t lock;
	struct uart16550 uart;
	bool irq_line;
	int in_fd;     /* stdin or the console socket's client, or -1 */
	int timer_fd;  /* retries held-back input */
	int listen_fd; /* --console-socket, or -1 */
	int client_fd; /* its connected client (== in_fd), or -1; changed under lock */
	uint8_t held[4096];
	size_t held_len, held_off;
	bool tty_raw;
	struct termios saved_termios;
};

/* Called with the lock held (from a register write). */
static void serial__transmit(void *opaque, uint8_t byte)
{
	struct serial *s = opaque;

	vmm__console_write(s->vm, &byte, 1);
	/*
	 * The client socket is non-blocking: one that does not read loses output, the guest never waits
	 * for it. write(), not send(): it is what a vCPU thread's seccomp filter allows; SIGPIPE is ignored
	 * (cli/main.c), so a gone client is EPIPE here and EOF for the device thread, which drops it.
	 */
	if (s->client_fd >= 0 && write(s->client_fd, &byte, 1) < 0) {
		/* dropped */
	}
}

/* Caller holds the lock. An interrupt is an edge: raise it when the UART's output goes from idle to pending. */
static void serial__update_irq(struct serial *s)
{
	bool pending = uart16550__irq_pending(&s->uart);

	if (pending && !s->irq_line)
		vmm__irq_pulse(s->vm, PLATFORM_COM1_IRQ);
	s->irq_line = pending;
}

static void serial__io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct serial *s = opaque;

	pthread_mutex_lock(&s->lock);
	/* The UART has byte registers; a wider access touches only the first one. */
	if (is_write) {
		uart16550__write(&s->uart, (unsigned)offset, data[0]);
	} else {
		memset(data, 0, len);
		data[0] = uart16550__read(&s->uart, (unsigned)offset);
	}
	serial__update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

/* Moves held input into the FIFO. Returns true when all of it went in. */
static bool serial__flush_held(struct serial *s)
{
	pthread_mutex_lock(&s->lock);
	while (s->held_off < s->held_len && uart16550__rx_room(&s->uart) > 0)
		uart16550__receive(&s->uart, s->held[s->held_off++]);
	serial__update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return s->held_off == s->held_len;
}

static void serial__arm_timer(struct serial *s, bool on)
{
	struct itimerspec its = {0};

	if (on)
		its.it_value.tv_nsec = its.it_interval.tv_nsec = 1000000;
	timerfd_settime(s->timer_fd, 0, &its, NULL);
}

/* The console socket's client went away: the next one may connect. */
static void serial__drop_client(struct serial *s)
{
	vmm_evloop__remove(&s->vm->evloop, s->client_fd);
	serial__arm_timer(s, false);
	pthread_mutex_lock(&s->lock);
	close(s->client_fd);
	s->client_fd = s->in_fd = -1;
	pthread_mutex_unlock(&s->lock);
	s->held_len = s->held_off = 0;
}

static void serial__on_input(void *opaque, int fd, uint32_t events)
{
	struct serial *s = opaque;
	ssize_t n = read(fd, s->held, sizeof(s->held));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) { /* end of input: the guest simply sees no more bytes */
		if (fd == s->client_fd)
			serial__drop_client(s);
		else
			vmm_evloop__remove(&s->vm->evloop, fd);
		return;
	}
	s->held_len = (size_t)n;
	s->held_off = 0;
	if (!serial__flush_held(s)) {
		vmm_evloop__modify(&s->vm->evloop, fd, 0);
		serial__arm_timer(s, true);
	}
}

static void serial__on_timer(void *opaque, int fd, uint32_t events)
{
	struct serial *s = opaque;
	uint64_t ticks;

	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	if (serial__flush_held(s)) {
		serial__arm_timer(s, false);
		if (s->in_fd >= 0)
			vmm_evloop__modify(&s->vm->evloop, s->in_fd, EPOLLIN);
	}
}

static void serial__on_connect(void *opaque, int fd, uint32_t events)
{
	struct serial *s = opaque;
	cella_err_t err = NULL;
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (c < 0)
		return;
	if (s->client_fd >= 0) {
		static const char busy[] = "cella-vmm: the console is in use by another client\r\n";

		/* One keyboard at a time, as a serial line has; the one attached keeps it. */
		if (send(c, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			/* nothing more to tell it */
		}
		close(c);
		return;
	}
	pthread_mutex_lock(&s->lock);
	s->client_fd = s->in_fd = c;
	pthread_mutex_unlock(&s->lock);
	if (vmm_evloop__add(&s->vm->evloop, c, EPOLLIN, serial__on_input, s, &err) < 0) {
		cella_error_release(&err);
		pthread_mutex_lock(&s->lock);
		close(c);
		s->client_fd = s->in_fd = -1;
		pthread_mutex_unlock(&s->lock);
	}
}

/* Raw mode so keys reach the guest as typed, but ISIG kept: Ctrl-C still stops the VMM. */
static void serial__make_raw(struct serial *s)
{
	struct termios t;

	if (tcgetattr(s->in_fd, &s->saved_termios) < 0)
		return;
	t = s->saved_termios;
	cfmakeraw(&t);
	t.c_lflag |= ISIG;
	t.c_oflag |= OPOST | ONLCR;
	if (tcsetattr(s->in_fd, TCSANOW, &t) == 0)
		s->tty_raw = true;
}

static int serial__setup_input(struct serial *s, cella_err_t *err)
{
	struct stat st;

	if (s->vm->cfg->console_socket) {
		s->listen_fd = vmm_api__listen_unix(s->vm->cfg->console_socket, "console socket", err);
		s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (s->listen_fd < 0)
			return cella_error_wrap(err, "--console-socket");
		if (s->timer_fd < 0)
			return cella_error_sys(err, "timerfd_create");
		return vmm_evloop__add(&s->vm->evloop, s->timer_fd, EPOLLIN, serial__on_timer, s, err) < 0 ||
				       vmm_evloop__add(&s->vm->evloop, s->listen_fd, EPOLLIN,
						       serial__on_connect, s, err) < 0
			       ? -1
			       : 0;
	}
	if (s->vm->cfg->console != VMM_CONSOLE_STDIO || fstat(STDIN_FILENO, &st) < 0)
		return 0;
	if (!isatty(STDIN_FILENO) && !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode))
		return 0; /* /dev/null or a regular file: no interactive input */
	s->in_fd = STDIN_FILENO;
	s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->timer_fd < 0)
		return cella_error_sys(err, "timerfd_create");
	if (vmm_evloop__add(&s->vm->evloop, s->timer_fd, EPOLLIN, serial__on_timer, s, err) < 0 ||
	    vmm_evloop__add(&s->vm->evloop, s->in_fd, EPOLLIN, serial__on_input, s, err) < 0)
		return -1;
	if (isatty(STDIN_FILENO))
		serial__make_raw(s);
	return 0;
}

static void serial__exit(struct vmm *vm, void *state)
{
	struct serial *s = state;

	if (s->tty_raw)
		tcsetattr(s->in_fd, TCSANOW, &s->saved_termios);
	if (s->timer_fd >= 0)
		close(s->timer_fd);
	if (s->client_fd >= 0)
		close(s->client_fd);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->vm->cfg->console_socket);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void *serial__init(struct vmm *vm, cella_err_t *err)
{
	struct serial *s = calloc(1, sizeof(*s));

	if (!s) {
		cella_error_make(err, ENOMEM, "serial");
		return NULL;
	}
	s->vm = vm;
	s->in_fd = s->timer_fd = s->listen_fd = s->client_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	uart16550__init(&s->uart, serial__transmit, s);
	if (vmm_bus__register(&vm->pio, PLATFORM_COM1_PORT, 8, "serial (COM1)", serial__io, s, err) < 0 ||
	    serial__setup_input(s, err) < 0) {
		serial__exit(vm, s);
		return NULL;
	}
	return s;
}

/*
 * State version 1: the UART registers, the THRE interrupt latch, the receive
 * FIFO in order (count, then the bytes), and the interrupt line's level.
 * Host input held back outside the FIFO is not guest state and is not saved.
 */
#define SERIAL_STATE_VERSION 1U

static int serial__save(struct vmm *vm, void *state, struct vmm_state_buf *out, cella_err_t *err)
{
	struct serial *s = state;
	const struct uart16550 *u = &s->uart;

	pthread_mutex_lock(&s->lock);
	vmm_state_buf__put_bytes(out,
				 (const uint8_t[]){u->ier, u->lcr, u->mcr, u->lsr, u->msr, u->scr, u->dll,
						   u->dlm, u->fcr, u->thr_interrupt, s->irq_line},
				 11);
	vmm_state_buf__put8(out, (uint8_t)u->rx_count);
	for (unsigned i = 0; i < u->rx_count; i++)
		vmm_state_buf__put8(out, u->rx[(u->rx_head + i) % UART_FIFO_SIZE]);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static int serial__load(struct vmm *vm, void *state, uint32_t version, const void *data, size_t len,
			cella_err_t *err)
{
	struct serial *s = state;
	struct uart16550 *u = &s->uart;
	struct vmm_state_reader r = {.data = data, .len = len};
	uint8_t regs[11], count;

	if (version != SERIAL_STATE_VERSION)
		return cella_error_make(err, 0, "serial state version %u, this cella-vmm reads version %u",
					version, SERIAL_STATE_VERSION);
	vmm_state_reader__get_bytes(&r, regs, sizeof(regs));
	count = vmm_state_reader__get8(&r);
	if (count > UART_FIFO_SIZE)
		return cella_error_make(err, 0, "serial: %u bytes in a %u-byte FIFO", count, UART_FIFO_SIZE);
	pthread_mutex_lock(&s->lock);
	u->ier = regs[0];
	u->lcr = regs[1];
	u->mcr = regs[2];
	u->lsr = regs[3];
	u->msr = regs[4];
	u->scr = regs[5];
	u->dll = regs[6];
	u->dlm = regs[7];
	u->fcr = regs[8];
	u->thr_interrupt = regs[9] != 0;
	s->irq_line = regs[10] != 0;
	u->rx_head = 0;
	u->rx_count = count;
	vmm_state_reader__get_bytes(&r, u->rx, count);
	pthread_mutex_unlock(&s->lock);
	return vmm_state_reader__finish(&r, "dev.serial", err);
}

static struct vmm_device_desc serial_device = {.name = "serial",
					       .init = serial__init,
					       .exit = serial__exit,
					       .state_version = SERIAL_STATE_VERSION,
					       .save = serial__save,
					       .load = serial__load};
VMM_DEVICE_REGISTER(serial_device)
