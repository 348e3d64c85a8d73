#!/usr/bin/env bash
# cellad exec, console and logs for containers, as root: a real daemon, a busybox system container,
# the API through curl and the `cella exec` / `cella console` verbs.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/daemon_helpers.bash"

CELLA="$CELLA_BUILD/src/cli/cella"

case_exec_api() {
	need_containers
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/exec"
	launch c1
	# The init's output is the console log.
	api POST /1.0/instances/c1/exec -d '{"command":["sh","-c","echo out-$FOO; echo err >&2; exit 7"],"environment":{"FOO":"bar"},"record-output":true}'
	wait_op
	[ "$(jget 'd["metadata"]["metadata"]["return"]')" = 7 ] || fail "exit code: $BODY"
	local out errurl
	out=$(jget 'd["metadata"]["metadata"]["output"]["1"]')
	errurl=$(jget 'd["metadata"]["metadata"]["output"]["2"]')
	[ "$(curl -sS --max-time 30 --unix-socket "$D/s.sock" "http://cella$out")" = out-bar ] || fail "stdout log"
	[ "$(curl -sS --max-time 30 --unix-socket "$D/s.sock" "http://cella$errurl")" = err ] || fail "stderr log"
	# The exec really ran inside: its hostname is the instance's.
	api POST /1.0/instances/c1/exec -d '{"command":["hostname"],"record-output":true}'
	wait_op
	out=$(jget 'd["metadata"]["metadata"]["output"]["1"]')
	[ "$(curl -sS --max-time 30 --unix-socket "$D/s.sock" "http://cella$out")" = c1 ] || fail "not in the container's UTS namespace"
	api GET /1.0/instances/c1/logs
	[[ "$BODY" == *"exec_"*".stdout"* ]] || fail "logs list: $BODY"
	# Bad requests change nothing and name the field.
	api POST /1.0/instances/c1/exec -d '{"command":[]}'
	[ "$CODE" = 400 ] && [[ "$(jget 'd["error"]')" == command* ]] || fail "empty command: $CODE $BODY"
	api POST /1.0/instances/c1/exec -d '{"command":["ls"],"bogus":1}'
	[ "$CODE" = 400 ] && [[ "$(jget 'd["error"]')" == *"bogus: unknown field"* ]] || fail "unknown field: $BODY"
	api POST /1.0/instances/c1/exec -d '{"command":["ls"],"wait-for-websocket":true}'
	[ "$CODE" = 501 ] || fail "websocket: $CODE $BODY"
	api GET /1.0/instances/c1/logs/..%2Fconfig.json
	[ "$CODE" = 400 ] || [ "$CODE" = 404 ] || fail "traversal: $CODE $BODY"
	api GET "/1.0/instances/c1/logs/.hidden"
	[ "$CODE" = 400 ] || fail "dot name: $CODE"
	api GET /1.0/instances/c1/console
	[ "$CODE" = 200 ] || fail "console: $CODE $BODY"
	set_state c1 '{"action":"stop","force":true}'
	api POST /1.0/instances/c1/exec -d '{"command":["true"]}'
	[ "$CODE" = 400 ] && [[ "$(jget 'd["error"]')" == *"Stopped"* ]] || fail "exec in a stopped container: $CODE $BODY"
	stop_daemon
}

case_exec_cli() {
	need_containers
	[ -x "$CELLA" ] || { echo "cella not built at $CELLA"; exit 77; }
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/execcli"
	# An application container whose pid 1 writes to the console, then waits.
	launch app '{"command":["sh","-c","echo hello-console; exec sleep 1000"]}'
	export CELLA_SOCKET="$D/s.sock"
	local out rc=0
	out=$("$CELLA" exec app -- sh -c 'echo one; echo two >&2; exit 3' 2>"$D/err") || rc=$?
	[ $rc -eq 3 ] || fail "cella exec exit status $rc"
	[ "$out" = one ] && [ "$(cat "$D/err")" = two ] || fail "cella exec output: '$out' '$(cat "$D/err")'"
	out=$("$CELLA" exec --env X=42 app -- sh -c 'echo $X') || fail "cella exec --env"
	[ "$out" = 42 ] || fail "--env: $out"
	for _ in $(seq 100); do
		"$CELLA" console app --show-log | grep -q hello-console && break
		sleep 0.1
	done
	"$CELLA" console app --show-log | grep -q hello-console || fail "console log: $("$CELLA" console app --show-log)"
	rc=0
	# A container has no interactive console: cellad's refusal names the log and exec -t.
	out=$("$CELLA" console app </dev/null 2>&1) || rc=$?
	[ $rc -eq 1 ] && [[ "$out" == *"--show-log"* ]] && [[ "$out" == *"exec -t"* ]] ||
		fail "console without --show-log: $rc $out"
	rc=0
	out=$("$CELLA" exec nosuch -- true 2>&1) || rc=$?
	[ $rc -eq 1 ] && [[ "$out" == *"not found"* ]] || fail "exec in a missing instance: $rc $out"
	set_state app '{"action":"stop","force":true}'
	stop_daemon
}

check "exec through the API: output recorded, exit code in the operation, bad requests, logs, console" case_exec_api
check "cella exec prints output and exits with the command's status; cella console --show-log" case_exec_cli
done_testing
