#!/usr/bin/env bash
# cella-vmm's PCI bus and virtio devices, driven by guests/virtio/virtio.elf (a
# tiny virtio-pci driver, guests/virtio/vdrv.c): virtio-rng; virtio-blk
# read/write/flush, indirect descriptors with EVENT_IDX, discard and
# write-zeroes, GET_ID against an image this
# test prepares and checks afterwards; a read-only disk refusing a write;
# virtio-net round trips (ARP, UDP) with the host side of a TAP in a network
# namespace this test creates; virtio-vsock to a host unix listener;
# virtio-console both ways; completion by MSI-X and by INTx; option errors.
# Needs /dev/kvm (net: root and /dev/net/tun too).
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/vmm_helpers.bash"

GUEST=$GUEST_DIR/virtio/virtio.elf

# run_vmm [cella-vmm args...]: virtio.elf through run_guest_file (sets $out, $err, $rc).
run_vmm() {
	run_guest_file virtio/virtio.elf "$@"
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
	make_vdrv_image "$TEST_TMP/disk.img"
	run_vmm --cmdline test=blk --disk "path=$TEST_TMP/disk.img"
	expect_pass
	grep -q 'blk: wrote sector 1, flushed' <<<"$out" || fail "no write line: $out"
	vdrv_image_check "$TEST_TMP/disk.img" written || fail "sector 1 of the image does not hold the guest's data"
}

case_blk_from_json() {
	need_kvm
	need_cmd python3
	make_vdrv_image "$TEST_TMP/disk.img"
	printf '{"disks": [{"path": "%s"}]}\n' "$TEST_TMP/disk.img" >"$TEST_TMP/vm.json"
	run_vmm --cmdline test=blk --config "$TEST_TMP/vm.json"
	expect_pass
	vdrv_image_check "$TEST_TMP/disk.img" written || fail "sector 1 of the image does not hold the guest's data"
}

case_blk_readonly_refuses_write() {
	need_kvm
	need_cmd python3
	make_vdrv_image "$TEST_TMP/ro.img"
	cp "$TEST_TMP/ro.img" "$TEST_TMP/ro.orig"
	run_vmm --cmdline test=blk-ro --disk "path=$TEST_TMP/ro.img,readonly=on"
	expect_pass
	grep -q 'blk: read-only write refused' <<<"$out" || fail "no refusal line: $out"
	cmp -s "$TEST_TMP/ro.img" "$TEST_TMP/ro.orig" || fail "the read-only image changed"
}

case_blk_writable_disk_is_not_ro() {
	need_kvm
	need_cmd python3
	make_vdrv_image "$TEST_TMP/rw.img"
	# The guest in read-only mode expects F_RO: a writable disk must not offer it.
	run_vmm --cmdline test=blk-ro --disk "path=$TEST_TMP/rw.img"
	[ "$rc" -eq 3 ] || fail "exit status $rc, expected 3 (guest verdict FAIL); serial: $out"
	grep -q 'blk: F_RO not offered' <<<"$out" || fail "unexpected failure: $out"
}

case_blk_discard_write_zeroes() {
	need_kvm
	need_cmd python3
	make_vdrv_image "$TEST_TMP/disk.img" filled
	run_vmm --cmdline test=blk-discard --disk "path=$TEST_TMP/disk.img"
	expect_pass
	grep -q 'blk: discard done' <<<"$out" || fail "no discard line: $out"
	vdrv_image_check "$TEST_TMP/disk.img" zeroed || fail "image bytes wrong after discard/write-zeroes"
}

case_blk_indirect_event_idx() {
	need_kvm
	need_cmd python3
	make_vdrv_image "$TEST_TMP/disk.img"
	run_vmm --cmdline test=blk-indirect --disk "path=$TEST_TMP/disk.img"
	expect_pass
	vdrv_image_check "$TEST_TMP/disk.img" indirect || fail "sector 2 of the image does not hold the guest's data"
}

