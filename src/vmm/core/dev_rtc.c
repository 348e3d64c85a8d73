/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CMOS RTC on ports 0x70 (index) and 0x71 (data): rtc_cmos.c's model over the host's UTC clock. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/rtc_cmos.h"
#include "core/state.h"
#include "core/vmm.h"
#include "platform/layout.h"

struct rtc {
	pthread_mutex_t lock;
	struct rtc_cmos cmos;
};

static void rtc__io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct rtc *r = opaque;
	struct timespec ts;
	struct tm now;

	pthread_mutex_lock(&r->lock);
	if (offset == 0) {
		if (is_write)
			rtc_cmos__select(&r->cmos, data[0]);
		else
			memset(data, 0xff, len); /* the index register is write-only */
	} else if (is_write) {
		rtc_cmos__write(&r->cmos, data[0]);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		rtc_cmos__utc(ts.tv_sec, &now);
		memset(data, 0, len);
		data[0] = rtc_cmos__read(&r->cmos, &now, ts.tv_nsec);
	}
	pthread_mutex_unlock(&r->lock);
}

static void rtc__exit(struct vmm *vm, void *state)
{
	struct rtc *r = state;

	pthread_mutex_destroy(&r->lock);
	free(r);
}

static void *rtc__init(struct vmm *vm, cella_err_t *err)
{
	struct rtc *r = calloc(1, sizeof(*r));

	if (!r) {
		cella_error_make(err, ENOMEM, "rtc");
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	rtc_cmos__init(&r->cmos);
	if (vmm_bus__register(&vm->pio, PLATFORM_RTC_PORT, 2, "rtc (cmos)", rtc__io, r, err) < 0) {
		rtc__exit(vm, r);
		return NULL;
	}
	return r;
}

/*
 * State version 1: the selected register index, then the 128 bytes of CMOS
 * RAM (registers A-D, alarms, NVRAM). The time registers are not state: they
 * always show the host's clock.
 */
#define RTC_STATE_VERSION 1U

static int rtc__save(struct vmm *vm, void *state, struct vmm_state_buf *out, cella_err_t *err)
{
	struct rtc *r = state;

	pthread_mutex_lock(&r->lock);
	vmm_state_buf__put8(out, r->cmos.index);
	vmm_state_buf__put_bytes(out, r->cmos.ram, sizeof(r->cmos.ram));
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static int rtc__load(struct vmm *vm, void *state, uint32_t version, const void *data, size_t len,
		     cella_err_t *err)
{
	struct rtc *r = state;
	struct vmm_state_reader rd = {.data = data, .len = len};
	struct rtc_cmos cmos;

	if (version != RTC_STATE_VERSION)
		return cella_error_make(err, 0, "rtc state version %u, this cella-vmm reads version %u",
					version, RTC_STATE_VERSION);
	cmos.index = vmm_state_reader__get8(&rd);
	vmm_state_reader__get_bytes(&rd, cmos.ram, sizeof(cmos.ram));
	if (vmm_state_reader__finish(&rd, "dev.rtc", err) < 0)
		return -1;
	if (cmos.index >= sizeof(cmos.ram))
		return cella_error_make(err, 0, "rtc: register index %u out of range", cmos.index);
	pthread_mutex_lock(&r->lock);
	r->cmos = cmos;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static struct vmm_device_desc rtc_device = {.name = "rtc",
					    .init = rtc__init,
					    .exit = rtc__exit,
					    .state_version = RTC_STATE_VERSION,
					    .save = rtc__save,
					    .load = rtc__load};
VMM_DEVICE_REGISTER(rtc_device)
