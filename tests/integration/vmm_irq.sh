#!/usr/bin/env bash
# Interrupt delivery in cella-vmm and rate limits changed through the control API:
#  - MSI-X through an irqfd bound to a GSI route (not KVM_SIGNAL_MSI): guests/virtio's test=msix
#    completes a virtio-rng request by its MSI-X interrupt, and the VMM's --debug summary says
#    which path every message took;
#  - INTx on the IOAPIC pin the MP table and the DSDT's _PRT name for the device's slot, which is
#    also what config space's Interrupt Line says (test=intx reads it from there);
#  - the polling guests still pass with the PCI entries in the MP table (test=blk);
#  - PATCH /vm/devices/ID {"rate_limiter": ...} on a running VM: applied, all or nothing, errors
#    that name the field, the device or the method;
#  - Linux's own drivers (the Linux lane's test kernel, scripts/build-test-kernel, cached per machine:
#    vmm_linux.sh needs the same build): four virtio-blk disks and virtio-rng probed with MSI-X, every
#    interrupt through an irqfd; then the same with pci=nomsi, where Linux routes INTx by the DSDT's _PRT.
# Needs /dev/kvm; the API case needs curl.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/vmm_helpers.bash"

GUEST=virtio/virtio.elf

# The line cella-vmm --debug prints at the end: "MSI: N through irqfds, M through KVM_SIGNAL_MSI; ...".
msi_summary() {
	grep -o 'MSI: [0-9]* through irqfds, [0-9]* through KVM_SIGNAL_MSI; [0-9]* routes' <<<"$err" ||
		fail "no MSI summary in the --debug output: $err"
}

case_msix_irqfd() {
	need_kvm
	local summary irqfd direct routes
	run_guest_file "$GUEST" --rng --debug --cmdline "test=msix"
	expect_pass
	expect_out 'MSI-X interrupt completed the request'
	summary=$(msi_summary)
	read -r irqfd direct routes < <(sed -E 's/MSI: ([0-9]+) through irqfds, ([0-9]+) through KVM_SIGNAL_MSI; ([0-9]+) routes/\1 \2 \3/' <<<"$summary")
	echo "$summary"
	[ "$irqfd" -ge 1 ] || fail "no MSI went through an irqfd: $summary"
	[ "$direct" -eq 0 ] || fail "$direct MSIs took KVM_SIGNAL_MSI, expected none: $summary; stderr: $err"
	[ "$routes" -eq 1 ] || fail "one message should make one route: $summary"
}

# Several devices, one of them interrupting: still one route (routes are per message, not per device).
case_msix_irqfd_many_devices() {
	need_kvm
	local img=$TEST_TMP/disk.img summary
	truncate -s 64K "$img"
	run_guest_file "$GUEST" --rng --disk "path=$img,id=disk0" --rng=id=rng1 --debug --cmdline "test=msix"
	expect_pass
	summary=$(msi_summary)
	grep -q ' 0 through KVM_SIGNAL_MSI; 1 routes' <<<"$summary" || fail "unexpected MSI paths: $summary"
}

# The device at slot 1, INTA#: MP table and _PRT say IOAPIC pin 16 + (1 + 0) % 8 = 17.
case_intx_pin() {
	need_kvm
	run_guest_file "$GUEST" --rng --debug --cmdline "test=intx"
	expect_pass
	expect_out 'INTx on IOAPIC pin 17\($\| \)'
	expect_out 'INTx interrupt completed the request'
	grep -q 'MSI: 0 through irqfds, 0 through KVM_SIGNAL_MSI' <<<"$err" || fail "an MSI was sent: $err"
}

case_polling_guest() {
	need_kvm
	local img=$TEST_TMP/blk.img
	make_vdrv_image "$img" || fail "cannot write the image"
	run_guest_file "$GUEST" --disk "path=$img" --cmdline "test=blk"
	expect_pass
}

# ---- rate limits through the control API ----

api() { curl -sS --max-time 10 --unix-socket "$SOCK" "$@"; }

# api_code METHOD PATH [BODY]: prints the HTTP status; the body lands in $TEST_TMP/api.body.
api_code() {
	local args=(-o "$TEST_TMP/api.body" -w '%{http_code}' -X "$1")
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' -d "$3")
	api "${args[@]}" "http://localhost$2" || fail "curl $1 $2 failed"
}