case_blk_get_id() {
	need_kvm
	need_cmd python3
	make_vdrv_image "$TEST_TMP/disk.img"
	run_vmm --cmdline "test=blk-id id=cella-disk-7" --disk "path=$TEST_TMP/disk.img,serial=cella-disk-7"
	expect_pass
	grep -q 'blk-id: cella-disk-7' <<<"$out" || fail "no id line: $out"
	# A different serial must make the guest fail: the check can fail.
	run_vmm --cmdline "test=blk-id id=cella-disk-7" --disk "path=$TEST_TMP/disk.img,serial=other"
	[ "$rc" -eq 3 ] || fail "exit status $rc with a different serial, expected 3; serial: $out"
}

# wait_file SECONDS PATH: polls (bounded) until PATH exists.
wait_file() {
	local deadline=$((SECONDS + $1))
	while [ ! -e "$2" ]; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.05
	done
}

# start_listener FILE PYTHON-ARGS...: runs python3 with ARGS in the background (pid in $listener);
# the script creates FILE.ready once it listens, and the wait for that is bounded.
start_listener() {
	local ready=$1.ready
	shift
	"$@" &
	listener=$!
	wait_file 20 "$ready" || fail "the host-side listener did not start"
}

stop_listener() {
	[ -z "${listener:-}" ] || { kill "$listener" 2>/dev/null; wait "$listener" 2>/dev/null; }
	listener=
}

# A UDP listener: answers one datagram on HOST:PORT with "pong " + the datagram, writes "PEER DATA" to FILE.
UDP_ECHO='
import socket, sys
host, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((host, port))
s.settimeout(50)
open(out + ".ready", "w").close()
data, peer = s.recvfrom(2048)
s.sendto(b"pong " + data, peer)
open(out, "w").write("%s %s\n" % (peer[0], data.decode(errors="replace")))
'

case_net_round_trip() {
	need_kvm
	need_root
	need_cmd ip
	need_cmd python3
	[ -c /dev/net/tun ] || { echo "needs /dev/net/tun"; exit 77; }
	local rx
	# Globals, not locals: the EXIT trap runs after this function returned.
	ns=cella-vv-$$-$RANDOM
	listener=
	# shellcheck disable=SC2317 # called by the trap
	cleanup() {
		stop_listener
		ip netns del "$ns" 2>/dev/null || true
	}
	trap cleanup EXIT
	trap 'exit 143' TERM INT
	ip netns add "$ns" || { echo "cannot create a network namespace"; exit 77; }
	ip netns exec "$ns" sh -ec 'ip link set lo up
		ip tuntap add dev vtap0 mode tap
		ip addr add 10.99.0.1/24 dev vtap0
		ip link set vtap0 up
		sysctl -qw net.ipv6.conf.vtap0.disable_ipv6=1' || fail "cannot set up the TAP in $ns"
	start_listener "$TEST_TMP/udp" ip netns exec "$ns" python3 -c "$UDP_ECHO" 10.99.0.1 5555 "$TEST_TMP/udp"
	rc=0
	ASAN_OPTIONS=detect_leaks=1 ip netns exec "$ns" timeout -k 5 60 "$VMM" --kernel "$GUEST" --memory 32 \
		--cmdline test=net --net tap=vtap0,mac=52:54:00:12:34:56 \
		</dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
	out=$(cat "$TEST_TMP/out")
	err=$(cat "$TEST_TMP/err")
	expect_pass
	grep -q 'net: mac 52:54:00:12:34:56' <<<"$out" || fail "the guest did not read mac= from config space: $out"
	grep -q 'net: ARP reply from the host' <<<"$out" || fail "no ARP line: $out"
	grep -q 'net: UDP reply from the host' <<<"$out" || fail "no UDP line: $out"
	# The host side saw the guest's datagram from the guest's address.
	[ "$(cat "$TEST_TMP/udp" 2>/dev/null)" = "10.99.0.2 cella-net ping" ] ||
		fail "the host's UDP listener got: $(cat "$TEST_TMP/udp" 2>/dev/null)"
	rx=$(ip netns exec "$ns" cat /sys/class/net/vtap0/statistics/rx_packets)
	[ "$rx" -ge 2 ] || fail "the TAP counted $rx received packets, expected the ARP request and the datagram"
}

