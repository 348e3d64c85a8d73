#!/usr/bin/env bash
# cella-vmm runs each freestanding test guest (guests/) and ends with the
# expected exit status and serial output. Needs /dev/kvm.
#
# Every thread runs under its per-thread seccomp filter (the default), and in
# the ASan build LeakSanitizer checks each run at exit (the main thread's
# filter allows what its stop-the-world helper needs in sanitizer builds only).
# The case "hello, no seccomp, leak check" also covers --no-seccomp.
source "$(dirname "$0")/lib.bash"

source "$(dirname "$0")/vmm_helpers.bash"

GUESTS=$GUEST_DIR

# run_guest GUEST [cella-vmm args...]: guests/GUEST.elf, see run_guest_file.
run_guest() {
	local guest=$1
	shift
	run_guest_file "$guest.elf" "$@"
}

case_hello() {
	need_kvm
	run_guest hello
	expect_pass
	expect_out 'hello from a cella guest'
}

case_hello_leak_check() {
	need_kvm
	VMM_ASAN_OPTIONS=detect_leaks=1 run_guest hello --no-seccomp
	expect_pass
	! grep -q 'LeakSanitizer' <<<"$err" || fail "leaks: $err"
}

case_exit_code() {
	need_kvm
	run_guest exit-code
	expect_status 85 # (0x2a << 1) | 1
}

case_poweroff() {
	need_kvm
	run_guest poweroff
	expect_status 0
	! grep -q FAIL <<<"$out" || fail "$out"
}

case_reset_i8042() {
	need_kvm
	run_guest reset
	expect_status 0
	grep -q 'reset through the i8042' <<<"$err" || fail "no reset message: $err"
}

case_reset_cf9() {
	need_kvm
	run_guest reset --cmdline cf9
	expect_status 0
	grep -q 'reset through port 0xcf9' <<<"$err" || fail "no reset message: $err"
}

case_crash() {
	need_kvm
	run_guest crash
	expect_status 3
	for field in 'KVM_EXIT_SHUTDOWN (triple fault)' 'rip=0x' 'rsp=0x' 'rflags=0x' 'cr0=0x' 'cr3=0x' 'cr4=0x' \
		'efer=0x' 'cs  sel=' 'idt base='; do
		grep -qF -- "$field" <<<"$err" || fail "crash report lacks '$field': $err"
	done
}

case_serial_irq() {
	need_kvm
	run_guest serial-irq
	expect_pass
	expect_out 'IRQ 4 arrived'
}

case_rtc() {
	need_kvm
	run_guest rtc
	expect_pass
	# The guest's date is the host's UTC date (allow for a midnight in between).
	local today yesterday
	today=$(date -u +%Y-%m-%d)
	yesterday=$(date -u -d '1 day ago' +%Y-%m-%d)
	grep -qE "rtc: ($today|$yesterday) " <<<"$out" || fail "guest date is not today ($today): $out"
}

case_cmdline_initrd() {
	need_kvm
	printf 'NR_CPUS=1\n' >"$TEST_TMP/initrd"
	run_guest cmdline --cmdline "console=ttyS0 expect=NR_CPUS=1" --initrd "$TEST_TMP/initrd"
	expect_pass
	expect_out 'cmdline: console=ttyS0 expect=NR_CPUS=1'
	expect_out 'module0: NR_CPUS=1'
}

case_cmdline_wrong_initrd() { # the guest really compares: a wrong module fails
	need_kvm
	printf 'NR_CPUS=8\n' >"$TEST_TMP/initrd"
	run_guest cmdline --cmdline "expect=NR_CPUS=1" --initrd "$TEST_TMP/initrd"
	expect_status 3 # (1 << 1) | 1
	expect_out 'FAIL cmdline: module 0 does not hold the expected word'
}

case_memory() {
	need_kvm
	run_guest memory --memory 64 --cmdline mem=64
	expect_pass
	expect_out 'top of RAM 0x04000000'
}

case_memory_mismatch() { # the guest really checks: a wrong size fails
	need_kvm
	run_guest memory --memory 48 --cmdline mem=64
	expect_status 3
	expect_out 'FAIL memory'
}

