// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The "default" image, built offline from the host's static busybox: every
 * applet as a symlink, /etc/passwd and /etc/group, and an /sbin/init that
 * sleeps until it is told to stop (SIGTERM ends it cleanly: as pid 1 of its
 * namespace it only dies from signals it handles).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "images.h"
#include "util.h"

#define BUSYBOX "/bin/busybox"

static const char init_script[] = "#!/bin/sh\n"
				  "# cella default image init: idle until stopped.\n"
				  "trap 'exit 0' TERM INT\n"
				  "while :; do sleep 3600 & wait $!; done\n";
static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
			     "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
static const char group[] = "root:x:0:\nnogroup:x:65534:\n";

/* A static binary has no PT_INTERP: a dynamic busybox would not run inside the image. */
static int check_static(const char *path, cella_err_t *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf64_Ehdr eh;

	if (fd < 0)
		return cella_error_sys(err, "default image: %s (install busybox-static)", path);
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64)
		return cella_error_make(err, ENOEXEC, "default image: %s is not a 64-bit ELF binary", path);
	for (unsigned i = 0; i < eh.e_phnum && i < 256; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (Elf64_Off)i * eh.e_phentsize)) !=
		    (ssize_t)sizeof(ph))
			return cella_error_make(err, ENOEXEC, "default image: %s: truncated ELF", path);
		if (ph.p_type == PT_INTERP)
			return cella_error_make(
				err, ENOEXEC,
				"default image: %s is dynamically linked (install busybox-static)", path);
	}
	return 0;
}

static int copy_file(const char *from, const char *to, mode_t mode, cella_err_t *err)
{
	_cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = -1;
	char buf[1 << 16];

	if (in < 0)
		return cella_error_sys(err, "open '%s'", from);
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0)
		return cella_error_sys(err, "create '%s'", to);
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cella_error_sys(err, "read '%s'", from);
		if (n == 0)
			break;
		if (write(out, buf, (size_t)n) != n)
			return cella_error_sys(err, "write '%s'", to);
	}
	return fchmod(out, mode) < 0 ? cella_error_sys(err, "chmod '%s'", to) : 0;
}

/* One symlink per applet, from `busybox --list-full` ("usr/bin/env", "sbin/init", ...). */
static int link_applets(const char *rootfs, cella_err_t *err)
{
	_cleanup_free_ char *cmd = NULL, *line = NULL;
	size_t cap = 0;
	FILE *list;
	int ret = 0, status;

	if (asprintf(&cmd, "%s/bin/busybox --list-full", rootfs) < 0)
		return cella_error_make(err, ENOMEM, "default image");
	list = popen(cmd, "re");
	if (list == NULL)
		return cella_error_sys(err, "default image: run busybox --list-full");
	while (getline(&line, &cap, list) > 0) {
		_cleanup_free_ char *path = NULL, *dir = NULL;
		char *slash;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || strstr(line, "..") || strcmp(line, "sbin/init") == 0 ||
		    strcmp(line, "bin/busybox") == 0 || strcmp(line, "linuxrc") == 0)
			continue;
		if (asprintf(&path, "%s/%s", rootfs, line) < 0 || (dir = strdup(path)) == NULL) {
			ret = cella_error_make(err, ENOMEM, "default image");
			break;
		}
		slash = strrchr(dir, '/');
		*slash = '\0';
		if (cellad_mkdir_p(dir, 0755, err) < 0) {
			ret = -1;
			break;
		}
		if (symlink("/bin/busybox", path) < 0 && errno != EEXIST) {
			ret = cella_error_sys(err, "default image: symlink '%s'", path);
			break;
		}
	}
	status = pclose(list);
	if (ret == 0 && status != 0)
		ret = cella_error_make(err, 0, "default image: busybox --list-full failed (status %d)",
				       status);
	return ret;
}

static int build(const char *rootfs, cella_err_t *err)
{
	static const char *const dirs[] = {"bin", "sbin", "etc", "root",    "tmp",     "proc",	   "sys",
					   "dev", "run",  "var", "var/tmp", "usr/bin", "usr/sbin", "home"};
	char path[4096];

	if (check_static(BUSYBOX, err) < 0 || cellad_mkdir_p(rootfs, 0755, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", rootfs, dirs[i]);
		bool sticky = strcmp(dirs[i], "tmp") == 0 || strcmp(dirs[i], "var/tmp") == 0;

		if (cellad_mkdir_p(path, 0755, err) < 0)
			return -1;
		if (chmod(path, sticky ? 01777 : 0755) < 0)
			return cella_error_sys(err, "chmod '%s'", path);
	}
	snprintf(path, sizeof(path), "%s/bin/busybox", rootfs);
	if (copy_file(BUSYBOX, path, 0755, err) < 0 || link_applets(rootfs, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/sbin/init", rootfs);
	if (cellad_write_file(path, init_script, strlen(init_script), 0755, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/etc/passwd", rootfs);
	if (cellad_write_file(path, passwd, strlen(passwd), 0644, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/etc/group", rootfs);
	return cellad_write_file(path, group, strlen(group), 0644, err);
}

int cellad_image_ensure_default(struct cellad *d, cella_err_t *err)
{
	_cleanup_free_ char *build_dir = NULL, *rootfs = NULL, *staging = NULL, *staging_rootfs = NULL;
	json_t *image = NULL, *source = json_pack("{s:s}", "alias", "default");
	json_t *aliases, *props;
	cella_err_t ignore = NULL;
	char fp[65];
	int ret;

	pthread_mutex_lock(&d->lock);
	ret = cellad_image_resolve_locked(d, source, &image, &ignore);
	pthread_mutex_unlock(&d->lock);
	json_decref(source);
	cella_error_release(&ignore);
	if (ret == 0) {
		json_decref(image);
		return 0;
	}
	if (asprintf(&build_dir, "%s/default-build", d->tmp_dir) < 0 ||
	    asprintf(&rootfs, "%s/rootfs", build_dir) < 0 ||
	    asprintf(&staging, "%s/.import-default", d->images_dir) < 0 ||
	    asprintf(&staging_rootfs, "%s/rootfs", staging) < 0)
		return cella_error_make(err, ENOMEM, "default image");
	/* Leftovers of an interrupted build are thrown away: the build is cheap and deterministic. */
	if (cellad_rm_rf(build_dir, err) < 0 || cellad_rm_rf(staging, err) < 0)
		return -1;
	ret = build(rootfs, err);
	if (ret == 0)
		ret = mkdir(staging, 0700) < 0 || mkdir(staging_rootfs, 0755) < 0
			      ? cella_error_sys(err, "mkdir '%s'", staging_rootfs)
			      : cellad_image_copy_tree(rootfs, staging_rootfs, fp, NULL, NULL, err);
	if (ret == 0) {
		aliases = json_pack("[{s:s, s:s}]", "name", "default", "description",
				    "busybox (built on this host)");
		props = json_pack("{s:s, s:s}", "description", "busybox from the host's " BUSYBOX, "os",
				  "busybox");
		ret = cellad_image_register(d, staging, fp, aliases, props, err);
		json_decref(aliases);
		json_decref(props);
	}
	if (cellad_rm_rf(build_dir, &ignore) < 0)
		cella_error_release(&ignore);
	if (ret < 0) {
		if (cellad_rm_rf(staging, &ignore) < 0)
			cella_error_release(&ignore);
		return cella_error_wrap(err, "build the default image");
	}
	return 0;
}
