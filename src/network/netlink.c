// SPDX-License-Identifier: GPL-2.0-or-later
/* rtnetlink request building, exchange and reply parsing. */
#include "netlink.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cella/cleanup.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

void nl_msg_init(struct nl_msg *m, uint16_t type, uint16_t flags)
{
	memset(m, 0, sizeof(*m));
	m->u.hdr.nlmsg_len = NLMSG_LENGTH(0);
	m->u.hdr.nlmsg_type = type;
	m->u.hdr.nlmsg_flags = flags;
}

void *nl_msg_reserve(struct nl_msg *m, size_t len)
{
	size_t at = NLMSG_ALIGN(m->u.hdr.nlmsg_len);
	void *p;

	if (m->overflow || at + NLMSG_ALIGN(len) > sizeof(m->u.buf)) {
		m->overflow = true;
		return NULL;
	}
	p = m->u.buf + at;
	memset(p, 0, NLMSG_ALIGN(len));
	m->u.hdr.nlmsg_len = (uint32_t)(at + NLMSG_ALIGN(len));
	return p;
}

void nl_put_attr(struct nl_msg *m, uint16_t type, const void *data, size_t len)
{
	struct rtattr *rta;

	if (len > UINT16_MAX - RTA_LENGTH(0)) {
		m->overflow = true;
		return;
	}
	rta = nl_msg_reserve(m, RTA_LENGTH(len));
	if (rta == NULL)
		return;
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
}

void nl_put_str(struct nl_msg *m, uint16_t type, const char *s)
{
	nl_put_attr(m, type, s, strlen(s) + 1);
}

void nl_put_u32(struct nl_msg *m, uint16_t type, uint32_t v)
{
	nl_put_attr(m, type, &v, sizeof(v));
}

struct rtattr *nl_nest_begin(struct nl_msg *m, uint16_t type)
{
	struct rtattr *rta = nl_msg_reserve(m, RTA_LENGTH(0));

	if (rta != NULL) {
		rta->rta_type = type;
		rta->rta_len = RTA_LENGTH(0);
	}
	return rta;
}

void nl_nest_end(struct nl_msg *m, struct rtattr *nest)
{
	size_t len;

	if (nest == NULL || m->overflow)
		return;
	len = (size_t)(m->u.buf + m->u.hdr.nlmsg_len - (char *)nest);
	if (len > UINT16_MAX) {
		m->overflow = true;
		return;
	}
	nest->rta_len = (unsigned short)len;
}

void nl_parse_attrs(struct rtattr *tb[], int max, const struct rtattr *rta, size_t len)
{
	unsigned int left = len > UINT32_MAX ? UINT32_MAX : (unsigned int)len;

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	/* RTA_OK checks both the header and the claimed length against what is left. */
	for (; RTA_OK(rta, left); rta = RTA_NEXT(rta, left)) {
		unsigned short type = rta->rta_type & ~NLA_F_NESTED;

		if (type <= max && tb[type] == NULL)
			tb[type] = (struct rtattr *)rta;
	}
}

const char *nl_attr_str(const struct rtattr *rta)
{
	size_t len;

	if (rta == NULL)
		return NULL;
	len = RTA_PAYLOAD(rta);
	if (len == 0 || memchr(RTA_DATA(rta), '\0', len) == NULL)
		return NULL;
	return RTA_DATA(rta);
}

uint32_t nl_attr_u32(const struct rtattr *rta, uint32_t def)
{
	uint32_t v;

	if (rta == NULL || RTA_PAYLOAD(rta) < sizeof(v))
		return def;
	memcpy(&v, RTA_DATA(rta), sizeof(v));
	return v;
}

int nl_open(cella_err_t *err)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int one = 1;
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return cella_error_sys(err, "opening an rtnetlink socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int ret = cella_error_sys(err, "binding the rtnetlink socket");

		close(fd);
		return ret;
	}
	/* Extended acks carry the kernel's reason ("Device is busy"...); optional. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return fd;
}

/* The extended-ack text following an nlmsgerr, if the kernel sent one. */
static const char *ext_ack_message(const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	size_t off = sizeof(*e);
	struct rtattr *tb[NLMSGERR_ATTR_MAX + 1];

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - sizeof(e->msg);
	if (NLMSG_LENGTH(off) > h->nlmsg_len)
		return NULL;
	nl_parse_attrs(tb, NLMSGERR_ATTR_MAX, (const struct rtattr *)((const char *)e + off),
		       h->nlmsg_len - NLMSG_LENGTH(off));
	return nl_attr_str(tb[NLMSGERR_ATTR_MSG]);
}

static int nl_send(int fd, struct nl_msg *m, cella_err_t *err)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	ssize_t n;

	do
		n = sendto(fd, m->u.buf, m->u.hdr.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return cella_error_sys(err, "rtnetlink send");
	if ((size_t)n != m->u.hdr.nlmsg_len)
		return cella_error_make(err, EIO, "rtnetlink send: short write");
	return 0;
}

int nl_transact(int fd, struct nl_msg *m, nl_reply_fn fn, void *ctx, cella_err_t *err)
{
	static uint32_t seq_counter;
	_cleanup_free_ char *buf = NULL;
	const size_t buf_size = 32768;
	uint32_t seq;
	int ret;

	if (m->overflow)
		return cella_error_make(err, EMSGSIZE, "rtnetlink request does not fit in %d bytes",
					NL_MSG_SIZE);
	seq = __atomic_add_fetch(&seq_counter, 1, __ATOMIC_RELAXED);
	m->u.hdr.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	m->u.hdr.nlmsg_seq = seq;
	ret = nl_send(fd, m, err);
	if (ret < 0)
		return ret;
	buf = malloc(buf_size);
	if (buf == NULL)
		return cella_error_make(err, ENOMEM, "rtnetlink: out of memory");
	for (;;) {
		struct sockaddr_nl from;
		struct iovec iov = {.iov_base = buf, .iov_len = buf_size};
		struct msghdr mh = {
			.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1};
		ssize_t n = recvmsg(fd, &mh, 0);
		unsigned int left;
		const struct nlmsghdr *h;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cella_error_sys(err, "rtnetlink receive");
		if (mh.msg_flags & MSG_TRUNC)
			return cella_error_make(err, EMSGSIZE, "rtnetlink receive: reply truncated");
		if (from.nl_pid != 0)
			continue; /* only the kernel answers requests */
		left = (unsigned int)n;
		for (h = (const struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				const char *why;

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return cella_error_make(err, EIO, "rtnetlink: short error message");
				if (e->error == 0)
					return 0;
				why = ext_ack_message(h);
				if (why != NULL)
					return cella_error_make(err, -e->error, "rtnetlink (%s)", why);
				return cella_error_make(err, -e->error, "rtnetlink");
			}
			if (fn != NULL) {
				ret = fn(h, ctx, err);
				if (ret < 0)
					return ret;
			}
		}
	}
}
