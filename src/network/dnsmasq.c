// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * DHCP and DNS for a network, by dnsmasq as Incus runs it: bound to the
 * bridge only, authoritative for the range, its files (pid, leases, log) in
 * STATE_DIR/NAME.*. dnsmasq daemonizes itself; we find it again by its pid
 * file and only signal a pid whose command line names that very pid file, so
 * a recycled pid is never killed.
 *
 * Two modes: a dynamic range (cella_network_config.dhcp_range), or "static" for cellad's
 * VMs: the whole subnet, but only for the hosts listed in STATE_DIR/NAME.hosts.d, one
 * file per host, which dnsmasq watches by inotify.
 */
#include "tools.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cella/cleanup.h>
#include <cella/file.h>

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

/* Starts dnsmasq with the network's fixed arguments plus range (and hostsdir, NULL for none). */
static int start_with(const char *name, const char *state_dir, uint32_t gateway, const char *range,
		      const char *hostsdir, cella_err_t *err)
{
	const char *dir = dir_or_default(state_dir);
	char path[64], gw_text[16];
	_cleanup_free_ char *iface = NULL, *listen = NULL, *pid_file = NULL, *leases = NULL, *log = NULL,
			    *out = NULL;
	int ret;

	if (net_find_program("dnsmasq", path) == NULL)
		return cella_error_make(err, ENOENT, "network %s: dnsmasq not found (install dnsmasq-base)",
					name);
	ret = mkdir_parents(dir, err);
	if (ret < 0)
		return cella_error_wrap(err, "network %s: state directory", name);
	cella_network_ipv4_format(gateway, gw_text);
	if (asprintf(&iface, "--interface=%s", name) < 0 ||
	    asprintf(&listen, "--listen-address=%s", gw_text) < 0 ||
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
				      hostsdir,
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

int net_dnsmasq_start(const char *name, const char *state_dir, const struct cella_ipv4_cidr *gw,
		      uint32_t first, uint32_t last, cella_err_t *err)
{
	char first_text[16], last_text[16];
	_cleanup_free_ char *range = NULL;

	cella_network_ipv4_format(first, first_text);
	cella_network_ipv4_format(last, last_text);
	if (asprintf(&range, "--dhcp-range=%s,%s,1h", first_text, last_text) < 0)
		abort();
	return start_with(name, state_dir, gw->address, range, NULL, err);
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

/* STATE_DIR/NAME.hosts.d: one dhcp-host file per known host (static mode). Caller frees. */
static char *hostsdir_path(const char *name, const char *dir)
{
	char *p;

	if (asprintf(&p, "%s/%s.hosts.d", dir, name) < 0)
		abort();
	return p;
}

static void remove_hostsdir(const char *name, const char *dir)
{
	_cleanup_free_ char *hosts = hostsdir_path(name, dir);
	DIR *d = opendir(hosts);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			(void)unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	(void)rmdir(hosts);
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

/*
 * Whether pid has sig blocked (/proc/PID/status SigBlk). A dnsmasq spawned by a daemon that
 * blocks SIGTERM and SIGHUP for its sigwait thread inherits that mask (posix_spawn keeps it),
 * and then neither stops on SIGTERM nor reloads on SIGHUP.
 */
static bool signal_blocked(pid_t pid, int sig)
{
	_cleanup_free_ char *path = NULL, *status = NULL;
	cella_err_t ignore = NULL;
	unsigned long long mask;
	const char *line;

	if (asprintf(&path, "/proc/%d/status", (int)pid) < 0)
		abort();
	if (cella_file_read(path, 1 << 16, &status, NULL, &ignore) < 0) {
		cella_error_release(&ignore);
		return false;
	}
	line = strstr(status, "\nSigBlk:");
	return line && sscanf(line + 8, "%llx", &mask) == 1 && (mask >> (sig - 1) & 1);
}

/* SIGTERM (SIGKILL where it is blocked), a bounded wait, then SIGKILL. */
static int terminate(const char *name, pid_t pid, cella_err_t *err)
{
	struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};
	int sig = signal_blocked(pid, SIGTERM) ? SIGKILL : SIGTERM;

	if (kill(pid, sig) < 0 && errno != ESRCH)
		return cella_error_sys(err, "network %s: stopping dnsmasq (pid %d)", name, (int)pid);
	/* dnsmasq exits promptly on SIGTERM; 5 s bounds a wedged one before SIGKILL. */
	for (int i = 0; i < 500 && !is_gone(pid); i++)
		nanosleep(&tick, NULL);
	if (!is_gone(pid)) {
		(void)kill(pid, SIGKILL);
		for (int i = 0; i < 200 && !is_gone(pid); i++)
			nanosleep(&tick, NULL);
	}
	return 0;
}

int net_dnsmasq_stop(const char *name, const char *state_dir, cella_err_t *err)
{
	pid_t pid = net_dnsmasq_pid(name, state_dir);

	if (pid > 0 && terminate(name, pid, err) < 0)
		return -1;
	remove_files(name, dir_or_default(state_dir));
	remove_hostsdir(name, dir_or_default(state_dir));
	return pid > 0;
}

/* --- static mode: addresses only for the hosts listed in NAME.hosts.d --- */

struct static_args {
	char *range, *hostsdir, *listen; /* the arguments that make a running dnsmasq the right one */
};

static void static_args_free(struct static_args *a)
{
	free(a->range);
	free(a->hostsdir);
	free(a->listen);
}

static int static_args_make(const char *name, const char *gateway_cidr, const char *dir,
			    struct cella_ipv4_cidr *gw, struct static_args *a, cella_err_t *err)
{
	char net_text[16], mask_text[16], gw_text[16];
	_cleanup_free_ char *hosts = NULL;
	uint32_t mask;

	if (cella_network_ifname_validate("network.name", name, err) < 0 ||
	    cella_network_ipv4_cidr_parse("network.ipv4.address", gateway_cidr, gw, err) < 0 ||
	    cella_network_ipv4_gateway_validate("network.ipv4.address", gw, err) < 0)
		return -1;
	mask = 0xFFFFFFFFu << (32 - gw->prefix); /* prefix is 8..30 here */
	cella_network_ipv4_format(gw->address & mask, net_text);
	cella_network_ipv4_format(mask, mask_text);
	cella_network_ipv4_format(gw->address, gw_text);
	hosts = hostsdir_path(name, dir);
	/* "static": the whole subnet, but only to hosts with a dhcp-host entry, so dnsmasq never hands
	 * out an address that the daemon gave to someone else (a container's static address). */
	if (asprintf(&a->range, "--dhcp-range=%s,static,%s,1h", net_text, mask_text) < 0 ||
	    asprintf(&a->hostsdir, "--dhcp-hostsdir=%s", hosts) < 0 ||
	    asprintf(&a->listen, "--listen-address=%s", gw_text) < 0)
		abort();
	return 0;
}

int cella_network_dhcp_static_start(const char *name, const char *gateway_cidr, const char *state_dir,
				    cella_err_t *err)
{
	const char *dir = dir_or_default(state_dir);
	struct static_args a = {0};
	struct cella_ipv4_cidr gw;
	_cleanup_free_ char *hosts = NULL;
	pid_t pid;
	int ret = -1;

	if (static_args_make(name, gateway_cidr, dir, &gw, &a, err) < 0)
		goto out;
	hosts = hostsdir_path(name, dir);
	if (mkdir_parents(hosts, err) < 0) {
		cella_error_wrap(err, "network %s: DHCP hosts directory", name);
		goto out;
	}
	pid = net_dnsmasq_pid(name, state_dir);
	if (pid > 0 && cmdline_has(pid, a.range) && cmdline_has(pid, a.hostsdir) &&
	    cmdline_has(pid, a.listen)) {
		ret = 0;
		goto out;
	}
	/* One started otherwise (an older daemon's, a dynamic range) hands out addresses it should not:
	 * replace it. Its leases go with it; a client renews with the new one. */
	if (pid > 0 && terminate(name, pid, err) < 0)
		goto out;
	remove_files(name, dir);
	ret = start_with(name, state_dir, gw.address, a.range, a.hostsdir, err);
out:
	static_args_free(&a);
	return ret;
}

/* A host's file name in NAME.hosts.d: 1..63 of [A-Za-z0-9-], not starting with '-' (a DNS label). */
static int host_validate(const char *host, cella_err_t *err)
{
	size_t n = host ? strlen(host) : 0;

	if (n == 0 || n > 63 || host[0] == '-' ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != n)
		return cella_error_make(err, EINVAL,
					"DHCP host: '%s' is not a host name (1-63 letters, digits and '-')",
					host ? host : "");
	return 0;
}

static char *host_path(const char *name, const char *state_dir, const char *host)
{
	_cleanup_free_ char *hosts = hostsdir_path(name, dir_or_default(state_dir));
	char *p;

	if (asprintf(&p, "%s/%s", hosts, host) < 0)
		abort();
	return p;
}

/* Copies the running dnsmasq's argv (NUL-separated in buf) into argv[]; false when it does not fit. */
static bool running_argv(pid_t pid, char *buf, size_t size, const char **argv, size_t max)
{
	char path[64];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	size_t argc = 0;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, size - 1)) <= 0 || (size_t)n == size - 1 || buf[n - 1] != '\0')
		return false;
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1) {
		if (argc + 1 >= max)
			return false;
		argv[argc++] = buf + i;
	}
	argv[argc] = NULL;
	/* Re-run only what we started: an absolute dnsmasq. */
	return argc > 1 && argv[0][0] == '/' && strcmp(strrchr(argv[0], '/'), "/dnsmasq") == 0;
}

