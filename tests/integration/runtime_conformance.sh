#!/usr/bin/env bash
# shellcheck disable=SC2064 # traps name the container ids of their case on purpose
# cella-runtime against runc's behaviour and the runtime-spec, as root, with a busybox-static rootfs:
# exit codes (runc run side by side where it is installed), state/list JSON shape, events --stats,
# features and spec --rootless documents, update flags and -r FILE, --log on a failing create,
# failure paths (missing rootfs, bad mount target, hook timeout, OOM kill) that must leave nothing.
source "$(dirname "$0")/lib.bash"
PFX="ccf$$"
source "$(dirname "$0")/runtime_helpers.bash"

RUNC_ROOT="$TEST_TMP/runc-state"
runc_() {
	timeout 60 runc --root "$RUNC_ROOT" "$@"
}

# Nothing of a container left: state, cgroup, and no process naming it.
nothing_left() {
	no_trace_of "$1"
	! pgrep -f -- "$1" >/dev/null || fail "processes of $1 left: $(pgrep -af -- "$1")"
}

# JSON shape: key -> type name, recursively for objects (array element shapes merged).
shape_py='
import json, sys
def shape(v):
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    if isinstance(v, list):
        return ["list"] + sorted({json.dumps(shape(x), sort_keys=True) for x in v})
    return type(v).__name__
print(json.dumps(shape(json.load(sys.stdin)), sort_keys=True))
'

case_exit_codes_like_runc() {
	need_runtime
	need_cmd runc
	local cid=$PFX-ec rid=$PFX-runc-ec b cmd a c diffs=""
	trap "cleanup_ids $cid; runc_ delete --force $rid >/dev/null 2>&1" EXIT
	b=$(new_bundle ec 'c["process"]["args"] = ["sleep", "600"]') || fail "bundle"
	# "ID" stands for the container of each runtime; "-" separates the steps of one scenario
	local steps=(
		"state nosuch" "kill nosuch" "delete nosuch" "start nosuch" "pause nosuch" "resume nosuch"
		"ps nosuch" "update --memory 1m nosuch" "exec nosuch true" "events --stats nosuch" "bogus-command"
		"create" "state" "list --format yaml" "list extra" "features extra" "kill" "delete --bogus x"
		"create --bundle $b ID" "create --bundle $b ID" "kill ID BOGUS" "start ID" "start ID" "delete ID"
		"resume ID" "pause ID" "pause ID" "exec ID true" "resume ID" "exec ID /nonexistent" "exec ID"
		'exec ID sh -c exit\ 5' 'exec ID sh -c kill\ -9\ \$\$' "kill ID KILL" "WAIT" "kill ID KILL"
		"exec ID true" "pause ID" "start ID" "update --memory 1m ID" "events --stats ID" "delete ID"
		"state ID" "delete ID"
	)
	for cmd in "${steps[@]}"; do
		if [ "$cmd" = WAIT ]; then
			wait_status "$cid" stopped
			for _ in $(seq 200); do
				runc_ state "$rid" 2>/dev/null | grep -q '"status": "stopped"' && break
				sleep 0.05
			done
			continue
		fi
		# shellcheck disable=SC2086 # word splitting of the step is wanted
		eval "runc_ ${cmd//ID/$rid}" </dev/null >/dev/null 2>&1
		a=$?
		# shellcheck disable=SC2086
		eval "rt ${cmd//ID/$cid}" </dev/null >/dev/null 2>&1
		c=$?
		echo "$cmd: runc $a, cella-runtime $c"
		[ $a -eq $c ] || diffs+="[$cmd: runc $a, cella-runtime $c] "
	done
	[ -z "$diffs" ] || fail "exit codes differ from runc: $diffs"
	nothing_left "$cid"
}

# Without runc the same numbers are checked against the values runc gives (recorded with runc 1.1.5).
case_exit_codes_fixed() {
	need_runtime
	local id=$PFX-ecf b rc
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle ecf 'c["process"]["args"] = ["sleep", "600"]') || fail "bundle"
	rt bogus-command 2>/dev/null
	rc=$?
	[ $rc -eq 3 ] || fail "unknown command: exit $rc, runc gives 3"
	rt run --detach --bundle "$b" "$id" </dev/null || fail "run --detach failed"
	rt exec "$id" /nonexistent </dev/null 2>/dev/null
	rc=$?
	[ $rc -eq 255 ] || fail "exec of a missing binary: exit $rc, runc gives 255"
	rt exec "$id" </dev/null 2>/dev/null
	rc=$?
	[ $rc -eq 255 ] || fail "exec without a command: exit $rc, runc gives 255"
	rt exec --bogus "$id" true </dev/null 2>/dev/null
	rc=$?
	[ $rc -eq 1 ] || fail "exec with an unknown option: exit $rc, runc gives 1"
	rt kill "$id" KILL || fail "kill failed"
	wait_status "$id" stopped
	rt events --stats "$id" >/dev/null 2>"$TEST_TMP/err" && fail "events --stats of a stopped container succeeded"
	grep -q "is not running" "$TEST_TMP/err" || fail "events error: $(cat "$TEST_TMP/err")"
	rt exec "$id" true </dev/null 2>/dev/null
	rc=$?
	[ $rc -eq 255 ] || fail "exec into a stopped container: exit $rc, runc gives 255"
}

