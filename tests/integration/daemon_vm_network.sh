#!/usr/bin/env bash
# A VM launched by cellad gets its leased address and is reachable, as root, on the real cella-vmm and KVM.
# cellad runs inside `unshare -n -m` (as daemon_network.sh does), so cellabr0, dnsmasq, the TAPs and
# veths live and die in that namespace. The VM is guests/virtio/virtio.elf with `test=ping` (no DHCP
# client): it takes its address from the ip= that cellad appends to its command line, pings the gateway,
# then answers ARP and ping. Cases:
# - the console shows the leased address (GET /1.0/networks/cellabr0) and the gateway's answer; the host
#   pings the VM; deleting the VM removes its dnsmasq host entry;
# - a container on the same bridge pings the VM (instance -> instance);
# - DHCP (dnsmasq in static mode, one host entry per VM): a veth with the VM's MAC (the VM stopped)
#   gets exactly the VM's lease from busybox udhcpc; one with a random MAC gets nothing;
# - test=ping without an ip=, or with a malformed one, fails on the serial port (cella-vmm alone);
# - a dnsmasq started otherwise (a dynamic range, as a network-driver or older cellad ran it) is
#   replaced by one in static mode when cellad starts.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/daemon_helpers.bash"
source "$(dirname "$0")/vmm_helpers.bash"

VMM="$CELLA_BUILD/src/vmm/cli/cella-vmm"
VIRTIO="$CELLA_BUILD/guests/virtio/virtio.elf"
CELLA="$CELLA_BUILD/src/cli/cella"
STATE=/run/cella/network # cellad's dnsmasq state, in its private /run

need_vm_net() {
	need_cellad
	need_kvm
	need_cmd unshare
	need_cmd nsenter
	need_cmd ip
	need_cmd nft
	need_cmd busybox
	[ -x /usr/sbin/dnsmasq ] || [ -x /sbin/dnsmasq ] || command -v dnsmasq >/dev/null ||
		{ echo "needs dnsmasq (dnsmasq-base)"; exit 77; }
	[ -x "$VMM" ] || { echo "cella-vmm not built at $VMM"; exit 77; }
	[ -f "$VIRTIO" ] || { echo "test guest not built at $VIRTIO"; exit 77; }
}

# cleanup_daemon kills everything in cellad's network namespace (dnsmasq daemonizes out of its process
# tree, the VMMs), so the namespace and its links go too; the DHCP peer's namespace is the test's own.
cleanup_netns() {
	[ -n "${PEER_PID:-}" ] && kill -9 "$PEER_PID" 2>/dev/null
	cleanup_daemon
}

# start_vm_daemon DIR: cellad with the VMM in fresh network and mount namespaces.
start_vm_daemon() {
	trap cleanup_netns EXIT
	start_netns_daemon "$1"
}

# restart_daemon_in NSPID: cellad again, on the same root, in the network and mount namespaces of NSPID.
restart_daemon_in() {
	nsenter -t "$1" -n -m -- "$CELLAD" --root "$D/root" --socket "$D/s.sock" --network default --vmm "$VMM" \
		--foreground >>"$D/cellad.log" 2>&1 </dev/null &
	CELLAD_PID=$!
	wait_answer
}

in_mnt() { nsenter -t "$CELLAD_PID" -m "$@"; }
config_key() { api GET "/1.0/instances/$1" && jget "d['metadata']['config'].get('$2', '')"; }
console() { cat "$D/root/instances/$1/console.log" 2>&1; }

# address NAME: the instance's leased address (without the prefix length), from /1.0/networks.
address() {
	api GET /1.0/networks/cellabr0 || fail "GET network"
	jget "([l['address'] for l in d['metadata']['leases'] if l['instance'] == '$1'] + [''])[0].split('/')[0]"
}

# wait_guest NAME TEXT: the guest's serial output shows TEXT within 30 s (a guest that failed ends it).
wait_guest() {
	for _ in $(seq 300); do
		grep -qF "$2" "$D/root/instances/$1/console.log" 2>/dev/null && return 0
		grep -q "^FAIL" "$D/root/instances/$1/console.log" 2>/dev/null && break
		sleep 0.1
	done
	fail "console of $1 never showed '$2': $(console "$1")"
}