# expect_api METHOD PATH BODY STATUS [PATTERN]: the status, and PATTERN in the answer's body.
expect_api() {
	local code
	code=$(api_code "$1" "$2" "$3")
	[ "$code" = "$4" ] || fail "$1 $2 $3: status $code, expected $4: $(cat "$TEST_TMP/api.body")"
	[ $# -lt 5 ] || grep -q -- "$5" "$TEST_TMP/api.body" ||
		fail "$1 $2 $3: answer lacks '$5': $(cat "$TEST_TMP/api.body")"
}

# The disk's rate limiter as GET /vm/devices/disk0 reports it: "bytes_size ops_size refill_ms".
disk_limits() {
	api http://localhost/vm/devices/disk0 | python3 -c '
import json, sys
r = json.load(sys.stdin)["rate_limiter"]
print(r["bytes_size"], r["ops_size"], r["refill_ms"])' || fail "GET /vm/devices/disk0 has no rate_limiter"
}

# start_api_vm [cella-vmm args...]: the acpi-button guest (it waits for the power button: a VM that
# stays up until the case ends it) with an API socket at $SOCK; sets $pid once guest and API are ready.
start_api_vm() {
	SOCK=$TEST_TMP/api.sock
	ASAN_OPTIONS=detect_leaks=1 "$VMM" --kernel "$GUEST_DIR/acpi-button.elf" --memory 32 --api-socket "$SOCK" \
		"$@" </dev/null >"$TEST_TMP/vm.out" 2>"$TEST_TMP/vm.err" &
	pid=$!
	trap 'kill -9 $pid 2>/dev/null' EXIT # whatever happens, no VMM outlives the case
	for _ in $(seq 600); do
		grep -q READY "$TEST_TMP/vm.out" 2>/dev/null && [ -S "$SOCK" ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	grep -q READY "$TEST_TMP/vm.out" && [ -S "$SOCK" ] ||
		fail "guest or API never got ready: $(cat "$TEST_TMP/vm.out" "$TEST_TMP/vm.err")"
}

# Presses the power button and expects a clean power-off within 30 s.
stop_api_vm() {
	local rc=0
	[ "$(api_code PUT /vm/state '{"state":"shutdown"}')" = 204 ] || fail "PUT shutdown refused"
	for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 $pid 2>/dev/null && fail "guest still running 30 s after the power button"
	wait $pid || rc=$?
	[ $rc -eq 0 ] || fail "exit status $rc, expected 0: $(cat "$TEST_TMP/vm.out" "$TEST_TMP/vm.err")"
}

case_api_rate_limiter() {
	need_kvm
	need_cmd curl
	need_cmd python3
	local img=$TEST_TMP/rl.img limits
	truncate -s 64K "$img"
	start_api_vm --disk "path=$img,id=disk0,bps=10M" --rng

	expect_api GET /vm/devices "" 200 '"id": *"disk0"'
	grep -q '"id": *"rng"' "$TEST_TMP/api.body" || fail "GET /vm/devices lacks the rng: $(cat "$TEST_TMP/api.body")"
	limits=$(disk_limits)
	[ "$limits" = "10485760 0 1000" ] || fail "limits at start: $limits, expected 10485760 0 1000"

	# A change: bytes and ops, over 500 ms buckets.
	expect_api PATCH /vm/devices/disk0 '{"rate_limiter": {"bps": 2097152, "iops": 200, "refill_ms": 500}}' 204
	limits=$(disk_limits)
	[ "$limits" = "1048576 100 500" ] || fail "after PATCH: $limits, expected 1048576 100 500"
	# Keys left out keep their values.
	expect_api PATCH /vm/devices/disk0 '{"rate_limiter": {"iops": 400}}' 204
	limits=$(disk_limits)
	[ "$limits" = "1048576 200 500" ] || fail "after PATCH iops only: $limits, expected 1048576 200 500"

	# All or nothing: a good key next to a bad one changes nothing, and the error names the bad one.
	expect_api PATCH /vm/devices/disk0 '{"rate_limiter": {"iops": 1, "bps": "lots"}}' 400 'rate_limiter: bps'
	limits=$(disk_limits)
	[ "$limits" = "1048576 200 500" ] || fail "a refused PATCH changed the limits: $limits"
	expect_api PATCH /vm/devices/disk0 '{"rate_limiter": {"bps": -1}}' 400 'rate_limiter: bps'
	expect_api PATCH /vm/devices/disk0 '{"rate_limiter": {"speed": 1}}' 400 'speed'
	expect_api PATCH /vm/devices/disk0 '{"rate_limiter": {"refill_ms": 0}}' 400 'refill_ms'
	expect_api PATCH /vm/devices/disk0 '{"ratelimiter": {"bps": 1}}' 400 'ratelimiter: unknown field'
	expect_api PATCH /vm/devices/disk0 '{"rate_limiter": {}}' 400 'rate_limiter'
	expect_api PATCH /vm/devices/disk0 '{"rate_limiter": ' 400 'invalid JSON'
	expect_api PATCH /vm/devices/disk0 '[]' 400 'expected an object'
	limits=$(disk_limits)
	[ "$limits" = "1048576 200 500" ] || fail "refused PATCHes changed the limits: $limits"
	# The device, the resource, the method.
	expect_api PATCH /vm/devices/nosuch '{"rate_limiter": {"bps": 1}}' 404 "device 'nosuch': no such device"
	expect_api GET /vm/devices/nosuch "" 404 'no such device'
	expect_api PATCH /vm/devices/rng '{"rate_limiter": {"bps": 1}}' 400 'rng device has no rate limiter'
	expect_api PUT /vm/devices/disk0 '{}' 405 'method not allowed'
	expect_api PATCH '/vm/devices/a%2fb' '{}' 404 'no such resource'
	# Unlimited again: 0 switches a bucket off.
	expect_api PATCH /vm/devices/disk0 '{"rate_limiter": {"bps": 0, "iops": 0}}' 204
	limits=$(disk_limits)
	[ "$limits" = "0 0 0" ] || fail "after switching off: $limits, expected 0 0 0 (unlimited)"

	stop_api_vm
}

# A net device takes the same PATCH (both directions share the limits). cella-vmm creates the TAP
# (not persistent: it goes away with the VMM), which needs CAP_NET_ADMIN.
case_api_rate_limiter_net() {
	need_kvm
	need_root
	need_cmd curl
	[ -c /dev/net/tun ] || { echo "needs /dev/net/tun"; exit 77; }
	start_api_vm --net "tap=clirq$$,id=net0,iops=1000"
	expect_api GET /vm/devices/net0 "" 200 '"type": *"net"'
	expect_api PATCH /vm/devices/net0 '{"rate_limiter": {"bps": "100M", "iops": 5000, "refill_ms": 100}}' 204
	expect_api PATCH /vm/devices/net0 '{"rate_limiter": {"iops_burst": "many"}}' 400 'rate_limiter: iops_burst'
	expect_api PATCH /vm/devices/net0 '{"rate_limiter": {"bps": 0, "iops": 0}}' 204
	stop_api_vm
}

# ---- Linux's virtio drivers ----

# vmm_linux.sh's parameters for this host's nested KVM (docs/linux-lane.md explains each one);
# loglevel=6 instead of quiet, so the disks' capacity lines reach the console.
linux_params() {
	local p="console=ttyS0 loglevel=6 panic=-1 lpj=10000000 tsc=reliable noxsave nofsgsbase"
	p+=" clearcpuid=151,297,308,580 mitigations=off rodata=off reboot=k nopv"
	p+=" cella_skip_int3_selftest cella_syscall_fault_fixup cella_skip_fpu_drop_fwait"
	local tsc_khz
	tsc_khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo 2>/dev/null)
	[ -n "$tsc_khz" ] && [ "$tsc_khz" -gt 0 ] && p+=" tsc_early_khz=$tsc_khz"
	echo "$p"
}

# Sets $kernel (built once per machine, as vmm_linux.sh does) and $TEST_TMP/init.cpio.
need_linux() {
	local rc
	need_kvm
	need_cmd gcc
	need_cmd python3
	kernel=$("$CELLA_TOP/scripts/build-test-kernel" 2>"$TEST_TMP/build.err")
	rc=$?
	if [ $rc -eq 3 ]; then
		echo "cannot build the test kernel: $(grep -m1 'missing' "$TEST_TMP/build.err")"
		exit 77
	fi
	[ $rc -eq 0 ] && [ -f "$kernel" ] || fail "scripts/build-test-kernel failed (exit $rc): $(tail -n 20 "$TEST_TMP/build.err")"
	grep -q '^CONFIG_PCI_MSI=y' "$(dirname "$kernel")/config" ||
		fail "the test kernel has no CONFIG_PCI_MSI (guests/linux/config.fragment)"
	"$CELLA_TOP/guests/linux/mkinitramfs" --out "$TEST_TMP/init.cpio" >/dev/null || fail "mkinitramfs failed"
}

# boot_linux NAME EXTRA_PARAMS: 4 disks and an rng, 1 vCPU; sets $console (text) and $err.
boot_linux() {
	local name=$1 extra=$2 rc=0
	for d in 0 1 2 3; do truncate -s 1M "$TEST_TMP/$name-d$d.img"; done
	timeout -k 10 240 "$VMM" --kernel "$kernel" --initrd "$TEST_TMP/init.cpio" --memory 64 --cpus 1 \
		--cmdline "$(linux_params) $extra" --debug --rng --disk "path=$TEST_TMP/$name-d0.img,id=d0" \
		--disk "path=$TEST_TMP/$name-d1.img,id=d1" --disk "path=$TEST_TMP/$name-d2.img,id=d2" \
		--disk "path=$TEST_TMP/$name-d3.img,id=d3" --console "file:$TEST_TMP/$name.console" \
		</dev/null 2>"$TEST_TMP/$name.err" || rc=$?
	console=$(tr -d '\r' <"$TEST_TMP/$name.console")
	err=$(cat "$TEST_TMP/$name.err")
	[ $rc -eq 0 ] || fail "Linux ($name): exit status $rc, expected 0; console: $(tail -n 15 <<<"$console"); stderr: $(tail -n 5 <<<"$err")"
	grep -q '^CELLA-LINUX-OK' <<<"$console" || fail "Linux ($name): no CELLA-LINUX-OK: $(tail -n 15 <<<"$console")"
	# Each capacity line means the disk answered its first reads, which complete by interrupt.
	for d in vda vdb vdc vdd; do
		grep -q "\[$d\] 2048 512-byte logical blocks" <<<"$console" ||
			fail "Linux ($name): /dev/$d never probed: $(grep -a virtio <<<"$console")"
	done
}

case_linux_msix() {
	local summary irqfd direct routes
	need_linux
	boot_linux msix ""
	summary=$(msi_summary)
	echo "$summary"
	read -r irqfd direct routes < <(sed -E 's/MSI: ([0-9]+) through irqfds, ([0-9]+) through KVM_SIGNAL_MSI; ([0-9]+) routes/\1 \2 \3/' <<<"$summary")
	[ "$direct" -eq 0 ] || fail "$direct MSIs took KVM_SIGNAL_MSI: $summary"
	# At least the 4 disks' request queues and the rng's: one message, one route, each.
	[ "$routes" -ge 5 ] || fail "expected a route per interrupting queue (>= 5): $summary"
	[ "$irqfd" -ge 8 ] || fail "too few interrupts for 4 disk probes: $summary"
}

case_linux_intx() {
	need_linux
	boot_linux intx "pci=nomsi"
	grep -q 'MSI: 0 through irqfds, 0 through KVM_SIGNAL_MSI' <<<"$err" || fail "MSIs with pci=nomsi: $err"
	# Without a _PRT entry Linux warns "PCI INT A: no GSI" and the disks' interrupts never arrive.
	! grep -q 'no GSI' <<<"$console" || fail "Linux found no _PRT entry: $(grep 'no GSI' <<<"$console")"
}

check "MSI-X through an irqfd and a GSI route (test=msix)" case_msix_irqfd
check "MSI-X through an irqfd with several devices on the bus" case_msix_irqfd_many_devices
check "INTx on the IOAPIC pin the MP table and _PRT name (test=intx)" case_intx_pin
check "a polling guest with the PCI interrupt entries (test=blk)" case_polling_guest
check "API: PATCH /vm/devices/ID rate_limiter (all or nothing, errors named)" case_api_rate_limiter
check "API: PATCH a net device's rate_limiter" case_api_rate_limiter_net
# The first run on a machine may build the test kernel (minutes) inside the first of these.
# shellcheck disable=SC2034 # read by check() in lib.bash
CELLA_CASE_TIMEOUT=1500
check "Linux: 4 disks and an rng with MSI-X, every interrupt through an irqfd" case_linux_msix
check "Linux with pci=nomsi: INTx routed by the DSDT's _PRT" case_linux_intx
done_testing
