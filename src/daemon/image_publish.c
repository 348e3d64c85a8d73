// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Publish: a stopped container's root file system becomes a new image. The
 * image's rootfs and the instance's writable layer are mounted together, read
 * only, as an overlay (so deleted files stay deleted and opaque directories
 * stay opaque), written as one tar with the system container's host ids
 * shifted back to the container's own, fingerprinted (sha256 of that tar, as
 * for an uploaded tarball) and unpacked like an import.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "container.h"
#include "image_tar.h"
#include "image_transfer.h"
#include "start_helper.h"
#include "images.h"
#include "instances.h"
#include "storage.h"
#include "util.h"

/* The instance must exist, be a container and be Stopped; *row = its row with image and id range.
 * *missing (may be NULL) tells "no such instance" (404) from the other refusals. */
static int publishable_locked(struct cellad *d, const char *name, json_t **row, bool *missing,
			      cella_err_t *err)
{
	const char *state;

	if (cellad_db_query_one(
		    d->db,
		    "SELECT instances.*, images.fingerprint, id_allocations.host_base FROM instances "
		    "LEFT JOIN images ON images.id = instances.image_id LEFT JOIN id_allocations ON "
		    "id_allocations.instance_id = instances.id WHERE instances.name = ?",
		    DB_ARGS(DB_TEXT(name)), row, err) < 0)
		return -1;
	if (*row == NULL) {
		if (missing)
			*missing = true;
		return cella_error_make(err, 0, "source.name: instance '%s' not found", name);
	}
	state = json_string_value(json_object_get(*row, "state"));
	if (cellad_row_is_vm(*row))
		return cella_error_make(
			err, 0, "source.name: instance '%s' is a vm: only containers can be published", name);
	if (state == NULL || strcmp(state, "Stopped") != 0)
		return cella_error_make(err, 0,
					"source.name: instance '%s' is %s: stop it before publishing it",
					name, state ? state : "in an unknown state");
	if (json_string_value(json_object_get(*row, "fingerprint")) == NULL)
		return cella_error_make(err, 0, "source.name: instance '%s' has no image", name);
	return 0;
}

enum MHD_Result cellad_image_publish_request(struct cellad_request *r, json_t *body, json_t *aliases)
{
	struct cellad *d = r->d;
	json_t *source = json_object_get(body, "source"), *props = json_object_get(body, "properties");
	const char *name = json_string_value(json_object_get(source, "name"));
	json_t *row = NULL, *op = NULL, *args;
	cella_err_t err = NULL;
	bool missing = false;
	char url[128];
	const char *key;
	json_t *v;

	json_object_foreach (source, key, v) {
		if (strcmp(key, "type") != 0 && strcmp(key, "name") != 0) {
			json_decref(aliases);
			return cellad_reply_error(
				r, MHD_HTTP_BAD_REQUEST,
				"source.%s: unknown field (an instance source has type and name)", key);
		}
	}
	if (name == NULL || !cellad_name_valid(name)) {
		json_decref(aliases);
		return cellad_reply_error(r, MHD_HTTP_BAD_REQUEST,
					  "source.name: expected an instance name, got '%s'",
					  name ? name : "(missing)");
	}
	if (props && !json_is_object(props)) {
		json_decref(aliases);
		return cellad_reply_error(r, MHD_HTTP_BAD_REQUEST, "properties: expected an object");
	}
	pthread_mutex_lock(&d->lock);
	if (publishable_locked(d, name, &row, &missing, &err) < 0) {
		unsigned status = missing ? MHD_HTTP_NOT_FOUND : MHD_HTTP_BAD_REQUEST;

		pthread_mutex_unlock(&d->lock);
		json_decref(row);
		json_decref(aliases);
		return cellad_reply_err(r, status, &err);
	}
	json_decref(row);
	snprintf(url, sizeof(url), "/1.0/instances/%s", name);
	args = json_pack("{s:s, s:o, s:o}", "name", name, "aliases", aliases, "properties",
			 props ? json_incref(props) : json_object());
	if (cellad_op_submit_locked(d, "Publishing instance",
				    json_pack("{s:[], s:[s]}", "images", "instances", url), args,
				    cellad_op_image_publish, &op, &err) < 0) {
		pthread_mutex_unlock(&d->lock);
		return cellad_reply_err(r, 500, &err);
	}
	pthread_mutex_unlock(&d->lock);
	return cellad_reply_async(r, op);
}

