#!/usr/bin/env bash
# cella-vmm's command line and configuration: --help, errors that name the bad
# option or field (exit status 2), kernel file errors, console file:PATH, the
# JSON config, and the VMM's memory overhead (<= 5 MiB beyond guest RAM).
source "$(dirname "$0")/lib.bash"

VMM=$CELLA_BUILD/src/vmm/cli/cella-vmm
GUESTS=$CELLA_BUILD/guests
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# vmm ARGS...: runs cella-vmm (no guest is expected to start); sets $out, $err, $rc.
vmm() {
	[ -x "$VMM" ] || fail "$VMM not built"
	rc=0
	timeout -k 5 60 "$VMM" "$@" </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
	out=$(cat "$TEST_TMP/out")
	err=$(cat "$TEST_TMP/err")
}

expect_usage_error() { # message
	[ "$rc" -eq 2 ] || fail "exit status $rc, expected 2; stderr: $err"
	grep -qF -- "$1" <<<"$err" || fail "stderr lacks '$1': $err"
}

case_help() {
	vmm --help
	[ "$rc" -eq 0 ] || fail "--help exit status $rc"
	for w in 'Usage: cella-vmm --kernel PATH' --initrd --cmdline --memory --cpus --console --api-socket --config \
		--hugepages --no-seccomp 'Exit status' '(v<<1)|1' 'memory_mib'; do
		grep -qF -- "$w" <<<"$out" || fail "--help does not mention '$w'"
	done
}

case_bad_cpus() {
	vmm --kernel /dev/null --cpus 0
	expect_usage_error '--cpus: 0 is out of range 1..255'
}

case_bad_memory() {
	vmm --kernel /dev/null --memory lots
	expect_usage_error "--memory: 'lots' is not a decimal number"
}

case_unknown_option() {
	vmm --kernel /dev/null --frobnicate
	expect_usage_error '--frobnicate: unknown option'
}

case_missing_kernel_option() {
	vmm --memory 64
	expect_usage_error '--kernel: missing'
}

case_bad_console() {
	vmm --kernel /dev/null --console pty
	expect_usage_error "--console: 'pty' is not one of stdio, none, file:PATH"
}

case_config_bad_field() {
	printf '{"kernel": "k.elf", "memory_mib": "64"}\n' >"$TEST_TMP/config.json"
	vmm --config "$TEST_TMP/config.json"
	expect_usage_error "$TEST_TMP/config.json: memory_mib: expected integer"
}

case_config_unknown_field() {
	printf '{"kernel": "k.elf", "vcpus": 2}\n' >"$TEST_TMP/config.json"
	vmm --config "$TEST_TMP/config.json"
	expect_usage_error "$TEST_TMP/config.json: vcpus: unknown field"
}

case_config_syntax() {
	printf '{"kernel": \n' >"$TEST_TMP/config.json"
	vmm --config "$TEST_TMP/config.json"
	expect_usage_error "$TEST_TMP/config.json:"
}

case_missing_kernel_file() {
	need_kvm
	vmm --kernel "$TEST_TMP/no-such-kernel"
	expect_usage_error "$TEST_TMP/no-such-kernel"
	grep -q 'No such file or directory' <<<"$err" || fail "no errno text: $err"
}

case_unknown_kernel_format() {
	need_kvm
	head -c 8192 /dev/urandom >"$TEST_TMP/garbage"
	vmm --kernel "$TEST_TMP/garbage"
	expect_usage_error "$TEST_TMP/garbage"
	grep -q 'not a bzImage, PVH ELF or Multiboot kernel' <<<"$err" || fail "error does not say the format is unknown: $err"
}

case_console_file() {
	need_kvm
	[ -f "$GUESTS/hello.elf" ] || fail "guests not built"
	ASAN_OPTIONS=detect_leaks=1 vmm --kernel "$GUESTS/hello.elf" --memory 32 --console "file:$TEST_TMP/console.log"
	[ "$rc" -eq 1 ] || fail "exit status $rc: $err"
	[ -z "$out" ] || fail "serial output leaked to stdout: $out"
	grep -q '^PASS$' "$TEST_TMP/console.log" || fail "console file lacks PASS: $(cat "$TEST_TMP/console.log")"
}

