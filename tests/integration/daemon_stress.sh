#!/usr/bin/env bash
# cellad under load and crashes, as a user would meet them: 50 containers launched at once through the CLI;
# kill -9 of cellad in the middle of launches and of a snapshot, then a restart that must leave the database
# and the system agreeing; hostile requests (malformed JSON, unknown fields, bad names, path traversal) that
# must be refused with a clear error and change nothing.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/daemon_helpers.bash"

CELLA="$CELLA_BUILD/src/cli/cella"

# The CLI on this test's cellad, bounded.
cli() {
	CELLA_SOCKET="$D/s.sock" timeout 240 "$CELLA" "$@"
}
# How many containers the concurrency case launches (CELLA_STRESS_N to try more or fewer).
N=${CELLA_STRESS_N:-50}

need_cli() {
	need_containers
	[ -x "$CELLA" ] || { echo "cella not built at $CELLA"; exit 77; }
}

# The runtime's view: "ID STATUS" lines, sorted.
runtime_list() {
	timeout 60 "$RT" --root "$D/root/runtime" list --format json 2>/dev/null |
		python3 -c 'import json, sys
for c in json.load(sys.stdin) or []: print(c["id"], c["status"])' | sort
}

# cellad's view: "NAME STATUS" lines, sorted.
cellad_list() {
	api GET "/1.0/instances?recursion=1" || fail "GET /1.0/instances"
	[ "$CODE" = 200 ] || fail "GET /1.0/instances: $CODE $BODY"
	python3 -c 'import json, sys
for i in json.loads(sys.argv[1])["metadata"]: print(i["name"], i["status"])' "$BODY" | sort
}