/* overlayfs options separate layers with ':' and options with ','. */
static int mount_merged(const char *upper, const char *lower, const char *target, cella_err_t *err)
{
	_cleanup_free_ char *opts = NULL;

	if (strpbrk(upper, ":,") || strpbrk(lower, ":,"))
		return cella_error_make(err, EINVAL,
					"publish: the paths '%s' and '%s' must not hold ':' or ','", upper,
					lower);
	/* Two lower layers and no upper: read only, no work directory needed. */
	if (asprintf(&opts, "lowerdir=%s:%s", upper, lower) < 0)
		return cella_error_make(err, ENOMEM, "publish");
	if (mount("overlay", target, "overlay", MS_RDONLY | MS_NODEV | MS_NOSUID, opts) < 0)
		return cella_error_sys(err, "mount the instance's root file system at '%s'", target);
	return 0;
}

/* In the packing child: progress goes to the parent as "P BYTES ENTRIES" lines on the pipe. */
static void child_progress(void *ctx, int percent, unsigned long long bytes, unsigned long long entries)
{
	(void)percent;
	dprintf(*(int *)ctx, "P %llu %llu\n", bytes, entries);
}

/*
 * The pack helper (a fresh image of cellad, never a bare fork of the multithreaded daemon: libarchive and
 * the allocator run here, start_helper.h) mounts the merged tree in a mount namespace of its own, so the
 * mount vanishes with it whatever happens (a killed cellad kills it through PDEATHSIG; start-up then
 * removes the partial tar with the rest of tmp/). Its last line is "OK" or "E message".
 */
void cellad_pack_helper_main(char **argv, int out)
{
	const char *upper = argv[1], *lower = argv[2], *merged = argv[3], *tar = argv[4];
	struct cellad_tar_options opts = {.shift_base = strtoll(argv[5], NULL, 10),
					  .shift_size = CELLAD_IDMAP_SIZE,
					  .progress = child_progress,
					  .ctx = &out};
	cella_err_t err = NULL;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1)
		_exit(1);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		cella_error_sys(&err, "private mount namespace");
	else if (mount_merged(upper, lower, merged, &err) == 0)
		cellad_tar_write_tree(merged, tar, &opts, &err);
	if (err)
		dprintf(out, "E %s\n", cella_error_string(err));
	else
		dprintf(out, "OK\n");
	_exit(err ? 1 : 0);
}

/* Reads the child's lines until it closes the pipe; the result is its last line. */
static int pack_wait(int in, pid_t pid, struct cellad_image_progress *p, cella_err_t *err)
{
	_cleanup_fclose_ FILE *f = fdopen(in, "r");
	char line[4096] = "", last[4096] = "";
	int status = 0;

	if (f == NULL) {
		close(in);
		kill(pid, SIGKILL);
	}
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long bytes, entries;

		if (sscanf(line, "P %llu %llu", &bytes, &entries) == 2)
			cellad_image_progress(p, -1, bytes, entries);
		else
			snprintf(last, sizeof(last), "%s", line);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	last[strcspn(last, "\n")] = '\0';
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && strcmp(last, "OK") == 0)
		return 0;
	if (strncmp(last, "E ", 2) == 0)
		return cella_error_make(err, 0, "%s", last + 2);
	return cella_error_make(err, 0, "the packing process failed (status %d)", status);
}

/* Writes the merged tree (image rootfs + instance upper layer) as tar. */
static int pack(struct cellad *d, json_t *row, const char *work, const char *tar,
		struct cellad_image_progress *p, cella_err_t *err)
{
	const char *name = json_string_value(json_object_get(row, "name"));
	json_t *base = json_object_get(row, "host_base");
	_cleanup_free_ char *merged = NULL, *upper = NULL, *lower = NULL;
	char base_text[32];
	int pipefd[2];
	pid_t pid;

