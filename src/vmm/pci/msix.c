// SPDX-License-Identifier: GPL-2.0-or-later
/* MSI-X capability, vector table and pending bits; see msix.h. */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pci/msix.h"

#define MSIX_CAP_LEN   12
#define MSIX_CAP_CTRL  2
#define MSIX_CAP_TABLE 4
#define MSIX_CAP_PBA   8

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static uint64_t pba_bytes(uint16_t nvec)
{
	return 8ULL * ((nvec + 63U) / 64U);
}

static uint16_t msix_ctrl(const struct pci_msix *m)
{
	return m->dev->cfg[m->cap + MSIX_CAP_CTRL] | m->dev->cfg[m->cap + MSIX_CAP_CTRL + 1] << 8;
}

bool pci_msix__enabled(const struct pci_msix *m)
{
	return msix_ctrl(m) & PCI_MSIX_CTRL_ENABLE;
}

static bool vector_masked(const struct pci_msix *m, uint16_t v)
{
	return (msix_ctrl(m) & PCI_MSIX_CTRL_MASKALL) ||
	       (get32(m->table + PCI_MSIX_ENTRY_SIZE * v + PCI_MSIX_ENTRY_VECTOR_CTRL) &
		PCI_MSIX_VECTOR_MASKED);
}

static uint64_t vector_addr(const struct pci_msix *m, uint16_t v)
{
	const uint8_t *e = m->table + PCI_MSIX_ENTRY_SIZE * v;

	return get32(e + PCI_MSIX_ENTRY_ADDR_LO) | (uint64_t)get32(e + PCI_MSIX_ENTRY_ADDR_HI) << 32;
}

static uint32_t vector_data(const struct pci_msix *m, uint16_t v)
{
	return get32(m->table + PCI_MSIX_ENTRY_SIZE * v + PCI_MSIX_ENTRY_DATA);
}

static void send_vector(struct pci_msix *m, uint16_t v)
{
	m->send(m->opaque, vector_addr(m, v), vector_data(m, v));
}

