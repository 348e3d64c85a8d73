// SPDX-License-Identifier: GPL-2.0-or-later
/* config.json validation for the rootfs: good configs parse, bad ones name the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootfs/rootfs_internal.h"

static char bundle[PATH_MAX];

static int setup(void **state)
{
	char path[PATH_MAX + 16];

	snprintf(bundle, sizeof(bundle), "/tmp/cella-rootfs-parse.XXXXXX");
	if (mkdtemp(bundle) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/rootfs", bundle);
	return mkdir(path, 0755);
}

static int teardown(void **state)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/rootfs", bundle);
	rmdir(path);
	return rmdir(bundle);
}

/* Parses config (JSON text); on failure returns the error message (static), else NULL. */
static const char *try_parse(const char *text, struct cella_rootfs **out)
{
	static char msg[1024];
	json_error_t jerr;
	json_t *config = json_loads(text, 0, &jerr);
	cella_err_t err = NULL;
	int ret;

	if (config == NULL)
		fail_msg("bad test JSON: %s: %s", jerr.text, text);
	ret = cella_rootfs_parse(config, bundle, out, &err);
	json_decref(config);
	if (ret == 0) {
		assert_null(err);
		return NULL;
	}
	assert_null(*out);
	snprintf(msg, sizeof(msg), "%s", cella_error_string(err));
	cella_error_release(&err);
	return msg;
}

static void expect_error(const char *text, const char *expected)
{
	struct cella_rootfs *r = NULL;
	const char *msg = try_parse(text, &r);

	if (msg == NULL) {
		cella_rootfs_free(r);
		fail_msg("accepted: %s", text);
	}
	if (strstr(msg, expected) == NULL)
		fail_msg("error '%s' lacks '%s'", msg, expected);
}

#define ROOT "\"root\": {\"path\": \"rootfs\"}"

static void test_full_config(void **state)
{
	struct cella_rootfs *r = NULL;
	const char *msg = try_parse(
		"{\"root\": {\"path\": \"rootfs\", \"readonly\": true},"
		" \"mounts\": ["
		"  {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
		"  {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
		"   \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},"
		"  {\"destination\": \"/data\", \"source\": \"hostdir\", \"options\": [\"rbind\", \"ro\"]},"
		"  {\"destination\": \"/idm\", \"type\": \"bind\", \"source\": \"/srv\", \"options\": "
		"[\"idmap\"],"
		"   \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 10}],"
		"   \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 10}]}"
		" ],"
		" \"linux\": {\"rootfsPropagation\": \"rslave\", \"maskedPaths\": [\"/proc/kcore\"],"
		"  \"readonlyPaths\": [\"/proc/sys\", \"/proc/bus\"], \"mountLabel\": "
		"\"system_u:object_r:x:s0\","
		"  \"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"network\"}],"
		"  \"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229,"
		"   \"fileMode\": 420, \"uid\": 7, \"gid\": 8}, {\"path\": \"/dev/fifo\", \"type\": "
		"\"p\"}]}}",
		&r);

	if (msg)
		fail_msg("%s", msg);
	assert_true(cella_rootfs_readonly(r));
	assert_int_equal(strncmp(r->root_path, bundle, strlen(bundle)), 0);
	assert_string_equal(r->root_path + strlen(bundle), "/rootfs");
	assert_int_equal(r->n_mounts, 4);
	assert_string_equal(r->mounts[0].type, "proc");
	assert_string_equal(r->mounts[1].opts.data, "mode=755,size=65536k");
	assert_int_equal(r->mounts[1].opts.flags, MS_NOSUID | MS_STRICTATIME);
	assert_null(r->mounts[2].type);
	assert_true(rootfs_mount_is_bind(&r->mounts[2]));
	assert_true(r->mounts[2].opts.rec);
	assert_string_equal(r->mounts[2].source + strlen(bundle), "/hostdir"); /* relative to the bundle */
	assert_true(rootfs_mount_is_bind(&r->mounts[3]));
	assert_true(r->mounts[3].opts.idmap);
	assert_int_equal(r->mounts[3].n_uid_map, 1);
	assert_int_equal(r->mounts[3].uid_map[0].host_id, 1000);
	assert_int_equal(r->root_propagation, MS_SLAVE | MS_REC);
	assert_string_equal(r->masked_paths[0], "/proc/kcore");
	assert_null(r->masked_paths[1]);
	assert_string_equal(r->readonly_paths[1], "/proc/bus");
	assert_string_equal(r->mount_label, "system_u:object_r:x:s0");
	assert_true(r->has_netns);
	assert_false(r->has_cgroupns);
	assert_int_equal(r->n_devices, 2);
	assert_string_equal(r->devices[0].path, "/dev/fuse");
	assert_int_equal(r->devices[0].type, 'c');
	assert_int_equal(r->devices[0].major, 10);
	assert_int_equal(r->devices[0].minor, 229);
	assert_int_equal(r->devices[0].mode, 0644);
	assert_int_equal(r->devices[0].uid, 7);
	assert_int_equal(r->devices[0].gid, 8);
	assert_int_equal(r->devices[1].type, 'p');
	assert_int_equal(r->devices[1].mode, 0666); /* default */
	cella_rootfs_free(r);
}

