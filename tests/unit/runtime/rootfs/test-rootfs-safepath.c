// SPDX-License-Identifier: GPL-2.0-or-later
/* Resolution inside the rootfs: symlinks and ".." must not lead out of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rootfs/rootfs_internal.h"

struct fixture {
	char top[PATH_MAX];  /* scratch dir */
	char root[PATH_MAX]; /* top/root: the container root */
	char host[PATH_MAX]; /* top/host: a directory outside it */
	int root_fd;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	*state = f; /* teardown frees it, whatever happens below */
	f->root_fd = -1;
	snprintf(f->top, sizeof(f->top), "/tmp/cella-rootfs-safepath.XXXXXX");
	if (mkdtemp(f->top) == NULL)
		return -1;
	snprintf(f->root, sizeof(f->root), "%.*s/root", PATH_MAX - 8, f->top);
	snprintf(f->host, sizeof(f->host), "%.*s/host", PATH_MAX - 8, f->top);
	if (mkdir(f->root, 0755) < 0 || mkdir(f->host, 0755) < 0)
		return -1;
	f->root_fd = open(f->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return f->root_fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[PATH_MAX + 32];
	int ret;

	if (f->root_fd >= 0)
		close(f->root_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->top);
	ret = system(cmd);
	free(f);
	return ret == 0 ? 0 : -1;
}

static bool exists(const char *dir, const char *rel)
{
	char *p = NULL;
	struct stat st;
	bool found;

	if (asprintf(&p, "%s/%s", dir, rel) < 0)
		fail_msg("out of memory");
	found = lstat(p, &st) == 0;
	free(p);
	return found;
}

static void test_mkdir_p_creates_nested(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;
	int fd = rootfs_mkdir_p_in_root(f->root_fd, "/a/b//c/", &err);

	assert_true(fd >= 0);
	close(fd);
	assert_true(exists(f->root, "a/b/c"));
}

static void test_dotdot_stays_inside(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;
	int fd = rootfs_ensure_in_root(f->root_fd, "/../../../escaped", true, &err);

	assert_true(fd >= 0);
	close(fd);
	assert_true(exists(f->root, "escaped"));
	assert_false(exists(f->top, "escaped"));
}

static void test_absolute_symlink_resolves_in_root(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;
	char inside[PATH_MAX * 2];
	int fd;

	/* evil -> <host dir> (absolute): inside the root that names root/<host dir>. */
	assert_int_equal(symlinkat(f->host, f->root_fd, "evil"), 0);
	fd = rootfs_ensure_in_root(f->root_fd, "/evil/x", true, &err);
	assert_true(fd < 0); /* the target does not exist inside the root: refused, not followed out */
	assert_non_null(strstr(cella_error_string(err), "dangling symlink"));
	cella_error_release(&err);
	assert_false(exists(f->host, "x"));

	snprintf(inside, sizeof(inside), "%s%s", f->root, f->host);
	fd = rootfs_mkdir_p_in_root(f->root_fd, f->host, &err); /* make the in-root target */
	assert_true(fd >= 0);
	close(fd);
	fd = rootfs_ensure_in_root(f->root_fd, "/evil/x", true, &err);
	assert_true(fd >= 0);
	close(fd);
	assert_true(exists(inside, "x"));
	assert_false(exists(f->host, "x"));
}

static void test_relative_symlink_dotdot(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;
	int fd;

	assert_int_equal(symlinkat("../../../../../../host", f->root_fd, "up"), 0);
	assert_int_equal(mkdirat(f->root_fd, "host", 0755), 0);
	fd = rootfs_ensure_in_root(f->root_fd, "/up/file", false, &err);
	assert_true(fd >= 0);
	close(fd);
	assert_true(exists(f->root, "host/file"));
	assert_false(exists(f->host, "file"));
}

static void test_file_mount_point(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;
	char p[PATH_MAX * 2];
	struct stat st;
	int fd = rootfs_ensure_in_root(f->root_fd, "/etc/resolv.conf", false, &err);

	assert_true(fd >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/etc/resolv.conf", f->root);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 0);
}

static void test_safe_open_in_root(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;
	int fd;

	fd = cella_safe_open_in_root(f->root_fd, "/does/not/exist", O_PATH, &err);
	assert_true(fd < 0);
	assert_non_null(strstr(cella_error_string(err), "open '/does/not/exist' inside the container root"));
	cella_error_release(&err);
	/* Magic links (/proc/self/...) are refused: they could jump anywhere. */
	{
		int slash = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

		assert_true(slash >= 0);
		if (access("/proc/self/root", F_OK) < 0) {
			close(slash);
			skip(); /* no /proc mounted: nothing to test the magic-link refusal with */
		}
		fd = cella_safe_open_in_root(slash, "/proc/self/root/etc", O_PATH, &err);
		close(slash);
		assert_true(fd < 0);
		assert_int_equal(err->errno_value, ELOOP);
		cella_error_release(&err);
	}
}

static void test_split_path(void **state)
{
	cella_err_t err = NULL;
	char *parent = NULL;
	const char *base = NULL;

	assert_int_equal(rootfs_split_path("/dev/null", &parent, &base, &err), 0);
	assert_string_equal(parent, "/dev");
	assert_string_equal(base, "null");
	free(parent);
	assert_int_equal(rootfs_split_path("/x//", &parent, &base, &err), 0);
	assert_string_equal(parent, "/");
	assert_int_equal(strncmp(base, "x", 1), 0);
	free(parent);
	assert_true(rootfs_split_path("/", &parent, &base, &err) < 0);
	cella_error_release(&err);
}

static void test_device_nodes(void **state)
{
	struct fixture *f = *state;
	struct rootfs_device fifo = {"/dev/myfifo", 'p', 0, 0, 0640, 0, 0};
	struct rootfs_device chr = {"/dev/sub/null2", 'c', 1, 3, 0600, 42, 43};
	cella_err_t err = NULL;
	char p[PATH_MAX * 2];
	struct stat st;

	assert_int_equal(rootfs_device_create(f->root_fd, &fifo, false, &err), 0);
	snprintf(p, sizeof(p), "%s/dev/myfifo", f->root);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	/* Creating it again replaces it rather than failing. */
	assert_int_equal(rootfs_device_create(f->root_fd, &fifo, false, &err), 0);
	if (geteuid() != 0)
		skip(); /* mknod of a character device needs CAP_MKNOD: run as root for this part */
	assert_int_equal(rootfs_device_create(f->root_fd, &chr, false, &err), 0);
	snprintf(p, sizeof(p), "%s/dev/sub/null2", f->root);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(major(st.st_rdev), 1);
	assert_int_equal(minor(st.st_rdev), 3);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, 42);
	assert_int_equal(st.st_gid, 43);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mkdir_p_creates_nested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dotdot_stays_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absolute_symlink_resolves_in_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_symlink_dotdot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_mount_point, setup, teardown),
		cmocka_unit_test_setup_teardown(test_safe_open_in_root, setup, teardown),
		cmocka_unit_test(test_split_path),
		cmocka_unit_test_setup_teardown(test_device_nodes, setup, teardown),
	};

	return cmocka_run_group_tests_name("rootfs-safepath", tests, NULL, NULL);
}
