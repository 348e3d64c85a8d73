#!/usr/bin/env bash
# The Linux lane of cella-vmm: a real Linux kernel boots through PVH with 2 vCPUs,
# runs the tiny /init of guests/linux (CPU count, marker) and powers off cleanly.
#  - the project's minimal kernel (scripts/build-test-kernel, cached per machine;
#    the first build takes minutes), with the boot-parameter-gated workarounds
#    that a nested, software-assisted KVM needs (guests/linux/README.md);
#  - the same kernel with Linux's own virtio drivers, in one boot: root file system
#    on an ext4 image over virtio-blk, a UDP echo over virtio-net to the host side of
#    a TAP in a network namespace, a line over virtio-vsock to a host unix socket,
#    /dev/hwrng from virtio-rng (guests/linux/virtio_checks.c);
#  - Debian's stock kernel (linux-image-amd64), only on hardware-assisted KVM.
source "$(dirname "$0")/lib.bash"

VMM=$CELLA_BUILD/src/vmm/cli/cella-vmm
BOOT_TIMEOUT=300
# The first run on a machine builds the kernel (minutes on a slow 2-core machine) inside the case.
CELLA_CASE_TIMEOUT=1500

# docs/linux-lane.md explains each one. clearcpuid: popcnt, erms, smap, fsrm.
# No nopv: cella-vmm hides the KVM PV features that need a hypercall (which hangs on
# a nested kvm_pvm), so the kernel keeps kvmclock and the other PV interfaces.
BOOT_PARAMS="console=ttyS0 quiet panic=-1 lpj=10000000 tsc=reliable noxsave nofsgsbase"
BOOT_PARAMS+=" clearcpuid=151,297,308,580 mitigations=off rodata=off reboot=k"
WORKAROUND_PARAMS="cella_skip_int3_selftest cella_syscall_fault_fixup cella_skip_fpu_drop_fwait"

need_vmm() {
	[ -x "$VMM" ] || fail "cella-vmm is not built: $VMM (CELLA_BUILD=$CELLA_BUILD)"
}

need_initramfs() {
	need_cmd gcc
	need_cmd python3
	"$CELLA_TOP/guests/linux/mkinitramfs" --out "$TEST_TMP/init.cpio" >/dev/null ||
		fail "guests/linux/mkinitramfs failed"
}

