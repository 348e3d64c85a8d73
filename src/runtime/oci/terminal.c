// SPDX-License-Identifier: GPL-2.0-or-later
/* The container's pty: open a pair, size it, make the slave the controlling terminal. */
#include "oci/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cella/cleanup.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int cella_terminal_open(int *master, int *slave, cella_err_t *err)
{
	_cleanup_close_ int m = -1, s = -1;
	char name[PATH_MAX];

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return cella_error_sys(err, "cannot open a pty master (/dev/ptmx)");
	if (grantpt(m) < 0 || unlockpt(m) < 0)
		return cella_error_sys(err, "cannot unlock the pty");
	/* TIOCGPTPEER opens the peer of this very master, so no path lookup in
	 * a /dev/pts that the container may control can swap the slave. */
	s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0 && (errno == EINVAL || errno == ENOTTY)) {
		if (ptsname_r(m, name, sizeof(name)) != 0)
			return cella_error_sys(err, "cannot get the pty slave's name");
		s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	}
	if (s < 0)
		return cella_error_sys(err, "cannot open the pty slave");
	*master = steal_fd(&m);
	*slave = steal_fd(&s);
	return 0;
}

int cella_terminal_set_size(int fd, unsigned rows, unsigned cols, cella_err_t *err)
{
	struct winsize ws = {0};

	if (rows > USHRT_MAX || cols > USHRT_MAX)
		return cella_error_make(err, EINVAL, "terminal size %ux%u: at most %u rows and columns", rows,
					cols, (unsigned)USHRT_MAX);
	ws.ws_row = (unsigned short)rows;
	ws.ws_col = (unsigned short)cols;
	if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
		return cella_error_sys(err, "cannot set the terminal size to %ux%u", rows, cols);
	return 0;
}

int cella_terminal_make_controlling(int slave, cella_err_t *err)
{
	if (setsid() < 0)
		return cella_error_sys(err, "setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return cella_error_sys(err, "cannot make the pty the controlling terminal (TIOCSCTTY)");
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(slave, fd) < 0)
			return cella_error_sys(err, "cannot dup the pty onto fd %d", fd);
	if (slave > 2)
		close(slave);
	return 0;
}
