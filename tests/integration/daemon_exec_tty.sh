#!/usr/bin/env bash
# Interactive exec, as root: a real cellad and a busybox container. `cella exec -t` driven under a pty
# lent by script(1) (CI has no terminal), the stream and control endpoints through a small python3 client
# (curl cannot do the upgrade), the attach timeout, and nothing left behind in cellad.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/daemon_helpers.bash"

CELLA="$CELLA_BUILD/src/cli/cella"
# Short, so the unattached case does not wait the default 30 s.
export CELLAD_EXEC_ATTACH_TIMEOUT=5

need_cli() {
	[ -x "$CELLA" ] || { echo "cella not built at $CELLA"; exit 77; }
	need_cmd script
	need_cmd setsid
}

# The API client: python3 on the unix socket. Subcommands print what the shell checks.
write_client() {
	cat >"$TEST_TMP/client.py" <<'EOF'
import json, socket, sys, time

from cella_stream import Client

SOCK = sys.argv[1]
C = Client(SOCK)
connect, req, read_until = C.connect, C.req, C.read_until
read_head, read_body = Client.read_head, Client.read_body

def attach(op, secret, upgrade=True, early=b""):
    return C.attach(op, secret, upgrade, early)

def read_to_eof(s, limit=20):
    return C.read_to_eof(s, limit)

def start(cmd, **extra):
    body = {"command": cmd, "interactive": True}
    body.update(extra)
    code, doc = req("POST", "/1.0/instances/c1/exec", body)
    if code != 202:
        raise SystemExit("exec: %d %r" % (code, doc))
    op = doc["metadata"]
    secret = op["metadata"]["fds"]["0"]
    assert len(secret) == 32 and all(c in "0123456789abcdef" for c in secret), secret
    return op["id"], secret

def wait(op):
    code, doc = req("GET", "/1.0/operations/%s/wait?timeout=30" % op)
    return doc["metadata"]

def expect(cond, what):
    if not cond:
        raise SystemExit(what)

def session():
    op, secret = start(["sh"], width=100, height=30)
    code, doc, _ = attach(op, "0" * 32)
    expect(code == 403 and "secret" in doc["error"], "wrong secret: %d %r" % (code, doc))
    code, doc, _ = attach(op, secret, upgrade=False)
    expect(code == 400 and "Upgrade" in doc["error"], "no upgrade: %d %r" % (code, doc))
    code, headers, s = attach(op, secret)
    expect(code == 101 and headers.get("upgrade") == "cella-stream", "attach: %d %r" % (code, headers))
    code, doc, _ = attach(op, secret)
    expect(code == 409, "second attach: %d %r" % (code, doc))
    s.sendall(b"stty size; echo sz-$((6*7))\n")
    out = read_until(s, "sz-42")
    expect(b"30 100" in out, "initial size: %r" % out)
    code, doc = req("POST", "/1.0/operations/%s/control" % op,
                    {"command": "window-resize", "args": {"width": "81", "height": "23"}})
    expect(code == 200, "window-resize: %d %r" % (code, doc))
    code, doc = req("POST", "/1.0/operations/%s/control" % op, {"command": "window-resize", "args": {}})
    expect(code == 400 and "width" in doc["error"], "bad resize: %d %r" % (code, doc))
    s.sendall(b"stty size; tty; echo rs-$((6*8))\n")
    out = read_until(s, "rs-48")
    expect(b"23 81" in out, "size after resize: %r" % out)
    expect(b"/dev/pts/" in out, "tty: %r" % out)
    s.sendall(b"read x; echo got-$x\nhello\n")
    read_until(s, "got-hello")
    s.sendall(b"exit 5\n")
    read_to_eof(s)
    s.close()
    meta = wait(op)
    expect(meta["status"] == "Success" and meta["metadata"].get("return") == 5, "end: %r" % meta)
    code, doc, _ = attach(op, secret)
    expect(code == 400 and "no stream" in doc["error"], "attach after the end: %d %r" % (code, doc))
    code, doc = req("POST", "/1.0/operations/%s/control" % op,
                    {"command": "window-resize", "args": {"width": 80, "height": 24}})
    expect(code == 400, "resize after the end: %d %r" % (code, doc))
    print("session ok")

def output_before_attach():
    # Output written before anyone attached is kept by the pty and delivered.
    op, secret = start(["sh", "-c", "echo early-bird; exit 3"])
    # Most likely ended by the time we attach (well within the attach timeout); either way its output
    # must arrive.
    time.sleep(0.5)
    code, headers, s = attach(op, secret)
    expect(code == 101, "attach: %d %r" % (code, headers))
    out = read_to_eof(s)
    expect(b"early-bird" in out, "early output: %r" % out)
    meta = wait(op)
    expect(meta["metadata"].get("return") == 3, "return: %r" % meta)
    print("early ok")

def bulk():
    # Bytes sent with the request itself (before the 101) reach the command first.
    op, secret = start(["sh", "-c", "read x; echo eager-$x; stty raw -echo; echo ready; head -c 300000 | wc -c; "
                        "head -c 2000000 /dev/zero | tr '\\0' x; echo; echo END"])
    code, headers, s = attach(op, secret, early=b"now\n")
    expect(code == 101, "attach: %d" % code)
    read_until(s, "eager-now")
    read_until(s, "ready")
    # Input and output in bulk: partial writes on both sides, nothing lost.
    s.sendall(b"y" * 300000)
    out = read_to_eof(s, 60)
    expect(b"300000" in out, "input count: %r" % out[:200])
    expect(out.count(b"x") >= 2000000 and out.rstrip().endswith(b"END"), "output: %d x" % out.count(b"x"))
    meta = wait(op)
    expect(meta["metadata"].get("return") == 0, "return: %r" % meta)
    print("bulk ok")

def leftover():
    # A process the command leaves behind holding its terminal does not keep the stream open.
    # (HUP ignored before the fork: the leftover must not die of the hang-up when sh exits.)
    op, secret = start(["sh", "-c", "trap '' HUP; sleep 1005 & echo bg-started; exit 2"])
    code, headers, s = attach(op, secret)
    expect(code == 101, "attach: %d" % code)
    out = read_to_eof(s, 20)
    expect(b"bg-started" in out, "output: %r" % out)
    meta = wait(op)
    expect(meta["metadata"].get("return") == 2, "return: %r" % meta)
    print("leftover ok")

def disconnect():
    op, secret = start(["sleep", "1000"])
    code, headers, s = attach(op, secret)
    expect(code == 101, "attach: %d" % code)
    s.close()
    meta = wait(op)
    expect(meta["status"] == "Success" and meta["metadata"].get("return") == 129, "hangup: %r" % meta)
    print("hangup ok")

def unattached():
    op, secret = start(["sleep", "1001"])
    meta = wait(op)
    expect(meta["status"] == "Failure" and "no client attached" in meta["err"], "unattached: %r" % meta)
    code, doc, _ = attach(op, secret)
    expect(code == 400, "attach after the timeout: %d %r" % (code, doc))
    print("timeout ok")

def refusals():
    code, doc = req("POST", "/1.0/instances/c1/exec",
                    {"command": ["sh"], "interactive": True, "record-output": True})
    expect(code == 400 and "interactive" in doc["error"] and "record-output" in doc["error"],
           "both: %d %r" % (code, doc))
    code, doc = req("POST", "/1.0/instances/c1/exec", {"command": ["sh"], "interactive": True, "width": 0,
                                                        "height": 10})
    expect(code == 400 and "width" in doc["error"], "width 0: %d %r" % (code, doc))
    code, doc = req("POST", "/1.0/instances/c1/exec", {"command": ["true"], "record-output": True})
    expect(code == 202, "recorded exec: %d" % code)
    op = doc["metadata"]["id"]
    wait(op)
    code, doc, _ = attach(op, "0" * 32)
    expect(code == 400 and "not an interactive exec" in doc["error"], "recorded op: %d %r" % (code, doc))
    code, doc, _ = attach("nosuch", "0" * 32)
    expect(code == 404, "unknown op: %d %r" % (code, doc))
    print("refusals ok")

def hold():
    # Attached until cellad ends the stream (it stops).
    op, secret = start(["sleep", "1002"])
    code, headers, s = attach(op, secret)
    expect(code == 101, "attach: %d" % code)
    print("attached", flush=True)
    read_to_eof(s, 60)
    print("eof")

globals()[sys.argv[2]]()
EOF
}

