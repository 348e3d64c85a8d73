// SPDX-License-Identifier: GPL-2.0-or-later
/* VM instances: spawning cella-vmm detached, finding it again, driving it through its API socket. */
#include "vm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "container.h"
#include "networks.h"
#include "util.h"
#include "vm_disk.h"
#include "devices.h"
#include "vm_nic.h"

/* How long the VMM may take to answer its API after the spawn (ASan builds on nested KVM are slow). */
#define VM_READY_MS 20000
/* After force-shutdown, and again after SIGKILL, how long the process may take to go. */
#define VM_EXIT_MS  10000
#define VM_MAX_CPUS 255

static char *vm_path(struct cellad *d, const char *name, const char *leaf)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s/%s", d->instances_dir, name, leaf) < 0)
		return NULL;
	return p;
}

char *cellad_vm_console_socket(struct cellad *d, const char *name)
{
	char *p = vm_path(d, name, "console.sock");

	/* A path a unix socket cannot have (sun_path: 108 bytes) means no interactive console, not no VM. */
	if (p && strlen(p) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		free(p);
		return NULL;
	}
	return p;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

int cellad_vm_config_validate(json_t *config, cella_err_t *err)
{
	static const char *const refused[] = {"limits.processes", "security.privileged", "command"};
	json_t *v;
	long long size;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (json_object_get(config, refused[i]))
			return cella_error_make(err, EINVAL, "config: %s: not supported for vm instances",
						refused[i]);
	v = json_object_get(config, "limits.cpu");
	if (v) {
		const char *text = json_string_value(v);
		long long n = json_is_integer(v) ? json_integer_value(v) : -1;
		char *end = NULL;

		if (text) {
			errno = 0;
			n = strtoll(text, &end, 10);
			if (errno || end == text || *end)
				n = -1;
		}
		if (n < 1 || n > VM_MAX_CPUS)
			return cella_error_make(
				err, EINVAL, "config: limits.cpu: a vm needs a whole number of vCPUs, 1..%d",
				VM_MAX_CPUS);
	}
	v = json_object_get(config, "limits.memory");
	if (v && cellad_config_size("limits.memory", v, &size, err) < 0)
		return -1;
	if (v && size < (2LL << 20))
		return cella_error_make(err, EINVAL, "config: limits.memory: a vm needs at least 2MiB");
	return 0;
}

int cellad_vm_image_check(const char *vm_dir, cella_err_t *err)
{
	static const char *const known[] = {"kernel", "initrd", "cmdline", "disk.img"};
	_cleanup_closedir_ DIR *dh = opendir(vm_dir);
	bool kernel = false;
	struct dirent *e;

	if (dh == NULL)
		return cella_error_sys(err, "open '%s'", vm_dir);
	while ((e = readdir(dh))) {
		bool ok = false;
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok = ok || strcmp(e->d_name, known[i]) == 0;
		if (!ok)
			return cella_error_make(
				err, EINVAL,
				"source.path: unexpected entry '%s' in a vm image directory (known: "
				"kernel, initrd, cmdline, disk.img)",
				e->d_name);
		if (fstatat(dirfd(dh), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			return cella_error_make(err, EINVAL, "source.path: '%s' must be a regular file",
						e->d_name);
		kernel = kernel || strcmp(e->d_name, "kernel") == 0;
	}
	if (!kernel)
		return cella_error_make(err, EINVAL,
					"source.path: a vm image directory needs a 'kernel' file");
	return 0;
}

/* Reads at most size-1 bytes of a small file into buf, NUL-terminated; the length or -1. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* The command line of the image (vm/cmdline, first line, at most 4 KiB) or NULL. */
static char *read_cmdline(const char *image_dir)
{
	_cleanup_free_ char *path = NULL;
	char buf[4096];

	if (asprintf(&path, "%s/vm/cmdline", image_dir) < 0 || read_small(path, buf, sizeof(buf)) < 0)
		return NULL;
	buf[strcspn(buf, "\n")] = '\0';
	return strdup(buf);
}

/* True when pid runs cella-vmm with this very socket (a recycled pid is someone else), and is no zombie. */
static bool is_our_vmm(pid_t pid, const char *sock)
{
	char path[64], buf[8192], state = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0 || strrchr(buf, ')') == NULL ||
	    sscanf(strrchr(buf, ')'), ") %c", &state) != 1 || state == 'Z' || state == 'X')
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	n = read_small(path, buf, sizeof(buf));
	if (n <= 0)
		return false;
	for (char *a = buf; a < buf + n; a += strlen(a) + 1)
		if (strcmp(a, "--api-socket") == 0 && a + strlen(a) + 1 < buf + n &&
		    strcmp(a + strlen(a) + 1, sock) == 0)
			return true;
	return false;
}

/* The VMM's pid from vmm.pid when that process is still our VMM, else 0. */
static pid_t vmm_pid(struct cellad *d, const char *name)
{
	_cleanup_free_ char *pid_path = vm_path(d, name, "vmm.pid"), *sock = vm_path(d, name, "vmm.sock");
	char text[32];
	int pid = 0;

	if (pid_path == NULL || sock == NULL || read_small(pid_path, text, sizeof(text)) <= 0 ||
	    sscanf(text, "%d", &pid) != 1 || pid <= 0)
		return 0;
	return is_our_vmm(pid, sock) ? pid : 0;
}

/* Reaps pid if it is our child (it is until a cellad restart; then pid 1 reaps it). */
static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, WNOHANG) < 0 && errno == EINTR)
		;
}

