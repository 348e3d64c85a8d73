/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Raw Linux x86-64 system calls and the few string helpers /init needs.
 * No libc: the initramfs stays a few KB (each MB of it costs seconds of boot on
 * a software-assisted KVM), so everything here is static inline.
 */
#ifndef CELLA_LINUX_INIT_SYS_H
#define CELLA_LINUX_INIT_SYS_H

#define SYS_read	      0
#define SYS_write	      1
#define SYS_open	      2
#define SYS_close	      3
#define SYS_stat	      4
#define SYS_ioctl	      16
#define SYS_socket	      41
#define SYS_connect	      42
#define SYS_sendto	      44
#define SYS_recvfrom	      45
#define SYS_setsockopt	      54
#define SYS_fork	      57
#define SYS_execve	      59
#define SYS_exit	      60
#define SYS_wait4	      61
#define SYS_fsync	      74
#define SYS_mkdir	      83
#define SYS_sync	      162
#define SYS_mount	      165
#define SYS_reboot	      169
#define SYS_sched_getaffinity 204

#define O_RDONLY 0
#define O_WRONLY 1
#define O_CREAT	 0100
#define O_TRUNC	 01000

#define EAGAIN 11
#define EBUSY  16

static inline long syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline long syscall3(long nr, long a, long b, long c)
{
	return syscall6(nr, a, b, c, 0, 0, 0);
}

static inline unsigned long str_len(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static inline int str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* "name=value" in envp → value, or 0. The kernel hands unknown "name=value" boot parameters to /init this way. */
static inline const char *env_get(char **envp, const char *name)
{
	for (; envp && *envp; envp++) {
		const char *e = *envp, *n = name;

		while (*n && *e == *n) {
			e++;
			n++;
		}
		if (!*n && *e == '=')
			return e + 1;
	}
	return 0;
}

/* gcc may turn struct copies into memcpy calls even when freestanding; these keep them explicit. */
static inline void mem_zero(void *p, unsigned long n)
{
	volatile unsigned char *b = p;

	while (n--)
		*b++ = 0;
}

static inline void mem_copy(void *dst, const void *src, unsigned long n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
}

static inline void put(const char *s)
{
	syscall3(SYS_write, 1, (long)s, (long)str_len(s));
}

static inline void put_dec(long v)
{
	char buf[24];
	int i = sizeof(buf);

	if (v < 0) {
		put("-");
		v = -v;
	}
	buf[--i] = '\0';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	put(buf + i);
}

/* Reads a small file into buf (NUL-terminated, at most size - 1 bytes); returns its length or -errno. */
static inline long read_file(const char *path, char *buf, long size)
{
	long fd = syscall3(SYS_open, (long)path, O_RDONLY, 0);
	long n, got = 0;

	if (fd < 0)
		return fd;
	while (got < size - 1) {
		n = syscall3(SYS_read, fd, (long)(buf + got), size - 1 - got);
		if (n < 0) {
			syscall3(SYS_close, fd, 0, 0);
			return n;
		}
		if (n == 0)
			break;
		got += n;
	}
	syscall3(SYS_close, fd, 0, 0);
	buf[got] = '\0';
	return got;
}

/* Mounts a pseudo file system, creating its directory if missing; already mounted counts as done. */
static inline long mount_fs(const char *type, const char *dir)
{
	long ret;

	syscall3(SYS_mkdir, (long)dir, 0555, 0);
	ret = syscall6(SYS_mount, (long)type, (long)dir, (long)type, 0, 0, 0);
	return ret == -EBUSY ? 0 : ret;
}

#endif
