#!/usr/bin/env bash
# The QEMU cross-check of the freestanding virtio driver (guests/virtio/vdrv.c):
# the same guests/virtio/virtio.elf that vmm_virtio.sh runs on cella-vmm runs
# on Debian's qemu-system-x86_64 with QEMU's modern-only virtio-pci devices
# (disable-legacy=on): rng, blk (read/write/flush, read-only, indirect
# descriptors with EVENT_IDX, discard and write-zeroes, GET_ID), console,
# net through a TAP in a network namespace, MSI-X and INTx. A guest bug and a cella-vmm bug cannot hide each other this
# way: the driver must work on both.
#
# How the guest boots there: QEMU's -kernel loads a Multiboot v1 ELF (after
# SeaBIOS, which also assigns the PCI BARs and Interrupt Lines, as cella-vmm
# does itself) and -append is the Multiboot command line; isa-debug-exit at
# 0xf4 gives the same exit status as cella-vmm's port: (verdict << 1) | 1.
# Accelerator: KVM when /dev/kvm is usable, else (or when QEMU cannot use it)
# TCG; CELLA_QEMU_ACCEL=tcg forces TCG.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/vmm_helpers.bash" # the disk images; its expect_pass is replaced below

QEMU=qemu-system-x86_64
GUEST=$GUEST_DIR/virtio/virtio.elf

# accel_args: KVM first, TCG as QEMU's own fallback. `-cpu max` is valid for both; arch-capabilities
# off because QEMU aborts on MSR 0x10a with it on the nested KVM of the CI hosts (kvm-host-notes.md).
accel_args() {
	if [ "${CELLA_QEMU_ACCEL:-}" != tcg ] && kvm_usable; then
		echo "-accel kvm -accel tcg -cpu max,-arch-capabilities"
	else
		echo "-accel tcg -cpu max"
	fi
}

# run_qemu_in PREFIX... -- [qemu args...]: the guest on a bare pc machine under `timeout -k 5 60`, COM1 on stdout;
# sets $out (serial, escape sequences dropped), $err, $rc. PREFIX is e.g. `ip netns exec NS` (or nothing).
run_qemu_in() {
	local prefix=()
	while [ "$1" != -- ]; do
		prefix+=("$1")
		shift
	done
	shift
	[ -f "$GUEST" ] || fail "$GUEST not built"
	rc=0
	# shellcheck disable=SC2046 # accel_args is a list of words
	"${prefix[@]}" timeout -k 5 60 "$QEMU" -M pc $(accel_args) -m 32 -nodefaults -nographic -no-reboot \
		-serial stdio -monitor none -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$GUEST" "$@" \
		</dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
	out=$(tr -d '\033' <"$TEST_TMP/out")
	err=$(cat "$TEST_TMP/err")
	[ $rc -ne 124 ] && [ $rc -ne 137 ] || fail "timed out after 60 s; output: $out $err"
	if grep -q 'falling back to tcg' <<<"$err"; then
		echo "# QEMU fell back to TCG: $err"
	fi
}

run_qemu() {
	run_qemu_in -- "$@"
}

expect_pass() {
	[ "$rc" -eq 1 ] || fail "exit status $rc, expected 1 (guest verdict PASS); serial: $out; stderr: $err"
	# SeaBIOS's last line ("Booting from ROM..") has no newline: the guest's first line follows it.
	grep -qE '(^|ROM\.\.)PASS$' <<<"$out" || fail "no PASS on the serial console: $out; stderr: $err"
}

need_qemu() {
	need_cmd "$QEMU"
	need_cmd python3
}

disk_args() { # PATH [drive options] [device options]
	echo "-drive file=$1,format=raw,if=none,id=d0${2:+,$2} -device virtio-blk-pci,drive=d0,disable-legacy=on${3:+,$3}"
}

case_rng() {
	need_qemu
	run_qemu -append test=rng -device virtio-rng-pci,disable-legacy=on
	expect_pass
	grep -q 'rng: 64 random bytes' <<<"$out" || fail "no rng line: $out"
}

case_blk() {
	need_qemu
	make_vdrv_image "$TEST_TMP/disk.img" filled
	# shellcheck disable=SC2046
	run_qemu -append test=blk $(disk_args "$TEST_TMP/disk.img")
	expect_pass
	vdrv_image_check "$TEST_TMP/disk.img" written || fail "the image does not hold the guest's write"
}

case_blk_readonly() {
	need_qemu
	make_vdrv_image "$TEST_TMP/disk.img" filled
	cp "$TEST_TMP/disk.img" "$TEST_TMP/disk.orig"
	# shellcheck disable=SC2046
	run_qemu -append test=blk-ro $(disk_args "$TEST_TMP/disk.img" readonly=on)
	expect_pass
	grep -q 'blk: read-only write refused' <<<"$out" || fail "no refusal line: $out"
	cmp -s "$TEST_TMP/disk.img" "$TEST_TMP/disk.orig" || fail "the read-only image changed"
}

