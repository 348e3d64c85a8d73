// SPDX-License-Identifier: GPL-2.0-or-later
/* state.json: atomic write, read back, status derivation, runc's public JSON. */
#include "core/state.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "core/ids.h"
#include "core/util.h"

#define STATE_MAX_SIZE (8u << 20)

const char *cella_status_name(enum cella_status s)
{
	switch (s) {
	case CELLA_STATUS_CREATING:
		return "creating";
	case CELLA_STATUS_CREATED:
		return "created";
	case CELLA_STATUS_RUNNING:
		return "running";
	case CELLA_STATUS_PAUSED:
		return "paused";
	case CELLA_STATUS_STOPPED:
	default:
		return "stopped";
	}
}

static int mkdir_parents(const char *path, cella_err_t *err)
{
	_cleanup_free_ char *copy = strdup(path);

	if (copy == NULL)
		return cella_error_sys(err, "mkdir '%s'", path);
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0711) < 0 && errno != EEXIST)
			return cella_error_sys(err, "mkdir '%s'", copy);
		*p = '/';
	}
	if (mkdir(copy, 0700) < 0 && errno != EEXIST)
		return cella_error_sys(err, "mkdir '%s'", copy);
	return 0;
}

int cella_state_dir_open(const char *root, const char *id, bool create, bool lock, int *dir_fd,
			 cella_err_t *err)
{
	_cleanup_close_ int root_fd = -1, fd = -1;

	if (cella_container_id_validate(id, err) < 0)
		return -1;
	if (create && mkdir_parents(root, err) < 0)
		return -1;
	root_fd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (root_fd < 0) {
		if (errno == ENOENT)
			return cella_error_make(err, 0, "container '%s' does not exist", id);
		return cella_error_sys(err, "open root '%s'", root);
	}
	if (create && mkdirat(root_fd, id, 0700) < 0) {
		if (errno == EEXIST)
			return cella_error_make(err, 0, "container with id exists: %s", id);
		return cella_error_sys(err, "mkdir '%s/%s'", root, id);
	}
	fd = openat(root_fd, id, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return cella_error_make(err, 0, "container '%s' does not exist", id);
		return cella_error_sys(err, "open '%s/%s'", root, id);
	}
	/* Verbs on one container run one at a time; the lock dies with the process. */
	if (lock && flock(fd, LOCK_EX) < 0)
		return cella_error_sys(err, "lock '%s/%s'", root, id);
	*dir_fd = steal_fd(&fd);
	return 0;
}

static char *dup_string(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return strdup(s ? s : "");
}

int cella_state_from_json(json_t *doc, const char *id, struct cella_state **out, cella_err_t *err)
{
	struct cella_state *st;
	json_t *priv = json_object_get(doc, "cella");

	if (!json_is_object(doc) || !json_is_object(priv) || !json_is_integer(json_object_get(doc, "pid")) ||
	    !json_is_string(json_object_get(doc, "id")))
		return cella_error_make(err, EINVAL, "state of container '%s' is corrupt", id);
	if (strcmp(json_string_value(json_object_get(doc, "id")), id) != 0)
		return cella_error_make(err, EINVAL, "state of container '%s' names another id", id);
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return cella_error_sys(err, "state");
	st->id = dup_string(doc, "id");
	st->bundle = dup_string(doc, "bundle");
	st->rootfs = dup_string(doc, "rootfs");
	st->created = dup_string(doc, "created");
	st->owner = dup_string(doc, "owner");
	st->pid = (pid_t)json_integer_value(json_object_get(doc, "pid"));
	st->start_time = (unsigned long long)json_integer_value(json_object_get(priv, "init_start_time"));
	st->paused = json_is_true(json_object_get(priv, "paused"));
	st->annotations = json_incref(json_object_get(doc, "annotations"));
	st->config = json_incref(json_object_get(priv, "config"));
	st->cgroup = json_incref(json_object_get(priv, "cgroup"));
	if (!st->id || !st->bundle || !st->rootfs || !st->created || !st->owner) {
		cella_state_free(st);
		return cella_error_sys(err, "state");
	}
	*out = st;
	return 0;
}

int cella_state_read(int dir_fd, const char *id, struct cella_state **out, cella_err_t *err)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	json_error_t jerr;
	json_t *doc;
	size_t len;
	int ret;

	if (asprintf(&path, "/proc/self/fd/%d/" CELLA_STATE_FILE, dir_fd) < 0)
		return cella_error_sys(err, "state");
	if (cella_rt_read_file(path, STATE_MAX_SIZE, &text, &len, err) < 0) {
		if (err && *err && (*err)->errno_value == ENOENT) {
			cella_error_release(err);
			return cella_error_make(err, ENOENT, "container '%s' is still being created", id);
		}
		return -1;
	}
	doc = json_loadb(text, len, 0, &jerr);
	if (doc == NULL)
		return cella_error_make(err, EINVAL, "state of container '%s': %s", id, jerr.text);
	ret = cella_state_from_json(doc, id, out, err);
	json_decref(doc);
	return ret;
}

