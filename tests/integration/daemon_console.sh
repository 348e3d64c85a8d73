#!/usr/bin/env bash
# The interactive console of a VM through cellad, as root, on the real cella-vmm and KVM: POST
# /1.0/instances/NAME/console, then the operation's stream (an HTTP upgrade) joined to the VMM's COM1
# socket. The guest is guests/echo.elf (it waits for one byte on COM1, echoes it and powers off) or
# guests/acpi-button.elf (it runs until the power button). Driven through a python3 client
# (tests/integration/cella_stream.py) and through `cella console` under a pty lent by script(1).
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/daemon_helpers.bash"

CELLA="$CELLA_BUILD/src/cli/cella"
VMM="$CELLA_BUILD/src/vmm/cli/cella-vmm"
ECHO="$CELLA_BUILD/guests/echo.elf"
BUTTON="$CELLA_BUILD/guests/acpi-button.elf"
export CELLAD_EXEC_ATTACH_TIMEOUT=5
export CELLAD_ARGS="--vmm $VMM"

need_console() {
	need_containers
	need_kvm
	need_cmd script
	need_cmd setsid
	[ -x "$VMM" ] && [ -x "$CELLA" ] || { echo "cella-vmm or cella not built under $CELLA_BUILD"; exit 77; }
	[ -f "$ECHO" ] && [ -f "$BUTTON" ] || { echo "test guests not built under $CELLA_BUILD/guests"; exit 77; }
}

launch_vm() { # NAME ALIAS
	api POST /1.0/instances -d "{\"name\":\"$1\",\"type\":\"vm\",\"source\":{\"alias\":\"$2\"},\"start\":true,\"config\":{\"limits.memory\":\"32MiB\"}}" ||
		fail "POST instance $1"
	wait_op
	wait_console "$1" READY
}

case_console_api() {
	need_console
	trap cleanup_vm EXIT
	start_daemon "$TEST_TMP/api"
	import_vm_image echo "$ECHO"
	import_vm_image button "$BUTTON"
	launch_vm e1 echo
	launch "c1"
	api POST /1.0/instances -d '{"name":"v-stopped","type":"vm","source":{"alias":"button"},"start":false}'
	wait_op
	PYTHONPATH="$(dirname "$0")" python3 - "$D/s.sock" >"$TEST_TMP/client.out" 2>&1 <<'PY' || fail "client: $(cat "$TEST_TMP/client.out")"
import sys
from cella_stream import Client

c = Client(sys.argv[1])

def expect(ok, what):
    if not ok:
        raise SystemExit(what)

code, doc = c.req("POST", "/1.0/instances/c1/console", {"type": "console"})
expect(code == 400 and "is a container" in doc["error"], "container console: %d %r" % (code, doc))
code, doc = c.req("POST", "/1.0/instances/v-stopped/console", {})
expect(code == 400 and "only a running VM" in doc["error"], "stopped vm: %d %r" % (code, doc))
code, doc = c.req("POST", "/1.0/instances/nosuch/console", {})
expect(code == 404, "unknown instance: %d %r" % (code, doc))
code, doc = c.req("POST", "/1.0/instances/e1/console", {"type": "vga"})
expect(code == 400 and "type" in doc["error"], "vga: %d %r" % (code, doc))
code, doc = c.req("POST", "/1.0/instances/e1/console", {"type": "console", "width": 80, "height": 24})
expect(code == 202, "attach e1: %d %r" % (code, doc))
op, secret = doc["metadata"]["id"], doc["metadata"]["metadata"]["fds"]["0"]
code, doc, _ = c.attach(op, "0" * 32)
expect(code == 403, "wrong secret: %d %r" % (code, doc))
code, headers, s = c.attach(op, secret)
expect(code == 101, "attach: %d %r" % (code, headers))
code, doc, _ = c.attach(op, secret)
expect(code == 409, "second attach: %d %r" % (code, doc))
s.sendall(b"k")
c.read_until(s, "echo: got 'k'")
# The guest powers off: the VMM's console socket closes, the stream ends, the operation succeeds.
c.read_to_eof(s)
meta = c.wait(op)
expect(meta["status"] == "Success", "operation: %r" % meta)
print("ok")
PY
	[ "$(cat "$TEST_TMP/client.out")" = ok ] || fail "client: $(cat "$TEST_TMP/client.out")"
	wait_status e1 Stopped
	grep -q "echo: got 'k'" "$D/root/instances/e1/console.log" || fail "the console log misses the echo"
	# Nobody attaches: the operation fails after the (test's 5 s) timeout, the VM runs on.
	launch_vm b1 button
	api POST /1.0/instances/b1/console -d '{}'
	[ "$CODE" = 202 ] || fail "attach b1: $CODE $BODY"
	api GET "$(jget 'd["operation"]')/wait?timeout=60"
	[ "$(jget 'd["metadata"]["status"]')" = Failure ] &&
		[[ "$(jget 'd["metadata"]["err"]')" == *"no client attached"* ]] || fail "unattached console: $BODY"
	[ "$(instance_status b1)" = Running ] || fail "b1 is $(instance_status b1) after an unattached console"
	set_state b1 '{"action":"stop","force":true}'
	set_state c1 '{"action":"stop","force":true}'
	stop_daemon
}

case_console_cli() {
	need_console
	trap cleanup_vm EXIT
	start_daemon "$TEST_TMP/cli"
	export CELLA_SOCKET="$D/s.sock"
	import_vm_image echo "$ECHO"
	import_vm_image button "$BUTTON"
	launch_vm e2 echo
	# Typed input reaches the guest; its power-off ends the attach with status 0.
	local out rc=0
	out=$(printf 'q' | setsid script -qec "timeout --foreground 60 $CELLA console e2" /dev/null 2>&1) || rc=$?
	[ $rc -eq 0 ] || fail "cella console e2: status $rc: $out"
	[[ "$out" == *"echo: got 'q'"* ]] || fail "the guest's answer is not on the terminal: $out"
	[[ "$out" == *"To detach from the console, press: <ctrl>+a q"* ]] || fail "no detach hint: $out"
	wait_status e2 Stopped
	# Ctrl-a q detaches; the VM runs on and can be attached again (the VMM took the next client).
	launch_vm b2 button
	rc=0
	out=$(printf '\001q' | setsid script -qec "timeout --foreground 60 $CELLA console b2" /dev/null 2>&1) || rc=$?
	[ $rc -eq 0 ] || fail "detach: status $rc: $out"
	[ "$(instance_status b2)" = Running ] || fail "b2 is $(instance_status b2) after a detach"
	rc=0
	out=$(printf '\001q' | setsid script -qec "timeout --foreground 60 $CELLA console b2" /dev/null 2>&1) || rc=$?
	[ $rc -eq 0 ] || fail "second attach: status $rc: $out"
	# A container has no interactive console: the refusal says what to use.
	launch c2
	rc=0
	out=$("$CELLA" console c2 </dev/null 2>&1) || rc=$?
	[ $rc -eq 1 ] && [[ "$out" == *"cella exec -t"* ]] || fail "container console: $rc $out"
	"$CELLA" console --show-log e2 | grep -q "echo: got 'q'" || fail "--show-log"
	set_state b2 '{"action":"stop","force":true}'
	set_state c2 '{"action":"stop","force":true}'
	stop_daemon
}

check "VM console through the API: attach by secret, one client, typed input echoed, ends with the VM; refusals" case_console_api
check "cella console: typed input reaches the guest, Ctrl-a q detaches and the VM runs on; containers refused" case_console_cli
done_testing
