/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ACPI fixed hardware (the FADT points here): PM1a event block (status,
 * write-1-to-clear; enable), PM1a control (SLP_EN with SLP_TYP 5 = S5 powers
 * off: exit status 0), GPE0 block (status W1C, enable), and the reset
 * register 0xCF9 (value 6: reset, exit status 0). The one event source is
 * the power button (the API's "shutdown"): PWRBTN_STS, and the SCI (IRQ 9,
 * level-triggered as ACPI wants) while an enabled status bit is set.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/state.h"
#include "core/vmm.h"
#include "platform/layout.h"

#define PM1_CNT_SCI_EN	   0x0001
#define PM1_CNT_SLP_TYP(v) (((v) >> 10) & 0x7)
#define RESET_REG_RST_CPU  0x04	  /* with SYS_RST (0x02): 6 is a full reset */
#define PM1_PWRBTN	   0x0100 /* PM1 status/enable: power button */

struct acpi_pm {
	struct vmm *vm;
	pthread_mutex_t lock;
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint16_t gpe0_sts, gpe0_en;
	bool sci;      /* level of the SCI line */
	int button_fd; /* eventfd: a power-button press for the device thread */
};

/* Caller holds the lock. The SCI is a level: asserted while any enabled event is pending. */
static void acpi_pm__update_sci(struct acpi_pm *p)
{
	bool level = (p->pm1_sts & p->pm1_en) || (p->gpe0_sts & p->gpe0_en);

	if (level != p->sci)
		vmm__irq_set(p->vm, PLATFORM_ACPI_SCI_IRQ, level);
	p->sci = level;
}

/*
 * The press is requested from the API thread, whose seccomp filter allows no
 * KVM ioctls: it only signals an eventfd, and the device thread raises the SCI.
 */
static void acpi_pm__power_button(struct vmm *vm)
{
	struct acpi_pm *p = vm->power_button_opaque;
	uint64_t one = 1;

	if (write(p->button_fd, &one, sizeof(one)) < 0)
		perror("cella-vmm: acpi power button eventfd");
}

static void acpi_pm__on_button(void *opaque, int fd, uint32_t events)
{
	struct acpi_pm *p = opaque;
	uint64_t presses;

	if (read(fd, &presses, sizeof(presses)) < 0)
		return;
	pthread_mutex_lock(&p->lock);
	p->pm1_sts |= PM1_PWRBTN;
	acpi_pm__update_sci(p);
	pthread_mutex_unlock(&p->lock);
}

/* A 16-bit register pair (status, enable) seen through a 1-, 2- or 4-byte access at offset. */
static void status_enable_io(uint16_t *sts, uint16_t *en, uint64_t offset, uint8_t *data, uint32_t len,
			     bool is_write)
{
	uint8_t regs[4];

	memcpy(&regs[0], sts, 2);
	memcpy(&regs[2], en, 2);
	if (offset >= 4 || len > 4 - offset) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (!is_write) {
		memcpy(data, &regs[offset], len);
		return;
	}
	for (uint32_t i = 0; i < len; i++) {
		uint64_t at = offset + i;

		if (at < 2)
			regs[at] &= (uint8_t)~data[i]; /* status: write 1 to clear */
		else
			regs[at] = data[i];
	}
	memcpy(sts, &regs[0], 2);
	memcpy(en, &regs[2], 2);
}

static void pm1_evt__io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct acpi_pm *p = opaque;

	pthread_mutex_lock(&p->lock);
	status_enable_io(&p->pm1_sts, &p->pm1_en, offset, data, len, is_write);
	acpi_pm__update_sci(p);
	pthread_mutex_unlock(&p->lock);
}

static void gpe0__io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct acpi_pm *p = opaque;

	pthread_mutex_lock(&p->lock);
	status_enable_io(&p->gpe0_sts, &p->gpe0_en, offset, data, len, is_write);
	acpi_pm__update_sci(p);
	pthread_mutex_unlock(&p->lock);
}

static void pm1_cnt__io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct acpi_pm *p = opaque;
	uint8_t regs[2];
	bool poweroff = false;

	pthread_mutex_lock(&p->lock);
	memcpy(regs, &p->pm1_cnt, 2);
	if (offset >= 2 || len > 2 - offset) {
		if (!is_write)
			memset(data, 0xff, len);
	} else if (!is_write) {
		memcpy(data, &regs[offset], len);
	} else {
		uint16_t v;

		memcpy(&regs[offset], data, len);
		memcpy(&v, regs, 2);
		/* SLP_EN is write-only (reads as 0); SCI_EN stays set: the guest is in ACPI mode from boot. */
		p->pm1_cnt = (uint16_t)((v & ~PLATFORM_ACPI_SLP_EN) | PM1_CNT_SCI_EN);
		poweroff = (v & PLATFORM_ACPI_SLP_EN) && PM1_CNT_SLP_TYP(v) == PLATFORM_ACPI_SLP_TYP_S5;
	}
	pthread_mutex_unlock(&p->lock);
	if (poweroff)
		vmm__request_stop(p->vm, VMM_STOP_POWEROFF, VMM_EXIT_OK);
}

