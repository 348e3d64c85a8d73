#!/usr/bin/env bash
# cellad end to end, as root: a real daemon in private dirs (--root/--socket), real SQLite, real
# containers, `curl --unix-socket` as the client. Each case starts its own daemon and removes
# everything it made (daemon, containers, overlay mounts) on every path out.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/daemon_helpers.bash"

case_help() {
	need_cellad
	"$CELLAD" --help | grep -q -- "--root DIR" || fail "--help lacks --root"
	"$CELLAD" --help | grep -q -- "--socket PATH" || fail "--help lacks --socket"
	local out rc=0
	out=$("$CELLAD" --bogus 2>&1) || rc=$?
	[ $rc -eq 2 ] || fail "unknown option: exit $rc"
	[[ "$out" == *"unknown option '--bogus'"* ]] || fail "unknown option message: $out"
	rc=0
	out=$("$CELLAD" --network none --root relative/dir --socket "$TEST_TMP/x.sock" --foreground 2>&1) || rc=$?
	[ $rc -ne 0 ] && [[ "$out" == *"--root 'relative/dir': expected an absolute path"* ]] ||
		fail "relative --root accepted: $out"
}

case_start_private_dirs() {
	need_cellad
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/start"
	[ "$(stat -c %a "$D/s.sock")" = 660 ] || fail "socket mode $(stat -c %a "$D/s.sock")"
	[ "$(jget 'd["type"]')" = sync ] || fail "envelope: $BODY"
	[ "$(jget 'd["metadata"]["api_version"]')" = 1.0 ] || fail "api_version: $BODY"
	[ "$(jget 'd["metadata"]["environment"]["kernel_version"]')" = "$(uname -r)" ] || fail "host facts: $BODY"
	[ -f "$D/root/cella.db" ] || fail "no database in --root"
	if command -v sqlite3 >/dev/null; then
		[ "$(sqlite3 "$D/root/cella.db" 'PRAGMA journal_mode')" = wal ] || fail "journal mode is not WAL"
		[ "$(sqlite3 "$D/root/cella.db" 'SELECT max(version) FROM schema_migrations')" = 3 ] ||
			fail "schema version"
	fi
	# A second daemon on the same root is refused with a clear message.
	local out rc=0
	out=$(timeout 30 "$CELLAD" --network none --root "$D/root" --socket "$D/other.sock" --foreground 2>&1) || rc=$?
	[ $rc -ne 0 ] && [[ "$out" == *"another cellad is already running"* ]] || fail "second daemon: $out"
	api GET /1.0/nothing-here
	[ "$CODE" = 404 ] && [ "$(jget 'd["type"]')" = error ] || fail "unknown endpoint: $CODE $BODY"
	stop_daemon
	[ ! -e "$D/s.sock" ] || fail "socket left behind after SIGTERM"
}

case_detached() {
	need_cellad
	D="$TEST_TMP/detached"
	trap cleanup_daemon EXIT
	mkdir -p "$D"
	# Without --foreground, cellad returns 0 only once its socket answers, and runs on in the background.
	timeout 60 "$CELLAD" --network none --root "$D/root" --socket "$D/s.sock" </dev/null >"$D/out" 2>&1 || fail "cellad: $(cat "$D/out")"
	CELLAD_PID=$(cat "$D/root/cellad.pid")
	alive "$CELLAD_PID" || fail "the detached cellad is not running"
	api GET /1.0
	[ "$CODE" = 200 ] || fail "not answering right after start"
	grep -q "serving $D/s.sock" "$D/root/cellad.log" || fail "no log in the root: $(cat "$D/root/cellad.log")"
	kill -TERM "$CELLAD_PID"
	for _ in $(seq 300); do alive "$CELLAD_PID" || break; sleep 0.1; done
	alive "$CELLAD_PID" && fail "still running 30 s after SIGTERM"
	CELLAD_PID=
	! grep -q Sanitizer "$D/root/cellad.log" || fail "sanitizer report: $(cat "$D/root/cellad.log")"
	# A failure before the socket is ready is reported by the command itself.
	local out rc=0
	out=$(timeout 60 "$CELLAD" --network none --root "$D/root" --socket "$TEST_TMP/$(printf 'x%.0s' $(seq 120))/s.sock" 2>&1) || rc=$?
	[ $rc -ne 0 ] && [[ "$out" == *"path longer than"* ]] || fail "bad socket: $rc $out"
}

