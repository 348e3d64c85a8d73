/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_UART16550_H
#define CELLA_VMM_CORE_UART16550_H

/*
 * The 16550A register model as a pure state machine: no I/O, no locks, no
 * KVM. The device glue (serial.c) feeds it port accesses and host input and
 * turns uart16550__irq_pending() changes into interrupt edges.
 */
#include <stdbool.h>
#include <stdint.h>

#define UART_FIFO_SIZE 16

/* Register offsets from the base port. */
#define UART_RBR 0 /* read, DLAB=0 */
#define UART_THR 0 /* write, DLAB=0 */
#define UART_DLL 0 /* DLAB=1 */
#define UART_IER 1 /* DLAB=0 */
#define UART_DLM 1 /* DLAB=1 */
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_RDI  0x01 /* received data available */
#define UART_IER_THRI 0x02 /* transmit holding register empty */
#define UART_IER_RLSI 0x04 /* receiver line status */
#define UART_IER_MSI  0x08 /* modem status */

#define UART_IIR_NO_INT 0x01
#define UART_IIR_MSI	0x00
#define UART_IIR_THRI	0x02
#define UART_IIR_RDI	0x04
#define UART_IIR_RLSI	0x06
#define UART_IIR_FIFO	0xc0 /* FIFOs enabled */

#define UART_FCR_ENABLE	  0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FCR_CLEAR_TX 0x04

#define UART_LCR_DLAB 0x80

#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10

#define UART_LSR_DR   0x01
#define UART_LSR_OE   0x02
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08
#define UART_MSR_CTS  0x10
#define UART_MSR_DSR  0x20
#define UART_MSR_RI   0x40
#define UART_MSR_DCD  0x80

struct uart16550 {
	uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
	bool thr_interrupt; /* THRE interrupt armed: set when THR empties, cleared by an IIR read or THR write */
	uint8_t rx[UART_FIFO_SIZE];
	unsigned rx_head, rx_count;
	/* Where transmitted bytes go (outside loopback mode). */
	void (*transmit)(void *opaque, uint8_t byte);
	void *opaque;
};

void uart16550__init(struct uart16550 *u, void (*transmit)(void *opaque, uint8_t byte), void *opaque);
/* A guest read of register offset (0..7). */
uint8_t uart16550__read(struct uart16550 *u, unsigned offset);
/* A guest write of register offset (0..7). */
void uart16550__write(struct uart16550 *u, unsigned offset, uint8_t value);
/* Host input: queues one byte for the guest. False (and LSR.OE) when the FIFO is full. */
bool uart16550__receive(struct uart16550 *u, uint8_t byte);
/* Room left in the receive FIFO (host input is held back, not dropped, when 0). */
unsigned uart16550__rx_room(const struct uart16550 *u);
/* The interrupt identification the guest would read now (without side effects). */
uint8_t uart16550__iir(const struct uart16550 *u);
/* Whether the interrupt output is asserted: an enabled cause is pending (not gated by OUT2, as in QEMU). */
bool uart16550__irq_pending(const struct uart16550 *u);

#endif