# cellad's descriptors and threads, once they have settled (connections' threads end a moment after the
# reply): "FDS THREADS".
cellad_counts() {
	local fds=("/proc/$CELLAD_PID/fd"/*) tasks=("/proc/$CELLAD_PID/task"/*)
	echo "${#fds[@]} ${#tasks[@]}"
}

# wait_counts BEFORE: polls (bounded, 10 s) until cellad is back to BEFORE.
wait_counts() {
	local now
	for _ in $(seq 100); do
		now=$(cellad_counts)
		[ "$now" = "$1" ] && return 0
		sleep 0.1
	done
	ls -l "/proc/$CELLAD_PID/fd" >&2
	fail "cellad's fds/threads: before '$1', after '$now'"
}

# stop_daemon, and UBSan (which reports without failing) found nothing either.
stop_clean() {
	stop_daemon
	! grep -q "runtime error" "$D/cellad.log" || fail "UBSan: $(grep "runtime error" "$D/cellad.log")"
}

# gone PATTERN [NSPID]: no process (in the pid namespace of NSPID, a container's init) matches PATTERN any
# more, within 10 s.
gone() {
	local ns=()
	if [ -n "${2:-}" ]; then
		alive "$2" || fail "the container's init ($2) is gone: cannot look into its pid namespace"
		ns=(--ns "$2" --nslist pid)
	fi
	for _ in $(seq 100); do
		pgrep "${ns[@]}" -f "$1" >/dev/null || return 0
		sleep 0.1
	done
	fail "still running: $(pgrep "${ns[@]}" -af "$1")"
}

case_api() {
	need_containers
	trap cleanup_daemon EXIT
	write_client
	start_daemon "$TEST_TMP/api"
	launch c1
	local before c1_pid
	c1_pid=$(init_pid c1)
	api GET /1.0
	before=$(cellad_counts)
	PYTHONPATH="$(dirname "$0")" python3 "$TEST_TMP/client.py" "$D/s.sock" refusals || fail "refusals"
	PYTHONPATH="$(dirname "$0")" python3 "$TEST_TMP/client.py" "$D/s.sock" session || fail "session"
	PYTHONPATH="$(dirname "$0")" python3 "$TEST_TMP/client.py" "$D/s.sock" output_before_attach || fail "output before the attach"
	PYTHONPATH="$(dirname "$0")" python3 "$TEST_TMP/client.py" "$D/s.sock" bulk || fail "early input, bulk input and output"
	PYTHONPATH="$(dirname "$0")" python3 "$TEST_TMP/client.py" "$D/s.sock" leftover || fail "a leftover process holding the terminal"
	PYTHONPATH="$(dirname "$0")" python3 "$TEST_TMP/client.py" "$D/s.sock" disconnect || fail "client disconnect"
	gone "sleep 1000" "$c1_pid"
	PYTHONPATH="$(dirname "$0")" python3 "$TEST_TMP/client.py" "$D/s.sock" unattached || fail "unattached"
	gone "sleep 1001" "$c1_pid"
	wait_counts "$before"
	compgen -G "$D/root/tmp/exec-*" >/dev/null && fail "console socket left: $(ls "$D/root/tmp")"
	set_state c1 '{"action":"stop","force":true}'
	stop_clean
}

case_cli() {
	need_containers
	need_cli
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/cli"
	launch c1
	export CELLA_SOCKET="$D/s.sock"
	local out rc=0 before c1_pid
	c1_pid=$(init_pid c1)
	before=$(cellad_counts)
	# Under script(1)'s pty (-t as the brief's users type it; the automatic choice is checked below): the
	# command's terminal gets the size of script's pty, set before cella starts.
	cat >"$TEST_TMP/tty.sh" <<EOF
stty cols 91 rows 27
export TERM=vt100
saved=\$(stty -g)
timeout --foreground 60 $CELLA exec -t c1 -- sh
rc=\$?
[ "\$(stty -g)" = "\$saved" ] && echo terminal-restored
exit \$rc
EOF
	out=$(setsid script -qec "bash $TEST_TMP/tty.sh" /dev/null 2>&1 <<'EOF'
tty; stty size; echo term-$TERM; read x; echo got-$x
hello
exit 7
EOF
	) || rc=$?
	[ $rc -eq 7 ] || fail "cella exec -t: exit $rc, expected 7: '$out'"
	grep -q 'terminal-restored' <<<"${out//$'\r'/}" || fail "raw mode not undone: '$out'"
	grep -Eq '/dev/pts/[0-9]+' <<<"${out//$'\r'/}" || fail "no pty inside: '$out'"
	grep -q '27 91' <<<"${out//$'\r'/}" || fail "size not passed: '$out'"
	grep -q 'got-hello' <<<"${out//$'\r'/}" || fail "input did not reach the command: '$out'"
	grep -q 'term-vt100' <<<"${out//$'\r'/}" || fail "TERM not passed on: '$out'"
	# Without -t: stdin and stdout are terminals, so interactive all the same. (script(1) turns the end of
	# its own stdin into a byte for the pty, which the command's terminal may echo (^@): the checks
	# below look for their text anywhere in a line.)
	out=$(setsid script -qec "timeout --foreground 60 $CELLA exec c1 -- tty" /dev/null </dev/null 2>&1) ||
		fail "cella exec on a terminal: '$out'"
	grep -Eq '/dev/pts/[0-9]+' <<<"${out//$'\r'/}" || fail "not interactive on a terminal: '$out'"
	# SIGWINCH: the new size reaches the command (its shell traps the WINCH the resize sends).
	cat >"$TEST_TMP/winch.sh" <<EOF
stty rows 24 cols 80
timeout --foreground 60 $CELLA exec -t c1 -- sh -c 'trap "stty size; exit 0" WINCH; echo ready; while :; do sleep 0.1; done' >$TEST_TMP/winch.out 2>&1 </dev/tty &
pid=\$!
for _ in \$(seq 200); do grep -q ready $TEST_TMP/winch.out && break; sleep 0.1; done
stty rows 40 cols 100
kill -WINCH \$pid
wait \$pid
EOF
	rc=0
	setsid script -qec "timeout --foreground 90 bash $TEST_TMP/winch.sh" /dev/null </dev/null >/dev/null 2>&1 || rc=$?
	out=$(tr -d '\r' <"$TEST_TMP/winch.out")
	[ $rc -eq 0 ] && grep -q '40 100' <<<"$out" || fail "window-resize on SIGWINCH: $rc '$out'"
	# SIGTERM while in raw mode: the terminal is restored, cella dies of the signal, the command is hung up.
	cat >"$TEST_TMP/term.sh" <<EOF
saved=\$(stty -g)
$CELLA exec -t c1 -- sh -c 'echo ready; exec sleep 1004' >$TEST_TMP/term.out 2>&1 </dev/tty &
pid=\$!
for _ in \$(seq 200); do grep -q ready $TEST_TMP/term.out && break; sleep 0.1; done
[ "\$(stty -g)" != "\$saved" ] && echo raw-on
kill -TERM \$pid
wait \$pid
echo "rc=\$?"
[ "\$(stty -g)" = "\$saved" ] && echo restored-after-signal
EOF
	out=$(setsid script -qec "timeout --foreground 90 bash $TEST_TMP/term.sh" /dev/null </dev/null 2>&1 | tr -d '\r')
	[[ "$out" == *raw-on*rc=143*restored-after-signal* ]] || fail "SIGTERM in raw mode: '$out' '$(cat "$TEST_TMP/term.out")'"
	gone "sleep 1004" "$c1_pid"
	# -t from a pipe: a terminal inside all the same, and the pipe's end is the terminal's end of file.
	out=$(timeout 60 "$CELLA" exec -t c1 -- sh -c 'tty >/dev/null && echo tty-ok; cat; echo cat-done' <<<"piped-input" 2>&1) ||
		fail "cella exec -t from a pipe: $? '$out'"
	out=${out//$'\r'/}
	[[ "$out" == *tty-ok*piped-input*cat-done* ]] || fail "cella exec -t from a pipe: '$out'"
	# A command that cannot start: the runtime's reason, exit 1.
	rc=0
	out=$(timeout 60 "$CELLA" exec -t c1 -- /nonexistent </dev/null 2>&1) || rc=$?
	[ $rc -eq 1 ] && [[ "$out" == *"/nonexistent"*"No such file"* ]] || fail "cella exec -t of a missing program: $rc '$out'"
	# -T (and no terminal at all): the recorded mode, unchanged.
	out=$("$CELLA" exec -T c1 -- sh -c 'tty; exit 4' </dev/null 2>&1) && rc=0 || rc=$?
	[ $rc -eq 4 ] && [[ "$out" == *"not a tty"* ]] || fail "cella exec -T: $rc '$out'"
	out=$("$CELLA" exec c1 -- sh -c 'echo plain' </dev/null) || fail "cella exec without a terminal"
	[ "$out" = plain ] || fail "no terminal: '$out'"
	# Refused both ways at once.
	rc=0
	out=$("$CELLA" exec -t -T c1 -- true 2>&1) || rc=$?
	[ $rc -eq 2 ] || fail "-t with -T: $rc '$out'"
	gone "$CELLA exec -t c1"
	wait_counts "$before"
	set_state c1 '{"action":"stop","force":true}'
	stop_clean
}

case_stop() {
	need_containers
	trap cleanup_daemon EXIT
	write_client
	start_daemon "$TEST_TMP/stop"
	launch c1
	local c1_pid
	c1_pid=$(init_pid c1)
	PYTHONPATH="$(dirname "$0")" python3 "$TEST_TMP/client.py" "$D/s.sock" hold >"$D/hold.out" 2>&1 &
	local py=$! rc=0
	for _ in $(seq 200); do
		grep -q attached "$D/hold.out" && break
		sleep 0.1
	done
	grep -q attached "$D/hold.out" || fail "no attach: $(cat "$D/hold.out")"
	# And one nobody attaches to.
	api POST /1.0/instances/c1/exec -d '{"command":["sleep","1003"],"interactive":true}'
	[ "$CODE" = 202 ] || fail "exec: $CODE $BODY"
	stop_clean
	timeout 30 tail --pid=$py -f /dev/null || fail "the client's stream was not closed"
	wait $py || rc=$?
	[ $rc -eq 0 ] && grep -q eof "$D/hold.out" || fail "client: $rc $(cat "$D/hold.out")"
	gone "sleep 1002" "$c1_pid"
	gone "sleep 1003" "$c1_pid"
}

check "interactive exec API: attach with the secret, input, echo, resize, exit status, refusals, hangup, attach timeout, nothing left" case_api
check "a stopping cellad closes the streams, kills the commands and exits cleanly" case_stop
check "cella exec -t under a pty: tty, size, input, exit status; -T and no terminal keep the recorded mode" case_cli
done_testing
