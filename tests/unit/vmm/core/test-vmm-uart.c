/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The 16550A register model, driven as a guest driver would drive it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/uart16550.h"

struct sink {
	uint8_t out[64];
	unsigned n;
};

static void sink_tx(void *opaque, uint8_t byte)
{
	struct sink *s = opaque;

	if (s->n < sizeof(s->out))
		s->out[s->n++] = byte;
}

static void test_reset_state(void **state)
{
	struct uart16550 u;

	uart16550__init(&u, NULL, NULL);
	assert_int_equal(uart16550__read(&u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(uart16550__read(&u, UART_IIR), UART_IIR_NO_INT);
	assert_false(uart16550__irq_pending(&u));
	assert_int_equal(uart16550__read(&u, UART_MSR) & 0xf0, UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
}

static void test_transmit(void **state)
{
	struct sink s = {0};
	struct uart16550 u;

	uart16550__init(&u, sink_tx, &s);
	uart16550__write(&u, UART_THR, 'o');
	uart16550__write(&u, UART_THR, 'k');
	assert_int_equal(s.n, 2);
	assert_memory_equal(s.out, "ok", 2);
	assert_true(uart16550__read(&u, UART_LSR) & UART_LSR_THRE);
}

static void test_thre_interrupt(void **state)
{
	struct sink s = {0};
	struct uart16550 u;

	uart16550__init(&u, sink_tx, &s);
	/* Enabling THRI with THR empty raises the interrupt at once. */
	uart16550__write(&u, UART_IER, UART_IER_THRI);
	assert_true(uart16550__irq_pending(&u));
	assert_int_equal(uart16550__read(&u, UART_IIR), UART_IIR_THRI);
	/* Reading IIR while it says THRE acknowledges it. */
	assert_false(uart16550__irq_pending(&u));
	assert_int_equal(uart16550__read(&u, UART_IIR), UART_IIR_NO_INT);
	/* Each transmitted byte empties THR again: the interrupt re-arms. */
	uart16550__write(&u, UART_THR, 'x');
	assert_true(uart16550__irq_pending(&u));
	/* Disabling THRI masks it. */
	uart16550__write(&u, UART_IER, 0);
	assert_false(uart16550__irq_pending(&u));
}

static void test_receive_and_priority(void **state)
{
	struct uart16550 u;

	uart16550__init(&u, NULL, NULL);
	uart16550__write(&u, UART_IER, UART_IER_RDI | UART_IER_THRI);
	assert_true(uart16550__receive(&u, 'a'));
	/* Received data outranks THRE. */
	assert_int_equal(uart16550__iir(&u), UART_IIR_RDI);
	assert_true(uart16550__read(&u, UART_LSR) & UART_LSR_DR);
	assert_int_equal(uart16550__read(&u, UART_RBR), 'a');
	assert_false(uart16550__read(&u, UART_LSR) & UART_LSR_DR);
	assert_int_equal(uart16550__iir(&u), UART_IIR_THRI);
}

static void test_overrun(void **state)
{
	struct uart16550 u;

	uart16550__init(&u, NULL, NULL);
	uart16550__write(&u, UART_IER, UART_IER_RLSI | UART_IER_RDI);
	for (unsigned i = 0; i < UART_FIFO_SIZE; i++)
		assert_true(uart16550__receive(&u, (uint8_t)i));
	assert_int_equal(uart16550__rx_room(&u), 0);
	assert_false(uart16550__receive(&u, 0xee));
	/* Line status outranks everything; OE clears when LSR is read. */
	assert_int_equal(uart16550__iir(&u), UART_IIR_RLSI);
	assert_true(uart16550__read(&u, UART_LSR) & UART_LSR_OE);
	assert_false(uart16550__read(&u, UART_LSR) & UART_LSR_OE);
	for (unsigned i = 0; i < UART_FIFO_SIZE; i++)
		assert_int_equal(uart16550__read(&u, UART_RBR), i);
}

static void test_fifo_iir_bits_and_clear(void **state)
{
	struct uart16550 u;

	uart16550__init(&u, NULL, NULL);
	uart16550__write(&u, UART_FCR, UART_FCR_ENABLE);
	assert_int_equal(uart16550__read(&u, UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
	uart16550__receive(&u, 'z');
	uart16550__write(&u, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	assert_false(uart16550__read(&u, UART_LSR) & UART_LSR_DR);
}

static void test_divisor_latch(void **state)
{
	struct sink s = {0};
	struct uart16550 u;

	uart16550__init(&u, sink_tx, &s);
	uart16550__write(&u, UART_LCR, UART_LCR_DLAB | 0x03);
	uart16550__write(&u, UART_DLL, 0x01);
	uart16550__write(&u, UART_DLM, 0x00);
	assert_int_equal(s.n, 0); /* DLL writes are not data */
	assert_int_equal(uart16550__read(&u, UART_DLL), 0x01);
	uart16550__write(&u, UART_LCR, 0x03);
	assert_int_equal(uart16550__read(&u, UART_IER), 0);
	assert_int_equal(uart16550__read(&u, UART_LCR), 0x03);
}

static void test_loopback(void **state)
{
	struct sink s = {0};
	struct uart16550 u;
	uint8_t msr;

	uart16550__init(&u, sink_tx, &s);
	uart16550__write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_OUT2);
	uart16550__write(&u, UART_THR, 0x5a);
	assert_int_equal(s.n, 0); /* nothing leaves in loopback */
	assert_int_equal(uart16550__read(&u, UART_RBR), 0x5a);
	msr = uart16550__read(&u, UART_MSR);
	assert_int_equal(msr & 0xf0, UART_MSR_CTS | UART_MSR_DCD);
	/* Deltas were reported once and cleared by the read. */
	assert_int_equal(uart16550__read(&u, UART_MSR) & 0x0f, 0);
	/* Host input is not seen in loopback. */
	uart16550__receive(&u, 'h');
	assert_false(uart16550__read(&u, UART_LSR) & UART_LSR_DR);
}

static void test_scratch_and_msi(void **state)
{
	struct uart16550 u;

	uart16550__init(&u, NULL, NULL);
	uart16550__write(&u, UART_SCR, 0xa5);
	assert_int_equal(uart16550__read(&u, UART_SCR), 0xa5);
	uart16550__write(&u, UART_IER, UART_IER_MSI);
	uart16550__write(&u, UART_MCR, UART_MCR_LOOP); /* CTS/DSR/DCD drop: delta bits */
	assert_int_equal(uart16550__iir(&u), UART_IIR_MSI);
	uart16550__read(&u, UART_MSR);
	assert_int_equal(uart16550__iir(&u), UART_IIR_NO_INT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_state),	cmocka_unit_test(test_transmit),
		cmocka_unit_test(test_thre_interrupt),	cmocka_unit_test(test_receive_and_priority),
		cmocka_unit_test(test_overrun),		cmocka_unit_test(test_fifo_iir_bits_and_clear),
		cmocka_unit_test(test_divisor_latch),	cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_scratch_and_msi),
	};

	return cmocka_run_group_tests_name("vmm-uart", tests, NULL, NULL);
}