case_image_tarball() {
	need_containers
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/tarball"
	local src="$D/src" events="$D/events"
	mkdir -p "$src/bin" "$src/etc" && cp /bin/busybox "$src/bin/busybox" && echo "hello" >"$src/etc/motd"
	ln -s busybox "$src/bin/sh"
	tar -C "$src" -czf "$D/image.tar.gz" . || fail "tar"
	curl -sS -N --max-time 120 --unix-socket "$D/s.sock" "http://cella/1.0/events?type=operation" >"$events" &
	local curl_pid=$!
	api POST /1.0/images --data-binary "@$D/image.tar.gz" -H "Content-Type: application/octet-stream" \
		-H "X-Cella-Aliases: tiny" || fail "POST image"
	wait_op
	local fp
	fp=$(jget 'd["metadata"]["metadata"]["fingerprint"]')
	[ "$fp" = "$(sha256sum "$D/image.tar.gz" | cut -d' ' -f1)" ] || fail "fingerprint $fp is not the tarball's sha256"
	[ "$(jget 'd["metadata"]["metadata"]["progress"]["percent"]')" = 100 ] || fail "final progress: $BODY"
	# The progress of the unpack stage was published in the operation's metadata while it ran.
	for _ in $(seq 100); do grep -q '"stage":"unpack"' "$events" && break; sleep 0.1; done
	kill "$curl_pid" 2>/dev/null
	wait "$curl_pid" 2>/dev/null
	grep -q '"stage":"unpack"' "$events" || fail "no unpack progress in the operation events: $(cat "$events")"
	[ "$(cat "$D/root/images/$fp/rootfs/etc/motd")" = hello ] || fail "rootfs not unpacked"
	[ "$(readlink "$D/root/images/$fp/rootfs/bin/sh")" = busybox ] || fail "symlink not kept"
	api GET /1.0/images/aliases/tiny
	[ "$(jget 'd["metadata"]["target"]')" = "$fp" ] || fail "alias: $BODY"
	api GET "/1.0/images/${fp:0:12}"
	[ "$CODE" = 200 ] && [ "$(jget 'd["metadata"]["fingerprint"]')" = "$fp" ] || fail "GET by prefix: $BODY"
	# The same tarball again: refused, nothing half-made left.
	api POST /1.0/images --data-binary "@$D/image.tar.gz" -H "Content-Type: application/octet-stream"
	local op
	op=$(jget 'd["operation"]')
	api GET "$op/wait?timeout=60"
	[ "$(jget 'd["metadata"]["status"]')" = Failure ] && [[ "$(jget 'd["metadata"]["err"]')" == *"already exists"* ]] ||
		fail "duplicate import: $BODY"
	[ -z "$(ls -A "$D/root/tmp")" ] || fail "upload left in tmp: $(ls "$D/root/tmp")"
	[ -z "$(find "$D/root/images" -maxdepth 1 -name '.import-*')" ] || fail "staging dir left"
	# Garbage is refused with the reason.
	head -c 4096 /dev/urandom >"$D/junk"
	api POST /1.0/images --data-binary "@$D/junk" -H "Content-Type: application/octet-stream"
	op=$(jget 'd["operation"]')
	api GET "$op/wait?timeout=60"
	[[ "$(jget 'd["metadata"]["err"]')" == *"not a readable archive"* ]] || fail "junk import: $BODY"
	api DELETE "/1.0/images/$fp"
	wait_op
	[ ! -e "$D/root/images/$fp" ] || fail "image dir left after delete"
	api GET "/1.0/images/$fp"
	[ "$CODE" = 404 ] || fail "deleted image still there: $CODE"
	stop_daemon
}

