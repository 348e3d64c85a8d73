// SPDX-License-Identifier: GPL-2.0-or-later
/* cellad: options, start-up (recover, serve), signal-driven shutdown. Containers outlive it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/container.h"
#include "daemon.h"
#include "http.h"
#include "networks.h"
#include "operations.h"
#include "storage.h"
#include "util.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cellad [--root DIR] [--socket PATH] [--vmm PATH] [--network none|default]\n"
		"              [--storage dir|btrfs|auto] [--foreground]\n\n"
		"The cella management daemon: REST API (Incus style) over a unix socket.\n\n"
		"  --root DIR      state directory (default " CELLAD_DEFAULT_ROOT "): cella.db, images/,\n"
		"                  instances/, runtime/\n"
		"  --socket PATH   API socket (default " CELLAD_DEFAULT_SOCKET
		"), mode 0660, group '" CELLAD_GROUP "'\n"
		"  --vmm PATH      the cella-vmm binary for VM instances (default: $CELLA_VMM, else\n"
		"                  cella-vmm beside cellad, or ../vmm/cli/cella-vmm in the build tree)\n"
		"  --network MODE  default (the default): containers join the managed bridge\n"
		"                  " CELLAD_NETWORK_NAME " (" CELLAD_NETWORK_CIDR
		", NAT), made at start if missing;\n"
		"                  none: the host's network is not touched, containers get only loopback\n"
		"  --storage POOL  the pool for container roots and snapshots, chosen once per root and\n"
		"                  recorded: dir (overlayfs), btrfs (subvolume snapshots), auto (the\n"
		"                  default: btrfs when a new root is on btrfs)\n"
		"  --foreground    stay in the foreground and log to stderr (default: detach once the\n"
		"                  socket is ready, logging to <root>/cellad.log)\n"
		"  -h, --help      this help\n"
		"  -v, --version   print the version\n");
}

/* Forks; the parent exits 0 once the child writes to the pipe (ready) or 1 when it exits without. */
static int detach(int *ready_fd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		char msg[4096];
		size_t len = 0;
		ssize_t n;

		/* 'r' = ready; anything else is the error that stopped the daemon, to show here. */
		close(p[1]);
		while (len < sizeof(msg) - 1) {
			n = read(p[0], msg + len, sizeof(msg) - 1 - len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		msg[len] = '\0';
		if (len == 1 && msg[0] == 'r')
			_exit(0);
		fprintf(stderr, "cellad: %s\n", len ? msg : "exited before it was ready (see its log)");
		_exit(1);
	}
	close(p[0]);
	setsid();
	*ready_fd = p[1];
	return 0;
}

static int redirect_log(const char *root)
{
	char path[4096];
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC), log_fd;

	snprintf(path, sizeof(path), "%s/cellad.log", root);
	log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (null_fd < 0 || log_fd < 0 || dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
		return -1;
	close(null_fd);
	close(log_fd);
	return 0;
}

static int write_pid(const char *root, cella_err_t *err)
{
	char path[4096], text[32];
	int n;

	snprintf(path, sizeof(path), "%s/cellad.pid", root);
	n = snprintf(text, sizeof(text), "%d\n", (int)getpid());
	return cellad_write_file(path, text, (size_t)n, 0644, err);
}

/*
 * The VMM binary, resolved before the sealed re-exec (after it /proc/self/exe is a memfd) and handed
 * to the re-executed copy in $CELLA_VMM. NULL when none is found: VM starts then say so.
 */
static void resolve_vmm(const char *option)
{
	static const char *const beside[] = {"cella-vmm", "../vmm/cli/cella-vmm"};
	char self[4096], path[4200];
	ssize_t n;

	if (option) {
		setenv("CELLA_VMM", option, 1);
		return;
	}
	if (getenv("CELLA_VMM"))
		return;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return;
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	for (size_t i = 0; i < sizeof(beside) / sizeof(beside[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", self, beside[i]);
		if (access(path, X_OK) == 0) {
			char *real = realpath(path, NULL);

			if (real)
				setenv("CELLA_VMM", real, 1);
			free(real);
			return;
		}
	}
}

static int serve(const char *root, const char *socket_path, bool network, bool foreground, char **argv)
{
	struct cellad d;
	struct MHD_Daemon *mhd = NULL;
	cella_err_t err = NULL;
	pthread_t worker;
	sigset_t stop;
	int ready_fd = -1, sig = 0, ret = 1;
	const char *vmm;

	/* The container helper runs from a sealed copy of this binary (CVE-2019-5736). */
	if (cella_ensure_sealed_self(argv, &err) < 0)
		return cella_error_report("cellad", &err);
	if (!foreground && detach(&ready_fd) < 0) {
		perror("cellad: fork");
		return 1;
	}
	/* Signals are taken by sigwait in this thread only: block them before any thread exists. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	umask(022);
	/* Container inits are re-parented to us while we run (we reap them); to pid 1 once we are gone. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (cellad_init(&d, root, socket_path, &err) < 0)
		goto out;
	d.network = network;
	vmm = getenv("CELLA_VMM");
	if (vmm && (d.vmm_path = strdup(vmm)) == NULL) {
		cella_error_make(&err, ENOMEM, "--vmm");
		goto out;
	}
	if (!foreground && redirect_log(root) < 0) {
		cella_error_sys(&err, "open %s/cellad.log", root);
		goto out;
	}
	if (write_pid(root, &err) < 0 || cellad_network_setup(&d, &err) < 0 ||
	    cellad_reattach(&d, &err) < 0 || cellad_worker_start(&d, &worker, &err) < 0)
		goto out;
	if (cellad_http_start(&d, &mhd, &err) < 0) {
		cellad_worker_stop(&d, worker);
		goto out;
	}
	fprintf(stderr, "cellad: serving %s (root %s)\n", d.socket_path, d.root);
	if (ready_fd >= 0) {
		ssize_t n = write(ready_fd, "r", 1);

		(void)n;
		close(ready_fd);
		ready_fd = -1;
	}
	sigwait(&stop, &sig);
	fprintf(stderr, "cellad: signal %d: shutting down (instances keep running)\n", sig);
	pthread_mutex_lock(&d.lock);
	d.stopping = true;
	pthread_cond_broadcast(&d.changed);
	pthread_mutex_unlock(&d.lock);
	cellad_http_stop(mhd);
	cellad_worker_stop(&d, worker);
	unlink(d.socket_path);
	ret = 0;
out:
	if (err && ready_fd >= 0) {
		const char *msg = cella_error_string(err);
		ssize_t n = write(ready_fd, msg, strlen(msg));

		(void)n;
	}
	if (ready_fd >= 0)
		close(ready_fd);
	if (err)
		ret = cella_error_report("cellad", &err);
	cellad_fini(&d);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"socket", required_argument, NULL, 's'},
		{"foreground", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'v'},
		{"vmm", required_argument, NULL, 'm'},
		{"network", required_argument, NULL, 'n'},
		{"storage", required_argument, NULL, 'S'},
		{0},
	};
	const char *root = CELLAD_DEFAULT_ROOT, *socket_path = CELLAD_DEFAULT_SOCKET, *vmm = NULL;
	bool foreground = false, network = true;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 's':
			socket_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'm':
			if (optarg[0] != '/' || access(optarg, X_OK) < 0) {
				fprintf(stderr,
					"cellad: --vmm '%s': expected the absolute path of an executable\n",
					optarg);
				return 2;
			}
			vmm = optarg;
			break;
		case 'n':
			if (strcmp(optarg, "none") != 0 && strcmp(optarg, "default") != 0) {
				fprintf(stderr, "cellad: --network '%s': expected 'none' or 'default'\n",
					optarg);
				return 2;
			}
			network = strcmp(optarg, "default") == 0;
			break;
		case 'S': {
			cella_err_t err = NULL;

			if (cellad_storage_request(optarg, &err) < 0) {
				fprintf(stderr, "cellad: %s\n", cella_error_string(err));
				cella_error_release(&err);
				return 2;
			}
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("cellad version %s\n", CELLA_VERSION);
			return 0;
		default:
			fprintf(stderr, "cellad: unknown option '%s' (see --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cellad: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	resolve_vmm(vmm);
	return serve(root, socket_path, network, foreground, argv);
}
