#!/usr/bin/env bash
# cella-vmm's boot-entry paths and guest-visible behaviour, with the
# freestanding guests of guests/entry (guests/README.md, "Entry-path guests"):
# PVH and bzImage entry (start info / zero page, e820 map, command line,
# initrd, RSDP), PIT timer interrupts, emulation failure as a guest crash, and
# pause/resume through the control API. Needs /dev/kvm. Every guest also has a
# deliberate-mismatch case that must FAIL, so a guest that cannot fail is caught.
source "$(dirname "$0")/lib.bash"

source "$(dirname "$0")/vmm_helpers.bash"

GUESTS=$GUEST_DIR/entry

# run_guest FILE [cella-vmm args...]: guests/entry/FILE, see run_guest_file.
run_guest() {
	local guest=$1
	shift
	run_guest_file "entry/$guest" "$@"
}

# A guest's verdict 1 (fail) gives status 3, like a crash: tell them apart by the FAIL line.
expect_fail() { # pattern of the FAIL line
	expect_status 3
	expect_out "^FAIL $1"
	! grep -q 'guest crash' <<<"$err" || fail "guest crashed instead of failing: $err"
}

make_initrd() { # word
	printf 'initrd for the entry guests: %s\n' "$1" >"$TEST_TMP/initrd"
}

case_pvh() {
	need_kvm
	make_initrd WORD42
	run_guest pvh.elf --memory 64 --cmdline "console=ttyS0 mem=64 expect=WORD42" --initrd "$TEST_TMP/initrd"
	expect_pass
	expect_out '^pvh: cmdline: console=ttyS0 mem=64 expect=WORD42$'
	expect_out '^pvh: top of RAM 0x04000000$'
	expect_out '^pvh: module0: initrd for the entry guests: WORD42'
	expect_out '^pvh: rsdp at 0x'
}

case_pvh_memory_mismatch() {
	need_kvm
	make_initrd WORD42
	run_guest pvh.elf --memory 48 --cmdline "mem=64 expect=WORD42" --initrd "$TEST_TMP/initrd"
	expect_fail "pvh: the memory map's top of RAM does not match --memory"
}

case_pvh_wrong_initrd() {
	need_kvm
	make_initrd WORD41
	run_guest pvh.elf --cmdline "mem=32 expect=WORD42" --initrd "$TEST_TMP/initrd"
	expect_fail 'pvh: module 0 does not hold the expected word'
}

case_pvh_no_initrd() {
	need_kvm
	run_guest pvh.elf --cmdline "mem=32 expect=WORD42"
	expect_fail 'pvh: no module 0 (initrd)'
}

# The file really is a bzImage for the 64-bit protocol: boot sector, HdrS 2.15,
# XLF_KERNEL_64, relocatable, uncompressed (payload_length 0: nothing for the
# VMM to decompress, so it cannot take the bzimage-pvh route), no ELF/Multiboot.
case_bzimage_file() {
	need_cmd python3
	[ -f "$GUESTS/bzimage.bzImage" ] || fail "$GUESTS/bzimage.bzImage not built"
	python3 - "$GUESTS/bzimage.bzImage" <<'PY' || fail "not a 64-bit-protocol bzImage"
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:4] != b"\x7fELF", "ELF"
assert b"\x02\xb0\xad\x1b" not in d[:8192], "Multiboot header"
assert struct.unpack_from("<H", d, 0x1fe)[0] == 0xAA55, "boot flag"
assert d[0x202:0x206] == b"HdrS", "HdrS"
assert struct.unpack_from("<H", d, 0x206)[0] >= 0x20c, "protocol < 2.12"
assert struct.unpack_from("<H", d, 0x236)[0] & 1, "XLF_KERNEL_64"
assert d[0x234] == 1, "relocatable_kernel"
assert struct.unpack_from("<I", d, 0x24c)[0] == 0, "payload_length"
PY
}

