/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /init of cella's Linux test initramfs: reports how many CPUs the kernel
 * brought online and how long the boot took, prints the marker the tests look
 * for, then powers the machine off.
 *
 * Freestanding (no libc: the whole initramfs stays a few KB, and each MB of
 * initramfs costs seconds of boot on a software-assisted KVM). Built with
 *   gcc -static -nostdlib -ffreestanding -fno-pie -no-pie -O2 init.c
 * by guests/linux/mkinitramfs.
 */

#define SYS_read	      0
#define SYS_write	      1
#define SYS_open	      2
#define SYS_close	      3
#define SYS_sched_getaffinity 204
#define SYS_exit	      60
#define SYS_mount	      165
#define SYS_reboot	      169
#define SYS_mkdir	      83

#define O_RDONLY 0
#define EBUSY	 16

/* reboot(2): the magic numbers and commands of <linux/reboot.h>. */
#define LINUX_REBOOT_MAGIC1	   0xfee1deadUL
#define LINUX_REBOOT_MAGIC2	   672274793UL
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedcUL

static long syscall6(long nr, long a, long b, long c, long d, long e)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}

static long syscall3(long nr, long a, long b, long c)
{
	return syscall6(nr, a, b, c, 0, 0);
}

static unsigned long str_len(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static void put(const char *s)
{
	syscall3(SYS_write, 1, (long)s, (long)str_len(s));
}

static void put_dec(long v)
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

/* Reads a small text file into buf (NUL-terminated); returns its length or -errno. */
static long read_file(const char *path, char *buf, long size)
{
	long fd = syscall3(SYS_open, (long)path, O_RDONLY, 0);
	long n;

	if (fd < 0)
		return fd;
	n = syscall3(SYS_read, fd, (long)buf, size - 1);
	syscall3(SYS_close, fd, 0, 0);
	if (n < 0)
		return n;
	buf[n] = '\0';
	return n;
}

/* Mounts a pseudo file system, creating its directory if the initramfs lacks it. */
static long mount_fs(const char *type, const char *dir)
{
	long ret;

	syscall3(SYS_mkdir, (long)dir, 0555, 0);
	ret = syscall6(SYS_mount, (long)type, (long)dir, (long)type, 0, 0);
	return ret == -EBUSY ? 0 : ret;
}

static long parse_uint(const char **p)
{
	long v = 0;

	if (**p < '0' || **p > '9')
		return -1;
	while (**p >= '0' && **p <= '9')
		v = v * 10 + (*(*p)++ - '0');
	return v;
}

/* Counts the CPUs in a list such as "0-1,3" (/sys/devices/system/cpu/online). */
static long count_cpu_list(const char *p)
{
	long count = 0;

	while (*p && *p != '\n') {
		long first = parse_uint(&p);
		long last = first;

		if (first < 0)
			return -1;
		if (*p == '-') {
			p++;
			last = parse_uint(&p);
			if (last < first)
				return -1;
		}
		count += last - first + 1;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -1;
	}
	return count;
}

/* Fallback when sysfs is missing: the CPUs init may run on. */
static long count_affinity_cpus(void)
{
	unsigned char mask[128];
	long n = syscall3(SYS_sched_getaffinity, 0, sizeof(mask), (long)mask);
	long count = 0;

	/* The kernel returns how many bytes of the mask it wrote. */
	if (n < 0)
		return n;
	for (long i = 0; i < n && i < (long)sizeof(mask); i++)
		for (unsigned int bits = mask[i]; bits; bits &= bits - 1)
			count++;
	return count;
}

static void report_cpus(void)
{
	char buf[256];
	long cpus = -1;

	if (mount_fs("sysfs", "/sys") == 0 &&
	    read_file("/sys/devices/system/cpu/online", buf, sizeof(buf)) > 0)
		cpus = count_cpu_list(buf);
	if (cpus < 0)
		cpus = count_affinity_cpus();
	put("cella-linux-init: online cpus ");
	put_dec(cpus);
	put("\n");
}

static void report_uptime(void)
{
	char buf[64];

	if (mount_fs("proc", "/proc") != 0 || read_file("/proc/uptime", buf, sizeof(buf)) <= 0)
		return;
	/* "12.34 5.67\n": the first number is seconds since boot. */
	for (char *p = buf; *p; p++) {
		if (*p == ' ') {
			*p = '\0';
			break;
		}
	}
	put("cella-linux-init: uptime ");
	put(buf);
	put(" s\n");
}

void init_main(void);

void init_main(void)
{
	long ret;

	put("cella-linux-init: started\n");
	report_cpus();
	report_uptime();
	put("CELLA-LINUX-OK\n");
	ret = syscall6(SYS_reboot, (long)LINUX_REBOOT_MAGIC1, (long)LINUX_REBOOT_MAGIC2,
		       (long)LINUX_REBOOT_CMD_POWER_OFF, 0, 0);
	/* Only reached on failure; exiting makes the kernel panic, which the test sees. */
	put("cella-linux-init: reboot(POWER_OFF) failed: ");
	put_dec(ret);
	put("\n");
	syscall3(SYS_exit, 1, 0, 0);
}

/* The kernel enters with rsp 16-byte aligned; a call keeps the ABI's alignment. */
__asm__(".globl _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	call init_main\n"
	"	hlt\n");
