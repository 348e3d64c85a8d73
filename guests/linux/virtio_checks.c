/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /init's checks of Linux's own virtio drivers on cella-vmm (checks.h): the
 * root file system is ext4 on /dev/vda (virtio-blk), a file the host put in
 * the image is read and one is written back, a binary from the image runs,
 * /dev/hwrng gives bytes from virtio-rng, a UDP datagram goes to the host side
 * of the TAP and its echo comes back (virtio-net), a line goes to a host unix
 * socket over AF_VSOCK and its answer comes back (virtio-vsock). Finally the
 * root file system is remounted read-only, so the image is clean when the
 * host reads it after the power-off.
 */
#include "checks.h"
#include "sys.h"

#define AF_INET	    2
#define AF_VSOCK    40
#define SOCK_STREAM 1
#define SOCK_DGRAM  2
#define SOL_SOCKET  1
#define SO_RCVTIMEO 20

#define SIOCSIFFLAGS   0x8914
#define SIOCSIFADDR    0x8916
#define SIOCSIFNETMASK 0x891c
#define IFF_UP	       0x1

#define MS_RDONLY  1
#define MS_REMOUNT 32

#define VMADDR_CID_HOST 2

#define HOST_FILE  "/cella/host.txt"
#define GUEST_FILE "/cella/guest.txt"
#define BUSYBOX	   "/bin/busybox"

/* Tries per UDP echo and how long each waits for the answer (the first one also waits for ARP). */
#define UDP_TRIES	   3
#define UDP_WAIT_SECONDS   5
#define VSOCK_WAIT_SECONDS 10

struct sockaddr_in_raw {
	unsigned short family;
	unsigned short port; /* network order */
	unsigned int addr;   /* network order */
	unsigned char zero[8];
};

struct sockaddr_vm_raw {
	unsigned short family;
	unsigned short reserved;
	unsigned int port;
	unsigned int cid;
	unsigned char flags;
	unsigned char zero[3];
};

/* struct ifreq: the name, then a 24-byte union (an address, or the flags). */
struct ifreq_raw {
	char name[16];
	union {
		struct sockaddr_in_raw addr;
		short flags;
		unsigned char pad[24];
	} u;
};

struct timeval_raw {
	long sec;
	long usec;
};

struct stat_raw {
	unsigned long dev;
	unsigned char rest[136];
};

/* The host's token (the content of HOST_FILE), echoed in every message so the host can tell them apart. */
static char token[65];
static int failures;

static void check_ok(const char *name, const char *detail)
{
	put("cella-linux-init: check ");
	put(name);
	put(" ok: ");
	put(detail);
	put("\n");
}

/* Returns -1, so a check can `return check_failed(...)`. */
static int check_failed(const char *name, const char *why, long err)
{
	put("cella-linux-init: check ");
	put(name);
	put(" FAILED: ");
	put(why);
	if (err) {
		put(" (");
		put_dec(err);
		put(")");
	}
	put("\n");
	failures++;
	return -1;
}

/* Appends s to buf (capacity size, NUL-terminated); returns the new length. */
static unsigned long append(char *buf, unsigned long len, unsigned long size, const char *s)
{
	while (*s && len + 1 < size)
		buf[len++] = *s++;
	buf[len] = '\0';
	return len;
}

static int starts_with(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

/* "a.b.c.d" → an address in network order; -1 on a malformed one. */
static long parse_ipv4(const char *s, unsigned int *out)
{
	unsigned int addr = 0;

	for (int part = 0; part < 4; part++) {
		long v = 0;
		int digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (*s++ - '0');
			digits++;
		}
		if (!digits || v > 255 || (part < 3 && *s++ != '.'))
			return -1;
		addr |= (unsigned int)v << (8 * part); /* little-endian host: byte 0 first in memory */
	}
	if (*s)
		return -1;
	*out = addr;
	return 0;
}

static long parse_port(const char *s)
{
	long v = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 65535)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v > 0 && v <= 65535 ? v : -1;
}

