/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio.elf: virtio-pci driver tests on top of vdrv (vdrv.h). The command
 * line picks one test (test=NAME); see guests/README.md for the list and
 * tests/integration/vmm_virtio.sh for how each is run.
 */
#include "lib.h"
#include "tests.h"
#include "vdrv.h"

void test_rng(void)
{
	static struct vdrv_queue q;
	static uint8_t buf[64];
	struct vdrv d;
	struct vdrv_buf b = {buf, sizeof(buf), true};
	unsigned nonzero = 0;

	vdrv_probe(&d, VDRV_DEV_RNG);
	vdrv_negotiate(&d, 0);
	vdrv_queue_setup(&d, &q, 0, VDRV_NO_VECTOR);
	vdrv_driver_ok(&d);
	if (vdrv_wait(&d, &q, vdrv_submit(&q, &b, 1)) != sizeof(buf))
		fail("rng: short answer");
	for (unsigned i = 0; i < sizeof(buf); i++)
		nonzero += buf[i] != 0;
	if (!nonzero)
		fail("rng: all zero");
	puts("rng: 64 random bytes\n");
}

/* The word after "test=" on the command line, compared exactly (test=blk is not test=blk-ro). */
static bool is_test(const char *cmdline, const char *name)
{
	const char *w = str_find(cmdline, "test=");
	size_t n = strlen(name);

	if (!w)
		return false;
	w += 5;
	for (size_t i = 0; i < n; i++) {
		if (w[i] != name[i])
			return false;
	}
	return w[n] == '\0' || w[n] == ' ';
}

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	const char *cmdline = guest_cmdline(mbi);

	if (is_test(cmdline, "rng"))
		test_rng();
	else if (is_test(cmdline, "blk"))
		test_blk(false);
	else if (is_test(cmdline, "blk-ro"))
		test_blk(true);
	else if (is_test(cmdline, "blk-discard"))
		test_blk_discard();
	else if (is_test(cmdline, "blk-id"))
		test_blk_id(cmdline);
	else if (is_test(cmdline, "blk-indirect"))
		test_blk_indirect();
	else if (is_test(cmdline, "net"))
		test_net();
	else if (is_test(cmdline, "ping"))
		test_ping(cmdline);
	else if (is_test(cmdline, "vsock"))
		test_vsock(cmdline);
	else if (is_test(cmdline, "console"))
		test_console();
	else if (is_test(cmdline, "msix"))
		test_irq(true);
	else if (is_test(cmdline, "intx"))
		test_irq(false);
	else
		fail("no known test= on the command line");
	pass();
}
