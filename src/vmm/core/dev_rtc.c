/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CMOS RTC on ports 0x70 (index) and 0x71 (data): rtc_cmos.c's model over the host's UTC clock. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/rtc_cmos.h"
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

static struct vmm_device_desc rtc_device = {.name = "rtc", .init = rtc__init, .exit = rtc__exit};
VMM_DEVICE_REGISTER(rtc_device)