case_bzimage() {
	need_kvm
	make_initrd WORD42
	run_guest bzimage.bzImage --memory 64 --cmdline "console=ttyS0 mem=64 expect=WORD42" \
		--initrd "$TEST_TMP/initrd"
	expect_pass
	# Entered in 64-bit mode at pref_address + 0x200: only the 64-bit boot protocol does that.
	expect_out '^bzimage: 64-bit entry at 0x00100200, boot_params at 0x'
	expect_out '^bzimage: cmdline: console=ttyS0 mem=64 expect=WORD42$'
	expect_out '^bzimage: top of RAM 0x04000000$'
	expect_out '^bzimage: module0: initrd for the entry guests: WORD42'
}

case_bzimage_memory_mismatch() {
	need_kvm
	make_initrd WORD42
	run_guest bzimage.bzImage --memory 48 --cmdline "mem=64 expect=WORD42" --initrd "$TEST_TMP/initrd"
	expect_fail "bzimage: the memory map's top of RAM does not match --memory"
}

case_bzimage_wrong_initrd() {
	need_kvm
	make_initrd WORD41
	run_guest bzimage.bzImage --cmdline "mem=32 expect=WORD42" --initrd "$TEST_TMP/initrd"
	expect_fail 'bzimage: module 0 does not hold the expected word'
}

case_timer() {
	need_kvm
	run_guest timer.elf --cmdline ticks=20
	expect_pass
	expect_out '^timer: 20 interrupts in [0-9]* ms$'
}

case_timer_masked() { # IRQ 0 masked at the PIC: no interrupt may arrive, the guest must fail
	need_kvm
	run_guest timer.elf --cmdline "ticks=20 mask-irq0"
	expect_fail 'timer: too few timer interrupts'
	expect_out '^timer: 0 interrupts in'
}

expect_crash() { # reason
	expect_status 3
	for field in "guest crash on vcpu 0: $1" 'rip=0x' 'rsp=0x' 'cr0=0x' 'efer=0x' 'cs  sel=' 'idt base='; do
		grep -qF -- "$field" <<<"$err" || fail "crash report lacks '$field': $err; serial: $out"
	done
	! grep -qE '^(PASS|FAIL)' <<<"$out" || fail "the guest gave a verdict instead of crashing: $out"
}

case_emulation_failure_mmio() {
	need_kvm
	run_guest emulation-failure.elf
	expect_out 'jumping to 0x80000000'
	expect_crash 'KVM_EXIT_INTERNAL_ERROR, suberror 1 (emulation failure)'
	grep -qF 'rip=0x0000000080000000' <<<"$err" || fail "crash report does not show rip at 0x80000000: $err"
}

# popcnt at CPL0 cannot be emulated by this host's kvm_pvm (kvm-host-notes.md);
# hardware-assisted KVM runs it, and the guest then exits with verdict 0x10.
case_emulation_failure_popcnt() {
	need_kvm
	run_guest emulation-failure.elf --cmdline insn=popcnt
	if [ -d /sys/module/kvm_pvm ]; then
		expect_crash 'KVM_EXIT_INTERNAL_ERROR, suberror 1 (emulation failure)'
	else
		expect_status 33 # (0x10 << 1) | 1
		expect_out 'popcnt ran, result 8'
	fi
}

# api_state STATE: PUT /vm/state; prints the HTTP status.
api_state() {
	curl -sS --max-time 5 --unix-socket "$SOCK" -o "$TEST_TMP/api.body" -w '%{http_code}' -X PUT \
		-H 'Content-Type: application/json' -d "{\"state\":\"$1\"}" http://localhost/vm/state
}

serial_size() { stat -c %s "$TEST_TMP/pr.out"; }

