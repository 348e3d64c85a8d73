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

# --console-socket: a client reads COM1's output and types its input; a second client is turned away;
# the console file still gets everything; the socket file goes with the VMM.
case_console_socket() {
	need_kvm
	need_cmd python3
	[ -f "$GUESTS/echo.elf" ] || fail "guests not built"
	local sock="$TEST_TMP/con.sock" rc=0
	ASAN_OPTIONS=detect_leaks=1 timeout -k 5 60 "$VMM" --kernel "$GUESTS/echo.elf" --memory 32 \
		--console "file:$TEST_TMP/con.log" --console-socket "$sock" </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err" &
	local pid=$!
	# A client sees what is written while it is attached: it connects once the guest waits for input.
	python3 - "$sock" "$TEST_TMP/con.log" >"$TEST_TMP/client" 2>&1 <<'PY' || rc=$?
import os, socket, sys, time
path, log = sys.argv[1], sys.argv[2]
deadline = time.time() + 30
while not (os.path.exists(log) and b"READY" in open(log, "rb").read()):
    if time.time() > deadline: sys.exit("no READY in the console file")
    time.sleep(0.05)
a = socket.socket(socket.AF_UNIX); a.connect(path)
a.settimeout(30)
got = b""
b = socket.socket(socket.AF_UNIX); b.connect(path); b.settimeout(10)
busy = b.recv(256)
assert b"in use" in busy, busy
a.sendall(b"z")
while b"PASS" not in got:
    chunk = a.recv(256)
    if not chunk: break
    got += chunk
assert b"echo: got 'z'" in got and b"PASS" in got, got
print("client ok")
PY
	wait $pid || rc=$((rc + $? * 1000))
	[ "$(cat "$TEST_TMP/client")" = "client ok" ] || fail "client: $(cat "$TEST_TMP/client"); vmm: $(cat "$TEST_TMP/err")"
	[ "$rc" -eq 1000 ] || fail "exit status $rc (client status + 1000 x VMM status), expected the guest's pass (1): $(cat "$TEST_TMP/err")"
	grep -q "echo: got 'z'" "$TEST_TMP/con.log" || fail "console file: $(cat "$TEST_TMP/con.log")"
	[ ! -e "$sock" ] || fail "the console socket outlived the VMM"
	vmm --kernel "$GUESTS/echo.elf" --console-socket "$TEST_TMP/no/such/dir/s"
	[ "$rc" -ne 0 ] && grep -q "console socket '$TEST_TMP/no/such/dir/s'" <<<"$err" || fail "bad socket path: $rc $err"
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

# Freezes one thread of another process (PTRACE_SEIZE + PTRACE_INTERRUPT stop that thread alone), says
# "frozen" on stdout, and lets it go (PTRACE_DETACH) once the file GO exists, or after 30 s whatever happens.
write_freezer() {
	cat >"$TEST_TMP/freeze.py" <<'PY'
import ctypes, os, sys, time

tid, go = int(sys.argv[1]), sys.argv[2]
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT, WALL = 17, 0x4206, 0x4207, 0x40000000
if libc.ptrace(PTRACE_SEIZE, tid, None, None) != 0 or libc.ptrace(PTRACE_INTERRUPT, tid, None, None) != 0:
    e = ctypes.get_errno()
    sys.exit("%sptrace %d: %s" % ("denied: " if e == 1 else "", tid, os.strerror(e)))
os.waitpid(tid, WALL)
print("frozen", flush=True)
deadline = time.monotonic() + 30
while not os.path.exists(go) and time.monotonic() < deadline:
    time.sleep(0.02)
libc.ptrace(PTRACE_DETACH, tid, None, None)
PY
}

# PUT /vm/state "paused" answers only once every vCPU has left KVM_RUN and parked. One vCPU thread is
# frozen (ptrace) while it runs the guest, so it cannot park: the pause must not answer for as long as
# that lasts (1 s is watched; without the wait the answer comes in milliseconds), and must answer 204
# once the thread runs again, with no vCPU thread in the ioctl (syscall 16 in /proc/PID/task/TID/syscall).
case_api_pause_waits_for_vcpus() {
	need_kvm
	need_root
	need_cmd curl
	need_cmd python3
	local sock=$TEST_TMP/pause.sock guest=$GUESTS/entry/pause-resume.elf pid fpid cpid i t tid sc code rc
	local tids=()
	[ -f "$guest" ] || fail "$guest not built"
	write_freezer
	"$VMM" --kernel "$guest" --cpus 2 --memory 32 --api-socket "$sock" </dev/null >"$TEST_TMP/pause.out" \
		2>"$TEST_TMP/pause.err" &
	pid=$!
	fpid=
	cpid=
	# shellcheck disable=SC2064
	trap "touch '$TEST_TMP/go'; kill -9 $pid 2>/dev/null; wait" EXIT # nothing outlives the case, frozen or not
	for i in $(seq 600); do
		grep -q '^count 3$' "$TEST_TMP/pause.out" 2>/dev/null && [ -S "$sock" ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	grep -q '^count 3$' "$TEST_TMP/pause.out" && [ -S "$sock" ] ||
		fail "guest or API never got ready: $(cat "$TEST_TMP/pause.err")"
	for t in /proc/$pid/task/*; do
		[[ "$(cat "$t/comm" 2>/dev/null)" == vcpu* ]] && tids+=("${t##*/}")
	done
	[ ${#tids[@]} -eq 2 ] || fail "expected 2 vCPU threads (comm vcpuN), found ${#tids[@]}"

	python3 "$TEST_TMP/freeze.py" "${tids[0]}" "$TEST_TMP/go" >"$TEST_TMP/freeze.out" 2>&1 &
	fpid=$!
	for i in $(seq 200); do
		grep -q frozen "$TEST_TMP/freeze.out" && break
		kill -0 $fpid 2>/dev/null || break
		sleep 0.05
	done
	if grep -q '^denied: ' "$TEST_TMP/freeze.out"; then
		echo "ptrace is not allowed here (no CAP_SYS_PTRACE?): $(cat "$TEST_TMP/freeze.out")"
		exit 77
	fi
	grep -q frozen "$TEST_TMP/freeze.out" || fail "could not freeze vCPU thread ${tids[0]}: $(cat "$TEST_TMP/freeze.out")"
	curl -s --max-time 30 --unix-socket "$sock" -o "$TEST_TMP/pause.body" -w '%{http_code}' -X PUT \
		-d '{"state":"paused"}' http://localhost/vm/state >"$TEST_TMP/pause.code" &
	cpid=$!
	# A negative check: the answer must not come while the thread is frozen, however fast the host.
	sleep 1
	kill -0 $cpid 2>/dev/null ||
		fail "PUT paused answered ($(cat "$TEST_TMP/pause.code")) while vCPU thread ${tids[0]} could not park"
	touch "$TEST_TMP/go"
	wait $fpid
	wait $cpid
	code=$(cat "$TEST_TMP/pause.code")
	[ "$code" = 204 ] || fail "PUT paused answered '$code' once the vCPU ran again: $(cat "$TEST_TMP/pause.body")"
	for tid in "${tids[@]}"; do
		sc=$(cut -d' ' -f1 "/proc/$pid/task/$tid/syscall" 2>/dev/null)
		[ -n "$sc" ] || fail "cannot read /proc/$pid/task/$tid/syscall"
		[ "$sc" != 16 ] || fail "vCPU thread $tid still in ioctl (KVM_RUN) after PUT paused answered"
	done
	grep -q '"state": *"paused"' <<<"$(curl -s --max-time 10 --unix-socket "$sock" http://localhost/vm)" ||
		fail "GET /vm does not say paused"
	for state in running force-shutdown; do
		code=$(curl -s --max-time 10 --unix-socket "$sock" -o "$TEST_TMP/pause.body" -w '%{http_code}' -X PUT \
			-d "{\"state\":\"$state\"}" http://localhost/vm/state)
		[ "$code" = 204 ] || fail "PUT $state answered '$code': $(cat "$TEST_TMP/pause.body")"
	done
	rc=0
	wait $pid || rc=$?
	[ $rc -eq 0 ] || fail "exit status $rc after force-shutdown, expected 0: $(cat "$TEST_TMP/pause.err")"
	grep -q "ERROR: \(AddressSanitizer\|LeakSanitizer\)\|runtime error:" "$TEST_TMP/pause.err" &&
		fail "sanitizer report: $(cat "$TEST_TMP/pause.err")"
	return 0
}

# "restore" and "restore_devices" in the JSON config: the JSON form of --restore and --restore-device
# reaches the restored device (a path that does not exist is refused, exit 2, naming it), and a
# --restore-device flag for the same id replaces the file's entry (flags override the file). The
# blk-writer guest (guests/snapshot) is snapshotted mid-run, its image moved away; the restore runs on
# the flag's copy to PASS. Malformed fields are named.
case_config_restore_devices() {
	need_kvm
	need_cmd curl
	local dir=$TEST_TMP/rd guest=$GUESTS/snapshot/blk-writer.elf pid i code rc
	[ -f "$guest" ] || fail "$guest not built"
	mkdir -p "$dir"
	printf '{"restore_devices": {"disk0": {"path": "x"}}}' >"$dir/alone.json"
	vmm --kernel "$GUESTS/hello.elf" --config "$dir/alone.json"
	expect_usage_error 'restore_devices'
	printf '{"restore": "%s", "restore_devices": {"disk0": {"path": ["x"]}}}' "$dir/snap" >"$dir/bad.json"
	vmm --config "$dir/bad.json"
	expect_usage_error "$dir/bad.json: restore_devices: disk0: path: expected a string"
	printf '{"restore": "%s", "restore_devices": ["disk0"]}' "$dir/snap" >"$dir/bad.json"
	vmm --config "$dir/bad.json"
	expect_usage_error "$dir/bad.json: restore_devices: expected an object of device ids"

	truncate -s 4M "$dir/disk.img"
	"$VMM" --kernel "$guest" --memory 32 --cmdline stop=3000 --disk "path=$dir/disk.img,id=disk0,iops=1000" \
		--console "file:$dir/orig.log" --api-socket "$dir/api.sock" </dev/null >/dev/null 2>"$dir/orig.err" &
	pid=$!
	# shellcheck disable=SC2064
	trap "kill -9 $pid 2>/dev/null" EXIT
	for i in $(seq 600); do
		[ "$(grep -c '^done' "$dir/orig.log" 2>/dev/null)" -ge 100 ] && [ -S "$dir/api.sock" ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	[ -S "$dir/api.sock" ] && [ "$(grep -c '^done' "$dir/orig.log")" -ge 100 ] ||
		fail "the writer did not get going: $(cat "$dir/orig.err")"
	code=$(curl -s --max-time 60 --unix-socket "$dir/api.sock" -o "$dir/snap.resp" -w '%{http_code}' -X PUT \
		-d "{\"path\":\"$dir/snap\",\"type\":\"full\",\"resume\":false}" http://localhost/vm/snapshot)
	[ "$code" = 204 ] || fail "PUT /vm/snapshot: HTTP $code $(cat "$dir/snap.resp")"
	kill -TERM $pid
	wait $pid
	mv "$dir/disk.img" "$dir/copy.img"

	printf '{"restore": "%s", "console": "file:%s", "restore_devices": {"disk0": {"path": "%s", "iops": 1000}}}' \
		"$dir/snap" "$dir/r.log" "$dir/gone.img" >"$dir/restore.json"
	vmm --config "$dir/restore.json"
	expect_usage_error "dev.virtio.0 (disk0): path: cannot open $dir/gone.img"
	rc=0
	timeout -k 5 120 "$VMM" --config "$dir/restore.json" --restore-device "disk0:path=$dir/copy.img" \
		</dev/null >/dev/null 2>"$dir/r.err" || rc=$?
	[ $rc -eq 1 ] || fail "restore with the flag's disk: exit $rc, expected 1 (PASS): $(cat "$dir/r.err")"
	grep -q '^PASS$' "$dir/r.log" || fail "the restored writer did not PASS: $(tail -c 200 "$dir/r.log")"
	grep -q "restored $dir/snap" "$dir/r.err" || fail "no restore line: $(cat "$dir/r.err")"
	[ ! -e "$dir/gone.img" ] || fail "the file's path was used after all"
}

# Asynchronous teardown (docs/vmm.md): while the VM runs, a cella-teardown child shares the VMM's memory and
# holds nothing but KVM fds; once the VMM has exited it goes away by itself. --no-async-teardown starts none.
teardown_helper_of() { # VMM pid: prints the pid of its cella-teardown child, if any
	local p
	for p in $(pgrep -P "$1" 2>/dev/null); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = cella-teardown ] && echo "$p"
	done
}

case_async_teardown() {
	need_kvm
	local mode pid helper i fds rc
	for mode in async sync; do
		rm -f "$TEST_TMP/in"
		mkfifo "$TEST_TMP/in"
		exec 3<>"$TEST_TMP/in"
		if [ $mode = async ]; then
			"$VMM" --kernel "$GUESTS/echo.elf" --memory 32 <&3 >"$TEST_TMP/echo.out" 2>"$TEST_TMP/echo.err" &
		else
			"$VMM" --no-async-teardown --kernel "$GUESTS/echo.elf" --memory 32 <&3 >"$TEST_TMP/echo.out" \
				2>"$TEST_TMP/echo.err" &
		fi
		pid=$!
		# shellcheck disable=SC2064
		trap "kill -9 $pid 2>/dev/null" EXIT
		for i in $(seq 600); do
			grep -q READY "$TEST_TMP/echo.out" 2>/dev/null && break
			kill -0 $pid 2>/dev/null || break
			sleep 0.05
		done
		grep -q READY "$TEST_TMP/echo.out" || fail "$mode: guest never got READY: $(cat "$TEST_TMP/echo.err")"
		helper=$(teardown_helper_of $pid)
		if [ $mode = async ]; then
			[ -n "$helper" ] || fail "no cella-teardown child of the VMM"
			fds=$(for f in /proc/"$helper"/fd/*; do readlink "$f"; done | sort | uniq -c)
			grep -qv "anon_inode:kvm-" <<<"$fds" && fail "the helper holds more than KVM fds: $fds"
			grep -q "anon_inode:kvm-vm" <<<"$fds" || fail "the helper holds no VM fd: $fds"
			grep -q "anon_inode:kvm-vcpu:0" <<<"$fds" || fail "the helper holds no vCPU fd: $fds"
		else
			[ -z "$helper" ] || fail "--no-async-teardown still started a helper ($helper)"
		fi
		printf 'x' >&3
		rc=0
		wait $pid || rc=$?
		exec 3>&-
		[ $rc -eq 1 ] || fail "$mode: echo guest exit status $rc: $(cat "$TEST_TMP/echo.out" "$TEST_TMP/echo.err")"
		if [ -n "$helper" ]; then
			for i in $(seq 100); do
				[ "$(cat "/proc/$helper/comm" 2>/dev/null)" = cella-teardown ] || break
				grep -q '^State:.*Z' "/proc/$helper/status" 2>/dev/null && break
				sleep 0.05
			done
			[ "$(cat "/proc/$helper/comm" 2>/dev/null)" = cella-teardown ] &&
				! grep -q '^State:.*Z' "/proc/$helper/status" 2>/dev/null &&
				fail "cella-teardown $helper still runs 5 s after the VMM exited"
		fi
	done
	return 0
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
check "--console-socket: a client reads and types; a second is turned away; the file keeps all" case_console_socket
check "--config JSON runs a VM; flags override it" case_config_json_runs
check "--hugepages without huge pages: clear error" case_hugepages_error
check "--hugepages with free huge pages runs" case_hugepages_run
check "VMM memory overhead <= 5 MiB (release build)" case_memory_overhead
check "API: describe, pause, resume, shutdown (ACPI power button)" case_api_shutdown
check "API: PUT paused answers only once every vCPU has parked (one held outside by ptrace)" case_api_pause_waits_for_vcpus
check "config.json: restore and restore_devices (JSON --restore-device; a flag replaces its id)" case_config_restore_devices
check "asynchronous teardown: a cella-teardown child with only KVM fds, gone after exit; --no-async-teardown" case_async_teardown
done_testing
