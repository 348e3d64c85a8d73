/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_GUEST_ENTRY_LIB64_H
#define CELLA_GUEST_ENTRY_LIB64_H

/* What the 64-bit entry guests add to ../lib.h: MSRs, the CMOS clock, a 64-bit IDT. */
#include "lib.h"

#define MSR_EFER   0xc0000080u
#define EFER_LMA   (1u << 10)
#define CMOS_INDEX 0x70
#define CMOS_DATA  0x71
#define PIC1	   0x20
#define PIC2	   0xa0

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* The RTC's seconds register (raw, BCD or binary: only its changes matter). */
static inline uint8_t cmos_seconds(void)
{
	outb(CMOS_INDEX, 0x00);
	return inb(CMOS_DATA);
}

/* Every vector reports an unexpected exception until a handler is installed. */
void idt64_init(void);
void idt64_set(uint8_t vector, void (*handler)(void));

#endif