case_pause_resume() {
	need_kvm
	need_cmd curl
	SOCK=$TEST_TMP/api.sock
	[ -x "$VMM" ] || fail "$VMM not built"
	ASAN_OPTIONS=${VMM_ASAN_OPTIONS:-detect_leaks=1} timeout -k 5 60 "$VMM" \
		--kernel "$GUESTS/pause-resume.elf" --memory 32 --api-socket "$SOCK" \
		</dev/null >"$TEST_TMP/pr.out" 2>"$TEST_TMP/pr.err" &
	local pid=$! s1 s2 s3 code state
	# timeout passes a TERM on to cella-vmm (and KILLs it 5 s later): no VMM outlives the case.
	trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
	for _ in $(seq 300); do
		grep -q '^count 3$' "$TEST_TMP/pr.out" && [ -S "$SOCK" ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^count 3$' "$TEST_TMP/pr.out" || fail "guest never counted to 3: $(cat "$TEST_TMP/pr.err")"
	[ -S "$SOCK" ] || fail "no API socket $SOCK"

	code=$(api_state paused) || fail "curl failed"
	[ "$code" = 204 ] || fail "PUT paused answered $code: $(cat "$TEST_TMP/api.body")"
	state=$(curl -sS --max-time 5 --unix-socket "$SOCK" http://localhost/vm) || fail "GET /vm failed"
	grep -q '"state": *"paused"' <<<"$state" || fail "GET /vm after pausing: $state"
	# A byte already being written may still land: wait (bounded) until the output is still for
	# 0.2 s, then it must stay still for a further 1.5 s.
	s1=$(serial_size)
	for _ in $(seq 25); do
		sleep 0.2
		s2=$(serial_size)
		[ "$s1" = "$s2" ] && break
		s1=$s2
	done
	[ "$s1" = "$s2" ] || fail "serial output kept growing for 5 s after pausing ($s2 bytes)"
	sleep 1.5
	s3=$(serial_size)
	[ "$s3" = "$s2" ] || fail "paused guest still printed: $s2 -> $s3 bytes"

	code=$(api_state running) || fail "curl failed"
	[ "$code" = 204 ] || fail "PUT running answered $code: $(cat "$TEST_TMP/api.body")"
	for _ in $(seq 100); do
		[ "$(serial_size)" -gt "$s3" ] && break
		sleep 0.1
	done
	[ "$(serial_size)" -gt "$s3" ] || fail "serial output did not grow within 10 s of resuming"
	state=$(curl -sS --max-time 5 --unix-socket "$SOCK" http://localhost/vm) || fail "GET /vm failed"
	grep -q '"state": *"running"' <<<"$state" || fail "GET /vm after resuming: $state"

	code=$(api_state force-shutdown) || fail "curl failed"
	[ "$code" = 204 ] || fail "PUT force-shutdown answered $code: $(cat "$TEST_TMP/api.body")"
	rc=0
	wait $pid || rc=$?
	trap - EXIT
	[ $rc -eq 0 ] || fail "exit status $rc after force-shutdown, expected 0: $(cat "$TEST_TMP/pr.err")"
	# The guest went on where it stopped: counts are consecutive from 0 (a restart would repeat them).
	grep -E '^count [0-9]+$' "$TEST_TMP/pr.out" | awk '$2 != NR - 1 { bad = 1 } END { exit bad }' ||
		fail "counts are not consecutive across pause/resume: $(grep -c count "$TEST_TMP/pr.out") lines"
	[ "$(grep -cE '^count [0-9]+$' "$TEST_TMP/pr.out")" -gt "$(head -c "$s3" "$TEST_TMP/pr.out" |
		grep -cE '^count [0-9]+$')" ] || fail "no new count after resuming"
}

check "pvh: start info, cmdline, e820, initrd module, RSDP" case_pvh
check "pvh: a memory size mismatch fails" case_pvh_memory_mismatch
check "pvh: a wrong initrd fails" case_pvh_wrong_initrd
check "pvh: no initrd fails" case_pvh_no_initrd
check "bzimage: the file is a 64-bit-protocol bzImage" case_bzimage_file
check "bzimage: 64-bit entry, zero page, e820, cmdline, ramdisk" case_bzimage
check "bzimage: a memory size mismatch fails" case_bzimage_memory_mismatch
check "bzimage: a wrong initrd fails" case_bzimage_wrong_initrd
check "timer: 20 PIT interrupts at 100 Hz through the PIC, iretq" case_timer
check "timer: IRQ 0 masked fails" case_timer_masked
check "emulation-failure: fetch from 0x80000000 (no memory) -> crash, status 3" case_emulation_failure_mmio
check "emulation-failure: popcnt at CPL0 (crash on kvm_pvm, runs on hardware KVM)" case_emulation_failure_popcnt
check "pause-resume: API pause stops the guest, resume continues, force-shutdown -> 0" case_pause_resume
done_testing