case_blk_discard() {
	need_qemu
	make_vdrv_image "$TEST_TMP/disk.img" filled
	# shellcheck disable=SC2046
	run_qemu -append test=blk-discard $(disk_args "$TEST_TMP/disk.img" discard=unmap)
	expect_pass
	vdrv_image_check "$TEST_TMP/disk.img" zeroed || fail "image bytes wrong after discard/write-zeroes"
}

case_blk_indirect() {
	need_qemu
	make_vdrv_image "$TEST_TMP/disk.img" filled
	# shellcheck disable=SC2046
	run_qemu -append test=blk-indirect $(disk_args "$TEST_TMP/disk.img")
	expect_pass
	vdrv_image_check "$TEST_TMP/disk.img" indirect || fail "the image does not hold the guest's write"
}

case_blk_id() {
	need_qemu
	make_vdrv_image "$TEST_TMP/disk.img" filled
	# shellcheck disable=SC2046
	run_qemu -append "test=blk-id id=qemu-disk-1" $(disk_args "$TEST_TMP/disk.img" "" serial=qemu-disk-1)
	expect_pass
	grep -q 'blk-id: qemu-disk-1' <<<"$out" || fail "no id line: $out"
}

case_console() {
	need_qemu
	need_cmd mkfifo
	local line
	# A pipe chardev: QEMU reads PATH.in and writes PATH.out; this shell holds both open read-write,
	# so nothing blocks, and the host's line waits in the FIFO until the guest asks for it.
	mkfifo "$TEST_TMP/cons.in" "$TEST_TMP/cons.out"
	exec 3<>"$TEST_TMP/cons.in" 4<>"$TEST_TMP/cons.out"
	printf 'hello from the host console\n' >&3
	run_qemu -append test=console -chardev "pipe,id=c0,path=$TEST_TMP/cons" \
		-device virtio-serial-pci,disable-legacy=on,max_ports=1 -device virtconsole,chardev=c0,nr=0
	expect_pass
	line=$(timeout 5 head -n1 <&4) || fail "nothing on the console's output pipe"
	[ "$line" = "hello from the virtio console" ] || fail "the console output pipe holds: $line"
}

case_msix() {
	need_qemu
	run_qemu -append test=msix -device virtio-rng-pci,disable-legacy=on
	expect_pass
	grep -q 'irq: MSI-X interrupt completed the request' <<<"$out" || fail "no MSI-X line: $out"
}

case_intx() {
	need_qemu
	run_qemu -append test=intx -device virtio-rng-pci,disable-legacy=on
	expect_pass
	grep -q 'irq: INTx interrupt completed the request' <<<"$out" || fail "no INTx line: $out"
}

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

case_net() {
	need_qemu
	need_root
	need_cmd ip
	[ -c /dev/net/tun ] || { echo "needs /dev/net/tun"; exit 77; }
	local deadline=$((SECONDS + 20))
	# Globals, not locals: the EXIT trap runs after this function returned.
	ns=cella-vq-$$-$RANDOM
	listener=
	# shellcheck disable=SC2317 # called by the trap
	cleanup() {
		[ -z "$listener" ] || { kill "$listener" 2>/dev/null; wait "$listener" 2>/dev/null; }
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
	ip netns exec "$ns" python3 -c "$UDP_ECHO" 10.99.0.1 5555 "$TEST_TMP/udp" &
	listener=$!
	while [ ! -e "$TEST_TMP/udp.ready" ]; do
		[ $SECONDS -lt $deadline ] || fail "the UDP listener did not start"
		sleep 0.05
	done
	run_qemu_in ip netns exec "$ns" -- -append test=net \
		-netdev tap,id=n0,ifname=vtap0,script=no,downscript=no \
		-device virtio-net-pci,netdev=n0,disable-legacy=on,mac=52:54:00:12:34:56
	expect_pass
	grep -q 'net: UDP reply from the host' <<<"$out" || fail "no UDP line: $out"
	[ "$(cat "$TEST_TMP/udp" 2>/dev/null)" = "10.99.0.2 cella-net ping" ] ||
		fail "the host's UDP listener got: $(cat "$TEST_TMP/udp" 2>/dev/null)"
}

case_missing_device_fails() {
	need_qemu
	# No rng device: the driver must say so (the cross-check can fail).
	run_qemu -append test=rng
	[ "$rc" -eq 3 ] || fail "exit status $rc, expected 3 (guest verdict FAIL); serial: $out"
	grep -q 'no virtio device of that type' <<<"$out" || fail "unexpected output: $out"
}

check "qemu rng: 64 random bytes" case_rng
check "qemu blk: read sector 0, write sector 1, flush" case_blk
check "qemu blk: read-only disk refuses a write with IOERR" case_blk_readonly
check "qemu blk: write-zeroes and discard change the image file" case_blk_discard
check "qemu blk: indirect descriptors and EVENT_IDX" case_blk_indirect
check "qemu blk: GET_ID returns serial=" case_blk_id
check "qemu console: a line each way through virtconsole port 0" case_console
check "qemu interrupts: MSI-X vector completes a request" case_msix
check "qemu interrupts: INTx through the IOAPIC pin in Interrupt Line" case_intx
check "qemu net: ARP and UDP round trips through a TAP in a netns" case_net
check "qemu without the device: the guest fails, naming it" case_missing_device_fails
done_testing