case_image_directory() {
	need_containers
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/dir"
	mkdir -p "$D/tree/etc" && echo one >"$D/tree/etc/a" && ln -s /etc/passwd "$D/tree/etc/link"
	api POST /1.0/images -H "Content-Type: application/json" \
		-d "{\"source\": {\"type\": \"directory\", \"path\": \"$D/tree\"}, \"aliases\": [{\"name\": \"tree\"}]}"
	wait_op
	local fp
	fp=$(jget 'd["metadata"]["metadata"]["fingerprint"]')
	[ "$(cat "$D/root/images/$fp/rootfs/etc/a")" = one ] || fail "file not copied"
	[ "$(readlink "$D/root/images/$fp/rootfs/etc/link")" = /etc/passwd ] || fail "symlink followed instead of copied"
	api GET "/1.0/images?recursion=1"
	[ "$(jget 'd["metadata"][0]["aliases"][0]["name"]')" = tree ] || fail "list: $BODY"
	stop_daemon
}

case_container_lifecycle() {
	need_containers
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/life"
	local c="life$SFX"
	launch "$c" '{"limits.memory": "64MiB", "limits.processes": 64, "limits.cpu": "0.5"}'
	wait_status "$c" Running
	api POST /1.0/instances -d "{\"name\": \"$c\"}"
	[ "$CODE" = 409 ] && [[ "$(jget 'd["error"]')" == *"already exists"* ]] || fail "duplicate name: $CODE $BODY"
	api GET /1.0/instances
	[ "$(jget 'd["metadata"]')" = "['/1.0/instances/$c']" ] || fail "list: $BODY"
	api GET "/1.0/instances/$c/state"
	[ "$(jget 'd["metadata"]["stats"]["memory"]["usage"]["limit"]')" = $((64 << 20)) ] ||
		fail "memory limit not applied: $BODY"
	# A system container: its root is a host id range of its own.
	local pid
	pid=$(init_pid "$c")
	[ "$(awk '{print $2}' "/proc/$pid/uid_map")" -ge 1000000 ] || fail "not in its own id range: $(cat "/proc/$pid/uid_map")"
	api GET /1.0/metrics
	grep -q "^cella_instance_running{name=\"$c\",type=\"container\"} 1$" <<<"$BODY" || fail "metrics: $BODY"
	grep -q "^cella_memory_usage_bytes{name=\"$c\"" <<<"$BODY" || fail "memory metric: $BODY"
	grep -q "^cella_cpu_seconds_total{name=\"$c\"" <<<"$BODY" || fail "cpu metric: $BODY"
	grep -q "^cella_disk_read_bytes_total{name=\"$c\",type=\"container\"} [0-9]*$" <<<"$BODY" || fail "disk metric: $BODY"
	grep -q "^cella_disk_written_bytes_total{name=\"$c\",type=\"container\"} [0-9]*$" <<<"$BODY" ||
		fail "disk metric: $BODY"
	set_state "$c" '{"action": "pause"}'
	[ "$(instance_status "$c")" = Frozen ] || fail "not frozen"
	set_state "$c" '{"action": "resume"}'
	[ "$(instance_status "$c")" = Running ] || fail "not running after resume"
	# Deleting a running instance is refused.
	api DELETE "/1.0/instances/$c"
	[ "$CODE" = 400 ] && [[ "$(jget 'd["error"]')" == *"stop it before deleting"* ]] || fail "delete running: $BODY"
	set_state "$c" '{"action": "stop", "timeout": 20}'
	[ "$(instance_status "$c")" = Stopped ] || fail "not stopped"
	alive "$pid" && fail "init $pid still alive after stop"
	awk -v p="$D/root/" 'index($5, p) == 1' /proc/self/mountinfo | grep -q . && fail "overlay still mounted after stop"
	set_state "$c" '{"action": "restart"}'
	[ "$(instance_status "$c")" = Running ] || fail "not running after restart"
	set_state "$c" '{"action": "stop", "force": true}'
	api DELETE "/1.0/instances/$c"
	wait_op
	api GET "/1.0/instances/$c"
	[ "$CODE" = 404 ] || fail "deleted instance still listed"
	[ ! -e "$D/root/instances/$c" ] || fail "instance dir left"
	[ -z "$(ls -A "$D/root/runtime")" ] || fail "runtime state left: $(ls "$D/root/runtime")"
	stop_daemon
}

