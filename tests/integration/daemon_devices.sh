#!/usr/bin/env bash
# Instance devices through cellad, as root, end to end: disk devices (a container's bind mounts, a VM's
# extra virtio-blk disks), NIC devices on a host bridge (a container's veth, a VM's TAP), the API and the
# CLI to add, show and remove them, bad devices refused with nothing changed, and a VM's disk I/O counters
# in its state and in /1.0/metrics. Bridges live in cellad's own network namespace (start_netns_daemon).
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/daemon_helpers.bash"

CELLA="$CELLA_BUILD/src/cli/cella"
VMM="$CELLA_BUILD/src/vmm/cli/cella-vmm"
BUTTON="$CELLA_BUILD/guests/acpi-button.elf"
WRITER="$CELLA_BUILD/guests/snapshot/blk-writer.elf"

need_net() {
	need_containers
	need_cmd unshare
	need_cmd nsenter
	need_cmd ip
	need_cmd nft
	[ -x "$CELLA" ] || { echo "cella not built at $CELLA"; exit 77; }
}

need_vm() {
	need_net
	need_kvm
	[ -x "$VMM" ] || { echo "cella-vmm not built at $VMM"; exit 77; }
	[ -f "$BUTTON" ] && [ -f "$WRITER" ] || { echo "test guests not built under $CELLA_BUILD/guests"; exit 77; }
}

devices_of() { api GET "/1.0/instances/$1" && jget "json.dumps(d['metadata']['devices'], sort_keys=True)"; }
config_key() { api GET "/1.0/instances/$1" && jget "d['metadata']['config'].get('$2', '')"; }
# expect_400 TEXT METHOD PATH JSON: refused with 400 and a message holding TEXT.
expect_400() {
	api "$2" "$3" -d "$4" || fail "$2 $3"
	[ "$CODE" = 400 ] || fail "$2 $3 $4: expected 400, got $CODE: $BODY"
	[[ "$(jget 'd["error"]')" == *"$1"* ]] || fail "$2 $3 $4: error '$(jget 'd["error"]')' does not say '$1'"
}

