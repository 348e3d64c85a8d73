/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The registered devices (VMM_DEVICE_REGISTER) on a VM without KVM: each one
 * claims its ports, and guest accesses through the port bus have the
 * documented effects (stop requests and exit statuses above all).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include <cella/cleanup.h>

#include "core/vmm.h"

struct fixture {
	struct vmm vm;
	struct vmm_config cfg;
};

static int setup_console(void **state, enum vmm_console_kind console)
{
	struct fixture *f = calloc(1, sizeof(*f));
	cella_err_t err = NULL;

	assert_non_null(f);
	vmm_config__init(&f->cfg);
	f->cfg.console = console;
	f->vm.cfg = &f->cfg;
	f->vm.kvm_fd = f->vm.vm_fd = f->vm.mem_fd = f->vm.console_out = -1;
	f->vm.stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(f->vm.stop_efd >= 0);
	pthread_mutex_init(&f->vm.state_lock, NULL);
	pthread_cond_init(&f->vm.state_cond, NULL);
	assert_int_equal(vmm_bus__init(&f->vm.pio, "port", &err), 0);
	assert_int_equal(vmm_bus__init(&f->vm.mmio, "mmio", &err), 0);
	assert_int_equal(vmm_evloop__init(&f->vm.evloop, &err), 0);
	f->vm.devices = calloc(16, sizeof(*f->vm.devices));
	for (const struct vmm_device_desc *d = vmm_device__first(); d; d = d->next) {
		void *s = d->init(&f->vm, &err);

		if (!s)
			fail_msg("device %s: %s", d->name, cella_error_string(err));
		assert_true(f->vm.ndevices < 16);
		f->vm.devices[f->vm.ndevices++] = (struct vmm_device_instance){.desc = d, .state = s};
	}
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_console(state, VMM_CONSOLE_NONE);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (unsigned i = f->vm.ndevices; i-- > 0;)
		f->vm.devices[i].desc->exit(&f->vm, f->vm.devices[i].state);
	free(f->vm.devices);
	vmm_evloop__destroy(&f->vm.evloop);
	vmm_bus__destroy(&f->vm.pio);
	vmm_bus__destroy(&f->vm.mmio);
	close(f->vm.stop_efd);
	pthread_cond_destroy(&f->vm.state_cond);
	pthread_mutex_destroy(&f->vm.state_lock);
	free(f);
	return 0;
}

static void out8(struct fixture *f, uint16_t port, uint8_t v)
{
	vmm_bus__access(&f->vm.pio, port, &v, 1, true);
}

static void out16(struct fixture *f, uint16_t port, uint16_t v)
{
	vmm_bus__access(&f->vm.pio, port, (uint8_t *)&v, 2, true);
}

static uint8_t in8(struct fixture *f, uint16_t port)
{
	uint8_t v = 0;

	vmm_bus__access(&f->vm.pio, port, &v, 1, false);
	return v;
}

static uint16_t in16(struct fixture *f, uint16_t port)
{
	uint16_t v = 0;

	vmm_bus__access(&f->vm.pio, port, (uint8_t *)&v, 2, false);
	return v;
}

static void expect_stop(struct fixture *f, enum vmm_stop_reason reason, int status)
{
	assert_int_equal(atomic_load(&f->vm.stop_reason), reason);
	assert_int_equal(atomic_load(&f->vm.exit_status), status);
}

/* One turn of the device loop: dispatches what is ready within 200 ms, as the device thread would. */
static void run_sources(struct fixture *f)
{
	struct epoll_event ev[8];
	int n = epoll_wait(f->vm.evloop.epoll_fd, ev, 8, 200);

	for (int i = 0; i < n; i++) {
		for (unsigned k = 0; k < VMM_EVLOOP_MAX_SOURCES; k++) {
			struct vmm_evloop_source *s = &f->vm.evloop.sources[k];

			if (s->fd >= 0 && s->fd == ev[i].data.fd)
				s->fn(s->opaque, s->fd, ev[i].events);
		}
	}
}

static void test_every_device_registered(void **state)
{
	struct fixture *f = *state;
	static const struct {
		uint16_t port;
		const char *owner;
	} ports[] = {
		{0x3f8, "serial (COM1)"}, {0x3ff, "serial (COM1)"}, {0x60, "i8042 data"},
		{0x64, "i8042 command"},  {0x70, "rtc (cmos)"},	    {0x71, "rtc (cmos)"},
		{0xf4, "debug-exit"},	  {0x80, "boot-timer"},	    {0x600, "acpi pm1a_evt"},
		{0x604, "acpi pm1a_cnt"}, {0x608, "acpi gpe0"},	    {0xcf9, "acpi reset"},
	};

	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		const char *owner = vmm_bus__owner(&f->vm.pio, ports[i].port);

		if (!owner || strcmp(owner, ports[i].owner) != 0)
			fail_msg("port 0x%x: owner %s, expected %s", ports[i].port, owner ? owner : "none",
				 ports[i].owner);
	}
	/* 0x61 (PIT speaker) is not the i8042's. */
	assert_null(vmm_bus__owner(&f->vm.pio, 0x61));
	assert_int_equal(in8(f, 0x1234), 0xff);
}

static void test_debug_exit(void **state)
{
	struct fixture *f = *state;

	out8(f, 0xf4, 0x2a);
	expect_stop(f, VMM_STOP_DEBUG_EXIT, 0x55);
	/* The first stop request wins. */
	out16(f, 0x604, 0x3400);
	expect_stop(f, VMM_STOP_DEBUG_EXIT, 0x55);
}