/* The lease file without the leases of mac ("EXPIRY MAC IP NAME CLIENT-ID" lines). */
static void drop_leases(const char *leases_path, const char *mac)
{
	_cleanup_free_ char *text = NULL, *kept = NULL;
	cella_err_t ignore = NULL;
	size_t len, used = 0, mac_len = strlen(mac);
	bool dropped = false;

	if (cella_file_read(leases_path, 1 << 20, &text, &len, &ignore) < 0) {
		cella_error_release(&ignore);
		return;
	}
	kept = malloc(len + 1);
	if (kept == NULL)
		abort();
	for (char *line = text, *next; *line; line = next) {
		size_t line_len = strcspn(line, "\n");
		/* The second field of this line only: the MAC must sit wholly inside it. */
		char *field = memchr(line, ' ', line_len);

		next = line + line_len;
		if (*next)
			next++;
		if (field && (size_t)(field - line) + 2 + mac_len <= line_len &&
		    strncasecmp(field + 1, mac, mac_len) == 0 && field[1 + mac_len] == ' ') {
			dropped = true;
			continue;
		}
		memcpy(kept + used, line, (size_t)(next - line));
		used += (size_t)(next - line);
	}
	if (dropped && cella_file_write_atomic(leases_path, kept, used, 0644, &ignore) < 0)
		cella_error_release(&ignore);
}

