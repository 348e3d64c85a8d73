// SPDX-License-Identifier: GPL-2.0-or-later
/* Token buckets for bytes and operations, with a timerfd to resume a throttled device. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "vdev/ratelimit.h"

void tbucket_init(struct tbucket *b, const struct tbucket_config *cfg, uint64_t now_ns)
{
	b->cfg = *cfg;
	b->budget = (int64_t)cfg->size;
	b->burst = cfg->one_time_burst;
	b->last_ns = now_ns;
}

static void refill(struct tbucket *b, uint64_t now_ns)
{
	uint64_t refill_ns = b->cfg.refill_ms * 1000000ULL, room;
	unsigned __int128 add;

	if (!b->cfg.size || now_ns <= b->last_ns)
		return;
	/* 128-bit product: size * elapsed overflows 64 bits for large buckets or long pauses. */
	add = (unsigned __int128)b->cfg.size * (now_ns - b->last_ns) / refill_ns;
	room = (uint64_t)((int64_t)b->cfg.size - b->budget); /* a debt makes room larger than size */
	if (add >= room) {
		b->budget = (int64_t)b->cfg.size;
		b->last_ns = now_ns;
		return;
	}
	if (!add)
		return; /* keep last_ns: the fraction keeps accumulating */
	/* Advance by the time exactly those tokens took (rounded down), so no fraction is lost. */
	b->last_ns += (uint64_t)(add * refill_ns / b->cfg.size);
	b->budget += (int64_t)add;
}

bool tbucket_consume(struct tbucket *b, uint64_t n, uint64_t now_ns)
{
	if (!b->cfg.size)
		return true;
	if (b->burst) {
		uint64_t take = n < b->burst ? n : b->burst;

		/* The burst is spent first; what it cannot cover must come from the bucket. */
		if (take == n) {
			b->burst -= take;
			return true;
		}
		refill(b, now_ns);
		if (b->budget >= (int64_t)(n - take)) {
			b->burst -= take;
			b->budget -= (int64_t)(n - take);
			return true;
		}
		return false;
	}
	refill(b, now_ns);
	if (b->budget >= 0 && (uint64_t)b->budget >= n) {
		b->budget -= (int64_t)n;
		return true;
	}
	if (n > b->cfg.size && b->budget == (int64_t)b->cfg.size) {
		/* Oversized: allowed from a full bucket, which goes into debt (INT64 keeps any u32 request). */
		b->budget -= (int64_t)(n > (uint64_t)INT64_MAX / 2 ? (uint64_t)INT64_MAX / 2 : n);
		return true;
	}
	return false;
}

uint64_t tbucket_wait_ns(struct tbucket *b, uint64_t n, uint64_t now_ns)
{
	uint64_t need, refill_ns = b->cfg.refill_ms * 1000000ULL;

	if (!b->cfg.size)
		return 0;
	refill(b, now_ns);
	if (b->burst >= n)
		return 0;
	n -= b->burst;
	if (n > b->cfg.size)
		n = b->cfg.size; /* oversized requests wait for a full bucket */
	if (b->budget >= (int64_t)n)
		return 0;
	need = (uint64_t)((int64_t)n - b->budget);
	/* Round up, and count from last_ns: tokens accrue from there. */
	uint64_t t = (uint64_t)(((unsigned __int128)need * refill_ns + b->cfg.size - 1) / b->cfg.size);
	uint64_t since = now_ns > b->last_ns ? now_ns - b->last_ns : 0;

	return t > since ? t - since : 1;
}

void tbucket_refund(struct tbucket *b, uint64_t n)
{
	if (!b->cfg.size)
		return;
	b->budget += (int64_t)n;
	if (b->budget > (int64_t)b->cfg.size)
		b->budget = (int64_t)b->cfg.size;
}

uint64_t ratelimit_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int ratelimit_init(struct ratelimit *rl, const struct ratelimit_config *cfg, cella_err_t *err)
{
	uint64_t now = ratelimit_now_ns();

	memset(rl, 0, sizeof(*rl));
	tbucket_init(&rl->bytes, &cfg->bytes, now);
	tbucket_init(&rl->ops, &cfg->ops, now);
	rl->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (rl->timer_fd < 0)
		return cella_error_sys(err, "rate limiter: timerfd_create");
	return 0;
}

