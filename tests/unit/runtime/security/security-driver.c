// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Test driver for tests/integration/runtime_security_lib.sh: does what the
 * runtime does with a config.json's process security, without namespaces.
 *
 *   security-driver [--agent ERRNO] [--chdir DIR] CONFIG.json -- CMD [ARG...]
 *
 * Parses CONFIG.json's "process" and "linux", forks, applies everything in
 * the child (cella_process_security_apply_creds + cella_seccomp_load) and
 * execs CMD. With --agent the parent plays seccomp agent: it listens on
 * linux.seccomp.listenerPath, receives the notify fd the child sends, prints
 * the payload ("agent: payload {...}") and answers every notification with
 * -ERRNO. Exits with CMD's status (125: the child failed to apply, printing
 * "security-driver: <error>"; 124: timed out, the child killed).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <jansson.h>
#include <seccomp.h>

#include <cella/cleanup.h>
#include <cella/error.h>

#include "security/security.h"

#define TIMEOUT_MS 30000

static int agent_errno = -1;
static const char *chdir_to;

static void usage(void)
{
	fprintf(stderr, "usage: security-driver [--agent ERRNO] [--chdir DIR] CONFIG.json -- CMD [ARG...]\n");
	exit(2);
}

static int listen_on(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 1) < 0) {
		fprintf(stderr, "security-driver: listening on %s: %s\n", path, strerror(errno));
		exit(2);
	}
	return fd;
}

static void child(const struct cella_process_security *s, char **argv)
{
	const char *path = NULL, *meta = NULL;
	cella_err_t err = NULL;
	int fd = -1;

	if (chdir_to && chdir(chdir_to) < 0) {
		fprintf(stderr, "security-driver: chdir %s: %s\n", chdir_to, strerror(errno));
		_exit(125);
	}
	if (cella_process_security_apply_creds(s, &err) < 0 || cella_seccomp_load(s, &fd, &err) < 0)
		goto fail;
	if (fd >= 0 && cella_seccomp_wants_listener(s, &path, &meta)) {
		char state[256];

		snprintf(state, sizeof(state),
			 "{\"ociVersion\":\"1.2.0\",\"id\":\"security-driver\",\"status\":\"creating\","
			 "\"pid\":%d,"
			 "\"bundle\":\"/\"}",
			 (int)getpid());
		if (cella_seccomp_send_listener_with_metadata(path, fd, state, meta, &err) < 0)
			goto fail;
		close(fd);
	}
	execvp(argv[0], argv);
	fprintf(stderr, "security-driver: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
fail:
	fprintf(stderr, "security-driver: %s\n", cella_error_string(err));
	_exit(125); /* _exit: the parent owns the allocations, no leak check here */
}

/* Waits for fd (or the child's pidfd) to become readable. 1: fd ready, 0: child gone, -1: timeout. */
static int wait_fd(int fd, int pidfd)
{
	struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
	int n;

	do {
		n = poll(p, 2, TIMEOUT_MS);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	if (p[0].revents & POLLIN)
		return 1;
	return 0;
}

static int receive_fd(int lfd, int pidfd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char data[8192];
	struct iovec iov = {.iov_base = data, .iov_len = sizeof(data) - 1};
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
	_cleanup_close_ int c = -1;
	struct cmsghdr *cmsg;
	ssize_t n;
	int fd;

	if (wait_fd(lfd, pidfd) != 1)
		return -1;
	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return -1;
	n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return -1;
	data[n] = '\0';
	cmsg = CMSG_FIRSTHDR(&msg);
	if (cmsg == NULL || cmsg->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	printf("agent: payload %s\n", data);
	fflush(stdout);
	return fd;
}

/* Answers notifications until the child is gone. */
static void serve(int nfd, int pidfd)
{
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;

	if (seccomp_notify_alloc(&req, &resp) < 0)
		return;
	while (wait_fd(nfd, pidfd) == 1) {
		char *name;

		if (seccomp_notify_receive(nfd, req) < 0)
			continue; /* the caller died meanwhile */
		memset(resp, 0, sizeof(*resp));
		resp->id = req->id;
		resp->error = -agent_errno;
		name = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
		printf("agent: answered %s with errno %d\n", name ? name : "?", agent_errno);
		fflush(stdout);
		free(name);
		if (seccomp_notify_respond(nfd, resp) < 0)
			continue;
	}
	seccomp_notify_free(req, resp);
}

int main(int argc, char **argv)
{
	struct cella_process_security *s = NULL;
	const char *config = NULL, *listener = NULL;
	cella_err_t err = NULL;
	json_error_t jerr;
	json_t *root;
	int i, lfd = -1, pidfd, status = 0, ret;
	pid_t pid;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--agent") == 0 && i + 1 < argc)
			agent_errno = atoi(argv[++i]);
		else if (strcmp(argv[i], "--chdir") == 0 && i + 1 < argc)
			chdir_to = argv[++i];
		else if (config == NULL)
			config = argv[i];
		else
			usage();
	}
	if (config == NULL || i + 1 >= argc)
		usage();
	root = json_load_file(config, 0, &jerr);
	if (root == NULL) {
		fprintf(stderr, "security-driver: %s: %s\n", config, jerr.text);
		return 2;
	}
	ret = cella_process_security_parse(json_object_get(root, "process"), json_object_get(root, "linux"),
					   &s, &err);
	json_decref(root);
	if (ret < 0)
		return cella_error_report("security-driver", &err);
	if (agent_errno >= 0) {
		if (!cella_seccomp_wants_listener(s, &listener, NULL)) {
			fprintf(stderr, "security-driver: --agent needs a SCMP_ACT_NOTIFY rule\n");
			cella_process_security_free(s);
			return 2;
		}
		lfd = listen_on(listener);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0)
		child(s, argv + i + 1);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (lfd >= 0) {
		int nfd = pidfd >= 0 ? receive_fd(lfd, pidfd) : -1;

		if (nfd >= 0) {
			serve(nfd, pidfd);
			close(nfd);
		}
		close(lfd);
		unlink(listener);
	}
	/* Bounded wait: a wedged child is killed, never left behind. */
	if (pidfd < 0 || wait_fd(-1, pidfd) < 0) {
		kill(pid, SIGKILL);
		status = -1;
	}
	if (pidfd >= 0)
		close(pidfd);
	cella_process_security_free(s);
	{
		int ws;

		while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
			;
		if (status < 0) {
			fprintf(stderr, "security-driver: timed out, child killed\n");
			return 124;
		}
		if (WIFSIGNALED(ws))
			return 128 + WTERMSIG(ws);
		return WEXITSTATUS(ws);
	}
}
