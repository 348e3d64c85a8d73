#!/usr/bin/env bash
# Container snapshots of the writable layer through cellad, as root: the API with curl and the
# `cella snapshot` verbs. A file written in the container is snapshotted, changed and restored.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/daemon_helpers.bash"

CELLA="$CELLA_BUILD/src/cli/cella"

case_snapshot_api() {
	need_containers
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/snap"
	launch c1
	export CELLA_SOCKET="$D/s.sock"
	[ -x "$CELLA" ] || fail "cella not built at $CELLA"
	"$CELLA" exec c1 -- sh -c 'echo original > /data.txt' || fail "write /data.txt"
	# A running container is frozen for the copy and runs on afterwards.
	api POST /1.0/instances/c1/snapshots -d '{"name":"snap0"}'
	wait_op
	[ "$(instance_status c1)" = Running ] || fail "not running after the snapshot"
	"$CELLA" exec c1 -- sh -c 'echo changed > /data.txt; echo extra > /extra.txt' || fail "change"
	api GET /1.0/instances/c1/snapshots
	[ "$(jget 'd["metadata"]')" = "['/1.0/instances/c1/snapshots/snap0']" ] || fail "list: $BODY"
	api GET /1.0/instances/c1/snapshots/snap0
	[ "$CODE" = 200 ] && [ "$(jget 'd["metadata"]["name"]')" = snap0 ] || fail "get: $CODE $BODY"
	# Bad names, duplicates, unknown fields, a restore while running: refused, nothing changes.
	local bad
	for bad in '' '.hidden' '-x' '../up' 'a/b' "$(printf 'x%.0s' $(seq 64))"; do
		api POST /1.0/instances/c1/snapshots -d "{\"name\":\"$bad\"}"
		[ "$CODE" = 400 ] && [[ "$(jget 'd["error"]')" == name:* ]] || fail "bad name '$bad': $CODE $BODY"
	done
	api POST /1.0/instances/c1/snapshots -d '{"name":"s","bogus":1}'
	[ "$CODE" = 400 ] && [[ "$(jget 'd["error"]')" == "bogus: unknown field" ]] || fail "unknown field: $BODY"
	api POST /1.0/instances/c1/snapshots -d '{"name":"snap0"}'
	[ "$CODE" = 202 ] || fail "duplicate: expected an operation, got $CODE"
	op=$(jget 'd["operation"]')
	api GET "$op/wait?timeout=60"
	[ "$(jget 'd["metadata"]["status"]')" = Failure ] && [[ "$(jget 'd["metadata"]["err"]')" == *"already exists"* ]] ||
		fail "duplicate snapshot: $BODY"
	api GET /1.0/instances/c1/snapshots/..%2F..%2Fupper
	[ "$CODE" = 404 ] || [ "$CODE" = 400 ] || fail "traversal: $CODE $BODY"
	api GET /1.0/instances/nosuch/snapshots
	[ "$CODE" = 404 ] || fail "missing instance: $CODE"
	api PUT /1.0/instances/c1 -d '{"restore":"snap0"}'
	[ "$CODE" = 202 ] || fail "restore running: $CODE $BODY"
	op=$(jget 'd["operation"]')
	api GET "$op/wait?timeout=60"
	[[ "$(jget 'd["metadata"]["err"]')" == *"stop it first"* ]] || fail "restore of a running instance: $BODY"
	api PUT /1.0/instances/c1 -d '{"restore":"nosuch"}'
	[ "$CODE" = 404 ] || fail "restore of a missing snapshot: $CODE $BODY"
	api PUT /1.0/instances/c1 -d '{"bogus":1}'
	[ "$CODE" = 400 ] && [[ "$(jget 'd["error"]')" == *"bogus"* ]] || fail "PUT with an unknown field: $CODE $BODY"
	# Restore a stopped container: the original content, the later file gone.
	set_state c1 '{"action":"stop","force":true}'
	api PUT /1.0/instances/c1 -d '{"restore":"snap0"}'
	wait_op
	set_state c1 '{"action":"start"}'
	[ "$("$CELLA" exec c1 -- cat /data.txt)" = original ] || fail "restored content: $("$CELLA" exec c1 -- cat /data.txt 2>&1)"
	"$CELLA" exec c1 -- test -e /extra.txt && fail "/extra.txt survived the restore"
	api DELETE /1.0/instances/c1/snapshots/snap0
	wait_op
	api GET /1.0/instances/c1/snapshots
	[ "$(jget 'd["metadata"]')" = "[]" ] || fail "after delete: $BODY"
	api DELETE /1.0/instances/c1/snapshots/snap0
	[ "$CODE" = 404 ] || fail "delete twice: $CODE"
	[ -z "$(ls -A "$D/root/instances/c1/snapshots")" ] || fail "left in snapshots/: $(ls -A "$D/root/instances/c1/snapshots")"
	set_state c1 '{"action":"stop","force":true}'
	stop_daemon
}

case_snapshot_cli() {
	need_containers
	[ -x "$CELLA" ] || { echo "cella not built at $CELLA"; exit 77; }
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/snapcli"
	launch c2
	export CELLA_SOCKET="$D/s.sock"
	"$CELLA" exec c2 -- sh -c 'echo one > /f' || fail "write"
	"$CELLA" snapshot create c2 first || fail "snapshot create"
	"$CELLA" snapshot list c2 | grep -q '^first ' || fail "list: $("$CELLA" snapshot list c2)"
	[ "$("$CELLA" snapshot list --format json c2 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["name"])')" = first ] ||
		fail "list json"
	"$CELLA" exec c2 -- sh -c 'echo two > /f' || fail "change"
	"$CELLA" stop --force c2 >/dev/null 2>&1 || set_state c2 '{"action":"stop","force":true}'
	"$CELLA" snapshot restore c2 first || fail "restore"
	"$CELLA" start c2 || fail "start"
	[ "$("$CELLA" exec c2 -- cat /f)" = one ] || fail "restored: $("$CELLA" exec c2 -- cat /f 2>&1)"
	local out rc=0
	out=$("$CELLA" snapshot create c2 ../x 2>&1) || rc=$?
	[ $rc -eq 2 ] && [[ "$out" == *"invalid snapshot name"* ]] || fail "bad name: $rc $out"
	rc=0
	out=$("$CELLA" snapshot create c2 .x 2>&1) || rc=$?
	[ $rc -eq 1 ] && [[ "$out" == *"name:"* ]] || fail "dot name: $rc $out"
	rc=0
	out=$("$CELLA" snapshot frob c2 2>&1) || rc=$?
	[ $rc -eq 2 ] && [[ "$out" == *"unknown subcommand"* ]] || fail "bad subcommand: $rc $out"
	"$CELLA" snapshot delete c2 first || fail "delete"
	[ "$("$CELLA" snapshot list --format json c2)" = "[]" ] || fail "after delete: $("$CELLA" snapshot list --format json c2)"
	set_state c2 '{"action":"stop","force":true}'
	stop_daemon
}

check "snapshots through the API: create (frozen), list, get, bad names refused, restore, delete" case_snapshot_api
check "cella snapshot create, list, restore, delete" case_snapshot_cli
done_testing
