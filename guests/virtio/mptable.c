/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MP table lookup (Intel MultiProcessor Specification 1.4, chapter 4): the
 * floating pointer "_MP_" on a 16-byte boundary in the first KiB of the EBDA,
 * the last KiB of base memory or the BIOS area 0xF0000-0xFFFFF; the
 * configuration table "PCMP" it points to; bus entries (type 1) name the PCI
 * bus ids, I/O interrupt entries (type 3) map (bus, device << 2 | INTx#) to an
 * IOAPIC pin. The tables come from the VMM or the firmware: every length and
 * count is bounded before use.
 */
#include "mptable.h"

#include "lib.h"

#define MP_ENTRY_CPU	0
#define MP_ENTRY_BUS	1
#define MP_ENTRY_INTSRC 3
#define MP_MAX_ENTRIES	1024
#define MP_MAX_BUSES	256

static bool checksum_ok(const uint8_t *p, unsigned len)
{
	uint8_t sum = 0;

	for (unsigned i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum == 0;
}

static const uint8_t *scan(uint32_t start, uint32_t len)
{
	for (uint32_t a = start; a + 16 <= start + len; a += 16) {
		const uint8_t *p = (const uint8_t *)a;

		if (p[0] == '_' && p[1] == 'M' && p[2] == 'P' && p[3] == '_' && p[8] == 1 &&
		    checksum_ok(p, 16))
			return p;
	}
	return NULL;
}

static const uint8_t *find_floating_pointer(void)
{
	uintptr_t bda_ebda = 0x40E; /* BIOS data area: EBDA segment */
	uint32_t ebda;
	const uint8_t *p = NULL;

	/* Hide the constant address from gcc, which takes any pointer below 4 KiB for a null dereference. */
	__asm__("" : "+r"(bda_ebda));
	ebda = (uint32_t)(*(const volatile uint16_t *)bda_ebda) << 4;

	if (ebda >= 0x80000 && ebda < 0xA0000)
		p = scan(ebda, 1024);
	if (!p)
		p = scan(0x9FC00, 1024);
	if (!p)
		p = scan(0xF0000, 0x10000);
	return p;
}

bool mp_find_pci_route(unsigned dev, unsigned pin, struct mp_pci_route *route)
{
	const uint8_t *mpf = find_floating_pointer(), *t, *e, *end;
	bool pci_bus[MP_MAX_BUSES] = {false};
	uint16_t len, count;
	uint32_t addr;

	if (!mpf)
		return false;
	addr = *(const uint32_t *)(mpf + 4);
	if (addr == 0 || addr >= 0x100000) /* table past 1 MiB: not where anyone puts it, not worth chasing */
		return false;
	t = (const uint8_t *)addr;
	len = *(const uint16_t *)(t + 4);
	count = *(const uint16_t *)(t + 34);
	if (t[0] != 'P' || t[1] != 'C' || t[2] != 'M' || t[3] != 'P' || len < 44 || addr + len > 0x100000 ||
	    !checksum_ok(t, len) || count > MP_MAX_ENTRIES)
		return false;
	end = t + len;
	/* Two passes: bus entries come before interrupt entries, but nothing forces it. */
	for (unsigned pass = 0; pass < 2; pass++) {
		e = t + 44;
		for (unsigned i = 0; i < count && e < end; i++) {
			unsigned size = e[0] == MP_ENTRY_CPU ? 20 : 8;

			if (e + size > end)
				return false;
			if (pass == 0 && e[0] == MP_ENTRY_BUS)
				pci_bus[e[1]] = e[2] == 'P' && e[3] == 'C' && e[4] == 'I' && e[5] == ' ';
			if (pass == 1 && e[0] == MP_ENTRY_INTSRC && e[1] == 0 /* vectored */ &&
			    pci_bus[e[4]] && e[5] == (uint8_t)(dev << 2 | (pin - 1))) {
				uint16_t flags = (uint16_t)(e[2] | e[3] << 8);
				unsigned polarity = flags & 3, trigger = (flags >> 2) & 3;

				route->ioapic_pin = e[7];
				/* 0 = conforms to the bus: PCI is active-low, level-triggered. */
				route->active_low = polarity == 0 || polarity == 3;
				route->level = trigger == 0 || trigger == 3;
				return true;
			}
			e += size;
		}
	}
	return false;
}
