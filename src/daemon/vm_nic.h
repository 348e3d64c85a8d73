/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_VM_NIC_H
#define CELLAD_VM_NIC_H

/*
 * A VM's NIC on cellabr0 (--network default): identity recorded in the instance's config
 * (volatile.eth0.hwaddr, volatile.eth0.host_name), an address lease, and a persistent TAP that
 * lives from just before the VMM starts until it has stopped.
 */
#include "daemon.h"

struct cellad_vm_nic {
	char mac[18]; /* "00:16:3e:xx:xx:xx" */
	char tap[16]; /* the TAP's interface name */
};

/*
 * The recorded identity, generated and recorded (with a lease) the first time; also (re)writes the
 * VM's DHCP host entry (MAC -> leased address) for the network's dnsmasq.
 */
int cellad_vm_nic_identity(struct cellad *d, const char *name, struct cellad_vm_nic *nic, cella_err_t *err);
/*
 * The kernel's address autoconfiguration for the lease, for guests without a DHCP client:
 * *out = "ip=CLIENT::GATEWAY:NETMASK:NAME:eth0:off:GATEWAY" (malloc'd); NULL with --network none.
 */
int cellad_vm_nic_boot_ip(struct cellad *d, const char *name, char **out, cella_err_t *err);
/* Appends that ip= to *cmdline (may be NULL; replaced) unless it has an ip= of its own. */
int cellad_vm_nic_cmdline_add_ip(struct cellad *d, const char *name, char **cmdline, cella_err_t *err);
/* Removes the VM's DHCP host entry (at delete; errors are logged: the instance goes either way). */
void cellad_vm_nic_forget(struct cellad *d, const char *name);
/* The recorded identity only; -1 when there is none. */
int cellad_vm_nic_recorded(struct cellad *d, const char *name, struct cellad_vm_nic *nic);
/* Creates the TAP (replacing a stale one of the same name) on cellabr0, up. */
int cellad_vm_tap_create(const struct cellad_vm_nic *nic, cella_err_t *err);
/* Deletes the instance's TAP if it exists (errors are logged: the VM is gone either way). */
void cellad_vm_tap_remove(struct cellad *d, const char *name);

/* Sets config[key] = value in the database (volatile.* keys that cellad keeps for the instance). */
int cellad_vm_config_set(struct cellad *d, const char *name, const char *key, const char *value,
			 cella_err_t *err);

#endif
