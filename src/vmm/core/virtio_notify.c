/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/virtio_notify.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/pci_glue.h"
#include "core/vmm.h"
#include "vdev/vdev.h"
#include "virtio/virtio_pci.h"

static int ioeventfd(const struct vmm_virtio_notify *n, unsigned q, uint64_t base, uint32_t len, bool assign)
{
	struct kvm_ioeventfd io = {
		.addr = base + vdev_notify_offset(q),
		.len = len,
		.fd = vdev_queue_eventfd(n->dev, q),
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	return ioctl(n->vm->vm_fd, KVM_IOEVENTFD, &io);
}

static void unmap(struct vmm_virtio_notify *n)
{
	if (!n->mapped)
		return;
	for (unsigned q = 0; q < n->num_queues; q++)
		(void)ioeventfd(n, q, n->base, n->len, false);
	n->mapped = false;
}

/* Registers every queue at base with length len; all or none. */
static int map_with(struct vmm_virtio_notify *n, uint64_t base, uint32_t len)
{
	for (unsigned q = 0; q < n->num_queues; q++) {
		if (ioeventfd(n, q, base, len, true) < 0) {
			int saved = errno;

			while (q-- > 0)
				(void)ioeventfd(n, q, base, len, false);
			errno = saved;
			return -1;
		}
	}
	n->mapped = true;
	n->base = base;
	n->len = len;
	return 0;
}

static void map(struct vmm_virtio_notify *n, uint64_t base)
{
	/*
	 * Length 0 matches a write of any width (KVM_CAP_IOEVENTFD_ANY_LENGTH):
	 * drivers write the queue index as 16 bits, but 32 is allowed too.
	 * Older kernels refuse it; 2 bytes then catches what Linux writes.
	 */
	if (map_with(n, base, 0) == 0 || (errno == EINVAL && map_with(n, base, 2) == 0))
		return;
	if (!n->warned)
		fprintf(stderr,
			"cella-vmm: %s: KVM_IOEVENTFD at 0x%llx: %s (queue notifications take the MMIO "
			"exit)\n",
			n->pdev->name, (unsigned long long)base, strerror(errno));
	n->warned = true;
}

/* Where BAR0 decodes now, if it decodes inside the PCI window at all. */
static bool bar_decodes(const struct vmm_virtio_notify *n, uint64_t *base)
{
	const struct pci_bus *bus = &n->vm->pci->bus;
	uint16_t cmd = (uint16_t)(n->pdev->cfg[PCI_COMMAND] | n->pdev->cfg[PCI_COMMAND + 1] << 8);

	if (!(cmd & PCI_COMMAND_MEMORY) || !pci_device__bar_address(n->pdev, VIRTIO_PCI_BAR, base))
		return false;
	/* Sizing writes all-ones: such an address is outside the window and never routed to us. */
	return *base >= bus->mmio_base && *base - bus->mmio_base <= bus->mmio_size &&
	       VIRTIO_PCI_BAR_SIZE <= bus->mmio_base + bus->mmio_size - *base;
}

static bool touches(uint32_t off, uint32_t len, uint32_t start, uint32_t size)
{
	return off < start + size && start < off + len;
}

/* Registers, moves or removes the ioeventfds to match BAR0 and memory decoding now. */
static void follow_bar(struct vmm_virtio_notify *n)
{
	uint64_t base;
	bool on = bar_decodes(n, &base);

	if (n->mapped && on && base == n->base)
		return;
	unmap(n);
	if (on)
		map(n, base);
}

/* Runs under the device lock on a vCPU thread, after the device's own hook. */
static void cfg_hook(void *opaque, uint32_t off, uint32_t len, bool is_write)
{
	struct vmm_virtio_notify *n = opaque;

	if (n->inner_hook)
		n->inner_hook(n->inner_hook_opaque, off, len, is_write);
	if (is_write && (touches(off, len, PCI_COMMAND, 2) || touches(off, len, PCI_BAR0, 8)))
		follow_bar(n);
}

void vmm_virtio_notify__sync(struct vmm_virtio_notify *n)
{
	follow_bar(n);
}

static void bar_io(void *opaque, unsigned bar, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct vmm_virtio_notify *n = opaque;

	if (is_write && offset >= VIRTIO_PCI_NOTIFY_OFF &&
	    offset - VIRTIO_PCI_NOTIFY_OFF < (uint64_t)n->num_queues * VIRTIO_PCI_NOTIFY_MULT)
		atomic_fetch_add_explicit(&n->mmio_notifies, 1, memory_order_relaxed);
	n->inner_bar_io(n->inner_bar_opaque, bar, offset, data, len, is_write);
}

void vmm_virtio_notify__attach(struct vmm_virtio_notify *n, struct vmm *vm, struct vdev *dev)
{
	struct pci_device *pdev = vdev_pci(dev);

	*n = (struct vmm_virtio_notify){.vm = vm, .dev = dev, .pdev = pdev};
	while (n->num_queues < VDEV_MAX_QUEUES && vdev_queue_eventfd(dev, n->num_queues) >= 0)
		n->num_queues++;
	n->inner_hook = pdev->cfg_hook;
	n->inner_hook_opaque = pdev->cfg_hook_opaque;
	pdev->cfg_hook = cfg_hook;
	pdev->cfg_hook_opaque = n;
	n->inner_bar_io = pdev->bar[VIRTIO_PCI_BAR].io;
	n->inner_bar_opaque = pdev->bar[VIRTIO_PCI_BAR].opaque;
	pdev->bar[VIRTIO_PCI_BAR].io = bar_io;
	pdev->bar[VIRTIO_PCI_BAR].opaque = n;
}

void vmm_virtio_notify__detach(struct vmm_virtio_notify *n)
{
	/*
	 * The ioeventfds stay: the main thread's seccomp filter has no
	 * KVM_IOEVENTFD, and closing the VM fd releases them anyway (KVM holds
	 * its own reference to each eventfd, so closing the kick fds first is fine).
	 */
	if (!n->vm)
		return;
	if (n->vm->cfg->debug)
		fprintf(stderr, "cella-vmm: %s: %lu queue notifications took the MMIO exit\n", n->pdev->name,
			atomic_load(&n->mmio_notifies));
}
