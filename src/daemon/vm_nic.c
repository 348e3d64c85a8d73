// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A VM's NIC on the managed network: a stable identity kept in the instance's config in the
 * database, as Incus keeps it (volatile.eth0.hwaddr: 00:16:3e:xx:xx:xx, volatile.eth0.host_name: the
 * TAP's name), an address lease (so the network's used_by lists the VM), and the TAP itself,
 * enslaved to cellabr0 before the VMM starts and deleted when it has stopped.
 */
#include "vm_nic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <cella/cleanup.h>

#include "network.h"
#include "networks.h"

#define KEY_HWADDR "volatile.eth0.hwaddr"
#define KEY_TAP	   "volatile.eth0.host_name"

/* The instance's config (new reference) and id. Lock held. */
static json_t *load_config_locked(struct cellad *d, const char *name, long long *id, cella_err_t *err)
{
	json_t *row = NULL, *config;

	if (cellad_db_query_one(d->db, "SELECT id, config FROM instances WHERE name = ?",
				DB_ARGS(DB_TEXT(name)), &row, err) < 0)
		return NULL;
	if (row == NULL) {
		cella_error_make(err, ENOENT, "instance '%s' not found", name);
		return NULL;
	}
	if (id)
		*id = json_integer_value(json_object_get(row, "id"));
	config = json_loads(json_string_value(json_object_get(row, "config")) ?: "{}", 0, NULL);
	json_decref(row);
	if (!json_is_object(config)) {
		json_decref(config);
		cella_error_make(err, EINVAL, "instance '%s': its recorded config is not a JSON object",
				 name);
		return NULL;
	}
	return config;
}

static int store_config_locked(struct cellad *d, const char *name, json_t *config, cella_err_t *err)
{
	_cleanup_free_ char *text = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);

	if (text == NULL)
		return cella_error_make(err, ENOMEM, "instance config");
	return cellad_db_run(d->db, "UPDATE instances SET config = ? WHERE name = ?",
			     DB_ARGS(DB_TEXT(text), DB_TEXT(name)), NULL, err);
}

int cellad_vm_config_set(struct cellad *d, const char *name, const char *key, const char *value,
			 cella_err_t *err)
{
	json_t *config;
	int ret = -1;

	pthread_mutex_lock(&d->lock);
	config = load_config_locked(d, name, NULL, err);
	if (config && json_object_set_new(config, key, json_string(value)) == 0)
		ret = store_config_locked(d, name, config, err);
	pthread_mutex_unlock(&d->lock);
	json_decref(config);
	return ret;
}

/* A recorded value is used only when it is still well-formed: the database is not trusted blindly. */
static bool recorded_ok(json_t *config, const char *key, bool mac)
{
	const char *v = json_string_value(json_object_get(config, key));
	cella_err_t ignore = NULL;
	uint8_t bytes[6];
	int ret;

	if (v == NULL)
		return false;
	ret = mac ? cella_network_mac_parse(key, v, bytes, &ignore)
		  : cella_network_ifname_validate(key, v, &ignore);
	cella_error_release(&ignore);
	return ret == 0;
}

static int generate(json_t *config, cella_err_t *err)
{
	uint8_t r[7];
	char text[24];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return cella_error_sys(err, "random NIC identity");
	if (!recorded_ok(config, KEY_HWADDR, true)) {
		/* Incus's (Xen's) OUI: a MAC that says "a virtual NIC". */
		snprintf(text, sizeof(text), "00:16:3e:%02x:%02x:%02x", r[0], r[1], r[2]);
		json_object_set_new(config, KEY_HWADDR, json_string(text));
	}
	if (!recorded_ok(config, KEY_TAP, false)) {
		snprintf(text, sizeof(text), "ctap%02x%02x%02x%02x", r[3], r[4], r[5], r[6]);
		json_object_set_new(config, KEY_TAP, json_string(text));
	}
	return 0;
}

int cellad_vm_nic_identity(struct cellad *d, const char *name, struct cellad_vm_nic *nic, cella_err_t *err)
{
	json_t *config, *lease = NULL;
	long long id = 0;
	int ret = -1;

	pthread_mutex_lock(&d->lock);
	config = load_config_locked(d, name, &id, err);
	if (config == NULL)
		goto out;
	if (!recorded_ok(config, KEY_HWADDR, true) || !recorded_ok(config, KEY_TAP, false)) {
		if (generate(config, err) < 0 || store_config_locked(d, name, config, err) < 0)
			goto out;
	}
	snprintf(nic->mac, sizeof(nic->mac), "%s", json_string_value(json_object_get(config, KEY_HWADDR)));
	snprintf(nic->tap, sizeof(nic->tap), "%s", json_string_value(json_object_get(config, KEY_TAP)));
	/* The lease makes the VM one of the network's users; the guest configures the address itself. */
	if (cellad_db_query_one(d->db, "SELECT address FROM network_leases WHERE instance_id = ?",
				DB_ARGS(DB_INT(id)), &lease, err) < 0)
		goto out;
	if (lease == NULL && cellad_network_lease_locked(d, id, err) < 0)
		goto out;
	ret = 0;
out:
	pthread_mutex_unlock(&d->lock);
	json_decref(lease);
	json_decref(config);
	return ret < 0 ? cella_error_wrap(err, "vm '%s': NIC", name) : 0;
}

int cellad_vm_nic_recorded(struct cellad *d, const char *name, struct cellad_vm_nic *nic)
{
	cella_err_t ignore = NULL;
	json_t *config;
	int ret = -1;

	pthread_mutex_lock(&d->lock);
	config = load_config_locked(d, name, NULL, &ignore);
	pthread_mutex_unlock(&d->lock);
	cella_error_release(&ignore);
	if (config && recorded_ok(config, KEY_TAP, false) && recorded_ok(config, KEY_HWADDR, true)) {
		snprintf(nic->mac, sizeof(nic->mac), "%s",
			 json_string_value(json_object_get(config, KEY_HWADDR)));
		snprintf(nic->tap, sizeof(nic->tap), "%s",
			 json_string_value(json_object_get(config, KEY_TAP)));
		ret = 0;
	}
	json_decref(config);
	return ret;
}

int cellad_vm_tap_create(const struct cellad_vm_nic *nic, cella_err_t *err)
{
	char made[16];

	/* A TAP of ours left by a VMM that died with cellad down: replace it (a persistent TAP outlives
	 * its VMM). The name is this instance's own (generated, recorded), so it is no one else's. */
	if (cella_network_delete_link(nic->tap, err) < 0) {
		if ((*err)->errno_value != ENODEV)
			return cella_error_wrap(err, "remove the stale TAP %s", nic->tap);
		cella_error_release(err);
	}
	return cella_network_create_tap(CELLAD_NETWORK_NAME, nic->tap, made, NULL, err);
}

void cellad_vm_tap_remove(struct cellad *d, const char *name)
{
	struct cellad_vm_nic nic = {0};
	cella_err_t err = NULL;

	if (!d->network || cellad_vm_nic_recorded(d, name, &nic) < 0)
		return;
	if (cella_network_delete_link(nic.tap, &err) < 0) {
		if (err->errno_value != ENODEV)
			fprintf(stderr, "cellad: vm %s: %s\n", name, cella_error_string(err));
		cella_error_release(&err);
	}
}