# launch_ping_vm NAME: the test=ping image (imported once) as a running VM that has pinged the gateway.
launch_ping_vm() {
	api GET /1.0/images/aliases/ping || fail "GET alias"
	[ "$CODE" = 200 ] || import_vm_image ping "$VIRTIO" "test=ping"
	api POST /1.0/instances -d "{\"name\":\"$1\",\"type\":\"vm\",\"source\":{\"alias\":\"ping\"},\"start\":true,\"config\":{\"limits.memory\":\"32MiB\"}}" ||
		fail "POST instance"
	wait_op
	wait_guest "$1" "ping: gateway answered"
}

# retry N CMD...: CMD succeeds within N tries (each bounded by its own timeout).
retry() {
	local n=$1
	shift
	for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; done
	return 1
}

dnsmasq_pid() { in_mnt cat "$STATE/cellabr0.pid" 2>/dev/null; }

case_lease_and_ping() {
	need_vm_net
	start_vm_daemon "$TEST_TMP/lease"
	launch_ping_vm v1
	local addr mac entry
	addr=$(address v1)
	[[ "$addr" =~ ^10\.118\.0\.[0-9]+$ ]] || fail "no lease for v1: $BODY"
	grep -qxF "ping: address $addr gateway 10.118.0.1" "$D/root/instances/v1/console.log" ||
		fail "the guest's address is not its lease $addr: $(console v1)"
	tr '\0' ' ' <"/proc/$(cat "$D/root/instances/v1/vmm.pid")/cmdline" |
		grep -qF -- "--cmdline test=ping ip=$addr::10.118.0.1:255.255.255.0:v1:eth0:off:10.118.0.1 " ||
		fail "no ip= on the VMM's command line: $(tr '\0' ' ' <"/proc/$(cat "$D/root/instances/v1/vmm.pid")/cmdline")"
	# The host (cellad's namespace) reaches the VM.
	retry 5 in_ns busybox ping -c 1 -W 2 "$addr" || fail "the host cannot ping v1 at $addr: $(console v1)"
	wait_guest v1 "ping: answered an echo request from 10.118.0.1"
	# dnsmasq serves the subnet in static mode with v1's host entry.
	mac=$(config_key v1 volatile.eth0.hwaddr)
	entry=$(in_mnt cat "$STATE/cellabr0.hosts.d/v1") || fail "no DHCP host entry for v1"
	[ "$entry" = "$mac,$addr,v1" ] || fail "host entry '$entry', expected '$mac,$addr,v1'"
	tr '\0' '\n' <"/proc/$(dnsmasq_pid)/cmdline" | grep -qx -- "--dhcp-range=10.118.0.0,static,255.255.255.0,1h" ||
		fail "dnsmasq is not in static mode: $(tr '\0' ' ' <"/proc/$(dnsmasq_pid)/cmdline")"
	api GET /1.0/networks/cellabr0
	[ "$(jget 'd["metadata"]["state"]["dhcp"]["running"]')" = True ] || fail "dhcp not running: $BODY"
	# Delete: the host entry goes, dnsmasq keeps running.
	set_state v1 '{"action":"stop","force":true}'
	api DELETE /1.0/instances/v1
	wait_op
	in_mnt test -e "$STATE/cellabr0.hosts.d/v1" && fail "the DHCP host entry of v1 outlived it"
	[ -n "$(dnsmasq_pid)" ] && kill -0 "$(dnsmasq_pid)" || fail "dnsmasq is gone after the delete"
	stop_daemon
}