json_t *cella_state_to_json(const struct cella_state *st)
{
	json_t *doc = cella_state_public_json(st, CELLA_STATUS_CREATED);
	json_t *priv = json_object();

	json_object_set_new(priv, "init_start_time", json_integer((json_int_t)st->start_time));
	json_object_set_new(priv, "paused", json_boolean(st->paused));
	if (st->config)
		json_object_set(priv, "config", st->config);
	if (st->cgroup)
		json_object_set(priv, "cgroup", st->cgroup);
	json_object_set_new(doc, "cella", priv);
	return doc;
}

/*
 * Replaces name in dir_fd atomically (temp file + rename: a reader sees the old or the new content,
 * never a mix) but without fsync, as runc writes its state.json: the state describes processes that
 * do not survive a crash of the host, and <root> is normally the tmpfs /run. The fsync cost a disk
 * flush on every create when --root was on a disk.
 */
static int replace_file(int dir_fd, const char *name, const char *data, size_t len, cella_err_t *err)
{
	char tmp[64];
	size_t done = 0;
	int fd;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return cella_error_sys(err, "create '%s'", tmp);
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			cella_error_sys(err, "write '%s'", tmp);
			close(fd);
			unlinkat(dir_fd, tmp, 0);
			return -1;
		}
		done += n;
	}
	/* close() reports late write errors of some file systems (NFS): check it before committing. */
	if (close(fd) < 0 || renameat(dir_fd, tmp, dir_fd, name) < 0) {
		cella_error_sys(err, "commit '%s'", name);
		unlinkat(dir_fd, tmp, 0);
		return -1;
	}
	return 0;
}

int cella_state_write(int dir_fd, const struct cella_state *st, cella_err_t *err)
{
	json_t *doc = cella_state_to_json(st);
	char *text = json_dumps(doc, JSON_COMPACT);
	int ret;

	json_decref(doc);
	if (text == NULL)
		return cella_error_make(err, ENOMEM, "state of '%s': cannot encode", st->id);
	ret = replace_file(dir_fd, CELLA_STATE_FILE, text, strlen(text), err);
	free(text);
	return ret;
}

enum cella_status cella_state_status(const struct cella_state *st, int dir_fd)
{
	if (!cella_rt_pid_matches(st->pid, st->start_time))
		return CELLA_STATUS_STOPPED;
	if (faccessat(dir_fd, CELLA_EXEC_FIFO, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return CELLA_STATUS_CREATED;
	return st->paused ? CELLA_STATUS_PAUSED : CELLA_STATUS_RUNNING;
}

json_t *cella_state_public_json(const struct cella_state *st, enum cella_status status)
{
	json_t *doc = json_object();

	json_object_set_new(doc, "ociVersion", json_string("1.2.0"));
	json_object_set_new(doc, "id", json_string(st->id));
	json_object_set_new(doc, "pid", json_integer(status == CELLA_STATUS_STOPPED ? 0 : st->pid));
	json_object_set_new(doc, "status", json_string(cella_status_name(status)));
	json_object_set_new(doc, "bundle", json_string(st->bundle));
	json_object_set_new(doc, "rootfs", json_string(st->rootfs));
	json_object_set_new(doc, "created", json_string(st->created));
	json_object_set_new(doc, "owner", json_string(st->owner));
	if (st->annotations && json_object_size(st->annotations))
		json_object_set(doc, "annotations", st->annotations);
	return doc;
}

char *cella_state_hook_json(const struct cella_state *st, enum cella_status status)
{
	json_t *doc = cella_state_public_json(st, status);
	char *text;

	/* Hooks see the pid even once stopped (poststop), as runc passes it. */
	json_object_set_new(doc, "pid", json_integer(st->pid));
	json_object_del(doc, "created");
	json_object_del(doc, "owner");
	json_object_del(doc, "rootfs");
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return text;
}

static int remove_tree_at(int parent_fd, const char *name, cella_err_t *err)
{
	int fd = openat(parent_fd, name, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_closedir_ DIR *dir = NULL;
	struct dirent *de;

	if (fd < 0)
		return errno == ENOENT ? 0 : cella_error_sys(err, "open '%s'", name);
	dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		return cella_error_sys(err, "open '%s'", name);
	}
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type == DT_DIR) {
			if (remove_tree_at(dirfd(dir), de->d_name, err) < 0)
				return -1;
		} else if (unlinkat(dirfd(dir), de->d_name, 0) < 0 && errno != ENOENT) {
			return cella_error_sys(err, "remove '%s/%s'", name, de->d_name);
		}
	}
	if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return cella_error_sys(err, "remove '%s'", name);
	return 0;
}

int cella_state_dir_remove(const char *root, const char *id, cella_err_t *err)
{
	_cleanup_close_ int root_fd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

	if (root_fd < 0)
		return cella_error_sys(err, "open root '%s'", root);
	if (cella_container_id_validate(id, err) < 0)
		return -1;
	return remove_tree_at(root_fd, id, err);
}

void cella_state_free(struct cella_state *st)
{
	if (st == NULL)
		return;
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->owner);
	json_decref(st->annotations);
	json_decref(st->config);
	json_decref(st->cgroup);
	free(st);
}
