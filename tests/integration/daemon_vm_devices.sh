#!/usr/bin/env bash
# cellad VM devices and snapshots end to end, as root, on the real cella-vmm and KVM:
# - a VM image with a raw disk: each instance gets its own copy (reflink or sparse), attached with --disk;
# - a NIC on the managed network: cellad runs inside `unshare -n -m` (as daemon_network.sh does), so the
#   bridge and every TAP live and die in that namespace; the TAP is on cellabr0, the VMM gets the
#   instance's stable 00:16:3e MAC, stop and delete remove the TAP;
# - snapshots of a running freestanding guest (guests/snapshot/counter.elf, no devices): create, list,
#   show, restore (the console continues from the snapshot point), delete, bad requests.
# - kill -9 cellad in the middle of a snapshot of a running VM: the restart resumes it, drops the half snapshot.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/daemon_helpers.bash"

VMM="$CELLA_BUILD/src/vmm/cli/cella-vmm"
BUTTON="$CELLA_BUILD/guests/acpi-button.elf"
COUNTER="$CELLA_BUILD/guests/snapshot/counter.elf"

need_vm() {
	need_cellad
	need_kvm
	[ -x "$VMM" ] || { echo "cella-vmm not built at $VMM"; exit 77; }
	[ -f "$BUTTON" ] && [ -f "$COUNTER" ] || { echo "test guests not built under $CELLA_BUILD/guests"; exit 77; }
}

vmm_cmdline() { tr '\0' ' ' <"/proc/$(cat "$D/root/instances/$1/vmm.pid")/cmdline"; }
config_key() { api GET "/1.0/instances/$1" && jget "d['metadata']['config'].get('$2', '')"; }