/*
 * Makes the running dnsmasq (pid) re-read its host entries: SIGHUP; or, where SIGHUP is blocked or
 * a lease of drop_mac must go (dnsmasq refuses an address leased to another MAC until that lease
 * expires, and no signal drops one), a restart with the same arguments on a lease file without
 * drop_mac's leases.
 */
static int reload(const char *name, const char *dir, pid_t pid, const char *drop_mac, cella_err_t *err)
{
	_cleanup_free_ char *leases = NULL, *lease_text = NULL, *out = NULL;
	char argv_buf[4096];
	const char *argv[64];
	cella_err_t ignore = NULL;
	int ret;

	if (asprintf(&leases, "%s/%s.leases", dir, name) < 0)
		abort();
	if (drop_mac && (cella_file_read(leases, 1 << 20, &lease_text, NULL, &ignore) < 0 ||
			 strcasestr(lease_text, drop_mac) == NULL)) {
		cella_error_release(&ignore);
		drop_mac = NULL;
	}
	if (drop_mac == NULL && !signal_blocked(pid, SIGHUP)) {
		if (kill(pid, SIGHUP) < 0 && errno != ESRCH)
			return cella_error_sys(err, "network %s: signalling dnsmasq (pid %d)", name,
					       (int)pid);
		return 0;
	}
	if (!running_argv(pid, argv_buf, sizeof(argv_buf), argv, sizeof(argv) / sizeof(argv[0])))
		return cella_error_make(err, 0,
					"network %s: cannot restart dnsmasq (pid %d): its command line", name,
					(int)pid);
	if (terminate(name, pid, err) < 0)
		return -1;
	if (drop_mac)
		drop_leases(leases, drop_mac);
	ret = net_run(argv, NULL, &out, err);
	if (ret < 0)
		return cella_error_wrap(err, "network %s: restarting dnsmasq", name);
	if (ret != 0) {
		out[strcspn(out, "\n")] = '\0';
		return cella_error_make(err, 0, "network %s: dnsmasq failed to restart (exit %d): %s", name,
					ret, out);
	}
	return 0;
}