case_console_none() {
	need_kvm
	ASAN_OPTIONS=detect_leaks=1 vmm --kernel "$GUESTS/hello.elf" --memory 32 --console none
	[ "$rc" -eq 1 ] || fail "exit status $rc: $err"
	[ -z "$out" ] || fail "console none still printed: $out"
}

case_config_json_runs() {
	need_kvm
	# Everything from the file; --cpus on the command line overrides "cpus": 1.
	printf '{"kernel": "%s", "memory_mib": 32, "cpus": 1, "cmdline": "cpus=2", "console": "stdio"}\n' \
		"$GUESTS/smp.elf" >"$TEST_TMP/vm.json"
	ASAN_OPTIONS=detect_leaks=1 vmm --config "$TEST_TMP/vm.json" --cpus 2
	[ "$rc" -eq 1 ] || fail "exit status $rc: $out $err"
	grep -q 'smp: 2 cpus up' <<<"$out" || fail "config not applied: $out"
}

case_hugepages_error() {
	need_kvm
	local free
	free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	if [ "${free:-0}" -ge 16 ]; then
		echo "this host has $free free huge pages: the no-hugepages error cannot be provoked"
		exit 77
	fi
	vmm --kernel "$GUESTS/hello.elf" --memory 32 --hugepages
	[ "$rc" -eq 1 ] || fail "exit status $rc, expected 1: $err"
	grep -q -- '--hugepages: cannot get 16 huge pages of 2 MiB' <<<"$err" || fail "unclear error: $err"
}

case_hugepages_run() {
	need_kvm
	local free
	free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	if [ "${free:-0}" -lt 16 ]; then
		echo "needs 16 free 2 MiB huge pages (vm.nr_hugepages), this host has ${free:-0}"
		exit 77
	fi
	ASAN_OPTIONS=detect_leaks=1 vmm --kernel "$GUESTS/memory.elf" --memory 32 --cmdline mem=32 --hugepages
	[ "$rc" -eq 1 ] || fail "exit status $rc: $out $err"
	grep -q '^PASS$' <<<"$out" || fail "memory guest on huge pages: $out"
}

# VMM memory overhead: RSS minus the guest RAM it touched (shared memfd pages), measured on the release
# build while the echo guest waits for input. Firecracker's promise: <= 5 MiB for 1 vCPU / 128 MiB.
case_memory_overhead() {
	need_kvm
	local vmm_rel=$CELLA_RELEASE_BUILD/src/vmm/cli/cella-vmm guest=$CELLA_RELEASE_BUILD/guests/echo.elf
	if [ ! -x "$vmm_rel" ] || [ ! -f "$guest" ]; then
		echo "needs the release build in $CELLA_RELEASE_BUILD (sanitizers inflate RSS)"
		exit 77
	fi
	mkfifo "$TEST_TMP/in"
	exec 3<>"$TEST_TMP/in"
	"$vmm_rel" --kernel "$guest" --memory 128 --cpus 1 <&3 >"$TEST_TMP/echo.out" 2>"$TEST_TMP/echo.err" &
	local pid=$! i rss shmem overhead
	trap 'kill -9 $pid 2>/dev/null' EXIT # whatever happens, no VMM outlives the case
	for i in $(seq 600); do
		grep -q READY "$TEST_TMP/echo.out" 2>/dev/null && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q READY "$TEST_TMP/echo.out"; then
		kill -9 $pid 2>/dev/null
		fail "guest never got READY: $(cat "$TEST_TMP/echo.err")"
	fi
	rss=$(awk '/^VmRSS:/ {print $2}' /proc/$pid/status)
	shmem=$(awk '/^RssShmem:/ {print $2}' /proc/$pid/status)
	printf 'x' >&3
	rc=0
	for i in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -9 $pid 2>/dev/null
	wait $pid || rc=$?
	[ $rc -eq 1 ] || fail "echo guest exit status $rc: $(cat "$TEST_TMP/echo.out" "$TEST_TMP/echo.err")"
	overhead=$((rss - shmem))
	echo "VmRSS ${rss} KiB, guest RAM touched ${shmem} KiB, overhead ${overhead} KiB"
	[ $overhead -le 5120 ] || fail "VMM overhead ${overhead} KiB > 5 MiB (VmRSS ${rss} KiB, shmem ${shmem} KiB)"
}