# state and list --format json: the same keys with the same JSON types as runc's.
case_state_list_shape() {
	need_runtime
	need_cmd runc
	local cid=$PFX-shape rid=$PFX-runc-shape b mine theirs
	trap "cleanup_ids $cid; runc_ delete --force $rid >/dev/null 2>&1" EXIT
	b=$(new_bundle shape 'c["process"]["args"] = ["sleep", "600"]; c["annotations"] = {"org.example.key": "value"}') ||
		fail "bundle"
	rt create --bundle "$b" "$cid" </dev/null || fail "create failed"
	runc_ create --bundle "$b" "$rid" </dev/null || fail "runc create failed"
	for verb in "state ID" "list --format json"; do
		mine=$(rt ${verb//ID/$cid} | python3 -c "$shape_py") || fail "$verb: not JSON"
		theirs=$(runc_ ${verb//ID/$rid} | python3 -c "$shape_py") || fail "runc $verb: not JSON"
		[ "$mine" = "$theirs" ] || fail "$verb shape differs: cella-runtime $mine, runc $theirs"
	done
	rt state "$cid" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["status"] == "created" and d["annotations"] == {"org.example.key": "value"}, d
assert d["created"].endswith("Z") and "T" in d["created"], d["created"]' || fail "state values: $(rt state "$cid")"
	rt list --format json | python3 -c "
import json, sys
assert [c['id'] for c in json.load(sys.stdin)] == ['$cid']" || fail "list: $(rt list --format json)"
}

# The fields runc's state and list must have even without runc to compare against.
case_state_list_fields() {
	need_runtime
	local id=$PFX-fields b
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle fields 'c["process"]["args"] = ["sleep", "600"]') || fail "bundle"
	rt run --detach --bundle "$b" "$id" </dev/null || fail "run --detach failed"
	rt state "$id" | python3 -c '
import json, sys
d = json.load(sys.stdin)
want = {"ociVersion": str, "id": str, "pid": int, "status": str, "bundle": str, "rootfs": str, "created": str, "owner": str}
assert {k: type(d[k]) for k in want} == want and set(d) == set(want), d' || fail "state: $(rt state "$id")"
	rt list --format json | python3 -c '
import json, sys
l = json.load(sys.stdin)
assert isinstance(l, list) and len(l) == 1 and l[0]["status"] == "running" and isinstance(l[0]["pid"], int), l' ||
		fail "list: $(rt list --format json)"
	rt delete --force "$id" || fail "delete failed"
	[ "$(rt list --format json)" = "[]" ] || fail "list of an empty root: $(rt list --format json)"
}

case_events_stats() {
	need_runtime
	local id=$PFX-ev b out
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle ev 'c["process"]["args"] = ["sh", "-c", "sleep 600 & sleep 600"]
c["linux"]["resources"]["memory"] = {"limit": 67108864}
c["linux"]["resources"]["pids"] = {"limit": 20}') || fail "bundle"
	rt run --detach --bundle "$b" "$id" </dev/null || fail "run --detach failed"
	out=$(rt events --stats "$id") || fail "events --stats failed"
	# the fields runc's events --stats has and clients read
	python3 - "$id" "$out" <<-'PY' || fail "events --stats: $out"
	import json, sys
	cid, ev = sys.argv[1], json.loads(sys.argv[2])
	assert ev["type"] == "stats" and ev["id"] == cid, ev
	d = ev["data"]
	assert d["memory"]["usage"]["limit"] == 67108864, d["memory"]
	assert d["memory"]["usage"]["usage"] > 0 and {"max", "failcnt"} <= set(d["memory"]["usage"]), d["memory"]
	assert d["pids"]["current"] >= 2, d["pids"]
	assert d["cpu"]["usage"]["total"] > 0 and isinstance(d["cpu"]["usage"]["percpu"], list), d["cpu"]
	assert {"kernel", "user"} <= set(d["cpu"]["usage"]) and "throttling" in d["cpu"], d["cpu"]
	PY
	rt events "$id" 2>"$TEST_TMP/err" && fail "events without --stats succeeded"
	grep -q "only --stats is supported" "$TEST_TMP/err" || fail "events error: $(cat "$TEST_TMP/err")"
	return 0
}

# features: the runtime-spec features.md schema, and nothing claimed that the runtime lacks.
case_features_schema() {
	need_runtime
	rt features >"$TEST_TMP/features.json" || fail "features failed"
	python3 - "$TEST_TMP/features.json" <<-'PY' || fail "features: $(cat "$TEST_TMP/features.json")"
	import json, sys
	f = json.load(open(sys.argv[1]))
	assert f["ociVersionMin"] == "1.0.0" and f["ociVersionMax"].startswith("1.2"), f
	assert f["hooks"] == ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
	for opt in ["bind", "rbind", "ro", "rw", "nosuid", "nodev", "noexec", "rprivate", "rshared", "tmpcopyup", "idmap"]:
	    assert opt in f["mountOptions"], opt
	l = f["linux"]
	assert sorted(l["namespaces"]) == sorted(["cgroup", "ipc", "mount", "network", "pid", "user", "uts", "time"]), l["namespaces"]
	assert "CAP_SYS_ADMIN" in l["capabilities"] and all(c.startswith("CAP_") for c in l["capabilities"])
	assert l["cgroup"] == {"v1": True, "v2": True, "systemd": False, "systemdUser": False, "rdma": False}, l["cgroup"]
	s = l["seccomp"]
	assert s["enabled"] is True
	for k, v in [("actions", "SCMP_ACT_NOTIFY"), ("actions", "SCMP_ACT_ERRNO"), ("operators", "SCMP_CMP_MASKED_EQ"),
	             ("archs", "SCMP_ARCH_X86_64"), ("knownFlags", "SECCOMP_FILTER_FLAG_LOG"),
	             ("supportedFlags", "SECCOMP_FILTER_FLAG_LOG")]:
	    assert v in s[k], (k, v, s[k])
	assert set(s["supportedFlags"]) <= set(s["knownFlags"])
	for k in ["apparmor", "selinux", "intelRdt"]:
	    assert l[k] == {"enabled": False}, (k, l[k])
	assert l["mountExtensions"] == {"idmap": {"enabled": True}}, l["mountExtensions"]
	assert all(isinstance(v, str) for v in f["annotations"].values()) and "org.cella.runtime.version" in f["annotations"]
	PY
	# every key runc's features has, cella-runtime has too
	if command -v runc >/dev/null; then
		runc features | python3 -c "
import json, sys
r, c = json.load(sys.stdin), json.load(open('$TEST_TMP/features.json'))
def missing(a, b, p=''):
    for k, v in a.items():
        if k not in b: yield p + k
        elif isinstance(v, dict): yield from missing(v, b[k], p + k + '.')
# runc's own annotations (its version, commit, criu) are runc's, not schema keys
m = [k for k in missing(r, c) if not k.startswith('annotations.')]
assert not m, m" || fail "keys of runc's features missing"
	fi
	return 0
}

# spec --rootless: runc's rootless shape (user namespace mapping the caller, no network namespace,
# /sys bound) and it runs as is.
case_spec_rootless() {
	need_runtime
	local id=$PFX-rl b=$TEST_TMP/bundles/rootless out
	trap "cleanup_ids $id" EXIT
	mkdir -p "$b" && "$RT" spec --rootless --bundle "$b" || fail "spec --rootless failed"
	python3 - "$b/config.json" "$(id -u)" "$(id -g)" <<-'PY' || fail "spec --rootless: $(cat "$b/config.json")"
	import json, sys
	c, uid, gid = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
	ns = sorted(n["type"] for n in c["linux"]["namespaces"])
	assert ns == ["ipc", "mount", "pid", "user", "uts"], ns
	assert c["linux"]["uidMappings"] == [{"containerID": 0, "hostID": uid, "size": 1}], c["linux"]["uidMappings"]
	assert c["linux"]["gidMappings"] == [{"containerID": 0, "hostID": gid, "size": 1}], c["linux"]["gidMappings"]
	sys_mount = [m for m in c["mounts"] if m["destination"] == "/sys"][0]
	assert sys_mount["type"] == "none" and "rbind" in sys_mount["options"] and "ro" in sys_mount["options"], sys_mount
	assert "resources" not in c["linux"] or "devices" not in c["linux"]["resources"], c["linux"].get("resources")
	PY
	if command -v runc >/dev/null; then
		mkdir -p "$TEST_TMP/runc-rootless"
		(cd "$TEST_TMP/runc-rootless" && runc spec --rootless) || fail "runc spec --rootless failed"
		python3 - "$b/config.json" "$TEST_TMP/runc-rootless/config.json" <<-'PY' || fail "differs from runc spec --rootless"
		import json, sys
		c, r = (json.load(open(p)) for p in sys.argv[1:])
		key = lambda d: (sorted(n["type"] for n in d["linux"]["namespaces"]), d["linux"]["uidMappings"],
		                 d["linux"]["gidMappings"], sorted(m["destination"] for m in d["mounts"]))
		assert key(c) == key(r), (key(c), key(r))
		PY
	fi
	python3 - "$b/config.json" "$ROOTFS" <<-'PY' || fail "cannot edit the rootless config"
	import json, sys
	c = json.load(open(sys.argv[1]))
	c["root"] = {"path": sys.argv[2], "readonly": True}
	c["process"]["terminal"] = False
	c["process"]["args"] = ["sh", "-c", "id -u; cat /proc/self/uid_map"]
	json.dump(c, open(sys.argv[1], "w"))
	PY
	out=$(rt run --bundle "$b" "$id" </dev/null 2>&1) || fail "run of the rootless spec failed: $out"
	[ "$(echo "$out" | sed -n 1p)" = 0 ] || fail "uid inside: $out"
	echo "$out" | sed -n 2p | grep -Eq "^ *0 +$(id -u) +1$" || fail "uid_map inside: $out"
	nothing_left "$id"
}

# Host value of a cgroup v1 file (or v2 file) of the container.
cgroup_file() { # ID V1CONTROLLER FILE V2FILE
	local f
	for f in "/sys/fs/cgroup/$2/cella/$1/$3" "/sys/fs/cgroup/cella/$1/$4"; do
		[ -r "$f" ] && { cat "$f"; return 0; }
	done
	return 1
}

case_update_flags_and_file() {
	need_runtime
	local id=$PFX-upd b
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle updf 'c["process"]["args"] = ["sleep", "600"]; c["linux"]["resources"]["memory"] = {"limit": 67108864}') ||
		fail "bundle"
	rt run --detach --bundle "$b" "$id" </dev/null || fail "run --detach failed"
	cgroup_file "$id" pids pids.max pids.max >/dev/null || { echo "no pids cgroup for $id here"; exit 77; }
	rt update --cpu-shares 512 --cpu-quota 20000 --cpu-period 100000 --pids-limit 33 \
		--memory-reservation 32m --memory 80m "$id" || fail "update with flags failed"
	[ "$(cgroup_file "$id" pids pids.max pids.max)" = 33 ] || fail "--pids-limit: $(cgroup_file "$id" pids pids.max pids.max)"
	[ "$(cgroup_file "$id" memory memory.limit_in_bytes memory.max)" = 83886080 ] || fail "--memory"
	if [ -d "/sys/fs/cgroup/cpu/cella/$id" ]; then
		[ "$(cat "/sys/fs/cgroup/cpu/cella/$id/cpu.shares")" = 512 ] || fail "--cpu-shares"
		[ "$(cat "/sys/fs/cgroup/cpu/cella/$id/cpu.cfs_quota_us")" = 20000 ] || fail "--cpu-quota"
		[ "$(cat "/sys/fs/cgroup/memory/cella/$id/memory.soft_limit_in_bytes")" = 33554432 ] ||
			fail "--memory-reservation"
	else
		[ "$(cgroup_file "$id" cpu - cpu.max)" = "20000 100000" ] || fail "--cpu-quota/--cpu-period (v2)"
		[ "$(cgroup_file "$id" memory - memory.low)" = 33554432 ] || fail "--memory-reservation (v2)"
	fi
	# -r FILE replaces the flags (as runc), -r - reads stdin
	echo '{"memory": {"limit": 100663296}, "pids": {"limit": 44}}' >"$TEST_TMP/res.json"
	rt update -r "$TEST_TMP/res.json" --pids-limit 99 "$id" || fail "update -r FILE failed"
	[ "$(cgroup_file "$id" pids pids.max pids.max)" = 44 ] || fail "-r FILE pids: $(cgroup_file "$id" pids pids.max pids.max)"
	[ "$(cgroup_file "$id" memory memory.limit_in_bytes memory.max)" = 100663296 ] || fail "-r FILE memory"
	echo '{"pids": {"limit": 55}}' | rt update -r - "$id" || fail "update -r - failed"
	[ "$(cgroup_file "$id" pids pids.max pids.max)" = 55 ] || fail "-r - pids"
	# bad input names what is wrong, changes nothing
	echo '{"pids": {"limit": "many"}}' >"$TEST_TMP/bad.json"
	rt update -r "$TEST_TMP/bad.json" "$id" 2>"$TEST_TMP/err" && fail "bad -r file accepted"
	grep -q "pids.limit" "$TEST_TMP/err" || fail "error: $(cat "$TEST_TMP/err")"
	echo '{"pids": ' >"$TEST_TMP/bad.json"
	rt update -r "$TEST_TMP/bad.json" "$id" 2>"$TEST_TMP/err" && fail "malformed -r file accepted"
	grep -q "$TEST_TMP/bad.json" "$TEST_TMP/err" || fail "error: $(cat "$TEST_TMP/err")"
	rt update --pids-limit lots "$id" 2>"$TEST_TMP/err" && fail "--pids-limit lots accepted"
	grep -q -- "--pids-limit" "$TEST_TMP/err" || fail "error: $(cat "$TEST_TMP/err")"
	[ "$(cgroup_file "$id" pids pids.max pids.max)" = 55 ] || fail "a failed update changed pids.max"
	rt update --bogus 1 "$id" 2>/dev/null && fail "unknown update flag accepted"
	return 0
}

# A failing create with --log --log-format json (what containerd's shim passes): one JSON error line
# naming the field, the same message on stderr; text format as runc's logfmt.
case_log_failing_create() {
	need_runtime
	local id=$PFX-log b log=$TEST_TMP/create-log.json
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle logbad 'c["process"]["user"]["uid"] = "root"') || fail "bundle"
	timeout 60 "$RT" --root "$ROOT" --log "$log" --log-format json create --bundle "$b" "$id" </dev/null \
		2>"$TEST_TMP/err" && fail "create with a bad config succeeded"
	grep -q "process.user.uid: expected integer" "$TEST_TMP/err" || fail "stderr: $(cat "$TEST_TMP/err")"
	python3 - "$log" <<-'PY' || fail "log: $(cat "$log")"
	import json, sys
	lines = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
	errors = [l for l in lines if l["level"] == "error"]
	assert len(errors) == 1 and "config.json: process.user.uid: expected integer" in errors[-1]["msg"], lines
	assert set(errors[-1]) == {"level", "msg", "time"}, errors[-1]
	PY
	nothing_left "$id"
	timeout 60 "$RT" --root "$ROOT" --log "$TEST_TMP/create-log.txt" create --bundle "$b" "$id" </dev/null \
		2>/dev/null && fail "create with a bad config succeeded"
	grep -Eq '^time="[^"]+" level=error msg=".*process.user.uid: expected integer' "$TEST_TMP/create-log.txt" ||
		fail "text log: $(cat "$TEST_TMP/create-log.txt")"
	nothing_left "$id"
}

case_missing_rootfs() {
	need_runtime
	local id=$PFX-norootfs b
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle norootfs "c['root']['path'] = '$TEST_TMP/no-such-rootfs'") || fail "bundle"
	rt create --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "create without a rootfs succeeded"
	grep -q "config.json: root.path: $TEST_TMP/no-such-rootfs: No such file or directory" "$TEST_TMP/err" ||
		fail "error: $(cat "$TEST_TMP/err")"
	nothing_left "$id"
	rt run --bundle "$b" "$id" </dev/null 2>/dev/null && fail "run without a rootfs succeeded"
	nothing_left "$id"
	# a rootfs that is a file, not a directory
	b=$(new_bundle filerootfs "c['root']['path'] = '$ROOTFS/bin/busybox'") || fail "bundle"
	rt create --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "a file as rootfs was accepted"
	grep -q "root.path" "$TEST_TMP/err" || fail "error: $(cat "$TEST_TMP/err")"
	nothing_left "$id"
}

