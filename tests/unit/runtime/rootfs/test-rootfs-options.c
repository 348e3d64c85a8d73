// SPDX-License-Identifier: GPL-2.0-or-later
/* Mount options -> flags, data, propagation and recursive attributes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/mount.h>

#include "rootfs/rootfs_internal.h"

static void parse_list(struct rootfs_mount_opts *o, const char *json)
{
	json_error_t jerr;
	json_t *arr = json_loads(json, 0, &jerr);
	cella_err_t err = NULL;

	assert_non_null(arr);
	rootfs_mount_opts_init(o);
	assert_int_equal(rootfs_mount_opts_parse(arr, "mounts[0].options", o, &err), 0);
	assert_null(err);
	json_decref(arr);
}

static void test_flags(void **state)
{
	struct rootfs_mount_opts o;

	parse_list(&o, "[\"nosuid\", \"noexec\", \"nodev\", \"ro\", \"sync\", \"dirsync\", \"mand\"]");
	assert_int_equal(o.flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY | MS_SYNCHRONOUS | MS_DIRSYNC |
					  MS_MANDLOCK);
	assert_null(o.data);
	assert_false(o.bind);
	rootfs_mount_opts_release(&o);
}

static void test_later_option_wins(void **state)
{
	struct rootfs_mount_opts o;

	parse_list(&o, "[\"ro\", \"rw\", \"nosuid\", \"suid\", \"exec\", \"noexec\"]");
	assert_int_equal(o.flags, MS_NOEXEC);
	assert_int_equal(o.clear_flags & (MS_RDONLY | MS_NOSUID), MS_RDONLY | MS_NOSUID);
	assert_int_equal(o.clear_flags & MS_NOEXEC, 0);
	rootfs_mount_opts_release(&o);
}

static void test_atime_modes_exclusive(void **state)
{
	struct rootfs_mount_opts o;

	parse_list(&o, "[\"noatime\", \"strictatime\"]");
	assert_int_equal(o.flags, MS_STRICTATIME);
	assert_true(o.clear_flags & MS_NOATIME);
	assert_int_equal(rootfs_ms_to_mount_attr(o.flags), MOUNT_ATTR_STRICTATIME);
	rootfs_mount_opts_release(&o);
}

static void test_unknown_options_become_data(void **state)
{
	struct rootfs_mount_opts o;

	parse_list(&o, "[\"nosuid\", \"mode=755\", \"size=65536k\", \"newinstance\"]");
	assert_int_equal(o.flags, MS_NOSUID);
	assert_string_equal(o.data, "mode=755,size=65536k,newinstance");
	rootfs_mount_opts_release(&o);
}

static void test_bind_rbind(void **state)
{
	struct rootfs_mount_opts o;

	parse_list(&o, "[\"bind\"]");
	assert_true(o.bind);
	assert_false(o.rec);
	rootfs_mount_opts_release(&o);
	parse_list(&o, "[\"rbind\", \"ro\"]");
	assert_true(o.bind);
	assert_true(o.rec);
	assert_int_equal(o.flags, MS_RDONLY); /* MS_BIND itself never lands in flags */
	rootfs_mount_opts_release(&o);
}

static void test_propagation(void **state)
{
	struct rootfs_mount_opts o;
	unsigned long p = 0;

	parse_list(&o, "[\"rshared\"]");
	assert_int_equal(o.propagation, MS_SHARED | MS_REC);
	rootfs_mount_opts_release(&o);
	parse_list(&o, "[\"private\", \"runbindable\"]");
	assert_int_equal(o.propagation, MS_UNBINDABLE | MS_REC);
	rootfs_mount_opts_release(&o);
	assert_int_equal(rootfs_propagation_parse("slave", &p), 0);
	assert_int_equal(p, MS_SLAVE);
	assert_int_equal(rootfs_propagation_parse("rprivate", &p), 0);
	assert_int_equal(p, MS_PRIVATE | MS_REC);
	assert_int_equal(rootfs_propagation_parse("ro", &p), -1);
	assert_int_equal(rootfs_propagation_parse("bogus", &p), -1);
}

static void test_recursive_attrs(void **state)
{
	struct rootfs_mount_opts o;

	parse_list(&o, "[\"rbind\", \"rro\", \"rnosuid\", \"rnodev\", \"rnoexec\", \"rnoatime\"]");
	assert_int_equal(o.rec_attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
						 MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOATIME);
	assert_int_equal(o.rec_attr_clr, MOUNT_ATTR__ATIME);
	assert_int_equal(o.flags, 0);
	rootfs_mount_opts_release(&o);
	parse_list(&o, "[\"rro\", \"rrw\", \"rsuid\"]");
	assert_int_equal(o.rec_attr_set, 0);
	assert_int_equal(o.rec_attr_clr, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID);
	rootfs_mount_opts_release(&o);
}

static void test_idmap_tmpcopyup(void **state)
{
	struct rootfs_mount_opts o;

	parse_list(&o, "[\"ridmap\", \"tmpcopyup\"]");
	assert_true(o.idmap);
	assert_true(o.rec_idmap);
	assert_true(o.tmpcopyup);
	assert_null(o.data);
	rootfs_mount_opts_release(&o);
}

static void test_bad_option_entries(void **state)
{
	struct rootfs_mount_opts o;
	cella_err_t err = NULL;
	json_t *arr = json_pack("[s, i]", "ro", 3);

	rootfs_mount_opts_init(&o);
	assert_true(rootfs_mount_opts_parse(arr, "mounts[4].options", &o, &err) < 0);
	assert_string_equal(cella_error_string(err), "config.json: mounts[4].options[1]: must be a string");
	cella_error_release(&err);
	json_decref(arr);
	rootfs_mount_opts_release(&o);

	arr = json_pack("{}");
	rootfs_mount_opts_init(&o);
	assert_true(rootfs_mount_opts_parse(arr, "mounts[0].options", &o, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "mounts[0].options: must be an array"));
	cella_error_release(&err);
	json_decref(arr);
}

static void test_known_list(void **state)
{
	json_t *known = cella_rootfs_mount_options_known();
	const char *prev = "";
	size_t i;
	json_t *v;
	bool has_rro = false, has_idmap = false, has_tmpcopyup = false;

	assert_non_null(known);
	assert_true(json_array_size(known) > 40);
	json_array_foreach (known, i, v) {
		const char *s = json_string_value(v);

		assert_non_null(s);
		assert_true(strcmp(prev, s) < 0); /* sorted, no duplicates */
		prev = s;
		has_rro |= strcmp(s, "rro") == 0;
		has_idmap |= strcmp(s, "idmap") == 0;
		has_tmpcopyup |= strcmp(s, "tmpcopyup") == 0;
	}
	assert_true(has_rro && has_idmap && has_tmpcopyup);
	json_decref(known);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_later_option_wins),
		cmocka_unit_test(test_atime_modes_exclusive),
		cmocka_unit_test(test_unknown_options_become_data),
		cmocka_unit_test(test_bind_rbind),
		cmocka_unit_test(test_propagation),
		cmocka_unit_test(test_recursive_attrs),
		cmocka_unit_test(test_idmap_tmpcopyup),
		cmocka_unit_test(test_bad_option_entries),
		cmocka_unit_test(test_known_list),
	};

	return cmocka_run_group_tests_name("rootfs-options", tests, NULL, NULL);
}
