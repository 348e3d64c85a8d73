#!/usr/bin/env bash
# shellcheck disable=SC2064 # traps name the container ids of their case on purpose
# cella-runtime end to end, as root, with a busybox-static rootfs and configs from `cella-runtime spec`:
# lifecycle, run/exec exit codes, namespaces, user namespace, list/ps, pause/resume, update,
# delete --force, clean failure paths, fd hygiene, CVE-2019-5736 protection, logging, refused flags.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/runtime_helpers.bash"

case_lifecycle() {
	need_runtime
	local id=$PFX-life b pid
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle life 'c["process"]["args"] = ["sleep", "600"]') || fail "bundle"
	rt create --bundle "$b" --pid-file "$TEST_TMP/life.pid" "$id" </dev/null || fail "create failed"
	[ "$(status_of $id)" = created ] || fail "after create: status $(status_of $id)"
	pid=$(cat "$TEST_TMP/life.pid")
	[ "$(rt state $id | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["pid"], d["bundle"], sorted(d))')" = \
		"$pid $b ['bundle', 'created', 'id', 'ociVersion', 'owner', 'pid', 'rootfs', 'status']" ] ||
		fail "state JSON: $(rt state $id)"
	rt start "$id" || fail "start failed"
	[ "$(status_of $id)" = running ] || fail "after start: status $(status_of $id)"
	rt start "$id" 2>"$TEST_TMP/err" && fail "second start succeeded"
	grep -q "cannot start a container that is running" "$TEST_TMP/err" || fail "start error: $(cat $TEST_TMP/err)"
	rt delete "$id" 2>"$TEST_TMP/err" && fail "delete of a running container succeeded"
	grep -q "cannot delete container $id that is not stopped: running" "$TEST_TMP/err" || fail "delete: $(cat $TEST_TMP/err)"
	rt kill "$id" KILL || fail "kill failed"
	wait_status "$id" stopped
	rt kill "$id" TERM 2>/dev/null && fail "kill of a stopped container succeeded"
	rt delete "$id" || fail "delete failed"
	rt state "$id" 2>/dev/null && fail "state after delete succeeded"
	no_trace_of "$id"
}

case_run_exit_code() {
	need_runtime
	local id=$PFX-run b rc out
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle run 'c["process"]["args"] = ["sh", "-c", "echo out-$((6*7)); exit 7"]') || fail "bundle"
	out=$(rt run --bundle "$b" "$id" </dev/null)
	rc=$?
	[ $rc -eq 7 ] || fail "run exit status $rc, expected 7"
	[ "$out" = out-42 ] || fail "output '$out'"
	no_trace_of "$id"
	# pid 1 cannot SIGKILL itself: kill it from outside while `run` waits for it
	b=$(new_bundle run-sig 'c["process"]["args"] = ["sleep", "600"]') || fail "bundle"
	rt run --bundle "$b" "$id" </dev/null &
	local runner=$!
	wait_status "$id" running
	rt kill "$id" KILL || fail "kill failed"
	wait $runner
	rc=$?
	[ $rc -eq 137 ] || fail "killed container: exit status $rc, expected 137"
	no_trace_of "$id"
}

case_exec() {
	need_runtime
	local id=$PFX-exec b out rc
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle exec 'c["process"]["args"] = ["sleep", "600"]') || fail "bundle"
	rt run --detach --bundle "$b" "$id" </dev/null || fail "run --detach failed"
	[ "$(status_of $id)" = running ] || fail "status $(status_of $id)"
	rt exec "$id" sh -c 'exit 5' </dev/null
	rc=$?
	[ $rc -eq 5 ] || fail "exec exit status $rc, expected 5"
	out=$(rt exec --env FOO=bar --cwd /tmp --user 1000:1001 "$id" sh -c 'echo $FOO $(pwd) $(id -u) $(id -g)' </dev/null) ||
		fail "exec with --env/--cwd/--user failed"
	[ "$out" = "bar /tmp 1000 1001" ] || fail "exec saw '$out'"
	out=$(rt exec "$id" sh -c 'cat /proc/1/cmdline | tr "\0" " "' </dev/null)
	[ "$out" = "sleep 600 " ] || fail "exec is not in the container's pid namespace: pid 1 is '$out'"
	# --process with execCPUAffinity (runtime-spec 1.2): the final affinity is in force inside
	cat >"$TEST_TMP/process.json" <<-'JSON'
	{"args": ["sh", "-c", "grep Cpus_allowed_list /proc/self/status; exit 6"], "cwd": "/", "env": ["PATH=/bin"],
	 "user": {"uid": 0, "gid": 0}, "execCPUAffinity": {"initial": "0", "final": "0"}}
	JSON
	out=$(rt exec --process "$TEST_TMP/process.json" "$id" </dev/null)
	rc=$?
	[ $rc -eq 6 ] || fail "exec --process: exit $rc, expected 6 ($out)"
	echo "$out" | grep -Eq "Cpus_allowed_list:[[:space:]]+0$" || fail "execCPUAffinity not applied: $out"
	rt exec --detach --pid-file "$TEST_TMP/exec.pid" "$id" sleep 30 </dev/null || fail "exec --detach failed"
	[ -s "$TEST_TMP/exec.pid" ] || fail "exec --pid-file not written"
	rt exec "$id" /nonexistent </dev/null 2>"$TEST_TMP/err" && fail "exec of a missing binary succeeded"
	grep -q nonexistent "$TEST_TMP/err" || fail "exec error: $(cat "$TEST_TMP/err")"
	rt delete --force "$id" || fail "delete --force failed"
	no_trace_of "$id"
}

