/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/pci_glue.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/vmm.h"
#include "platform/layout.h"

#define CONF1_PORTS 8
#define RESET_PORT  0xCF9

/*
 * The reset register 0xCF9 sits inside the conf1 ports, and a bus range may
 * not overlap another, so the bridge takes over the one-byte range its owner
 * (the ACPI PM device) registered and forwards that byte to it.
 */
static void take_reset_port(struct vmm_pci *pci)
{
	struct vmm_bus *bus = &pci->vm->pio;

	pthread_rwlock_wrlock(&bus->lock);
	for (unsigned i = 0; i < bus->nranges; i++) {
		struct vmm_bus_range *r = &bus->ranges[i];

		if (r->base != RESET_PORT || r->len != 1)
			continue;
		pci->reset_io = r->io;
		pci->reset_opaque = r->opaque;
		memmove(r, r + 1, (bus->nranges - i - 1) * sizeof(*r));
		bus->nranges--;
		break;
	}
	pthread_rwlock_unlock(&bus->lock);
}

static void conf1__io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct vmm_pci *pci = opaque;

	if (pci_bus__conf1_access(&pci->bus, off, data, len, is_write))
		return;
	if (off == RESET_PORT - PLATFORM_PCI_CONF1_PORT && len == 1 && pci->reset_io) {
		pci->reset_io(pci->reset_opaque, 0, data, len, is_write);
		return;
	}
	if (!is_write)
		memset(data, 0xff, len);
}

/* ---- MSI delivery: the KVM side of pci/msi_routes.h ---- */

#define IOAPIC_PINS 24
#define PIC_PINS    16 /* GSIs 0-15 also reach the master (0-7) and slave (8-15) 8259 */

/*
 * KVM_SET_GSI_ROUTING replaces the whole table, so it carries again what KVM
 * installs by default with the irqchip (virt/kvm/irqchip.c default_routing):
 * GSI n -> IOAPIC pin n for 0-23, and GSI n -> PIC pin n % 8 for 0-15.
 * Without them KVM_IRQ_LINE (serial, RTC, the SCI, PCI INTx) and the PIT
 * would reach nothing.
 */
static int kvm_set_routes(void *opaque, const struct msi_route *routes, unsigned n)
{
	struct vmm *vm = opaque;
	unsigned total = IOAPIC_PINS + PIC_PINS + n, i = 0;
	struct kvm_irq_routing *table =
		calloc(1, sizeof(*table) + total * sizeof(struct kvm_irq_routing_entry));
	int r;

	if (!table)
		return -1;
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		table->entries[i++] = (struct kvm_irq_routing_entry){
			.gsi = pin, .type = KVM_IRQ_ROUTING_IRQCHIP, .u.irqchip = {KVM_IRQCHIP_IOAPIC, pin}};
		if (pin < PIC_PINS)
			table->entries[i++] = (struct kvm_irq_routing_entry){
				.gsi = pin,
				.type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = {pin < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
					      pin % 8}};
	}
	for (unsigned k = 0; k < n; k++)
		table->entries[i++] = (struct kvm_irq_routing_entry){
			.gsi = routes[k].gsi,
			.type = KVM_IRQ_ROUTING_MSI,
			.u.msi = {.address_lo = (uint32_t)routes[k].addr,
				  .address_hi = (uint32_t)(routes[k].addr >> 32),
				  .data = routes[k].data}};
	table->nr = i;
	r = ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, table);
	if (r < 0)
		perror("cella-vmm: KVM_SET_GSI_ROUTING");
	free(table);
	return r < 0 ? -1 : 0;
}

static int kvm_bind(void *opaque, uint32_t gsi)
{
	struct vmm *vm = opaque;
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct kvm_irqfd irqfd = {.gsi = gsi};

	if (fd < 0) {
		perror("cella-vmm: eventfd for an irqfd");
		return -1;
	}
	irqfd.fd = (uint32_t)fd;
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		perror("cella-vmm: KVM_IRQFD");
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Closing the eventfd is enough: KVM sees the hang-up and drops the irqfd
 * (and the VM fd goes right after). No KVM_IRQFD deassign, which the main
 * thread's seccomp filter, where this runs at the end, does not allow.
 */
static void kvm_unbind(void *opaque, uint32_t gsi, int fd)
{
	close(fd);
}

static int kvm_fire(void *opaque, int fd)
{
	uint64_t one = 1;

	/* EAGAIN: the counter is saturated, so the interrupt is pending anyway. */
	if (write(fd, &one, sizeof(one)) == (ssize_t)sizeof(one) || errno == EAGAIN)
		return 0;
	return -1;
}

static void kvm_signal_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct vmm *vm = opaque;
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32), .data = data};

	/* A return of 0 means the guest blocked it (e.g. masked in the LAPIC): nothing to report. */
	if (ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
		perror("cella-vmm: KVM_SIGNAL_MSI");
}

static void kvm_log(void *opaque, const char *msg)
{
	fprintf(stderr, "cella-vmm: %s\n", msg);
}

static const struct msi_backend kvm_msi_backend = {
	.set_routes = kvm_set_routes,
	.bind = kvm_bind,
	.unbind = kvm_unbind,
	.fire = kvm_fire,
	.signal = kvm_signal_msi,
	.log = kvm_log,
};