case_smp() {
	need_kvm
	run_guest smp --cpus 2 --cmdline cpus=2
	expect_pass
	expect_out 'smp: 2 cpus up'
}

case_smp_4() {
	need_kvm
	run_guest smp --cpus 4 --cmdline cpus=4
	expect_pass
	expect_out 'smp: 4 cpus up'
}

case_long_mode() {
	need_kvm
	run_guest long-mode
	expect_pass
	expect_out 'long-mode: 64-bit code running'
}

case_boot_timer() {
	need_kvm
	run_guest boot-timer
	expect_pass
	grep -qE '^boot-timer: guest reached marker 123 after [0-9]+\.[0-9]{3} ms since start$' <<<"$err" ||
		fail "no boot-timer line: $err"
	[ "$(grep -c 'boot-timer: guest reached' <<<"$err")" -eq 1 ] || fail "POST code 0x11 was logged: $err"
}

case_sigterm() {
	need_kvm
	# The echo guest waits for input forever: SIGTERM must stop it in order.
	mkfifo "$TEST_TMP/in"
	exec 3<>"$TEST_TMP/in"
	ASAN_OPTIONS=detect_leaks=1 "$VMM" --kernel "$GUESTS/echo.elf" --memory 32 <&3 >"$TEST_TMP/echo.out" \
		2>"$TEST_TMP/echo.err" &
	local pid=$! i
	trap 'kill -9 $pid 2>/dev/null' EXIT # whatever happens, no VMM outlives the case
	for i in $(seq 600); do
		grep -q READY "$TEST_TMP/echo.out" 2>/dev/null && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	grep -q READY "$TEST_TMP/echo.out" || { kill -9 $pid; fail "guest never got READY: $(cat "$TEST_TMP/echo.err")"; }
	kill -TERM $pid
	rc=0
	for i in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	if kill -0 $pid 2>/dev/null; then
		kill -9 $pid
		fail "cella-vmm ignored SIGTERM for 10 s"
	fi
	wait $pid || rc=$?
	[ $rc -eq 143 ] || fail "exit status $rc after SIGTERM, expected 143: $(cat "$TEST_TMP/echo.err")"
}

case_serial_input() {
	need_kvm
	mkfifo "$TEST_TMP/in2"
	exec 3<>"$TEST_TMP/in2"
	ASAN_OPTIONS=detect_leaks=1 timeout -k 5 60 "$VMM" --kernel "$GUESTS/echo.elf" --memory 32 <&3 \
		>"$TEST_TMP/echo2.out" 2>"$TEST_TMP/echo2.err" &
	local pid=$!
	printf 'Z' >&3
	rc=0
	wait $pid || rc=$?
	out=$(cat "$TEST_TMP/echo2.out")
	err=$(cat "$TEST_TMP/echo2.err")
	expect_pass
	expect_out "echo: got 'Z'"
}

check "hello: serial output, debug-exit 0 -> status 1" case_hello
check "hello, no seccomp, leak check" case_hello_leak_check
check "exit-code: 0x2a -> status 0x55" case_exit_code
check "poweroff: ACPI S5 -> status 0" case_poweroff
check "reset: i8042 0xFE -> status 0" case_reset_i8042
check "reset: port 0xCF9 -> status 0" case_reset_cf9
check "crash: triple fault -> status 3 with registers" case_crash
check "serial-irq: THRE interrupt through the PIC" case_serial_irq
check "rtc: plausible BCD date, today's" case_rtc
check "cmdline: command line and initrd module" case_cmdline_initrd
check "cmdline: a wrong initrd fails" case_cmdline_wrong_initrd
check "memory: --memory 64 seen and usable" case_memory
check "memory: a size mismatch fails" case_memory_mismatch
check "smp: --cpus 2, APs via INIT/SIPI" case_smp
check "smp: --cpus 4" case_smp_4
check "long-mode: 64-bit code" case_long_mode
check "boot-timer: marker 123 logged" case_boot_timer
check "serial input from a pipe" case_serial_input
check "SIGTERM stops the VM (status 143)" case_sigterm
done_testing