case_disk_and_nic() {
	need_vm
	need_cmd unshare
	need_cmd nsenter
	need_cmd ip
	need_cmd nft
	trap cleanup_vm EXIT
	start_netns_daemon "$TEST_TMP/dev"
	# A 64 MiB raw disk, mostly a hole, with a marker at 1 MiB.
	truncate -s 64M "$D/disk.img"
	printf 'cella-disk-marker' | dd of="$D/disk.img" bs=1M seek=1 conv=notrunc status=none
	import_vm_image bdisk "$BUTTON" "" "$D/disk.img"
	api GET /1.0/images/aliases/bdisk
	api GET "/1.0/images/$(jget 'd["metadata"]["target"]')"
	[ "$(jget 'd["metadata"]["vm_disk"]["size"]')" = 67108864 ] || fail "image does not record its disk: $BODY"

	api POST /1.0/instances -d '{"name":"vd","type":"vm","source":{"alias":"bdisk"},"start":true,"config":{"limits.memory":"32MiB"}}'
	wait_op
	wait_console vd READY
	local inst="$D/root/instances/vd" img
	img=$(ls -d "$D"/root/images/*/vm/disk.img)
	[ -f "$inst/disk.img" ] || fail "no disk copy in the instance"
	[ "$(stat -c %i "$inst/disk.img")" != "$(stat -c %i "$img")" ] || fail "the instance disk is the image's file"
	cmp -s "$inst/disk.img" "$img" || fail "the disk copy differs from the image's"
	# Sparse (or reflinked): the copy does not allocate the 64 MiB hole.
	[ "$(stat -c %b "$inst/disk.img")" -lt 16384 ] || fail "disk copy is not sparse: $(stat -c %b "$inst/disk.img") blocks"
	local method
	method=$(config_key vd volatile.root.copy)
	[ "$method" = reflink ] || [ "$method" = sparse-copy ] || fail "copy method not recorded: $BODY"
	vmm_cmdline vd | grep -q -- "--disk path=$inst/disk.img" || fail "no --disk: $(vmm_cmdline vd)"

	# The NIC: a stable MAC in the database, a TAP on cellabr0, the VMM told both.
	local mac tap
	mac=$(config_key vd volatile.eth0.hwaddr)
	tap=$(config_key vd volatile.eth0.host_name)
	[[ "$mac" =~ ^00:16:3e:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$ ]] || fail "MAC '$mac'"
	vmm_cmdline vd | grep -q -- "--net tap=$tap,mac=$mac" || fail "no --net: $(vmm_cmdline vd)"
	in_ns ip -o link show "$tap" | grep -q "master cellabr0" || fail "TAP $tap not on cellabr0: $(in_ns ip -o link)"
	ip link show "$tap" >/dev/null 2>&1 && fail "the TAP appeared on the host"
	api GET /1.0/networks/cellabr0
	[ "$(jget '"/1.0/instances/vd" in d["metadata"]["used_by"]')" = True ] || fail "used_by: $BODY"
	api GET /1.0/instances/vd/state
	[ "$(jget 'd["metadata"]["stats"]["network"]["eth0"]["hwaddr"]')" = "$mac" ] || fail "state network: $BODY"
	[ "$(jget 'd["metadata"]["stats"]["disk"]["root"]["size"]')" = 67108864 ] || fail "state disk: $BODY"
	api GET /1.0/metrics
	grep -q '^cella_network_receive_bytes_total{name="vd",type="vm"} [0-9]*$' <<<"$BODY" || fail "vm network metric: $BODY"
	grep -q '^cella_network_transmit_bytes_total{name="vd",type="vm"} [0-9]*$' <<<"$BODY" || fail "vm network metric: $BODY"
	grep -q '^cella_disk_usage_bytes{name="vd",type="vm"} [0-9]*$' <<<"$BODY" || fail "vm disk metric: $BODY"

	# A stateful snapshot of the VM with its devices: a cella-vmm that saves no virtio device state would
	# restore it without disk and NIC, so cellad refuses it (and the VM runs on); one that does, restores
	# a VMM that has the instance's disk open again.
	api POST /1.0/instances/vd/snapshots -d '{"name":"hot"}'
	[ "$CODE" = 202 ] || fail "snapshot: $CODE $BODY"
	api GET "$(jget 'd["operation"]')/wait?timeout=60"
	if [ "$(jget 'd["metadata"]["status"]')" = Failure ]; then
		[[ "$(jget 'd["metadata"]["err"]')" == *"saved no PCI/virtio device state"* ]] || fail "hot snapshot: $BODY"
		[ "$(instance_status vd)" = Running ] || fail "a refused snapshot left the vm $(instance_status vd)"
		[ -z "$(ls -A "$inst/snapshots")" ] || fail "a refused snapshot left $(ls -A "$inst/snapshots")"
	else
		api PUT /1.0/instances/vd -d '{"restore":"hot"}'
		wait_op
		readlink "/proc/$(cat "$inst/vmm.pid")"/fd/* | grep -qxF "$inst/disk.img" || fail "the restored VMM has no disk"
		in_ns ip -o link show "$tap" | grep -q "master cellabr0" || fail "no TAP after the restore"
		api DELETE /1.0/instances/vd/snapshots/hot
		wait_op
	fi

	# Stop removes the TAP; a start brings back the same MAC and TAP name, and keeps the disk.
	echo changed >"$D/mark"
	dd if="$D/mark" of="$inst/disk.img" bs=1M seek=2 conv=notrunc status=none
	set_state vd '{"action":"stop","timeout":30}'
	in_ns ip link show "$tap" >/dev/null 2>&1 && fail "TAP $tap left after stop"
	set_state vd '{"action":"start"}'
	wait_console vd READY
	[ "$(config_key vd volatile.eth0.hwaddr)" = "$mac" ] || fail "MAC changed across a restart"
	in_ns ip -o link show "$tap" | grep -q "master cellabr0" || fail "no TAP after the restart"
	cmp -s "$inst/disk.img" "$img" && fail "the start replaced the instance's disk with the image's"

	# A stateless snapshot of the stopped VM holds the disk; a restore puts it back.
	set_state vd '{"action":"stop","force":true}'
	api POST /1.0/instances/vd/snapshots -d '{"name":"cold","stateful":true}'
	[ "$CODE" = 202 ] || fail "snapshot: $CODE $BODY"
	api GET "$(jget 'd["operation"]')/wait?timeout=60"
	[[ "$(jget 'd["metadata"]["err"]')" == *"stopped"* ]] || fail "stateful snapshot of a stopped vm: $BODY"
	api POST /1.0/instances/vd/snapshots -d '{"name":"cold"}'
	wait_op
	[ "$(stat -c %i "$inst/snapshots/cold/disk.img")" != "$(stat -c %i "$inst/disk.img")" ] || fail "snapshot disk is the instance's file"
	api GET /1.0/instances/vd/snapshots/cold
	[ "$(jget 'd["metadata"]["stateful"]')" = False ] || fail "cold snapshot: $BODY"
	cp --sparse=always "$inst/disk.img" "$D/before.img"
	printf 'scribble' | dd of="$inst/disk.img" bs=1M seek=3 conv=notrunc status=none
	api PUT /1.0/instances/vd -d '{"restore":"cold"}'
	wait_op
	cmp -s "$inst/disk.img" "$D/before.img" || fail "restore did not put the disk back"
	[ "$(instance_status vd)" = Stopped ] || fail "a stateless restore of a stopped vm started it"

	# A config update validates the whole config, cellad's own volatile.* keys (MAC, TAP, copy method) included.
	api PATCH /1.0/instances/vd -d '{"config":{"limits.memory":"48MiB"}}'
	[ "$CODE" = 202 ] || fail "PATCH of a vm with volatile keys: $CODE $BODY"
	wait_op
	[ "$(config_key vd limits.memory)" = 48MiB ] || fail "PATCH not applied: $BODY"
	[ "$(config_key vd volatile.eth0.hwaddr)" = "$mac" ] || fail "PATCH lost the volatile keys: $BODY"

	api DELETE /1.0/instances/vd
	wait_op
	in_ns ip link show "$tap" >/dev/null 2>&1 && fail "TAP $tap left after delete"
	api GET /1.0/networks/cellabr0
	[ "$(jget '"/1.0/instances/vd" in d["metadata"]["used_by"]')" = False ] || fail "used_by after delete: $BODY"
	stop_daemon
}

# Runs inside a private mount namespace: the loop-mounted btrfs goes away with it, whatever happens.
reflink_body() {
	local mnt=$TEST_TMP/btrfs
	trap cleanup_vm EXIT
	mkdir -p "$mnt"
	truncate -s 256M "$TEST_TMP/btrfs.img"
	mkfs.btrfs -q -f "$TEST_TMP/btrfs.img" >/dev/null || fail "mkfs.btrfs"
	mount -o loop "$TEST_TMP/btrfs.img" "$mnt" || { echo "cannot loop-mount a btrfs image"; exit 77; }
	CELLAD_ARGS="--vmm $VMM" start_daemon "$mnt/d"
	truncate -s 64M "$D/disk.img"
	printf 'cella-disk-marker' | dd of="$D/disk.img" bs=1M seek=1 conv=notrunc status=none
	import_vm_image bdisk "$BUTTON" "" "$D/disk.img"
	api POST /1.0/instances -d '{"name":"vr","type":"vm","source":{"alias":"bdisk"},"start":true,"config":{"limits.memory":"32MiB"}}'
	wait_op
	[ "$(config_key vr volatile.root.copy)" = reflink ] || fail "not reflinked on btrfs: $BODY"
	cmp -s "$D/root/instances/vr/disk.img" "$D"/root/images/*/vm/disk.img || fail "the reflinked disk differs"
	set_state vr '{"action":"stop","force":true}'
	api POST /1.0/instances/vr/snapshots -d '{"name":"cold"}'
	wait_op
	api GET /1.0/instances/vr/snapshots/cold
	[ "$(jget 'd["metadata"]["disk"]')" = reflink ] || fail "snapshot disk not reflinked: $BODY"
	api DELETE /1.0/instances/vr
	wait_op
	stop_daemon
	umount "$mnt"
}

case_reflink() {
	need_vm
	need_cmd mkfs.btrfs
	need_cmd unshare
	grep -qw btrfs /proc/filesystems || modprobe btrfs 2>/dev/null || { echo "needs btrfs in the kernel"; exit 77; }
	export -f reflink_body wait_answer cleanup_vm cleanup_daemon start_daemon stop_daemon api jget wait_op set_state \
		import_vm_image config_key fail
	export VMM BUTTON CELLAD RT TEST_TMP
	unshare --mount --propagation private bash -c reflink_body
}

ticks() { grep -c '^tick [0-9]*$' "$1" 2>/dev/null || true; }

# wait_ticks NAME N: the instance's console has N tick lines within 30 s.
wait_ticks() {
	for _ in $(seq 300); do
		[ "$(ticks "$D/root/instances/$1/console.log")" -ge "$2" ] && return 0
		sleep 0.1
	done
	fail "no $2 ticks from $1: $(tail -c 300 "$D/root/instances/$1/console.log")"
}

# check_sequence FILE MIN: only counter lines, the ticks 1, 2, 3, ... without gap or repeat, at least MIN;
# prints the last tick.
check_sequence() {
	awk -v min="$2" '
		/^tick [0-9]+$/ { if ($2 != last + 1) { printf "tick %d after tick %d (line %d)\n", $2, last, NR; bad = 1; exit 1 }
				  last = $2; next }
		/^genid [0-9]+ 0x[0-9a-f]+$/ || /^counting$/ { next }
		{ printf "unexpected line %d: %s\n", NR, $0; bad = 1; exit 1 }
		END { if (!bad && last < min) { printf "only %d ticks, expected at least %d\n", last, min; exit 1 }
		      if (!bad) print last }' "$1"
}

case_snapshot_running() {
	need_vm
	trap cleanup_vm EXIT
	CELLAD_ARGS="--vmm $VMM" start_daemon "$TEST_TMP/snap"
	import_vm_image counter "$COUNTER"
	api POST /1.0/instances -d '{"name":"vc","type":"vm","source":{"alias":"counter"},"start":true,"config":{"limits.memory":"32MiB"}}'
	wait_op
	local console="$D/root/instances/vc/console.log" len last out
	wait_ticks vc 3
	# Frozen for the snapshot, so the console up to the snapshot point is known exactly.
	set_state vc '{"action":"pause"}'
	len=$(stat -c %s "$console")
	head -c "$len" "$console" >"$D/prefix"
	api POST /1.0/instances/vc/snapshots -d '{"name":"s1"}'
	wait_op
	[ "$(jget 'd["metadata"]["metadata"]["progress"]["stage"]')" = "done" ] || fail "snapshot progress: $BODY"
	[ "$(instance_status vc)" = Frozen ] || fail "a frozen vm did not stay frozen"
	[ "$(stat -c %s "$console")" = "$len" ] || fail "the guest ran during the snapshot"
	last=$(check_sequence "$D/prefix" 3) || fail "console before the snapshot: $last"
	set_state vc '{"action":"resume"}'
	wait_ticks vc $((last + 3))
	# A snapshot of the running VM: it runs on afterwards.
	api POST /1.0/instances/vc/snapshots -d '{"name":"s2"}'
	wait_op
	[ "$(instance_status vc)" = Running ] || fail "not Running after a snapshot"
	local now
	now=$(ticks "$console")
	wait_ticks vc $((now + 2))

	api GET "/1.0/instances/vc/snapshots"
	[ "$(jget 'sorted(d["metadata"])')" = "['/1.0/instances/vc/snapshots/s1', '/1.0/instances/vc/snapshots/s2']" ] || fail "list: $BODY"
	api GET "/1.0/instances/vc/snapshots/s1"
	[ "$(jget 'd["metadata"]["stateful"]')" = True ] || fail "s1 not stateful: $BODY"
	[ -f "$D/root/instances/vc/snapshots/s1/vm/state" ] || fail "no VM state in the snapshot"

	# Bad requests: clear errors, nothing changes.
	api POST /1.0/instances/vc/snapshots -d '{"name":"a/b"}'
	[ "$CODE" = 400 ] && [[ "$(jget 'd["error"]')" == *"not a valid snapshot name"* ]] || fail "name with /: $CODE $BODY"
	api POST /1.0/instances/vc/snapshots -d '{"name":"s3","stateful":"yes"}'
	[ "$CODE" = 400 ] && [[ "$(jget 'd["error"]')" == *"stateful"* ]] || fail "stateful yes: $CODE $BODY"
	api PUT /1.0/instances/vc -d '{"restore":"nosuch"}'
	[ "$CODE" = 404 ] && [[ "$(jget 'd["error"]')" == *"nosuch"* ]] || fail "restore of a missing snapshot: $CODE $BODY"
	api POST /1.0/instances/vc/snapshots -d '{"name":"s1"}'
	api GET "$(jget 'd["operation"]')/wait?timeout=60"
	[[ "$(jget 'd["metadata"]["err"]')" == *"already exists"* ]] || fail "duplicate snapshot: $BODY"
	[ "$(instance_status vc)" = Running ] || fail "a refused request changed the vm"
	[ "$(ls "$D/root/instances/vc/snapshots")" = "$(printf 's1\ns2')" ] || fail "snapshots dir: $(ls -a "$D/root/instances/vc/snapshots")"

	# Restore s1: the VM is replaced by the snapshot's; its console continues from the snapshot point.
	local pid_before
	pid_before=$(cat "$D/root/instances/vc/vmm.pid")
	api PUT /1.0/instances/vc -d '{"restore":"s1"}'
	wait_op
	[ "$(instance_status vc)" = Running ] || fail "not Running after the restore"
	[ "$(cat "$D/root/instances/vc/vmm.pid")" != "$pid_before" ] || fail "the VMM was not replaced"
	alive "$pid_before" && fail "the old VMM still runs"
	wait_ticks vc 3
	out=$(cat "$D/prefix" "$console" | check_sequence /dev/stdin $((last + 3))) ||
		fail "the restored console does not continue the snapshot's: $out; restored: $(head -c 200 "$console")"
	grep -q '^genid 1 ' "$console" || fail "the restored guest is not generation 1: $(head -c 200 "$console")"
	tr '\0' ' ' <"/proc/$(cat "$D/root/instances/vc/vmm.pid")/cmdline" | grep -q -- "--restore $D/root/instances/vc/snapshots/s1/vm" ||
		fail "not restored with --restore"

	# Delete both snapshots; the restored VM runs on (its memory was mapped from s1).
	api DELETE /1.0/instances/vc/snapshots/s1
	wait_op
	api DELETE /1.0/instances/vc/snapshots/s2
	wait_op
	api GET /1.0/instances/vc/snapshots
	[ "$(jget 'len(d["metadata"])')" = 0 ] || fail "snapshots left: $BODY"
	api DELETE /1.0/instances/vc/snapshots/s1
	[ "$CODE" = 404 ] || fail "deleting a deleted snapshot: $CODE $BODY"
	now=$(ticks "$console")
	wait_ticks vc $((now + 2))
	set_state vc '{"action":"stop","force":true}'
	api DELETE /1.0/instances/vc
	wait_op
	stop_daemon
}

# vmm_state NAME: the VMM's own answer (GET /vm on its socket), bypassing cellad.
vmm_state() {
	curl -sS --max-time 10 --unix-socket "$D/root/instances/$1/vmm.sock" http://vmm/vm 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["state"])' 2>/dev/null
}

# cellad_in_recv: one of cellad's threads waits in recvfrom (x86-64: 45), i.e. it sent its request to the VMM.
cellad_in_recv() { grep -qs '^45 ' /proc/"$CELLAD_PID"/task/*/syscall; }

case_snapshot_crash() {
	need_vm
	need_cmd ss
	trap cleanup_vm EXIT
	CELLAD_ARGS="--vmm $VMM" start_daemon "$TEST_TMP/crash"
	import_vm_image counter "$COUNTER"
	api POST /1.0/instances -d '{"name":"vk","type":"vm","source":{"alias":"counter"},"start":true,"config":{"limits.memory":"32MiB"}}'
	wait_op
	wait_ticks vk 2
	local inst="$D/root/instances/vk" vmm now state=""
	vmm=$(cat "$inst/vmm.pid")
	# With the VMM stopped, cellad's snapshot request waits in the VMM's socket: that is where kill -9 hits.
	kill -STOP "$vmm"
	api POST /1.0/instances/vk/snapshots -d '{"name":"half"}'
	[ "$CODE" = 202 ] || { kill -CONT "$vmm"; fail "snapshot: $CODE $BODY"; }
	for _ in $(seq 500); do
		[ "$(ss -xlH src "$inst/vmm.sock" | awk '{print $3}')" = 1 ] && cellad_in_recv && break
		sleep 0.02
	done
	cellad_in_recv || { kill -CONT "$vmm"; fail "cellad never sent the snapshot request to the VMM"; }
	kill -9 "$CELLAD_PID"
	wait "$CELLAD_PID" 2>/dev/null
	CELLAD_PID=
	kill -CONT "$vmm"
	# The VMM takes the request: it writes the snapshot and, told not to resume, stays paused.
	for _ in $(seq 200); do
		state=$(vmm_state vk)
		[ "$state" = paused ] && break
		sleep 0.05
	done
	[ "$state" = paused ] || fail "the interrupted snapshot did not leave the VM paused (VMM says '$state')"
	[ -d "$inst/snapshots/.tmp-half" ] || fail "no half snapshot to clean up: $(ls -A "$inst/snapshots" 2>&1)"

	CELLAD_ARGS="--vmm $VMM" start_daemon "$TEST_TMP/crash"
	[ "$(instance_status vk)" = Running ] || fail "after the restart the vm is $(instance_status vk)"
	[ "$(vmm_state vk)" = running ] || fail "the VMM was not resumed: $(vmm_state vk)"
	[ "$(cat "$inst/vmm.pid")" = "$vmm" ] || fail "the VMM was replaced"
	grep -q "vk: resumed (left paused by an interrupted snapshot)" "$D/cellad.log" || fail "no resume in the log"
	now=$(ticks "$inst/console.log")
	wait_ticks vk $((now + 2))
	api GET /1.0/instances/vk/snapshots
	[ "$(jget 'len(d["metadata"])')" = 0 ] || fail "the half snapshot is listed: $BODY"
	[ -z "$(ls -A "$inst/snapshots")" ] || fail "the half snapshot left $(ls -A "$inst/snapshots")"

	# A VM the user had paused stays paused through the same crash.
	set_state vk '{"action":"pause"}'
	kill -9 "$CELLAD_PID"
	wait "$CELLAD_PID" 2>/dev/null
	CELLAD_PID=
	CELLAD_ARGS="--vmm $VMM" start_daemon "$TEST_TMP/crash"
	[ "$(instance_status vk)" = Frozen ] || fail "a paused vm came back $(instance_status vk)"
	[ "$(vmm_state vk)" = paused ] || fail "a paused vm was resumed: $(vmm_state vk)"
	set_state vk '{"action":"stop","force":true}'
	api DELETE /1.0/instances/vk
	wait_op
	stop_daemon
}

check "vm with a disk and a NIC: own disk copy, TAP on cellabr0 with a stable MAC, stop/delete remove it, cold snapshot restores the disk" case_disk_and_nic
check "vm disk copies are reflinks on btrfs (instance disk and snapshot)" case_reflink
check "vm snapshots of a running guest: create, list, show, bad requests, restore continues the console, delete" case_snapshot_running
check "kill -9 cellad during a vm snapshot: the restart resumes the vm (a user-paused one stays paused), the half snapshot is gone" case_snapshot_crash
done_testing