int cella_network_dhcp_host_set(const char *name, const char *state_dir, const char *host, const char *mac,
				const char *address, cella_err_t *err)
{
	_cleanup_free_ char *hosts = NULL, *path = NULL, *old = NULL, *line = NULL;
	uint8_t mac_bytes[6];
	uint32_t ip;
	pid_t pid;
	bool had;

	if (cella_network_ifname_validate("network.name", name, err) < 0 || host_validate(host, err) < 0 ||
	    cella_network_mac_parse("DHCP host MAC", mac, mac_bytes, err) < 0 ||
	    cella_network_ipv4_parse("DHCP host address", address, &ip, err) < 0)
		return -1;
	hosts = hostsdir_path(name, dir_or_default(state_dir));
	if (cella_mkdir_p(hosts, 0755, err) < 0)
		return cella_error_wrap(err, "network %s: DHCP hosts directory", name);
	path = host_path(name, state_dir, host);
	if (asprintf(&line, "%s,%s,%s\n", mac, address, host) < 0)
		abort();
	had = cella_file_read(path, 4096, &old, NULL, err) == 0;
	if (!had)
		cella_error_release(err);
	if (had && strcmp(old, line) == 0)
		return 0;
	/* dnsmasq reads it (world-readable: it runs as nobody) on its inotify event for the rename. */
	if (cella_file_write_atomic(path, line, strlen(line), 0644, err) < 0)
		return cella_error_wrap(err, "network %s: DHCP host %s", name, host);
	/* A changed file adds its new entry, but the old one stays until dnsmasq re-reads them all. */
	if (had && (pid = net_dnsmasq_pid(name, state_dir)) > 0 &&
	    reload(name, dir_or_default(state_dir), pid, NULL, err) < 0)
		return cella_error_wrap(err, "network %s: DHCP host %s", name, host);
	return 0;
}

int cella_network_dhcp_host_remove(const char *name, const char *state_dir, const char *host,
				   cella_err_t *err)
{
	_cleanup_free_ char *path = NULL, *entry = NULL;
	char mac[18] = "";
	pid_t pid;

	if (cella_network_ifname_validate("network.name", name, err) < 0 || host_validate(host, err) < 0)
		return -1;
	path = host_path(name, state_dir, host);
	if (cella_file_read(path, 4096, &entry, NULL, err) == 0 && strlen(entry) >= 17 && entry[17] == ',')
		memcpy(mac, entry, 17);
	else
		cella_error_release(err);
	if (unlink(path) < 0)
		return errno == ENOENT
			       ? 0
			       : cella_error_sys(err, "network %s: removing DHCP host %s", name, path);
	/* A deleted file's entry stays in dnsmasq until it re-reads its hosts. */
	pid = net_dnsmasq_pid(name, state_dir);
	if (pid > 0 && reload(name, dir_or_default(state_dir), pid, mac[0] ? mac : NULL, err) < 0)
		return cella_error_wrap(err, "network %s: DHCP host %s removed", name, host);
	return 1;
}