static unsigned short to_net16(long v)
{
	return (unsigned short)(((v & 0xff) << 8) | ((v >> 8) & 0xff));
}

static void set_recv_timeout(long fd, long seconds)
{
	struct timeval_raw tv = {.sec = seconds, .usec = 0};

	syscall6(SYS_setsockopt, fd, SOL_SOCKET, SO_RCVTIMEO, (long)&tv, sizeof(tv), 0);
}

/* "MAJ:MIN" of a dev_t as stat(2) returns it (the kernel's new_encode_dev layout). */
static void format_dev(unsigned long dev, char *buf, unsigned long size)
{
	char num[24];
	unsigned long major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffUL);
	unsigned long minor = (dev & 0xff) | ((dev >> 12) & ~0xffUL);
	unsigned long len = 0;

	for (int which = 0; which < 2; which++) {
		unsigned long v = which ? minor : major;
		int i = sizeof(num);

		num[--i] = '\0';
		do {
			num[--i] = (char)('0' + v % 10);
			v /= 10;
		} while (v && i > 0);
		len = append(buf, len, size, num + i);
		if (!which)
			len = append(buf, len, size, ":");
	}
}

/* / is ext4 and lives on vda: /proc/mounts says ext4, and stat("/") names vda's device number. */
static int check_rootfs(void)
{
	static char mounts[4096];
	char vda[32], root_dev[32], detail[96];
	struct stat_raw st;
	long n, r;
	int ext4 = 0;

	n = read_file("/proc/mounts", mounts, sizeof(mounts));
	if (n < 0)
		return check_failed("rootfs", "cannot read /proc/mounts", n);
	/* Lines are "DEV MOUNTPOINT TYPE OPTIONS 0 0"; the root's (the last mount on / wins). */
	for (char *line = mounts; *line;) {
		char *p = line;

		while (*p && *p != ' ' && *p != '\n')
			p++;
		if (starts_with(p, " / "))
			ext4 = starts_with(p + 3, "ext4 ");
		while (*p && *p != '\n')
			p++;
		line = *p ? p + 1 : p;
	}
	if (!ext4)
		return check_failed("rootfs", "/ is not an ext4 mount in /proc/mounts", 0);
	n = read_file("/sys/block/vda/dev", vda, sizeof(vda));
	if (n <= 0)
		return check_failed("rootfs", "no /sys/block/vda (no virtio-blk disk)", n);
	if (vda[n - 1] == '\n')
		vda[n - 1] = '\0';
	mem_zero(&st, sizeof(st));
	r = syscall3(SYS_stat, (long)"/", (long)&st, 0);
	if (r < 0)
		return check_failed("rootfs", "stat(/) failed", r);
	mem_zero(root_dev, sizeof(root_dev));
	format_dev(st.dev, root_dev, sizeof(root_dev));
	if (!str_eq(root_dev, vda))
		return check_failed("rootfs", "/ is not on vda", 0);
	n = append(detail, 0, sizeof(detail), "ext4 on vda (");
	n = append(detail, (unsigned long)n, sizeof(detail), vda);
	append(detail, (unsigned long)n, sizeof(detail), ")");
	check_ok("rootfs", detail);
	return 0;
}

