// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TAP devices for VMs: persistent (they outlive the creating fd, so the VMM
 * can open them by name later), with IFF_VNET_HDR so virtio-net can pass
 * offload metadata, enslaved to the network's bridge and up.
 */
#include "network.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "link.h"

int cella_network_create_tap(const char *bridge, const char *tap_name, char out_name[16], int *tap_fd,
			     cella_err_t *err)
{
	_cleanup_close_ int fd = -1, nl = -1;
	struct ifreq ifr = {0};
	char name[16];
	struct nl_msg m;
	int ret, bridge_index, index;

	ret = cella_network_ifname_validate("network.name", bridge, err);
	if (ret < 0)
		return ret;
	if (tap_name && *tap_name) {
		ret = cella_network_ifname_validate("nic.name", tap_name, err);
		if (ret < 0)
			return ret;
		snprintf(name, sizeof(name), "%s", tap_name);
	} else {
		uint32_t r;

		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			return cella_error_sys(err, "generating a TAP name");
		snprintf(name, sizeof(name), "ctap%08x", r);
	}
	nl = nl_open(err);
	if (nl < 0)
		return nl;
	ret = link_is_bridge(nl, bridge, err);
	if (ret < 0)
		return cella_error_wrap(err, "tap: network %s", bridge);
	if (ret == 0)
		return cella_error_make(err, 0, "tap: %s is not a bridge", bridge);
	bridge_index = link_index(nl, bridge, err);
	if (bridge_index < 0)
		return bridge_index;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return cella_error_sys(err, "tap %s: opening /dev/net/tun", name);
	/* IFF_TUN_EXCL: never attach to (and then reconfigure) someone else's existing device. */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_TUN_EXCL;
	memcpy(ifr.ifr_name, name, sizeof(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		if (errno == EBUSY)
			return cella_error_make(err, EEXIST,
						"tap %s: an interface of that name already exists", name);
		return cella_error_sys(err, "tap %s: TUNSETIFF", name);
	}
	if (ioctl(fd, TUNSETPERSIST, 1) < 0)
		return cella_error_sys(err, "tap %s: TUNSETPERSIST", name);
	index = link_index(nl, name, err);
	ret = index < 0 ? index : 0;
	if (ret == 0) {
		link_msg_set_up(&m, index, bridge_index);
		ret = link_request(nl, &m, err);
	}
	if (ret < 0) {
		/* Not persistent any more: closing the last fd removes the device. */
		(void)ioctl(fd, TUNSETPERSIST, 0);
		return cella_error_wrap(err, "tap %s: enslaving to %s", name, bridge);
	}
	memcpy(out_name, name, sizeof(name));
	if (tap_fd)
		*tap_fd = steal_fd(&fd);
	return 0;
}
