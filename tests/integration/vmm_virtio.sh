#!/usr/bin/env bash
# cella-vmm's PCI bus and virtio devices, driven by guests/virtio/virtio.elf (a
# tiny virtio-pci driver that polls the used ring): virtio-rng, virtio-blk
# read/write/flush against an image this test prepares and checks afterwards,
# a read-only disk refusing a write, and option errors. Needs /dev/kvm.
source "$(dirname "$0")/lib.bash"

VMM=$CELLA_BUILD/src/vmm/cli/cella-vmm
GUEST=$CELLA_BUILD/guests/virtio/virtio.elf

# run_vmm [cella-vmm args...]: under `timeout -k 5 60`; sets $out (serial), $err (stderr), $rc.
run_vmm() {
	[ -x "$VMM" ] || fail "$VMM not built"
	[ -f "$GUEST" ] || fail "$GUEST not built"
	rc=0
	ASAN_OPTIONS=detect_leaks=1 timeout -k 5 60 "$VMM" --kernel "$GUEST" --memory 32 "$@" \
		</dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
	out=$(cat "$TEST_TMP/out")
	err=$(cat "$TEST_TMP/err")
	[ $rc -ne 124 ] && [ $rc -ne 137 ] || fail "timed out after 60 s; output: $out $err"
}

expect_pass() {
	[ "$rc" -eq 1 ] || fail "exit status $rc, expected 1 (guest verdict PASS); serial: $out; stderr: $err"
	grep -q '^PASS$' <<<"$out" || fail "no PASS on the serial console: $out; stderr: $err"
}

# make_image PATH: 8 sectors; sector 0 = the pattern the guest checks, the rest zero.
make_image() {
	python3 - "$1" <<'PY'
import sys
d = bytearray(4096)
p = b"cella virtio-blk sector 0"
d[:len(p)] = p
for i in range(64, 512):
    d[i] = i & 0xFF
open(sys.argv[1], "wb").write(d)
PY
}

# sector1_written PATH: whether sector 1 holds what the guest writes (byte i = i ^ 0x5a).
sector1_written() {
	python3 - "$1" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
sys.exit(0 if d[512:1024] == bytes((i ^ 0x5A) & 0xFF for i in range(512)) else 1)
PY
}

case_rng() {
	need_kvm
	need_cmd python3
	run_vmm --cmdline test=rng --rng
	expect_pass
	grep -q 'rng: 64 random bytes' <<<"$out" || fail "no rng line: $out"
}

case_rng_from_json() {
	need_kvm
	echo '{"rng": true}' >"$TEST_TMP/vm.json"
	run_vmm --cmdline test=rng --config "$TEST_TMP/vm.json"
	expect_pass
}

case_blk_read_write_flush() {
	need_kvm
	need_cmd python3
	make_image "$TEST_TMP/disk.img"
	run_vmm --cmdline test=blk --disk "path=$TEST_TMP/disk.img"
	expect_pass
	grep -q 'blk: wrote sector 1, flushed' <<<"$out" || fail "no write line: $out"
	sector1_written "$TEST_TMP/disk.img" || fail "sector 1 of the image does not hold the guest's data"
}

case_blk_from_json() {
	need_kvm
	need_cmd python3
	make_image "$TEST_TMP/disk.img"
	printf '{"disks": [{"path": "%s"}]}\n' "$TEST_TMP/disk.img" >"$TEST_TMP/vm.json"
	run_vmm --cmdline test=blk --config "$TEST_TMP/vm.json"
	expect_pass
	sector1_written "$TEST_TMP/disk.img" || fail "sector 1 of the image does not hold the guest's data"
}

case_blk_readonly_refuses_write() {
	need_kvm
	need_cmd python3
	make_image "$TEST_TMP/ro.img"
	cp "$TEST_TMP/ro.img" "$TEST_TMP/ro.orig"
	run_vmm --cmdline test=blk-ro --disk "path=$TEST_TMP/ro.img,readonly=on"
	expect_pass
	grep -q 'blk: read-only write refused' <<<"$out" || fail "no refusal line: $out"
	cmp -s "$TEST_TMP/ro.img" "$TEST_TMP/ro.orig" || fail "the read-only image changed"
}

case_blk_writable_disk_is_not_ro() {
	need_kvm
	need_cmd python3
	make_image "$TEST_TMP/rw.img"
	# The guest in read-only mode expects F_RO: a writable disk must not offer it.
	run_vmm --cmdline test=blk-ro --disk "path=$TEST_TMP/rw.img"
	[ "$rc" -eq 3 ] || fail "exit status $rc, expected 3 (guest verdict FAIL); serial: $out"
	grep -q 'blk: F_RO not offered' <<<"$out" || fail "unexpected failure: $out"
}

case_bad_disk_option_named() {
	need_kvm
	make_image "$TEST_TMP/disk.img"
	run_vmm --cmdline test=blk --disk "path=$TEST_TMP/disk.img,colour=red"
	[ "$rc" -eq 2 ] || fail "exit status $rc, expected 2; stderr: $err"
	grep -q -- "--disk: unknown option 'colour'" <<<"$err" || fail "error does not name the option: $err"
}

case_bad_disk_syntax_named() {
	run_vmm --disk "readonly"
	[ "$rc" -eq 2 ] || fail "exit status $rc, expected 2; stderr: $err"
	grep -q -- "--disk: readonly: expected key=value" <<<"$err" || fail "error does not name the option: $err"
}

case_missing_disk_named() {
	need_kvm
	run_vmm --cmdline test=blk --disk "path=$TEST_TMP/nope.img"
	[ "$rc" -eq 2 ] || fail "exit status $rc, expected 2; stderr: $err"
	grep -q -- "--disk: path: cannot open" <<<"$err" || fail "error does not name the option: $err"
}

case_bad_json_field_named() {
	echo '{"disks": {"path": "x"}}' >"$TEST_TMP/vm.json"
	run_vmm --config "$TEST_TMP/vm.json"
	[ "$rc" -eq 2 ] || fail "exit status $rc, expected 2; stderr: $err"
	grep -q -- "disks: expected an array of objects" <<<"$err" || fail "error does not name the field: $err"
}

case_reset_port_still_works() {
	need_kvm
	[ -f "$CELLA_BUILD/guests/reset.elf" ] || fail "reset.elf not built"
	rc=0
	timeout -k 5 60 "$VMM" --kernel "$CELLA_BUILD/guests/reset.elf" --memory 32 --cmdline cf9 \
		</dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
	[ "$rc" -eq 0 ] || fail "exit status $rc, expected 0 (reset through 0xCF9 inside the PCI ports)"
	grep -q '0xcf9' "$TEST_TMP/err" || fail "no reset message: $(cat "$TEST_TMP/err")"
}

check "rng: 64 random bytes" case_rng
check "rng from JSON config" case_rng_from_json
check "blk: read sector 0, write sector 1, flush" case_blk_read_write_flush
check "blk from JSON config" case_blk_from_json
check "blk: read-only disk refuses a write with IOERR" case_blk_readonly_refuses_write
check "blk: writable disk does not offer F_RO" case_blk_writable_disk_is_not_ro
check "bad --disk option named, status 2" case_bad_disk_option_named
check "bad --disk syntax named, status 2" case_bad_disk_syntax_named
check "missing disk image named, status 2" case_missing_disk_named
check "bad JSON disks field named, status 2" case_bad_json_field_named
check "reset through 0xCF9 still works with the PCI bus" case_reset_port_still_works
done_testing
