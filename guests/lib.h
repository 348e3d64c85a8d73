/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_GUEST_LIB_H
#define CELLA_GUEST_LIB_H

/* The few things every test guest needs: port I/O, COM1 output, the verdict through port 0xf4. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COM1	   0x3f8
#define DEBUG_EXIT 0xf4

struct multiboot_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
};

struct multiboot_module {
	uint32_t start, end, string, reserved;
};

#define MB_INFO_MEMORY	(1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS	(1u << 3)
#define MB_INFO_MMAP	(1u << 6)
#define MB_BOOT_MAGIC	0x2BADB002u

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

void guest_main(uint32_t magic, struct multiboot_info *mbi);
void guest_exception(void);

void putc(char c);
void puts(const char *s);
void put_hex(uint32_t v);
void put_dec(uint32_t v);
/* Ends the VM: the VMM exits with (code << 1) | 1. */
__attribute__((noreturn)) void guest_exit(uint8_t code);
__attribute__((noreturn)) void pass(void);
__attribute__((noreturn)) void fail(const char *why);
/* The Multiboot command line, or "" when none was given. */
const char *guest_cmdline(const struct multiboot_info *mbi);
/* Value of "key=N" on the command line, or def. */
uint32_t cmdline_number(const char *cmdline, const char *key, uint32_t def);
/* First occurrence of needle in hay, or NULL. */
const char *str_find(const char *hay, const char *needle);
bool str_contains(const char *hay, const char *needle);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);

#endif
