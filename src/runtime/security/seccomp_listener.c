// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Hands the seccomp notify fd to a seccomp agent at linux.seccomp.listenerPath,
 * the way runc does: connect to the unix stream socket and send, in one
 * sendmsg, the container process state JSON with the fd as SCM_RIGHTS.
 */
#include "security/security_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <cella/cleanup.h>

/* Agents read the payload with one recvmsg into a fixed buffer; keep it bounded. */
#define MAX_PAYLOAD (64 * 1024)

/*
 * The runtime-spec ContainerProcessState: {"ociVersion", "fds", "pid",
 * "metadata", "state"}. A payload that already has "fds" is taken as is.
 */
static int build_payload(const char *state_json, const char *metadata, char **out, cella_err_t *err)
{
	json_t *state, *payload, *v;
	json_error_t jerr;
	int rc = 0;

	state = json_loads(state_json ? state_json : "", 0, &jerr);
	if (state == NULL || !json_is_object(state)) {
		json_decref(state);
		return cella_error_make(
			err, EINVAL, "seccomp agent payload: the container state is not a JSON object (%s)",
			jerr.text);
	}
	if (json_object_get(state, "fds") != NULL) {
		*out = json_dumps(state, JSON_COMPACT);
		json_decref(state);
		return *out ? 0 : cella_error_make(err, ENOMEM, "seccomp agent payload");
	}
	payload = json_object();
	if (payload == NULL) {
		json_decref(state);
		return cella_error_make(err, ENOMEM, "seccomp agent payload");
	}
	v = json_object_get(state, "ociVersion");
	rc |= json_object_set_new(payload, "ociVersion", v ? json_copy(v) : json_string("1.2.0"));
	rc |= json_object_set_new(payload, "fds", json_pack("[s]", "seccompFd"));
	v = json_object_get(state, "pid");
	if (v)
		rc |= json_object_set_new(payload, "pid", json_copy(v));
	if (metadata)
		rc |= json_object_set_new(payload, "metadata", json_string(metadata));
	rc |= json_object_set_new(payload, "state", state); /* steals state */
	*out = rc == 0 ? json_dumps(payload, JSON_COMPACT) : NULL;
	json_decref(payload);
	return *out ? 0 : cella_error_make(err, ENOMEM, "seccomp agent payload");
}

static int send_fd(int sock, int fd, const char *payload, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = (void *)payload, .iov_len = len};
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *cmsg;
	ssize_t n;

	memset(&ctl, 0, sizeof(ctl));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EMSGSIZE; /* the agent would see half a message; the fd went with it */
		return -1;
	}
	return 0;
}

int cella_seccomp_send_listener_with_metadata(const char *listener_path, int listener_fd,
					      const char *state_json, const char *metadata, cella_err_t *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	_cleanup_free_ char *payload = NULL;
	_cleanup_close_ int sock = -1;
	size_t len;

	if (listener_path == NULL || strlen(listener_path) >= sizeof(addr.sun_path))
		return cella_error_make(err, EINVAL, "seccomp listenerPath %s: not a valid unix socket path",
					listener_path ? listener_path : "(none)");
	if (listener_fd < 0)
		return cella_error_make(err, EBADF, "seccomp listener: no notify fd to send");
	if (build_payload(state_json, metadata, &payload, err) < 0)
		return -1;
	len = strlen(payload);
	if (len > MAX_PAYLOAD)
		return cella_error_make(err, EMSGSIZE, "seccomp agent payload is %zu bytes, more than %d",
					len, MAX_PAYLOAD);
	strcpy(addr.sun_path, listener_path);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return cella_error_sys(err, "socket for seccomp listenerPath %s", listener_path);
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return cella_error_sys(err, "connecting to seccomp listenerPath %s", listener_path);
	if (send_fd(sock, listener_fd, payload, len) < 0)
		return cella_error_sys(err, "sending the seccomp notify fd to %s", listener_path);
	return 0;
}

int cella_seccomp_send_listener(const char *listener_path, int listener_fd, const char *state_json,
				cella_err_t *err)
{
	return cella_seccomp_send_listener_with_metadata(listener_path, listener_fd, state_json, NULL, err);
}
