#!/usr/bin/env bash
# podman (Debian's) driving cella-runtime through the runc CLI: run, detach,
# exec, logs, stop, env/workdir/user, cgroup limits and a pty -- fully offline
# (the image is a static-busybox rootfs imported with `podman import`), with a
# private storage root, run root and cgroup parent that are removed at the end.
#   CELLA_RUNTIME=/path/to/runtime bash tests/integration/runtime_podman.sh
# runs the same cases against another runtime (e.g. runc) to check the test itself.
source "$(dirname "$0")/lib.bash"

RUNTIME=${CELLA_RUNTIME:-$CELLA_BUILD/src/runtime/cli/cella-runtime}
# Clients get a wrapper (same basename) that logs each call, so a case can
# prove the runtime under test was used and not a default one.
RUNTIME_LOG=$TEST_TMP/runtime-calls.log
IMAGE=localhost/cella-busybox:test
PODMAN_DIR=$TEST_TMP/podman
CGROUP_PARENT=/cella-it-podman-$$
# podman asks for RLIMIT_NOFILE/NPROC at the host maximum, which this root
# without CAP_SYS_RESOURCE cannot grant; fixed values keep every runtime happy.
RUN_OPTS=(--network none --cgroup-parent "$CGROUP_PARENT" --ulimit nofile=1024:1024 --ulimit nproc=16384:16384)

podman_() {
	timeout 120 podman --runtime "$RUNTIME" --root "$PODMAN_DIR/storage" --runroot "$PODMAN_DIR/run" \
		--tmpdir "$PODMAN_DIR/tmp" --storage-driver vfs --cgroup-manager cgroupfs \
		--events-backend file "$@" </dev/null
}

# Why the cases cannot run here (empty when they can).
prerequisites() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root"; return; }
	command -v podman >/dev/null || { echo "needs podman (not installed)"; return; }
	command -v conmon >/dev/null || { echo "needs conmon (not installed)"; return; }
	[ -x "$RUNTIME" ] || { echo "cella-runtime not built ($RUNTIME)"; return; }
}
why_not=$(prerequisites)
if [ -z "$why_not" ]; then
	mkdir -p "$TEST_TMP/bin"
	printf '#!/bin/sh\necho "$*" >>"%s"\nexec "%s" "$@"\n' "$RUNTIME_LOG" "$RUNTIME" >"$TEST_TMP/bin/cella-runtime"
	chmod +x "$TEST_TMP/bin/cella-runtime"
	RUNTIME_REAL=$RUNTIME
	RUNTIME=$TEST_TMP/bin/cella-runtime
fi

# Fails unless the runtime under test was called with COMMAND.
expect_runtime_called() {
	grep -Eq "(^| )$1( |$)" "$RUNTIME_LOG" 2>/dev/null ||
		fail "the runtime under test ($RUNTIME_REAL) was never called with '$1'"
}
image_ready=0

need_setup() {
	[ -z "$why_not" ] || { echo "$why_not"; exit 77; }
	[ $image_ready -eq 1 ] || fail "the busybox image could not be imported (see the first case)"
}

