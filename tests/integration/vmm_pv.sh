#!/usr/bin/env bash
# cella-vmm's paravirtual paths: virtio queue notifications caught by KVM
# ioeventfds (cella-vmm --debug counts the notify writes that still took the
# MMIO exit: none may), and --cpu-profile (guests/virtio/cpuid.elf prints the
# hypervisor CPUID signature). Needs /dev/kvm.
source "$(dirname "$0")/lib.bash"

VMM=$CELLA_BUILD/src/vmm/cli/cella-vmm

# run_vmm GUEST [cella-vmm args...]: under `timeout -k 5 60`; sets $out (serial), $err (stderr), $rc.
run_vmm() {
	local guest=$1
	shift
	[ -x "$VMM" ] || fail "$VMM not built"
	[ -f "$guest" ] || fail "$guest not built"
	rc=0
	ASAN_OPTIONS=detect_leaks=1 timeout -k 5 60 "$VMM" --kernel "$guest" --memory 32 "$@" \
		</dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
	out=$(cat "$TEST_TMP/out")
	err=$(cat "$TEST_TMP/err")
	[ $rc -ne 124 ] && [ $rc -ne 137 ] || fail "timed out after 60 s; output: $out $err"
}

expect_pass() {
	[ "$rc" -eq 1 ] || fail "exit status $rc, expected 1 (guest verdict PASS); serial: $out; stderr: $err"
	grep -q '^PASS$' <<<"$out" || fail "no PASS on the serial console: $out; stderr: $err"
}

# expect_no_mmio_notify DEV: the --debug report for DEV says every kick went through the ioeventfd.
expect_no_mmio_notify() {
	grep -q "^cella-vmm: $1: [0-9]* queue notifications took the MMIO exit$" <<<"$err" ||
		fail "no notification count for $1 in stderr: $err"
	grep -q "^cella-vmm: $1: 0 queue notifications took the MMIO exit$" <<<"$err" ||
		fail "$1 kicks took the MMIO exit instead of the ioeventfd: $(grep "^cella-vmm: $1:" <<<"$err")"
}

case_rng_notify_by_ioeventfd() {
	need_kvm
	run_vmm "$CELLA_BUILD/guests/virtio/virtio.elf" --cmdline test=rng --rng --debug
	expect_pass
	grep -q 'rng: 64 random bytes' <<<"$out" || fail "no rng line: $out"
	expect_no_mmio_notify rng
}

case_blk_notify_by_ioeventfd() {
	need_kvm
	need_cmd python3
	python3 - "$TEST_TMP/disk.img" <<'PY'
import sys
d = bytearray(4096)
p = b"cella virtio-blk sector 0"
d[:len(p)] = p
for i in range(64, 512):
    d[i] = i & 0xFF
open(sys.argv[1], "wb").write(d)
PY
	run_vmm "$CELLA_BUILD/guests/virtio/virtio.elf" --cmdline test=blk --disk "path=$TEST_TMP/disk.img" --debug
	expect_pass
	grep -q 'blk: wrote sector 1, flushed' <<<"$out" || fail "no write line: $out"
	expect_no_mmio_notify blk
}

case_cpu_profile_paravirt() {
	need_kvm
	local features
	run_vmm "$CELLA_BUILD/guests/virtio/cpuid.elf" --cpu-profile paravirt
	expect_pass
	grep -q '^hv signature: KVMKVMKVM$' <<<"$out" || fail "no KVM signature with paravirt: $out"
	features=$(sed -n 's/^hv features: 0x\([0-9a-f]*\)$/\1/p' <<<"$out")
	[ -n "$features" ] || fail "no hv features line: $out"
	# kvm_pvm: vmcall hangs, so the hypercall-based features must be hidden (bits 7, 11, 13).
	if [ -d /sys/module/kvm_pvm ] && (((0x$features >> 7 | 0x$features >> 11 | 0x$features >> 13) & 1)); then
		fail "hypercall features offered on a kvm_pvm host: 0x$features"
	fi
}

case_cpu_profile_default_is_paravirt() {
	need_kvm
	run_vmm "$CELLA_BUILD/guests/virtio/cpuid.elf"
	expect_pass
	grep -q '^hv signature: KVMKVMKVM$' <<<"$out" || fail "no KVM signature by default: $out"
}

case_cpu_profile_full() {
	need_kvm
	run_vmm "$CELLA_BUILD/guests/virtio/cpuid.elf" --cpu-profile full
	expect_pass
	grep -q '^hv signature: none$' <<<"$out" || fail "hypervisor leaves visible with full: $out"
}

case_cpu_profile_full_from_json() {
	need_kvm
	echo '{"cpu_profile": "full"}' >"$TEST_TMP/vm.json"
	run_vmm "$CELLA_BUILD/guests/virtio/cpuid.elf" --config "$TEST_TMP/vm.json"
	expect_pass
	grep -q '^hv signature: none$' <<<"$out" || fail "hypervisor leaves visible with JSON full: $out"
}

case_cpu_profile_bad_value() {
	run_vmm "$CELLA_BUILD/guests/virtio/cpuid.elf" --cpu-profile fast
	[ "$rc" -eq 2 ] || fail "exit status $rc, expected 2 (usage); stderr: $err"
	grep -q -- '--cpu-profile: fast: expected full or paravirt' <<<"$err" || fail "unclear error: $err"
	echo '{"cpu_profile": 1}' >"$TEST_TMP/vm.json"
	run_vmm "$CELLA_BUILD/guests/virtio/cpuid.elf" --config "$TEST_TMP/vm.json"
	[ "$rc" -eq 2 ] || fail "exit status $rc, expected 2 (usage); stderr: $err"
	grep -q 'cpu_profile: expected string' <<<"$err" || fail "unclear JSON error: $err"
}

check "virtio-rng kicks reach the device through KVM ioeventfds" case_rng_notify_by_ioeventfd
check "virtio-blk kicks reach the device through KVM ioeventfds" case_blk_notify_by_ioeventfd
check "--cpu-profile paravirt shows the KVM leaves" case_cpu_profile_paravirt
check "the default CPU profile is paravirt" case_cpu_profile_default_is_paravirt
check "--cpu-profile full hides the hypervisor leaves" case_cpu_profile_full
check "\"cpu_profile\": \"full\" in the JSON configuration" case_cpu_profile_full_from_json
check "a bad CPU profile is a usage error naming the option" case_cpu_profile_bad_value
done_testing