kvm_hw_assisted() {
	{ [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; } &&
		grep -qwE 'vmx|svm' /proc/cpuinfo
}

# run_vmm NAME CMDLINE [PREFIX... --] [cella-vmm args...]: boots the kernel in $kernel
# with 2 vCPUs and the console in $TEST_TMP/NAME.console, under PREFIX (e.g. `ip netns
# exec NS`) when one is given; wants a clean power-off and no panic. Prints the boot
# time; leaves the console, "\r" removed, in the file $console.
run_vmm() {
	local name=$1 cmdline=$2 prefix=() rc start end stderr
	shift 2
	if [[ " $* " == *" -- "* ]]; then
		while [ "$1" != "--" ]; do
			prefix+=("$1")
			shift
		done
		shift
	fi
	console=$TEST_TMP/$name.console
	stderr=$TEST_TMP/$name.stderr
	start=$(date +%s.%N)
	"${prefix[@]}" timeout -k 10 "$BOOT_TIMEOUT" "$VMM" --kernel "$kernel" --cpus 2 --cmdline "$cmdline" \
		--console "file:$console" "$@" </dev/null 2>"$stderr"
	rc=$?
	end=$(date +%s.%N)
	echo "boot of $kernel ($name): exit status $rc after $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s"
	# The guest's tty turns "\n" into "\r\n".
	tr -d '\r' <"$console" >"$console.txt" 2>/dev/null
	console=$console.txt
	if [ $rc -ne 0 ]; then
		echo "--- cella-vmm stderr:"
		tail -n 15 "$stderr"
		echo "--- guest console:"
		tail -n 20 "$console"
		if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then fail "no power-off within ${BOOT_TIMEOUT} s"; fi
		fail "cella-vmm exited with status $rc, want 0 (clean power-off)"
	fi
	grep -a "cella-linux-init: uptime" "$console" || true
	if grep -aq "Kernel panic" "$console"; then
		tail -n 20 "$console"
		fail "the guest kernel panicked (a reset after panic=-1 is not a clean power-off)"
	fi
}

# Checks the console of a boot: the marker (nothing failed) and 2 CPUs online.
expect_marker_and_cpus() {
	grep -aq "^CELLA-LINUX-OK" "$console" || {
		tail -n 20 "$console"
		fail "marker CELLA-LINUX-OK missing from the guest console"
	}
	grep -aq "^cella-linux-init: online cpus 2$" "$console" || {
		grep -a "online cpus" "$console"
		fail "the guest did not report 2 online CPUs"
	}
}

# Sets $kernel to the minimal kernel, building it once per machine (a skip when its
# prerequisites are missing and cannot be installed).
need_test_kernel() {
	local rc
	kernel=$("$CELLA_TOP/scripts/build-test-kernel" 2>"$TEST_TMP/build.err")
	rc=$?
	if [ $rc -eq 3 ]; then
		tail -n 3 "$TEST_TMP/build.err"
		echo "cannot build the test kernel: $(grep -m1 'missing' "$TEST_TMP/build.err")"
		exit 77
	fi
	[ $rc -eq 0 ] || {
		tail -n 30 "$TEST_TMP/build.err"
		fail "scripts/build-test-kernel failed (exit $rc)"
	}
	[ -f "$kernel" ] || fail "scripts/build-test-kernel printed '$kernel', not a file"
}

test_minimal_kernel() {
	need_kvm
	need_vmm
	need_initramfs
	need_test_kernel
	run_vmm minimal "$BOOT_PARAMS $WORKAROUND_PARAMS" --initrd "$TEST_TMP/init.cpio" --memory 64
	expect_marker_and_cpus
}

# The virtio case. Addresses of the TAP's host side and the guest, the UDP echo port,
# and the host vsock port the guest connects to (cella-vmm maps it to the unix socket
# <vsock socket>_<port>).
NET_HOST_IP=10.213.7.1
NET_GUEST_IP=10.213.7.2
UDP_PORT=5555
VSOCK_PORT=1234
NS=cella-linux-$$
TAP=cltap0
# How long the host-side peer serves: past the boot timeout, so it is never what fails.
PEER_SECONDS=$((BOOT_TIMEOUT + 30))

# The host side of the virtio case, run in the network namespace: a UDP echo on
# NET_HOST_IP:UDP_PORT and a unix listener for the guest's vsock connection. Each
# answers "pong " + what it got and logs what it got. Creates READY once both listen.
write_peer() {
	cat >"$TEST_TMP/peer.py" <<'PY'
import os, select, signal, socket, sys, time

host_ip, udp_port, unix_path, out_dir, seconds = sys.argv[1:6]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind((host_ip, int(udp_port)))
lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
lst.bind(unix_path)
lst.listen(4)
open(os.path.join(out_dir, "READY"), "w").close()
deadline = time.monotonic() + float(seconds)
conns = {}
while time.monotonic() < deadline:
    ready, _, _ = select.select([udp, lst, *conns], [], [], 1.0)
    for s in ready:
        if s is udp:
            data, peer = udp.recvfrom(2048)
            with open(os.path.join(out_dir, "udp.log"), "ab") as f:
                f.write(data + b"\n")
            udp.sendto(b"pong " + data, peer)
        elif s is lst:
            c, _ = lst.accept()
            conns[c] = b""
        else:
            data = s.recv(2048)
            if not data:
                del conns[s]
                s.close()
                continue
            conns[s] += data
            if conns[s].endswith(b"\n"):
                with open(os.path.join(out_dir, "vsock.log"), "ab") as f:
                    f.write(conns[s])
                s.sendall(b"pong " + conns[s])
                conns[s] = b""
PY
}

# Removes what the virtio case set up; safe to run twice and after a partial set-up.
virtio_cleanup() {
	if [ -n "${peer_pid:-}" ]; then
		kill "$peer_pid" 2>/dev/null
		wait "$peer_pid" 2>/dev/null
		peer_pid=
	fi
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	return 0
}

# The ext4 root: /init (guests/linux, static), busybox-static, the host's token.
make_root_image() {
	local root=$TEST_TMP/rootfs
	mkdir -p "$root"/{bin,cella,dev,proc,sys} || fail "cannot create $root"
	"$CELLA_TOP/guests/linux/mkinitramfs" --init-out "$root/init" >/dev/null ||
		fail "guests/linux/mkinitramfs failed"
	cp /bin/busybox "$root/bin/busybox" || fail "cannot copy /bin/busybox"
	echo "$token" >"$root/cella/host.txt"
	# No journal: the guest syncs and remounts read-only before the power-off, and a
	# journal would only be more blocks for the emulated kernel to set up.
	mkfs.ext4 -q -F -O ^has_journal -L cella-root -d "$root" "$image" 16M >"$TEST_TMP/mkfs.log" 2>&1 || {
		cat "$TEST_TMP/mkfs.log"
		fail "mkfs.ext4 -d failed"
	}
}

# expect_check NAME: the guest printed "check NAME ok".
expect_check() {
	grep -aq "^cella-linux-init: check $1 ok" "$console" || fail "the guest did not pass its '$1' check"
}

test_virtio_devices() {
	local cmdline image=$TEST_TMP/root.ext4 token i rng guest_file digest
	need_kvm
	need_root
	need_vmm
	need_cmd gcc
	need_cmd python3
	need_cmd ip
	need_cmd mkfs.ext4
	need_cmd debugfs
	need_cmd e2fsck
	need_cmd sha256sum
	[ -x /bin/busybox ] && LC_ALL=C ldd /bin/busybox 2>&1 | grep -q 'not a dynamic executable' ||
		{ echo "needs a static /bin/busybox (busybox-static)"; exit 77; }
	[ -c /dev/net/tun ] || { echo "needs /dev/net/tun"; exit 77; }
	need_test_kernel

	token=cella-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	make_root_image

	peer_pid=
	trap virtio_cleanup EXIT
	trap 'exit 143' TERM
	ip netns add "$NS" || fail "ip netns add $NS failed"
	ip -n "$NS" link set lo up &&
		ip -n "$NS" tuntap add dev "$TAP" mode tap &&
		ip -n "$NS" addr add "$NET_HOST_IP/24" dev "$TAP" &&
		ip -n "$NS" link set "$TAP" up || fail "cannot set up $TAP in $NS"
	write_peer
	ip netns exec "$NS" python3 "$TEST_TMP/peer.py" "$NET_HOST_IP" "$UDP_PORT" \
		"$TEST_TMP/vsock.sock_$VSOCK_PORT" "$TEST_TMP" "$PEER_SECONDS" >"$TEST_TMP/peer.log" 2>&1 &
	peer_pid=$!
	# Bounded: 10 s for python3 to bind two sockets.
	for ((i = 0; i < 100; i++)); do
		[ -e "$TEST_TMP/READY" ] && break
		kill -0 "$peer_pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -e "$TEST_TMP/READY" ] || {
		cat "$TEST_TMP/peer.log"
		fail "the host-side UDP/unix peer did not start"
	}

	cmdline="$BOOT_PARAMS $WORKAROUND_PARAMS root=/dev/vda rootfstype=ext4 rw init=/init cella_checks=1"
	cmdline+=" cella_guest_ip=$NET_GUEST_IP cella_host_ip=$NET_HOST_IP cella_udp_port=$UDP_PORT"
	cmdline+=" cella_vsock_port=$VSOCK_PORT"
	run_vmm virtio "$cmdline" ip netns exec "$NS" -- --memory 64 --disk "path=$image" --net "tap=$TAP" \
		--vsock "cid=3,socket=$TEST_TMP/vsock.sock" --rng
	grep -a "cella-linux-init: check" "$console"

	expect_check rootfs
	expect_check hostfile
	grep -aqx "cella-linux-init: check hostfile ok: $token" "$console" || fail "the guest did not read $token"
	expect_check exec
	digest=$(sha256sum <"$TEST_TMP/rootfs/cella/host.txt" | cut -d' ' -f1)
	grep -aqx "$digest  /cella/host.txt" "$console" ||
		fail "busybox sha256sum in the guest did not print the host file's digest $digest"
	expect_check hwrng
	expect_check net
	grep -qx "cella-udp $token" "$TEST_TMP/udp.log" 2>/dev/null || fail "the UDP peer did not get 'cella-udp $token'"
	expect_check vsock
	grep -qx "cella-vsock $token" "$TEST_TMP/vsock.log" 2>/dev/null ||
		fail "the vsock peer did not get 'cella-vsock $token'"
	expect_check guestfile
	expect_check remount
	expect_marker_and_cpus

	# What the host finds in the image after the power-off: a clean file system with the guest's file.
	e2fsck -fn "$image" >"$TEST_TMP/fsck.log" 2>&1 || {
		cat "$TEST_TMP/fsck.log"
		fail "e2fsck -fn finds the image unclean after the guest's power-off"
	}
	guest_file=$(debugfs -R "cat /cella/guest.txt" "$image" 2>/dev/null)
	rng=$(grep -a "^cella-linux-init: check hwrng ok" "$console" | awk '{ print $NF }')
	[ "$guest_file" = "guest-saw $token"$'\n'"rng $rng" ] || {
		echo "guest.txt: $guest_file"
		fail "/cella/guest.txt in the image is not 'guest-saw $token' + 'rng $rng'"
	}
	echo "guest.txt in the image: $(tr '\n' ' ' <<<"$guest_file")"
}