# A unix listener: reads a line, writes it to FILE, answers "hello from the host", waits for EOF.
VSOCK_PEER='
import socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
s.settimeout(50)
open(out + ".ready", "w").close()
c, _ = s.accept()
c.settimeout(50)
data = b""
while b"\n" not in data:
    b = c.recv(256)
    if not b:
        break
    data += b
open(out, "wb").write(data)
c.sendall(b"hello from the host\n")
while c.recv(256):
    pass
'

case_vsock_to_host() {
	need_kvm
	need_cmd python3
	listener=
	trap stop_listener EXIT
	trap 'exit 143' TERM INT
	# Firecracker's model: a guest connection to host port 5000 reaches the unix socket <socket>_5000.
	start_listener "$TEST_TMP/vsock" python3 -c "$VSOCK_PEER" "$TEST_TMP/v.sock_5000" "$TEST_TMP/vsock"
	run_vmm --cmdline "test=vsock cid=7 port=5000" --vsock "cid=7,socket=$TEST_TMP/v.sock"
	expect_pass
	grep -q 'vsock: cid 7' <<<"$out" || fail "no cid line: $out"
	grep -q 'vsock: data both ways' <<<"$out" || fail "no data line: $out"
	[ "$(cat "$TEST_TMP/vsock" 2>/dev/null)" = "hello from the guest" ] ||
		fail "the host listener got: $(cat "$TEST_TMP/vsock" 2>/dev/null)"
	[ ! -e "$TEST_TMP/v.sock" ] || fail "the vsock socket was left behind"
}

case_vsock_refused() {
	need_kvm
	# Nobody listens on port 5001: the guest's connection request must be reset.
	run_vmm --cmdline "test=vsock cid=7 port=5001" --vsock "cid=7,socket=$TEST_TMP/v.sock"
	[ "$rc" -eq 3 ] || fail "exit status $rc, expected 3 (guest verdict FAIL); serial: $out"
	grep -q 'vsock: the host reset the connection' <<<"$out" || fail "unexpected failure: $out"
}

case_console_both_ways() {
	need_kvm
	printf 'hello from the host console\n' >"$TEST_TMP/console.in"
	run_vmm --cmdline test=console --virtio-console="input=$TEST_TMP/console.in,output=$TEST_TMP/console.out"
	expect_pass
	grep -q 'console: line read' <<<"$out" || fail "no read line: $out"
	[ "$(cat "$TEST_TMP/console.out" 2>/dev/null)" = "hello from the virtio console" ] ||
		fail "the console output file holds: $(cat "$TEST_TMP/console.out" 2>/dev/null)"
}

case_msix_interrupt() {
	need_kvm
	run_vmm --cmdline test=msix --rng
	expect_pass
	grep -q 'irq: MSI-X interrupt completed the request' <<<"$out" || fail "no MSI-X line: $out"
}

case_intx_interrupt() {
	need_kvm
	run_vmm --cmdline test=intx --rng
	expect_pass
	grep -q 'irq: INTx interrupt completed the request' <<<"$out" || fail "no INTx line: $out"
}

case_bad_disk_option_named() {
	need_kvm
	make_vdrv_image "$TEST_TMP/disk.img"
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
check "blk: write-zeroes and discard change the image file" case_blk_discard_write_zeroes
check "blk: indirect descriptors and EVENT_IDX" case_blk_indirect_event_idx
check "blk: GET_ID returns serial=" case_blk_get_id
check "net: ARP and UDP round trips with the host side of a TAP in a netns" case_net_round_trip
check "vsock: guest connects to a host unix listener, data both ways" case_vsock_to_host
check "vsock: a connection nobody listens for is reset" case_vsock_refused
check "console: a line out to a file, a line in from a file" case_console_both_ways
check "interrupts: MSI-X vector completes a request" case_msix_interrupt
check "interrupts: INTx through the IOAPIC pin in Interrupt Line" case_intx_interrupt
check "bad --disk option named, status 2" case_bad_disk_option_named
check "bad --disk syntax named, status 2" case_bad_disk_syntax_named
check "missing disk image named, status 2" case_missing_disk_named
check "bad JSON disks field named, status 2" case_bad_json_field_named
check "reset through 0xCF9 still works with the PCI bus" case_reset_port_still_works
done_testing