/* How many MSI routes this KVM takes beyond the default ones; 0: no irqfd path. */
static unsigned kvm_msi_route_room(const struct vmm *vm)
{
	int max;

	if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) <= 0)
		return 0;
	/* The most entries (and the GSI bound) KVM_SET_GSI_ROUTING takes; the default routes use 40. */
	max = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING);
	if (max <= IOAPIC_PINS + PIC_PINS)
		return 0;
	return (unsigned)max - (IOAPIC_PINS + PIC_PINS);
}

void vmm_pci__msi_send(void *opaque, uint64_t addr, uint32_t data)
{
	const struct vmm_pci_irq *line = opaque;
	struct vmm *vm = line->vm;

	if (vm->vm_fd < 0 || !vm->pci)
		return;
	msi_routes__send(&vm->pci->msi, addr, data);
}

static void msi_retire(void *opaque, uint64_t addr, uint32_t data)
{
	const struct vmm_pci_irq *line = opaque;

	if (line->vm->pci)
		msi_routes__retire(&line->vm->pci->msi, addr, data);
}

static void drive_pin(void *opaque, unsigned pin, bool level)
{
	vmm__irq_set(opaque, pin, level);
}

void vmm_pci__intx(void *opaque, bool level)
{
	const struct vmm_pci_irq *line = opaque;

	if (line->vm->pci)
		pci_intx_lines__set(&line->vm->pci->intx, line->irq, level, drive_pin, line->vm);
}

void vmm_pci__intx_resync(struct vmm_pci *pci)
{
	unsigned pins[PCI_MAX_SLOTS * PCI_MAX_FUNCS], n = 0;
	bool levels[PCI_MAX_SLOTS * PCI_MAX_FUNCS];

	for (unsigned i = 0; i < PCI_MAX_SLOTS * PCI_MAX_FUNCS; i++) {
		struct pci_device *dev = pci->bus.dev[i];
		const struct vmm_pci_irq *line;

		if (!dev || dev->intx != vmm_pci__intx)
			continue;
		line = dev->intx_opaque;
		pci_device__lock(dev);
		levels[n] = pci_device__intx_effective(dev);
		pci_device__unlock(dev);
		pins[n++] = line->irq;
	}
	pci_intx_lines__resync(&pci->intx, pins, levels, n, drive_pin, pci->vm);
}

/* An Intel host bridge (class 06 00 00) without BARs or interrupts, the ID Firecracker and Cloud Hypervisor use. */
static const struct pci_device_id host_bridge_id = {
	.vendor = 0x8086,
	.device = 0x0d57,
	.subsys_vendor = 0x8086,
	.subsys = 0x0d57,
	.class_code = 0x060000,
};

int vmm_pci__create(struct vmm *vm, struct vmm_pci **out, cella_err_t *err)
{
	struct vmm_pci *pci = calloc(1, sizeof(*pci));
	unsigned msi_room = vm->vm_fd >= 0 ? kvm_msi_route_room(vm) : 0;

	*out = NULL;
	if (!pci)
		return cella_error_make(err, ENOMEM, "pci");
	pci->vm = vm;
	/* No I/O window: virtio-pci modern devices need memory BARs only. */
	pci_bus__init(&pci->bus, PLATFORM_PCI_MMIO32_BASE, PLATFORM_PCI_MMIO32_SIZE, 0, 0);
	pci->bus.msi_retire = msi_retire;
	msi_routes__init(&pci->msi, &kvm_msi_backend, vm, msi_room > 0, msi_room);
	pci_intx_lines__init(&pci->intx);
	take_reset_port(pci);
	if (pci_device__init(&pci->host_bridge, "host bridge", &host_bridge_id, err) < 0 ||
	    pci_bus__register(&pci->bus, &pci->host_bridge, 0, 0, err) < 0 ||
	    vmm_bus__register(&vm->pio, PLATFORM_PCI_CONF1_PORT, CONF1_PORTS, "pci conf1", conf1__io, pci,
			      err) < 0 ||
	    vmm_bus__register(&vm->mmio, PLATFORM_PCI_ECAM_BASE, PLATFORM_PCI_ECAM_SIZE, "pci ecam",
			      pci_bus__ecam_io, &pci->bus, err) < 0 ||
	    vmm_bus__register(&vm->mmio, PLATFORM_PCI_MMIO32_BASE, PLATFORM_PCI_MMIO32_SIZE, "pci mmio32",
			      pci_bus__mmio_io, &pci->bus, err) < 0) {
		msi_routes__destroy(&pci->msi);
		pci_intx_lines__destroy(&pci->intx);
		pci_device__destroy(&pci->host_bridge);
		free(pci);
		return cella_error_wrap(err, "pci host bridge");
	}
	*out = pci;
	return 0;
}

void vmm_pci__destroy(struct vmm_pci *pci)
{
	struct msi_routes_stats st;

	if (!pci)
		return;
	msi_routes__stats(&pci->msi, &st);
	/* What tests read to see which path interrupts took (tests/integration/vmm_irq.sh). */
	if (pci->vm->cfg && pci->vm->cfg->debug)
		fprintf(stderr,
			"cella-vmm: debug: MSI: %" PRIu64 " through irqfds, %" PRIu64
			" through KVM_SIGNAL_MSI; %u routes (%u reused), %" PRIu64 " routing updates%s\n",
			st.irqfd, st.fallback, st.routes, st.reused, st.updates,
			st.irqfd_disabled ? "; irqfd path off" : "");
	msi_routes__destroy(&pci->msi);
	pci_intx_lines__destroy(&pci->intx);
	pci_device__destroy(&pci->host_bridge);
	free(pci);
}