void ratelimit_release(struct ratelimit *rl)
{
	if (rl->timer_fd >= 0)
		close(rl->timer_fd);
	rl->timer_fd = -1;
}

bool ratelimit_enabled(const struct ratelimit *rl)
{
	return rl->bytes.cfg.size || rl->ops.cfg.size;
}

static void arm(struct ratelimit *rl, uint64_t ns)
{
	struct itimerspec its = {
		.it_value = {.tv_sec = (time_t)(ns / 1000000000ULL), .tv_nsec = (long)(ns % 1000000000ULL)}};

	if (!ns)
		its.it_value.tv_nsec = 1;
	if (timerfd_settime(rl->timer_fd, 0, &its, NULL) == 0)
		rl->armed = true;
}

bool ratelimit_consume(struct ratelimit *rl, uint64_t bytes, uint64_t now_ns)
{
	uint64_t wb, wo;

	if (rl->armed)
		return false; /* already waiting: keep the order of requests */
	if (tbucket_consume(&rl->ops, 1, now_ns)) {
		if (tbucket_consume(&rl->bytes, bytes, now_ns))
			return true;
		tbucket_refund(&rl->ops, 1);
	}
	rl->throttled++;
	wb = tbucket_wait_ns(&rl->bytes, bytes, now_ns);
	wo = tbucket_wait_ns(&rl->ops, 1, now_ns);
	arm(rl, wb > wo ? wb : wo);
	return false;
}

void ratelimit_timer_fired(struct ratelimit *rl)
{
	uint64_t v;

	(void)!read(rl->timer_fd, &v, sizeof(v));
	rl->armed = false;
}

void ratelimit_update(struct ratelimit *rl, const struct ratelimit_config *cfg, uint64_t now_ns)
{
	struct itimerspec off = {0};

	tbucket_init(&rl->bytes, &cfg->bytes, now_ns);
	tbucket_init(&rl->ops, &cfg->ops, now_ns);
	/* Fire soon so a device throttled under the old limits re-evaluates under the new ones. */
	if (rl->armed) {
		(void)timerfd_settime(rl->timer_fd, 0, &off, NULL);
		arm(rl, 0);
	}
}

static int parse_bucket(const struct vdev_opts *o, const char *rate_key, const char *burst_key,
			const struct tbucket_config *base, uint64_t refill_ms, bool refill_given,
			struct tbucket_config *out, cella_err_t *err)
{
	uint64_t rate, burst, def_rate = 0;

	if (base && base->refill_ms)
		def_rate = base->size * 1000 / base->refill_ms;
	if (vdev_opts_u64(o, rate_key, def_rate, 0, UINT64_C(1) << 50, &rate, err) < 0 ||
	    vdev_opts_u64(o, burst_key, base ? base->one_time_burst : 0, 0, UINT64_C(1) << 50, &burst, err) <
		    0)
		return -1;
	if (base && !vdev_opts_has(o, rate_key) && !refill_given) {
		*out = *base;
		out->one_time_burst = burst;
		return 0;
	}
	out->one_time_burst = burst;
	out->refill_ms = rate ? refill_ms : 0;
	out->size = (uint64_t)((unsigned __int128)rate * refill_ms / 1000);
	if (rate && !out->size)
		return cella_error_make(err, 0,
					"%s: %s: %" PRIu64 " per second refills nothing in %" PRIu64 " ms",
					o->what, rate_key, rate, refill_ms);
	return 0;
}

int ratelimit_config_parse(const struct vdev_opts *o, const struct ratelimit_config *base,
			   struct ratelimit_config *cfg, cella_err_t *err)
{
	uint64_t refill_ms;
	uint64_t def = base && base->bytes.refill_ms ? base->bytes.refill_ms : 1000;

	if (vdev_opts_u64(o, "refill_ms", def, 1, 3600 * 1000, &refill_ms, err) < 0)
		return -1;
	if (parse_bucket(o, "bps", "bps_burst", base ? &base->bytes : NULL, refill_ms,
			 vdev_opts_has(o, "refill_ms"), &cfg->bytes, err) < 0 ||
	    parse_bucket(o, "iops", "iops_burst", base ? &base->ops : NULL, refill_ms,
			 vdev_opts_has(o, "refill_ms"), &cfg->ops, err) < 0)
		return -1;
	return 0;
}
