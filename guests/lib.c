/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lib.h"

void putc(char c)
{
	/* THR empty (LSR bit 5) before each byte, as a real driver would. */
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (uint8_t)c);
}

void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

void put_hex(uint32_t v)
{
	puts("0x");
	for (int shift = 28; shift >= 0; shift -= 4)
		putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

void put_dec(uint32_t v)
{
	char buf[12];
	int i = 0;

	do {
		buf[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i > 0)
		putc(buf[--i]);
}

void guest_exit(uint8_t code)
{
	outb(DEBUG_EXIT, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void pass(void)
{
	puts("PASS\n");
	guest_exit(0);
}

void fail(const char *why)
{
	puts("FAIL ");
	puts(why);
	putc('\n');
	guest_exit(1);
}

void guest_exception(void)
{
	fail("unexpected exception");
}

const char *guest_cmdline(const struct multiboot_info *mbi)
{
	if (!(mbi->flags & MB_INFO_CMDLINE) || !mbi->cmdline)
		return "";
	return (const char *)(uintptr_t)mbi->cmdline;
}

const char *str_find(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++) {
		size_t i = 0;

		while (i < n && hay[i] == needle[i])
			i++;
		if (i == n)
			return hay;
	}
	return n == 0 ? hay : NULL;
}

bool str_contains(const char *hay, const char *needle)
{
	return str_find(hay, needle) != NULL;
}

uint32_t cmdline_number(const char *cmdline, const char *key, uint32_t def)
{
	size_t n = strlen(key);

	for (const char *p = cmdline; *p; p++) {
		size_t i = 0;
		uint32_t v = 0;

		if (p != cmdline && p[-1] != ' ')
			continue;
		while (i < n && p[i] == key[i])
			i++;
		if (i != n || p[n] != '=' || p[n + 1] < '0' || p[n + 1] > '9')
			continue;
		for (p += n + 1; *p >= '0' && *p <= '9'; p++)
			v = v * 10 + (uint32_t)(*p - '0');
		return v;
	}
	return def;
}

/* gcc may turn loops into calls to these even when freestanding. */
void *memset(void *d, int c, size_t n)
{
	volatile uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	volatile uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
