# Shared by the cella-vmm guest tests: run a freestanding guest, check its verdict; the disk images
# of virtio.elf's blk tests (vmm_virtio_qemu.sh uses those too). Source after lib.bash.

VMM=$CELLA_BUILD/src/vmm/cli/cella-vmm
GUEST_DIR=$CELLA_BUILD/guests

# run_guest_file FILE [cella-vmm args...]: runs $GUEST_DIR/FILE with 32 MiB under `timeout -k 5 60`;
# sets $out (serial), $err (stderr), $rc. The leak check stays on (VMM_ASAN_OPTIONS overrides).
run_guest_file() {
	local guest=$1 name
	shift
	name=$(basename "$guest")
	[ -x "$VMM" ] || fail "$VMM not built"
	[ -f "$GUEST_DIR/$guest" ] || fail "$GUEST_DIR/$guest not built"
	rc=0
	ASAN_OPTIONS=${VMM_ASAN_OPTIONS:-detect_leaks=1} timeout -k 5 60 "$VMM" --kernel "$GUEST_DIR/$guest" \
		--memory 32 "$@" </dev/null >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" || rc=$?
	out=$(cat "$TEST_TMP/$name.out")
	err=$(cat "$TEST_TMP/$name.err")
	[ $rc -ne 124 ] && [ $rc -ne 137 ] || fail "$guest: timed out after 60 s; output: $out $err"
}

expect_status() { # expected
	[ "$rc" -eq "$1" ] || fail "exit status $rc, expected $1; serial: $out; stderr: $err"
}

expect_out() { # pattern
	grep -q -- "$1" <<<"$out" || fail "serial output lacks '$1': $out; stderr: $err"
}

# A guest's debug-exit verdict 0 (pass) makes cella-vmm exit with (0 << 1) | 1 = 1.
expect_pass() {
	expect_status 1
	expect_out '^PASS$'
	! grep -q 'guest crash' <<<"$err" || fail "guest crashed: $err"
}

# make_vdrv_image PATH [filled]: a disk for virtio.elf's blk tests, sector 0 holding the pattern the guest
# checks: 8 sectors, the rest zero; with `filled` 64 sectors, 1-63 0xAB (so zeros show what the guest did).
make_vdrv_image() {
	python3 - "$1" "${2:-}" <<'PY'
import sys
d = bytearray(b"\xab" * 32768) if sys.argv[2] == "filled" else bytearray(4096)
d[:512] = bytes(512)
p = b"cella virtio-blk sector 0"
d[:len(p)] = p
for i in range(64, 512):
    d[i] = i & 0xFF
open(sys.argv[1], "wb").write(d)
PY
}

# vdrv_image_check PATH WHAT: WHAT = written (sector 1 holds byte i ^ 0x5a), indirect (sector 2 byte
# i * 7 + 3) or zeroed (a filled image still 64 sectors: 8-23 zero after write-zeroes, 24-39 zero or
# untouched as discard is advisory, 1-7 and 40-63 untouched; prints which of the two discard did).
vdrv_image_check() {
	python3 - "$1" "$2" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
S = 512
if sys.argv[2] == "written":
    sys.exit(0 if d[S:2*S] == bytes((i ^ 0x5A) & 0xFF for i in range(512)) else "sector 1 not written")
if sys.argv[2] == "indirect":
    sys.exit(0 if d[2*S:3*S] == bytes((i * 7 + 3) & 0xFF for i in range(512)) else "sector 2 not written")
if len(d) != 64 * S: sys.exit("image size changed: %d" % len(d))
if d[8*S:24*S] != bytes(16*S): sys.exit("sectors 8-23 not zero after write-zeroes")
disc = d[24*S:40*S]
if disc not in (bytes(16*S), b"\xab" * (16*S)): sys.exit("sectors 24-39 neither discarded nor untouched")
if d[S:8*S] != b"\xab" * (7*S) or d[40*S:] != b"\xab" * (24*S): sys.exit("sectors outside the ranges changed")
print("discarded" if disc == bytes(16*S) else "discard ignored by the file system")
PY
}

# ---- VMs run in the background with an API socket (the snapshot suites); WAIT_S, set by the caller,
# bounds every wait ----

PIDS=()
# kill_vms: for an EXIT trap; whatever happens, no VMM in $PIDS outlives the case (nor a TAP it opened).
kill_vms() {
	local p
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	return 0
}

vm_api() { # SOCKET curl-args...
	local sock=$1
	shift
	curl -s --max-time 60 --unix-socket "$sock" "$@"
}

# wait_socket SOCK PID [ERRFILE]: until SOCK exists (the VMM must stay alive); ERRFILE goes into the failure.
wait_socket() {
	local i
	for ((i = 0; i < WAIT_S * 10; i++)); do
		[ -S "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || fail "the VMM died before its API socket appeared${3:+: $(cat "$3" 2>/dev/null)}"
		sleep 0.1
	done
	fail "no API socket $1 after $WAIT_S s"
}

# wait_exit PID STATUS [SIGNAL [LOG]]: waits (bounded) for PID to exit with STATUS; SIGNAL sent first if
# given; the end of LOG (the guest's console) goes into the failure message.
wait_exit() {
	local pid=$1 want=$2 rc=0 i
	[ -n "${3:-}" ] && kill "-$3" "$pid" 2>/dev/null
	for ((i = 0; i < WAIT_S * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && fail "VMM $pid still running after $WAIT_S s"
	wait "$pid" || rc=$?
	[ "$rc" -eq "$want" ] || fail "VMM $pid exited with $rc, expected $want${4:+: $(tail -c 300 "$4")}"
}

# snapshot SOCK PATH [TYPE [RESUME]]: PUT /vm/snapshot (default full, leaving the VM paused); expects 204.
snapshot() {
	local code
	code=$(vm_api "$1" -o "$TEST_TMP/snap.resp" -w '%{http_code}' -X PUT \
		-d "{\"path\":\"$2\",\"type\":\"${3:-full}\",\"resume\":${4:-false}}" http://localhost/vm/snapshot)
	[ "$code" = 204 ] || fail "PUT /vm/snapshot $2 (${3:-full}): HTTP $code $(cat "$TEST_TMP/snap.resp")"
}