char *cellad_vm_status(struct cellad *d, const char *name)
{
	_cleanup_free_ char *sock = vm_path(d, name, "vmm.sock"), *body = NULL;
	cella_err_t err = NULL;
	json_t *reply;
	char *state = NULL;
	int status;

	if (sock == NULL || vmm_pid(d, name) == 0)
		return NULL;
	if (cellad_vm_api(sock, "GET", "/vm", NULL, &status, &body, &err) < 0 || status != 200) {
		/* Alive but not answering (busy, or still starting): it runs. */
		cella_error_release(&err);
		return strdup("running");
	}
	reply = json_loads(body, 0, NULL);
	state = strdup(json_string_value(json_object_get(reply, "state")) ?: "running");
	json_decref(reply);
	return state;
}

static int put_state(const char *sock, const char *state, cella_err_t *err)
{
	_cleanup_free_ char *body = NULL, *req = NULL;
	int status;

	if (asprintf(&req, "{\"state\":\"%s\"}", state) < 0)
		return cella_error_make(err, ENOMEM, "VMM request");
	if (cellad_vm_api(sock, "PUT", "/vm/state", req, &status, &body, err) < 0)
		return -1;
	if (status / 100 != 2)
		return cella_error_make(err, EIO, "the VMM refused state '%s': HTTP %d %s", state, status,
					body ? body : "");
	return 0;
}

/* The last line of vmm.log, for an error message. */
static void last_log_line(const char *log_path, char *out, size_t size)
{
	_cleanup_fclose_ FILE *f = fopen(log_path, "re");
	char line[512];

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (line[0] != '\n')
			snprintf(out, size, "%s", line);
	out[strcspn(out, "\n")] = '\0';
}

