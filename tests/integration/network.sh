#!/usr/bin/env bash
# Integration tests of src/network through tests/unit/network/network-driver.
# Each case runs in its own private network + mount namespace (unshare -n -m),
# which stands in for the host: the host's own interfaces, routes and firewall
# are never touched. "Containers" are processes in further namespaces
# (unshare -n sleep). sysfs is remounted privately so /sys/class/net shows the
# case's namespace. On exit, pass or fail, every process the case started is
# killed (dnsmasq included), so the namespaces and all in them disappear.

# --- inner half: one case, already inside its private namespaces -----------
if [ "${1:-}" = --inner ]; then
	set -u
	CASE=$2 DRV=$3 WORK=$4
	fail() { echo "FAILED: $*"; exit 1; }
	wait_for() { # wait_for SECONDS CMD...: poll until CMD succeeds
		local end=$((SECONDS + $1)); shift
		until "$@"; do [ $SECONDS -lt $end ] || return 1; sleep 0.05; done
	}
	pids=()
	cleanup() {
		local p
		for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
		# dnsmasq daemonized itself out of our process tree; its pid file names it.
		for p in "$WORK"/state/*.pid; do
			[ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null
		done
		wait 2>/dev/null
	}
	trap cleanup EXIT
	mount --make-rprivate / || fail "mount --make-rprivate /"
	mount -t sysfs sysfs /sys || fail "mounting a private sysfs"
	mkdir -p "$WORK/state"
	drv() { "$DRV" "$@"; }
	self_ns=$(readlink /proc/self/ns/net)
	in_own_netns() { local ns; ns=$(readlink "/proc/$1/ns/net" 2>/dev/null) && [ "$ns" != "$self_ns" ]; }
	# spawn_ct: a process in a new network namespace; its pid in $ct once the namespace exists.
	spawn_ct() {
		unshare -n sleep 600 </dev/null >/dev/null 2>&1 &
		ct=$!
		pids+=("$ct")
		wait_for 10 in_own_netns "$ct" || fail "container $ct never got its own netns"
	}
	in_ct() { local p=$1; shift; nsenter -t "$p" -n "$@"; }
	ping1() { in_ct "$1" timeout 10 busybox ping -c 1 -W 3 "$2" >/dev/null || fail "ping from $1 to $2 failed"; }

	case $CASE in
	nat)
		drv create cellabr0 10.118.0.1/24 --nat --state-dir "$WORK/state" || fail "create"
		ip -br addr show dev cellabr0 | grep -q ' 10.118.0.1/24' || fail "no address: $(ip -br addr)"
		ip -br link show dev cellabr0 | grep -Eq '\<UP\>|UNKNOWN' || fail "bridge not up: $(ip -br link)"
		[ "$(cat /sys/class/net/cellabr0/bridge/bridge_id 2>/dev/null)" != "" ] || fail "cellabr0 is not a bridge"
		[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || fail "ip_forward not on"
		rules=$(nft list table ip cella) || fail "no table ip cella"
		echo "$rules" | grep -q 'ip saddr 10.118.0.0/24 ip daddr != 10.118.0.0/24 masquerade' ||
			fail "no masquerade rule: $rules"
		drv describe cellabr0 --state-dir "$WORK/state" | grep -q '"nat": true' || fail "describe: nat not true"
		;;
	nat-traffic)
		# An "outside" namespace with no route back to 10.118.0.0/24: a reply
		# can only arrive if the request left masqueraded as 192.0.2.1.
		drv create cellabr0 10.118.0.1/24 --nat --state-dir "$WORK/state" || fail "create"
		spawn_ct; outside=$ct
		ip link add uplink type veth peer name eth0 netns "$outside" || fail "uplink veth"
		ip addr add 192.0.2.1/24 dev uplink && ip link set uplink up || fail "uplink address"
		in_ct "$outside" ip addr add 192.0.2.2/24 dev eth0 && in_ct "$outside" ip link set eth0 up ||
			fail "outside address"
		spawn_ct; c1=$ct
		drv attach cellabr0 "$c1" eth0 10.118.0.2/24 10.118.0.1 >/dev/null || fail "attach"
		ping1 "$c1" 192.0.2.2
		;;
	ping)
		drv create cellabr0 10.118.0.1/24 --state-dir "$WORK/state" || fail "create"
		spawn_ct; c1=$ct
		spawn_ct; c2=$ct
		h1=$(drv attach cellabr0 "$c1" eth0 10.118.0.2/24 10.118.0.1 02:00:00:00:00:02) || fail "attach c1"
		h2=$(drv attach cellabr0 "$c2" eth0 10.118.0.3/24 10.118.0.1) || fail "attach c2"
		[ "$(readlink "/sys/class/net/$h1/master")" = ../cellabr0 ] || fail "$h1 not enslaved to cellabr0"
		[ "$(readlink "/sys/class/net/$h2/master")" = ../cellabr0 ] || fail "$h2 not enslaved to cellabr0"
		in_ct "$c1" ip -br link show eth0 | grep -q '02:00:00:00:00:02' || fail "c1's MAC not set"
		in_ct "$c1" ip route show default | grep -q 'via 10.118.0.1 dev eth0' || fail "c1 has no default route"
		ping1 "$c1" 10.118.0.3
		ping1 "$c2" 10.118.0.2
		ping1 "$c1" 10.118.0.1
		ping1 "$c2" 10.118.0.1
		ports=$(drv describe cellabr0 --state-dir "$WORK/state") || fail "describe"
		echo "$ports" | grep -q "\"name\": \"$h1\"" || fail "describe does not list $h1: $ports"
		echo "$ports" | grep -q "\"name\": \"$h2\"" || fail "describe does not list $h2"
		# A process in our own namespace is no container: refused before anything is made.
		drv attach cellabr0 $$ eth9 10.118.0.9/24 2>"$WORK/err" && fail "attached our own namespace"
		grep -q 'shares this network namespace' "$WORK/err" || fail "unclear error: $(cat "$WORK/err")"
		[ ! -e /sys/class/net/eth9 ] || fail "eth9 created in our namespace"
		# The same name twice in one container is refused, and nothing is left behind.
		n=$(ip -o link | wc -l)
		drv attach cellabr0 "$c1" eth0 10.118.0.4/24 2>"$WORK/err" && fail "second eth0 accepted"
		grep -q 'eth0' "$WORK/err" || fail "unclear error: $(cat "$WORK/err")"
		[ "$(ip -o link | wc -l)" = "$n" ] || fail "a failed attach left a link behind"
		;;
	tap)
		[ -c /dev/net/tun ] || { echo "needs /dev/net/tun"; exit 77; }
		drv create cellabr0 10.118.0.1/24 --state-dir "$WORK/state" || fail "create"
		t=$(drv tap cellabr0 vmtap0) || fail "tap"
		[ "$t" = vmtap0 ] || fail "tap named $t, not vmtap0"
		[ "$(readlink /sys/class/net/vmtap0/master)" = ../cellabr0 ] || fail "vmtap0 not enslaved"
		flags=$(cat /sys/class/net/vmtap0/tun_flags) || fail "vmtap0 is not a tun device"
		(((flags & 0x4000) && (flags & 0x0002) && (flags & 0x1000))) || fail "tun_flags $flags lack TAP/NO_PI/VNET_HDR"
		drv tap cellabr0 vmtap0 2>"$WORK/err" && fail "a second vmtap0 was accepted"
		grep -q 'already exists' "$WORK/err" || fail "unclear error: $(cat "$WORK/err")"
		g=$(drv tap cellabr0) || fail "tap with a generated name"
		[ "$(readlink "/sys/class/net/$g/master")" = ../cellabr0 ] || fail "$g not enslaved"
		drv delete-link "$g" || fail "delete-link"
		[ ! -e "/sys/class/net/$g" ] || fail "$g still there"
		;;
	dhcp)
		drv create cellabr0 10.118.0.1/24 --dhcp 10.118.0.100-10.118.0.110 --state-dir "$WORK/state" ||
			fail "create"
		drv describe cellabr0 --state-dir "$WORK/state" | grep -q '"running": true' || fail "dnsmasq not running"
		spawn_ct; c1=$ct
		drv attach cellabr0 "$c1" eth0 - - 02:00:00:00:00:05 >/dev/null || fail "attach without address"
		out=$(in_ct "$c1" timeout 30 busybox udhcpc -i eth0 -n -q -t 5 -T 2 -s /bin/true 2>&1) ||
			fail "no DHCP lease: $out"
		echo "$out" | grep -Eq 'lease of 10\.118\.0\.1(0[0-9]|10) obtained' || fail "lease outside the range: $out"
		grep -q '02:00:00:00:00:05' "$WORK/state/cellabr0.leases" || fail "lease file lacks the MAC"
		;;
	delete)
		drv create cellabr0 10.118.0.1/24 --nat --dhcp 10.118.0.100-10.118.0.200 --state-dir "$WORK/state" ||
			fail "create"
		dns=$(cat "$WORK/state/cellabr0.pid") || fail "no pid file"
		spawn_ct; c1=$ct
		h1=$(drv attach cellabr0 "$c1" eth0 10.118.0.2/24 10.118.0.1) || fail "attach"
		drv tap cellabr0 vmtap0 >/dev/null || fail "tap"
		drv delete cellabr0 --state-dir "$WORK/state" || fail "delete"
		for l in cellabr0 "$h1" vmtap0; do
			[ ! -e "/sys/class/net/$l" ] || fail "$l still exists"
		done
		in_ct "$c1" ip link show eth0 >/dev/null 2>&1 && fail "the container's end survived"
		nft list table ip cella >/dev/null 2>&1 && fail "table ip cella still there: $(nft list ruleset)"
		wait_for 10 test ! -e "/proc/$dns" || fail "dnsmasq $dns still running"
		ls "$WORK/state"/cellabr0.* >/dev/null 2>&1 && fail "state files left: $(ls "$WORK/state")"
		drv delete cellabr0 --state-dir "$WORK/state" 2>"$WORK/err" && fail "second delete succeeded"
		grep -q 'network cellabr0 does not exist' "$WORK/err" || fail "unclear error: $(cat "$WORK/err")"
		;;
	two-networks)
		# Deleting one network keeps the other's NAT chains and the shared table.
		drv create cellabr0 10.118.0.1/24 --nat --state-dir "$WORK/state" || fail "create 0"
		drv create cellabr1 10.119.0.1/24 --nat --state-dir "$WORK/state" || fail "create 1"
		drv delete cellabr0 --state-dir "$WORK/state" || fail "delete 0"
		rules=$(nft list table ip cella) || fail "table ip cella gone with the first network"
		echo "$rules" | grep -q 'nat-cellabr1' || fail "cellabr1's chain gone: $rules"
		echo "$rules" | grep -q 'nat-cellabr0' && fail "cellabr0's chain left: $rules"
		drv delete cellabr1 --state-dir "$WORK/state" || fail "delete 1"
		nft list table ip cella >/dev/null 2>&1 && fail "table left after the last network"
		;;
	rollback)
		# A foreign interface of the same name is neither reused nor removed.
		ip link add cellabr0 type veth peer name cellabr0p || fail "foreign veth"
		drv create cellabr0 10.118.0.1/24 --nat --state-dir "$WORK/state" 2>"$WORK/err" && fail "create over dummy"
		grep -q 'network cellabr0: an interface of that name already exists' "$WORK/err" ||
			fail "unclear error: $(cat "$WORK/err")"
		[ -e /sys/class/net/cellabr0 ] || fail "the foreign interface was deleted"
		drv delete cellabr0 --state-dir "$WORK/state" 2>"$WORK/err" && fail "deleted a non-bridge"
		grep -q 'is not a bridge' "$WORK/err" || fail "unclear error: $(cat "$WORK/err")"
		ip link del cellabr0
		# dnsmasq cannot start (state dir under a regular file): bridge and NAT are undone.
		: >"$WORK/file"
		drv create cellabr0 10.118.0.1/24 --nat --dhcp 10.118.0.100-10.118.0.200 \
			--state-dir "$WORK/file/state" 2>"$WORK/err" && fail "create with a bad state dir"
		grep -q 'creating' "$WORK/err" || fail "unclear error: $(cat "$WORK/err")"
		[ ! -e /sys/class/net/cellabr0 ] || fail "bridge left after a failed create"
		nft list table ip cella >/dev/null 2>&1 && fail "NAT left after a failed create: $(nft list ruleset)"
		;;
	*) fail "unknown case $CASE" ;;
	esac
	exit 0
fi

# --- outer half -------------------------------------------------------------
source "$(dirname "$0")/lib.bash"
DRIVER=$CELLA_BUILD/tests/unit/network/network-driver

need_driver() {
	[ -x "$DRIVER" ] || fail "$DRIVER not built"
}

# in_netns CASE [CMD...]: prerequisites, then the case in fresh namespaces.
in_netns() {
	local name=$1 cmd
	shift
	need_root
	need_driver
	for cmd in unshare nsenter ip busybox timeout "$@"; do need_cmd "$cmd"; done
	mkdir -p "$TEST_TMP/$name"
	unshare -n -m -- bash "$0" --inner "$name" "$DRIVER" "$TEST_TMP/$name"
}

case_bad_input() {
	need_driver
	local out
	out=$("$DRIVER" create cellabr0 10.0.0.300/24 2>&1) && fail "accepted 10.0.0.300/24"
	echo "$out" | grep -q 'network.ipv4.address: 10.0.0.300/24 is not an IPv4 address' || fail "got: $out"
	out=$("$DRIVER" create cellabr0 10.0.0.0/24 2>&1) && fail "accepted the network address"
	echo "$out" | grep -q 'network.ipv4.address: 10.0.0.0/24 is the network address' || fail "got: $out"
	out=$("$DRIVER" create bad/name 10.0.0.1/24 2>&1) && fail "accepted bad/name"
	echo "$out" | grep -q 'network.name: interface name bad/name may only contain' || fail "got: $out"
	out=$("$DRIVER" create averyveryverylongname 10.0.0.1/24 2>&1) && fail "accepted a long name"
	echo "$out" | grep -q 'longer than 15 characters' || fail "got: $out"
	out=$("$DRIVER" create br0 10.0.0.1/24 --dhcp 10.0.1.2-10.0.1.9 2>&1) && fail "accepted a range outside"
	echo "$out" | grep -q 'network.ipv4.dhcp_range: 10.0.1.2-10.0.1.9 is not inside 10.0.0.1/24' ||
		fail "got: $out"
	out=$("$DRIVER" attach br0 1 eth0 10.0.0.2/24 10.0.0.1 01:00:00:00:00:01 2>&1) && fail "accepted a multicast MAC"
	echo "$out" | grep -q 'nic.hwaddr: 01:00:00:00:00:01 is a multicast MAC address' || fail "got: $out"
	out=$("$DRIVER" allocate 10.0.0.1/30 10.0.0.2 2>&1) && fail "allocated from a full pool"
	echo "$out" | grep -q 'no free IPv4 address left' || fail "got: $out"
	[ "$("$DRIVER" allocate 10.0.0.1/24 10.0.0.2 10.0.0.3)" = 10.0.0.4/24 ] || fail "allocate"
}

check "bad input is refused naming the field" case_bad_input
check "bridge with gateway address, ip_forward and NAT rule in table ip cella" in_netns nat nft
check "NAT: a container reaches an outside address only through masquerade" in_netns nat-traffic nft
check "two containers on veth pairs ping each other and the bridge" in_netns ping
check "TAP for a VM: vnet_hdr, enslaved, duplicate refused, deleted" in_netns tap
check "dnsmasq leases an address from the range to a container" in_netns dhcp dnsmasq
check "delete removes bridge, ports, NAT chains, dnsmasq and its files" in_netns delete nft dnsmasq
check "two networks share table ip cella; each delete removes only its chains" in_netns two-networks nft
check "create refuses a foreign interface and rolls back a failed create" in_netns rollback nft dnsmasq
done_testing
