#!/usr/bin/env bash
# containerd (Debian's) driving cella-runtime through the io.containerd.runc.v2
# shim (ctr run --runc-binary): run, detach, task exec, kill, rm, memory limit
# and a tty. containerd runs privately for this test (own socket, root, state,
# generated config) and is shut down at the end; the image is an OCI archive
# built offline from a static-busybox rootfs and loaded with `ctr image import`.
#   CELLA_RUNTIME=/path/to/runtime bash tests/integration/runtime_ctr.sh
# runs the same cases against another runtime (e.g. runc) to check the test itself.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/runtime_calls.bash"

RUNTIME=${CELLA_RUNTIME:-$CELLA_BUILD/src/runtime/cli/cella-runtime}
# Clients get a wrapper (same basename) that logs each call, so a case can
# prove the runtime under test was used and not a default one.
RUNTIME_LOG=$TEST_TMP/runtime-calls.log
IMAGE=docker.io/library/cella-busybox:test
CTD=$TEST_TMP/containerd
NS=cella-it-$$ # also the cgroup parent ctr uses: /$NS/<container>
export CONTAINERD_SNAPSHOTTER=native # overlayfs on overlayfs fails on some CI hosts
run_containerd_existed=0
[ -d /run/containerd ] && run_containerd_existed=1

ctr_() {
	timeout 60 ctr --address "$CTD/c.sock" -n "$NS" "$@"
}
# Options every `ctr run` gets: our runtime, runtime state and fifos inside $TEST_TMP.
run_opts() {
	echo --runc-binary "$RUNTIME" --runc-root "$CTD/runc-root" --fifo-dir "$CTD/fifo"
}

prerequisites() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root"; return; }
	local c
	for c in containerd ctr containerd-shim-runc-v2 python3; do
		command -v $c >/dev/null || { echo "needs $c (not installed)"; return; }
	done
	[ -x "$RUNTIME" ] || { echo "cella-runtime not built ($RUNTIME)"; return; }
}
why_not=$(prerequisites)
[ -z "$why_not" ] && wrap_runtime_with_call_log
containerd_pid=

start_containerd() {
	mkdir -p "$CTD"
	cat >"$CTD/config.toml" <<-EOF
		version = 2
		root = "$CTD/root"
		state = "$CTD/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
		  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
		  "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.tracing"]
		[grpc]
		  address = "$CTD/c.sock"
		[ttrpc]
		  address = "$CTD/c.ttrpc.sock"
		[debug]
		  address = ""
		[metrics]
		  address = ""
	EOF
	containerd --config "$CTD/config.toml" >"$CTD/containerd.log" 2>&1 &
	containerd_pid=$!
	for _ in $(seq 300); do
		ctr --address "$CTD/c.sock" version >/dev/null 2>&1 && return 0
		kill -0 "$containerd_pid" 2>/dev/null || break
		sleep 0.1
	done
	{
		echo "containerd did not come up:"
		tail -n 20 "$CTD/containerd.log"
	} >"$TEST_TMP/start-failure"
	return 1
}