case_container_disks() {
	need_containers
	[ -x "$CELLA" ] || { echo "cella not built at $CELLA"; exit 77; }
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/disks"
	export CELLA_SOCKET="$D/s.sock"
	mkdir -p "$D/ro" "$D/rw"
	echo from-the-host >"$D/ro/hello"
	echo one-file >"$D/single"
	# The system container's root is an unprivileged host uid: a shared directory it may write is the host's call.
	chmod 0755 "$D/ro"
	chmod 1777 "$D/rw"
	chmod 0644 "$D/single"
	"$CELLA" launch -d "ro,type=disk,source=$D/ro,path=/mnt/ro,readonly=true" \
		-d "rw,type=disk,source=$D/rw,path=/srv/rw" default c1 >"$D/out" 2>&1 || fail "launch: $(cat "$D/out")"
	[ "$("$CELLA" exec c1 -- cat /mnt/ro/hello)" = from-the-host ] || fail "the read-only disk is not mounted"
	"$CELLA" exec c1 -- touch /mnt/ro/x >"$D/out" 2>&1 && fail "wrote to a read-only disk"
	grep -q "Read-only" "$D/out" || fail "read-only write: $(cat "$D/out")"
	"$CELLA" exec c1 -- sh -c 'echo from-the-container >/srv/rw/note' || fail "write to the rw disk"
	[ "$(cat "$D/rw/note")" = from-the-container ] || fail "the host does not see the container's write"
	# The CLI: list, show, add (at the next start), remove.
	[ "$("$CELLA" config device list c1 | sort | tr '\n' ' ')" = "ro rw " ] || fail "device list"
	"$CELLA" config device show c1 | grep -q "source: $D/ro" || fail "device show: $("$CELLA" config device show c1)"
	"$CELLA" config device add c1 one disk "source=$D/single" path=/data/single readonly=true || fail "device add"
	"$CELLA" exec c1 -- test -e /data/single && fail "a device added to a running container appeared before a restart"
	"$CELLA" restart --force c1 || fail "restart"
	[ "$("$CELLA" exec c1 -- cat /data/single)" = one-file ] || fail "the file disk is not there after the restart"
	"$CELLA" config device remove c1 rw || fail "device remove"
	"$CELLA" config device remove c1 nosuch >"$D/out" 2>&1 && fail "removed an unknown device"
	grep -q "nosuch: no such device" "$D/out" || fail "unknown device: $(cat "$D/out")"
	[ "$(devices_of c1 | python3 -c 'import json,sys; print(sorted(json.load(sys.stdin)))')" = "['one', 'ro']" ] ||
		fail "devices after remove: $BODY"
	"$CELLA" restart --force c1 || fail "restart"
	"$CELLA" exec c1 -- test -e /srv/rw/note && fail "a removed disk is still mounted"
	# A source gone from the host: the start fails naming the device and leaves nothing mounted.
	"$CELLA" stop --force c1 || fail "stop"
	rm -rf "$D/ro"
	"$CELLA" start c1 >"$D/out" 2>&1 && fail "started with a missing disk source"
	grep -q "devices: ro: source '$D/ro'" "$D/out" || fail "missing source: $(cat "$D/out")"
	[ "$(instance_status c1)" = Stopped ] || fail "status after a failed start: $(instance_status c1)"
	! grep -q "$D/root/instances/c1/" /proc/self/mountinfo || fail "a failed start left mounts: $(grep "$D/root" /proc/self/mountinfo)"
	# PUT replaces the whole set.
	api PUT /1.0/instances/c1 -d "{\"devices\": {\"one\": {\"type\":\"disk\",\"source\":\"$D/single\",\"path\":\"/data/single\"}}}"
	wait_op
	[ "$(devices_of c1)" = "{\"one\": {\"path\": \"/data/single\", \"source\": \"$D/single\", \"type\": \"disk\"}}" ] ||
		fail "devices after PUT: $BODY"
	"$CELLA" start c1 || fail "start after PUT"
	"$CELLA" stop --force c1
	stop_daemon
}

