/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_VDEV_RATELIMIT_H
#define CELLA_VMM_VDEV_RATELIMIT_H

/*
 * Token-bucket rate limiters, Firecracker's model: a bucket of `size` tokens
 * refills completely in `refill_ms`, plus a one-time burst spent first and
 * never refilled. A device keeps one bucket for bytes and one for operations.
 * A request larger than the bucket is let through when the bucket is full and
 * leaves it in debt, so huge requests are slowed, never refused forever.
 * Time is passed in (nanoseconds, CLOCK_MONOTONIC in devices) so the maths is
 * testable; the timerfd wakes the device when the tokens it waits for are in.
 */
#include <stdbool.h>
#include <stdint.h>

#include <cella/error.h>

#include "vdev/vdev_opts.h"

struct tbucket_config {
	uint64_t size;		 /* 0: unlimited */
	uint64_t one_time_burst; /* extra tokens, once */
	uint64_t refill_ms;	 /* time to refill `size` tokens from empty (> 0 when size > 0) */
};

struct tbucket {
	struct tbucket_config cfg;
	int64_t budget; /* may go negative after an oversized request */
	uint64_t burst;
	uint64_t last_ns;
};

struct ratelimit_config {
	struct tbucket_config bytes, ops;
};

struct ratelimit {
	struct tbucket bytes, ops;
	int timer_fd; /* -1 until ratelimit_init() */
	bool armed;
	uint64_t throttled; /* times a request had to wait */
};

/* ---- pure bucket maths ---- */
void tbucket_init(struct tbucket *b, const struct tbucket_config *cfg, uint64_t now_ns);
/* Takes n tokens if they are there (or the bucket is full and n is oversized). */
bool tbucket_consume(struct tbucket *b, uint64_t n, uint64_t now_ns);
/* Nanoseconds until tbucket_consume(n) would succeed (0: now). */
uint64_t tbucket_wait_ns(struct tbucket *b, uint64_t n, uint64_t now_ns);
/* Gives back tokens taken for a request that did not happen. */
void tbucket_refund(struct tbucket *b, uint64_t n);

/* ---- a device's limiter ---- */
int ratelimit_init(struct ratelimit *rl, const struct ratelimit_config *cfg, cella_err_t *err);
void ratelimit_release(struct ratelimit *rl);
bool ratelimit_enabled(const struct ratelimit *rl);
/*
 * Takes bytes and one op from both buckets, or none: on false the timerfd is
 * armed for when they will be there, and the device retries when it fires.
 */
bool ratelimit_consume(struct ratelimit *rl, uint64_t bytes, uint64_t now_ns);
/* Call when the timerfd is readable: clears it. */
void ratelimit_timer_fired(struct ratelimit *rl);
/* New limits, effective now (buckets start full). */
void ratelimit_update(struct ratelimit *rl, const struct ratelimit_config *cfg, uint64_t now_ns);
uint64_t ratelimit_now_ns(void);

/*
 * Reads bps, bps_burst, iops, iops_burst, refill_ms (size = rate * refill_ms / 1000) from opts.
 * With base != NULL, absent keys keep base's values (runtime updates).
 */
int ratelimit_config_parse(const struct vdev_opts *o, const struct ratelimit_config *base,
			   struct ratelimit_config *cfg, cella_err_t *err);

#endif
