#!/usr/bin/env bash
# The Linux lane of cella-vmm: a real Linux kernel boots through PVH with 2 vCPUs,
# runs the tiny /init of guests/linux (CPU count, marker) and powers off cleanly.
#  - the project's minimal kernel (scripts/build-test-kernel, cached per machine;
#    the first build takes minutes), with the boot-parameter-gated workarounds
#    that a nested, software-assisted KVM needs (guests/linux/README.md);
#  - Debian's stock kernel (linux-image-amd64), only on hardware-assisted KVM.
source "$(dirname "$0")/lib.bash"

VMM=$CELLA_BUILD/src/vmm/cli/cella-vmm
BOOT_TIMEOUT=300
# The first run on a machine builds the kernel (minutes on a slow 2-core machine) inside the case.
CELLA_CASE_TIMEOUT=1500

# docs/linux-lane.md explains each one. clearcpuid: popcnt, erms, smap, fsrm.
# nopv: KVM's PV IPIs, sched-yield and spinlock kicks are hypercalls, which hang
# on a nested kvm_pvm; it also drops kvmclock, so tsc_early_khz gives the TSC
# frequency (the guest sees the host's TSC).
BOOT_PARAMS="console=ttyS0 quiet panic=-1 lpj=10000000 tsc=reliable noxsave nofsgsbase"
BOOT_PARAMS+=" clearcpuid=151,297,308,580 mitigations=off rodata=off reboot=k nopv"
tsc_khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo 2>/dev/null)
[ -n "$tsc_khz" ] && [ "$tsc_khz" -gt 0 ] && BOOT_PARAMS+=" tsc_early_khz=$tsc_khz"
WORKAROUND_PARAMS="cella_skip_int3_selftest cella_syscall_fault_fixup cella_skip_fpu_drop_fwait"

need_vmm() {
	[ -x "$VMM" ] || fail "cella-vmm is not built: $VMM (CELLA_BUILD=$CELLA_BUILD)"
}

need_initramfs() {
	need_cmd gcc
	need_cmd python3
	"$CELLA_TOP/guests/linux/mkinitramfs" --out "$TEST_TMP/init.cpio" >/dev/null ||
		fail "guests/linux/mkinitramfs failed"
}

kvm_hw_assisted() {
	{ [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; } &&
		grep -qwE 'vmx|svm' /proc/cpuinfo
}

# boot NAME KERNEL MEMORY CMDLINE: runs cella-vmm (2 vCPUs, the initramfs), checks
# a clean power-off, the marker and 2 CPUs online. Prints the boot time.
boot_and_check() {
	local name=$1 kernel=$2 memory=$3 cmdline=$4
	local console=$TEST_TMP/$name.console stderr=$TEST_TMP/$name.stderr rc start end

	start=$(date +%s.%N)
	timeout -k 10 "$BOOT_TIMEOUT" "$VMM" --kernel "$kernel" --initrd "$TEST_TMP/init.cpio" --cpus 2 \
		--memory "$memory" --cmdline "$cmdline" --console "file:$console" </dev/null 2>"$stderr"
	rc=$?
	end=$(date +%s.%N)
	echo "boot of $kernel: exit status $rc after $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s"
	if [ $rc -ne 0 ]; then
		echo "--- cella-vmm stderr:"
		tail -n 15 "$stderr"
		echo "--- guest console:"
		tail -n 20 "$console" 2>/dev/null
		if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then fail "no power-off within ${BOOT_TIMEOUT} s"; fi
		fail "cella-vmm exited with status $rc, want 0 (clean power-off)"
	fi
	# The guest's tty turns "\n" into "\r\n".
	tr -d '\r' <"$console" >"$console.txt"
	console=$console.txt
	grep -a "cella-linux-init: uptime" "$console" || true
	if grep -aq "Kernel panic" "$console"; then
		tail -n 20 "$console"
		fail "the guest kernel panicked (a reset after panic=-1 is not a clean power-off)"
	fi
	grep -aq "^CELLA-LINUX-OK" "$console" || {
		tail -n 20 "$console"
		fail "marker CELLA-LINUX-OK missing from the guest console"
	}
	grep -aq "^cella-linux-init: online cpus 2$" "$console" || {
		grep -a "online cpus" "$console"
		fail "the guest did not report 2 online CPUs"
	}
}

test_minimal_kernel() {
	local vmlinux rc
	need_kvm
	need_vmm
	need_initramfs
	vmlinux=$("$CELLA_TOP/scripts/build-test-kernel" 2>"$TEST_TMP/build.err")
	rc=$?
	if [ $rc -eq 3 ]; then
		tail -n 3 "$TEST_TMP/build.err"
		echo "cannot build the test kernel: $(grep -m1 'missing' "$TEST_TMP/build.err")"
		exit 77
	fi
	[ $rc -eq 0 ] || {
		tail -n 30 "$TEST_TMP/build.err"
		fail "scripts/build-test-kernel failed (exit $rc)"
	}
	[ -f "$vmlinux" ] || fail "scripts/build-test-kernel printed '$vmlinux', not a file"
	boot_and_check minimal "$vmlinux" 64 "$BOOT_PARAMS $WORKAROUND_PARAMS"
}

# Newest Debian kernel image in /boot, installing linux-image-amd64 when root.
stock_kernel() {
	local k
	k=$(ls -1v /boot/vmlinuz-*-amd64 2>/dev/null | tail -n1)
	if [ -z "$k" ] && [ "$(id -u)" -eq 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends linux-image-amd64 >&2 ||
			return 1
		k=$(ls -1v /boot/vmlinuz-*-amd64 2>/dev/null | tail -n1)
	fi
	[ -n "$k" ] && echo "$k"
}

test_stock_kernel() {
	local kernel
	need_kvm
	if ! kvm_hw_assisted; then
		if [ -d /sys/module/kvm_pvm ]; then
			echo "host KVM is not hardware-assisted (nested kvm_pvm)"
		else
			echo "host KVM is not hardware-assisted (no kvm_intel/kvm_amd with vmx/svm)"
		fi
		exit 77
	fi
	need_vmm
	need_initramfs
	kernel=$(stock_kernel) || {
		echo "no Debian kernel in /boot and linux-image-amd64 cannot be installed (not root or apt-get failed)"
		exit 77
	}
	# No workarounds: on hardware-assisted KVM the stock kernel runs unmodified.
	boot_and_check stock "$kernel" 256 "console=ttyS0 quiet panic=-1 reboot=k"
}

check "linux: minimal kernel, PVH, 2 vCPUs, clean power-off" test_minimal_kernel
check "linux: Debian stock kernel on hardware-assisted KVM" test_stock_kernel
done_testing