case_bad_devices() {
	need_cellad
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/bad"
	local base='"name":"b1","source":{"alias":"default"}'
	expect_400 "devices: d: type: expected disk or nic" POST /1.0/instances "{$base,\"devices\":{\"d\":{\"type\":\"usb\"}}}"
	expect_400 "devices: d: source: expected an absolute host path" POST /1.0/instances \
		"{$base,\"devices\":{\"d\":{\"type\":\"disk\",\"source\":\"rel/dir\",\"path\":\"/m\"}}}"
	expect_400 "devices: d: source: expected an absolute host path" POST /1.0/instances \
		"{$base,\"devices\":{\"d\":{\"type\":\"disk\",\"source\":\"/srv/../etc\",\"path\":\"/m\"}}}"
	expect_400 "devices: d: path: expected an absolute path in the container" POST /1.0/instances \
		"{$base,\"devices\":{\"d\":{\"type\":\"disk\",\"source\":\"/srv\",\"path\":\"/../../etc\"}}}"
	expect_400 "devices: d: unknown key 'size'" POST /1.0/instances \
		"{$base,\"devices\":{\"d\":{\"type\":\"disk\",\"source\":\"/srv\",\"path\":\"/m\",\"size\":\"1G\"}}}"
	expect_400 "devices: d: readonly: expected true or false" POST /1.0/instances \
		"{$base,\"devices\":{\"d\":{\"type\":\"disk\",\"source\":\"/srv\",\"path\":\"/m\",\"readonly\":\"maybe\"}}}"
	expect_400 "devices: root: reserved" POST /1.0/instances \
		"{$base,\"devices\":{\"root\":{\"type\":\"disk\",\"source\":\"/srv\",\"path\":\"/m\"}}}"
	expect_400 "devices: '../x': expected a device name" POST /1.0/instances \
		"{$base,\"devices\":{\"../x\":{\"type\":\"disk\",\"source\":\"/srv\",\"path\":\"/m\"}}}"
	expect_400 "devices: n: parent: required" POST /1.0/instances \
		"{$base,\"devices\":{\"n\":{\"type\":\"nic\",\"nictype\":\"bridged\"}}}"
	expect_400 "devices: n: nictype: expected \"bridged\"" POST /1.0/instances \
		"{$base,\"devices\":{\"n\":{\"type\":\"nic\",\"nictype\":\"macvlan\",\"parent\":\"br0\"}}}"
	expect_400 "devices: n: hwaddr" POST /1.0/instances \
		"{$base,\"devices\":{\"n\":{\"type\":\"nic\",\"nictype\":\"bridged\",\"parent\":\"br0\",\"hwaddr\":\"zz\"}}}"
	expect_400 "devices: n: ipv4.address" POST /1.0/instances \
		"{$base,\"devices\":{\"n\":{\"type\":\"nic\",\"nictype\":\"bridged\",\"parent\":\"br0\",\"ipv4.address\":\"10.0.0.300/24\"}}}"
	expect_400 "devices: a and b: the same path" POST /1.0/instances \
		"{$base,\"devices\":{\"a\":{\"type\":\"disk\",\"source\":\"/srv\",\"path\":\"/m\"},\"b\":{\"type\":\"disk\",\"source\":\"/opt\",\"path\":\"/m\"}}}"
	expect_400 "a VM's disk is a block device, it has no path" POST /1.0/instances \
		"{\"name\":\"v\",\"type\":\"vm\",\"source\":{\"alias\":\"x\"},\"devices\":{\"d\":{\"type\":\"disk\",\"source\":\"/srv/a.img\",\"path\":\"/m\"}}}"
	expect_400 "devices: expected an object" POST /1.0/instances "{$base,\"devices\":[1]}"
	api GET /1.0/instances/b1
	[ "$CODE" = 404 ] || fail "a refused create left instance b1: $CODE $BODY"
	# A bad PATCH changes nothing.
	api POST /1.0/instances -d "{$base,\"start\":false,\"devices\":{\"ok\":{\"type\":\"disk\",\"source\":\"/srv\",\"path\":\"/m\"}}}"
	wait_op
	local before
	before=$(devices_of b1)
	expect_400 "devices: x: type" PATCH /1.0/instances/b1 '{"devices":{"x":{"type":"tape"}}}'
	expect_400 "devices: gone: no such device" PATCH /1.0/instances/b1 '{"devices":{"gone":null}}'
	expect_400 "restore: cannot be combined" PUT /1.0/instances/b1 '{"restore":"s","devices":{}}'
	[ "$(devices_of b1)" = "$before" ] || fail "a refused PATCH changed the devices: $BODY"
	stop_daemon
}

