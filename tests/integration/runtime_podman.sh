#!/usr/bin/env bash
# podman (Debian's) driving cella-runtime through the runc CLI: run, detach,
# exec, logs, stop, env/workdir/user, cgroup limits and a pty -- fully offline
# (the image is a static-busybox rootfs imported with `podman import`), with a
# private storage root, run root and cgroup parent that are removed at the end.
#   CELLA_RUNTIME=/path/to/runtime bash tests/integration/runtime_podman.sh
# runs the same cases against another runtime (e.g. runc) to check the test itself.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/runtime_calls.bash"

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
[ -z "$why_not" ] && wrap_runtime_with_call_log
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

# --cpus 0.5 is a CFS quota of half the period (v1 cpu.cfs_quota_us, v2 cpu.max).
case_cpus() {
	need_setup
	# shellcheck disable=SC2064
	trap "podman_ rm -f -t 0 cpus >/dev/null 2>&1" EXIT
	local pid quota period
	podman_ run -d --name cpus "${RUN_OPTS[@]}" --cpus 0.5 "$IMAGE" sleep 600 >/dev/null || fail "run --cpus failed"
	pid=$(podman_ inspect --format '{{.State.Pid}}' cpus) || fail "inspect failed"
	[ "${pid:-0}" -gt 0 ] || fail "no pid for cpus"
	if quota=$(cgroup_value "$pid" cpu cpu.cfs_quota_us cpu.max); then
		period=$(cgroup_value "$pid" cpu cpu.cfs_period_us cpu.max)
	fi
	podman_ rm -f -t 0 cpus >/dev/null
	quota=${quota%% *} period=${period##* }
	[ "$quota" = 50000 ] && [ "$period" = 100000 ] || fail "cpu quota/period '$quota/$period', expected 50000/100000"
}

# podman pause/unpause call the runtime's pause/resume: the freezer holds the processes.
case_pause_unpause() {
	need_setup
	# shellcheck disable=SC2064
	trap "podman_ rm -f -t 0 pz >/dev/null 2>&1" EXIT
	local pid out
	podman_ run -d --name pz "${RUN_OPTS[@]}" "$IMAGE" sleep 600 >/dev/null || fail "run -d failed"
	pid=$(podman_ inspect --format '{{.State.Pid}}' pz) || fail "inspect failed"
	podman_ pause pz >/dev/null || fail "pause failed"
	expect_runtime_called pause
	out=$(podman_ inspect --format '{{.State.Status}}' pz)
	[ "$out" = paused ] || fail "status after pause: '$out'"
	out=$(cgroup_value "$pid" freezer freezer.state cgroup.freeze)
	[ "$out" = FROZEN ] || [ "$out" = 1 ] || fail "freezer after pause: '$out'"
	podman_ unpause pz >/dev/null || fail "unpause failed"
	expect_runtime_called resume
	out=$(podman_ inspect --format '{{.State.Status}}' pz)
	[ "$out" = running ] || fail "status after unpause: '$out'"
	out=$(cgroup_value "$pid" freezer freezer.state cgroup.freeze)
	[ "$out" = THAWED ] || [ "$out" = 0 ] || fail "freezer after unpause: '$out'"
	out=$(podman_ exec pz echo alive) || fail "exec after unpause failed: $out"
	[ "$out" = alive ] || fail "exec after unpause printed '$out'"
	podman_ rm -f -t 0 pz >/dev/null || fail "rm failed"
}

# podman maps the runtime's exec errors to 127 (not found) and 126 (not executable), as with runc.
case_exec_errors() {
	need_setup
	# shellcheck disable=SC2064
	trap "podman_ rm -f -t 0 ex >/dev/null 2>&1" EXIT
	local rc out
	podman_ run -d --name ex "${RUN_OPTS[@]}" "$IMAGE" sleep 600 >/dev/null || fail "run -d failed"
	out=$(podman_ exec ex /no/such/binary 2>&1)
	rc=$?
	[ $rc -eq 127 ] || fail "exec of a missing binary: exit $rc, expected 127 ($out)"
	out=$(podman_ exec ex /etc/passwd 2>&1)
	rc=$?
	[ $rc -eq 126 ] || fail "exec of a non-executable file: exit $rc, expected 126 ($out)"
	out=$(podman_ exec -u 1234 ex id -u) || fail "exec -u failed: $out"
	[ "$out" = 1234 ] || fail "exec -u 1234 ran as '$out'"
	podman_ rm -f -t 0 ex >/dev/null || fail "rm failed"
}

# podman update hands the runtime `update --resources FILE`.
case_update() {
	need_setup
	# shellcheck disable=SC2064
	trap "podman_ rm -f -t 0 up >/dev/null 2>&1" EXIT
	local pid mem quota
	podman_ run -d --name up "${RUN_OPTS[@]}" --memory 64m "$IMAGE" sleep 600 >/dev/null || fail "run -d failed"
	pid=$(podman_ inspect --format '{{.State.Pid}}' up) || fail "inspect failed"
	podman_ update --memory 96m --cpus 0.25 up >/dev/null || fail "podman update failed"
	grep -Eq '(^| )update (--resources|-r)' "$RUNTIME_LOG" || fail "runtime update -r FILE not called: $(grep update "$RUNTIME_LOG")"
	mem=$(cgroup_value "$pid" memory memory.limit_in_bytes memory.max)
	quota=$(cgroup_value "$pid" cpu cpu.cfs_quota_us cpu.max)
	podman_ rm -f -t 0 up >/dev/null
	[ "$mem" = 100663296 ] || fail "memory limit after update: $mem, expected 100663296"
	[ "${quota%% *}" = 25000 ] || fail "cpu quota after update: $quota, expected 25000"
}

# A container over its memory limit is OOM-killed: podman sees exit 137, nothing is left.
case_oom_kill() {
	need_setup
	local rc out
	# conmon writes a file named "oom" into its working directory on an OOM kill: keep it in $TEST_TMP.
	out=$(cd "$TEST_TMP" && podman_ run --rm "${RUN_OPTS[@]}" --memory 16m --memory-swap 16m "$IMAGE" \
		sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived' 2>&1)
	rc=$?
	[ $rc -eq 137 ] || fail "exit $rc, expected 137 (OOM kill): $out"
	grep -q survived <<<"$out" && fail "the allocation survived a 16 MiB limit"
	[ -z "$(podman_ ps -a -q)" ] || fail "containers left: $(podman_ ps -a)"
}

# -it needs a terminal on stdin: script(1) lends one (CI has none); everything bounded by timeout,
# setsid so that no controlling terminal of the caller is ever touched.
case_interactive_tty() {
	need_setup
	# shellcheck disable=SC2064
	trap "podman_ rm -f -t 0 it it-run >/dev/null 2>&1" EXIT
	need_cmd script
	local out rc cmd
	# --foreground: a plain timeout makes its own process group, which is then not the terminal's
	# foreground group, and podman's raw-mode tcsetattr gets SIGTTOU (a stop, or a retry loop).
	cmd="timeout --foreground 60 podman --runtime $RUNTIME --root $PODMAN_DIR/storage --runroot $PODMAN_DIR/run"
	cmd+=" --tmpdir $PODMAN_DIR/tmp --storage-driver vfs --cgroup-manager cgroupfs --events-backend file"
	cmd+=" run -it --rm --name it-run ${RUN_OPTS[*]} $IMAGE sh -c '[ -t 0 ] && [ -t 1 ] && echo both-tty; read line; echo got-\$line; exit 4'"
	out=$(printf 'abc\n' | setsid timeout 90 script -qec "$cmd" /dev/null 2>&1)
	rc=$?
	out=${out//$'\r'/}
	[ $rc -eq 4 ] || fail "run -it: exit $rc, expected 4: '$out'"
	grep -qx both-tty <<<"$out" || fail "stdin/stdout not a tty: '$out'"
	grep -qx got-abc <<<"$out" || fail "input did not reach the container: '$out'"
	# exec -it into a running container
	podman_ run -d --name it "${RUN_OPTS[@]}" "$IMAGE" sleep 600 >/dev/null || fail "run -d failed"
	cmd="timeout --foreground 60 podman --runtime $RUNTIME --root $PODMAN_DIR/storage --runroot $PODMAN_DIR/run"
	cmd+=" --tmpdir $PODMAN_DIR/tmp --storage-driver vfs --cgroup-manager cgroupfs --events-backend file"
	cmd+=" exec -it it sh -c '[ -t 0 ] && tty; read line; echo exec-got-\$line; exit 6'"
	out=$(printf 'xyz\n' | setsid timeout 90 script -qec "$cmd" /dev/null 2>&1)
	rc=$?
	out=${out//$'\r'/}
	podman_ rm -f -t 0 it >/dev/null
	[ $rc -eq 6 ] || fail "exec -it: exit $rc, expected 6: '$out'"
	grep -Eqx '/dev/pts/[0-9]+' <<<"$out" || fail "exec -it stdin not a tty: '$out'"
	grep -qx exec-got-xyz <<<"$out" || fail "input did not reach the exec'd process: '$out'"
}

# A failing create: podman reports the runtime's own message and nothing is left behind.
case_failed_create() {
	need_setup
	local out rc
	out=$(podman_ run --rm "${RUN_OPTS[@]}" "$IMAGE" /no/such/binary 2>&1)
	rc=$?
	[ $rc -eq 127 ] || fail "run of a missing binary: exit $rc, expected 127 ($out)"
	grep -q "/no/such/binary" <<<"$out" || fail "podman did not relay the runtime's message: $out"
	[ -z "$(podman_ ps -a -q)" ] || fail "containers left: $(podman_ ps -a)"
	[ -z "$(find /sys/fs/cgroup/*"$CGROUP_PARENT" -mindepth 1 -maxdepth 1 -type d -name 'libpod-*' 2>/dev/null)" ] ||
		fail "cgroups left: $(find /sys/fs/cgroup/*"$CGROUP_PARENT" -mindepth 1 -type d)"
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
check "podman run -it and exec -it under script(1), input reaches the container" case_interactive_tty
check "podman run --cpus sets the CFS quota" case_cpus
check "podman pause/unpause freeze and thaw the container" case_pause_unpause
check "podman exec: 127 for a missing binary, 126 for a non-executable, -u" case_exec_errors
check "podman update (runtime update --resources FILE)" case_update
check "podman run over --memory is OOM-killed: exit 137, nothing left" case_oom_kill
check "podman run of a missing binary relays the runtime error, leaves nothing" case_failed_create
check "runtime run -d --console-socket hands over a pty" case_console_socket
done_testing