case_bad_mount_target() {
	need_runtime
	local id=$PFX-badmnt b
	trap "cleanup_ids $id" EXIT
	# the destination's parent is a file inside the rootfs
	b=$(new_bundle badmnt1 'c["mounts"].append({"destination": "/bin/busybox/x", "type": "tmpfs", "source": "tmpfs"})') ||
		fail "bundle"
	rt create --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "mount under a file succeeded"
	grep -Eq "mounts\[[0-9]+\] \(/bin/busybox/x\).*Not a directory" "$TEST_TMP/err" || fail "error: $(cat "$TEST_TMP/err")"
	nothing_left "$id"
	# a bind mount whose source does not exist
	b=$(new_bundle badmnt2 "c['mounts'].append({'destination': '/mnt', 'type': 'bind', 'source': '$TEST_TMP/no-src', 'options': ['bind']})") ||
		fail "bundle"
	rt create --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "bind of a missing source succeeded"
	grep -Eq "mounts\[[0-9]+\] \(/mnt\).*$TEST_TMP/no-src" "$TEST_TMP/err" || fail "error: $(cat "$TEST_TMP/err")"
	nothing_left "$id"
	# an unknown file system type
	b=$(new_bundle badmnt3 'c["mounts"].append({"destination": "/mnt", "type": "cellanofs", "source": "x"})') || fail "bundle"
	rt run --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "mount of an unknown type succeeded"
	grep -Eq "mounts\[[0-9]+\] \(/mnt\).*cellanofs" "$TEST_TMP/err" || fail "error: $(cat "$TEST_TMP/err")"
	nothing_left "$id"
	# a relative destination is a config error
	b=$(new_bundle badmnt4 'c["mounts"].append({"destination": "mnt", "type": "tmpfs", "source": "tmpfs"})') || fail "bundle"
	rt create --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "a relative destination succeeded"
	grep -Eq "config.json: mounts\[[0-9]+\].destination" "$TEST_TMP/err" || fail "error: $(cat "$TEST_TMP/err")"
	nothing_left "$id"
}

