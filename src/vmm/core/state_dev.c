/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Device state: one section "dev.NAME" per device that has state (a save hook). */
#include <stdio.h>

#include "core/state.h"

static void dev_section_name(char *buf, size_t size, const char *dev)
{
	snprintf(buf, size, "dev.%s", dev);
}

int vmm_state_dev__save(struct vmm *vm, struct vmm_snapshot_writer *w, cella_err_t *err)
{
	for (unsigned i = 0; i < vm->ndevices; i++) {
		const struct vmm_device_desc *d = vm->devices[i].desc;
		struct vmm_state_buf buf = {0};
		char name[VMM_SNAPSHOT_NAME_MAX + 1];
		int r;

		if (!d->save)
			continue;
		dev_section_name(name, sizeof(name), d->name);
		r = d->save(vm, vm->devices[i].state, &buf, err);
		if (r == 0 && buf.failed)
			r = cella_error_make(err, 0, "device %s: out of memory saving its state", d->name);
		if (r == 0)
			r = vmm_snapshot__add_section(w, name, d->state_version, buf.data, buf.len, err);
		vmm_state_buf__release(&buf);
		if (r < 0)
			return cella_error_wrap(err, "device %s", d->name);
	}
	return 0;
}

int vmm_state_dev__load(struct vmm *vm, const struct vmm_snapshot_reader *r, cella_err_t *err)
{
	for (unsigned i = 0; i < vm->ndevices; i++) {
		const struct vmm_device_desc *d = vm->devices[i].desc;
		char name[VMM_SNAPSHOT_NAME_MAX + 1];
		uint32_t version;
		const void *data;
		size_t len;

		if (!d->load)
			continue;
		dev_section_name(name, sizeof(name), d->name);
		if (vmm_snapshot__section(r, name, &version, &data, &len) < 0)
			return cella_error_make(err, 0, "section %s: missing (device %s)", name, d->name);
		if (d->load(vm, vm->devices[i].state, version, data, len, err) < 0)
			return cella_error_wrap(err, "section %s", name);
	}
	return 0;
}