static void reset__io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct acpi_pm *p = opaque;

	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	if (data[0] & RESET_REG_RST_CPU) {
		fprintf(stderr, "cella-vmm: guest requested a reset through port 0xcf9\n");
		vmm__request_stop(p->vm, VMM_STOP_RESET, VMM_EXIT_OK);
	}
}

static void acpi_pm__exit(struct vmm *vm, void *state)
{
	struct acpi_pm *p = state;

	if (vm->power_button_opaque == p) {
		vm->power_button = NULL;
		vm->power_button_opaque = NULL;
	}
	if (p->button_fd >= 0)
		close(p->button_fd);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static void *acpi_pm__init(struct vmm *vm, cella_err_t *err)
{
	struct acpi_pm *p = calloc(1, sizeof(*p));

	if (!p) {
		cella_error_make(err, ENOMEM, "acpi-pm");
		return NULL;
	}
	p->vm = vm;
	p->pm1_cnt = PM1_CNT_SCI_EN;
	pthread_mutex_init(&p->lock, NULL);
	p->button_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->button_fd < 0) {
		cella_error_sys(err, "acpi-pm: eventfd");
		acpi_pm__exit(vm, p);
		return NULL;
	}
	if (vmm_bus__register(&vm->pio, PLATFORM_ACPI_PM1A_EVT_PORT, PLATFORM_ACPI_PM1_EVT_LEN,
			      "acpi pm1a_evt", pm1_evt__io, p, err) < 0 ||
	    vmm_bus__register(&vm->pio, PLATFORM_ACPI_PM1A_CNT_PORT, PLATFORM_ACPI_PM1_CNT_LEN,
			      "acpi pm1a_cnt", pm1_cnt__io, p, err) < 0 ||
	    vmm_bus__register(&vm->pio, PLATFORM_ACPI_GPE0_PORT, PLATFORM_ACPI_GPE0_LEN, "acpi gpe0",
			      gpe0__io, p, err) < 0 ||
	    vmm_bus__register(&vm->pio, PLATFORM_ACPI_RESET_PORT, 1, "acpi reset", reset__io, p, err) < 0 ||
	    vmm_evloop__add(&vm->evloop, p->button_fd, EPOLLIN, acpi_pm__on_button, p, err) < 0) {
		acpi_pm__exit(vm, p);
		return NULL;
	}
	vm->power_button_opaque = p;
	vm->power_button = acpi_pm__power_button;
	return p;
}

/* State version 1: PM1 status, enable, control, GPE0 status, enable (u16 each), the SCI level (u8). */
#define ACPI_PM_STATE_VERSION 1U

static int acpi_pm__save(struct vmm *vm, void *state, struct vmm_state_buf *out, cella_err_t *err)
{
	struct acpi_pm *p = state;

	pthread_mutex_lock(&p->lock);
	vmm_state_buf__put16(out, p->pm1_sts);
	vmm_state_buf__put16(out, p->pm1_en);
	vmm_state_buf__put16(out, p->pm1_cnt);
	vmm_state_buf__put16(out, p->gpe0_sts);
	vmm_state_buf__put16(out, p->gpe0_en);
	vmm_state_buf__put8(out, p->sci);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static int acpi_pm__load(struct vmm *vm, void *state, uint32_t version, const void *data, size_t len,
			 cella_err_t *err)
{
	struct acpi_pm *p = state;
	struct vmm_state_reader r = {.data = data, .len = len};
	uint16_t v[5];
	bool sci;

	if (version != ACPI_PM_STATE_VERSION)
		return cella_error_make(err, 0, "acpi-pm state version %u, this cella-vmm reads version %u",
					version, ACPI_PM_STATE_VERSION);
	for (unsigned i = 0; i < 5; i++)
		v[i] = vmm_state_reader__get16(&r);
	sci = vmm_state_reader__get8(&r) != 0;
	if (vmm_state_reader__finish(&r, "dev.acpi-pm", err) < 0)
		return -1;
	pthread_mutex_lock(&p->lock);
	p->pm1_sts = v[0];
	p->pm1_en = v[1];
	p->pm1_cnt = v[2];
	p->gpe0_sts = v[3];
	p->gpe0_en = v[4];
	/* The SCI's level lives in the restored irqchip already; only the device's view of it is needed. */
	p->sci = sci;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static struct vmm_device_desc acpi_pm_device = {.name = "acpi-pm",
						.init = acpi_pm__init,
						.exit = acpi_pm__exit,
						.state_version = ACPI_PM_STATE_VERSION,
						.save = acpi_pm__save,
						.load = acpi_pm__load};
VMM_DEVICE_REGISTER(acpi_pm_device)