# Newest Debian kernel image in /boot, installing linux-image-amd64 when root.
stock_kernel() {
	local k
	k=$(ls -1v /boot/vmlinuz-*-amd64 2>/dev/null | tail -n1)
	if [ -z "$k" ] && [ "$(id -u)" -eq 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends linux-image-amd64 >&2 ||
			return 1
		k=$(ls -1v /boot/vmlinuz-*-amd64 2>/dev/null | tail -n1)
	fi
	[ -n "$k" ] && echo "$k"
}

test_stock_kernel() {
	need_kvm
	if ! kvm_hw_assisted; then
		if [ -d /sys/module/kvm_pvm ]; then
			echo "host KVM is not hardware-assisted (nested kvm_pvm)"
		else
			echo "host KVM is not hardware-assisted (no kvm_intel/kvm_amd with vmx/svm)"
		fi
		exit 77
	fi
	need_vmm
	need_initramfs
	kernel=$(stock_kernel) || {
		echo "no Debian kernel in /boot and linux-image-amd64 cannot be installed (not root or apt-get failed)"
		exit 77
	}
	# No workarounds: on hardware-assisted KVM the stock kernel runs unmodified.
	run_vmm stock "console=ttyS0 quiet panic=-1 reboot=k" --initrd "$TEST_TMP/init.cpio" --memory 256
	expect_marker_and_cpus
}

check "linux: minimal kernel, PVH, 2 vCPUs, clean power-off" test_minimal_kernel
check "linux: virtio drivers (ext4 root on virtio-blk, virtio-net UDP echo, vsock, hwrng)" test_virtio_devices
check "linux: Debian stock kernel on hardware-assisted KVM" test_stock_kernel
done_testing
