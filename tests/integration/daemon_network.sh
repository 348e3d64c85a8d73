#!/usr/bin/env bash
# cellad's managed network (--network default), as root. cellad itself runs inside `unshare -n -m`
# (its own network and mount namespaces, a private /run, loopback up), so the bridge, its NAT
# rules and every veth live and die there: nothing touches the host's network.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/daemon_helpers.bash"

CELLA="$CELLA_BUILD/src/cli/cella"

# address NAME: the instance's leased address (without the prefix length), from /1.0/networks.
address() {
	api GET /1.0/networks/cellabr0 || fail "GET network"
	jget "[l['address'] for l in d['metadata']['leases'] if l['instance'] == '$1'][0].split('/')[0]"
}

case_network() {
	need_containers
	need_cmd unshare
	need_cmd nsenter
	need_cmd ip
	need_cmd nft
	[ -x "$CELLA" ] || { echo "cella not built at $CELLA"; exit 77; }
	trap cleanup_daemon EXIT
	local host_links
	host_links=$(ip -o link show | awk -F': ' '{print $2}' | sort)
	start_netns_daemon "$TEST_TMP/net"
	export CELLA_SOCKET="$D/s.sock"
	# The bridge exists in cellad's namespace, not on the host.
	nsenter -t "$CELLAD_PID" -n ip -o addr show cellabr0 | grep -q '10.118.0.1/24' ||
		fail "no cellabr0 10.118.0.1/24 in cellad's namespace"
	# (A cellad serving the host itself may own a host cellabr0 already: only a new one is this test's.)
	if ! grep -qx cellabr0 <<<"$host_links"; then
		ip link show cellabr0 >/dev/null 2>&1 && fail "cellabr0 appeared on the host"
	fi
	launch c1
	launch c2
	local a1 a2 a3
	a1=$(address c1)
	a2=$(address c2)
	[ -n "$a1" ] && [ -n "$a2" ] && [ "$a1" != "$a2" ] || fail "addresses '$a1' '$a2'"
	"$CELLA" exec c1 -- ip -o addr show eth0 | grep -q "inet $a1/24" || fail "c1's eth0: $("$CELLA" exec c1 -- ip -o addr 2>&1)"
	"$CELLA" exec c1 -- ping -c1 -W2 "$a2" >"$D/ping" 2>&1 || fail "c1 cannot ping c2 ($a2): $(cat "$D/ping")"
	"$CELLA" exec c2 -- ping -c1 -W2 10.118.0.1 >"$D/ping" 2>&1 || fail "c2 cannot ping the bridge: $(cat "$D/ping")"
	# Per-instance network metrics: the pings above crossed c1's eth0 both ways.
	api GET /1.0/metrics
	local rx tx
	rx=$(sed -n 's/^cella_network_receive_bytes_total{name="c1",type="container"} \([0-9]*\)$/\1/p' <<<"$BODY")
	tx=$(sed -n 's/^cella_network_transmit_bytes_total{name="c1",type="container"} \([0-9]*\)$/\1/p' <<<"$BODY")
	[ -n "$rx" ] && [ "$rx" -gt 0 ] && [ -n "$tx" ] && [ "$tx" -gt 0 ] || fail "c1's network metrics rx '$rx' tx '$tx': $BODY"
	api GET /1.0/networks
	[ "$CODE" = 200 ] && [ "$(jget 'd["metadata"]')" = "['/1.0/networks/cellabr0']" ] || fail "list: $BODY"
	api GET /1.0/networks/cellabr0
	[ "$(jget 'len(d["metadata"]["state"]["ports"])')" = 2 ] || fail "ports: $BODY"
	[ "$(jget 'sorted(d["metadata"]["used_by"])')" = "['/1.0/instances/c1', '/1.0/instances/c2']" ] ||
		fail "used_by: $BODY"
	[ "$(jget 'd["metadata"]["config"]["ipv4.nat"]')" = true ] || fail "config: $BODY"
	api GET /1.0/networks/nosuch
	[ "$CODE" = 404 ] || fail "unknown network: $CODE $BODY"
	# Delete frees the address: the next container gets c1's.
	set_state c1 '{"action":"stop","force":true}'
	api DELETE /1.0/instances/c1
	wait_op
	launch c3
	a3=$(address c3)
	[ "$a3" = "$a1" ] || fail "c3 got $a3, not the freed $a1"
	api GET /1.0/networks/cellabr0
	[ "$(jget 'len(d["metadata"]["state"]["ports"])')" = 2 ] || fail "ports after delete: $BODY"
	# A restart keeps the lease and re-attaches.
	set_state c3 '{"action":"restart","force":true}'
	"$CELLA" exec c3 -- ping -c1 -W2 "$a2" >"$D/ping" 2>&1 || fail "after restart: $(cat "$D/ping")"
	[ "$(address c3)" = "$a3" ] || fail "lease changed across restart"
	set_state c2 '{"action":"stop","force":true}'
	set_state c3 '{"action":"stop","force":true}'
	stop_daemon
	[ "$(ip -o link show | awk -F': ' '{print $2}' | sort)" = "$host_links" ] || fail "the host's links changed"
}

case_network_none() {
	need_cellad
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/none"
	api GET /1.0/networks
	[ "$CODE" = 200 ] && [ "$(jget 'd["metadata"]')" = "[]" ] || fail "list with --network none: $BODY"
	api GET /1.0/networks/cellabr0
	[ "$CODE" = 404 ] || fail "cellabr0 with --network none: $CODE"
	stop_daemon
	local out rc=0
	out=$("$CELLAD" --network bogus --root "$TEST_TMP/x" 2>&1) || rc=$?
	[ $rc -eq 2 ] && [[ "$out" == *"--network 'bogus'"* ]] || fail "bad --network: $rc $out"
}

check "--network default: bridge in cellad's namespace, leases, ping c1 -> c2 and the bridge, /1.0/networks, delete frees" case_network
check "--network none: no networks, bad --network refused" case_network_none
done_testing