/* Reads the host's token; only [A-Za-z0-9_-] are taken, so it can go into every message as is. */
static int check_host_file(void)
{
	char buf[sizeof(token)];
	long n = read_file(HOST_FILE, buf, sizeof(buf));
	int i;

	if (n < 0)
		return check_failed("hostfile", "cannot read " HOST_FILE, n);
	for (i = 0; i < n; i++) {
		char c = buf[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			break;
		token[i] = c;
	}
	token[i] = '\0';
	if (i == 0 || (i < n && buf[i] != '\n'))
		return check_failed("hostfile", HOST_FILE " does not hold one [A-Za-z0-9_-] token", 0);
	check_ok("hostfile", token);
	return 0;
}

/* Runs "busybox sha256sum HOST_FILE" from the image: exec from ext4 and a libc program on this kernel. */
static int check_exec(void)
{
	char *argv[] = {"busybox", "sha256sum", HOST_FILE, 0};
	char *envp[] = {0};
	int status = 0;
	long pid, r;

	pid = syscall3(SYS_fork, 0, 0, 0);
	if (pid < 0)
		return check_failed("exec", "fork failed", pid);
	if (pid == 0) {
		r = syscall3(SYS_execve, (long)BUSYBOX, (long)argv, (long)envp);
		put("cella-linux-init: execve " BUSYBOX " failed: ");
		put_dec(r);
		put("\n");
		syscall3(SYS_exit, 127, 0, 0);
	}
	r = syscall6(SYS_wait4, pid, (long)&status, 0, 0, 0, 0);
	if (r < 0)
		return check_failed("exec", "wait4 failed", r);
	if (status != 0)
		return check_failed("exec", BUSYBOX " sha256sum did not exit with 0; wait status", status);
	check_ok("exec", BUSYBOX " sha256sum " HOST_FILE);
	return 0;
}

static const char hex_digits[] = "0123456789abcdef";

/* 16 bytes from /dev/hwrng, whose current source must be virtio-rng; writes them as hex into hex[33]. */
static int check_hwrng(char *hex)
{
	unsigned char bytes[16];
	char current[64], detail[128];
	long fd, n, got = 0, any = 0;
	unsigned long len;

	n = read_file("/sys/class/misc/hw_random/rng_current", current, sizeof(current));
	if (n <= 0)
		return check_failed("hwrng", "cannot read /sys/class/misc/hw_random/rng_current", n);
	if (current[n - 1] == '\n')
		current[n - 1] = '\0';
	if (!starts_with(current, "virtio_rng")) {
		len = append(detail, 0, sizeof(detail),
			     "the current hw_random source is not virtio_rng but ");
		append(detail, len, sizeof(detail), current);
		return check_failed("hwrng", detail, 0);
	}
	fd = syscall3(SYS_open, (long)"/dev/hwrng", O_RDONLY, 0);
	if (fd < 0)
		return check_failed("hwrng", "cannot open /dev/hwrng", fd);
	while (got < (long)sizeof(bytes)) {
		n = syscall3(SYS_read, fd, (long)(bytes + got), (long)sizeof(bytes) - got);
		if (n <= 0)
			break;
		got += n;
	}
	syscall3(SYS_close, fd, 0, 0);
	if (got != (long)sizeof(bytes))
		return check_failed("hwrng", "short read from /dev/hwrng", n);
	for (int i = 0; i < 16; i++) {
		hex[2 * i] = hex_digits[bytes[i] >> 4];
		hex[2 * i + 1] = hex_digits[bytes[i] & 15];
		any |= bytes[i];
	}
	hex[32] = '\0';
	if (!any)
		return check_failed("hwrng", "16 zero bytes from /dev/hwrng", 0);
	len = append(detail, 0, sizeof(detail), current);
	len = append(detail, len, sizeof(detail), " ");
	append(detail, len, sizeof(detail), hex);
	check_ok("hwrng", detail);
	return 0;
}

static long set_ifaddr(long fd, unsigned long request, unsigned int addr)
{
	struct ifreq_raw ifr;

	mem_zero(&ifr, sizeof(ifr));
	mem_copy(ifr.name, "eth0", 5);
	ifr.u.addr.family = AF_INET;
	ifr.u.addr.addr = addr;
	return syscall3(SYS_ioctl, fd, (long)request, (long)&ifr);
}

/* eth0 (virtio-net) gets GUEST_IP/24 and goes up; the kernel adds the on-link route. */
static long configure_eth0(long fd, unsigned int guest_ip)
{
	struct ifreq_raw ifr;
	long r;

	r = set_ifaddr(fd, SIOCSIFADDR, guest_ip);
	if (r < 0)
		return r;
	r = set_ifaddr(fd, SIOCSIFNETMASK, 0x00ffffffU); /* 255.255.255.0 in network order */
	if (r < 0)
		return r;
	mem_zero(&ifr, sizeof(ifr));
	mem_copy(ifr.name, "eth0", 5);
	ifr.u.flags = IFF_UP;
	return syscall3(SYS_ioctl, fd, SIOCSIFFLAGS, (long)&ifr);
}

/* A line "PREFIX TOKEN" in buf; returns its length. */
static unsigned long make_message(char *buf, unsigned long size, const char *prefix, int newline)
{
	unsigned long len = append(buf, 0, size, prefix);

	len = append(buf, len, size, " ");
	len = append(buf, len, size, token);
	return newline ? append(buf, len, size, "\n") : len;
}

/* Sends "cella-udp TOKEN" to HOST_IP:PORT and wants "pong cella-udp TOKEN" back. */
static int check_net(char **envp)
{
	const char *guest_s = env_get(envp, "cella_guest_ip"), *host_s = env_get(envp, "cella_host_ip");
	struct sockaddr_in_raw to;
	unsigned int guest_ip, host_ip;
	char msg[96], want[128], reply[128];
	unsigned long msg_len, want_len;
	long port = parse_port(env_get(envp, "cella_udp_port")), fd, r;

	if (!guest_s || !host_s || parse_ipv4(guest_s, &guest_ip) < 0 || parse_ipv4(host_s, &host_ip) < 0 ||
	    port < 0)
		return check_failed(
			"net", "cella_guest_ip, cella_host_ip or cella_udp_port missing or malformed", 0);
	fd = syscall3(SYS_socket, AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return check_failed("net", "socket(AF_INET, SOCK_DGRAM) failed", fd);
	r = configure_eth0(fd, guest_ip);
	if (r < 0) {
		syscall3(SYS_close, fd, 0, 0);
		return check_failed("net", "configuring eth0 failed (no virtio-net interface?)", r);
	}
	set_recv_timeout(fd, UDP_WAIT_SECONDS);
	mem_zero(&to, sizeof(to));
	to.family = AF_INET;
	to.port = to_net16(port);
	to.addr = host_ip;
	msg_len = make_message(msg, sizeof(msg), "cella-udp", 0);
	want_len = append(want, 0, sizeof(want), "pong ");
	want_len = append(want, want_len, sizeof(want), msg);
	for (int attempt = 1; attempt <= UDP_TRIES; attempt++) {
		r = syscall6(SYS_sendto, fd, (long)msg, (long)msg_len, 0, (long)&to, sizeof(to));
		if (r < 0)
			continue;
		r = syscall6(SYS_recvfrom, fd, (long)reply, sizeof(reply) - 1, 0, 0, 0);
		if (r < 0)
			continue;
		reply[r] = '\0';
		if ((unsigned long)r == want_len && str_eq(reply, want)) {
			syscall3(SYS_close, fd, 0, 0);
			check_ok("net", "udp echo over eth0");
			return 0;
		}
	}
	syscall3(SYS_close, fd, 0, 0);
	return check_failed("net", "no matching UDP echo from the host; last result", r);
}

/* Connects to the host (CID 2) at cella_vsock_port, sends "cella-vsock TOKEN\n", wants "pong cella-vsock TOKEN\n". */
static int check_vsock(char **envp)
{
	struct sockaddr_vm_raw addr;
	char msg[96], want[128], reply[128];
	unsigned long msg_len, want_len;
	long port = parse_port(env_get(envp, "cella_vsock_port")), fd, r, got = 0;

	if (port < 0)
		return check_failed("vsock", "cella_vsock_port missing or malformed", 0);
	fd = syscall3(SYS_socket, AF_VSOCK, SOCK_STREAM, 0);
	if (fd < 0)
		return check_failed("vsock", "socket(AF_VSOCK) failed (no virtio-vsock transport?)", fd);
	mem_zero(&addr, sizeof(addr));
	addr.family = AF_VSOCK;
	addr.port = (unsigned int)port;
	addr.cid = VMADDR_CID_HOST;
	r = syscall3(SYS_connect, fd, (long)&addr, sizeof(addr));
	if (r < 0) {
		syscall3(SYS_close, fd, 0, 0);
		return check_failed("vsock", "connect to the host failed", r);
	}
	set_recv_timeout(fd, VSOCK_WAIT_SECONDS);
	msg_len = make_message(msg, sizeof(msg), "cella-vsock", 1);
	want_len = append(want, 0, sizeof(want), "pong ");
	want_len = append(want, want_len, sizeof(want), msg);
	r = syscall3(SYS_write, fd, (long)msg, (long)msg_len);
	if (r != (long)msg_len) {
		syscall3(SYS_close, fd, 0, 0);
		return check_failed("vsock", "write to the host failed", r);
	}
	/* A stream: read until the newline (or the buffer is full, or the host closes). */
	while (got < (long)sizeof(reply) - 1 && (got == 0 || reply[got - 1] != '\n')) {
		r = syscall3(SYS_read, fd, (long)(reply + got), (long)sizeof(reply) - 1 - got);
		if (r <= 0)
			break;
		got += r;
	}
	syscall3(SYS_close, fd, 0, 0);
	reply[got] = '\0';
	if ((unsigned long)got != want_len || !str_eq(reply, want))
		return check_failed("vsock", "no matching answer from the host; last read", r);
	check_ok("vsock", "line exchanged with the host");
	return 0;
}

/* Writes GUEST_FILE ("guest-saw TOKEN" and the hwrng bytes) and makes it durable. */
static int check_guest_file(const char *rng_hex)
{
	char buf[160];
	unsigned long len = make_message(buf, sizeof(buf), "guest-saw", 1);
	long fd, r;

	len = append(buf, len, sizeof(buf), "rng ");
	len = append(buf, len, sizeof(buf), rng_hex[0] ? rng_hex : "none");
	len = append(buf, len, sizeof(buf), "\n");
	fd = syscall3(SYS_open, (long)GUEST_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return check_failed("guestfile", "cannot create " GUEST_FILE, fd);
	r = syscall3(SYS_write, fd, (long)buf, (long)len);
	if (r != (long)len) {
		syscall3(SYS_close, fd, 0, 0);
		return check_failed("guestfile", "write to " GUEST_FILE " failed", r);
	}
	r = syscall3(SYS_fsync, fd, 0, 0);
	syscall3(SYS_close, fd, 0, 0);
	if (r < 0)
		return check_failed("guestfile", "fsync of " GUEST_FILE " failed", r);
	check_ok("guestfile", GUEST_FILE " written and synced");
	return 0;
}

/* Everything reaches the disk and the file system is marked clean before the power-off. */
static int check_remount_ro(void)
{
	long r;

	syscall3(SYS_sync, 0, 0, 0);
	r = syscall6(SYS_mount, 0, (long)"/", 0, MS_REMOUNT | MS_RDONLY, 0, 0);
	if (r < 0)
		return check_failed("remount", "remounting / read-only failed", r);
	check_ok("remount", "/ read-only");
	return 0;
}

int run_virtio_checks(char **envp)
{
	const char *want = env_get(envp, "cella_checks");
	char rng_hex[33];

	if (!want || !str_eq(want, "1"))
		return 0;
	rng_hex[0] = '\0';
	failures = 0;
	if (mount_fs("devtmpfs", "/dev") != 0)
		put("cella-linux-init: mounting devtmpfs on /dev failed\n");
	check_rootfs();
	if (check_host_file() == 0)
		check_exec();
	if (check_hwrng(rng_hex) < 0)
		rng_hex[0] = '\0';
	/* Both messages carry the token, so the host can tell this boot's from any other. */
	if (token[0]) {
		check_net(envp);
		check_vsock(envp);
	} else {
		check_failed("net", "not tried: no token from " HOST_FILE, 0);
		check_failed("vsock", "not tried: no token from " HOST_FILE, 0);
	}
	check_guest_file(rng_hex);
	check_remount_ro();
	return failures;
}
