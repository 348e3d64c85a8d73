/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_LINUX_INIT_CHECKS_H
#define CELLA_LINUX_INIT_CHECKS_H

/*
 * The virtio checks of tests/integration/vmm_linux.sh, run by /init when the
 * boot parameter cella_checks=1 is given (the kernel passes it to /init as an
 * environment variable, with cella_guest_ip, cella_host_ip, cella_udp_port and
 * cella_vsock_port). Prints one line per check:
 *   cella-linux-init: check NAME ok: DETAIL
 *   cella-linux-init: check NAME FAILED: WHY
 * Returns the number of checks that failed (0 when none were asked for).
 */
int run_virtio_checks(char **envp);

#endif
