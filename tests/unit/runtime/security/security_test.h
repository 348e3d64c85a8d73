/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_TEST_SECURITY_H
#define CELLA_TEST_SECURITY_H

/*
 * Helpers for the security unit tests: parse a config.json text and expect
 * success or an error message containing a given piece. Include after cmocka.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <cella/error.h>

#include "security/security.h"
#include "security/security_internal.h"

/* Parses {"process":..., "linux":...}; returns the error (NULL on success) and fills *out. */
static inline cella_err_t sec_test_parse(const char *config, struct cella_process_security **out)
{
	json_error_t jerr;
	json_t *root = json_loads(config, 0, &jerr);
	cella_err_t err = NULL;

	if (root == NULL) {
		fprintf(stderr, "bad test JSON: %s (line %d): %s\n", jerr.text, jerr.line, config);
		abort();
	}
	if (cella_process_security_parse(json_object_get(root, "process"), json_object_get(root, "linux"),
					 out, &err) < 0)
		*out = NULL;
	json_decref(root);
	return err;
}

static inline void sec_test_parse_ok(const char *config)
{
	struct cella_process_security *s = NULL;
	cella_err_t err = sec_test_parse(config, &s);

	if (err)
		fail_msg("unexpected error for %s: %s", config, cella_error_string(err));
	assert_non_null(s);
	cella_process_security_free(s);
}

static inline void sec_test_parse_fails(const char *config, const char *expected)
{
	struct cella_process_security *s = NULL;
	cella_err_t err = sec_test_parse(config, &s);

	if (err == NULL)
		fail_msg("no error for %s (expected \"%s\")", config, expected);
	assert_null(s);
	if (strstr(cella_error_string(err), expected) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", cella_error_string(err), expected);
	cella_error_release(&err);
}

#endif