case_container_pings_vm() {
	need_vm_net
	need_containers
	[ -x "$CELLA" ] || { echo "cella not built at $CELLA"; exit 77; }
	start_vm_daemon "$TEST_TMP/ct"
	export CELLA_SOCKET="$D/s.sock"
	launch_ping_vm v2
	launch c1
	local vaddr caddr
	vaddr=$(address v2)
	caddr=$(address c1)
	[ -n "$vaddr" ] && [ -n "$caddr" ] && [ "$vaddr" != "$caddr" ] || fail "addresses '$vaddr' '$caddr'"
	retry 5 "$CELLA" exec c1 -- ping -c 1 -W 2 "$vaddr" ||
		fail "c1 cannot ping v2 ($vaddr): $("$CELLA" exec c1 -- ping -c 1 -W 2 "$vaddr" 2>&1) $(console v2)"
	wait_guest v2 "ping: answered an echo request from $caddr"
	set_state v2 '{"action":"stop","force":true}'
	set_state c1 '{"action":"stop","force":true}'
	stop_daemon
}

# udhcpc_in_peer: busybox udhcpc on the peer's eth0; the address it was offered on stdout, or nothing.
udhcpc_in_peer() {
	nsenter -t "$PEER_PID" -n timeout 30 busybox udhcpc -n -q -f -t 3 -T 1 -i eth0 -s "$TEST_TMP/udhcpc.sh" \
		>/dev/null 2>&1 || true
	cat "$TEST_TMP/udhcpc.ip" 2>/dev/null
	rm -f "$TEST_TMP/udhcpc.ip"
}

