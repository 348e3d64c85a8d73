// SPDX-License-Identifier: GPL-2.0-or-later
/* Wired-OR INTx pins shared by several devices; see intx_lines.h. */
#include "pci/intx_lines.h"

#include <string.h>

void pci_intx_lines__init(struct pci_intx_lines *l)
{
	memset(l->asserted, 0, sizeof(l->asserted));
	pthread_mutex_init(&l->lock, NULL);
}

void pci_intx_lines__destroy(struct pci_intx_lines *l)
{
	pthread_mutex_destroy(&l->lock);
}

void pci_intx_lines__set(struct pci_intx_lines *l, unsigned pin, bool level,
			 void (*drive)(void *opaque, unsigned pin, bool level), void *opaque)
{
	uint16_t *n;

	if (pin >= PCI_INTX_LINES_MAX)
		return;
	pthread_mutex_lock(&l->lock);
	n = &l->asserted[pin];
	if (level) {
		if ((*n)++ == 0)
			drive(opaque, pin, true);
	} else {
		/* A lower the count did not see raised (state restored behind its back) still lowers the pin. */
		if (*n > 0)
			--*n;
		if (*n == 0)
			drive(opaque, pin, false);
	}
	pthread_mutex_unlock(&l->lock);
}

void pci_intx_lines__resync(struct pci_intx_lines *l, const unsigned *pins, const bool *levels, unsigned n,
			    void (*drive)(void *opaque, unsigned pin, bool level), void *opaque)
{
	uint16_t count[PCI_INTX_LINES_MAX] = {0};
	bool used[PCI_INTX_LINES_MAX] = {false};

	pthread_mutex_lock(&l->lock);
	for (unsigned i = 0; i < n; i++) {
		if (pins[i] >= PCI_INTX_LINES_MAX)
			continue;
		used[pins[i]] = true;
		count[pins[i]] += levels[i];
	}
	for (unsigned pin = 0; pin < PCI_INTX_LINES_MAX; pin++) {
		if (!used[pin])
			continue;
		l->asserted[pin] = count[pin];
		drive(opaque, pin, count[pin] > 0);
	}
	pthread_mutex_unlock(&l->lock);
}
