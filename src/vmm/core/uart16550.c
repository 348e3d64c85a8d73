/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/uart16550.h"

#include <string.h>

/* Modem-status inputs of a connected, ready peer (outside loopback). */
#define UART_MSR_CONNECTED (UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

void uart16550__init(struct uart16550 *u, void (*transmit)(void *opaque, uint8_t byte), void *opaque)
{
	memset(u, 0, sizeof(*u));
	u->lsr = UART_LSR_THRE | UART_LSR_TEMT;
	u->msr = UART_MSR_CONNECTED;
	u->dll = 0x0c; /* 9600 baud, as firmware leaves it */
	u->transmit = transmit;
	u->opaque = opaque;
}

static bool rx_push(struct uart16550 *u, uint8_t byte)
{
	if (u->rx_count == UART_FIFO_SIZE) {
		u->lsr |= UART_LSR_OE;
		return false;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
	u->rx_count++;
	u->lsr |= UART_LSR_DR;
	return true;
}

static uint8_t rx_pop(struct uart16550 *u)
{
	uint8_t byte;

	if (u->rx_count == 0)
		return 0;
	byte = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
	u->rx_count--;
	if (u->rx_count == 0)
		u->lsr &= (uint8_t)~UART_LSR_DR;
	return byte;
}

bool uart16550__receive(struct uart16550 *u, uint8_t byte)
{
	/* In loopback the receiver is wired to the transmitter, not to the outside world. */
	if (u->mcr & UART_MCR_LOOP)
		return true;
	return rx_push(u, byte);
}

unsigned uart16550__rx_room(const struct uart16550 *u)
{
	return UART_FIFO_SIZE - u->rx_count;
}

uint8_t uart16550__iir(const struct uart16550 *u)
{
	uint8_t fifo = (u->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO : 0;

	/* Highest priority first: line status, received data, THR empty, modem status. */
	if ((u->ier & UART_IER_RLSI) && (u->lsr & UART_LSR_OE))
		return fifo | UART_IIR_RLSI;
	if ((u->ier & UART_IER_RDI) && (u->lsr & UART_LSR_DR))
		return fifo | UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thr_interrupt)
		return fifo | UART_IIR_THRI;
	if ((u->ier & UART_IER_MSI) &&
	    (u->msr & (UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_TERI | UART_MSR_DDCD)))
		return fifo | UART_IIR_MSI;
	return fifo | UART_IIR_NO_INT;
}

bool uart16550__irq_pending(const struct uart16550 *u)
{
	return !(uart16550__iir(u) & UART_IIR_NO_INT);
}

/* In loopback, the modem inputs follow the modem outputs: CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2. */
static uint8_t loopback_msr(uint8_t mcr)
{
	uint8_t msr = 0;

	if (mcr & UART_MCR_RTS)
		msr |= UART_MSR_CTS;
	if (mcr & UART_MCR_DTR)
		msr |= UART_MSR_DSR;
	if (mcr & UART_MCR_OUT1)
		msr |= UART_MSR_RI;
	if (mcr & UART_MCR_OUT2)
		msr |= UART_MSR_DCD;
	return msr;
}

/* Sets the delta bits for every modem input that changed. */
static void update_msr(struct uart16550 *u, uint8_t inputs)
{
	uint8_t old = u->msr;
	uint8_t delta = u->msr & (UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_TERI | UART_MSR_DDCD);

	if ((old ^ inputs) & UART_MSR_CTS)
		delta |= UART_MSR_DCTS;
	if ((old ^ inputs) & UART_MSR_DSR)
		delta |= UART_MSR_DDSR;
	if ((old & UART_MSR_RI) && !(inputs & UART_MSR_RI)) /* trailing edge of ring */
		delta |= UART_MSR_TERI;
	if ((old ^ inputs) & UART_MSR_DCD)
		delta |= UART_MSR_DDCD;
	u->msr = inputs | delta;
}

uint8_t uart16550__read(struct uart16550 *u, unsigned offset)
{
	uint8_t v;

	switch (offset) {
	case UART_RBR:
		if (u->lcr & UART_LCR_DLAB)
			return u->dll;
		return rx_pop(u);
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB)
			return u->dlm;
		return u->ier;
	case UART_IIR:
		v = uart16550__iir(u);
		/* Reading IIR while it reports THRE is what acknowledges that interrupt. */
		if ((v & 0x0f) == UART_IIR_THRI)
			u->thr_interrupt = false;
		return v;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = u->lsr;
		u->lsr &= (uint8_t)~UART_LSR_OE; /* error bits clear on read */
		return v;
	case UART_MSR:
		v = u->msr;
		u->msr &= (uint8_t) ~(UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_TERI | UART_MSR_DDCD);
		return v;
	case UART_SCR:
		return u->scr;
	default:
		return 0xff;
	}
}

void uart16550__write(struct uart16550 *u, unsigned offset, uint8_t value)
{
	switch (offset) {
	case UART_THR:
		if (u->lcr & UART_LCR_DLAB) {
			u->dll = value;
			return;
		}
		/* Transmission is instantaneous: THR is empty again at once and THRE re-arms. */
		if (u->mcr & UART_MCR_LOOP)
			rx_push(u, value);
		else if (u->transmit)
			u->transmit(u->opaque, value);
		u->lsr |= UART_LSR_THRE | UART_LSR_TEMT;
		u->thr_interrupt = true;
		return;
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB) {
			u->dlm = value;
			return;
		}
		/* Enabling THRI while THR is empty raises the interrupt at once (guests rely on this to kick TX). */
		if (!(u->ier & UART_IER_THRI) && (value & UART_IER_THRI) && (u->lsr & UART_LSR_THRE))
			u->thr_interrupt = true;
		u->ier = value & 0x0f;
		return;
	case UART_FCR:
		if (value & UART_FCR_CLEAR_RX) {
			u->rx_head = u->rx_count = 0;
			u->lsr &= (uint8_t)~UART_LSR_DR;
		}
		u->fcr = value & 0xc1; /* enable + trigger level are what software reads back via IIR */
		return;
	case UART_LCR:
		u->lcr = value;
		return;
	case UART_MCR: {
		uint8_t was = u->mcr;

		u->mcr = value & 0x1f;
		if (u->mcr & UART_MCR_LOOP)
			update_msr(u, loopback_msr(u->mcr));
		else if (was & UART_MCR_LOOP)
			update_msr(u, UART_MSR_CONNECTED);
		return;
	}
	case UART_LSR:
	case UART_MSR:
		return; /* read-only (factory test writes ignored) */
	case UART_SCR:
		u->scr = value;
		return;
	default:
		return;
	}
}
