/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_NETWORK_TOOLS_H
#define CELLA_NETWORK_TOOLS_H

/*
 * The parts of the network that are programs, not netlink: nftables (its
 * netlink protocol is a VM bytecode best left to nft, whose -f scripts are
 * also applied atomically), dnsmasq, and the ip_forward sysctl.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <cella/error.h>

#include "network.h"

/* Absolute path of a system program (sbin dirs first: cellad's PATH may lack them), or NULL. */
const char *net_find_program(const char *name, char buf[64]);
/*
 * Runs argv[0] (absolute) with input on stdin (may be NULL) and returns its
 * exit status, or negative on a spawn error. stdout+stderr (first 4 KiB) go to
 * *output when output is not NULL (caller frees). Never uses a shell.
 */
int net_run(const char *const argv[], const char *input, char **output, cella_err_t *err);

/* The nftables script for a network's chains; pure (unit-tested). Caller frees. */
char *net_nft_script_add(const char *name, const struct cella_ipv4_cidr *gw);
int net_nft_add(const char *name, const struct cella_ipv4_cidr *gw, cella_err_t *err);
/* Removes the network's chains, and table "ip cella" once it has no chains left. 1 = removed, 0 = none. */
int net_nft_remove(const char *name, cella_err_t *err);
/* 1 when the network's NAT chain exists, 0 when not (or nft is missing). */
int net_nft_present(const char *name, cella_err_t *err);

int net_ip_forward_enable(cella_err_t *err);

int net_dnsmasq_start(const char *name, const char *state_dir, const struct cella_ipv4_cidr *gw,
		      uint32_t first, uint32_t last, cella_err_t *err);
/* The running dnsmasq of this network, validated against its command line; 0 when none. */
pid_t net_dnsmasq_pid(const char *name, const char *state_dir);
/* Stops it (SIGTERM, bounded wait, then SIGKILL) and removes its files. 1 = stopped, 0 = none was running. */
int net_dnsmasq_stop(const char *name, const char *state_dir, cella_err_t *err);

#endif
