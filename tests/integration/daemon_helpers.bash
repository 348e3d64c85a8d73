# Helpers shared by the daemon_*.sh tests (sourced after lib.bash): a private cellad, curl on its socket.

CELLAD="$CELLA_BUILD/src/daemon/cellad"
RT="$CELLA_BUILD/src/runtime/cli/cella-runtime"
SFX="$$"

need_cellad() {
	need_root
	need_cmd curl
	need_cmd python3
	[ -x "$CELLAD" ] || { echo "cellad not built at $CELLAD"; exit 77; }
}

need_containers() {
	need_cellad
	[ -x "$RT" ] || { echo "cella-runtime not built at $RT"; exit 77; }
	# ldd (libc-bin, always there) says so of a static binary; `file` may not be installed.
	[ -x /bin/busybox ] && LC_ALL=C ldd /bin/busybox 2>&1 | grep -q 'not a dynamic executable' ||
		{ echo "needs a static /bin/busybox (busybox-static)"; exit 77; }
	grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
		{ echo "needs overlayfs"; exit 77; }
}

# Kills the daemon, every VMM it started (found by its socket under $D) and, after start_netns_daemon,
# everything left in its network namespace (dnsmasq daemonizes out of cellad's process tree), so the
# namespace and its links go too; removes every container the runtime knows in this root, unmounts our
# overlays.
cleanup_daemon() {
	[ -n "${D:-}" ] || return 0
	[ -n "${CELLAD_PID:-}" ] && kill -9 "$CELLAD_PID" 2>/dev/null
	[ -f "$D/root/cellad.pid" ] && kill -9 "$(cat "$D/root/cellad.pid")" 2>/dev/null
	local s m p
	for p in $(pgrep -f -- "--api-socket $D/root/instances/" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	if [ -n "${CELLAD_NETNS:-}" ] && [ "$CELLAD_NETNS" != "$(readlink /proc/self/ns/net)" ]; then
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/ns/net" 2>/dev/null)" = "$CELLAD_NETNS" ] && kill -9 "${p#/proc/}" 2>/dev/null
		done
	fi
	for s in "$D"/root/runtime/*/; do
		[ -d "$s" ] && timeout 30 "$RT" --root "$D/root/runtime" delete -f "$(basename "$s")" >/dev/null 2>&1
	done
	awk -v p="$D/root/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
	return 0
}

# wait_answer [CMD]: waits, bounded (15 s), until $CELLAD_PID answers GET /1.0 on $D/s.sock, running CMD
# at each try; fails with cellad's log when it does not (or dies).
wait_answer() {
	for _ in $(seq 300); do
		[ -n "${1:-}" ] && "$1"
		if [ -S "$D/s.sock" ] && api GET /1.0 2>/dev/null && [ "$CODE" = 200 ]; then
			return 0
		fi
		kill -0 "$CELLAD_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$D/cellad.log"
	fail "cellad did not answer on $D/s.sock"
}

# start_daemon DIR: cellad in the foreground (log in DIR/cellad.log); waits, bounded, for GET /1.0.
start_daemon() {
	D=$1
	mkdir -p "$D"
	# A system container's root is an unprivileged host uid: it must be able to reach its rootfs.
	chmod 0755 "$TEST_TMP" "$D"
	"$CELLAD" --root "$D/root" --socket "$D/s.sock" --network "${CELLAD_NETWORK:-none}" ${CELLAD_ARGS:-} --foreground >>"$D/cellad.log" 2>&1 </dev/null &
	CELLAD_PID=$!
	wait_answer
}

# Ends the daemon with SIGTERM (bounded) and checks it exited cleanly (ASan/LSan report nothing).
stop_daemon() {
	kill -TERM "$CELLAD_PID"
	local rc=0
	timeout 30 tail --pid="$CELLAD_PID" -f /dev/null || fail "cellad did not exit within 30 s of SIGTERM"
	wait "$CELLAD_PID" || rc=$?
	CELLAD_PID=
	[ $rc -eq 0 ] || { cat "$D/cellad.log"; fail "cellad exited with $rc"; }
	! grep -q "Sanitizer" "$D/cellad.log" || { cat "$D/cellad.log"; fail "sanitizer report"; }
}

# api METHOD PATH [curl args]: response body in $BODY, HTTP status in $CODE.
api() {
	local m=$1 p=$2 out
	shift 2
	out=$(curl -sS --max-time 120 --unix-socket "$D/s.sock" -X "$m" -w '\n%{http_code}' "$@" "http://cella$p") ||
		return 1
	CODE=${out##*$'\n'}
	BODY=${out%$'\n'*}
}

# jget PYTHON-EXPR: evaluates it with d = the JSON of $BODY.
jget() {
	python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$BODY" "$1"
}

# After a 202: waits (bounded) for the operation and requires Success.
wait_op() {
	[ "$CODE" = 202 ] || fail "expected 202, got $CODE: $BODY"
	local op
	op=$(jget 'd["operation"]')
	api GET "$op/wait?timeout=120" || fail "wait $op"
	[ "$(jget 'd["metadata"]["status"]')" = Success ] ||
		fail "operation $op: $(jget 'd["metadata"]["err"]')"
}

instance_status() {
	api GET "/1.0/instances/$1" || fail "GET instance $1"
	jget 'd["metadata"]["status"]'
}

# wait_status NAME STATUS: polls (bounded, 20 s) until the instance reports STATUS.
wait_status() {
	local s=""
	for _ in $(seq 200); do
		s=$(instance_status "$1")
		[ "$s" = "$2" ] && return 0
		sleep 0.1
	done
	fail "instance $1: status $s, expected $2"
}

set_state() {
	api PUT "/1.0/instances/$1/state" -d "$2" || fail "PUT state $2"
	wait_op
}

launch() {
	api POST /1.0/instances -d "{\"name\": \"$1\", \"source\": {\"alias\": \"default\"}, \"start\": true, \"config\": ${2:-{\}}}" ||
		fail "POST instance"
	wait_op
}

# alive PID: the process exists and is not a zombie (pid 1 of a test machine may reap late).
alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

init_pid() {
	timeout 30 "$RT" --root "$D/root/runtime" state "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])'
}


# start_netns_daemon DIR: cellad in fresh network and mount namespaces (a private /run, loopback up), so the
# bridge, its NAT rules, every veth and TAP live and die there; with $VMM set, VMs run on it.
# $CELLAD_PID is cellad itself (unshare and sh exec it).
start_netns_daemon() {
	D=$1
	mkdir -p "$D"
	chmod 0755 "$TEST_TMP" "$D"
	local vmm_args=()
	[ -n "${VMM:-}" ] && vmm_args=(--vmm "$VMM")
	unshare -n -m -- sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && ip link set lo up && exec "$@"' sh \
		"$CELLAD" --root "$D/root" --socket "$D/s.sock" --network "${CELLAD_NETWORK:-default}" \
		"${vmm_args[@]}" --foreground >>"$D/cellad.log" 2>&1 </dev/null &
	CELLAD_PID=$!
	CELLAD_NETNS=
	# Noted as soon as unshare made it, so a cellad that never answers is still cleaned up with it.
	wait_answer note_netns
	CELLAD_NETNS=$(readlink "/proc/$CELLAD_PID/ns/net") || fail "cellad's network namespace"
}

note_netns() {
	local ns
	ns=$(readlink "/proc/$CELLAD_PID/ns/net" 2>/dev/null) || return 0
	[ "$ns" != "$(readlink /proc/self/ns/net)" ] && CELLAD_NETNS=$ns
	return 0
}

# in_ns CMD...: runs CMD in cellad's network namespace (after start_netns_daemon).
in_ns() { nsenter -t "$CELLAD_PID" -n "$@"; }

# import_vm_image ALIAS KERNEL [CMDLINE] [DISK]: a vm-directory image.
import_vm_image() {
	local dir="$D/img-$1"
	mkdir -p "$dir"
	cp "$2" "$dir/kernel"
	[ -n "${3:-}" ] && printf '%s\n' "$3" >"$dir/cmdline"
	[ -n "${4:-}" ] && cp --sparse=always "$4" "$dir/disk.img"
	api POST /1.0/images -H "Content-Type: application/json" \
		-d "{\"source\":{\"type\":\"vm-directory\",\"path\":\"$dir\"},\"aliases\":[{\"name\":\"$1\"}]}" ||
		fail "POST image"
	wait_op
}

# wait_console NAME TEXT: the instance's console.log shows TEXT within 20 s.
wait_console() {
	for _ in $(seq 200); do
		grep -q "$2" "$D/root/instances/$1/console.log" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "console of $1 never showed '$2': $(cat "$D/root/instances/$1/console.log" 2>&1)"
}

# The VM tests' name for cleanup_daemon (which kills the VMMs too).
cleanup_vm() { cleanup_daemon; }