	if (asprintf(&merged, "%s/merged", work) < 0 ||
	    asprintf(&upper, "%s/%s/upper", d->instances_dir, name) < 0 ||
	    asprintf(&lower, "%s/%s/rootfs", d->images_dir,
		     json_string_value(json_object_get(row, "fingerprint"))) < 0)
		return cella_error_make(err, ENOMEM, "publish");
	if (mkdir(merged, 0700) < 0)
		return cella_error_sys(err, "mkdir '%s'", merged);
	/* A btrfs root is the whole tree, not a layer over the image: it is merged with an empty directory. */
	if (cellad_storage_kind() == CELLAD_STORAGE_BTRFS) {
		free(upper);
		free(lower);
		upper = lower = NULL;
		if (asprintf(&upper, "%s/%s/rootfs", d->instances_dir, name) < 0 ||
		    asprintf(&lower, "%s/empty", work) < 0)
			return cella_error_make(err, ENOMEM, "publish");
		if (mkdir(lower, 0700) < 0)
			return cella_error_sys(err, "mkdir '%s'", lower);
	}
	snprintf(base_text, sizeof(base_text), "%lld",
		 json_is_integer(base) ? (long long)json_integer_value(base) : -1LL);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return cella_error_sys(err, "pipe");
	p->stage = "pack";
	{
		char *const argv[] = {"cellad-pack-helper", upper,     lower, merged,
				      (char *)tar,	    base_text, NULL};

		if (cellad_pack_helper_spawn(argv, pipefd[1], &pid, err) < 0) {
			close(pipefd[0]);
			close(pipefd[1]);
			return -1;
		}
	}
	close(pipefd[1]);
	return pack_wait(pipefd[0], pid, p, err);
}

int cellad_op_image_publish(struct cellad *d, struct cellad_op *op, cella_err_t *err)
{
	const char *name = json_string_value(json_object_get(op->args, "name"));
	struct cellad_image_progress p = {.d = d, .op = op, .entry_step = 500, .last_percent = -2};
	_cleanup_free_ char *work = NULL, *tar = NULL, *staging = NULL, *rootfs = NULL;
	json_t *row = NULL, *props = json_deep_copy(json_object_get(op->args, "properties"));
	cella_err_t cleanup_err = NULL;
	char fp[65];
	int ret;

	if (asprintf(&work, "%s/publish-%s", d->tmp_dir, op->id) < 0 ||
	    asprintf(&tar, "%s/image.tar", work) < 0 ||
	    asprintf(&staging, "%s/.import-%s", d->images_dir, op->id) < 0 ||
	    asprintf(&rootfs, "%s/rootfs", staging) < 0) {
		json_decref(props);
		return cella_error_make(err, ENOMEM, "publish");
	}
	/* Checked again here: the instance may have been started since the request was accepted. */
	pthread_mutex_lock(&d->lock);
	ret = publishable_locked(d, name, &row, NULL, err);
	pthread_mutex_unlock(&d->lock);
	if (ret == 0 && mkdir(work, 0700) < 0)
		ret = cella_error_sys(err, "mkdir '%s'", work);
	if (ret == 0)
		ret = pack(d, row, work, tar, &p, err);
	if (ret == 0) {
		p.stage = "hash";
		ret = cellad_file_sha256(tar, fp, err);
	}
	if (ret == 0 && mkdir(staging, 0700) < 0)
		ret = cella_error_sys(err, "mkdir '%s'", staging);
	if (ret == 0) {
		p.stage = "unpack";
		ret = cellad_image_unpack(tar, rootfs, cellad_image_progress, &p, err);
	}
	if (ret == 0) {
		if (json_object_get(props, "description") == NULL)
			json_object_set_new(props, "description",
					    json_sprintf("published from instance %s", name));
		json_object_set_new(props, "source_instance", json_string(name));
		ret = cellad_image_register(d, staging, fp, json_object_get(op->args, "aliases"), props, err);
	}
	if (ret < 0 && cellad_rm_rf(staging, &cleanup_err) < 0)
		cella_error_release(&cleanup_err);
	if (cellad_rm_rf(work, &cleanup_err) < 0)
		cella_error_release(&cleanup_err);
	json_decref(row);
	json_decref(props);
	if (ret < 0)
		return cella_error_wrap(err, "publish instance '%s'", name);
	cellad_image_op_done(d, op, fp);
	return 0;
}