case_application() {
	need_containers
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/app"
	local c="app$SFX" t="once$SFX"
	launch "$c" '{"command": ["sh", "-c", "echo hello-from-app; exec sleep 1000"]}'
	[ "$(instance_status "$c")" = Running ] || fail "not running"
	for _ in $(seq 100); do grep -q hello-from-app "$D/root/instances/$c/console.log" && break; sleep 0.1; done
	grep -q hello-from-app "$D/root/instances/$c/console.log" || fail "command output not in console.log"
	# sleep as pid 1 ignores SIGTERM: the timeout ends in SIGKILL.
	set_state "$c" '{"action": "stop", "timeout": 1}'
	[ "$(instance_status "$c")" = Stopped ] || fail "not stopped"
	# A command that ends: the instance goes Stopped by itself.
	launch "$t" '{"command": ["true"]}'
	wait_status "$t" Stopped
	stop_daemon
}

case_survives_kill9() {
	need_containers
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/kill9"
	local c="k9$SFX" pid
	launch "$c"
	pid=$(init_pid "$c")
	kill -9 "$CELLAD_PID"
	wait "$CELLAD_PID" 2>/dev/null
	alive "$pid" || fail "the container died with cellad"
	start_daemon "$D"
	[ "$(instance_status "$c")" = Running ] || fail "not Running after restart"
	[ "$(init_pid "$c")" = "$pid" ] || fail "a different container runs now"
	# Still under control: it stops.
	set_state "$c" '{"action": "stop", "timeout": 20}'
	alive "$pid" && fail "init still alive"
	stop_daemon
}

case_vanished() {
	need_containers
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/vanish"
	local c="van$SFX" d="dead$SFX" pid
	launch "$c"
	pid=$(init_pid "$c")
	kill -9 "$pid"
	# The worker notices within about a second.
	wait_status "$c" Stopped
	api GET "/1.0/instances/$c"
	[[ "$(jget 'd["metadata"]["last_error"]')" == *"behind cellad's back"* ]] || fail "reason: $BODY"
	set_state "$c" '{"action": "start"}'
	[ "$(instance_status "$c")" = Running ] || fail "cannot start again"
	# Killed while cellad is down: marked stopped at start-up.
	launch "$d"
	pid=$(init_pid "$d")
	kill -9 "$CELLAD_PID"
	wait "$CELLAD_PID" 2>/dev/null
	kill -9 "$pid"
	for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
	start_daemon "$D"
	[ "$(instance_status "$d")" = Stopped ] || fail "$d not marked stopped"
	api GET "/1.0/instances/$d"
	[[ "$(jget 'd["metadata"]["last_error"]')" == *"while cellad was not running"* ]] || fail "reason: $BODY"
	[ "$(instance_status "$c")" = Running ] || fail "$c should still run"
	set_state "$c" '{"action": "stop", "force": true}'
	stop_daemon
}

expect_400() {
	local what=$1 field=$2
	[ "$CODE" = 400 ] || fail "$what: expected 400, got $CODE: $BODY"
	[ "$(jget 'd["type"]')" = error ] && [ "$(jget 'd["error_code"]')" = 400 ] || fail "$what: envelope $BODY"
	[[ "$(jget 'd["error"]')" == *"$field"* ]] || fail "$what: error does not name '$field': $BODY"
}

