// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The MSI route table (src/vmm/pci/msi_routes.c) against a fake backend that
 * records what KVM would be asked: lazy routes, GSI numbering, reuse of a
 * reprogrammed vector's route, the bound, the fallbacks, concurrent senders;
 * and the MSI-X model telling the table when a vector is reprogrammed. Then
 * the wired-OR INTx pins shared by several slots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/seccomp.h"
#include "pci/intx_lines.h"
#include "pci/msi_routes.h"
#include "pci/msix.h"
#include "pci/pci.h"

#define APIC_MSG(cpu) (0xFEE00000ULL | (uint64_t)(cpu) << 12)

struct fake {
	pthread_mutex_t lock;
	/* The routing table as last installed. */
	struct msi_route installed[MSI_ROUTES_MAX];
	unsigned ninstalled;
	unsigned set_calls, bind_calls, unbind_calls, fired, signalled, logs;
	int next_fd;
	bool fail_set, fail_bind, fail_fire;
	uint32_t bound_gsi[MSI_ROUTES_MAX];
	uint64_t fired_per_fd[MSI_ROUTES_MAX + 100];
	uint64_t last_signal_addr;
	uint32_t last_signal_data;
	char last_log[200];
};

static int fake_set_routes(void *opaque, const struct msi_route *routes, unsigned n)
{
	struct fake *f = opaque;

	f->set_calls++;
	if (f->fail_set)
		return -1;
	memcpy(f->installed, routes, n * sizeof(*routes));
	f->ninstalled = n;
	return 0;
}

static int fake_bind(void *opaque, uint32_t gsi)
{
	struct fake *f = opaque;

	if (f->fail_bind)
		return -1;
	f->bound_gsi[f->bind_calls++] = gsi;
	return f->next_fd++;
}

static void fake_unbind(void *opaque, uint32_t gsi, int fd)
{
	struct fake *f = opaque;

	f->unbind_calls++;
}

static int fake_fire(void *opaque, int fd)
{
	struct fake *f = opaque;

	if (f->fail_fire)
		return -1;
	pthread_mutex_lock(&f->lock);
	f->fired++;
	f->fired_per_fd[fd]++;
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static void fake_signal(void *opaque, uint64_t addr, uint32_t data)
{
	struct fake *f = opaque;

	pthread_mutex_lock(&f->lock);
	f->signalled++;
	f->last_signal_addr = addr;
	f->last_signal_data = data;
	pthread_mutex_unlock(&f->lock);
}

static void fake_log(void *opaque, const char *msg)
{
	struct fake *f = opaque;

	f->logs++;
	snprintf(f->last_log, sizeof(f->last_log), "%s", msg);
}

static const struct msi_backend fake_backend = {
	.set_routes = fake_set_routes,
	.bind = fake_bind,
	.unbind = fake_unbind,
	.fire = fake_fire,
	.signal = fake_signal,
	.log = fake_log,
};

static struct fake *fake_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	pthread_mutex_init(&f->lock, NULL);
	f->next_fd = 100;
	return f;
}