static void test_minimal_config(void **state)
{
	struct cella_rootfs *r = NULL;
	const char *msg = try_parse("{" ROOT "}", &r);

	if (msg)
		fail_msg("%s", msg);
	assert_false(cella_rootfs_readonly(r));
	assert_int_equal(r->n_mounts, 0);
	assert_null(r->masked_paths[0]);
	assert_int_equal(r->root_propagation, 0);
	cella_rootfs_free(r);
}

static void test_root_errors(void **state)
{
	expect_error("{}", "config.json: root: must be an object");
	expect_error("{\"root\": {}}", "config.json: root.path: must be a non-empty string");
	expect_error("{\"root\": {\"path\": \"nope\"}}", "config.json: root.path: ");
	expect_error("{\"root\": {\"path\": \"rootfs\", \"readonly\": \"yes\"}}",
		     "config.json: root.readonly: must be a boolean");
	expect_error("{\"root\": {\"path\": \"/\"}}", "config.json: root.path: must not be the host's /");
}

static void test_bundle_must_be_absolute(void **state)
{
	struct cella_rootfs *r = NULL;
	cella_err_t err = NULL;
	json_t *config = json_loads("{" ROOT "}", 0, NULL);

	assert_true(cella_rootfs_parse(config, "relative/bundle", &r, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "bundle must be an absolute path"));
	cella_error_release(&err);
	json_decref(config);
}

static void test_mount_errors(void **state)
{
	expect_error("{" ROOT ", \"mounts\": {}}", "config.json: mounts: must be an array");
	expect_error("{" ROOT ", \"mounts\": [{\"destination\": \"/a\", \"type\": \"tmpfs\"}, "
		     "{\"destination\": \"rel\", \"type\": \"tmpfs\"}]}",
		     "config.json: mounts[1].destination: must be an absolute path");
	expect_error("{" ROOT ", \"mounts\": [{\"destination\": \"//\", \"type\": \"tmpfs\"}]}",
		     "config.json: mounts[0].destination: must not be the root (/)");
	expect_error("{" ROOT ", \"mounts\": [{\"type\": \"tmpfs\"}]}",
		     "config.json: mounts[0].destination: must be a string");
	expect_error("{" ROOT ", \"mounts\": [{\"destination\": \"/a\"}]}",
		     "config.json: mounts[0].type: required unless options contain bind or rbind");
	expect_error("{" ROOT ", \"mounts\": [{\"destination\": \"/a\", \"type\": 5}]}",
		     "config.json: mounts[0].type: must be a non-empty string");
	expect_error("{" ROOT ", \"mounts\": [{\"destination\": \"/a\", \"options\": [\"rbind\"]}]}",
		     "config.json: mounts[0].source: required for a bind mount");
	expect_error("{" ROOT
		     ", \"mounts\": [{\"destination\": \"/a\", \"type\": \"tmpfs\", \"options\": [1]}]}",
		     "config.json: mounts[0].options[0]: must be a string");
	expect_error("{" ROOT
		     ", \"mounts\": [{\"destination\": \"/a\", \"type\": \"bind\", \"source\": \"/x\","
		     " \"options\": [\"tmpcopyup\"]}]}",
		     "config.json: mounts[0].options: tmpcopyup needs type tmpfs");
}

