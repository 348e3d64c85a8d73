// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * KVM probe: is /dev/kvm usable, and is it hardware-assisted (VT-x/AMD-V) or
 * the nested, software-assisted kvm_pvm whose CPL0 guest code is emulated
 * (see docs in shared/design/kvm-host-notes.md)? The VMM and the test suites
 * choose timeouts and guest kernels from the answer.
 */
#include <cella/host.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cella/cleanup.h>
#include <cella/file.h>

#include "host-internal.h"

#define CPUINFO_MAX (16u * 1024 * 1024)

const char *cella_kvm_kind_name(enum cella_kvm_kind kind)
{
	switch (kind) {
	case CELLA_KVM_HARDWARE:
		return "hardware-assisted";
	case CELLA_KVM_NESTED_PVM:
		return "nested software-assisted";
	case CELLA_KVM_UNKNOWN:
		return "unknown";
	case CELLA_KVM_UNAVAILABLE:
		break;
	}
	return "unavailable";
}

/* Whether word appears as a whole word in the first "flags" line of /proc/cpuinfo. */
static bool cpuinfo_has_flag(const char *cpuinfo, const char *word)
{
	const char *line = cpuinfo;
	size_t wlen = strlen(word);

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (strncmp(line, "flags", 5) == 0) {
			const char *colon = memchr(line, ':', len);

			for (const char *p = colon; p && p < line + len; p++) {
				if ((p[-1] == ' ' || p[-1] == ':') && (size_t)(line + len - p) >= wlen &&
				    strncmp(p, word, wlen) == 0 && (p + wlen == line + len || p[wlen] == ' '))
					return true;
			}
			return false;
		}
		line = end ? end + 1 : NULL;
	}
	return false;
}

static void probe_module(const char *root, struct cella_host_kvm *out)
{
	static const char *const modules[] = {"kvm_intel", "kvm_amd", "kvm_pvm"};
	_cleanup_free_ char *cpuinfo_path = cella_host_path(root, "/proc/cpuinfo");
	_cleanup_free_ char *cpuinfo = NULL;

	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		char dir[64];

		snprintf(dir, sizeof(dir), "/sys/module/%s", modules[i]);
		if (cella_host_exists(root, dir)) {
			snprintf(out->module, sizeof(out->module), "%s", modules[i]);
			break;
		}
	}
	/* An unreadable cpuinfo only means we cannot claim hardware assistance. */
	if (cella_file_read(cpuinfo_path, CPUINFO_MAX, &cpuinfo, NULL, NULL) == 0)
		out->cpu_virt_flag = cpuinfo_has_flag(cpuinfo, "vmx") || cpuinfo_has_flag(cpuinfo, "svm");
}

static void probe_device(const char *root, struct cella_host_kvm *out)
{
	_cleanup_free_ char *dev = cella_host_path(root, "/dev/kvm");
	_cleanup_close_ int fd = -1;
	_cleanup_close_ int vm = -1;

	fd = open(dev, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		out->device_present = errno != ENOENT;
		snprintf(out->error, sizeof(out->error), "open %s: %s", dev, strerror(errno));
		return;
	}
	out->device_present = true;
	out->opened = true;
	out->api_version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (out->api_version < 0) {
		snprintf(out->error, sizeof(out->error), "%s: KVM_GET_API_VERSION: %s", dev, strerror(errno));
		out->api_version = -1;
		return;
	}
	if (out->api_version != CELLA_KVM_API_VERSION) {
		snprintf(out->error, sizeof(out->error), "%s: KVM API version %d, expected %d", dev,
			 out->api_version, CELLA_KVM_API_VERSION);
		return;
	}
	do
		vm = ioctl(fd, KVM_CREATE_VM, 0);
	while (vm < 0 && errno == EINTR);
	if (vm < 0) {
		snprintf(out->error, sizeof(out->error), "%s: KVM_CREATE_VM: %s", dev, strerror(errno));
		return;
	}
	out->vm_created = true;
}

int cella_host_probe_kvm(const char *root, struct cella_host_kvm *out, cella_err_t *err)
{
	memset(out, 0, sizeof(*out));
	out->api_version = -1;
	probe_module(root, out);
	probe_device(root, out);
	if (!out->vm_created)
		out->kind = CELLA_KVM_UNAVAILABLE;
	else if ((strcmp(out->module, "kvm_intel") == 0 || strcmp(out->module, "kvm_amd") == 0) &&
		 out->cpu_virt_flag)
		out->kind = CELLA_KVM_HARDWARE;
	else if (strcmp(out->module, "kvm_pvm") == 0)
		out->kind = CELLA_KVM_NESTED_PVM;
	else
		out->kind = CELLA_KVM_UNKNOWN;
	return 0;
}