cleanup() {
	local c
	if [ -n "$containerd_pid" ]; then
		for c in $(ctr_ container ls -q 2>/dev/null); do
			ctr_ task kill -s SIGKILL "$c" >/dev/null 2>&1
			ctr_ task rm -f "$c" >/dev/null 2>&1
			ctr_ container rm "$c" >/dev/null 2>&1
		done
		kill "$containerd_pid" 2>/dev/null
		for _ in $(seq 100); do
			kill -0 "$containerd_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$containerd_pid" 2>/dev/null
		wait "$containerd_pid" 2>/dev/null
	fi
	grep -F " $TEST_TMP/" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
	for d in /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/"$NS"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	# the shim keeps its sockets in /run/containerd/s whatever the config says
	if [ $run_containerd_existed -eq 0 ]; then
		rmdir /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null
	fi
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT

# Memory limit a process's cgroup carries (v1 memory.limit_in_bytes or v2 memory.max).
memory_limit_of() {
	local pid=$1 path base
	path=$(awk -F: '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == "memory") print $3 }' \
		"/proc/$pid/cgroup")
	if [ -n "$path" ] && [ -r "/sys/fs/cgroup/memory$path/memory.limit_in_bytes" ]; then
		cat "/sys/fs/cgroup/memory$path/memory.limit_in_bytes"
		return
	fi
	path=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
	for base in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		[ -r "$base$path/memory.max" ] && { cat "$base$path/memory.max"; return; }
	done
	return 1
}

task_status() {
	ctr_ task ls 2>/dev/null | awk -v c="$1" '$1 == c { print $3 }'
}

task_pid() {
	ctr_ task ls 2>/dev/null | awk -v c="$1" '$1 == c { print $2 }'
}

wait_task_status() { # NAME STATUS
	for _ in $(seq 200); do
		[ "$(task_status "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

wait_for_file_line() { # FILE LINE
	for _ in $(seq 200); do
		grep -qx "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

case_setup() {
	[ -z "$why_not" ] || { echo "$why_not"; exit 77; }
	local rc=0
	"$CELLA_TOP/tests/tools/mkrootfs-busybox" "$TEST_TMP/rootfs" "$TEST_TMP/rootfs.tar" || rc=$?
	[ $rc -eq 0 ] || exit $rc
	"$CELLA_TOP/tests/tools/oci-archive-from-rootfs" "$TEST_TMP/rootfs.tar" "$IMAGE" "$TEST_TMP/image.tar" ||
		fail "cannot build the OCI archive"
	ctr_ image import "$TEST_TMP/image.tar" >/dev/null || fail "ctr image import failed"
	ctr_ image ls -q | grep -qx "$IMAGE" || fail "$IMAGE missing after import"
}

need_setup() {
	[ -z "$why_not" ] || { echo "$why_not"; exit 77; }
	[ -n "$containerd_pid" ] || fail "containerd is not running (see the first case)"
	ctr_ image ls -q | grep -qx "$IMAGE" || fail "the image was not imported (see the first case)"
}

case_run_output_and_status() {
	need_setup
	local out rc=0
	# shellcheck disable=SC2046
	out=$(ctr_ run --rm $(run_opts) "$IMAGE" r1 sh -c 'echo hello from busybox; exit 3' </dev/null 2>&1) || rc=$?
	[ $rc -eq 3 ] || fail "exit status $rc, expected 3 (output: $out)"
	grep -qx 'hello from busybox' <<<"$out" || fail "output: $out"
	expect_runtime_called create
	# shellcheck disable=SC2046
	out=$(ctr_ run --rm $(run_opts) "$IMAGE" r2 true </dev/null 2>&1) || fail "true failed: $out"
}

case_detach_exec_kill_rm() {
	need_setup
	local out rc=0 log=$TEST_TMP/d1.log
	# shellcheck disable=SC2046
	ctr_ run -d $(run_opts) --log-uri "file://$log" "$IMAGE" d1 \
		sh -c 'echo started; trap "echo got-term; exit 7" TERM; while :; do sleep 0.2; done' </dev/null ||
		fail "run -d failed"
	wait_for_file_line "$log" started || fail "no 'started' in the log: $(cat "$log" 2>&1)"
	[ "$(task_status d1)" = RUNNING ] || fail "task d1 is '$(task_status d1)', expected RUNNING"
	out=$(ctr_ task exec --exec-id e1 --fifo-dir "$CTD/fifo" d1 sh -c 'echo exec-ok $(cat /proc/1/comm); exit 4' \
		</dev/null 2>&1) || rc=$?
	[ $rc -eq 4 ] || fail "exec exit status $rc, expected 4 ($out)"
	[ "$out" = "exec-ok sh" ] || fail "exec output: '$out'"
	expect_runtime_called exec
	ctr_ task kill d1 || fail "task kill failed"
	wait_task_status d1 STOPPED || fail "d1 is '$(task_status d1)' after SIGTERM, expected STOPPED"
	grep -qx got-term "$log" || fail "the container did not see SIGTERM: $(cat "$log")"
	out=$(ctr_ task rm d1 2>&1) || fail "task rm failed: $out"
	grep -q "exit code 7" <<<"$out" || fail "task rm did not report exit code 7: '$out'"
	ctr_ container rm d1 || fail "container rm failed"
	ctr_ container ls -q | grep -qx d1 && fail "d1 still listed after rm"
	return 0
}

case_memory_limit() {
	need_setup
	local pid mem
	# shellcheck disable=SC2046
	ctr_ run -d $(run_opts) --memory-limit 67108864 "$IMAGE" m1 sleep 600 </dev/null >/dev/null ||
		fail "run --memory-limit failed"
	pid=$(task_pid m1)
	[ "${pid:-0}" -gt 0 ] || fail "no pid for m1"
	mem=$(memory_limit_of "$pid") || fail "cannot find the memory cgroup of $pid: $(cat "/proc/$pid/cgroup")"
	ctr_ task kill -s SIGKILL m1 >/dev/null 2>&1
	wait_task_status m1 STOPPED
	ctr_ task rm m1 >/dev/null 2>&1
	ctr_ container rm m1 >/dev/null 2>&1
	[ "$mem" = 67108864 ] || fail "memory limit $mem, expected 67108864"
}

# ctr -t needs a terminal of its own; CI has none, so script(1) lends one, bounded by timeout.
case_tty() {
	need_setup
	need_cmd script
	local out cmd
	cmd="ctr --address $CTD/c.sock -n $NS run --rm -t $(run_opts) $IMAGE t1 sh -c 'tty; [ -t 0 ] && echo stdin-tty'"
	out=$(timeout 60 script -qec "$cmd" /dev/null </dev/null 2>&1) || fail "run -t failed: $out"
	out=${out//$'\r'/}
	grep -Eq '/dev/pts/[0-9]+$' <<<"$out" || fail "tty printed: '$out'"
	grep -q stdin-tty <<<"$out" || fail "stdin is not a tty: '$out'"
}

# Removes a task and its container, whatever state they are in (for a case's EXIT trap).
remove_task() {
	[ -n "$(task_status "$1")" ] || { ctr_ container rm "$1" >/dev/null 2>&1; return 0; }
	ctr_ task resume "$1" >/dev/null 2>&1
	ctr_ task kill -s SIGKILL "$1" >/dev/null 2>&1
	wait_task_status "$1" STOPPED
	ctr_ task rm -f "$1" >/dev/null 2>&1
	ctr_ container rm "$1" >/dev/null 2>&1
	return 0
}

# CPU controller path of a process (v1 "cpu" hierarchy or the v2 unified one).
cpu_quota_of() {
	local pid=$1 path base
	path=$(awk -F: '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == "cpu") print $3 }' "/proc/$pid/cgroup")
	for base in /sys/fs/cgroup/cpu /sys/fs/cgroup/cpu,cpuacct; do
		if [ -n "$path" ] && [ -r "$base$path/cpu.cfs_quota_us" ]; then
			echo "$(cat "$base$path/cpu.cfs_quota_us") $(cat "$base$path/cpu.cfs_period_us")"
			return
		fi
	done
	path=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
	[ -r "/sys/fs/cgroup$path/cpu.max" ] && { cat "/sys/fs/cgroup$path/cpu.max"; return; }
	return 1
}

# v1 freezer.state (FROZEN/THAWED) or v2 cgroup.freeze (1/0) of a process's cgroup.
freezer_state_of() {
	local pid=$1 path
	path=$(awk -F: '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == "freezer") print $3 }' "/proc/$pid/cgroup")
	if [ -n "$path" ] && [ -r "/sys/fs/cgroup/freezer$path/freezer.state" ]; then
		cat "/sys/fs/cgroup/freezer$path/freezer.state"
		return
	fi
	path=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
	[ -r "/sys/fs/cgroup$path/cgroup.freeze" ] && { cat "/sys/fs/cgroup$path/cgroup.freeze"; return; }
	return 1
}

# task pause/resume/ps go through the shim to the runtime's pause, resume and ps --format json.
case_pause_resume_ps() {
	need_setup
	local pid out
	trap 'remove_task p1' EXIT
	# shellcheck disable=SC2046
	ctr_ run -d $(run_opts) "$IMAGE" p1 sleep 600 </dev/null >/dev/null || fail "run -d failed"
	pid=$(task_pid p1)
	[ "${pid:-0}" -gt 0 ] || fail "no pid for p1"
	out=$(ctr_ task ps p1) || fail "task ps failed"
	expect_runtime_called ps
	awk 'NR > 1 { print $1 }' <<<"$out" | grep -qx "$pid" || fail "task ps does not list $pid: $out"
	ctr_ task pause p1 || fail "task pause failed"
	expect_runtime_called pause
	[ "$(task_status p1)" = PAUSED ] || fail "p1 is '$(task_status p1)' after pause"
	out=$(freezer_state_of "$pid")
	[ "$out" = FROZEN ] || [ "$out" = 1 ] || fail "freezer of $pid after pause: '$out'"
	ctr_ task resume p1 || fail "task resume failed"
	expect_runtime_called resume
	[ "$(task_status p1)" = RUNNING ] || fail "p1 is '$(task_status p1)' after resume"
	out=$(freezer_state_of "$pid")
	[ "$out" = THAWED ] || [ "$out" = 0 ] || fail "freezer of $pid after resume: '$out'"
	out=$(ctr_ task exec --exec-id e2 --fifo-dir "$CTD/fifo" p1 echo alive </dev/null 2>&1) || fail "exec after resume: $out"
	[ "$out" = alive ] || fail "exec after resume printed '$out'"
}

case_cpus() {
	need_setup
	local pid out
	trap 'remove_task c1' EXIT
	# shellcheck disable=SC2046
	ctr_ run -d $(run_opts) --cpus 0.5 "$IMAGE" c1 sleep 600 </dev/null >/dev/null || fail "run --cpus failed"
	pid=$(task_pid c1)
	[ "${pid:-0}" -gt 0 ] || fail "no pid for c1"
	out=$(cpu_quota_of "$pid") || fail "cannot find the cpu cgroup of $pid: $(cat "/proc/$pid/cgroup")"
	[ "$out" = "50000 100000" ] || fail "cpu quota/period '$out', expected '50000 100000'"
}

# Over the memory limit: the kernel OOM-kills the task, the shim reports 137.
case_oom_kill() {
	need_setup
	local out rc
	trap 'remove_task o1' EXIT
	# shellcheck disable=SC2046
	out=$(ctr_ run --rm $(run_opts) --memory-limit 16777216 "$IMAGE" o1 \
		sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived' </dev/null 2>&1)
	rc=$?
	[ $rc -eq 137 ] || fail "exit $rc, expected 137 (OOM kill): $out"
	grep -q survived <<<"$out" && fail "the allocation survived a 16 MiB limit"
	[ ! -d "/sys/fs/cgroup/memory/$NS/o1" ] || fail "memory cgroup /$NS/o1 left behind"
}

# The shim passes --log FILE --log-format json and shows the runtime's last error on failure.
case_failed_create_log() {
	need_setup
	local out
	trap 'remove_task f1' EXIT
	# shellcheck disable=SC2046
	out=$(ctr_ run --rm $(run_opts) "$IMAGE" f1 /no/such/binary </dev/null 2>&1) && fail "run of a missing binary succeeded"
	grep -Eq -- '--log [^ ]+ --log-format json .*create' "$RUNTIME_LOG" ||
		fail "the shim did not call create with --log/--log-format json: $(grep create "$RUNTIME_LOG")"
	echo "ctr said: $out"
	grep -q "/no/such/binary" <<<"$out" || fail "ctr does not show the runtime's error: $out"
	[ -z "$(task_pid f1)" ] || fail "task f1 left behind"
	for d in /sys/fs/cgroup/*/"$NS"/f1; do
		[ ! -d "$d" ] || fail "cgroup $d left behind"
	done
}

case_containerd_failed() {
	cat "$TEST_TMP/start-failure"
	exit 1
}

if [ -z "$why_not" ] && ! start_containerd; then
	check "containerd starts on a private socket" case_containerd_failed
	containerd_pid=
else
	check "containerd starts, image import" case_setup
fi
check "ctr run: output and exit status" case_run_output_and_status
check "ctr run -d, task exec, kill, rm" case_detach_exec_kill_rm
check "ctr run --memory-limit reaches the cgroup" case_memory_limit
check "ctr run -t under script(1)" case_tty
check "ctr task ps, pause, resume" case_pause_resume_ps
check "ctr run --cpus sets the CFS quota" case_cpus
check "ctr run over --memory-limit is OOM-killed: exit 137" case_oom_kill
check "ctr: a failed create shows the runtime error from its JSON log" case_failed_create_log
done_testing