case_namespaces() {
	need_runtime
	local id=$PFX-ns b out
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle ns 'c["hostname"] = "cella-box"; c["process"]["args"] = ["sh", "-c", "hostname; echo pid=$$; ls /sys/class/net | tr \"\\n\" \" \""]') ||
		fail "bundle"
	out=$(rt run --bundle "$b" "$id" </dev/null) || fail "run failed: $out"
	[ "$(echo "$out" | sed -n 1p)" = cella-box ] || fail "hostname: $out"
	[ "$(echo "$out" | sed -n 2p)" = pid=1 ] || fail "not pid 1: $out"
	[ "$(echo "$out" | sed -n 3p)" = "lo " ] || fail "network namespace has more than lo: $out"
	[ "$(hostname)" != cella-box ] || fail "host hostname changed"
}

case_userns() {
	need_runtime
	[ -e /proc/self/ns/user ] || { echo "no user namespaces"; exit 77; }
	local id=$PFX-user b out
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle user 'c["linux"]["namespaces"].append({"type": "user"}); c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]; c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]; c["process"]["args"] = ["sh", "-c", "id -u; cat /proc/self/uid_map"]') ||
		fail "bundle"
	out=$(rt run --bundle "$b" "$id" </dev/null 2>&1) || fail "run in a user namespace failed: $out"
	[ "$(echo "$out" | sed -n 1p)" = 0 ] || fail "uid inside: $out"
	echo "$out" | sed -n 2p | grep -Eq '^ *0 +100000 +65536$' || fail "uid_map: $out"
}

case_list_ps() {
	need_runtime
	local id=$PFX-ps b out pid
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle ps 'c["process"]["args"] = ["sleep", "600"]') || fail "bundle"
	rt run --detach --pid-file "$TEST_TMP/ps.pid" --bundle "$b" "$id" </dev/null || fail "run --detach failed"
	pid=$(cat "$TEST_TMP/ps.pid")
	out=$(rt list --format json | python3 -c "import json,sys; print([(c['id'], c['pid'], c['status']) for c in json.load(sys.stdin) if c['id'] == '$id'])")
	[ "$out" = "[('$id', $pid, 'running')]" ] || fail "list json: $out"
	rt list -q | grep -qx "$id" || fail "list -q lacks $id"
	out=$(rt ps --format json "$id")
	[ "$out" = "[$pid]" ] || fail "ps json: $out (init $pid)"
}

case_pause_resume() {
	need_runtime
	local id=$PFX-pause b
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle pause 'c["process"]["args"] = ["sleep", "600"]') || fail "bundle"
	rt run --detach --bundle "$b" "$id" </dev/null || fail "run --detach failed"
	rt pause "$id" || fail "pause failed"
	[ "$(status_of $id)" = paused ] || fail "status after pause: $(status_of $id)"
	rt exec "$id" true 2>/dev/null </dev/null && fail "exec into a paused container succeeded"
	rt resume "$id" || fail "resume failed"
	[ "$(status_of $id)" = running ] || fail "status after resume: $(status_of $id)"
	rt resume "$id" 2>/dev/null && fail "resume of a running container succeeded"
	return 0
}

case_update_memory() {
	need_runtime
	local id=$PFX-upd b limit
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle upd 'c["process"]["args"] = ["sleep", "600"]; c["linux"]["resources"]["memory"] = {"limit": 67108864}') || fail "bundle"
	rt run --detach --bundle "$b" "$id" </dev/null || fail "run --detach failed"
	rt update --memory 96m "$id" || fail "update failed"
	limit=$(rt exec "$id" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max' </dev/null)
	[ "$limit" = 100663296 ] || {
		# the container may not see its cgroup (no cgroup namespace): read it on the host
		limit=$(cat /sys/fs/cgroup/memory/cella/$id/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/cella/$id/memory.max 2>/dev/null)
		[ "$limit" = 100663296 ] || fail "memory limit after update: '$limit'"
	}
	rt update --memory bogus "$id" 2>"$TEST_TMP/err" && fail "update with a bad size succeeded"
	grep -q -- "--memory" "$TEST_TMP/err" || fail "update error: $(cat "$TEST_TMP/err")"
}

case_delete_force() {
	need_runtime
	local id=$PFX-force b
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle force 'c["process"]["args"] = ["sh", "-c", "sleep 600 & sleep 600"]') || fail "bundle"
	rt run --detach --bundle "$b" "$id" </dev/null || fail "run --detach failed"
	rt create --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "create of an existing id succeeded"
	grep -q "container with id exists: $id" "$TEST_TMP/err" || fail "error: $(cat "$TEST_TMP/err")"
	rt delete --force "$id" || fail "delete --force failed"
	no_trace_of "$id"
	# kill --all reaches every process of the container
	rt run --detach --bundle "$b" "$id" </dev/null || fail "run --detach failed"
	rt kill --all "$id" SIGKILL || fail "kill --all failed"
	wait_status "$id" stopped
	rt delete "$id" || fail "delete of the stopped container failed"
	no_trace_of "$id"
	# a created (never started) container is deleted without --force, as runc does
	b=$(new_bundle force2 'c["process"]["args"] = ["sleep", "600"]') || fail "bundle"
	rt create --bundle "$b" "$id" </dev/null || fail "create failed"
	rt delete "$id" || fail "delete of a created container failed"
	no_trace_of "$id"
}