/* Vector v's message is about to change: tell whoever keeps state per message (never-programmed: none). */
static void retire_vector(struct pci_msix *m, uint16_t v)
{
	uint64_t addr = vector_addr(m, v);

	if (m->retire && addr)
		m->retire(m->opaque, addr, vector_data(m, v));
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

int pci_msix__init(struct pci_msix *m, struct pci_device *dev, uint16_t nvec, unsigned bar,
		   uint64_t table_off, uint64_t pba_off, pci_msi_send_fn send, void *opaque, cella_err_t *err)
{
	uint64_t table_len = (uint64_t)PCI_MSIX_ENTRY_SIZE * nvec, bar_size;
	uint8_t cap[MSIX_CAP_LEN] = {PCI_CAP_ID_MSIX};
	uint8_t off;

	memset(m, 0, sizeof(*m));
	if (!nvec || nvec > PCI_MSIX_MAX_VECTORS)
		return cella_error_make(err, EINVAL, "pci device %s: %u MSI-X vectors is not in [1, %u]",
					dev->name, nvec, PCI_MSIX_MAX_VECTORS);
	if (bar >= PCI_NUM_BARS || !dev->bar[bar].size || (dev->bar[bar].flags & PCI_BAR_F_IO))
		return cella_error_make(err, EINVAL, "pci device %s: MSI-X BAR %u is not a memory BAR",
					dev->name, bar);
	bar_size = dev->bar[bar].size;
	if ((table_off | pba_off) & 7 || table_off > bar_size || table_len > bar_size - table_off ||
	    pba_off > bar_size || pba_bytes(nvec) > bar_size - pba_off ||
	    ranges_overlap(table_off, table_len, pba_off, pba_bytes(nvec)) || table_off > UINT32_MAX ||
	    pba_off > UINT32_MAX)
		return cella_error_make(err, EINVAL,
					"pci device %s: MSI-X table 0x%" PRIx64 " / PBA 0x%" PRIx64
					" do not fit apart, 8-byte aligned, in BAR %u",
					dev->name, table_off, pba_off, bar);
	m->table = calloc(nvec, PCI_MSIX_ENTRY_SIZE);
	m->pba = calloc(pba_bytes(nvec) / 8, sizeof(uint64_t));
	if (!m->table || !m->pba) {
		pci_msix__destroy(m);
		return cella_error_make(err, ENOMEM, "pci device %s: MSI-X table", dev->name);
	}
	cap[MSIX_CAP_CTRL] = (nvec - 1) & 0xFF;
	cap[MSIX_CAP_CTRL + 1] = (nvec - 1) >> 8;
	put32(cap + MSIX_CAP_TABLE, (uint32_t)table_off | bar);
	put32(cap + MSIX_CAP_PBA, (uint32_t)pba_off | bar);
	if (pci_device__add_cap(dev, cap, sizeof(cap), &off, err) < 0) {
		pci_msix__destroy(m);
		return -1;
	}
	m->dev = dev;
	m->nvec = nvec;
	m->cap = off;
	m->bar = bar;
	m->table_off = table_off;
	m->pba_off = pba_off;
	m->send = send;
	m->opaque = opaque;
	dev->wmask[off + MSIX_CAP_CTRL + 1] = (PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL) >> 8;
	dev->msix = m;
	pci_msix__reset(m);
	return 0;
}

void pci_msix__destroy(struct pci_msix *m)
{
	free(m->table);
	free(m->pba);
	m->table = NULL;
	m->pba = NULL;
}

void pci_msix__reset(struct pci_msix *m)
{
	for (uint16_t v = 0; v < m->nvec; v++)
		retire_vector(m, v);
	memset(m->table, 0, (size_t)PCI_MSIX_ENTRY_SIZE * m->nvec);
	for (unsigned v = 0; v < m->nvec; v++)
		put32(m->table + PCI_MSIX_ENTRY_SIZE * v + PCI_MSIX_ENTRY_VECTOR_CTRL,
		      PCI_MSIX_VECTOR_MASKED);
	memset(m->pba, 0, pba_bytes(m->nvec));
	m->dev->cfg[m->cap + MSIX_CAP_CTRL + 1] &= ~((PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL) >> 8);
}

bool pci_msix__pending(const struct pci_msix *m, uint16_t vector)
{
	return vector < m->nvec && (m->pba[vector / 64] >> (vector % 64) & 1);
}

void pci_msix__notify(struct pci_msix *m, uint16_t vector)
{
	if (vector >= m->nvec || !pci_msix__enabled(m))
		return;
	if (vector_masked(m, vector))
		m->pba[vector / 64] |= 1ULL << (vector % 64);
	else
		send_vector(m, vector);
}

/* Sends what became deliverable: called after anything that may unmask. */
static void flush_pending(struct pci_msix *m)
{
	if (!pci_msix__enabled(m))
		return;
	for (uint16_t v = 0; v < m->nvec; v++) {
		if (pci_msix__pending(m, v) && !vector_masked(m, v)) {
			m->pba[v / 64] &= ~(1ULL << (v % 64));
			send_vector(m, v);
		}
	}
}

void pci_msix__config_written(struct pci_msix *m, uint32_t off, uint32_t len)
{
	if (off < m->cap + MSIX_CAP_CTRL + 2U && off + len > m->cap + MSIX_CAP_CTRL + 0U)
		flush_pending(m);
}

/* Table: dword or qword accesses, naturally aligned (6.8.2); anything else reads 0 and writes nothing. */
static void table_access(struct pci_msix *m, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	uint8_t *p = m->table + off;
	uint16_t vec = (uint16_t)(off / PCI_MSIX_ENTRY_SIZE);
	uint64_t old_addr;
	uint32_t old_data;

	if ((len != 4 && len != 8) || off % len) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (!is_write) {
		memcpy(data, p, len);
		return;
	}
	old_addr = vector_addr(m, vec);
	old_data = vector_data(m, vec);
	for (uint32_t i = 0; i < len; i += 4) {
		uint64_t field = (off + i) % PCI_MSIX_ENTRY_SIZE;
		uint32_t v = get32(data + i);

		if (field == PCI_MSIX_ENTRY_VECTOR_CTRL)
			v = (get32(p + i) & ~PCI_MSIX_VECTOR_MASKED) | (v & PCI_MSIX_VECTOR_MASKED);
		put32(p + i, v);
	}
	/* The guest reprogrammed the vector: the old message's route can go to the next new one. */
	if (m->retire && old_addr && (vector_addr(m, vec) != old_addr || vector_data(m, vec) != old_data))
		m->retire(m->opaque, old_addr, old_data);
	flush_pending(m);
}

bool pci_msix__bar_access(struct pci_msix *m, unsigned bar, uint64_t off, uint8_t *data, uint32_t len,
			  bool is_write)
{
	uint64_t table_len = (uint64_t)PCI_MSIX_ENTRY_SIZE * m->nvec;

	if (bar != m->bar)
		return false;
	if (off >= m->table_off && off - m->table_off < table_len) {
		if (len > table_len - (off - m->table_off)) {
			if (!is_write)
				memset(data, 0, len);
			return true;
		}
		table_access(m, off - m->table_off, data, len, is_write);
		return true;
	}
	if (off >= m->pba_off && off - m->pba_off < pba_bytes(m->nvec)) {
		uint64_t rel = off - m->pba_off;

		/* Read-only; same width rules as the table. */
		if (!is_write) {
			memset(data, 0, len);
			if ((len == 4 || len == 8) && !(rel % len) && len <= pba_bytes(m->nvec) - rel) {
				uint64_t word = htole64(m->pba[rel / 8]);

				memcpy(data, (uint8_t *)&word + rel % 8, len);
			}
		}
		return true;
	}
	return false;
}
