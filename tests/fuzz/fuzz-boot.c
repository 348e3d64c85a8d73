// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the kernel loaders: format detection and every parser
 * behind it (ELF + PVH note, bzImage setup header, xz/zstd/gzip payloads,
 * Multiboot) plus the firmware tables, on a small guest. Not part of meson;
 * see tests/fuzz/README.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "boot/boot_internal.h"

#define FUZZ_RAM	    (32ULL << 20)
#define FUZZ_DECOMPRESS_MAX (16ULL << 20) /* small cap: bombs must fail fast, not exhaust memory */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	static struct guest_mem mem;
	struct boot_image img = {.path = "fuzz", .data = data, .size = size};
	struct boot_ctx ctx = {
		.mem = &mem, .cmdline = "console=ttyS0", .decompress_max = FUZZ_DECOMPRESS_MAX};
	struct vmm_boot_result out;
	cella_err_t err = NULL;

	if (!ram) {
		ram = calloc(1, FUZZ_RAM);
		if (!ram)
			abort();
		guest_mem__init(&mem, ram, FUZZ_RAM);
	}
	(void)boot__detect(&img);
	if (boot__load_image(&ctx, 2, &img, &out, &err) < 0) {
		/* Every failure must come with a message. */
		if (!err || !cella_error_string(err)[0])
			abort();
		if (getenv("FUZZ_BOOT_VERBOSE"))
			fprintf(stderr, "error: %s\n", cella_error_string(err));
		cella_error_release(&err);
	} else {
		if (out.entry == 0 || !out.format)
			abort();
		if (getenv("FUZZ_BOOT_VERBOSE"))
			fprintf(stderr, "loaded: %s, entry 0x%llx\n", out.format,
				(unsigned long long)out.entry);
	}
	return 0;
}
