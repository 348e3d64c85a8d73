/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cella-vmm: one KVM virtual machine per process. Usage and exit statuses: --help, docs/vmm.md. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "api/api.h"
#include "api/seccomp.h"
#include "cli/control.h"
#include "core/config.h"
#include "core/threads.h"
#include "core/vmm.h"

static int fail(cella_err_t *err, int default_status)
{
	int status = cella_error_status(*err);

	fprintf(stderr, "cella-vmm: %s\n", cella_error_string(*err));
	cella_error_release(err);
	return status > 1 ? status : default_status;
}

static int run(struct vmm_config *cfg)
{
	_cleanup_error_ cella_err_t err = NULL;
	_cleanup_close_ int sfd = -1;
	struct vmm_api *api = NULL;
	struct vmm *vm = NULL;
	sigset_t stop_signals;
	int status;

	/* SIGTERM/SIGINT are read from a signalfd by the main thread; every thread inherits the block. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
	if (sfd < 0) {
		cella_error_sys(&err, "signalfd");
		return fail(&err, VMM_EXIT_HOST_ERROR);
	}
	/* jansson seeds its hash from /dev/urandom on first use: do it before any filter forbids open(). */
	json_object_seed(0);
	vmm_seccomp__set_enabled(cfg->seccomp);

	if (vmm__create(cfg, &vm, &err) < 0) {
		vmm__destroy(vm);
		return fail(&err, VMM_EXIT_HOST_ERROR);
	}
	if (cfg->api_socket && vmm_api__start(cfg->api_socket, &vmm_control_ops, vm, &api, &err) < 0) {
		vmm__destroy(vm);
		cella_error_wrap(&err, "--api-socket");
		return fail(&err, VMM_EXIT_HOST_ERROR);
	}
	if (vmm__start(vm, &err) < 0) {
		vmm__request_stop(vm, VMM_STOP_HOST_ERROR, VMM_EXIT_HOST_ERROR);
		vmm_api__stop(api);
		vmm__destroy(vm);
		return fail(&err, VMM_EXIT_HOST_ERROR);
	}
	if (vmm_thread__enter("cella-vmm", VMM_THREAD_MAIN, cfg->seccomp) < 0)
		vmm__request_stop(vm, VMM_STOP_HOST_ERROR, VMM_EXIT_HOST_ERROR);
	status = vmm__wait(vm, sfd);
	vmm_api__stop(api);
	vmm__destroy(vm);
	return status;
}

int main(int argc, char **argv)
{
	_cleanup_error_ cella_err_t err = NULL;
	struct vmm_config cfg;
	int status;

	vmm_config__init(&cfg);
	if (vmm_config__parse_args(&cfg, argc, argv, &err) < 0) {
		vmm_config__release(&cfg);
		fprintf(stderr, "cella-vmm: %s\nTry 'cella-vmm --help'.\n", cella_error_string(err));
		return VMM_EXIT_USAGE;
	}
	if (cfg.help) {
		fputs(vmm_config__usage(), stdout);
		vmm_config__release(&cfg);
		return 0;
	}
	status = run(&cfg);
	vmm_config__release(&cfg);
	return status;
}