case_container_nic() {
	need_net
	trap cleanup_daemon EXIT
	CELLAD_NETWORK=none start_netns_daemon "$TEST_TMP/nic"
	export CELLA_SOCKET="$D/s.sock"
	in_ns ip link add brdev type bridge || fail "bridge"
	in_ns ip addr add 192.168.77.1/24 dev brdev
	in_ns ip link set brdev up
	"$CELLA" launch -d lan,type=nic,nictype=bridged,parent=brdev,name=eth1,ipv4.address=192.168.77.2/24 default c1 >"$D/out" 2>&1 ||
		fail "launch: $(cat "$D/out")"
	local mac
	mac=$(config_key c1 volatile.lan.hwaddr)
	[[ "$mac" =~ ^00:16:3e: ]] || fail "no recorded MAC: $BODY"
	"$CELLA" exec c1 -- ip -o link show eth1 | grep -q "link/ether $mac" ||
		fail "eth1: $("$CELLA" exec c1 -- ip -o link 2>&1)"
	"$CELLA" exec c1 -- ip -o addr show eth1 | grep -q "inet 192.168.77.2/24" || fail "eth1 has no ipv4.address"
	"$CELLA" exec c1 -- ping -c1 -W2 192.168.77.1 >"$D/out" 2>&1 || fail "c1 cannot reach the bridge: $(cat "$D/out")"
	[ "$(in_ns ip -o link show master brdev | wc -l)" = 1 ] || fail "ports of brdev: $(in_ns ip -o link show master brdev)"
	api GET /1.0/instances/c1/state
	[ "$(jget 'd["metadata"]["stats"]["network"]["eth1"]["counters"]["packets_sent"] > 0')" = True ] ||
		fail "no eth1 counters in the state: $BODY"
	# The MAC is kept across a restart; the veth goes with the container.
	"$CELLA" restart --force c1 || fail "restart"
	"$CELLA" exec c1 -- ip -o link show eth1 | grep -q "link/ether $mac" || fail "MAC changed across a restart"
	"$CELLA" stop --force c1 || fail "stop"
	[ -z "$(in_ns ip -o link show master brdev)" ] || fail "veth left on brdev: $(in_ns ip -o link show master brdev)"
	# A parent that is not there: the start fails naming the device, the container is stopped again.
	api PATCH /1.0/instances/c1 -d '{"devices":{"lan":{"type":"nic","nictype":"bridged","parent":"nosuchbr"}}}'
	wait_op
	"$CELLA" start c1 >"$D/out" 2>&1 && fail "started with a missing bridge"
	grep -q "devices: lan" "$D/out" || fail "missing bridge: $(cat "$D/out")"
	[ "$(instance_status c1)" = Stopped ] || fail "status after a failed start: $(instance_status c1)"
	stop_daemon
}

