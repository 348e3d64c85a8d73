// SPDX-License-Identifier: GPL-2.0-or-later
/* TAP device set-up through /dev/net/tun. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "vdev/tap.h"

int tap_open(const char *name, cella_err_t *err)
{
	_cleanup_close_ int fd = -1;
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR};
	int hdr = TAP_VNET_HDR_SIZE;

	if (strlen(name) >= IFNAMSIZ)
		return cella_error_make(err, 0, "tap: '%s' is longer than %d bytes", name, IFNAMSIZ - 1);
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return cella_error_sys(err, "tap: open /dev/net/tun");
	memcpy(ifr.ifr_name, name, strlen(name) + 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return cella_error_sys(err, "tap: cannot attach to %s", name);
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0)
		return cella_error_sys(err, "tap: %s: TUNSETVNETHDRSZ", name);
	/* No offloads until the driver negotiates them: the guest must not get what it cannot take. */
	if (ioctl(fd, TUNSETOFFLOAD, 0) < 0)
		return cella_error_sys(err, "tap: %s: TUNSETOFFLOAD", name);
	return steal_fd(&fd);
}

int tap_set_offload(int fd, bool csum, bool tso4, bool tso6)
{
	unsigned long off = 0;

	if (csum) {
		off |= TUN_F_CSUM;
		/* TSO needs checksum offload (5.1.3.1). */
		if (tso4)
			off |= TUN_F_TSO4;
		if (tso6)
			off |= TUN_F_TSO6;
	}
	return ioctl(fd, TUNSETOFFLOAD, off);
}