cleanup() {
	if [ -d "$PODMAN_DIR" ]; then
		podman_ rm -a -f -t 0 >/dev/null 2>&1
		# conmon's exit commands (`podman container cleanup`) may still be running: let them finish
		for _ in $(seq 100); do
			pgrep -f -- "--root $PODMAN_DIR/storage" >/dev/null || break
			sleep 0.1
		done
		# podman mounts a tmpfs on each container's /dev/shm below its run root
		grep -F " $TEST_TMP/" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
	fi
	for d in /sys/fs/cgroup/*"$CGROUP_PARENT" /sys/fs/cgroup"$CGROUP_PARENT"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT

# The cgroup value a process sees: cgroup_value PID CONTROLLER V1FILE V2FILE
cgroup_value() {
	local pid=$1 ctrl=$2 v1=$3 v2=$4 path base
	path=$(awk -F: -v c="$ctrl" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' \
		"/proc/$pid/cgroup")
	if [ -n "$path" ] && [ -r "/sys/fs/cgroup/$ctrl$path/$v1" ]; then
		cat "/sys/fs/cgroup/$ctrl$path/$v1"
		return
	fi
	path=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
	for base in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		[ -r "$base$path/$v2" ] && { cat "$base$path/$v2"; return; }
	done
	return 1
}

# Waits (bounded) until `podman logs NAME` contains TEXT.
wait_for_log() {
	local name=$1 text=$2
	for _ in $(seq 200); do
		podman_ logs "$name" 2>/dev/null | grep -qF "$text" && return 0
		sleep 0.1
	done
	return 1
}

case_import() {
	[ -z "$why_not" ] || { echo "$why_not"; exit 77; }
	local rc=0
	"$CELLA_TOP/tests/tools/mkrootfs-busybox" "$TEST_TMP/rootfs" "$TEST_TMP/rootfs.tar" || rc=$?
	[ $rc -eq 0 ] || exit $rc
	podman_ import "$TEST_TMP/rootfs.tar" "$IMAGE" >/dev/null || fail "podman import failed"
	podman_ image exists "$IMAGE" || fail "image $IMAGE missing after import"
}

case_run_output_and_status() {
	need_setup
	local out rc=0
	out=$(podman_ run --rm "${RUN_OPTS[@]}" "$IMAGE" sh -c 'echo hello from busybox; echo to-stderr >&2; exit 3' 2>&1) || rc=$?
	[ $rc -eq 3 ] || fail "exit status $rc, expected 3 (output: $out)"
	grep -qx 'hello from busybox' <<<"$out" || fail "stdout missing: $out"
	grep -qx 'to-stderr' <<<"$out" || fail "stderr missing: $out"
	expect_runtime_called create
	out=$(podman_ run --rm "${RUN_OPTS[@]}" "$IMAGE" true 2>&1) || fail "true failed: $out"
}

case_detach_exec_logs_stop_rm() {
	need_setup
	local out rc=0
	podman_ run -d --name d1 "${RUN_OPTS[@]}" "$IMAGE" \
		sh -c 'echo started; trap "echo stopping; exit 0" TERM; while :; do sleep 0.2; done' >/dev/null ||
		fail "run -d failed"
	wait_for_log d1 started || fail "no 'started' in podman logs d1: $(podman_ logs d1 2>&1)"
	out=$(podman_ inspect --format '{{.State.Running}}' d1) || fail "inspect failed"
	[ "$out" = true ] || fail "d1 not running: $out"
	out=$(podman_ exec d1 sh -c 'echo exec-ok $(cat /proc/1/comm); exit 4' 2>&1) || rc=$?
	[ $rc -eq 4 ] || fail "exec exit status $rc, expected 4 ($out)"
	[ "$out" = "exec-ok sh" ] || fail "exec output: '$out'"
	expect_runtime_called exec
	out=$(podman_ exec -e X=1 -w /tmp d1 sh -c 'echo $X $(pwd)') || fail "exec -e -w failed"
	[ "$out" = "1 /tmp" ] || fail "exec -e -w output: '$out'"
	podman_ stop -t 10 d1 >/dev/null || fail "stop failed"
	out=$(podman_ inspect --format '{{.State.Running}} {{.State.ExitCode}}' d1) || fail "inspect failed"
	[ "$out" = "false 0" ] || fail "after stop: '$out', expected 'false 0' (SIGTERM handled)"
	podman_ logs d1 | grep -qx stopping || fail "the container did not see SIGTERM: $(podman_ logs d1)"
	podman_ rm d1 >/dev/null || fail "rm failed"
	podman_ container exists d1 && fail "d1 still exists after rm"
	return 0
}

case_env_workdir_user() {
	need_setup
	local out
	out=$(podman_ run --rm "${RUN_OPTS[@]}" -e FOO=bar -w /tmp -u 1234:1234 "$IMAGE" \
		sh -c 'echo "$FOO $(pwd) $(id -u):$(id -g) $HOME"') || fail "run failed: $out"
	[ "$out" = "bar /tmp 1234:1234 /home/app" ] || fail "got '$out'"
	out=$(podman_ run --rm "${RUN_OPTS[@]}" --hostname box1 "$IMAGE" hostname) || fail "run --hostname failed"
	[ "$out" = box1 ] || fail "hostname '$out'"
}

case_memory_and_pids_limits() {
	need_setup
	local pid mem pids
	podman_ run -d --name lim "${RUN_OPTS[@]}" --memory 64m --pids-limit 50 "$IMAGE" sleep 600 >/dev/null ||
		fail "run --memory --pids-limit failed"
	pid=$(podman_ inspect --format '{{.State.Pid}}' lim) || fail "inspect failed"
	[ "${pid:-0}" -gt 0 ] || fail "no pid for lim"
	mem=$(cgroup_value "$pid" memory memory.limit_in_bytes memory.max) ||
		fail "cannot find the memory cgroup of pid $pid: $(cat "/proc/$pid/cgroup")"
	pids=$(cgroup_value "$pid" pids pids.max pids.max) || fail "cannot find the pids cgroup of pid $pid"
	podman_ rm -f -t 0 lim >/dev/null
	[ "$mem" = 67108864 ] || fail "memory limit $mem, expected 67108864"
	[ "$pids" = 50 ] || fail "pids.max $pids, expected 50"
}

# -t without -i, stdin /dev/null and no controlling terminal (setsid): what CI has.
case_tty() {
	need_setup
	local out
	out=$(setsid timeout 60 podman --runtime "$RUNTIME" --root "$PODMAN_DIR/storage" \
		--runroot "$PODMAN_DIR/run" --tmpdir "$PODMAN_DIR/tmp" --storage-driver vfs \
		--cgroup-manager cgroupfs --events-backend file run --rm -t "${RUN_OPTS[@]}" "$IMAGE" \
		sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-tty' </dev/null 2>&1) || fail "run -t failed: $out"
	out=${out//$'\r'/}
	grep -Eqx '/dev/pts/[0-9]+' <<<"$out" || fail "tty printed: '$out'"
	grep -qx both-tty <<<"$out" || fail "stdin/stdout not a tty: '$out'"
}

# The same pty path without podman: the runtime hands the master to our own
# console socket (tests/tools/console-recv plays conmon), no terminal needed.
case_console_socket() {
	need_setup
	need_cmd python3
	local recv=$CELLA_BUILD/tests/tools/console-recv bundle=$TEST_TMP/bundle state=$TEST_TMP/rt-state
	local sock=$TEST_TMP/console.sock out rc=0 recv_pid
	[ -x "$recv" ] || fail "console-recv not built ($recv)"
	mkdir -p "$bundle" "$state"
	(cd "$bundle" && "$RUNTIME" spec) || fail "$RUNTIME spec failed"
	python3 - "$bundle/config.json" "$CGROUP_PARENT/console" "$TEST_TMP/rootfs" <<-'EOF'
		import json, sys
		path, cgroup, rootfs = sys.argv[1], sys.argv[2], sys.argv[3]
		c = json.load(open(path))
		c["root"]["path"] = rootfs
		c["process"]["args"] = ["sh", "-c", "tty; [ -t 0 ] && [ -t 1 ] && echo both-tty; echo done"]
		c["linux"]["cgroupsPath"] = cgroup
		json.dump(c, open(path, "w"))
	EOF
	"$recv" --timeout 60 "$sock" >"$TEST_TMP/console.out" 2>&1 &
	recv_pid=$!
	for _ in $(seq 100); do
		[ -S "$sock" ] && break
		sleep 0.05
	done
	[ -S "$sock" ] || { kill "$recv_pid"; fail "console-recv did not create $sock"; }
	timeout 60 "$RUNTIME" --root "$state" run -d --bundle "$bundle" --console-socket "$sock" console-c1 \
		</dev/null || rc=$?
	if [ $rc -ne 0 ]; then
		kill "$recv_pid"
		wait "$recv_pid"
		fail "runtime run -d --console-socket exited with $rc"
	fi
	wait "$recv_pid" || rc=$?
	timeout 60 "$RUNTIME" --root "$state" delete -f console-c1 >/dev/null 2>&1
	out=$(tr -d '\r' <"$TEST_TMP/console.out")
	[ $rc -eq 0 ] || fail "console-recv exited with $rc: $out"
	grep -Eqx '/dev/pts/[0-9]+' <<<"$out" || fail "tty printed: '$out'"
	grep -qx both-tty <<<"$out" || fail "stdin/stdout not a tty: '$out'"
	grep -qx 'done' <<<"$out" || fail "output incomplete: '$out'"
}

check "podman import of a busybox rootfs" case_import
# `check` runs the case in a subshell; the import's result is re-read here.
[ -z "$why_not" ] && podman_ image exists "$IMAGE" 2>/dev/null && image_ready=1
check "podman run: output and exit status" case_run_output_and_status
check "podman run -d, exec, logs, stop, rm" case_detach_exec_logs_stop_rm
check "podman run -e -w -u --hostname" case_env_workdir_user
check "podman run --memory --pids-limit reach the cgroup" case_memory_and_pids_limits
check "podman run -t without a terminal gets a pty" case_tty
check "runtime run -d --console-socket hands over a pty" case_console_socket
done_testing
