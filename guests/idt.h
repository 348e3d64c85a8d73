/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_GUEST_IDT_H
#define CELLA_GUEST_IDT_H

/* A 32-bit IDT: every exception reports FAIL; callers install interrupt handlers over it. */
#include <stdint.h>

void idt_init(void);
void idt_set(uint8_t vector, void (*handler)(void));

#endif
