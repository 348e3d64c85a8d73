// SPDX-License-Identifier: GPL-2.0-or-later
/* Encoding and decoding of dev.virtio.N snapshot sections (docs/snapshots.md, "Virtio devices"). */
#include "snapshot/vdev_section.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/state.h"
#include "vdev/vdev.h"

static void put_str(struct vmm_state_buf *b, const char *s)
{
	size_t n = strlen(s);

	vmm_state_buf__put16(b, (uint16_t)n);
	vmm_state_buf__put_bytes(b, s, n);
}

static void put_queue(struct vmm_state_buf *b, const struct virtio_queue_state *q)
{
	vmm_state_buf__put16(b, q->size);
	vmm_state_buf__put16(b, q->msix_vector);
	vmm_state_buf__put8(b, q->enabled);
	vmm_state_buf__put64(b, q->desc);
	vmm_state_buf__put64(b, q->driver);
	vmm_state_buf__put64(b, q->device);
	vmm_state_buf__put16(b, q->last_avail);
	vmm_state_buf__put16(b, q->used_idx);
	vmm_state_buf__put16(b, q->signalled_used);
	vmm_state_buf__put8(b, q->signalled_valid);
	vmm_state_buf__put8(b, q->broken);
	vmm_state_buf__put32(b, q->epoch);
}

static void put_transport(struct vmm_state_buf *b, const struct virtio_pci_state *t)
{
	vmm_state_buf__put_bytes(b, t->cfg, sizeof(t->cfg));
	vmm_state_buf__put8(b, t->intx_level);
	vmm_state_buf__put16(b, t->msix_nvec);
	vmm_state_buf__put_bytes(b, t->msix_table, (size_t)t->msix_nvec * PCI_MSIX_ENTRY_SIZE);
	vmm_state_buf__put64(b, t->msix_pba);
	vmm_state_buf__put64(b, t->device_features);
	vmm_state_buf__put64(b, t->driver_features);
	vmm_state_buf__put32(b, t->device_feature_select);
	vmm_state_buf__put32(b, t->driver_feature_select);
	vmm_state_buf__put16(b, t->config_msix_vector);
	vmm_state_buf__put16(b, t->queue_select);
	vmm_state_buf__put8(b, t->status);
	vmm_state_buf__put8(b, t->config_generation);
	vmm_state_buf__put8(b, t->isr);
	vmm_state_buf__put16(b, t->num_queues);
	for (unsigned q = 0; q < t->num_queues; q++)
		put_queue(b, &t->queue[q]);
}

int vmm_vdev_section__encode(const struct vmm_vdev_section *s, uint8_t **out, size_t *len, cella_err_t *err)
{
	struct vmm_state_buf b = {0};

	*out = NULL;
	*len = 0;
	if (s->transport.msix_nvec > VIRTIO_STATE_MAX_VECTORS ||
	    s->transport.num_queues > VIRTIO_STATE_MAX_QUEUES)
		return cella_error_make(err, 0, "%s: transport larger than a section holds", s->opts.what);
	vmm_state_buf__put8(&b, s->slot);
	put_str(&b, s->type);
	vmm_state_buf__put16(&b, (uint16_t)s->opts.n);
	for (unsigned i = 0; i < s->opts.n; i++) {
		if (strlen(s->opts.opt[i].key) > VMM_VDEV_OPT_KEY_MAX ||
		    strlen(s->opts.opt[i].val) > VMM_VDEV_OPT_VAL_MAX) {
			vmm_state_buf__release(&b);
			return cella_error_make(err, 0, "%s: option %s too long for a snapshot", s->opts.what,
						s->opts.opt[i].key);
		}
		put_str(&b, s->opts.opt[i].key);
		put_str(&b, s->opts.opt[i].val);
	}
	put_transport(&b, &s->transport);
	if (b.failed) {
		vmm_state_buf__release(&b);
		return cella_error_make(err, ENOMEM, "%s: encoding the device state", s->opts.what);
	}
	*out = b.data;
	*len = b.len;
	return 0;
}

/* ---- decoding ---- */

/* A string of at most max bytes, no NUL inside; NULL (and short_read or *bad set) otherwise. */
static char *get_str(struct vmm_state_reader *r, size_t max, bool *bad)
{
	uint16_t n = vmm_state_reader__get16(r);
	char *s;

	if (r->short_read)
		return NULL;
	if (n > max || r->len - r->off < n) {
		*bad = true;
		return NULL;
	}
	s = malloc((size_t)n + 1);
	if (!s)
		return NULL;
	vmm_state_reader__get_bytes(r, s, n);
	s[n] = '\0';
	if (strlen(s) != n) {
		free(s);
		*bad = true;
		return NULL;
	}
	return s;
}

static bool valid_key(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '_' || *k == '-'))
			return false;
	return true;
}

static bool get_bool(struct vmm_state_reader *r, bool *bad)
{
	uint8_t v = vmm_state_reader__get8(r);

	if (v > 1)
		*bad = true;
	return v == 1;
}

