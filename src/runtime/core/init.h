/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_CORE_INIT_H
#define CELLA_RUNTIME_CORE_INIT_H

/* The container init: the child half of create, from clone to execve. */
#include <stdbool.h>

#include "core/spec.h"
#include "core/state.h"

struct cella_rootfs;
struct cella_cgroup_join;
struct cella_process_security;

struct cella_init_ctx {
	struct cella_spec *spec;
	struct cella_rootfs *rootfs;
	struct cella_process_security *security;
	int sync_fd;		      /* child end of the socketpair */
	int fifo_fd;		      /* O_PATH fd of <root>/<id>/exec.fifo, -1 for none */
	int join_fds[CELLA_NS_COUNT]; /* opened namespace paths to join, -1 if none */
	int preserve_fds;
	bool no_pivot, no_new_keyring;
	int late_unshare_flags;	 /* namespaces to unshare in the child after joining (a joined user
				  * namespace); with CLONE_NEWPID the init is a second child, see
				  * enter_new_pidns() in init.c */
	bool forked_into_pidns;	 /* we are that second child: the runtime has our pid, and its death
				  * kills us until READY */
	int early_unshare_flags; /* unshared by the child at once, before it joins the cgroup */
	bool new_cgroupns;	 /* a new cgroup namespace, unshared once we sit in the cgroup */
	struct cella_state *st;	 /* the parent's state (our copy): hooks get it, with our host pid from GO */
	struct cella_cgroup_join *cgroup_join; /* our copy of the cgroup fds, or NULL; see enter_cgroup() in
						* init.c for when we join */
};

__attribute__((noreturn)) void cella_init_main(struct cella_init_ctx *ctx);

/* Resolves a command name against PATH from env (as execvp would); *out malloc'd. */
int cella_find_executable(const char *name, const char *const *env, char **out, cella_err_t *err);

/* Marks every fd from 3+preserve_fds up close-on-exec. */
void cella_fds_cloexec_from(int first);

#endif