case_bad_requests() {
	need_cellad
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/bad"
	api POST /1.0/instances -d '{"name": "-x"}'
	expect_400 "bad name" "name"
	api POST /1.0/instances -d '{"name": "ok", "config": {"limits.memory": "lots"}}'
	expect_400 "bad memory" "limits.memory"
	api POST /1.0/instances -d '{"name": "ok", "config": {"limits.cpu": -1}}'
	expect_400 "bad cpu" "limits.cpu"
	api POST /1.0/instances -d '{"name": "ok", "config": {"limits.bogus": 1}}'
	expect_400 "unknown key" "limits.bogus"
	api POST /1.0/instances -d '{"name": "ok", "type": "jail"}'
	expect_400 "bad type" "type"
	api POST /1.0/instances -d '{"name": "ok", "source": {"alias": "nope"}}'
	expect_400 "unknown alias" "source.alias"
	api POST /1.0/instances -d '{"name": "ok", '
	expect_400 "broken JSON" "invalid JSON"
	api POST /1.0/images -H "Content-Type: application/json" -d '{"source": {"type": "directory", "path": "rel"}}'
	expect_400 "relative image path" "source.path"
	api GET "/1.0/operations/x/wait?timeout=soon"
	expect_400 "bad timeout" "timeout"
	api POST /1.0/instances -d '{"name": "vm1", "type": "vm"}'
	# A vm needs a VM image (daemon_vm.sh tests VMs themselves).
	[ "$CODE" = 400 ] && [[ "$(jget 'd["error"]')" == "source: a vm needs an image (alias or fingerprint)" ]] || fail "vm: $CODE $BODY"
	api PUT /1.0/instances/none/state -d '{"action": "jump"}'
	expect_400 "bad action" "action"
	api PUT /1.0/instances/none/state -d '{"action": "start"}'
	[ "$CODE" = 404 ] || fail "unknown instance: $CODE"
	api DELETE /1.0/instances
	[ "$CODE" = 405 ] || fail "wrong method: $CODE"
	api GET /1.0/instances
	[ "$(jget 'd["metadata"]')" = "[]" ] || fail "a refused request left an instance: $BODY"
	stop_daemon
}

case_access_refused() {
	need_cellad
	need_cmd setpriv
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/access"
	local out rc=0
	# The socket's mode keeps others out...
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		curl -sS --max-time 30 --unix-socket "$D/s.sock" http://cella/1.0 2>&1) || rc=$?
	[ $rc -ne 0 ] || fail "nobody connected through a 0660 socket: $out"
	# ...and with the mode opened, SO_PEERCRED still refuses a non-member, saying why.
	chmod 0666 "$D/s.sock"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		curl -sS --max-time 30 --unix-socket "$D/s.sock" -w '\n%{http_code}' http://cella/1.0) ||
		fail "curl as nobody: $out"
	[ "${out##*$'\n'}" = 403 ] || fail "expected 403: $out"
	[[ "$out" == *"uid 65534 is neither root nor a member of group 'cella'"* ]] || fail "message: $out"
	api GET /1.0
	[ "$CODE" = 200 ] || fail "root refused"
	stop_daemon
}

case_events() {
	need_containers
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/events"
	local c="ev$SFX" events="$D/events"
	curl -sS -N --max-time 120 --unix-socket "$D/s.sock" "http://cella/1.0/events?type=lifecycle" >"$events" &
	local curl_pid=$!
	launch "$c"
	set_state "$c" '{"action": "stop", "force": true}'
	for _ in $(seq 100); do grep -q '"instance-stopped"' "$events" && break; sleep 0.1; done
	kill "$curl_pid" 2>/dev/null
	wait "$curl_pid" 2>/dev/null
	for a in instance-created instance-started instance-stopped; do
		grep -q "\"action\":\"$a\",\"source\":\"/1.0/instances/$c\"" "$events" || fail "no $a event: $(cat "$events")"
	done
	python3 -c 'import json,sys
for l in open(sys.argv[1]):
    if l.strip(): json.loads(l)' "$events" || fail "an event line is not JSON"
	stop_daemon
}

check "cellad --help, bad options refused" case_help
check "daemon in private dirs: socket 0660, GET /1.0, WAL database, one daemon per root" case_start_private_dirs
check "cellad without --foreground: ready when it returns, logs in the root, SIGTERM ends it" case_detached
check "image import from a tarball: progress, fingerprint, alias, duplicates and junk refused, delete" case_image_tarball
check "image import from a directory" case_image_directory
check "container from the default image: limits, list, metrics, pause/resume, stop/restart, delete" case_container_lifecycle
check "application container: the command runs as pid 1, its end stops the instance" case_application
check "kill -9 cellad: the container runs on and is re-attached as Running" case_survives_kill9
check "a container killed behind cellad's back is marked Stopped (live and at start-up)" case_vanished
check "bad requests: 400 naming the field, 404, 405, a vm without an image" case_bad_requests
check "a client neither root nor in group cella is refused" case_access_refused
check "/1.0/events streams lifecycle events as JSON lines" case_events
done_testing