# Kills the hook whose pid FILE names if it is still that hook (`sleep 600`): never a reused pid.
kill_hook_leftover() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 0
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" = "sleep 600 " ] && kill -9 "$pid"
	return 0
}

# Hook timeouts kill the hook and fail create within the bound; poststop runs on delete.
case_hooks_timeout_poststop() {
	need_runtime
	local id=$PFX-hookt b start elapsed log=$TEST_TMP/hook-poststop hookpid
	# a hook the runtime failed to kill must not outlive the case
	trap "cleanup_ids $id; kill_hook_leftover $TEST_TMP/hook.pid" EXIT
	b=$(new_bundle hookt "c['hooks'] = {'createRuntime': [{'path': '/bin/sh', 'args': ['sh', '-c', 'echo \$\$ > $TEST_TMP/hook.pid; exec sleep 600'], 'timeout': 1}]}") ||
		fail "bundle"
	start=$SECONDS
	rt create --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "create with a hanging hook succeeded"
	elapsed=$((SECONDS - start))
	[ $elapsed -le 20 ] || fail "the 1 s hook timeout took $elapsed s"
	grep -q "createRuntime" "$TEST_TMP/err" && grep -q "timed out after 1 s" "$TEST_TMP/err" ||
		fail "error: $(cat "$TEST_TMP/err")"
	nothing_left "$id"
	hookpid=$(cat "$TEST_TMP/hook.pid") || fail "the hook did not run"
	[ ! -e "/proc/$hookpid" ] || [ "$(awk '{print $3}' "/proc/$hookpid/stat")" = Z ] || fail "the timed-out hook $hookpid survived"
	# a prestart hook that fails: run fails, leaves nothing
	b=$(new_bundle hookf 'c["hooks"] = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 9"]}]}') || fail "bundle"
	rt run --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "run with a failing prestart hook succeeded"
	grep -q "prestart" "$TEST_TMP/err" || fail "error: $(cat "$TEST_TMP/err")"
	nothing_left "$id"
	# poststop runs on delete of a stopped container (state "stopped" on stdin); its failure only warns
	b=$(new_bundle hookp "c['hooks'] = {'poststop': [
	  {'path': '/bin/sh', 'args': ['sh', '-c', 'cat > $log.json'], 'timeout': 10},
	  {'path': '/bin/sh', 'args': ['sh', '-c', 'exit 4']}]}