# The control API drives the VM: GET /vm, pause and resume, then a graceful "shutdown" presses the ACPI
# power button, which the acpi-button guest answers with an S5 power-off (status 0).
case_api_shutdown() {
	need_kvm
	need_cmd curl
	local sock=$TEST_TMP/api.sock pid i state
	ASAN_OPTIONS=detect_leaks=1 "$VMM" --kernel "$GUESTS/acpi-button.elf" --memory 32 --api-socket "$sock" \
		</dev/null >"$TEST_TMP/button.out" 2>"$TEST_TMP/button.err" &
	pid=$!
	trap 'kill -9 $pid 2>/dev/null' EXIT # whatever happens, no VMM outlives the case
	for i in $(seq 600); do
		grep -q READY "$TEST_TMP/button.out" 2>/dev/null && [ -S "$sock" ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	grep -q READY "$TEST_TMP/button.out" && [ -S "$sock" ] ||
		fail "guest or API never got ready: $(cat "$TEST_TMP/button.out" "$TEST_TMP/button.err")"
	api() { curl -s --max-time 10 --unix-socket "$sock" "$@"; }
	state=$(api http://localhost/vm)
	grep -q '"state": *"running"' <<<"$state" || fail "GET /vm: $state"
	grep -q '"memory_mib": *32' <<<"$state" || fail "GET /vm lacks the config: $state"
	[ "$(api -o /dev/null -w '%{http_code}' -X PUT -d '{"state":"paused"}' http://localhost/vm/state)" = 204 ] ||
		fail "PUT paused refused"
	grep -q '"state": *"paused"' <<<"$(api http://localhost/vm)" || fail "not paused"
	[ "$(api -o /dev/null -w '%{http_code}' -X PUT -d '{"state":"running"}' http://localhost/vm/state)" = 204 ] ||
		fail "PUT running refused"
	[ "$(api -o /dev/null -w '%{http_code}' -X PUT -d '{"state":"shutdown"}' http://localhost/vm/state)" = 204 ] ||
		fail "PUT shutdown refused"
	for i in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -0 $pid 2>/dev/null && fail "guest still running 30 s after the power button"
	rc=0
	wait $pid || rc=$?
	[ $rc -eq 0 ] || fail "exit status $rc after the power button, expected 0: $(cat "$TEST_TMP/button.out" "$TEST_TMP/button.err")"
	grep -q 'power button pressed' "$TEST_TMP/button.out" || fail "guest did not see the button"
	[ ! -e "$sock" ] || fail "API socket left behind"
}

check "--help" case_help
check "--cpus 0 named, status 2" case_bad_cpus
check "--memory lots named, status 2" case_bad_memory
check "unknown option named, status 2" case_unknown_option
check "missing --kernel, status 2" case_missing_kernel_option
check "--console pty named, status 2" case_bad_console
check "config.json: memory_mib: expected integer" case_config_bad_field
check "config.json: unknown field named" case_config_unknown_field
check "config.json: syntax error located" case_config_syntax
check "missing kernel file named, status 2" case_missing_kernel_file
check "unknown kernel format, status 2" case_unknown_kernel_format
check "--console file:PATH" case_console_file
check "--console none" case_console_none
check "--config JSON runs a VM; flags override it" case_config_json_runs
check "--hugepages without huge pages: clear error" case_hugepages_error
check "--hugepages with free huge pages runs" case_hugepages_run
check "VMM memory overhead <= 5 MiB (release build)" case_memory_overhead
check "API: describe, pause, resume, shutdown (ACPI power button)" case_api_shutdown
done_testing