case_invalid_config() {
	need_runtime
	local id=$PFX-bad b
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle bad 'c["process"]["user"]["uid"] = "root"') || fail "bundle"
	rt create --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "create with a bad config succeeded"
	grep -q "config.json: process.user.uid: expected integer" "$TEST_TMP/err" || fail "error: $(cat "$TEST_TMP/err")"
	no_trace_of "$id"
	b=$(new_bundle bad2 'c["ociVersion"] = "2.0.0"') || fail "bundle"
	rt create --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "ociVersion 2.0.0 accepted"
	grep -q "ociVersion: unsupported version '2.0.0'" "$TEST_TMP/err" || fail "error: $(cat "$TEST_TMP/err")"
	b=$(new_bundle bad3 'c["linux"]["resources"]["memory"] = {"limit": "lots"}') || fail "bundle"
	rt create --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "bad resources accepted"
	grep -q "linux.resources.memory.limit" "$TEST_TMP/err" || fail "error: $(cat "$TEST_TMP/err")"
	no_trace_of "$id"
	rt create --bundle "$b" "../evil" </dev/null 2>/dev/null && fail "id ../evil accepted"
	return 0
}

case_missing_binary() {
	need_runtime
	local id=$PFX-nobin b
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle nobin 'c["process"]["args"] = ["/no/such/binary"]') || fail "bundle"
	rt create --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "create with a missing binary succeeded"
	grep -q "/no/such/binary" "$TEST_TMP/err" || fail "error: $(cat "$TEST_TMP/err")"
	no_trace_of "$id"
	rt run --bundle "$b" "$id" </dev/null 2>/dev/null && fail "run with a missing binary succeeded"
	no_trace_of "$id"
}

case_preserve_fds_and_leaks() {
	need_runtime
	local id=$PFX-fds b out pid
	trap "cleanup_ids $id" EXIT
	echo preserved-data >"$TEST_TMP/fd3"
	b=$(new_bundle fds 'c["process"]["args"] = ["sh", "-c", "read line <&3; echo \"[$line]\""]') || fail "bundle"
	out=$(rt run --preserve-fds 1 --bundle "$b" "$id" 3<"$TEST_TMP/fd3" </dev/null) || fail "run --preserve-fds failed: $out"
	[ "$out" = "[preserved-data]" ] || fail "preserved fd 3 read '$out'"
	# fd 3 is preserved; fds 4 and 7 are open in the caller but must not reach the container.
	# The host reads the container process's fd table: no race with the shell's own fds.
	b=$(new_bundle fds2 'c["process"]["args"] = ["sleep", "600"]') || fail "bundle"
	rt create --preserve-fds 1 --pid-file "$TEST_TMP/fds.pid" --bundle "$b" "$id" 3<"$TEST_TMP/fd3" 4<"$TEST_TMP/fd3" \
		7>/dev/null </dev/null || fail "create failed"
	rt start "$id" || fail "start failed"
	pid=$(cat "$TEST_TMP/fds.pid")
	out=$(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ')
	[ "$out" = "0 1 2 3 " ] || fail "container fds: '$out' (expected 0 1 2 3)"
	[ "$(readlink "/proc/$pid/fd/3")" = "$TEST_TMP/fd3" ] || fail "fd 3 is $(readlink "/proc/$pid/fd/3")"
	rt delete --force "$id" || fail "delete failed"
	b=$(new_bundle fds3 'c["process"]["args"] = ["sleep", "600"]') || fail "bundle"
	rt run --detach --pid-file "$TEST_TMP/fds.pid" --bundle "$b" "$id" 3<"$TEST_TMP/fd3" 5>/dev/null </dev/null ||
		fail "run failed"
	pid=$(cat "$TEST_TMP/fds.pid")
	out=$(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ')
	[ "$out" = "0 1 2 " ] || fail "fd leak into the container: '$out'"
}

case_cve_2019_5736() {
	need_runtime
	local id=$PFX-exe b pid exe
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle exe 'c["process"]["args"] = ["sleep", "600"]') || fail "bundle"
	rt create --pid-file "$TEST_TMP/exe.pid" --bundle "$b" "$id" </dev/null || fail "create failed"
	pid=$(cat "$TEST_TMP/exe.pid")
	# the init is the runtime until start: its exe must be the sealed memfd, not the host binary
	exe=$(readlink "/proc/$pid/exe")
	case "$exe" in
	/memfd:*) ;;
	*) fail "runtime in the container runs from '$exe' (expected a sealed memfd)" ;;
	esac
	if echo x >>"/proc/$pid/exe" 2>/dev/null; then
		fail "/proc/$pid/exe is writable"
	fi
	cmp -s "/proc/$pid/exe" "$RT" || fail "memfd copy differs from the binary"
}

case_log_json() {
	need_runtime
	local log=$TEST_TMP/log.json
	timeout 30 "$RT" --root "$ROOT" --log "$log" --log-format json state no-such-container 2>/dev/null &&
		fail "state of a missing container succeeded"
	[ -s "$log" ] || fail "nothing logged"
	python3 - "$log" <<'PY' || fail "log is not runc-style JSON lines: $(cat "$log")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines
for l in lines:
    d = json.loads(l)
    assert d["level"] == "error" and "no-such-container" in d["msg"] and d["time"], d
PY
	timeout 30 "$RT" --log-format yaml list 2>"$TEST_TMP/err" && fail "unknown log format accepted"
	grep -q "log-format" "$TEST_TMP/err" || fail "error: $(cat "$TEST_TMP/err")"
	return 0
}

