// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /1.0/instances/NAME/console (the console log: a container init's
 * stdout/stderr, a VM's serial port) and /1.0/instances/NAME/logs[/FILE]
 * (console.log, vmm.log and recorded exec output). Only plain files directly
 * in the instance directory or its logs/ are served, opened with O_NOFOLLOW:
 * a name from the URL never walks anywhere else.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "http.h"
#include "util.h"

/* At most this much of the end of a log is served. */
#define LOG_MAX_BYTES (1 << 20)

static bool instance_exists(struct cellad_request *r)
{
	cella_err_t err = NULL;
	json_t *row = NULL;

	pthread_mutex_lock(&r->d->lock);
	if (cellad_db_query_one(r->d->db, "SELECT id FROM instances WHERE name = ?", DB_ARGS(DB_TEXT(r->arg)),
				&row, &err) < 0)
		cella_error_release(&err);
	pthread_mutex_unlock(&r->d->lock);
	json_decref(row);
	return row != NULL;
}

/* The last LOG_MAX_BYTES of path as text; "" when it does not exist yet. */
static enum MHD_Result serve_file(struct cellad_request *r, const char *path, bool missing_ok)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	char *text;
	off_t start;
	size_t len = 0;

	if (fd < 0 && errno == ENOENT && missing_ok)
		return cellad_reply_text(r, MHD_HTTP_OK, "text/plain", strdup(""));
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return cellad_reply_error(r, MHD_HTTP_NOT_FOUND, "instance '%s': no log file '%s'", r->arg,
					  r->arg2[0] ? r->arg2 : "console.log");
	start = st.st_size > LOG_MAX_BYTES ? st.st_size - LOG_MAX_BYTES : 0;
	text = malloc(LOG_MAX_BYTES + 1);
	if (text == NULL)
		return MHD_NO;
	while (len < LOG_MAX_BYTES) {
		ssize_t n = pread(fd, text + len, LOG_MAX_BYTES - len, start + (off_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	text[len] = '\0';
	return cellad_reply_text(r, MHD_HTTP_OK, "text/plain", text);
}

enum MHD_Result cellad_api_instance_console(struct cellad_request *r)
{
	_cleanup_free_ char *path = NULL;

	if (!instance_exists(r))
		return cellad_reply_error(r, MHD_HTTP_NOT_FOUND, "instance '%s' not found", r->arg);
	if (asprintf(&path, "%s/%s/console.log", r->d->instances_dir, r->arg) < 0)
		return MHD_NO;
	return serve_file(r, path, true);
}

static bool log_name_valid(const char *name)
{
	return name[0] != '.' && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == strlen(name);
}

enum MHD_Result cellad_api_instance_logs_list(struct cellad_request *r)
{
	static const char *const top[] = {"console.log", "vmm.log"};
	_cleanup_free_ char *dir = NULL, *logs = NULL;
	_cleanup_closedir_ DIR *dh = NULL;
	json_t *out = json_array();
	struct dirent *e;
	char url[640];

	if (!instance_exists(r)) {
		json_decref(out);
		return cellad_reply_error(r, MHD_HTTP_NOT_FOUND, "instance '%s' not found", r->arg);
	}
	if (asprintf(&dir, "%s/%s", r->d->instances_dir, r->arg) < 0 || asprintf(&logs, "%s/logs", dir) < 0) {
		json_decref(out);
		return MHD_NO;
	}
	for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
		char path[4200];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, top[i]);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			snprintf(url, sizeof(url), "/1.0/instances/%s/logs/%s", r->arg, top[i]);
			json_array_append_new(out, json_string(url));
		}
	}
	dh = opendir(logs);
	while (dh && (e = readdir(dh))) {
		if (e->d_type != DT_REG || !log_name_valid(e->d_name))
			continue;
		snprintf(url, sizeof(url), "/1.0/instances/%s/logs/%s", r->arg, e->d_name);
		json_array_append_new(out, json_string(url));
	}
	return cellad_reply_sync(r, MHD_HTTP_OK, out);
}

enum MHD_Result cellad_api_instance_log_get(struct cellad_request *r)
{
	_cleanup_free_ char *path = NULL;
	bool top = strcmp(r->arg2, "console.log") == 0 || strcmp(r->arg2, "vmm.log") == 0;

	if (!log_name_valid(r->arg2))
		return cellad_reply_error(r, MHD_HTTP_BAD_REQUEST, "log file: invalid name '%s'", r->arg2);
	if (!instance_exists(r))
		return cellad_reply_error(r, MHD_HTTP_NOT_FOUND, "instance '%s' not found", r->arg);
	if (asprintf(&path, "%s/%s/%s%s", r->d->instances_dir, r->arg, top ? "" : "logs/", r->arg2) < 0)
		return MHD_NO;
	return serve_file(r, path, false);
}
