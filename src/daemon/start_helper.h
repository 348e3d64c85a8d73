/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_START_HELPER_H
#define CELLAD_START_HELPER_H

/*
 * Helpers that run runtime work outside cellad: `start` runs the runtime's create + start and
 * exits, so the container's init is re-parented away from cellad at once (as `runc run
 * --detach`); `exec` runs a process in a container and exits with its status. Each is a fresh
 * image of cellad itself (fork, then exec of /proc/self/exe, the sealed copy), never a bare fork
 * of the multithreaded daemon: a forked child inherits the locks other threads held at that
 * instant (the allocator's, stdio's) and could hang on them forever; between fork and exec the
 * child calls only async-signal-safe functions.
 */
#include <sys/types.h>

#include <jansson.h>

#include <cella/error.h>

/* Starts the start helper (own session, stdin /dev/null, stdout/stderr appended to log_path) and waits
 * for it; its error, if any, becomes *err. */
int cellad_start_helper_run(const char *runtime_root, const char *id, const char *bundle,
			    const char *log_path, cella_err_t *err);

/* Runs process (a runtime-spec process object) in container id through the exec helper (own session,
 * stdin /dev/null, stdout/stderr to out_fd/err_fd or /dev/null when -1) and waits; *status is the
 * process's exit status as a shell gives it. A failure to start the process becomes *err. */
int cellad_exec_helper_run(const char *runtime_root, const char *id, json_t *process, int out_fd, int err_fd,
			   int *status, cella_err_t *err);

/*
 * Starts the helper of mode (argv[0] its name) with stdin /dev/null, stdout/stderr on out_fd/err_fd (-1:
 * /dev/null) and report_fd as its descriptor 3, in a session of its own; *pid is to be waited for.
 */
int cellad_helper_spawn(const char *mode, char *const *argv, int out_fd, int err_fd, int report_fd,
			pid_t *pid, cella_err_t *err);
/* Starts the pack helper (image_publish.c: cellad_pack_helper_main) with argv {"cellad-pack-helper", UPPER,
 * LOWER, MERGED, TAR, BASE, NULL}; it reports on report_fd; *pid is to be waited for. */
int cellad_pack_helper_spawn(char *const *argv, int report_fd, pid_t *pid, cella_err_t *err);

#endif
