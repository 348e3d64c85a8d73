// SPDX-License-Identifier: GPL-2.0-or-later
/* The managed network: bridge set-up at start, the address pool, container ports, the API object. */
#include "networks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "network.h"

/* DHCP for VMs (static host entries, written by vm_nic.c); containers get their address directly. */
static int dhcp_setup(cella_err_t *err)
{
	if (cella_network_dhcp_static_start(CELLAD_NETWORK_NAME, CELLAD_NETWORK_CIDR, NULL, err) == 0)
		return 0;
	if ((*err)->errno_value != ENOENT)
		return cella_error_wrap(err, "--network default: DHCP");
	/* Without dnsmasq a VM still learns its address from the kernel's ip= parameter. */
	fprintf(stderr, "cellad: %s; VMs get no DHCP, only ip= on their kernel command line\n",
		cella_error_string(*err));
	cella_error_release(err);
	return 0;
}

int cellad_network_setup(struct cellad *d, cella_err_t *err)
{
	struct cella_network_config c = {
		.name = CELLAD_NETWORK_NAME,
		.ipv4_cidr = CELLAD_NETWORK_CIDR,
		.nat = true,
	};
	json_t *existing;

	if (!d->network)
		return 0;
	/* Idempotent: a bridge left by an earlier cellad (it outlives us, as containers do) is kept. */
	existing = cella_network_describe(CELLAD_NETWORK_NAME, NULL, err);
	if (existing) {
		json_decref(existing);
		return dhcp_setup(err);
	}
	if ((*err)->errno_value != ENODEV)
		return cella_error_wrap(err, "--network default");
	cella_error_release(err);
	if (cella_network_create(&c, err) < 0)
		return cella_error_wrap(err, "--network default: create bridge %s (%s)", CELLAD_NETWORK_NAME,
					CELLAD_NETWORK_CIDR);
	return dhcp_setup(err);
}

int cellad_network_lease_locked(struct cellad *d, long long instance_id, cella_err_t *err)
{
	_cleanup_free_ uint32_t *used = NULL;
	json_t *rows = NULL, *row;
	char address[32];
	size_t i, n = 0;
	int ret = -1;

	if (cellad_db_query(d->db, "SELECT address FROM network_leases WHERE network = ?",
			    DB_ARGS(DB_TEXT(CELLAD_NETWORK_NAME)), &rows, err) < 0)
		return -1;
	used = calloc(json_array_size(rows) + 1, sizeof(*used));
	if (used == NULL) {
		cella_error_make(err, ENOMEM, "network lease");
		goto out;
	}
	json_array_foreach (rows, i, row) {
		struct cella_ipv4_cidr c;

		/* Rows are ours, but a database edited by hand must not poison the pool: skip bad ones. */
		if (cella_network_ipv4_cidr_parse("network_leases.address",
						  json_string_value(json_object_get(row, "address")), &c,
						  err) < 0) {
			cella_error_release(err);
			continue;
		}
		used[n++] = c.address;
	}
	if (cella_network_allocate_ipv4(CELLAD_NETWORK_CIDR, used, n, address, err) < 0) {
		cella_error_wrap(err, "network %s", CELLAD_NETWORK_NAME);
		goto out;
	}
	ret = cellad_db_run(
		d->db, "INSERT INTO network_leases (instance_id, network, address) VALUES (?, ?, ?)",
		DB_ARGS(DB_INT(instance_id), DB_TEXT(CELLAD_NETWORK_NAME), DB_TEXT(address)), NULL, err);
out:
	json_decref(rows);
	return ret;
}

/* The instance's address ("a.b.c.d/len", malloc'd), leasing one first if it has none. */
static char *instance_address(struct cellad *d, const char *name, cella_err_t *err)
{
	const char *sql = "SELECT i.id, l.address FROM instances i LEFT JOIN network_leases l ON "
			  "l.instance_id = i.id WHERE i.name = ?";
	json_t *row = NULL;
	char *address = NULL;

	pthread_mutex_lock(&d->lock);
	if (cellad_db_query_one(d->db, sql, DB_ARGS(DB_TEXT(name)), &row, err) < 0)
		goto out;
	if (row == NULL) {
		cella_error_make(err, ENOENT, "instance '%s' not found", name);
		goto out;
	}
	if (!json_is_string(json_object_get(row, "address"))) {
		long long id = json_integer_value(json_object_get(row, "id"));

		json_decref(row);
		row = NULL;
		if (cellad_network_lease_locked(d, id, err) < 0 ||
		    cellad_db_query_one(d->db, sql, DB_ARGS(DB_TEXT(name)), &row, err) < 0)
			goto out;
	}
	address = strdup(json_string_value(json_object_get(row, "address")) ?: "");
	if (address == NULL)
		cella_error_make(err, ENOMEM, "network lease");
out:
	pthread_mutex_unlock(&d->lock);
	json_decref(row);
	return address;
}

int cellad_network_attach(struct cellad *d, const char *name, pid_t pid, cella_err_t *err)
{
	_cleanup_free_ char *address = NULL;
	char host_ifname[16];

	if (!d->network)
		return 0;
	address = instance_address(d, name, err);
	if (address == NULL)
		return cella_error_wrap(err, "network %s", CELLAD_NETWORK_NAME);
	/* The host end needs no record: it dies with the container's network namespace. */
	if (cella_network_attach_container(CELLAD_NETWORK_NAME, pid, "eth0", NULL, address,
					   CELLAD_NETWORK_GATEWAY, host_ifname, err) < 0)
		return cella_error_wrap(err, "attach '%s' to network %s", name, CELLAD_NETWORK_NAME);
	return 0;
}

json_t *cellad_network_json(struct cellad *d, const char *name, cella_err_t *err)
{
	json_t *rows = NULL, *row, *used_by, *leases, *state;
	size_t i;

	if (!d->network || strcmp(name, CELLAD_NETWORK_NAME) != 0) {
		cella_error_make(err, ENOENT, "network '%s' not found", name);
		return NULL;
	}
	pthread_mutex_lock(&d->lock);
	if (cellad_db_query(d->db,
			    "SELECT i.name, l.address FROM network_leases l JOIN instances i ON "
			    "i.id = l.instance_id WHERE l.network = ? ORDER BY i.name",
			    DB_ARGS(DB_TEXT(name)), &rows, err) < 0) {
		pthread_mutex_unlock(&d->lock);
		return NULL;
	}
	pthread_mutex_unlock(&d->lock);
	state = cella_network_describe(name, NULL, err);
	if (state == NULL) {
		json_decref(rows);
		return NULL;
	}
	used_by = json_array();
	leases = json_array();
	json_array_foreach (rows, i, row) {
		char url[300];

		snprintf(url, sizeof(url), "/1.0/instances/%s",
			 json_string_value(json_object_get(row, "name")));
		json_array_append_new(used_by, json_string(url));
		json_array_append_new(leases,
				      json_pack("{s:O, s:O}", "instance", json_object_get(row, "name"),
						"address", json_object_get(row, "address")));
	}
	json_decref(rows);
	return json_pack("{s:s, s:s, s:s, s:b, s:s, s:{s:s, s:s}, s:o, s:o, s:o}", "name", name,
			 "description", "cellad's managed bridge", "type", "bridge", "managed", 1, "status",
			 "Created", "config", "ipv4.address", CELLAD_NETWORK_CIDR, "ipv4.nat", "true",
			 "used_by", used_by, "leases", leases, "state", state);
}
