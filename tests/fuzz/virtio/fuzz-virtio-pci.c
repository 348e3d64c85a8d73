// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the virtio-pci transport and the PCI bus around it:
 * the input is a program of guest accesses (BAR, config mechanism #1, ECAM,
 * guest RAM writes) and device-side actions (pop/push/signal, config change,
 * needs-reset). Nothing it does may crash, leak or reach outside guest RAM.
 *
 * Each operation is 12 bytes: op, 16-bit offset (BAR accesses: from the BAR
 * window base, so the 32 KiB BAR and what lies past it), length, 8 bytes of value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pci/pci.h"
#include "virtio/virtio_pci.h"

#define RAM_SIZE (64 * 1024)
#define NQ	 3

enum op { OP_BAR_READ, OP_BAR_WRITE, OP_CONF1, OP_ECAM_READ, OP_ECAM_WRITE, OP_RAM, OP_DEVICE, OP_COUNT };

struct device {
	uint8_t config[16];
	unsigned kicks;
};

static void kick(void *opaque, unsigned q)
{
	struct device *d = opaque;

	if (q >= NQ)
		abort();
	d->kicks++;
}

static void config_read(void *opaque, uint32_t off, uint8_t *data, uint32_t len)
{
	struct device *d = opaque;

	if (off + len > sizeof(d->config))
		abort();
	memcpy(data, d->config + off, len);
}

static void config_write(void *opaque, uint32_t off, const uint8_t *data, uint32_t len)
{
	struct device *d = opaque;

	if (off + len > sizeof(d->config))
		abort();
	memcpy(d->config + off, data, len);
}

static void msi(void *opaque, uint64_t addr, uint32_t data)
{
}

static void intx(void *opaque, bool level)
{
}

static const struct virtio_pci_ops ops = {
	.queue_notify = kick,
	.config_read = config_read,
	.config_write = config_write,
};

/* What a device thread does: drain queue q, completing every chain. */
static void device_work(struct virtio_pci *vp, unsigned q, uint8_t action)
{
	static struct virtq_chain chain;
	struct virtq *vq;
	cella_err_t err = NULL;

	if (action == 0) {
		virtio_pci__config_changed(vp);
		return;
	}
	if (action == 1) {
		virtio_pci__set_needs_reset(vp, "fuzz");
		return;
	}
	vq = virtio_pci__queue(vp, q % NQ);
	if (!vq)
		return;
	for (unsigned i = 0; i <= vq->size; i++) {
		int r = virtq__pop(vq, &chain, &err);

		if (r < 0) {
			virtio_pci__set_needs_reset(vp, cella_error_string(err));
			cella_error_release(&err);
			return;
		}
		if (r == 0)
			break;
		for (unsigned k = chain.nread; k < chain.nread + chain.nwrite; k++)
			memset(chain.iov[k].iov_base, 0xEE, chain.iov[k].iov_len);
		if (virtq__push_chain(vq, &chain, (uint32_t)chain.write_len, &err) < 0)
			abort();
	}
	virtio_pci__signal_used(vp, q % NQ);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct virtio_pci vp;
	struct pci_bus bus;
	struct guest_mem mem;
	struct device dev = {0};
	uint8_t *ram = calloc(1, RAM_SIZE);
	cella_err_t err = NULL;
	struct virtio_pci_params p = {
		.name = "fuzz",
		.device_id = 2,
		.class_code = 0x010000,
		.features =
			VIRTIO_BIT(0) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX),
		.num_queues = NQ,
		.queue_max_size = 256,
		.config_size = sizeof(dev.config),
		.mem = &mem,
		.ops = &ops,
		.opaque = &dev,
		.msi_send = msi,
		.intx = intx,
	};

	guest_mem__init(&mem, ram, RAM_SIZE);
	pci_bus__init(&bus, 0xC0000000ULL, 0x20000000ULL, 0x1000, 0x1000);
	if (virtio_pci__init(&vp, &p, &err) < 0 || pci_bus__register(&bus, &vp.pci, 1, 0, &err) < 0)
		abort();
	for (; size >= 12; data += 12, size -= 12) {
		enum op op = data[0] % OP_COUNT;
		uint32_t off = data[1] | data[2] << 8, len = data[3] % 9;
		uint8_t val[8];

		memcpy(val, data + 4, 8);
		switch (op) {
		case OP_BAR_READ:
		case OP_BAR_WRITE:
			/* Through the bus, so command-register decoding and BAR moves are exercised too. */
			pci_bus__mmio_io(&bus, off, val, len ? len : 1, op == OP_BAR_WRITE);
			break;
		case OP_CONF1:
			pci_bus__conf1_io(&bus, off % 8, val, len ? len : 1, data[3] & 0x80);
			break;
		case OP_ECAM_READ:
		case OP_ECAM_WRITE:
			pci_bus__ecam_io(&bus, (1U << 15) | (off & 0xFFF), val, len ? len : 1,
					 op == OP_ECAM_WRITE);
			break;
		case OP_RAM:
			memcpy(ram + ((uint32_t)off * 8 % (RAM_SIZE - 8)), val, 8);
			break;
		case OP_DEVICE:
			device_work(&vp, off, data[3] % 4);
			break;
		default:
			break;
		}
	}
	virtio_pci__destroy(&vp);
	free(ram);
	return 0;
}