static void fake_free(struct fake *f)
{
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* A route for every new message, none for a repeated one; GSIs from 24 up, one eventfd each. */
static void test_lazy_routes(void **state)
{
	struct fake *f = fake_new();
	struct msi_routes *t = calloc(1, sizeof(*t));
	struct msi_routes_stats st;

	msi_routes__init(t, &fake_backend, f, true, 256);
	assert_int_equal(f->set_calls, 0); /* nothing before the first message */
	msi_routes__send(t, APIC_MSG(0), 0x4030);
	assert_int_equal(f->set_calls, 1);
	assert_int_equal(f->bind_calls, 1);
	assert_int_equal(f->bound_gsi[0], MSI_ROUTES_FIRST_GSI);
	assert_int_equal(f->ninstalled, 1);
	assert_int_equal(f->installed[0].addr, APIC_MSG(0));
	assert_int_equal(f->installed[0].data, 0x4030);
	assert_int_equal(f->installed[0].gsi, 24);
	assert_int_equal(f->fired_per_fd[100], 1);

	for (int i = 0; i < 1000; i++)
		msi_routes__send(t, APIC_MSG(0), 0x4030);
	assert_int_equal(f->set_calls, 1); /* the fast path is an eventfd write, nothing else */
	assert_int_equal(f->bind_calls, 1);
	assert_int_equal(f->fired_per_fd[100], 1001);

	msi_routes__send(t, APIC_MSG(1), 0x4031);
	assert_int_equal(f->set_calls, 2);
	assert_int_equal(f->ninstalled, 2); /* the whole table each time */
	assert_int_equal(f->installed[1].gsi, 25);
	assert_int_equal(f->fired_per_fd[101], 1);

	msi_routes__stats(t, &st);
	assert_int_equal(st.irqfd, 1002);
	assert_int_equal(st.fallback, 0);
	assert_int_equal(st.routes, 2);
	assert_int_equal(st.updates, 2);
	assert_int_equal(f->signalled, 0);
	assert_int_equal(f->logs, 0);
	msi_routes__destroy(t);
	assert_int_equal(f->unbind_calls, 2);
	free(t);
	fake_free(f);
}

/* A reprogrammed vector: its old route carries the new message (same GSI, same eventfd). */
static void test_retire_reuses_route(void **state)
{
	struct fake *f = fake_new();
	struct msi_routes *t = calloc(1, sizeof(*t));
	struct msi_routes_stats st;

	msi_routes__init(t, &fake_backend, f, true, 256);
	msi_routes__send(t, APIC_MSG(0), 0x30);
	msi_routes__send(t, APIC_MSG(0), 0x31);
	msi_routes__retire(t, APIC_MSG(0), 0x30);
	assert_int_equal(f->set_calls, 2); /* retiring alone asks nothing of KVM */
	msi_routes__send(t, APIC_MSG(2), 0x40);
	assert_int_equal(f->set_calls, 3);
	assert_int_equal(f->bind_calls, 2); /* no new eventfd */
	assert_int_equal(f->ninstalled, 2);
	assert_int_equal(f->installed[0].gsi, 24);
	assert_int_equal(f->installed[0].addr, APIC_MSG(2));
	assert_int_equal(f->installed[0].data, 0x40);
	assert_int_equal(f->fired_per_fd[100], 2);

	/* A retired message that comes back before anyone took its route costs nothing. */
	msi_routes__retire(t, APIC_MSG(0), 0x31);
	msi_routes__send(t, APIC_MSG(0), 0x31);
	assert_int_equal(f->set_calls, 3);
	assert_int_equal(f->fired_per_fd[101], 2);
	/* ... and is live again: a new message does not take it. */
	msi_routes__send(t, APIC_MSG(3), 0x50);
	assert_int_equal(f->ninstalled, 3);
	assert_int_equal(f->installed[2].gsi, 26);
	/* Retiring a message nobody sent is harmless. */
	msi_routes__retire(t, APIC_MSG(7), 0x99);

	msi_routes__stats(t, &st);
	assert_int_equal(st.routes, 3);
	assert_int_equal(st.reused, 1);
	assert_int_equal(st.fallback, 0);
	msi_routes__destroy(t);
	free(t);
	fake_free(f);
}

/* A full table: new messages fall back to the direct path, said once; old ones keep their irqfd. */
static void test_bound(void **state)
{
	struct fake *f = fake_new();
	struct msi_routes *t = calloc(1, sizeof(*t));
	struct msi_routes_stats st;

	msi_routes__init(t, &fake_backend, f, true, 100000); /* clamped to MSI_ROUTES_MAX */
	for (uint32_t i = 0; i < MSI_ROUTES_MAX; i++)
		msi_routes__send(t, APIC_MSG(0), i);
	assert_int_equal(f->ninstalled, MSI_ROUTES_MAX);
	assert_int_equal(f->installed[MSI_ROUTES_MAX - 1].gsi, MSI_ROUTES_FIRST_GSI + MSI_ROUTES_MAX - 1);
	assert_int_equal(f->logs, 0);
	msi_routes__send(t, APIC_MSG(1), 0x1000);
	msi_routes__send(t, APIC_MSG(1), 0x1001);
	assert_int_equal(f->signalled, 2);
	assert_int_equal(f->last_signal_addr, APIC_MSG(1));
	assert_int_equal(f->last_signal_data, 0x1001);
	assert_int_equal(f->logs, 1);
	assert_non_null(strstr(f->last_log, "route table full"));
	msi_routes__send(t, APIC_MSG(0), 7);
	assert_int_equal(f->fired_per_fd[107], 2);
	/* A retired route makes room again. */
	msi_routes__retire(t, APIC_MSG(0), 7);
	msi_routes__send(t, APIC_MSG(1), 0x1000);
	assert_int_equal(f->signalled, 2);
	assert_int_equal(f->fired_per_fd[107], 3);
	msi_routes__stats(t, &st);
	assert_int_equal(st.fallback, 2);
	assert_int_equal(st.routes, MSI_ROUTES_MAX);
	msi_routes__destroy(t);
	free(t);

	/* A small bound, as a KVM with little routing room gives. */
	f->next_fd = 100;
	f->bind_calls = 0;
	t = calloc(1, sizeof(*t));
	msi_routes__init(t, &fake_backend, f, true, 1);
	msi_routes__send(t, APIC_MSG(0), 1);
	msi_routes__send(t, APIC_MSG(0), 2);
	msi_routes__stats(t, &st);
	assert_int_equal(st.routes, 1);
	assert_int_equal(st.fallback, 1);
	msi_routes__destroy(t);
	free(t);
	fake_free(f);
}

/* No irqfd support, or KVM refusing: every message still arrives, through the fallback. */
static void test_fallbacks(void **state)
{
	struct fake *f = fake_new();
	struct msi_routes *t = calloc(1, sizeof(*t));
	struct msi_routes_stats st;

	msi_routes__init(t, &fake_backend, f, false, 256);
	msi_routes__send(t, APIC_MSG(0), 0x30);
	assert_int_equal(f->signalled, 1);
	assert_int_equal(f->set_calls, 0);
	msi_routes__stats(t, &st);
	assert_true(st.irqfd_disabled);
	msi_routes__destroy(t);

	f->fail_set = true;
	msi_routes__init(t, &fake_backend, f, true, 256);
	msi_routes__send(t, APIC_MSG(0), 0x30);
	msi_routes__send(t, APIC_MSG(0), 0x31);
	assert_int_equal(f->signalled, 3);
	assert_int_equal(f->set_calls, 1); /* not retried per interrupt */
	assert_int_equal(f->logs, 1);
	assert_non_null(strstr(f->last_log, "KVM_SET_GSI_ROUTING"));
	msi_routes__destroy(t);

	f->fail_set = false;
	f->fail_bind = true;
	msi_routes__init(t, &fake_backend, f, true, 256);
	msi_routes__send(t, APIC_MSG(0), 0x30);
	assert_int_equal(f->signalled, 4);
	assert_non_null(strstr(f->last_log, "KVM_IRQFD"));
	msi_routes__stats(t, &st);
	assert_int_equal(st.routes, 0);
	msi_routes__destroy(t);
	assert_int_equal(f->unbind_calls, 0);

	f->fail_bind = false;
	f->fail_fire = true;
	msi_routes__init(t, &fake_backend, f, true, 256);
	msi_routes__send(t, APIC_MSG(0), 0x30);
	assert_int_equal(f->signalled, 5); /* a failed eventfd write still delivers */
	msi_routes__stats(t, &st);
	assert_int_equal(st.irqfd, 0);
	assert_int_equal(st.fallback, 1);
	msi_routes__destroy(t);
	free(t);
	fake_free(f);
}

#define THREADS	   4
#define PER_THREAD 20000

struct sender {
	struct msi_routes *t;
	unsigned id;
};

static void *sender_main(void *arg)
{
	struct sender *s = arg;

	for (unsigned i = 0; i < PER_THREAD; i++) {
		/* Each thread cycles over messages it shares with the others, and retires some. */
		msi_routes__send(s->t, APIC_MSG(i % 4), 0x30 + i % 8);
		if (i % 1000 == s->id)
			msi_routes__retire(s->t, APIC_MSG(i % 4), 0x30 + i % 8);
	}
	return NULL;
}

/* Several device threads at once: every message delivered exactly once, the table consistent. */
static void test_concurrent_senders(void **state)
{
	struct fake *f = fake_new();
	struct msi_routes *t = calloc(1, sizeof(*t));
	struct sender s[THREADS];
	pthread_t th[THREADS];
	struct msi_routes_stats st;

	msi_routes__init(t, &fake_backend, f, true, 256);
	for (unsigned i = 0; i < THREADS; i++) {
		s[i] = (struct sender){t, i};
		assert_int_equal(pthread_create(&th[i], NULL, sender_main, &s[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	msi_routes__stats(t, &st);
	assert_int_equal(f->fired + f->signalled, THREADS * PER_THREAD);
	assert_int_equal(st.irqfd, f->fired);
	assert_int_equal(st.fallback, 0);
	assert_true(st.routes <= 8 + THREADS);
	for (unsigned i = 0; i < st.routes; i++)
		for (unsigned j = i + 1; j < st.routes; j++)
			assert_false(t->route[i].addr == t->route[j].addr &&
				     t->route[i].data == t->route[j].data);
	msi_routes__destroy(t);
	free(t);
	fake_free(f);
}

/* ---- the MSI-X model tells the table when the guest reprograms a vector ---- */

struct retired {
	unsigned n;
	uint64_t addr;
	uint32_t data;
};

static void record_retire(void *opaque, uint64_t addr, uint32_t data)
{
	struct retired *r = opaque;

	r->n++;
	r->addr = addr;
	r->data = data;
}

static void ignore_send(void *opaque, uint64_t addr, uint32_t data)
{
}

static void ignore_bar(void *opaque, unsigned bar, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
}

static void table_write32(struct pci_msix *m, uint16_t vec, unsigned field, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	assert_true(pci_msix__bar_access(m, 0, m->table_off + 16U * vec + field, b, 4, true));
}

static void test_msix_retire_hook(void **state)
{
	struct pci_device_id id = {.vendor = 0x1af4, .device = 0x1044};
	struct pci_device *dev = calloc(1, sizeof(*dev));
	struct pci_msix *m = calloc(1, sizeof(*m));
	struct pci_bus *bus = calloc(1, sizeof(*bus));
	struct retired r = {0};
	cella_err_t err = NULL;

	assert_int_equal(pci_device__init(dev, "dev", &id, &err), 0);
	assert_int_equal(pci_device__add_bar(dev, 0, 0x4000, 0, ignore_bar, NULL, &err), 0);
	assert_int_equal(pci_msix__init(m, dev, 4, 0, 0x2000, 0x3000, ignore_send, &r, &err), 0);
	pci_bus__init(bus, 0xC0000000ULL, 0x10000000ULL, 0, 0);
	bus->msi_retire = record_retire;
	assert_int_equal(pci_bus__register(bus, dev, 1, 0, &err), 0);
	assert_ptr_equal(m->retire, record_retire);

	/*
	 * Programming a vector whose address is still 0 retires nothing (with
	 * the address first, the data write would retire the half-programmed
	 * (address, 0): never sent, so no route; harmless).
	 */
	table_write32(m, 1, PCI_MSIX_ENTRY_DATA, 0x30);
	table_write32(m, 1, PCI_MSIX_ENTRY_ADDR_LO, 0xFEE00000);
	assert_int_equal(r.n, 0);
	/* Rewriting the same value is not a change. */
	table_write32(m, 1, PCI_MSIX_ENTRY_DATA, 0x30);
	assert_int_equal(r.n, 0);
	/* Unmasking is not a change of message. */
	table_write32(m, 1, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
	assert_int_equal(r.n, 0);
	table_write32(m, 1, PCI_MSIX_ENTRY_DATA, 0x31);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.addr, 0xFEE00000);
	assert_int_equal(r.data, 0x30);
	/* A reset retires every programmed vector. */
	pci_msix__reset(m);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.data, 0x31);

	pci_msix__destroy(m);
	pci_device__destroy(dev);
	free(bus);
	free(m);
	free(dev);
}

/* ---- INTx pins shared by several devices ---- */

struct pin_log {
	unsigned n;
	unsigned pin[16];
	bool level[16];
};

static void log_drive(void *opaque, unsigned pin, bool level)
{
	struct pin_log *l = opaque;

	assert_true(l->n < 16);
	l->pin[l->n] = pin;
	l->level[l->n++] = level;
}

static void test_intx_wired_or(void **state)
{
	struct pci_intx_lines lines;
	struct pin_log log = {0};

	pci_intx_lines__init(&lines);
	/* Slots 1 and 9 share pin 17: the pin follows the OR of both lines. */
	pci_intx_lines__set(&lines, 17, true, log_drive, &log);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.pin[0], 17);
	assert_true(log.level[0]);
	pci_intx_lines__set(&lines, 17, true, log_drive, &log);
	assert_int_equal(log.n, 1);
	pci_intx_lines__set(&lines, 17, false, log_drive, &log);
	assert_int_equal(log.n, 1); /* the other device still asserts it */
	pci_intx_lines__set(&lines, 17, false, log_drive, &log);
	assert_int_equal(log.n, 2);
	assert_false(log.level[1]);
	/* A lower nobody counted (state restored behind the count) still reaches the pin, without wrapping. */
	pci_intx_lines__set(&lines, 18, false, log_drive, &log);
	assert_int_equal(log.n, 3);
	assert_int_equal(log.pin[2], 18);
	assert_false(log.level[2]);
	pci_intx_lines__set(&lines, 18, true, log_drive, &log);
	assert_int_equal(log.n, 4);
	assert_true(log.level[3]);
	/* Pins beyond the IOAPIC's are ignored. */
	pci_intx_lines__set(&lines, 24, true, log_drive, &log);
	pci_intx_lines__set(&lines, 1000, false, log_drive, &log);
	assert_int_equal(log.n, 4);
	pci_intx_lines__destroy(&lines);
}

static void test_intx_resync(void **state)
{
	static const unsigned pins[] = {17, 17, 19, 99};
	static const bool levels[] = {true, false, false, true};
	struct pci_intx_lines lines;
	struct pin_log log = {0};

	pci_intx_lines__init(&lines);
	pci_intx_lines__resync(&lines, pins, levels, 4, log_drive, &log);
	assert_int_equal(log.n, 2); /* pins 17 and 19, each once; 99 ignored */
	assert_int_equal(log.pin[0], 17);
	assert_true(log.level[0]);
	assert_int_equal(log.pin[1], 19);
	assert_false(log.level[1]);
	/* The restored device lowers its line: the count knew about it. */
	pci_intx_lines__set(&lines, 17, false, log_drive, &log);
	assert_int_equal(log.n, 3);
	assert_false(log.level[2]);
	pci_intx_lines__destroy(&lines);
}

/* ---- the seccomp filters of the threads that may send a message first ---- */

/*
 * What the first send of a message does (core/pci_glue.c): an eventfd, the
 * routing table, the irqfd, then the write. On a bad VM fd the ioctls fail
 * with EBADF, which shows the filter let them through; a refused call kills
 * the child with SIGSYS.
 */
static int first_send_calls(void)
{
	uint64_t one = 1;
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		return 10;
	if (ioctl(-1, KVM_SET_GSI_ROUTING, NULL) != -1 || errno != EBADF)
		return 11;
	if (ioctl(-1, KVM_IRQFD, NULL) != -1 || errno != EBADF)
		return 12;
	if (ioctl(-1, KVM_SIGNAL_MSI, NULL) != -1 || errno != EBADF)
		return 13;
	if (write(fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		return 14;
	close(fd);
	return 0;
}

static void test_seccomp_allows_first_send(void **state)
{
	static const enum vmm_thread_kind kinds[] = {VMM_THREAD_VCPU, VMM_THREAD_DEVICES, VMM_THREAD_MAIN};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		pid_t pid = fork();
		int status;

		assert_true(pid >= 0);
		if (pid == 0) {
			cella_err_t err = NULL;

			if (vmm_seccomp__install(kinds[i], &err) < 0)
				_exit(100);
			_exit(first_send_calls());
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("the %s filter: child %s %d", vmm_seccomp__kind_name(kinds[i]),
				 WIFSIGNALED(status) ? "killed by signal" : "exited with",
				 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lazy_routes),
		cmocka_unit_test(test_retire_reuses_route),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_fallbacks),
		cmocka_unit_test(test_concurrent_senders),
		cmocka_unit_test(test_msix_retire_hook),
		cmocka_unit_test(test_intx_wired_or),
		cmocka_unit_test(test_intx_resync),
		cmocka_unit_test(test_seccomp_allows_first_send),
	};

	return cmocka_run_group_tests_name("vmm-irq-routes", tests, NULL, NULL);
}