case_systemd_cgroup_refused() {
	need_runtime
	timeout 30 "$RT" --root "$ROOT" --systemd-cgroup list 2>"$TEST_TMP/err" && fail "--systemd-cgroup accepted"
	grep -q "systemd-cgroup: not supported" "$TEST_TMP/err" || fail "error: $(cat "$TEST_TMP/err")"
	return 0
}

case_cli_misc() {
	need_runtime
	"$RT" --version | grep -q "cella-runtime version" || fail "--version"
	"$RT" --help | grep -q "create" || fail "--help"
	"$RT" create --help | grep -q -- "--bundle" || fail "create --help"
	"$RT" features | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["ociVersionMax"]' || fail "features"
	"$RT" spec --bundle "$TEST_TMP" || fail "spec"
	"$RT" spec --bundle "$TEST_TMP" 2>"$TEST_TMP/err" && fail "spec overwrote config.json"
	grep -q "exists" "$TEST_TMP/err" || fail "spec error: $(cat "$TEST_TMP/err")"
	rt kill no-such 2>/dev/null && fail "kill of a missing container succeeded"
	rt bogus-command 2>/dev/null && fail "unknown command accepted"
	return 0
}

case_hooks_order() {
	need_runtime
	local id=$PFX-hooks b log=$TEST_TMP/hooklog
	trap "cleanup_ids $id" EXIT
	mkdir -p "$log"
	# every hook saves the state it got on stdin and appends its name to "order"
	b=$(new_bundle hooks "
def hook(name, logdir):
    return {'path': '/bin/sh', 'args': ['sh', '-c', 'cat > ' + logdir + '/' + name + '.json; echo ' + name + ' >> ' + logdir + '/order']}
c['mounts'].append({'destination': '/hooklog', 'type': 'bind', 'source': '$log', 'options': ['rbind', 'rw']})
c['hooks'] = {k: [hook(k, '$log')] for k in ['prestart', 'createRuntime', 'createContainer', 'poststop']}
c['hooks']['startContainer'] = [hook('startContainer', '/hooklog')]
# runs state on its own container: no lock may be held against readers while hooks run
c['hooks']['poststart'] = [{'path': '/bin/sh', 'args': ['sh', '-c', 'cat > $log/poststart.json; timeout 20 $RT --root $ROOT state $id | grep -q running && echo poststart >> $log/order']}]
c['process']['args'] = ['sleep', '600']
") || fail "bundle"
	rt create --pid-file "$TEST_TMP/hooks.pid" --bundle "$b" "$id" </dev/null || fail "create failed"
	[ "$(cat "$log/order" | tr '\n' ' ')" = "prestart createRuntime createContainer " ] ||
		fail "hooks after create: $(cat "$log/order" | tr '\n' ' ')"
	rt start "$id" || fail "start failed"
	rt delete --force "$id" || fail "delete failed"
	[ "$(cat "$log/order" | tr '\n' ' ')" = "prestart createRuntime createContainer startContainer poststart poststop " ] ||
		fail "hook order: $(cat "$log/order" | tr '\n' ' ')"
	python3 - "$log" "$id" "$(cat "$TEST_TMP/hooks.pid")" "$b" <<-'PY' || fail "hook state JSON wrong"
	import json, sys
	log, cid, pid, bundle = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
	want = {"prestart": "creating", "createRuntime": "creating", "createContainer": "creating",
	        "startContainer": "created", "poststart": "running", "poststop": "stopped"}
	for hook, status in want.items():
	    s = json.load(open(f"{log}/{hook}.json"))
	    assert (s["id"], s["pid"], s["status"], s["bundle"]) == (cid, pid, status, bundle), (hook, s)
	PY
	# a failing createRuntime hook fails create and leaves nothing
	b=$(new_bundle hooks-fail 'c["hooks"] = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "echo hook-broke >&2; exit 3"]}]}') ||
		fail "bundle"
	rt create --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "create with a failing hook succeeded"
	grep -q "hook-broke" "$TEST_TMP/err" || fail "hook error: $(cat "$TEST_TMP/err")"
	no_trace_of "$id"
}

# The hooks the init runs in the container fail cleanly too: a failing createContainer hook fails
# create; a failing startContainer hook keeps the user process from running (runtime-spec: stop the
# container) and `run` reports it. Nothing is left: state, cgroup, process, or a mount of the bundle.
# A failing poststart hook only warns.
case_container_hook_failures() {
	need_runtime
	local id=$PFX-hookc b out rc mounts
	trap "cleanup_ids $id" EXIT
	mounts=$(grep -c "$TEST_TMP" /proc/self/mountinfo)
	b=$(new_bundle hookc 'c["hooks"] = {"createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "echo cc-broke >&2; exit 4"]}]}') ||
		fail "bundle"
	rt create --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "create with a failing createContainer hook succeeded"
	grep -q "hooks.createContainer\[0\].*status 4.*cc-broke" "$TEST_TMP/err" || fail "hook error: $(cat "$TEST_TMP/err")"
	no_trace_of "$id"
	! pgrep -f -- "$id" >/dev/null || fail "processes of $id left: $(pgrep -af -- "$id")"
	b=$(new_bundle hooks-sc 'c["hooks"] = {"startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "echo sc-broke >&2; exit 5"]}]}
c["process"]["args"] = ["sh", "-c", "echo user-process-ran"]') || fail "bundle"
	out=$(rt run --bundle "$b" "$id" </dev/null 2>&1)
	rc=$?
	[ $rc -ne 0 ] || fail "run with a failing startContainer hook exited 0: $out"
	echo "$out" | grep -q "hooks.startContainer\[0\].*status 5.*sc-broke" || fail "hook error: $out"
	echo "$out" | grep -q user-process-ran && fail "the user process ran after its startContainer hook failed"
	no_trace_of "$id"
	! pgrep -f -- "$id" >/dev/null || fail "processes of $id left: $(pgrep -af -- "$id")"
	[ "$(grep -c "$TEST_TMP" /proc/self/mountinfo)" = "$mounts" ] ||
		fail "mounts of the bundle left on the host: $(grep "$TEST_TMP" /proc/self/mountinfo)"
	# a failing poststart hook is only a warning (runtime-spec): start succeeds, the container runs on
	b=$(new_bundle hooks-ps 'c["hooks"] = {"poststart": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 6"]}]}
c["process"]["args"] = ["sleep", "600"]') || fail "bundle"
	rt create --bundle "$b" "$id" </dev/null || fail "create failed"
	rt start "$id" 2>"$TEST_TMP/err" || fail "start failed on a failing poststart hook: $(cat "$TEST_TMP/err")"
	grep -q "warning: hooks.poststart\[0\].*status 6" "$TEST_TMP/err" || fail "no warning: $(cat "$TEST_TMP/err")"
	[ "$(status_of "$id")" = running ] || fail "status after a failing poststart hook: $(status_of "$id")"
	rt delete --force "$id" || fail "delete failed"
	no_trace_of "$id"
}

case_sysctl_seccomp_caps() {
	need_runtime
	local id=$PFX-sys b out
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle sys 'c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
c["process"]["capabilities"] = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}
c["process"]["args"] = ["sh", "-c", "cat /proc/sys/net/ipv4/ip_forward; mkdir /dev/shm/x 2>&1; grep CapEff /proc/self/status"]') ||
		fail "bundle"
	out=$(rt run --bundle "$b" "$id" </dev/null 2>&1) || fail "run failed: $out"
	[ "$(echo "$out" | sed -n 1p)" = 1 ] || fail "sysctl not applied: $out"
	echo "$out" | sed -n 2p | grep -q "Operation not permitted" || fail "seccomp rule not applied: $out"
	echo "$out" | sed -n 3p | grep -Eq "CapEff:[[:space:]]+0000000000000020$" || fail "capabilities: $out"
	# podman's shape: a non-root user, caps only in the bounding set, no_new_privs off, a seccomp filter
	b=$(new_bundle sys-user 'c["process"]["user"] = {"uid": 1234, "gid": 1234, "additionalGids": [1234]}
c["process"]["noNewPrivileges"] = False
c["process"]["capabilities"] = {"bounding": ["CAP_SETGID", "CAP_SETUID", "CAP_KILL"]}
c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
c["process"]["args"] = ["sh", "-c", "echo $(id -u):$(id -g); mkdir /dev/shm/y 2>&1; grep CapEff /proc/self/status"]') || fail "bundle"
	out=$(rt run --bundle "$b" "$id" </dev/null 2>&1) || fail "run as 1234 with seccomp failed: $out"
	[ "$(echo "$out" | sed -n 1p)" = 1234:1234 ] || fail "user: $out"
	echo "$out" | sed -n 2p | grep -q "Operation not permitted" || fail "seccomp rule not applied: $out"
	echo "$out" | sed -n 3p | grep -Eq "CapEff:[[:space:]]+0000000000000000$" || fail "capabilities left: $out"
	b=$(new_bundle sys-bad 'c["linux"]["sysctl"] = {"vm.swappiness": "10"}') || fail "bundle"
	rt create --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "host sysctl accepted"
	grep -q "linux.sysctl.vm.swappiness: not in a separate kernel namespace" "$TEST_TMP/err" ||
		fail "error: $(cat "$TEST_TMP/err")"
	no_trace_of "$id"
}

case_join_netns_by_path() {
	need_runtime
	local a=$PFX-joina bid=$PFX-joinb b pid out
	trap "cleanup_ids $a $bid" EXIT
	b=$(new_bundle joina 'c["process"]["args"] = ["sleep", "600"]') || fail "bundle"
	rt run --detach --pid-file "$TEST_TMP/joina.pid" --bundle "$b" "$a" </dev/null || fail "run a failed"
	pid=$(cat "$TEST_TMP/joina.pid")
	b=$(new_bundle joinb "
for ns in c['linux']['namespaces']:
    if ns['type'] == 'network':
        ns['path'] = '/proc/$pid/ns/net'
c['process']['args'] = ['readlink', '/proc/self/ns/net']") || fail "bundle"
	out=$(rt run --bundle "$b" "$bid" </dev/null 2>&1) || fail "run b failed: $out"
	[ "$out" = "$(readlink /proc/$pid/ns/net)" ] || fail "joined $out, container a has $(readlink /proc/$pid/ns/net)"
	[ "$out" != "$(readlink /proc/self/ns/net)" ] || fail "b is in the host network namespace"
}

# Joining a user namespace by path with new pid/mount/uts/ipc namespaces (as a pod shares one user
# namespace): the new namespaces must belong to the joined user namespace, or the container's root
# could not mount /proc of its own pid namespace. The holder is a container with its own user and
# network namespaces; the second container joins both and `exec` enters it.
case_join_userns_by_path() {
	need_runtime
	[ -e /proc/self/ns/user ] || { echo "no user namespaces"; exit 77; }
	local a=$PFX-usra bid=$PFX-usrb b pid bpid out rc
	trap "cleanup_ids $bid $a" EXIT
	# the containers' root cannot create mount points in the host root's rootfs
	mkdir -p "$ROOTFS/proc" "$ROOTFS/dev" "$ROOTFS/sys" || fail "mount points"
	b=$(new_bundle usra 'c["linux"]["namespaces"].append({"type": "user"}); c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]; c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]; c["process"]["args"] = ["sleep", "600"]') ||
		fail "bundle"
	rt run --detach --pid-file "$TEST_TMP/usra.pid" --bundle "$b" "$a" </dev/null || fail "run of the holder failed"
	pid=$(cat "$TEST_TMP/usra.pid")
	b=$(new_bundle usrb "
for ns in c['linux']['namespaces']:
    if ns['type'] == 'network':
        ns['path'] = '/proc/$pid/ns/net'
c['linux']['namespaces'].append({'type': 'user', 'path': '/proc/$pid/ns/user'})
c['hostname'] = 'joiner'
c['hooks'] = {'prestart': [{'path': '/bin/sh', 'args': ['sh', '-c', 'cat > $TEST_TMP/usrb-hook.json']}]}
c['process']['args'] = ['sh', '-c', 'echo pid=\$\$ \$(hostname) \$(id -u); readlink /proc/self/ns/user; readlink /proc/self/ns/net; sleep 600']") ||
		fail "bundle"
	# the container inherits create's stdio
	rt create --pid-file "$TEST_TMP/usrb.pid" --bundle "$b" "$bid" </dev/null >"$TEST_TMP/usrb.out" 2>"$TEST_TMP/err" ||
		fail "create joining the user namespace by path: $(cat "$TEST_TMP/err")"
	bpid=$(cat "$TEST_TMP/usrb.pid")
	[ "$(rt ps --format json "$bid")" = "[$bpid]" ] || fail "ps: $(rt ps --format json "$bid"), the init is $bpid"
	[ "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["pid"])' "$TEST_TMP/usrb-hook.json")" = "$bpid" ] ||
		fail "prestart hook's state names another pid than the init $bpid: $(cat "$TEST_TMP/usrb-hook.json")"
	rt start "$bid" || fail "start failed"
	out=$(rt exec "$bid" sh -c 'hostname; readlink /proc/self/ns/pid; cat /proc/self/uid_map' </dev/null 2>&1) ||
		fail "exec into the joiner failed: $out"
	[ "$(echo "$out" | sed -n 1,2p | tr '\n' ' ')" = "joiner $(readlink /proc/$bpid/ns/pid) " ] ||
		fail "exec is not in the joiner's uts and pid namespaces: $out"
	echo "$out" | sed -n 3p | grep -Eq '^ *0 +100000 +65536$' || fail "exec's uid_map: $out"
	for _ in $(seq 1 200); do [ "$(wc -l <"$TEST_TMP/usrb.out")" -ge 3 ] && break; sleep 0.05; done
	out=$(cat "$TEST_TMP/usrb.out")
	[ "$(echo "$out" | sed -n 1p)" = "pid=1 joiner 0" ] || fail "joiner: $out"
	[ "$(echo "$out" | sed -n 2p)" = "$(readlink /proc/$pid/ns/user)" ] || fail "user namespace not joined: $out"
	[ "$(echo "$out" | sed -n 3p)" = "$(readlink /proc/$pid/ns/net)" ] || fail "network namespace not joined: $out"
	rt delete --force "$bid" || fail "delete failed"
	no_trace_of "$bid"
	# the uts and ipc namespaces joined too, new pid, mount and network ones; `run` reaps the init
	b=$(new_bundle usrc "
c['linux']['namespaces'] = [{'type': 'pid'}, {'type': 'mount'}, {'type': 'network'},
    {'type': 'user', 'path': '/proc/$pid/ns/user'}, {'type': 'uts', 'path': '/proc/$pid/ns/uts'},
    {'type': 'ipc', 'path': '/proc/$pid/ns/ipc'}]
c['process']['args'] = ['sh', '-c', 'echo \$\$ \$(readlink /proc/self/ns/ipc) \$(ls /sys/class/net); exit 3']") ||
		fail "bundle"
	out=$(rt run --bundle "$b" "$bid" </dev/null 2>&1)
	rc=$?
	[ $rc -eq 3 ] || fail "run joining user, uts and ipc namespaces: exit $rc, expected 3: $out"
	[ "$out" = "1 $(readlink /proc/$pid/ns/ipc) lo" ] || fail "joined uts/ipc with new pid/net namespaces: $out"
	no_trace_of "$bid"
	# a failure after the init was forked into its pid namespace leaves nothing
	b=$(new_bundle usrd "
c['linux']['namespaces'].append({'type': 'user', 'path': '/proc/$pid/ns/user'})
c['process']['args'] = ['/nonexistent']") || fail "bundle"
	rt create --bundle "$b" "$bid" </dev/null 2>"$TEST_TMP/err" && fail "create of a missing binary succeeded"
	grep -q nonexistent "$TEST_TMP/err" || fail "error: $(cat "$TEST_TMP/err")"
	no_trace_of "$bid"
	# no process is left in the holder's user namespace but the holder's own (zombies of the containers
	# deleted above wait for the host's init to reap them)
	local p left=
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/user" 2>/dev/null)" = "$(readlink /proc/$pid/ns/user)" ] &&
			[ "${p#/proc/}" != "$pid" ] && ! grep -q "^State:.*zombie" "$p/status" 2>/dev/null &&
			left+=" ${p#/proc/}"
	done
	[ -z "$left" ] || fail "processes left in the joined user namespace:$left"
}

case_time_namespace() {
	need_runtime
	[ -e /proc/self/ns/time ] || { echo "kernel without time namespaces"; exit 77; }
	local id=$PFX-time b out
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle time 'c["linux"]["namespaces"].append({"type": "time"})
c["linux"]["timeOffsets"] = {"boottime": {"secs": 864000, "nanosecs": 0}}
c["process"]["args"] = ["cat", "/proc/uptime"]') || fail "bundle"
	out=$(rt run --bundle "$b" "$id" </dev/null 2>&1) || fail "run failed: $out"
	[ "${out%%.*}" -ge 864000 ] 2>/dev/null || fail "uptime inside '$out' lacks the 10-day boottime offset"
	[ "$(cut -d. -f1 /proc/uptime)" -lt 864000 ] || { echo "host uptime already above 10 days"; exit 77; }
}

case_terminal() {
	need_runtime
	local id=$PFX-tty b sock=$TEST_TMP/console.sock recv=$CELLA_BUILD/tests/tools/console-recv out rc
	[ -x "$recv" ] || { echo "console-recv not built at $recv"; exit 77; }
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle tty 'c["process"]["terminal"] = True; c["process"]["args"] = ["sh", "-c", "tty; exit 3"]') || fail "bundle"
	timeout 60 "$recv" --timeout 30 "$sock" >"$TEST_TMP/tty.out" 2>&1 &
	local receiver=$!
	trap 'kill $receiver 2>/dev/null; cleanup_ids $id' EXIT
	for _ in $(seq 1 200); do [ -S "$sock" ] && break; sleep 0.05; done
	[ -S "$sock" ] || fail "console-recv did not listen"
	rt run --console-socket "$sock" --bundle "$b" "$id" </dev/null
	rc=$?
	wait $receiver
	[ $rc -eq 3 ] || fail "run with a terminal: exit $rc, expected 3"
	grep -q "^/dev/pts/[0-9]" "$TEST_TMP/tty.out" || fail "tty inside: $(cat "$TEST_TMP/tty.out")"
	# exec --tty into a running container
	b=$(new_bundle tty3 'c["process"]["args"] = ["sleep", "600"]') || fail "bundle"
	rt run --detach --bundle "$b" "$id" </dev/null || fail "run --detach failed"
	rm -f "$sock"
	timeout 60 "$recv" --timeout 30 "$sock" >"$TEST_TMP/tty.out" 2>&1 &
	receiver=$!
	for _ in $(seq 1 200); do [ -S "$sock" ] && break; sleep 0.05; done
	[ -S "$sock" ] || fail "console-recv did not listen"
	rt exec --tty --console-socket "$sock" "$id" sh -c 'tty; exit 4' </dev/null
	rc=$?
	wait $receiver
	[ $rc -eq 4 ] || fail "exec --tty: exit $rc, expected 4"
	grep -q "^/dev/pts/[0-9]" "$TEST_TMP/tty.out" || fail "exec tty inside: $(cat "$TEST_TMP/tty.out")"
	rt delete --force "$id" || fail "delete failed"
	b=$(new_bundle tty2 'c["process"]["terminal"] = True') || fail "bundle"
	rt create --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "terminal without --console-socket accepted"
	grep -q "console-socket" "$TEST_TMP/err" || fail "error: $(cat "$TEST_TMP/err")"
	no_trace_of "$id"
}

# The init enters its cgroup at the end of its set-up, right before it reports ready (docs/runtime.md,
# "Memory floor"); the cases that need it earlier still end up in the cgroup, and a created
# container's init is already there for ps.
case_cgroup_join() {
	need_runtime
	local id=$PFX-cgj b pid out d n=0 mnt
	trap "cleanup_ids $id" EXIT
	# a process user other than root: the init joins after taking it (the host's root opened `tasks`)
	b=$(new_bundle cgj 'c["process"]["args"] = ["sleep", "600"]; c["process"]["user"] = {"uid": 1000, "gid": 1000}') ||
		fail "bundle"
	rt create --pid-file "$TEST_TMP/cgj.pid" --bundle "$b" "$id" </dev/null || fail "create failed"
	pid=$(cat "$TEST_TMP/cgj.pid")
	for d in /sys/fs/cgroup/*/cella/"$id" /sys/fs/cgroup/cella/"$id"; do
		[ -f "$d/cgroup.procs" ] || continue
		grep -qx "$pid" "$d/cgroup.procs" || fail "created: init $pid is not in $d"
		n=$((n + 1))
	done
	[ $n -gt 0 ] || fail "no cgroup directory of $id found"
	[ "$(rt ps --format json "$id")" = "[$pid]" ] || fail "ps of a created container: $(rt ps --format json "$id")"
	rt start "$id" || fail "start failed"
	[ "$(rt exec --user 1000:1000 "$id" sh -c 'grep -c ":/cella/'"$id"'$" /proc/self/cgroup' </dev/null)" = $n ] ||
		fail "exec process not in the container's cgroup: $(rt exec "$id" cat /proc/self/cgroup </dev/null)"
	rt delete --force "$id" || fail "delete failed"
	# a new cgroup namespace, without and with a cgroup mount (then joined before the mounts): it is rooted
	# at the container's cgroup, for a process user other than root too
	for mnt in no yes; do
		b=$(new_bundle "cgj-ns-$mnt" "
c['linux']['namespaces'].append({'type': 'cgroup'})
c['mounts'] = [m for m in c['mounts'] if m['type'] != 'cgroup' or '$mnt' == 'yes']
c['process']['user'] = {'uid': 1000, 'gid': 1000}
c['process']['args'] = ['sh', '-c', 'grep -c \"::*[a-z_,=]*:/\$\" /proc/self/cgroup; grep -vc \"::*[a-z_,=]*:/\$\" /proc/self/cgroup; exit 0']
") || fail "bundle"
		out=$(rt run --bundle "$b" "$id" </dev/null 2>&1) || fail "run with a cgroup namespace (cgroup mount: $mnt): $out"
		[ "$(echo "$out" | sed -n 2p)" = 0 ] && [ "$(echo "$out" | sed -n 1p)" -gt 0 ] ||
			fail "cgroup namespace (cgroup mount: $mnt) not rooted at the container's cgroup: $out"
	done
	# a createContainer hook runs in the container's cgroup
	b=$(new_bundle cgj-hook "c['hooks'] = {'createContainer': [{'path': '/bin/sh', 'args': ['sh', '-c', 'cat /proc/self/cgroup > $TEST_TMP/cgj-hook.out']}]}") ||
		fail "bundle"
	rt run --bundle "$b" "$id" </dev/null || fail "run with a createContainer hook failed"
	[ "$(grep -c ":/cella/$id\$" "$TEST_TMP/cgj-hook.out")" = $n ] ||
		fail "createContainer hook not in the container's cgroup: $(cat "$TEST_TMP/cgj-hook.out")"
	no_trace_of "$id"
}

# What the runtime builds for the container (namespaces, mounts, /dev, credentials) is not charged to
# the container's memory cgroup: with a 192 KiB limit the created container has used almost nothing, and
# /bin/true then runs without an OOM kill. Before the init joined at the end of its set-up, it was
# charged ~60 KiB at create (crun ~80 KiB).
case_memory_setup_not_charged() {
	need_runtime
	local id=$PFX-mem b d used
	[ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ] ||
		{ echo "needs the cgroup v1 memory controller (on cgroup2 the init is born in its cgroup)"; exit 77; }
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle mem 'c["linux"]["resources"]["memory"] = {"limit": 196608}') || fail "bundle"
	rt create --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/mem.err" || fail "create with a 192 KiB limit failed: $(cat "$TEST_TMP/mem.err")"
	d=/sys/fs/cgroup/memory/cella/$id
	used=$(cat "$d/memory.max_usage_in_bytes") || fail "no $d"
	[ "$used" -le 32768 ] || fail "the runtime's set-up was charged to the container: $used bytes at create"
	# busybox in the page cache (charged to us): this host's proactive reclaim evicts cold pages, and the
	# container would otherwise be charged for reading them in again
	cat "$ROOTFS/bin/busybox" >/dev/null
	rt start "$id" || fail "start failed"
	wait_status "$id" stopped
	grep -qx "oom_kill 0" "$d/memory.oom_control" || fail "OOM kill under 192 KiB: $(cat "$d/memory.oom_control")"
	[ ! -s "$TEST_TMP/mem.err" ] || fail "the init failed: $(cat "$TEST_TMP/mem.err")"
	rt delete "$id" || fail "delete failed"
	no_trace_of "$id"
}

check "create/start/state/kill/delete lifecycle" case_lifecycle
check "run in the foreground returns the exit status (128+signal when killed)" case_run_exit_code
check "run --detach + exec: status, --env, --cwd, --user, pid namespace, --process, --detach" case_exec
check "namespaces: hostname, pid 1, network namespace with only lo" case_namespaces
check "user namespace mapping" case_userns
check "list and ps JSON" case_list_ps
check "pause and resume" case_pause_resume
check "update --memory" case_update_memory
check "delete --force, kill --all, delete of a created one, duplicate id" case_delete_force
check "invalid config: error names the field, nothing left behind" case_invalid_config
check "missing binary fails create and leaves nothing" case_missing_binary
check "--preserve-fds passes fd 3, no other fd leaks into the container" case_preserve_fds_and_leaks
check "CVE-2019-5736: the runtime in the container is a sealed memfd copy" case_cve_2019_5736
check "--log-format json writes JSON lines" case_log_json
check "--systemd-cgroup is refused" case_systemd_cgroup_refused
check "version, help, features, spec, unknown command" case_cli_misc
check "hooks run in order with the state on stdin; a failing hook fails create" case_hooks_order
check "hook failures in the container: createContainer fails create, startContainer stops it, poststart warns" case_container_hook_failures
check "sysctl, seccomp and capabilities applied; host sysctl refused" case_sysctl_seccomp_caps
check "joining a network namespace by path" case_join_netns_by_path
check "joining a user namespace by path with new pid, mount, uts and ipc namespaces" case_join_userns_by_path
check "time namespace with a boottime offset" case_time_namespace
check "terminal: pty master over --console-socket" case_terminal
check "the init joins its cgroup last: created init in it, cgroup namespace, hook, exec, non-root user" case_cgroup_join
check "memory: the runtime's set-up is not charged to the container (192 KiB limit)" case_memory_setup_not_charged
done_testing