case_vm_devices() {
	need_vm
	trap cleanup_vm EXIT
	start_netns_daemon "$TEST_TMP/vm"
	in_ns ip link add brdev type bridge || fail "bridge"
	in_ns ip link set brdev up
	truncate -s 8M "$D/extra.img"
	import_vm_image button "$BUTTON"
	api POST /1.0/instances -d "{\"name\":\"v1\",\"type\":\"vm\",\"source\":{\"alias\":\"button\"},\"start\":true,
		\"config\":{\"limits.memory\":\"32MiB\"},
		\"devices\":{\"data\":{\"type\":\"disk\",\"source\":\"$D/extra.img\",\"readonly\":\"true\"},
		             \"lan\":{\"type\":\"nic\",\"nictype\":\"bridged\",\"parent\":\"brdev\",\"hwaddr\":\"02:00:00:00:77:01\"}}}"
	wait_op
	wait_console v1 READY
	local tap eth0_tap sock="$D/root/instances/v1/vmm.sock" devs
	tap=$(config_key v1 volatile.lan.host_name)
	eth0_tap=$(config_key v1 volatile.eth0.host_name)
	[[ "$tap" =~ ^ctap ]] || fail "no recorded TAP for lan: $BODY"
	# What the VMM itself has: the two devices with their ids, path, read-only flag and MAC.
	devs=$(curl -sS --max-time 10 --unix-socket "$sock" http://vmm/vm/devices) || fail "GET /vm/devices"
	python3 - "$devs" "$D/extra.img" "$tap" <<'PY' || fail "the VMM's devices: $devs"
import json, sys
devs = {d["id"]: d for d in json.loads(sys.argv[1])}
assert devs["data"]["type"] == "blk" and devs["data"]["path"] == sys.argv[2] and devs["data"]["readonly"], devs
assert devs["lan"]["type"] == "net" and devs["eth0"]["type"] == "net", devs
PY
	tr '\0' ' ' <"/proc/$(cat "$D/root/instances/v1/vmm.pid")/cmdline" | grep -q -- "--net tap=$tap,mac=02:00:00:00:77:01,id=lan" ||
		fail "no --net for lan: $(tr '\0' ' ' <"/proc/$(cat "$D/root/instances/v1/vmm.pid")/cmdline")"
	in_ns ip -o link show "$tap" | grep -q "master brdev" || fail "TAP $tap not on brdev: $(in_ns ip -o link)"
	api GET /1.0/instances/v1/state
	[ "$(jget 'd["metadata"]["stats"]["network"]["lan"]["host_name"]')" = "$tap" ] &&
		[ "$(jget 'd["metadata"]["stats"]["network"]["lan"]["hwaddr"]')" = 02:00:00:00:77:01 ] &&
		[ "$(jget '"eth0" in d["metadata"]["stats"]["network"]')" = True ] || fail "VM state network: $BODY"
	api PUT /1.0/instances/v1/state -d '{"action":"stop","force":true}'
	wait_op
	in_ns ip link show "$tap" >/dev/null 2>&1 && fail "the lan TAP outlived the VM"
	# A missing source: the start fails naming the device and leaves no TAP behind.
	rm "$D/extra.img"
	api PUT /1.0/instances/v1/state -d '{"action":"start"}'
	api GET "$(jget 'd["operation"]')/wait?timeout=60"
	[ "$(jget 'd["metadata"]["status"]')" = Failure ] || fail "started without its disk: $BODY"
	[[ "$(jget 'd["metadata"]["err"]')" == *"devices: data: source '$D/extra.img'"* ]] || fail "missing source: $BODY"
	in_ns ip link show "$tap" >/dev/null 2>&1 && fail "a failed start left the lan TAP"
	in_ns ip link show "$eth0_tap" >/dev/null 2>&1 && fail "a failed start left the eth0 TAP"
	stop_daemon
}

case_vm_disk_io() {
	need_vm
	trap cleanup_vm EXIT
	start_netns_daemon "$TEST_TMP/io"
	truncate -s 64M "$D/disk.img"
	# The writer keeps writing numbered sectors to its first disk (the instance's root disk copy).
	import_vm_image writer "$WRITER" "stop=100000 quiet=1" "$D/disk.img"
	api POST /1.0/instances -d '{"name":"w1","type":"vm","source":{"alias":"writer"},"start":true,"config":{"limits.memory":"32MiB"}}'
	wait_op
	wait_console w1 "progress"
	api GET /1.0/instances/w1/state
	local writes
	writes=$(jget 'd["metadata"]["stats"]["disk"]["root"]["write_bytes"]')
	[ "$writes" -ge 51200 ] || fail "root disk write_bytes '$writes' after 100 writes: $BODY"
	[ "$(jget 'd["metadata"]["stats"]["disk"]["root"]["size"]')" = 67108864 ] || fail "root disk size: $BODY"
	api GET /1.0/metrics
	local m
	m=$(sed -n 's/^cella_disk_written_bytes_total{name="w1",type="vm"} \([0-9]*\)$/\1/p' <<<"$BODY")
	[ -n "$m" ] && [ "$m" -ge "$writes" ] || fail "cella_disk_written_bytes_total for w1: '$m' (state said $writes)"
	grep -q '^cella_disk_read_bytes_total{name="w1",type="vm"} [0-9]*$' <<<"$BODY" || fail "no read metric for w1"
	api PUT /1.0/instances/w1/state -d '{"action":"stop","force":true}'
	wait_op
	stop_daemon
}

check "container disk devices: read-only and writable bind mounts, a file, CLI add/list/show/remove, missing source" case_container_disks
check "bad devices refused with 400 naming device and key; nothing created or changed" case_bad_devices
check "container NIC device: a veth on a host bridge with a kept MAC, reachable; missing bridge refused" case_container_nic
check "VM devices: an extra read-only disk and a NIC on a host bridge in the VMM; TAPs gone after stop and failure" case_vm_devices
check "VM disk I/O: cella-vmm's virtio-blk counters in the instance state and /1.0/metrics" case_vm_disk_io
done_testing
