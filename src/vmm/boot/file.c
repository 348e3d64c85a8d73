// SPDX-License-Identifier: GPL-2.0-or-later
/* Files and strings the loaders put into guest memory: kernel file, initrd, command line. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "boot/boot_internal.h"

void *boot__low_ptr(struct guest_mem *mem, uint64_t gpa, uint64_t len, const char *what, cella_err_t *err)
{
	uint64_t low = guest_mem__low_size(mem);
	void *p = NULL;

	/* The 32-bit entry modes run with paging off: everything must sit below the hole. */
	if (gpa <= low && len <= low - gpa)
		p = guest_mem__ptr(mem, gpa, len);
	if (!p)
		cella_error_make(
			err, 0, "%s at 0x%llx, %llu bytes, is outside guest RAM (0x%llx bytes below 4 GiB)",
			what, (unsigned long long)gpa, (unsigned long long)len, (unsigned long long)low);
	return p;
}

static int boot__read_all(int fd, uint8_t *buf, size_t len, const char *path, cella_err_t *err)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = read(fd, buf + done, len - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cella_error_sys(err, "%s: read", path);
		if (r == 0)
			return cella_error_make(err, 0, "%s: file shrank while being read", path);
		done += r;
	}
	return 0;
}

/* Opens path as a regular file and returns its size. */
static int boot__open_regular(const char *path, uint64_t *size, cella_err_t *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return cella_error_sys(err, "%s: open", path);
	if (fstat(fd, &st) < 0)
		return cella_error_sys(err, "%s: stat", path);
	if (!S_ISREG(st.st_mode))
		return cella_error_make(err, 0, "%s: not a regular file", path);
	*size = st.st_size;
	return steal_fd(&fd);
}

int boot__read_file(const char *path, uint64_t max, uint8_t **data, size_t *size, cella_err_t *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ uint8_t *buf = NULL;
	uint64_t len;

	fd = boot__open_regular(path, &len, err);
	if (fd < 0)
		return -1;
	if (len > max)
		return cella_error_make(err, 0, "%s: %llu bytes, more than the %llu MiB a kernel may have",
					path, (unsigned long long)len, (unsigned long long)(max >> 20));
	buf = malloc(len ? len : 1);
	if (!buf)
		return cella_error_make(err, ENOMEM, "%s: %llu bytes", path, (unsigned long long)len);
	if (boot__read_all(fd, buf, len, path, err) < 0)
		return -1;
	*data = steal_pointer(&buf);
	*size = len;
	return 0;
}

int boot__load_initrd(struct guest_mem *mem, const char *path, uint64_t min_gpa, uint64_t max_end,
		      uint64_t *gpa, uint64_t *size, cella_err_t *err)
{
	_cleanup_close_ int fd = -1;
	uint64_t len, at;
	void *dst;

	fd = boot__open_regular(path, &len, err);
	if (fd < 0)
		return -1;
	if (max_end > guest_mem__low_size(mem))
		max_end = guest_mem__low_size(mem);
	min_gpa = (min_gpa + BOOT_PAGE_SIZE - 1) & ~(BOOT_PAGE_SIZE - 1);
	if (max_end < min_gpa || len > max_end - min_gpa)
		return cella_error_make(
			err, 0,
			"%s: initrd of %llu bytes does not fit in guest RAM between the kernel's end "
			"0x%llx and 0x%llx",
			path, (unsigned long long)len, (unsigned long long)min_gpa,
			(unsigned long long)max_end);
	/* As high as possible, as the Linux boot protocol recommends, leaving low RAM to the kernel. */
	at = (max_end - len) & ~(BOOT_PAGE_SIZE - 1);
	dst = guest_mem__ptr(mem, at, len);
	if (!dst)
		return cella_error_make(err, 0, "%s: initrd range 0x%llx is not guest RAM", path,
					(unsigned long long)at);
	if (boot__read_all(fd, dst, len, path, err) < 0)
		return -1;
	*gpa = at;
	*size = len;
	return 0;
}

int boot__put_cmdline(struct guest_mem *mem, const char *cmdline, uint64_t limit, const char *limit_what,
		      uint64_t *gpa, cella_err_t *err)
{
	size_t len = strlen(cmdline);
	char *dst;

	if (limit > BOOT_CMDLINE_MAX - 1) {
		limit = BOOT_CMDLINE_MAX - 1;
		limit_what = "cella's cap";
	}
	if (len > limit)
		return cella_error_make(err, 0,
					"kernel command line: %zu bytes, more than the %llu allowed (%s)",
					len, (unsigned long long)limit, limit_what);
	dst = boot__low_ptr(mem, BOOT_CMDLINE_GPA, len + 1, "kernel command line", err);
	if (!dst)
		return -1;
	memcpy(dst, cmdline, len + 1);
	*gpa = BOOT_CMDLINE_GPA;
	return 0;
}
