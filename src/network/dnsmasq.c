// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * DHCP and DNS for a network, by dnsmasq as Incus runs it: bound to the
 * bridge only, authoritative for the range, its files (pid, leases, log) in
 * STATE_DIR/NAME.*. dnsmasq daemonizes itself; we find it again by its pid
 * file and only signal a pid whose command line names that very pid file, so
 * a recycled pid is never killed.
 */
#include "tools.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cella/cleanup.h>

static const char *dir_or_default(const char *state_dir)
{
	return state_dir && *state_dir ? state_dir : CELLA_NETWORK_DEFAULT_STATE_DIR;
}

static int mkdir_parents(const char *dir, cella_err_t *err)
{
	_cleanup_free_ char *copy = strdup(dir);

	if (copy == NULL)
		abort();
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST)
			return cella_error_sys(err, "creating %s", copy);
		*p = '/';
	}
	if (mkdir(copy, 0755) < 0 && errno != EEXIST)
		return cella_error_sys(err, "creating %s", copy);
	return 0;
}

int net_dnsmasq_start(const char *name, const char *state_dir, const struct cella_ipv4_cidr *gw,
		      uint32_t first, uint32_t last, cella_err_t *err)
{
	const char *dir = dir_or_default(state_dir);
	char path[64], gw_text[16], first_text[16], last_text[16];
	_cleanup_free_ char *iface = NULL, *listen = NULL, *range = NULL, *pid_file = NULL, *leases = NULL,
			    *log = NULL, *out = NULL;
	int ret;

	if (net_find_program("dnsmasq", path) == NULL)
		return cella_error_make(err, ENOENT, "network %s: dnsmasq not found (install dnsmasq-base)",
					name);
	ret = mkdir_parents(dir, err);
	if (ret < 0)
		return cella_error_wrap(err, "network %s: state directory", name);
	cella_network_ipv4_format(gw->address, gw_text);
	cella_network_ipv4_format(first, first_text);
	cella_network_ipv4_format(last, last_text);
	if (asprintf(&iface, "--interface=%s", name) < 0 ||
	    asprintf(&listen, "--listen-address=%s", gw_text) < 0 ||
	    asprintf(&range, "--dhcp-range=%s,%s,1h", first_text, last_text) < 0 ||
	    asprintf(&pid_file, "--pid-file=%s/%s.pid", dir, name) < 0 ||
	    asprintf(&leases, "--dhcp-leasefile=%s/%s.leases", dir, name) < 0 ||
	    asprintf(&log, "--log-facility=%s/%s.log", dir, name) < 0)
		abort();
	{
		/* --conf-file=/dev/null: the host's /etc/dnsmasq.conf must not change our instance. */
		const char *argv[] = {path,
				      "--conf-file=/dev/null",
				      "--strict-order",
				      "--bind-interfaces",
				      "--except-interface=lo",
				      iface,
				      listen,
				      range,
				      "--dhcp-no-override",
				      "--dhcp-authoritative",
				      "--no-ping",
				      pid_file,
				      leases,
				      log,
				      NULL};

		ret = net_run(argv, NULL, &out, err);
	}
	if (ret < 0)
		return cella_error_wrap(err, "network %s: starting dnsmasq", name);
	if (ret != 0) {
		out[strcspn(out, "\n")] = '\0';
		return cella_error_make(err, 0, "network %s: dnsmasq failed (exit %d): %s", name, ret, out);
	}
	if (net_dnsmasq_pid(name, state_dir) <= 0)
		return cella_error_make(err, 0,
					"network %s: dnsmasq exited without a running daemon (see %s/%s.log)",
					name, dir, name);
	return 0;
}

/* Whether /proc/PID/cmdline contains the argument want. */
static bool cmdline_has(pid_t pid, const char *want)
{
	char path[64], buf[4096];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1) {
		if (strcmp(buf + i, want) == 0)
			return true;
	}
	return false;
}

/* A zombie has not gone yet for kill(0), but it no longer serves or holds the netns. */
static bool is_gone(pid_t pid)
{
	char path[64], buf[512];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	char *close_paren;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	close_paren = strrchr(buf, ')');
	return close_paren == NULL || close_paren[1] == '\0' || close_paren[2] == 'Z' ||
	       close_paren[2] == 'X';
}

pid_t net_dnsmasq_pid(const char *name, const char *state_dir)
{
	_cleanup_free_ char *pid_file = NULL, *arg = NULL;
	_cleanup_close_ int fd = -1;
	char line[32], *end;
	ssize_t n;
	long pid;

	if (asprintf(&pid_file, "%s/%s.pid", dir_or_default(state_dir), name) < 0 ||
	    asprintf(&arg, "--pid-file=%s", pid_file) < 0)
		abort();
	fd = open(pid_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	n = read(fd, line, sizeof(line) - 1);
	if (n <= 0)
		return 0;
	line[n] = '\0';
	errno = 0;
	pid = strtol(line, &end, 10);
	if (errno || end == line || (*end != '\n' && *end != '\0') || pid <= 1 || pid > 4194304)
		return 0;
	if (is_gone((pid_t)pid) || !cmdline_has((pid_t)pid, arg))
		return 0;
	return (pid_t)pid;
}

static void remove_files(const char *name, const char *dir)
{
	static const char *const ext[] = {"pid", "leases", "log"};

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		_cleanup_free_ char *p = NULL;

		if (asprintf(&p, "%s/%s.%s", dir, name, ext[i]) < 0)
			abort();
		(void)unlink(p);
	}
}

int net_dnsmasq_stop(const char *name, const char *state_dir, cella_err_t *err)
{
	pid_t pid = net_dnsmasq_pid(name, state_dir);
	struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};

	if (pid > 0) {
		if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
			return cella_error_sys(err, "network %s: stopping dnsmasq (pid %d)", name, (int)pid);
		/* dnsmasq exits promptly on SIGTERM; 5 s bounds a wedged one before SIGKILL. */
		for (int i = 0; i < 500 && !is_gone(pid); i++)
			nanosleep(&tick, NULL);
		if (!is_gone(pid)) {
			(void)kill(pid, SIGKILL);
			for (int i = 0; i < 200 && !is_gone(pid); i++)
				nanosleep(&tick, NULL);
		}
	}
	remove_files(name, dir_or_default(state_dir));
	return pid > 0;
}
