/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_GUEST_VIRTIO_TESTS_H
#define CELLA_GUEST_VIRTIO_TESTS_H

/* The test modes of virtio.elf, one per test= value; each returns on success and fail()s otherwise. */
#include <stdbool.h>

void test_rng(void);
void test_blk(bool readonly);
void test_blk_discard(void);
void test_blk_id(const char *cmdline);
void test_blk_indirect(void);
void test_net(void);
/* ip= autoconfiguration, ping the gateway, then answer ARP and ping forever. */
__attribute__((noreturn)) void test_ping(const char *cmdline);
void test_vsock(const char *cmdline);
void test_console(void);
/* Completion by MSI-X (msix) or by INTx through the IOAPIC; never returns. */
__attribute__((noreturn)) void test_irq(bool msix);

#endif
