/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_NETWORK_NETLINK_H
#define CELLA_NETWORK_NETLINK_H

/*
 * A minimal rtnetlink client (no libnl): a fixed-size request buffer with
 * attribute and nesting helpers, one request/ack exchange, dump iteration,
 * and a bounds-checked attribute parser. Kernel replies are length-checked
 * before any field is read.
 */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cella/error.h>

#define NL_MSG_SIZE 2048

struct nl_msg {
	union {
		struct nlmsghdr hdr;
		char buf[NL_MSG_SIZE];
	} u;
	bool overflow; /* an attribute did not fit: the message must not be sent */
};

void nl_msg_init(struct nl_msg *m, uint16_t type, uint16_t flags);
/* Appends len zeroed bytes (the family header) and returns them, NULL on overflow. */
void *nl_msg_reserve(struct nl_msg *m, size_t len);
void nl_put_attr(struct nl_msg *m, uint16_t type, const void *data, size_t len);
void nl_put_str(struct nl_msg *m, uint16_t type, const char *s);
void nl_put_u32(struct nl_msg *m, uint16_t type, uint32_t v);
struct rtattr *nl_nest_begin(struct nl_msg *m, uint16_t type);
void nl_nest_end(struct nl_msg *m, struct rtattr *nest);

/* Fills tb[0..max] with the attributes in [rta, rta+len); malformed tails are ignored. */
void nl_parse_attrs(struct rtattr *tb[], int max, const struct rtattr *rta, size_t len);
/* The string payload of an attribute, or NULL when it is not NUL-terminated inside its length. */
const char *nl_attr_str(const struct rtattr *rta);
/* The u32 payload, or def when the attribute is missing or short. */
uint32_t nl_attr_u32(const struct rtattr *rta, uint32_t def);

/* An rtnetlink socket in the caller's (thread's) network namespace. */
int nl_open(cella_err_t *err);

/* Called for each reply message that is neither an ack nor DONE; a negative return stops. */
typedef int (*nl_reply_fn)(const struct nlmsghdr *h, void *ctx, cella_err_t *err);

/*
 * Sends m (adding NLM_F_REQUEST | NLM_F_ACK and a sequence number) and reads
 * until the ack, the error or, for a dump, NLMSG_DONE. Returns 0 or -errno;
 * the kernel's extended ack message, when there is one, is in the error.
 */
int nl_transact(int fd, struct nl_msg *m, nl_reply_fn fn, void *ctx, cella_err_t *err);

#endif