# After a restart: every recorded instance agrees with the runtime, nothing is half-made.
check_consistent() {
	local name status rt
	cellad_list >"$D/cellad.list"
	runtime_list >"$D/runtime.list"
	! grep -q ' Creating$' "$D/cellad.list" || fail "an instance is still Creating: $(cat "$D/cellad.list")"
	while read -r name status; do
		rt=$(awk -v n="$name" '$1 == n { print $2 }' "$D/runtime.list")
		case "$status" in
		Running) [ "$rt" = running ] || fail "$name recorded Running, the runtime says '${rt:-nothing}'" ;;
		Frozen) [ "$rt" = paused ] || fail "$name recorded Frozen, the runtime says '${rt:-nothing}'" ;;
		Stopped) [ "$rt" != running ] && [ "$rt" != paused ] || fail "$name recorded Stopped but it runs" ;;
		*) fail "$name: unexpected status $status" ;;
		esac
		[ -d "$D/root/instances/$name" ] || fail "$name is listed but has no directory"
	done <"$D/cellad.list"
	# No container and no instance directory without its record.
	while read -r name rt; do
		grep -q "^$name " "$D/cellad.list" || fail "runtime container $name ($rt) has no instance"
	done <"$D/runtime.list"
	for name in "$D"/root/instances/*; do
		[ -e "$name" ] || continue
		grep -q "^$(basename "$name") " "$D/cellad.list" || fail "directory $name has no instance"
	done
	ls -d "$D"/root/instances/.delete-* "$D"/root/images/.import-* 2>/dev/null && fail "crash leftovers not removed"
	# No operation is left Pending or Running: the interrupted ones are failed, saying so.
	python3 - "$D/root/cella.db" <<'PY' || fail "operations left unfinished"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
left = db.execute("SELECT id, status FROM operations WHERE status IN ('Pending', 'Running')").fetchall()
assert not left, left
PY
	return 0
}

case_fifty_concurrent() {
	need_cli
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/fifty"
	local i pids=() start=$SECONDS
	for i in $(seq "$N"); do
		cli launch default "s$i-$SFX" >"$D/launch.$i" 2>&1 &
		pids+=($!)
	done
	for i in $(seq "$N"); do
		wait "${pids[i - 1]}" || fail "launch s$i-$SFX: $(cat "$D/launch.$i")"
	done
	echo "# $N concurrent launches: $((SECONDS - start)) s"
	[ "$(cellad_list | grep -c " Running$")" = "$N" ] || fail "not all Running: $(cellad_list | sort | uniq -c | head)"
	[ "$(cli list | grep -cE "^s[0-9]+-$SFX +Running ")" = "$N" ] || fail "cella list disagrees"
	[ "$(runtime_list | grep -c ' running$')" = "$N" ] || fail "the runtime runs $(runtime_list | grep -c running) containers"
	pids=()
	for i in $(seq "$N"); do
		cli delete --force "s$i-$SFX" >"$D/delete.$i" 2>&1 &
		pids+=($!)
	done
	for i in $(seq "$N"); do
		wait "${pids[i - 1]}" || fail "delete s$i-$SFX: $(cat "$D/delete.$i")"
	done
	echo "# $N launches and deletes: $((SECONDS - start)) s"
	[ -z "$(cellad_list)" ] || fail "instances left: $(cellad_list | head)"
	[ -z "$(runtime_list)" ] || fail "containers left: $(runtime_list | head)"
	! awk -v p="$D/root/" 'index($5, p) == 1' /proc/self/mountinfo | grep -q . || fail "mounts left"
	stop_daemon
}

case_kill_during_launches() {
	need_cli
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/killlaunch"
	local i started=0 total=40
	# The default image first, so the launches race only with each other.
	launch "first$SFX"
	for i in $(seq "$total"); do
		api POST /1.0/instances -d "{\"name\": \"k$i\", \"source\": {\"alias\": \"default\"}, \"start\": true}" ||
			fail "POST k$i"
		[ "$CODE" = 202 ] || fail "POST k$i: $CODE $BODY"
	done
	# Operations run one at a time: kill once a few have begun (their directories appear), while the
	# others are still queued or running. Counting directories is cheap: the kill comes quickly.
	for _ in $(seq 2000); do
		started=$(find "$D/root/instances" -mindepth 1 -maxdepth 1 -name 'k*' | wc -l)
		[ "$started" -ge 3 ] && break
		sleep 0.01
	done
	kill -9 "$CELLAD_PID"
	wait "$CELLAD_PID" 2>/dev/null
	[ "$started" -ge 3 ] || fail "the launches did not begin"
	start_daemon "$D"
	check_consistent
	# What survived is still under control, and the rolled-back names are free again.
	for i in $(seq "$total"); do
		if grep -q "^k$i " "$D/cellad.list"; then
			set_state "k$i" '{"action": "stop", "force": true}'
			api DELETE "/1.0/instances/k$i"
			wait_op
		fi
	done
	launch "k$total"
	[ "$(instance_status "k$total")" = Running ] || fail "cannot launch k$total again"
	python3 - "$D/root/cella.db" <<'PY' || fail "no launch was interrupted, or the interrupted ones are not failed as such"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = db.execute("SELECT count(*) FROM operations WHERE status = 'Failure' AND err LIKE '%interrupted%'").fetchone()[0]
assert n >= 1, n
PY
	stop_daemon
}

case_kill_during_snapshot() {
	need_cli
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/killsnap"
	local c="snap$SFX" caught=0
	# Enough data that the copy takes a moment (random: no sparse or reflink shortcut), written by the
	# container's own first process, which then stays.
	launch "$c" '{"command": ["sh", "-c", "dd if=/dev/urandom of=/tmp/big.part bs=1M count=96 && mv /tmp/big.part /tmp/big && exec sleep 3600"]}'
	for _ in $(seq 600); do [ -e "$D/root/instances/$c/upper/tmp/big" ] && break; sleep 0.1; done
	[ -e "$D/root/instances/$c/upper/tmp/big" ] || fail "the container did not write its data"
	api POST "/1.0/instances/$c/snapshots" -d '{"name": "s0"}' || fail "POST snapshot"
	[ "$CODE" = 202 ] || fail "snapshot: $CODE $BODY"
	for _ in $(seq 2000); do
		if [ -e "$D/root/instances/$c/snapshots/.tmp-s0" ]; then
			caught=1
			break
		fi
		sleep 0.005
	done
	kill -9 "$CELLAD_PID"
	wait "$CELLAD_PID" 2>/dev/null
	[ $caught = 1 ] && [ ! -e "$D/root/instances/$c/snapshots/s0" ] || fail "the snapshot was not caught in the middle"
	start_daemon "$D"
	check_consistent
	api GET "/1.0/instances/$c/snapshots"
	[ "$(jget 'd["metadata"]')" = "[]" ] || fail "a half-made snapshot is listed: $BODY"
	# A container cellad froze for the copy is re-attached as Frozen: it can be resumed.
	if [ "$(instance_status "$c")" = Frozen ]; then
		set_state "$c" '{"action": "resume"}'
	fi
	[ "$(instance_status "$c")" = Running ] || fail "$c is $(instance_status "$c")"
	# The same name works again (the leftover is replaced), and the copy is whole.
	api POST "/1.0/instances/$c/snapshots" -d '{"name": "s0"}'
	wait_op
	[ "$(stat -c %s "$D/root/instances/$c/snapshots/s0/upper/tmp/big")" = $((96 << 20)) ] || fail "snapshot incomplete"
	set_state "$c" '{"action": "stop", "force": true}'
	stop_daemon
}

# What a refused request must not change: the records and the files under the root.
state_fingerprint() {
	cellad_list
	api GET "/1.0/images?recursion=1" && echo "$BODY"
	api GET "/1.0/images/aliases?recursion=1" && echo "$BODY"
	api GET "/1.0/instances/$1/snapshots" && echo "$BODY"
	(cd "$D/root" && find . -path ./tmp -prune -o -path ./runtime -prune -o ! -name 'cella.db*' ! -name cellad.log -printf '%p %s %m\n' | sort)
}

expect_refused() {
	local what=$1 code=$2 needle=$3
	[ "$CODE" = "$code" ] || fail "$what: expected $code, got $CODE: $BODY"
	[ "$(jget 'd["type"]')" = error ] || fail "$what: not an error envelope: $BODY"
	[[ "$(jget 'd["error"]')" == *"$needle"* ]] || fail "$what: error does not say '$needle': $BODY"
}

case_hostile_requests() {
	need_cli
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/hostile"
	local c="h$SFX"
	launch "$c"
	set_state "$c" '{"action": "stop", "force": true}'
	state_fingerprint "$c" >"$D/before"

	# Malformed JSON and bodies of the wrong shape.
	api PATCH "/1.0/instances/$c" -d '{"config": {"limits.memory": "64MiB"'
	expect_refused "truncated PATCH" 400 "invalid JSON"
	api PATCH "/1.0/instances/$c" -d '["config"]'
	expect_refused "array body" 400 "expected a JSON object"
	api PUT "/1.0/instances/$c" -d '{"config": {"limits.cpu": "1"}, "config": {}}'
	expect_refused "duplicate keys" 400 "invalid JSON"
	api PATCH "/1.0/instances/$c" -d '{"config": "limits.memory=1G"}'
	expect_refused "config not an object" 400 "config: expected an object"
	api POST /1.0/images -H 'Content-Type: application/json' -d '{"source": {"type": "instance"'
	expect_refused "truncated publish" 400 "invalid JSON"

	# Unknown fields and keys, named.
	api POST /1.0/instances -d '{"name": "typo", "confg": {"limits.memory": "1G"}}'
	expect_refused "unknown field in create" 400 "confg: unknown field"
	api PATCH "/1.0/instances/$c" -d '{"description": "x"}'
	expect_refused "unknown field in PATCH" 400 "description: unknown"
	api PATCH "/1.0/instances/$c" -d '{"config": {"limits.memroy": "64MiB"}}'
	expect_refused "unknown config key" 400 "limits.memroy"
	api PUT "/1.0/instances/$c" -d '{"config": {"limits.processes": "0"}}'
	expect_refused "bad value" 400 "limits.processes"
	api PUT "/1.0/instances/$c" -d '{"config": {}, "restore": "s"}'
	expect_refused "restore with config" 400 "restore"
	api POST /1.0/images -H 'Content-Type: application/json' -d "{\"source\": {\"type\": \"instance\", \"name\": \"$c\", \"path\": \"/\"}}"
	expect_refused "unknown source field" 400 "source.path: unknown field"

	# Bad names, and names that try to leave their directory.
	local name
	for name in '../x' 'a/b' '..' '.hidden' 'a b' "$(printf 'n%.0s' $(seq 64))" '-x' 'ünï'; do
		api POST /1.0/instances -d "$(python3 -c 'import json,sys; print(json.dumps({"name": sys.argv[1]}))' "$name")"
		expect_refused "instance name '$name'" 400 "name:"
		api POST /1.0/images -H 'Content-Type: application/json' \
			-d "$(python3 -c 'import json,sys; print(json.dumps({"source": {"type": "instance", "name": sys.argv[1]}}))' "$name")"
		expect_refused "publish of '$name'" 400 "source.name"
		api POST "/1.0/instances/$c/snapshots" -d "$(python3 -c 'import json,sys; print(json.dumps({"name": sys.argv[1]}))' "$name")"
		[ "$CODE" = 400 ] || fail "snapshot name '$name': $CODE $BODY"
	done
	api POST /1.0/images/aliases -d '{"name": "../../etc", "target": "00"}'
	[ "$CODE" = 400 ] || [ "$CODE" = 404 ] || fail "alias name: $CODE $BODY"
	for path in "/1.0/instances/..%2F..%2Fetc" "/1.0/instances/$c/logs/..%2Fcella.db" \
		"/1.0/instances/$c/logs/.%2E%2F.%2E%2Fcella.db" "/1.0/instances/$c/snapshots/..%2F..%2F$c" \
		"/1.0/images/..%2F..%2Fcella.db/export" "/1.0/instances/$c/../../cella.db"; do
		api GET "$path" --path-as-is || fail "GET $path"
		[ "$CODE" = 400 ] || [ "$CODE" = 404 ] || fail "GET $path: $CODE"
		[[ "$BODY" != *"SQLite"* ]] || fail "GET $path served the database"
	done
	api DELETE "/1.0/instances/..%2F$c" --path-as-is
	[ "$CODE" = 404 ] || fail "DELETE with traversal: $CODE $BODY"
	api PATCH "/1.0/instances/..%2F$c" --path-as-is -d '{"config": {"limits.cpu": "1"}}'
	[ "$CODE" = 404 ] || fail "PATCH with traversal: $CODE $BODY"

	state_fingerprint "$c" >"$D/after"
	diff "$D/before" "$D/after" >/dev/null || fail "a refused request changed something: $(diff "$D/before" "$D/after" | head)"
	stop_daemon
}

check "$N containers launched concurrently through the CLI: all Running and listed, then deleted" case_fifty_concurrent
check "kill -9 cellad in the middle of launches: restart leaves records and containers consistent" case_kill_during_launches
check "kill -9 cellad in the middle of a snapshot: no half snapshot, the container re-attached" case_kill_during_snapshot
check "malformed JSON, unknown fields, bad names, path traversal: clear errors, nothing changed" case_hostile_requests
done_testing
