/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_VDEV_VSOCK_H
#define CELLA_VMM_VDEV_VSOCK_H

/*
 * virtio-vsock internals shared by vsock.c (queues, packets), vsock_conn.c
 * (the connection table and credit) and vsock_host.c (the unix-socket side).
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include "vdev/vdev.h"
#include "vdev/vsock_pkt.h"

#define VSOCK_QUEUE_SIZE  256
#define VSOCK_RX	  0
#define VSOCK_TX	  1
#define VSOCK_EVT	  2
#define VSOCK_BUF_ALLOC	  (256U * 1024) /* our receive buffer, per connection */
#define VSOCK_MAX_CONNS	  64
#define VSOCK_RST_QUEUE	  32
#define VSOCK_LINE_MAX	  32
#define VSOCK_LOCAL_PORT0 (1U << 30) /* host ports we pick for host-initiated connections */

enum conn_state {
	CONN_FREE = 0,
	CONN_HOST_CONNECTING, /* accepted; reading "CONNECT <port>\n" */
	CONN_HOST_REQUESTED,  /* REQUEST sent (or to send) to the guest, waiting for RESPONSE */
	CONN_ESTABLISHED,
	CONN_CLOSING, /* SHUTDOWN sent to the guest after host EOF; waiting for its RST */
};

/* Control packets a connection owes the guest (sent in this order of priority). */
#define PEND_RST      0x1
#define PEND_REQUEST  0x2
#define PEND_RESPONSE 0x4
#define PEND_CREDIT   0x8
#define PEND_SHUTDOWN 0x10

struct vsock_conn {
	enum conn_state state;
	int fd;
	uint32_t events; /* what fd is watched for now */
	uint32_t local_port, peer_port;
	unsigned pending;
	bool readable; /* the host socket said EPOLLIN: data or EOF */
	bool hup;      /* the host socket hung up: out of the epoll set (HUP cannot be masked) */
	bool host_eof;
	uint32_t peer_buf_alloc, peer_fwd_cnt; /* from the guest's latest header */
	uint32_t rx_cnt;		       /* payload bytes sent to the guest */
	uint32_t fwd_cnt;		       /* guest payload bytes written to the host socket */
	uint32_t fwd_cnt_sent;		       /* fwd_cnt in the last packet we sent */
	uint8_t *txbuf;			       /* guest payload the host socket did not take yet */
	size_t tx_len;
	char line[VSOCK_LINE_MAX];
	size_t line_len;
	char reply[VSOCK_LINE_MAX]; /* "OK <port>\n" still to write */
};

struct rst_entry {
	uint32_t local_port, peer_port;
};

struct vdev_vsock {
	struct vdev dev;
	uint64_t cid;
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd;
	bool bound; /* socket_path is ours to unlink */
	uint8_t config[8];
	struct vsock_conn conn[VSOCK_MAX_CONNS];
	struct rst_entry rst[VSOCK_RST_QUEUE];
	unsigned rst_head, rst_count;
	uint32_t next_local_port;
	bool rx_starved; /* the guest gave no rx buffer last time we looked */
	unsigned resets_seen;
	uint64_t rx_pkts, tx_pkts, bad_pkts, conns_opened, conns_refused;
};

#define to_vsock(d) ((struct vdev_vsock *)(d))

/* ---- the connection table (vsock_conn.c) ---- */
/* Established or being set up (not while the host is still writing its CONNECT line). */
struct vsock_conn *vsock_conn_find(struct vdev_vsock *vs, uint32_t local_port, uint32_t peer_port);
struct vsock_conn *vsock_conn_by_fd(struct vdev_vsock *vs, int fd);
/* A free slot for host socket fd, watched for EPOLLIN; NULL when the table is full. */
struct vsock_conn *vsock_conn_alloc(struct vdev_vsock *vs, int fd);
/* Closes the host socket and frees the slot, telling the guest nothing. */
void vsock_conn_free(struct vdev_vsock *vs, struct vsock_conn *c);
/* Frees the slot and owes the guest a RST. */
void vsock_conn_reset(struct vdev_vsock *vs, struct vsock_conn *c);
void vsock_queue_rst(struct vdev_vsock *vs, uint32_t local_port, uint32_t peer_port);
/* Bytes the guest can still take on this connection. */
uint32_t vsock_peer_credit(const struct vsock_conn *c);
void vsock_conn_update_events(struct vdev_vsock *vs, struct vsock_conn *c);
/* Writes buffered guest data to the host socket: 0, or -1 when the socket is broken. */
int vsock_conn_flush(struct vdev_vsock *vs, struct vsock_conn *c);

/* ---- the host side (vsock_host.c) ---- */
/* Connects to "<socket>_<port>" without blocking; the fd or -1. */
int vsock_host_connect_port(struct vdev_vsock *vs, uint32_t port);
void vsock_host_accept(struct vdev_vsock *vs);
void vsock_host_event(struct vdev_vsock *vs, struct vsock_conn *c, uint32_t events);

#endif
