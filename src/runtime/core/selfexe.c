// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CVE-2019-5736: a container process could open /proc/<runtime pid>/exe and
 * overwrite the runtime binary on the host. Before anything enters a container
 * we re-execute from a sealed, anonymous memfd copy: /proc/self/exe then leads
 * to a file nobody can write. Done once per create/run/exec (one copy of the
 * binary in the page cache, no fork).
 */
#include "core/container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cella/cleanup.h>

#define MFD_EXEC_FLAG 0x0010U /* MFD_EXEC, not in every libc's headers yet */
#define SEALS	      (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

static bool is_sealed(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	return seals >= 0 && (seals & SEALS) == SEALS;
}

int cella_ensure_sealed_self(char **argv, cella_err_t *err)
{
	_cleanup_close_ int self = -1, mem = -1;
	struct stat st;
	off_t done = 0;

	/* One open serves both the check (second pass: already the sealed copy) and the copy. */
	self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return cella_error_sys(err, "open /proc/self/exe");
	if (is_sealed(self))
		return 0;
	if (fstat(self, &st) < 0)
		return cella_error_sys(err, "stat /proc/self/exe");
	/* MFD_EXEC: with vm.memfd_noexec=1 (Linux 6.3+) a memfd is otherwise sealed non-executable. */
	mem = memfd_create("cella-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC_FLAG);
	if (mem < 0 && errno == EINVAL)
		mem = memfd_create("cella-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mem < 0)
		return cella_error_sys(err, "memfd_create");
	while (done < st.st_size) {
		ssize_t n = sendfile(mem, self, NULL, st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cella_error_sys(err, "copy the runtime binary to a memfd");
		done += n;
	}
	if (fcntl(mem, F_ADD_SEALS, SEALS) < 0)
		return cella_error_sys(err, "seal the runtime memfd");
	/* execveat(AT_EMPTY_PATH) on a close-on-exec fd works for ELF binaries and leaves no fd behind. */
	syscall(SYS_execveat, mem, "", argv, environ, AT_EMPTY_PATH);
	return cella_error_sys(err, "re-execute the runtime from its sealed copy");
}