static void test_i8042_probe_and_reset(void **state)
{
	struct fixture *f = *state;

	out8(f, 0x64, 0xaa); /* controller self test */
	assert_true(in8(f, 0x64) & 0x01);
	assert_int_equal(in8(f, 0x60), 0x55);
	assert_false(in8(f, 0x64) & 0x01);
	out8(f, 0x64, 0x60); /* write command byte */
	out8(f, 0x60, 0x47);
	out8(f, 0x64, 0x20);
	assert_int_equal(in8(f, 0x60), 0x47);
	out8(f, 0x64, 0xd3); /* AUX loopback */
	out8(f, 0x60, 0x5a);
	assert_int_equal(in8(f, 0x64) & 0x21, 0x21);
	assert_int_equal(in8(f, 0x60), 0x5a);
	assert_int_equal(atomic_load(&f->vm.stop_reason), VMM_STOP_NONE);
	out8(f, 0x64, 0xfe);
	expect_stop(f, VMM_STOP_RESET, 0);
}

static void test_acpi_poweroff_only_s5(void **state)
{
	struct fixture *f = *state;

	out16(f, 0x604, 0x2000 | (3 << 10)); /* SLP_EN with S3: not a power-off */
	assert_int_equal(atomic_load(&f->vm.stop_reason), VMM_STOP_NONE);
	assert_int_equal(in16(f, 0x604) & 0x2001, 0x0001); /* SLP_EN reads 0, SCI_EN 1 */
	out16(f, 0x604, 0x3400);
	expect_stop(f, VMM_STOP_POWEROFF, 0);
}

static void test_acpi_status_write_one_to_clear(void **state)
{
	struct fixture *f = *state;

	out16(f, 0x602, 0x0100); /* PWRBTN_EN */
	assert_int_equal(in16(f, 0x602), 0x0100);
	assert_int_equal(in16(f, 0x600), 0);
	/* Press the button as the API would, then let the device loop's handler run once. */
	assert_non_null(f->vm.power_button);
	assert_int_equal(vmm__request_guest_shutdown(&f->vm), 0);
	run_sources(f);
	assert_int_equal(in16(f, 0x600), 0x0100);
	out16(f, 0x600, 0x0001); /* writing 0 to bit 8 leaves it */
	assert_int_equal(in16(f, 0x600), 0x0100);
	out16(f, 0x600, 0x0100);
	assert_int_equal(in16(f, 0x600), 0);
}

static void test_reset_register(void **state)
{
	struct fixture *f = *state;

	out8(f, 0xcf9, 0x02); /* SYS_RST alone does not reset */
	assert_int_equal(atomic_load(&f->vm.stop_reason), VMM_STOP_NONE);
	out8(f, 0xcf9, 0x06);
	expect_stop(f, VMM_STOP_RESET, 0);
}

static void test_rtc_through_ports(void **state)
{
	struct fixture *f = *state;
	uint8_t century, month;

	out8(f, 0x70, 0x80 | 0x32);
	century = in8(f, 0x71);
	out8(f, 0x70, 0x08);
	month = in8(f, 0x71);
	assert_true(century == 0x20 || century == 0x21);
	assert_true(month >= 0x01 && month <= 0x12 && (month & 0x0f) <= 9);
}

static void test_serial_scratch_and_lsr(void **state)
{
	struct fixture *f = *state;

	out8(f, 0x3ff, 0x5a);
	assert_int_equal(in8(f, 0x3ff), 0x5a);
	assert_int_equal(in8(f, 0x3fd) & 0x60, 0x60);
	out8(f, 0x3f8, 'x'); /* console none: dropped, no crash */
	assert_int_equal(atomic_load(&f->vm.stop_reason), VMM_STOP_NONE);
}

/*
 * Piped host input larger than the 16-byte receive FIFO is held back, not
 * dropped: the guest reads all of it, in order, as the FIFO drains.
 */
static void test_serial_input_backpressure(void **state)
{
	int saved_stdin = dup(STDIN_FILENO), fds[2];
	char input[41], got[41];
	unsigned n = 0;
	void *fixture;

	assert_true(saved_stdin >= 0);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
	close(fds[0]);
	for (unsigned i = 0; i < 40; i++)
		input[i] = (char)('A' + i % 26);
	input[40] = '\0';
	assert_int_equal(write(fds[1], input, 40), 40);
	setup_console(&fixture, VMM_CONSOLE_STDIO);
	{
		struct fixture *f = fixture;

		for (unsigned round = 0; round < 10 && n < 40; round++) {
			run_sources(f); /* stdin read (first round), then the retry timer */
			while (n < 40 && (in8(f, 0x3fd) & 0x01))
				got[n++] = (char)in8(f, 0x3f8);
		}
		assert_false(in8(f, 0x3fd) & 0x02); /* no overrun: nothing was dropped */
	}
	got[n] = '\0';
	teardown(&fixture);
	close(fds[1]);
	dup2(saved_stdin, STDIN_FILENO);
	close(saved_stdin);
	assert_string_equal(got, input);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_device_registered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debug_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_i8042_probe_and_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acpi_poweroff_only_s5, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acpi_status_write_one_to_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_register, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rtc_through_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serial_scratch_and_lsr, setup, teardown),
		cmocka_unit_test(test_serial_input_backpressure),
	};

	return cmocka_run_group_tests_name("vmm-devices", tests, NULL, NULL);
}
