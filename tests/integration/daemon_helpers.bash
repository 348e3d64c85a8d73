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

# Kills the daemon, removes every container the runtime knows in this root, unmounts our overlays.
cleanup_daemon() {
	[ -n "${D:-}" ] || return 0
	[ -n "${CELLAD_PID:-}" ] && kill -9 "$CELLAD_PID" 2>/dev/null
	[ -f "$D/root/cellad.pid" ] && kill -9 "$(cat "$D/root/cellad.pid")" 2>/dev/null
	local s m
	for s in "$D"/root/runtime/*/; do
		[ -d "$s" ] && timeout 30 "$RT" --root "$D/root/runtime" delete -f "$(basename "$s")" >/dev/null 2>&1
	done
	awk -v p="$D/root/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
	return 0
}

# start_daemon DIR: cellad in the foreground (log in DIR/cellad.log); waits, bounded, for GET /1.0.
start_daemon() {
	D=$1
	mkdir -p "$D"
	# A system container's root is an unprivileged host uid: it must be able to reach its rootfs.
	chmod 0755 "$TEST_TMP" "$D"
	"$CELLAD" --root "$D/root" --socket "$D/s.sock" --network "${CELLAD_NETWORK:-none}" ${CELLAD_ARGS:-} --foreground >>"$D/cellad.log" 2>&1 </dev/null &
	CELLAD_PID=$!
	for _ in $(seq 200); do
		if [ -S "$D/s.sock" ] && api GET /1.0 2>/dev/null && [ "$CODE" = 200 ]; then
			return 0
		fi
		kill -0 "$CELLAD_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$D/cellad.log"
	fail "cellad did not answer on $D/s.sock"
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