c['process']['args'] = ['true']") || fail "bundle"
	rt create --bundle "$b" "$id" </dev/null || fail "create failed"
	rt start "$id" || fail "start failed"
	wait_status "$id" stopped
	[ ! -e "$log.json" ] || fail "poststop ran before delete"
	rt delete "$id" 2>"$TEST_TMP/err" || fail "delete failed: $(cat "$TEST_TMP/err")"
	python3 -c "import json; s = json.load(open('$log.json')); assert s['status'] == 'stopped' and s['id'] == '$id', s" ||
		fail "poststop state: $(cat "$log.json")"
	grep -q "poststop" "$TEST_TMP/err" || fail "the failing poststop hook was not reported: $(cat "$TEST_TMP/err")"
	nothing_left "$id"
}

# memory cgroup's OOM-kill count, v1 memory.oom_control or v2 memory.events.
oom_kills_of() {
	local f
	for f in "/sys/fs/cgroup/memory/cella/$1/memory.oom_control" "/sys/fs/cgroup/cella/$1/memory.events"; do
		[ -r "$f" ] && { awk '$1 == "oom_kill" { print $2 }' "$f"; return 0; }
	done
	return 1
}

case_oom_kill() {
	need_runtime
	local id=$PFX-oom b rc res
	trap "cleanup_ids $id" EXIT
	# with swap accounting the swap limit too, so the allocation cannot escape to swap
	res='{"limit": 16777216}'
	[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] && res='{"limit": 16777216, "swap": 16777216}'
	b=$(new_bundle oom "c['linux']['resources']['memory'] = $res
c['process']['args'] = ['sh', '-c', 'x=\$(head -c 100000000 /dev/zero | tr \"\\\\0\" a); echo survived']") || fail "bundle"
	rt run --bundle "$b" "$id" </dev/null >"$TEST_TMP/oom.out" 2>&1
	rc=$?
	[ $rc -eq 137 ] || fail "run over memory.limit: exit $rc, expected 137: $(cat "$TEST_TMP/oom.out")"
	grep -q survived "$TEST_TMP/oom.out" && fail "the allocation survived a 16 MiB limit"
	nothing_left "$id"
	if command -v runc >/dev/null; then
		runc_ run --bundle "$b" "$PFX-runc-oom" </dev/null >/dev/null 2>&1
		rc=$?
		[ $rc -eq 137 ] || fail "runc gives $rc for the same bundle"
	fi
	# detached: state and ps agree the container is gone, the cgroup saw the OOM kill, delete cleans up
	rt create --bundle "$b" "$id" </dev/null || fail "create failed"
	rt start "$id" || fail "start failed"
	wait_status "$id" stopped
	[ "$(rt ps --format json "$id")" = "[]" ] || fail "ps after the OOM kill: $(rt ps --format json "$id")"
	rt list --format json | grep -q "\"status\":\"stopped\"" || fail "list: $(rt list --format json)"
	[ "$(oom_kills_of "$id")" -ge 1 ] 2>/dev/null || fail "no OOM kill counted by the cgroup: '$(oom_kills_of "$id")'"
	rt delete "$id" || fail "delete failed"
	nothing_left "$id"
}

# Every namespace of the default spec plus cgroup is new; domainname, mqueue, oomScoreAdj applied.
case_namespaces_and_process() {
	need_runtime
	local id=$PFX-ns b out n host
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle nsall 'c["linux"]["namespaces"].append({"type": "cgroup"})
c["domainname"] = "dom.example"; c["hostname"] = "host1"
c["process"]["oomScoreAdj"] = 123
c["process"]["args"] = ["sh", "-c", "for n in ipc uts cgroup mnt pid net; do echo $n $(readlink /proc/self/ns/$n); done; echo domain $(cat /proc/sys/kernel/domainname); echo oom $(cat /proc/self/oom_score_adj); grep -c \" /dev/mqueue mqueue \" /proc/mounts"]') ||
		fail "bundle"
	out=$(rt run --bundle "$b" "$id" </dev/null 2>&1) || fail "run failed: $out"
	for n in ipc uts cgroup mnt pid net; do
		host=$(readlink "/proc/self/ns/$n")
		echo "$out" | grep -q "^$n $n:\[[0-9]*\]$" || fail "no $n namespace line: $out"
		! echo "$out" | grep -qx "$n $host" || fail "the container shares the host's $n namespace: $out"
	done
	echo "$out" | grep -qx "domain dom.example" || fail "domainname: $out"
	[ "$(cat /proc/sys/kernel/domainname)" != dom.example ] || fail "host domainname changed"
	echo "$out" | grep -qx "oom 123" || fail "oomScoreAdj: $out"
	[ "$(echo "$out" | tail -n1)" = 1 ] || fail "/dev/mqueue is not an mqueue mount: $out"
	nothing_left "$id"
}

# linux.resources.devices: a node the rules do not allow cannot be opened even by root with CAP_MKNOD.
case_devices_cgroup() {
	need_runtime
	local id=$PFX-dev b out
	trap "cleanup_ids $id" EXIT
	# the probe device is loop-control (c 10:237): not among runc's default rules, opened without side effects
	[ -c /dev/loop-control ] || { echo "no /dev/loop-control (c 10:237) on this host to probe with"; exit 77; }
	b=$(new_bundle devdeny 'c["linux"]["resources"]["devices"] = [{"allow": False, "access": "rwm"}]
c["process"]["capabilities"]["bounding"].append("CAP_MKNOD"); c["process"]["capabilities"]["effective"].append("CAP_MKNOD")
c["process"]["capabilities"]["permitted"].append("CAP_MKNOD")
c["process"]["args"] = ["sh", "-c", "mknod /dev/xlc c 10 237 && echo made; (: </dev/xlc) && echo opened; echo x >/dev/null && echo null-ok"]') ||
		fail "bundle"
	out=$(rt run --bundle "$b" "$id" </dev/null 2>&1) || fail "run failed: $out"
	echo "$out" | grep -qx made || fail "mknod (allowed by runc's default rules) failed: $out"
	echo "$out" | grep -qx opened && fail "c 10:237 was opened despite the deny-all rule: $out"
	echo "$out" | grep -q "Operation not permitted" || fail "no EPERM from the devices cgroup: $out"
	echo "$out" | grep -qx null-ok || fail "/dev/null (a default rule) not usable: $out"
	# an explicit allow rule lets it through
	b=$(new_bundle devallow 'c["linux"]["resources"]["devices"] = [{"allow": False, "access": "rwm"}, {"allow": True, "type": "c", "major": 10, "minor": 237, "access": "r"}]
c["process"]["capabilities"]["bounding"].append("CAP_MKNOD"); c["process"]["capabilities"]["effective"].append("CAP_MKNOD")
c["process"]["capabilities"]["permitted"].append("CAP_MKNOD")
c["process"]["args"] = ["sh", "-c", "mknod /dev/xlc c 10 237 && (: </dev/xlc) && echo opened"]') || fail "bundle"
	out=$(rt run --bundle "$b" "$id" </dev/null 2>&1)
	echo "$out" | grep -qx opened || fail "c 10:237 with an allow rule: $out"
	nothing_left "$id"
}

# hugetlb limits reach the hugetlb controller (v1, or the cgroup2 hierarchy holding it on hybrid hosts).
case_hugetlb() {
	need_runtime
	local id=$PFX-huge b f
	trap "cleanup_ids $id" EXIT
	[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || { echo "no 2 MiB huge pages on this kernel"; exit 77; }
	grep -qw hugetlb /proc/cgroups || { echo "no hugetlb cgroup controller"; exit 77; }
	b=$(new_bundle huge 'c["linux"]["resources"]["hugepageLimits"] = [{"pageSize": "2MB", "limit": 4194304}]
c["process"]["args"] = ["sleep", "600"]') || fail "bundle"
	rt run --detach --bundle "$b" "$id" </dev/null || fail "run --detach failed"
	f=$(find /sys/fs/cgroup -path "*/cella/$id/*" \( -name hugetlb.2MB.limit_in_bytes -o -name hugetlb.2MB.max \) | head -n1)
	[ -n "$f" ] || fail "no hugetlb.2MB file in the cgroups of $id"
	[ "$(cat "$f")" = 4194304 ] || fail "$f is $(cat "$f")"
	rt delete --force "$id" || fail "delete failed"
	nothing_left "$id"
}

# Runs CMD... in a new session keyring NAME that only its possessors may see (python3 calls keyctl).
with_private_keyring() { # NAME CMD...
	python3 - "$@" <<-'PY'
	import ctypes, os, sys
	nr = {"x86_64": 250, "aarch64": 219}.get(os.uname().machine)
	if nr is None:
	    sys.exit("keyctl syscall number unknown on " + os.uname().machine)
	libc = ctypes.CDLL(None, use_errno=True)
	serial = libc.syscall(nr, 1, ctypes.c_char_p(sys.argv[1].encode()))  # KEYCTL_JOIN_SESSION_KEYRING
	if serial < 0 or libc.syscall(nr, 5, serial, 0x3F000000) < 0:  # KEYCTL_SETPERM: possessor only
	    sys.exit("keyctl: " + os.strerror(ctypes.get_errno()))
	os.execvp(sys.argv[2], sys.argv[2:])
	PY
}

# A new session keyring by default: the caller's (possessor-only) keyring is not the container's;
# with --no-new-keyring it is.
case_keyring() {
	need_runtime
	# Each run has its own keyring name: an earlier run's keyring may linger in /proc/keys until the
	# kernel's key garbage collector gets to it.
	local id=$PFX-key b1 b2 n1=cella-test-$PFX-a n2=cella-test-$PFX-b out
	trap "cleanup_ids $id" EXIT
	b1=$(new_bundle key-a "c['linux']['maskedPaths'] = [p for p in c['linux']['maskedPaths'] if p != '/proc/keys']
c['process']['args'] = ['sh', '-c', 'grep -c \" $n1: \" /proc/keys']") || fail "bundle"
	b2=$(new_bundle key-b "c['linux']['maskedPaths'] = [p for p in c['linux']['maskedPaths'] if p != '/proc/keys']
c['process']['args'] = ['sh', '-c', 'grep -c \" $n2: \" /proc/keys']") || fail "bundle"
	out=$(with_private_keyring "$n1" timeout 60 "$RT" --root "$ROOT" run --no-new-keyring --bundle "$b1" "$id" \
		</dev/null 2>&1)
	[ "$out" = 1 ] || fail "--no-new-keyring: the caller's session keyring is not the container's: '$out'"
	out=$(with_private_keyring "$n2" timeout 60 "$RT" --root "$ROOT" run --bundle "$b2" "$id" </dev/null 2>&1)
	[ "$out" = 0 ] || fail "the container still possesses the caller's session keyring: '$out'"
	nothing_left "$id"
}

# Joining a user namespace (and the pid namespace owned by it) by path: no maps of our own needed.
case_join_userns_by_path() {
	need_runtime
	[ -e /proc/self/ns/user ] || { echo "no user namespaces"; exit 77; }
	local a=$PFX-usera bid=$PFX-userb b pid out
	trap "cleanup_ids $a $bid" EXIT
	b=$(new_bundle usera 'c["linux"]["namespaces"].append({"type": "user"})
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
c["process"]["args"] = ["sleep", "600"]') || fail "bundle"
	rt run --detach --pid-file "$TEST_TMP/usera.pid" --bundle "$b" "$a" </dev/null || fail "run a failed"
	pid=$(cat "$TEST_TMP/usera.pid")
	b=$(new_bundle userb "
c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'pid']
c['linux']['namespaces'] += [{'type': 'user', 'path': '/proc/$pid/ns/user'}, {'type': 'pid', 'path': '/proc/$pid/ns/pid'}]
c['process']['args'] = ['sh', '-c', 'readlink /proc/self/ns/user; readlink /proc/self/ns/pid; id -u; cat /proc/self/uid_map']") ||
		fail "bundle"
	out=$(rt run --bundle "$b" "$bid" </dev/null 2>&1) || fail "run b failed: $out"
	[ "$(echo "$out" | sed -n 1p)" = "$(readlink "/proc/$pid/ns/user")" ] || fail "user namespace not joined: $out"
	[ "$(echo "$out" | sed -n 2p)" = "$(readlink "/proc/$pid/ns/pid")" ] || fail "pid namespace not joined: $out"
	[ "$(echo "$out" | sed -n 3p)" = 0 ] || fail "uid inside: $out"
	echo "$out" | sed -n 4p | grep -Eq '^ *0 +100000 +65536$' || fail "uid_map: $out"
	nothing_left "$bid"
}

# --no-pivot: MS_MOVE + chroot; the container still sees only its rootfs.
case_no_pivot() {
	need_runtime
	local id=$PFX-nopiv b out
	trap "cleanup_ids $id" EXIT
	b=$(new_bundle nopiv 'c["process"]["args"] = ["sh", "-c", "if test -e /etc/hostname; then echo host-etc; fi; ls /"]') || fail "bundle"
	out=$(rt run --no-pivot --bundle "$b" "$id" </dev/null 2>&1) || fail "run --no-pivot failed: $out"
	[ "$(echo "$out" | tr '\n' ' ')" = "$(ls "$ROOTFS" | tr '\n' ' ')" ] || fail "the container sees '$out', not its rootfs"
	nothing_left "$id"
}

# --help for every command, --debug logging, refused spec fields name themselves.
case_help_debug_unsupported() {
	need_runtime
	local id=$PFX-misc b verb
	trap "cleanup_ids $id" EXIT
	for verb in create start state kill delete run exec list ps pause resume update features spec events; do
		"$RT" "$verb" --help >"$TEST_TMP/help" 2>&1 || fail "$verb --help: exit $?"
		grep -q "^usage: cella-runtime $verb" "$TEST_TMP/help" || fail "$verb --help: $(cat "$TEST_TMP/help")"
	done
	timeout 30 "$RT" --root "$ROOT" --debug --log "$TEST_TMP/debug.log" list >/dev/null || fail "--debug list failed"
	grep -q "level=debug" "$TEST_TMP/debug.log" || fail "--debug logged nothing: $(cat "$TEST_TMP/debug.log")"
	timeout 30 "$RT" --root "$ROOT" --log "$TEST_TMP/nodebug.log" list >/dev/null || fail "list failed"
	! grep -q "level=debug" "$TEST_TMP/nodebug.log" || fail "debug lines without --debug"
	# LSM labels this host cannot apply are refused, naming the field, not ignored
	if [ ! -d /sys/kernel/security/apparmor ]; then
		b=$(new_bundle aa 'c["process"]["apparmorProfile"] = "cella-test"') || fail "bundle"
		rt create --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "apparmorProfile accepted without AppArmor"
		grep -q "process.apparmorProfile: AppArmor is not supported on this host" "$TEST_TMP/err" ||
			fail "error: $(cat "$TEST_TMP/err")"
	fi
	if [ ! -d /sys/fs/selinux ]; then
		b=$(new_bundle se 'c["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0"') || fail "bundle"
		rt create --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "selinuxLabel accepted without SELinux"
		grep -q "process.selinuxLabel: SELinux is not supported on this host" "$TEST_TMP/err" ||
			fail "error: $(cat "$TEST_TMP/err")"
	fi
	nothing_left "$id"
	b=$(new_bundle rdt 'c["linux"]["intelRdt"] = {"closID": "x"}') || fail "bundle"
	rt create --bundle "$b" "$id" </dev/null 2>"$TEST_TMP/err" && fail "linux.intelRdt accepted"
	grep -q "linux.intelRdt.*not supported" "$TEST_TMP/err" || fail "error: $(cat "$TEST_TMP/err")"
	nothing_left "$id"
}

check "exit codes: the same as runc, command by command" case_exit_codes_like_runc
check "exit codes runc gives: unknown command 3, failed exec 255, usage 1" case_exit_codes_fixed
check "state and list --format json: the same shape as runc's" case_state_list_shape
check "state and list --format json: runc's fields and types" case_state_list_fields
check "events --stats: one stats event with runc's fields; no event stream" case_events_stats
check "features: the runtime-spec schema, keys of runc's, namespaces incl. time" case_features_schema
check "spec --rootless: runc's rootless shape, and it runs" case_spec_rootless
check "update: flags, -r FILE replaces them, -r -, bad input names the field" case_update_flags_and_file
check "--log --log-format json|text on a failing create" case_log_failing_create
check "missing rootfs: create fails naming root.path, leaves nothing" case_missing_rootfs
check "bad mount target: create fails naming the mount, leaves nothing" case_bad_mount_target
check "hooks: timeout kills and fails create, failing prestart, poststop on delete" case_hooks_timeout_poststop
check "OOM kill: run exits 137 (as runc), state/ps/list agree, cgroup counted it and is removed" case_oom_kill
check "namespaces ipc/uts/cgroup/mnt/pid/net new; domainname, mqueue, oomScoreAdj" case_namespaces_and_process
check "devices cgroup: deny-all refuses a mknod'ed node, an allow rule permits it" case_devices_cgroup
check "hugepageLimits reach the hugetlb controller" case_hugetlb
check "session keyring: new by default, the caller's with --no-new-keyring" case_keyring
check "--no-pivot: the container sees only its rootfs" case_no_pivot
check "joining a user and a pid namespace by path" case_join_userns_by_path
check "--help of every command, --debug; intelRdt, AppArmor/SELinux labels refused" case_help_debug_unsupported
done_testing