static void test_idmap_errors(void **state)
{
	expect_error("{" ROOT ", \"mounts\": [{\"destination\": \"/a\", \"type\": \"tmpfs\", \"options\": "
		     "[\"idmap\"]}]}",
		     "config.json: mounts[0].options: idmap is only supported on bind mounts");
	expect_error("{" ROOT ", \"mounts\": [{\"destination\": \"/a\", \"source\": \"/x\", \"options\": "
		     "[\"bind\", \"idmap\"], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": "
		     "1}]}]}",
		     "config.json: mounts[0]: idmap needs both uidMappings and gidMappings");
	expect_error("{" ROOT ", \"mounts\": [{\"destination\": \"/a\", \"source\": \"/x\", \"options\": "
		     "[\"bind\"], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1}]}]}",
		     "config.json: mounts[0].uidMappings[0].size: must be an integer");
	expect_error(
		"{" ROOT ", \"mounts\": [{\"destination\": \"/a\", \"source\": \"/x\", \"options\": "
		"[\"bind\"], \"gidMappings\": [{\"containerID\": 0, \"hostID\": 4294967295, \"size\": 2}]}]}",
		"config.json: mounts[0].gidMappings[0]: empty or overflowing range");
}

static void test_device_errors(void **state)
{
	expect_error("{" ROOT
		     ", \"linux\": {\"devices\": [{\"path\": \"dev/x\", \"type\": \"c\", \"major\": 1,"
		     " \"minor\": 1}]}}",
		     "config.json: linux.devices[0].path: must be an absolute path");
	expect_error("{" ROOT ", \"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"x\"}]}}",
		     "config.json: linux.devices[0].type: must be one of c, b, u, p");
	expect_error("{" ROOT
		     ", \"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"b\", \"minor\": 1}]}}",
		     "config.json: linux.devices[0].major: required");
	expect_error("{" ROOT
		     ", \"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1,"
		     " \"minor\": 1048576}]}}",
		     "config.json: linux.devices[0].minor: 1048576 is out of range");
	expect_error("{" ROOT
		     ", \"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1,"
		     " \"minor\": 1, \"fileMode\": 4096}]}}",
		     "config.json: linux.devices[0].fileMode: 4096 is out of range");
	expect_error("{" ROOT
		     ", \"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1,"
		     " \"minor\": 1, \"uid\": -1}]}}",
		     "config.json: linux.devices[0].uid: -1 is out of range");
	expect_error("{" ROOT ", \"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"p\"},"
		     " {\"path\": \"/dev/x\", \"type\": \"p\"}]}}",
		     "config.json: linux.devices[1].path: '/dev/x' repeats linux.devices[0]");
	expect_error("{" ROOT ", \"linux\": {\"devices\": [\"x\"]}}",
		     "config.json: linux.devices[0]: must be an object");
}

static void test_linux_errors(void **state)
{
	expect_error("{" ROOT ", \"linux\": {\"maskedPaths\": [\"/ok\", \"proc/kcore\"]}}",
		     "config.json: linux.maskedPaths[1]: must be an absolute path");
	expect_error("{" ROOT ", \"linux\": {\"readonlyPaths\": \"/proc\"}}",
		     "config.json: linux.readonlyPaths: must be an array of strings");
	expect_error("{" ROOT ", \"linux\": {\"rootfsPropagation\": \"bogus\"}}",
		     "config.json: linux.rootfsPropagation: 'bogus' is not one of");
	expect_error("{" ROOT ", \"linux\": {\"rootfsPropagation\": \"ro\"}}",
		     "config.json: linux.rootfsPropagation: 'ro' is not one of");
	expect_error("{" ROOT ", \"linux\": {\"mountLabel\": 3}}",
		     "config.json: linux.mountLabel: must be a string");
	expect_error("{" ROOT ", \"linux\": []}", "config.json: linux: must be an object");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),   cmocka_unit_test(test_minimal_config),
		cmocka_unit_test(test_root_errors),   cmocka_unit_test(test_bundle_must_be_absolute),
		cmocka_unit_test(test_mount_errors),  cmocka_unit_test(test_idmap_errors),
		cmocka_unit_test(test_device_errors), cmocka_unit_test(test_linux_errors),
	};

	return cmocka_run_group_tests_name("rootfs-parse", tests, setup, teardown);
}
