/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /init of cella's Linux test guest: reports how many CPUs the kernel brought
 * online and how long the boot took, runs the virtio checks when the boot
 * parameter cella_checks=1 asks for them (virtio_checks.c), prints the marker
 * the tests look for when nothing failed, then powers the machine off.
 *
 * Freestanding (no libc: the whole initramfs stays a few KB, and each MB of
 * initramfs costs seconds of boot on a software-assisted KVM). Built with
 *   gcc -static -nostdlib -ffreestanding -fno-pie -no-pie -O2 init.c virtio_checks.c
 * by guests/linux/mkinitramfs.
 */

#include "checks.h"
#include "sys.h"

/* reboot(2): the magic numbers and commands of <linux/reboot.h>. */
#define LINUX_REBOOT_MAGIC1	   0xfee1deadUL
#define LINUX_REBOOT_MAGIC2	   672274793UL
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedcUL

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

void init_main(long *sp);

/* sp: what the kernel left on the stack, argc, argv[], NULL, envp[], NULL. */
void init_main(long *sp)
{
	long argc = sp[0], failed, ret;
	char **envp = (char **)(sp + 1 + argc + 1);

	put("cella-linux-init: started\n");
	report_cpus();
	report_uptime();
	failed = run_virtio_checks(envp);
	if (failed) {
		put("cella-linux-init: ");
		put_dec(failed);
		put(" check(s) failed\n");
	} else {
		put("CELLA-LINUX-OK\n");
	}
	ret = syscall6(SYS_reboot, (long)LINUX_REBOOT_MAGIC1, (long)LINUX_REBOOT_MAGIC2,
		       (long)LINUX_REBOOT_CMD_POWER_OFF, 0, 0, 0);
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
	"	mov %rsp, %rdi\n"
	"	call init_main\n"
	"	hlt\n");