/* In the child: own session, stdin /dev/null, stdout/stderr to vmm.log, then the VMM. */
static void exec_vmm(const char *log_path, char **argv, int report_fd)
{
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	sigset_t none;
	int e;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setsid();
	if (null_fd >= 0 && log_fd >= 0 && dup2(null_fd, 0) >= 0 && dup2(log_fd, 1) >= 0 &&
	    dup2(log_fd, 2) >= 0)
		execv(argv[0], argv);
	e = errno;
	if (write(report_fd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

static int spawn(const char *log_path, char **argv, pid_t *out, cella_err_t *err)
{
	int p[2], child_errno = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return cella_error_sys(err, "pipe");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return cella_error_sys(err, "fork");
	}
	if (pid == 0) {
		close(p[0]);
		exec_vmm(log_path, argv, p[1]);
	}
	close(p[1]);
	/* The pipe closes at a successful exec; an errno arrives when it failed. */
	do
		n = read(p[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == sizeof(child_errno)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return cella_error_make(err, child_errno, "run the VMM '%s'", argv[0]);
	}
	*out = pid;
	return 0;
}

static int wait_ready(pid_t pid, const char *sock, const char *log_path, cella_err_t *err)
{
	long long deadline = cellad_now_ms() + VM_READY_MS;
	cella_err_t ignore = NULL;

	for (;;) {
		int status = 0, wstatus = 0;
		pid_t r = waitpid(pid, &wstatus, WNOHANG);

		if (r == pid) {
			char line[512];

			last_log_line(log_path, line, sizeof(line));
			return cella_error_make(err, 0, "the VMM exited at start (wait status 0x%x): %s",
						wstatus, line[0] ? line : "see vmm.log");
		}
		if (cellad_vm_api(sock, "GET", "/vm", NULL, &status, NULL, &ignore) == 0 && status == 200)
			return 0;
		cella_error_release(&ignore);
		if (cellad_now_ms() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			return cella_error_make(err, ETIMEDOUT, "the VMM did not answer on '%s' within %d ms",
						sock, VM_READY_MS);
		}
		sleep_ms(20);
	}
}

static int write_pid_file(const char *path, pid_t pid, cella_err_t *err)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%d\n", (int)pid);

	return cellad_write_file(path, text, (size_t)n, 0600, err);
}

/* Spawns the VMM with argv, records its pid and waits until its API answers. */
static int launch(struct cellad *d, const char *name, const char **argv, cella_err_t *err)
{
	_cleanup_free_ char *sock = vm_path(d, name, "vmm.sock"), *pid_path = vm_path(d, name, "vmm.pid"),
			    *log_path = vm_path(d, name, "vmm.log");
	pid_t pid;

	if (sock == NULL || pid_path == NULL || log_path == NULL)
		return cella_error_make(err, ENOMEM, "start");
	if (spawn(log_path, (char **)argv, &pid, err) < 0)
		return -1;
	if (write_pid_file(pid_path, pid, err) < 0) {
		kill(pid, SIGKILL);
		reap(pid);
		return -1;
	}
	if (wait_ready(pid, sock, log_path, err) < 0) {
		unlink(pid_path);
		return -1;
	}
	return 0;
}

static int check_vmm(struct cellad *d, const char *name, cella_err_t *err)
{
	if (d->vmm_path == NULL || access(d->vmm_path, X_OK) < 0)
		return cella_error_make(err, ENOENT,
					"no cella-vmm to run VMs with ('%s'): give cellad --vmm PATH or set "
					"CELLA_VMM",
					d->vmm_path ? d->vmm_path : "not found");
	if (vmm_pid(d, name) != 0)
		return cella_error_make(err, EBUSY, "a VMM already runs for '%s'", name);
	return 0;
}

char *cellad_vm_disk_path(struct cellad *d, const char *name)
{
	return vm_path(d, name, "disk.img");
}

/*
 * The instance's own root disk: copied from the image's vm/disk.img the first time (at the create's
 * start, or the first start of an instance created stopped), kept afterwards. *path = NULL when the
 * image has no disk.
 */
static int prepare_disk(struct cellad *d, const char *name, const char *image_dir, char **path,
			cella_err_t *err)
{
	_cleanup_free_ char *src = NULL, *dst = cellad_vm_disk_path(d, name);
	enum cellad_vm_disk_method method;
	struct stat st;

	*path = NULL;
	if (dst == NULL || asprintf(&src, "%s/vm/disk.img", image_dir) < 0)
		return cella_error_make(err, ENOMEM, "disk");
	if (lstat(dst, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return cella_error_make(err, EINVAL, "vm '%s': '%s' is not a regular file", name,
						dst);
	} else if (lstat(src, &st) < 0) {
		return errno == ENOENT ? 0 : cella_error_sys(err, "stat '%s'", src);
	} else {
		if (cellad_vm_disk_copy(src, dst, &method, NULL, err) < 0)
			return cella_error_wrap(err, "vm '%s': copy the image's disk", name);
		fprintf(stderr, "cellad: vm %s: root disk copied from the image (%s)\n", name,
			cellad_vm_disk_method_name(method));
		if (cellad_vm_config_set(d, name, "volatile.root.copy", cellad_vm_disk_method_name(method),
					 err) < 0)
			return -1;
	}
	/* cella-vmm's option syntax separates fields with commas. */
	if (strchr(dst, ',') || strchr(dst, '='))
		return cella_error_make(
			err, EINVAL,
			"vm '%s': the disk path '%s' holds ',' or '=', which --disk cannot carry", name, dst);
	/* id=root: the device's name in cella-vmm's API and snapshots, apart from device-given ids. */
	if (asprintf(path, "path=%s,id=root", dst) < 0)
		return cella_error_make(err, ENOMEM, "disk");
	return 0;
}

/* The NIC's identity and TAP (--network default); *opt = "tap=NAME,mac=MAC" or NULL without a network. */
static int prepare_nic(struct cellad *d, const char *name, char **opt, cella_err_t *err)
{
	struct cellad_vm_nic nic = {0};

	*opt = NULL;
	if (!d->network)
		return 0;
	if (cellad_vm_nic_identity(d, name, &nic, err) < 0 || cellad_vm_tap_create(&nic, err) < 0)
		return cella_error_wrap(err, "vm '%s'", name);
	if (asprintf(opt, "tap=%s,mac=%s,id=eth0", nic.tap, nic.mac) < 0)
		return cella_error_make(err, ENOMEM, "net");
	return 0;
}

/* Every TAP of the VM: eth0's and its NIC devices' (persistent TAPs outlive their VMM). */
static void remove_taps(struct cellad *d, const char *name)
{
	cellad_vm_tap_remove(d, name);
	cellad_devices_vm_release(d, name);
}

/* The devices' cella-vmm arguments, their TAPs made (cellad_devices_vm_prepare); on failure eth0's TAP goes
 * too, as prepare_nic made it just before. */
static char **prepare_devices(struct cellad *d, const char *name, cella_err_t *err)
{
	json_t *devices = cellad_devices_load(d, name, err);
	char **args = devices ? cellad_devices_vm_prepare(d, name, devices, err) : NULL;

	json_decref(devices);
	if (args == NULL)
		cellad_vm_tap_remove(d, name);
	return args;
}

/* --console, --console-socket (when the path fits a unix socket) and --api-socket at argv[argc]; the new argc. */
static size_t add_console_and_api(const char **argv, size_t argc, const char *console,
				  const char *console_sock, const char *sock)
{
	argv[argc++] = "--console";
	argv[argc++] = console;
	if (console_sock) {
		argv[argc++] = "--console-socket";
		argv[argc++] = console_sock;
	}
	argv[argc++] = "--api-socket";
	argv[argc++] = sock;
	return argc;
}

int cellad_vm_start(struct cellad *d, const char *name, const char *image_dir, json_t *config,
		    cella_err_t *err)
{
	_cleanup_free_ char *sock = vm_path(d, name, "vmm.sock"), *console = NULL, *kernel = NULL,
			    *initrd = NULL, *cmdline = read_cmdline(image_dir), *disk = NULL, *net = NULL,
			    *console_sock = cellad_vm_console_socket(d, name);
	char memory[32] = "128", cpus[16] = "1";
	const char *argv[24 + 2 * CELLAD_MAX_DEVICES];
	size_t argc = 0;
	struct stat st;
	long long size;
	json_t *v;
	char **device_args = NULL;

	if (sock == NULL || asprintf(&console, "file:%s/%s/console.log", d->instances_dir, name) < 0 ||
	    asprintf(&kernel, "%s/vm/kernel", image_dir) < 0 ||
	    asprintf(&initrd, "%s/vm/initrd", image_dir) < 0)
		return cella_error_make(err, ENOMEM, "start");
	if (check_vmm(d, name, err) < 0)
		return -1;
	if ((v = json_object_get(config, "limits.memory")) &&
	    cellad_config_size("limits.memory", v, &size, err) == 0)
		snprintf(memory, sizeof(memory), "%lld", size >> 20);
	if ((v = json_object_get(config, "limits.cpu")))
		snprintf(cpus, sizeof(cpus), "%lld",
			 json_is_integer(v) ? (long long)json_integer_value(v) : atoll(json_string_value(v)));
	if (prepare_disk(d, name, image_dir, &disk, err) < 0 || prepare_nic(d, name, &net, err) < 0)
		return cella_error_wrap(err, "start vm '%s'", name);
	/* The guest learns its leased address from the kernel's ip= (no DHCP client needed). */
	if (net && cellad_vm_nic_cmdline_add_ip(d, name, &cmdline, err) < 0) {
		cellad_vm_tap_remove(d, name);
		return cella_error_wrap(err, "start vm '%s'", name);
	}
	device_args = prepare_devices(d, name, err);
	if (device_args == NULL)
		return cella_error_wrap(err, "start vm '%s'", name);
	argv[argc++] = d->vmm_path;
	argv[argc++] = "--kernel";
	argv[argc++] = kernel;
	if (stat(initrd, &st) == 0) {
		argv[argc++] = "--initrd";
		argv[argc++] = initrd;
	}
	if (cmdline) {
		argv[argc++] = "--cmdline";
		argv[argc++] = cmdline;
	}
	argv[argc++] = "--memory";
	argv[argc++] = memory;
	argv[argc++] = "--cpus";
	argv[argc++] = cpus;
	argc = add_console_and_api(argv, argc, console, console_sock, sock);
	if (disk) {
		argv[argc++] = "--disk";
		argv[argc++] = disk;
	}
	if (net) {
		argv[argc++] = "--net";
		argv[argc++] = net;
	}
	for (size_t i = 0; device_args[i]; i++)
		argv[argc++] = device_args[i];
	argv[argc] = NULL;
	if (launch(d, name, argv, err) < 0) {
		cellad_devices_args_free(device_args);
		remove_taps(d, name);
		return cella_error_wrap(err, "start vm '%s'", name);
	}
	cellad_devices_args_free(device_args);
	return 0;
}

int cellad_vm_start_restore(struct cellad *d, const char *name, const char *snapshot_dir, cella_err_t *err)
{
	_cleanup_free_ char *sock = vm_path(d, name, "vmm.sock"), *console = NULL, *net = NULL,
			    *console_sock = cellad_vm_console_socket(d, name);
	const char *argv[12];
	size_t argc = 0;
	char **device_args;

	if (sock == NULL || asprintf(&console, "file:%s/%s/console.log", d->instances_dir, name) < 0)
		return cella_error_make(err, ENOMEM, "restore");
	if (check_vmm(d, name, err) < 0)
		return -1;
	/* The snapshot names the TAP and the disk path; both are this instance's own, so re-made here. */
	if (prepare_nic(d, name, &net, err) < 0)
		return cella_error_wrap(err, "restore vm '%s'", name);
	/* So are the TAPs of its NIC devices (the snapshot names them; its disks are the host's, reopened):
	 * only the TAPs are wanted, not the arguments. */
	device_args = prepare_devices(d, name, err);
	if (device_args == NULL)
		return cella_error_wrap(err, "restore vm '%s'", name);
	cellad_devices_args_free(device_args);
	argv[argc++] = d->vmm_path;
	argv[argc++] = "--restore";
	argv[argc++] = snapshot_dir;
	argc = add_console_and_api(argv, argc, console, console_sock, sock);
	argv[argc] = NULL;
	if (launch(d, name, argv, err) < 0) {
		remove_taps(d, name);
		return cella_error_wrap(err, "restore vm '%s' from '%s'", name, snapshot_dir);
	}
	return 0;
}

/* Waits (bounded) for the VMM to go; true when it did. */
static bool wait_gone(struct cellad *d, const char *name, pid_t pid, long long timeout_ms)
{
	long long deadline = cellad_now_ms() + timeout_ms;

	for (;;) {
		reap(pid);
		if (vmm_pid(d, name) != pid)
			return true;
		if (cellad_now_ms() >= deadline)
			return false;
		sleep_ms(20);
	}
}

int cellad_vm_stop(struct cellad *d, const char *name, int timeout_s, bool force, cella_err_t *err)
{
	_cleanup_free_ char *sock = vm_path(d, name, "vmm.sock"), *pid_path = vm_path(d, name, "vmm.pid");
	pid_t pid = vmm_pid(d, name);
	cella_err_t ignore = NULL;

	if (sock == NULL || pid_path == NULL)
		return cella_error_make(err, ENOMEM, "stop");
	if (pid != 0) {
		/* A paused guest cannot answer the power button. */
		_cleanup_free_ char *state = cellad_vm_status(d, name);

		if (state && strcmp(state, "paused") == 0 && put_state(sock, "running", &ignore) < 0)
			cella_error_release(&ignore);
		if (!force && put_state(sock, "shutdown", &ignore) < 0)
			cella_error_release(&ignore);
		if (force || !wait_gone(d, name, pid, timeout_s * 1000LL)) {
			if (put_state(sock, "force-shutdown", &ignore) < 0)
				cella_error_release(&ignore);
			if (!wait_gone(d, name, pid, VM_EXIT_MS)) {
				kill(pid, SIGKILL);
				if (!wait_gone(d, name, pid, VM_EXIT_MS))
					return cella_error_make(
						err, ETIMEDOUT,
						"stop vm '%s': the VMM (pid %d) is still there "
						"after SIGKILL",
						name, (int)pid);
			}
		}
	}
	unlink(pid_path);
	unlink(sock);
	/* A persistent TAP outlives its VMM: it goes when the VM has stopped (or vanished). */
	remove_taps(d, name);
	return 0;
}

int cellad_vm_pause(struct cellad *d, const char *name, bool paused, cella_err_t *err)
{
	_cleanup_free_ char *sock = vm_path(d, name, "vmm.sock");

	if (sock == NULL)
		return cella_error_make(err, ENOMEM, "pause");
	if (vmm_pid(d, name) == 0)
		return cella_error_make(err, ESRCH, "vm '%s': its VMM is not running", name);
	return put_state(sock, paused ? "paused" : "running", err);
}

/*
 * The TAP's counters from /proc/net/dev (it shows the reader's network namespace, where the TAP is;
 * /sys/class/net shows the namespace sysfs was mounted in). 0 when found.
 */
static int tap_counters(const char *tap, long long *rx_bytes, long long *rx_packets, long long *tx_bytes,
			long long *tx_packets)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/net/dev", "re");
	char line[512];
	size_t len = strlen(tap);

	while (f && fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " ");

		if (strncmp(p, tap, len) == 0 && p[len] == ':' &&
		    sscanf(p + len + 1, "%lld %lld %*d %*d %*d %*d %*d %*d %lld %lld", rx_bytes, rx_packets,
			   tx_bytes, tx_packets) == 4)
			return 0;
	}
	return -1;
}

/* {hwaddr, host_name, counters} of one NIC, from its TAP's host-side counters (what the TAP received is what
 * the guest sent), or NULL when the TAP is not there. */
static json_t *nic_stats(const char *tap, const char *mac)
{
	long long rx, tx, rx_pk, tx_pk;

	if (tap_counters(tap, &tx, &tx_pk, &rx, &rx_pk) < 0)
		return NULL;
	return json_pack("{s:s, s:s, s:{s:I, s:I, s:I, s:I}}", "hwaddr", mac, "host_name", tap, "counters",
			 "bytes_received", (json_int_t)rx, "bytes_sent", (json_int_t)tx, "packets_received",
			 (json_int_t)rx_pk, "packets_sent", (json_int_t)tx_pk);
}

/* "network": {"eth0": {...}, "DEVICE": {...}}: the managed network's NIC and the NIC devices. */
static void add_net_stats(struct cellad *d, const char *name, json_t *out)
{
	struct cellad_vm_nic nic = {0};
	json_t *net = json_object(), *taps = cellad_devices_vm_taps(d, name), *o, *s;
	const char *dev;

	if (d->network && cellad_vm_nic_recorded(d, name, &nic) == 0 && (s = nic_stats(nic.tap, nic.mac)))
		json_object_set_new(net, "eth0", s);
	json_object_foreach (taps, dev, o) {
		s = nic_stats(json_string_value(json_object_get(o, "host_name")),
			      json_string_value(json_object_get(o, "hwaddr")));
		if (s)
			json_object_set_new(net, dev, s);
	}
	json_decref(taps);
	if (json_object_size(net))
		json_object_set_new(out, "network", net);
	else
		json_decref(net);
}

/*
 * "disk": {"root": {"usage", "size", "read_bytes", ...}, "DEVICE": {...}}: the bytes allocated to the
 * instance's own disk copy, and every virtio-blk disk's I/O counters as cella-vmm counts them
 * (GET /vm/devices; the root disk has id "root", a disk device its device name).
 */
static void add_disk_stats(struct cellad *d, const char *name, json_t *out)
{
	_cleanup_free_ char *path = cellad_vm_disk_path(d, name), *sock = vm_path(d, name, "vmm.sock"),
			    *body = NULL;
	json_t *disk = json_object(), *list, *dev;
	cella_err_t ignore = NULL;
	struct stat st;
	int status = 0;
	size_t i;

	if (path && stat(path, &st) == 0)
		json_object_set_new(disk, "root",
				    json_pack("{s:I, s:I}", "usage", (json_int_t)st.st_blocks * 512, "size",
					      (json_int_t)st.st_size));
	if (sock && cellad_vm_api(sock, "GET", "/vm/devices", NULL, &status, &body, &ignore) == 0 &&
	    status == 200) {
		list = json_loads(body, 0, NULL);
		json_array_foreach (list, i, dev) {
			json_t *stats = json_object_get(dev, "stats"), *entry;
			const char *id = json_string_value(json_object_get(dev, "id"));

			if (id == NULL ||
			    strcmp(json_string_value(json_object_get(dev, "type")) ?: "", "blk") ||
			    !json_is_object(stats))
				continue;
			entry = json_object_get(disk, id);
			if (entry == NULL) {
				entry = json_object();
				json_object_set_new(disk, id, entry);
			}
			json_object_update(entry, stats);
		}
		json_decref(list);
	}
	cella_error_release(&ignore);
	if (json_object_size(disk))
		json_object_set_new(out, "disk", disk);
	else
		json_decref(disk);
}

json_t *cellad_vm_stats(struct cellad *d, const char *name)
{
	pid_t pid = vmm_pid(d, name);
	unsigned long long utime = 0, stime = 0, rss_kib = 0;
	char path[64], line[256];
	_cleanup_fclose_ FILE *stat_f = NULL, *status_f = NULL;
	long ticks = sysconf(_SC_CLK_TCK);
	json_t *out;

	if (pid == 0 || ticks <= 0)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	stat_f = fopen(path, "re");
	if (stat_f == NULL ||
	    fscanf(stat_f, "%*d (%*[^)]) %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
		   &stime) != 2)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	status_f = fopen(path, "re");
	while (status_f && fgets(line, sizeof(line), status_f))
		if (sscanf(line, "VmRSS: %llu kB", &rss_kib) == 1)
			break;
	/* The VMM process's CPU time includes its vCPU threads: that is the VM's CPU time. */
	out = json_pack("{s:{s:{s:I}}, s:{s:{s:I}}, s:i}", "cpu", "usage", "total",
			(json_int_t)((utime + stime) * (1000000000ULL / (unsigned long long)ticks)), "memory",
			"usage", "usage", (json_int_t)(rss_kib * 1024), "pid", (int)pid);
	if (out) {
		add_disk_stats(d, name, out);
		add_net_stats(d, name, out);
	}
	return out;
}
