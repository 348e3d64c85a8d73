// SPDX-License-Identifier: GPL-2.0-or-later
/* SHA-256 against the FIPS 180-4 / NIST example vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sha256.h"

static void hex_of(const char *data, size_t len, char out[65])
{
	struct cellad_sha256 s;

	cellad_sha256_init(&s);
	cellad_sha256_update(&s, data, len);
	cellad_sha256_hex(&s, out);
}

static void test_vectors(void **state)
{
	char out[65];

	hex_of("", 0, out);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hex_of("abc", 3, out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, out);
	assert_string_equal(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_million_a_incremental(void **state)
{
	struct cellad_sha256 s;
	char chunk[1000], out[65];

	/* Odd-sized pieces cross every block boundary. */
	memset(chunk, 'a', sizeof(chunk));
	cellad_sha256_init(&s);
	for (int i = 0; i < 1000; i++) {
		cellad_sha256_update(&s, chunk, 333);
		cellad_sha256_update(&s, chunk, 667);
	}
	cellad_sha256_hex(&s, out);
	assert_string_equal(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_padding_edges(void **state)
{
	/* 55, 56 and 64 bytes: the length fits in the last block, does not, and a full block. */
	static const struct {
		size_t len;
		const char *hex;
	} cases[] = {
		{55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
		{56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
		{64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
	};
	char data[64], out[65];

	memset(data, 'a', sizeof(data));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hex_of(data, cases[i].len, out);
		assert_string_equal(out, cases[i].hex);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_million_a_incremental),
		cmocka_unit_test(test_padding_edges),
	};

	return cmocka_run_group_tests_name("daemon-sha256", tests, NULL, NULL);
}
