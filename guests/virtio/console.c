/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test=console: virtio-console port 0 (no MULTIPORT: queue 0 receives, queue
 * 1 transmits). The guest writes GUEST_LINE and expects HOST_LINE from the
 * host (the test gives it as the console's input).
 */
#include "lib.h"
#include "tests.h"
#include "vdrv.h"

#define GUEST_LINE "hello from the virtio console\n"
#define HOST_LINE  "hello from the host console\n"

static struct vdrv d;
static struct vdrv_queue rxq, txq;
static char out[] = GUEST_LINE;
static char in[128];

void test_console(void)
{
	struct vdrv_buf rb = {in, sizeof(in) - 1, true}, tb = {out, sizeof(out) - 1, false};
	unsigned have = 0;

	vdrv_probe(&d, VDRV_DEV_CONSOLE);
	vdrv_negotiate(&d, 0);
	vdrv_queue_setup(&d, &rxq, 0, VDRV_NO_VECTOR);
	vdrv_queue_setup(&d, &txq, 1, VDRV_NO_VECTOR);
	vdrv_driver_ok(&d);
	vdrv_wait(&d, &txq, vdrv_submit(&txq, &tb, 1));
	puts("console: line written\n");
	/* The host's line may arrive in pieces: keep a buffer posted until it is complete. */
	while (!str_contains(in, "\n")) {
		uint16_t head;
		uint32_t len;

		rb = (struct vdrv_buf){in + have, (uint32_t)(sizeof(in) - 1 - have), true};
		if (rb.len == 0)
			fail("console: no newline in what the host sent");
		vdrv_submit(&rxq, &rb, 1);
		vdrv_kick(&rxq);
		if (!vdrv_wait_any(&d, &rxq, &head, &len))
			fail("console: nothing from the host");
		if (len > rb.len)
			fail("console: used length beyond the buffer");
		have += len;
		in[have] = 0;
	}
	if (!str_contains(in, HOST_LINE))
		fail("console: the host sent something else");
	puts("console: line read\n");
}
