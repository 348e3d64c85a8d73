/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device state: one section "dev.NAME" per platform device that has state (a
 * save hook), and one "dev.virtio.N" per virtio device (snapshot/vdev_section.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "core/config.h"
#include "core/pci_glue.h"
#include "core/state.h"
#include "core/virtio_glue.h"
#include "snapshot/vdev_section.h"
#include "vdev/vdev.h"

static void dev_section_name(char *buf, size_t size, const char *dev)
{
	snprintf(buf, size, "dev.%s", dev);
}

static int save_virtio(struct vmm *vm, struct vmm_snapshot_writer *w, cella_err_t *err)
{
	struct vmm_virtio *v = vm->virtio;

	for (unsigned i = 0; i < vmm_virtio__count(vm); i++) {
		struct vdev *dev = v->dev[i];
		_cleanup_free_ struct vmm_vdev_section *sec = calloc(1, sizeof(*sec));
		_cleanup_free_ uint8_t *data = NULL;
		char name[VMM_SNAPSHOT_NAME_MAX + 1];
		size_t len;

		if (!sec)
			return cella_error_make(err, ENOMEM, "%s: device state", v->opts[i].what);
		snprintf(name, sizeof(name), VMM_VDEV_SECTION_PREFIX "%u", i);
		snprintf(sec->type, sizeof(sec->type), "%s", vdev_type(dev));
		sec->slot = (uint8_t)(vdev_pci(dev)->devfn >> 3);
		/* Live back-end values (resolved path, MAC in use) go into the kept options. */
		if (vdev_save_state(dev, &v->opts[i], &sec->transport, err) < 0)
			return cella_error_wrap(err, "%s", v->opts[i].what);
		sec->opts = v->opts[i]; /* borrowed for encoding */
		if (vmm_vdev_section__encode(sec, &data, &len, err) < 0 ||
		    vmm_snapshot__add_section(w, name, VMM_VDEV_SECTION_VERSION, data, len, err) < 0)
			return -1;
	}
	return 0;
}

/* The id a saved device goes by (the snapshot always records "id"). */
static const char *saved_id(const struct vdev_opts *o)
{
	for (unsigned i = 0; i < o->n; i++)
		if (!strcmp(o->opt[i].key, "id"))
			return o->opt[i].val;
	return "";
}

/* --restore-device ID:KEY=VALUE,...: replaces back-end options of the device with that id. */
static int apply_overrides(const struct vmm_config *cfg, struct vdev_opts *o, bool *used, cella_err_t *err)
{
	for (unsigned i = 0; i < cfg->noverrides; i++) {
		struct vdev_opts ov;
		char what[64];
		int r = 0;

		if (strcmp(cfg->overrides[i].id, saved_id(o)))
			continue;
		used[i] = true;
		snprintf(what, sizeof(what), "--restore-device %s", cfg->overrides[i].id);
		if (vdev_opts_parse(&ov, what, cfg->overrides[i].opts, err) < 0)
			return -1;
		for (unsigned k = 0; k < ov.n && r == 0; k++) {
			if (!strcmp(ov.opt[k].key, "id"))
				r = cella_error_make(err, 0, "%s: id: a restored device keeps its id",
						     ov.what);
			else
				r = vdev_opts_set(o, ov.opt[k].key, ov.opt[k].val, err);
		}
		vdev_opts_release(&ov);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int load_one_virtio(struct vmm *vm, const char *name, const void *data, size_t len, bool *used,
			   cella_err_t *err)
{
	_cleanup_free_ struct vmm_vdev_section *sec = calloc(1, sizeof(*sec));
	struct vmm_virtio *v = vm->virtio;
	struct vdev *dev;

	if (!sec)
		return cella_error_make(err, ENOMEM, "section %s", name);
	if (vmm_vdev_section__decode(name, data, len, sec, err) < 0)
		return -1;
	/* Messages name the section and the device: "dev.virtio.0 (disk0): path: cannot open ..." */
	snprintf(sec->opts.what, sizeof(sec->opts.what), "%s (%.16s)", name, saved_id(&sec->opts));
	if (apply_overrides(vm->cfg, &sec->opts, used, err) < 0) {
		vdev_opts_release(&sec->opts);
		return -1;
	}
	if (vmm_virtio__attach(vm, sec->type, sec->slot, &sec->opts, err) < 0)
		return -1;
	dev = v->dev[v->n - 1];
	if (vdev_load_state(dev, &sec->transport, err) < 0)
		return cella_error_wrap(err, "section %s", name);
	/* BAR0 and memory decoding came back with the config space: KVM catches kicks again. */
	vmm_virtio_notify__sync(&v->notify[v->n - 1]);
	return 0;
}

static int load_virtio(struct vmm *vm, const struct vmm_snapshot_reader *r, cella_err_t *err)
{
	bool used[VMM_CONFIG_MAX_OVERRIDES] = {false};

	for (unsigned i = 0; i < VMM_VIRTIO_MAX_DEVICES + 1; i++) {
		char name[VMM_SNAPSHOT_NAME_MAX + 1];
		uint32_t version;
		const void *data;
		size_t len;

		snprintf(name, sizeof(name), VMM_VDEV_SECTION_PREFIX "%u", i);
		if (vmm_snapshot__section(r, name, &version, &data, &len) < 0)
			break;
		if (i == VMM_VIRTIO_MAX_DEVICES)
			return cella_error_make(err, 0, "section %s: more than %d virtio devices", name,
						VMM_VIRTIO_MAX_DEVICES);
		if (version != VMM_VDEV_SECTION_VERSION)
			return cella_error_make(err, 0,
						"section %s: version %u, this cella-vmm reads version %u",
						name, version, VMM_VDEV_SECTION_VERSION);
		if (load_one_virtio(vm, name, data, len, used, err) < 0)
			return -1;
	}
	for (unsigned i = 0; i < vm->cfg->noverrides; i++)
		if (!used[i])
			return cella_error_make(
				err, 0, "--restore-device %s: the snapshot has no device with that id",
				vm->cfg->overrides[i].id);
	/* Devices sharing an IOAPIC pin: its level is the OR of theirs, recounted from the loaded state. */
	if (vm->pci)
		vmm_pci__intx_resync(vm->pci);
	return 0;
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
	return save_virtio(vm, w, err);
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
	return load_virtio(vm, r, err);
}
