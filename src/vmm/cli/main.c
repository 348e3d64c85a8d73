/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cella-vmm: one KVM virtual machine per process. Usage and exit statuses: --help, docs/vmm.md. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "api/api.h"
#include "api/seccomp.h"
#include "cli/control.h"
#include "core/config.h"
#include "core/teardown.h"
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
	struct timespec t0, t1;
	int status, r;

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

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = cfg->restore ? vmm__restore(cfg, cfg->restore, &vm, &err) : vmm__create(cfg, &vm, &err);
	if (r < 0) {
		vmm__destroy(vm);
		return fail(&err, VMM_EXIT_HOST_ERROR);
	}
	/* The kernel's VM teardown after our exit, not before it (teardown.h). Not essential. */
	if (cfg->async_teardown && vmm_teardown__detach(&err) < 0) {
		fprintf(stderr, "cella-vmm: warning: %s; the VM is torn down before exit\n",
			cella_error_string(err));
		cella_error_release(&err);
	}
	if (cfg->api_socket && vmm_api__start(cfg->api_socket, &vmm_control_ops, vm, &api, &err) < 0) {
		vmm__destroy(vm);
		cella_error_wrap(&err, "--api-socket");
		return fail(&err, VMM_EXIT_HOST_ERROR);
	}
	if (vmm__start(vm, &err) < 0) {
		vmm__request_stop(vm, VMM_STOP_HOST_ERROR, VMM_EXIT_HOST_ERROR);
		vmm__ctl_serve(vm, true); /* answers a snapshot request the API thread may be waiting on */
		vmm_api__stop(api);
		vmm__destroy(vm);
		return fail(&err, VMM_EXIT_HOST_ERROR);
	}
	if (cfg->restore) {
		/* How long a restore takes to a running guest (bench/snapshot reads this line). */
		clock_gettime(CLOCK_MONOTONIC, &t1);
		fprintf(stderr,
			"cella-vmm: restored %s: vCPUs running %.3f ms after the restore began (%.3f ms "
			"after "
			"exec)\n",
			cfg->restore,
			(double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
			vmm__ms_since_start(vm));
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
