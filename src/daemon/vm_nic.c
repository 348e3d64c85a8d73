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

/* The instance's leased address ("a.b.c.d/len", malloc'd); NULL + ENOENT when it has none. Lock held. */
static char *lease_locked(struct cellad *d, long long id, cella_err_t *err)
{
	json_t *lease = NULL;
	char *address = NULL;

	if (cellad_db_query_one(d->db, "SELECT address FROM network_leases WHERE instance_id = ?",
				DB_ARGS(DB_INT(id)), &lease, err) < 0)
		return NULL;
	if (lease == NULL) {
		cella_error_make(err, ENOENT, "no address lease on %s", CELLAD_NETWORK_NAME);
		return NULL;
	}
	address = strdup(json_string_value(json_object_get(lease, "address")) ?: "");
	json_decref(lease);
	if (address == NULL)
		cella_error_make(err, ENOMEM, "network lease");
	return address;
}

/* The leased address split into address and prefix (the database is not trusted blindly). */
static int lease_parse(const char *lease, struct cella_ipv4_cidr *c, char address[16], cella_err_t *err)
{
	if (cella_network_ipv4_cidr_parse("network_leases.address", lease, c, err) < 0)
		return -1;
	if (c->prefix < 8 || c->prefix > 30)
		return cella_error_make(err, EINVAL, "network_leases.address: %s has an unusable prefix",
					lease);
	cella_network_ipv4_format(c->address, address);
	return 0;
}

int cellad_vm_nic_identity(struct cellad *d, const char *name, struct cellad_vm_nic *nic, cella_err_t *err)
{
	_cleanup_free_ char *lease = NULL;
	struct cella_ipv4_cidr c;
	char address[16];
	json_t *config;
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
	/* The lease makes the VM one of the network's users and is the address its DHCP entry gives. */
	lease = lease_locked(d, id, err);
	if (lease == NULL && (*err)->errno_value == ENOENT) {
		cella_error_release(err);
		if (cellad_network_lease_locked(d, id, err) == 0)
			lease = lease_locked(d, id, err);
	}
	if (lease != NULL)
		ret = 0;
out:
	pthread_mutex_unlock(&d->lock);
	json_decref(config);
	/* dnsmasq (static mode) answers this MAC, and only it, with the leased address. */
	if (ret == 0 &&
	    (lease_parse(lease, &c, address, err) < 0 ||
	     cella_network_dhcp_host_set(CELLAD_NETWORK_NAME, NULL, name, nic->mac, address, err) < 0))
		ret = -1;
	return ret < 0 ? cella_error_wrap(err, "vm '%s': NIC", name) : 0;
}

int cellad_vm_nic_boot_ip(struct cellad *d, const char *name, char **out, cella_err_t *err)
{
	_cleanup_free_ char *lease = NULL;
	struct cella_ipv4_cidr c;
	char address[16], mask[16];
	long long id = 0;
	json_t *config;

	*out = NULL;
	if (!d->network)
		return 0;
	pthread_mutex_lock(&d->lock);
	config = load_config_locked(d, name, &id, err);
	if (config)
		lease = lease_locked(d, id, err);
	pthread_mutex_unlock(&d->lock);
	json_decref(config);
	if (lease == NULL || lease_parse(lease, &c, address, err) < 0)
		return cella_error_wrap(err, "vm '%s': boot ip=", name);
	cella_network_ipv4_format(0xFFFFFFFFu << (32 - c.prefix), mask);
	/* nfsroot.rst: ip=CLIENT:SERVER:GATEWAY:NETMASK:HOSTNAME:DEVICE:AUTOCONF:DNS0; the gateway runs
	 * the DNS server (dnsmasq). Instance names are valid host names. */
	if (asprintf(out, "ip=%s::%s:%s:%s:eth0:off:%s", address, CELLAD_NETWORK_GATEWAY, mask, name,
		     CELLAD_NETWORK_GATEWAY) < 0) {
		*out = NULL;
		return cella_error_make(err, ENOMEM, "boot ip=");
	}
	return 0;
}

/* Whether the command line has an ip= word of its own. */
static bool has_ip_param(const char *cmdline)
{
	for (const char *p = cmdline; (p = strstr(p, "ip=")) != NULL; p += 3) {
		if (p == cmdline || p[-1] == ' ' || p[-1] == '\t')
			return true;
	}
	return false;
}

int cellad_vm_nic_cmdline_add_ip(struct cellad *d, const char *name, char **cmdline, cella_err_t *err)
{
	_cleanup_free_ char *ip = NULL;
	char *joined;

	if (!d->network || (*cmdline && has_ip_param(*cmdline)))
		return 0;
	if (cellad_vm_nic_boot_ip(d, name, &ip, err) < 0)
		return -1;
	if (asprintf(&joined, "%s%s%s", *cmdline ?: "", *cmdline && **cmdline ? " " : "", ip) < 0)
		return cella_error_make(err, ENOMEM, "boot ip=");
	free(*cmdline);
	*cmdline = joined;
	return 0;
}

void cellad_vm_nic_forget(struct cellad *d, const char *name)
{
	cella_err_t err = NULL;

	if (!d->network)
		return;
	if (cella_network_dhcp_host_remove(CELLAD_NETWORK_NAME, NULL, name, &err) < 0) {
		fprintf(stderr, "cellad: vm %s: %s\n", name, cella_error_string(err));
		cella_error_release(&err);
	}
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