static void get_queue(struct vmm_state_reader *r, struct virtio_queue_state *q, bool *bad)
{
	q->size = vmm_state_reader__get16(r);
	q->msix_vector = vmm_state_reader__get16(r);
	q->enabled = get_bool(r, bad);
	q->desc = vmm_state_reader__get64(r);
	q->driver = vmm_state_reader__get64(r);
	q->device = vmm_state_reader__get64(r);
	q->last_avail = vmm_state_reader__get16(r);
	q->used_idx = vmm_state_reader__get16(r);
	q->signalled_used = vmm_state_reader__get16(r);
	q->signalled_valid = get_bool(r, bad);
	q->broken = get_bool(r, bad);
	q->epoch = vmm_state_reader__get32(r);
}

static int get_transport(struct vmm_state_reader *r, const char *name, struct virtio_pci_state *t,
			 cella_err_t *err)
{
	bool bad = false;

	vmm_state_reader__get_bytes(r, t->cfg, sizeof(t->cfg));
	t->intx_level = get_bool(r, &bad);
	t->msix_nvec = vmm_state_reader__get16(r);
	if (t->msix_nvec > VIRTIO_STATE_MAX_VECTORS)
		return cella_error_make(err, 0, "section %s: %u MSI-X vectors (at most %u)", name,
					t->msix_nvec, VIRTIO_STATE_MAX_VECTORS);
	vmm_state_reader__get_bytes(r, t->msix_table, (size_t)t->msix_nvec * PCI_MSIX_ENTRY_SIZE);
	t->msix_pba = vmm_state_reader__get64(r);
	t->device_features = vmm_state_reader__get64(r);
	t->driver_features = vmm_state_reader__get64(r);
	t->device_feature_select = vmm_state_reader__get32(r);
	t->driver_feature_select = vmm_state_reader__get32(r);
	t->config_msix_vector = vmm_state_reader__get16(r);
	t->queue_select = vmm_state_reader__get16(r);
	t->status = vmm_state_reader__get8(r);
	t->config_generation = vmm_state_reader__get8(r);
	t->isr = vmm_state_reader__get8(r);
	t->num_queues = vmm_state_reader__get16(r);
	if (t->num_queues > VIRTIO_STATE_MAX_QUEUES)
		return cella_error_make(err, 0, "section %s: %u queues (at most %u)", name, t->num_queues,
					VIRTIO_STATE_MAX_QUEUES);
	for (unsigned q = 0; q < t->num_queues; q++)
		get_queue(r, &t->queue[q], &bad);
	if (bad)
		return cella_error_make(err, 0, "section %s: a flag byte is neither 0 nor 1", name);
	return 0;
}

static int get_opts(struct vmm_state_reader *r, const char *name, struct vdev_opts *o, cella_err_t *err)
{
	unsigned n = vmm_state_reader__get16(r);

	if (n > VDEV_OPTS_MAX)
		return cella_error_make(err, 0, "section %s: %u back-end options (at most %d)", name, n,
					VDEV_OPTS_MAX);
	for (unsigned i = 0; i < n && !r->short_read; i++) {
		bool bad = false;
		char *key = get_str(r, VMM_VDEV_OPT_KEY_MAX, &bad);
		char *val = key ? get_str(r, VMM_VDEV_OPT_VAL_MAX, &bad) : NULL;

		if (!val) {
			free(key);
			if (r->short_read)
				break;
			return cella_error_make(err, bad ? 0 : ENOMEM, "section %s: option %u: %s", name, i,
						bad ? "bad string" : "out of memory");
		}
		if (!valid_key(key) || vdev_opts_has(o, key)) {
			int ret = cella_error_make(err, 0, "section %s: option name '%s' invalid or repeated",
						   name, key);

			free(key);
			free(val);
			return ret;
		}
		o->opt[o->n++] = (struct vdev_opt){.key = key, .val = val};
	}
	return 0;
}

int vmm_vdev_section__decode(const char *name, const void *data, size_t len, struct vmm_vdev_section *s,
			     cella_err_t *err)
{
	struct vmm_state_reader r = {.data = data, .len = len};
	bool bad = false;
	char *type;

	memset(s, 0, sizeof(*s));
	snprintf(s->opts.what, sizeof(s->opts.what), "%s", name);
	s->slot = vmm_state_reader__get8(&r);
	type = get_str(&r, VMM_VDEV_TYPE_MAX, &bad);
	if (!type && !r.short_read)
		return cella_error_make(err, bad ? 0 : ENOMEM, "section %s: device type: %s", name,
					bad ? "bad string" : "out of memory");
	if (type) {
		snprintf(s->type, sizeof(s->type), "%s", type);
		free(type);
		if (!vdev_type_known(s->type))
			return cella_error_make(err, 0, "section %s: unknown device type '%s'", name,
						s->type);
	}
	if (!r.short_read && (s->slot < 1 || s->slot >= PCI_MAX_SLOTS))
		return cella_error_make(err, 0, "section %s: PCI slot %u out of range", name, s->slot);
	if ((!r.short_read && get_opts(&r, name, &s->opts, err) < 0) ||
	    (!r.short_read && get_transport(&r, name, &s->transport, err) < 0) ||
	    vmm_state_reader__finish(&r, name, err) < 0) {
		vdev_opts_release(&s->opts);
		return -1;
	}
	return 0;
}