case_dhcp_static() {
	need_vm_net
	need_cmd busybox
	busybox udhcpc --help >/dev/null 2>&1 || busybox --list | grep -qx udhcpc ||
		{ echo "needs busybox udhcpc"; exit 77; }
	start_vm_daemon "$TEST_TMP/dhcp"
	launch_ping_vm v3
	local addr mac got
	addr=$(address v3)
	mac=$(config_key v3 volatile.eth0.hwaddr)
	# The VM's TAP must be gone before a veth takes its MAC on the same bridge.
	set_state v3 '{"action":"stop","force":true}'
	printf '#!/bin/sh\n[ "$1" = bound ] && echo "$ip" >%s/udhcpc.ip\nexit 0\n' "$TEST_TMP" >"$TEST_TMP/udhcpc.sh"
	chmod +x "$TEST_TMP/udhcpc.sh"
	unshare -n sleep 600 </dev/null >/dev/null 2>&1 &
	PEER_PID=$!
	for _ in $(seq 100); do
		[ "$(readlink "/proc/$PEER_PID/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
		sleep 0.05
	done
	in_ns ip link add cdhcp0 type veth peer name eth0 netns "$PEER_PID" || fail "veth"
	in_ns ip link set cdhcp0 master cellabr0 up || fail "enslave the veth"
	nsenter -t "$PEER_PID" -n ip link set eth0 address "$mac" up || fail "peer MAC $mac"
	got=$(udhcpc_in_peer)
	[ "$got" = "$addr" ] || fail "udhcpc with v3's MAC $mac got '$got', expected $addr ($(in_mnt cat "$STATE/cellabr0.log" 2>&1 | tail -5))"
	nsenter -t "$PEER_PID" -n ip link set eth0 down
	nsenter -t "$PEER_PID" -n ip link set eth0 address "02:$(od -An -N5 -tx1 /dev/urandom | tr -s ' ' ':' | sed 's/^://; s/:$//')" up ||
		fail "random MAC"
	got=$(udhcpc_in_peer)
	[ -z "$got" ] || fail "a MAC with no host entry got $got (dnsmasq is not in static mode)"
	# Deleting v3 drops its entry and its lease: the next VM, given the same address, gets it by DHCP
	# at once (dnsmasq would otherwise keep it for v3's MAC until the lease expired).
	api DELETE /1.0/instances/v3
	wait_op
	in_mnt grep -qi "$mac" "$STATE/cellabr0.leases" && fail "v3's lease outlived it: $(in_mnt cat "$STATE/cellabr0.leases")"
	launch_ping_vm v4
	[ "$(address v4)" = "$addr" ] || fail "v4 was not given the freed address $addr: $BODY"
	mac=$(config_key v4 volatile.eth0.hwaddr)
	set_state v4 '{"action":"stop","force":true}'
	nsenter -t "$PEER_PID" -n ip link set eth0 down
	nsenter -t "$PEER_PID" -n ip link set eth0 address "$mac" up || fail "peer MAC $mac"
	got=$(udhcpc_in_peer)
	[ "$got" = "$addr" ] || fail "udhcpc with v4's MAC $mac got '$got', expected $addr ($(in_mnt cat "$STATE/cellabr0.log" 2>&1 | tail -5))"
	kill -9 "$PEER_PID"
	PEER_PID=
	stop_daemon
}

case_replaces_dynamic_dnsmasq() {
	need_vm_net
	start_vm_daemon "$TEST_TMP/replace"
	local old new ns_pid
	old=$(dnsmasq_pid)
	[ -n "$old" ] || fail "no dnsmasq"
	# Replace it with one like a dynamic-range network (no hosts directory), then restart cellad in the
	# same namespaces (held by a helper process).
	nsenter -t "$CELLAD_PID" -n -m sleep 600 </dev/null >/dev/null 2>&1 &
	ns_pid=$!
	kill -9 "$old"
	for _ in $(seq 100); do alive "$old" || break; sleep 0.05; done
	stop_daemon
	nsenter -t "$ns_pid" -n -m /usr/sbin/dnsmasq --conf-file=/dev/null --bind-interfaces --except-interface=lo \
		--interface=cellabr0 --listen-address=10.118.0.1 --dhcp-range=10.118.0.2,10.118.0.254,1h \
		--pid-file="$STATE/cellabr0.pid" --dhcp-leasefile="$STATE/cellabr0.leases" \
		--log-facility="$STATE/cellabr0.log" || fail "dynamic dnsmasq"
	old=$(nsenter -t "$ns_pid" -m cat "$STATE/cellabr0.pid")
	restart_daemon_in "$ns_pid"
	kill -9 "$ns_pid"
	new=$(dnsmasq_pid)
	[ -n "$new" ] && [ "$new" != "$old" ] || fail "the dynamic dnsmasq $old was kept"
	alive "$old" && fail "the dynamic dnsmasq $old still runs"
	tr '\0' '\n' <"/proc/$new/cmdline" | grep -qx -- "--dhcp-hostsdir=$STATE/cellabr0.hosts.d" ||
		fail "the new dnsmasq has no hosts directory: $(tr '\0' ' ' <"/proc/$new/cmdline")"
	stop_daemon
}

# A guest without a usable ip= says so and fails (before it looks for a NIC: none is given).
case_ping_needs_ip() {
	need_kvm
	[ -f "$VIRTIO" ] || { echo "test guest not built at $VIRTIO"; exit 77; }
	run_guest_file virtio/virtio.elf --cmdline "test=ping"
	expect_status 3
	expect_out "^FAIL ping: no ip= on the command line"
	local bad
	for bad in "ip=10.118.0.300::10.118.0.1:255.255.255.0" "ip=10.118.0.2::10.118.0.1" "ip=10.118.0.2::10.118.0.1:255.0.255.0:x" \
		"ip=10.118.0.2::10.119.0.1:255.255.255.0:x" "ip=10.118.0.2::10.118.0.2:255.255.255.0:x" "xip=10.118.0.2::10.118.0.1:255.255.255.0"; do
		run_guest_file virtio/virtio.elf --cmdline "test=ping $bad"
		expect_status 3
		expect_out "^FAIL ping: "
		grep -q "gateway answered" <<<"$out" && fail "$bad: $out"
	done
	return 0
}

check "a VM gets its lease by ip=, reaches the gateway, the host pings it, delete drops its DHCP entry" case_lease_and_ping
check "a container pings a VM on cellabr0" case_container_pings_vm
check "dnsmasq static mode: the VM's MAC gets its lease by DHCP, a random MAC nothing, a reused address at once" case_dhcp_static
check "test=ping without or with a malformed ip= fails on the serial port" case_ping_needs_ip
check "cellad replaces a dnsmasq without the hosts directory (dynamic range) by a static one" case_replaces_dynamic_dnsmasq
done_testing
