#!/usr/bin/env bash
# Integration tests of src/runtime/cgroup on this host's real cgroups, through
# tests/unit/runtime/cgroup/cgroup-driver (one process per verb, as runc runs).
# v1/hybrid cases use the host's hierarchies; the v2 case mounts a private
# cgroup2 in a new mount namespace and points the library at it with
# `cgroup-driver --v2-root DIR` (the library's test-only override).
# Every case removes its cgroups and processes on exit, pass or fail.

# Inner half of the v2 case: runs inside `unshare -m`, where $2 is a fresh cgroup2 mount.
if [ "${1:-}" = --v2-inner ]; then
	set -u
	DRIVER=$3 ROOT=$2 WORK=$4 TOP=cella-it-v2-$$
	fail() { echo "FAILED: $*"; exit 1; }
	drv() { "$DRIVER" --v2-root "$ROOT" "$@"; }
	wait_for() { # wait_for SECONDS CMD...: poll until CMD succeeds
		local end=$((SECONDS + $1)); shift
		until "$@"; do [ $SECONDS -lt $end ] || return 1; sleep 0.05; done
	}
	proc_gone() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
	pids=()
	cleanup() {
		for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
		[ -f "$WORK/state.json" ] && drv destroy "$WORK/state.json" >/dev/null 2>&1
		rmdir "$ROOT/$TOP/c" "$ROOT/$TOP" 2>/dev/null
	}
	trap cleanup EXIT
	# A child that, once released through its fifo, tries to write /dev/null and reports.
	spawn_probe() { # spawn_probe NAME
		mkfifo "$WORK/$1.fifo"
		bash -c 'read -r _ < "$1.fifo"; if (echo x > /dev/null) 2>/dev/null; then echo allowed; else echo denied; fi > "$1.out"; exec sleep 600' _ "$WORK/$1" </dev/null >/dev/null 2>&1 &
		pids+=($!)
	}
	cat >"$WORK/res.json" <<'JSON'
{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":3,"access":"r"}]}
JSON
	drv create c "/$TOP/c" "$WORK/res.json" "$WORK/state.json" || fail "create"
	dir=$(drv dir "$WORK/state.json" unified) || fail "no unified dir"
	[ "$dir" = "$ROOT/$TOP/c" ] || fail "unexpected dir $dir"
	[ -f "$dir/cgroup.freeze" ] || fail "$dir/cgroup.freeze missing"

	spawn_probe a
	pid=${pids[0]}
	drv enter "$WORK/state.json" "$pid" || fail "enter"
	grep -qx "$pid" "$dir/cgroup.procs" || fail "$pid not in $dir/cgroup.procs"
	drv pids "$WORK/state.json" | grep -qx "$pid" || fail "pids does not list $pid"
	echo go >"$WORK/a.fifo"
	wait_for 10 test -s "$WORK/a.out" || fail "probe a did not report"
	[ "$(cat "$WORK/a.out")" = denied ] || fail "eBPF device program let the container write /dev/null"

	drv freeze "$WORK/state.json" 1 || fail "freeze"
	grep -qx 'frozen 1' "$dir/cgroup.events" || fail "cgroup.events not frozen: $(cat "$dir/cgroup.events")"
	drv freeze "$WORK/state.json" 0 || fail "thaw"
	grep -qx 'frozen 0' "$dir/cgroup.events" || fail "cgroup.events still frozen"

	# update replaces the device program: writing is now allowed.
	echo '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":3,"access":"rw"}]}' >"$WORK/res2.json"
	drv update "$WORK/state.json" "$WORK/res2.json" || fail "update"
	spawn_probe b
	drv enter "$WORK/state.json" "${pids[1]}" || fail "enter b"
	echo go >"$WORK/b.fifo"
	wait_for 10 test -s "$WORK/b.out" || fail "probe b did not report"
	[ "$(cat "$WORK/b.out")" = allowed ] || fail "after update, /dev/null write still denied"

	drv kill "$WORK/state.json" 9 || fail "kill"
	for p in "${pids[@]}"; do wait_for 10 proc_gone "$p" || fail "pid $p survived kill_all"; done
	drv destroy "$WORK/state.json" || fail "destroy"
	[ ! -e "$dir" ] || fail "$dir still exists after destroy"
	[ ! -e "$ROOT/$TOP" ] || fail "$ROOT/$TOP (made by create) still exists"
	rm -f "$WORK/state.json"
	exit 0
fi

source "$(dirname "$0")/lib.bash"

DRIVER=$CELLA_BUILD/tests/unit/runtime/cgroup/cgroup-driver
TAG=cella-it-$$

need_driver() {
	[ -x "$DRIVER" ] || { echo "needs $DRIVER (build $CELLA_BUILD first)"; exit 77; }
}

# v1 hierarchy mount point of a controller, or nothing.
v1_mount() {
	awk -v c="$1" '{ for (i = 7; i <= NF; i++) if ($i == "-") break;
		if ($(i+1) == "cgroup") { n = split($(i+3), o, ","); for (k = 1; k <= n; k++) if (o[k] == c) print $5 } }' \
		/proc/self/mountinfo | head -n1
}

need_v1() {
	local c
	for c in "$@"; do
		[ -n "$(v1_mount "$c")" ] || { echo "host has no cgroup v1 $c hierarchy"; exit 77; }
	done
}

wait_for() { # wait_for SECONDS CMD...: poll (bounded) until CMD succeeds
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.05
	done
}

proc_gone() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }

# Case cleanup: kill the case's processes, destroy its cgroup, remove leftovers.
case_pids=()
case_cleanup() {
	local p d
	for p in "${case_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	for d in /sys/fs/cgroup/*/"$TAG"* /sys/fs/cgroup/*/cella/"$TAG"; do
		[ -d "$d" ] || continue
		[ -f "$d/freezer.state" ] && echo THAWED >"$d/freezer.state" 2>/dev/null
	done
	[ -f "$TEST_TMP/state.json" ] && "$DRIVER" destroy "$TEST_TMP/state.json" >/dev/null 2>&1
	rm -f "$TEST_TMP/state.json"
	for d in /sys/fs/cgroup/*/"$TAG"*/* /sys/fs/cgroup/*/"$TAG"* /sys/fs/cgroup/*/cella/"$TAG"; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	# The shared default parent goes only when empty.
	rmdir /sys/fs/cgroup/*/cella 2>/dev/null
	return 0
}

test_validate_names_field() {
	need_driver
	echo '{"memory":{"limit":"lots"}}' >"$TEST_TMP/bad.json"
	out=$("$DRIVER" validate "$TEST_TMP/bad.json" 2>&1) && fail "invalid resources accepted"
	printf '%s\n' "$out" | grep -q 'config.json: linux.resources.memory.limit: expected integer' ||
		fail "error does not name the field: $out"
}

test_create_limits_v1() {
	need_root
	need_driver
	need_v1 memory pids cpu cpuset
	trap case_cleanup EXIT
	cat >"$TEST_TMP/res.json" <<-'JSON'
	{"memory":{"limit":67108864,"swappiness":10},"pids":{"limit":42},
	 "cpu":{"shares":512,"quota":25000,"period":100000,"cpus":"0","mems":"0"}}
	JSON
	# A relative cgroupsPath lands under the default parent, /cella.
	"$DRIVER" create x "$TAG" "$TEST_TMP/res.json" "$TEST_TMP/state.json" || fail "create"
	mem=$("$DRIVER" dir "$TEST_TMP/state.json" memory) || fail "no memory dir"
	[ "$mem" = "$(v1_mount memory)/cella/$TAG" ] || fail "memory dir is $mem"
	[ "$(cat "$mem/memory.limit_in_bytes")" = 67108864 ] || fail "memory.limit_in_bytes: $(cat "$mem/memory.limit_in_bytes")"
	[ "$(cat "$mem/memory.swappiness")" = 10 ] || fail "memory.swappiness"
	pdir=$("$DRIVER" dir "$TEST_TMP/state.json" pids)
	[ "$(cat "$pdir/pids.max")" = 42 ] || fail "pids.max: $(cat "$pdir/pids.max")"
	cpu=$("$DRIVER" dir "$TEST_TMP/state.json" cpu)
	[ "$(cat "$cpu/cpu.shares")" = 512 ] || fail "cpu.shares"
	[ "$(cat "$cpu/cpu.cfs_quota_us")" = 25000 ] || fail "cpu.cfs_quota_us"
	[ "$(cat "$cpu/cpu.cfs_period_us")" = 100000 ] || fail "cpu.cfs_period_us"
	cpuset=$("$DRIVER" dir "$TEST_TMP/state.json" cpuset)
	[ "$(cat "$cpuset/cpuset.cpus")" = 0 ] || fail "cpuset.cpus"
	[ -n "$(cat "$(dirname "$cpuset")/cpuset.mems")" ] || fail "parent cpuset.mems not inherited"
	"$DRIVER" destroy "$TEST_TMP/state.json" || fail "destroy"
	for d in /sys/fs/cgroup/*/cella/"$TAG"; do
		[ ! -e "$d" ] || fail "$d left behind after destroy"
	done
}

test_lifecycle_v1() {
	need_root
	need_driver
	need_v1 memory pids freezer
	trap case_cleanup EXIT
	echo '{"memory":{"limit":134217728},"pids":{"limit":64}}' >"$TEST_TMP/res.json"
	"$DRIVER" create life "/$TAG/life" "$TEST_TMP/res.json" "$TEST_TMP/state.json" || fail "create"
	mapfile -t dirs < <(grep -o '"/sys/fs/cgroup/[^"]*/life"' "$TEST_TMP/state.json" | tr -d '"' | sort -u)
	[ ${#dirs[@]} -ge 3 ] || fail "state lists ${#dirs[@]} directories"

	# The child allocates only after it was moved, so the memory is charged to the cgroup.
	mkfifo "$TEST_TMP/go"
	bash -c 'read -r _ < "$1"; x=$(head -c 4000000 /dev/zero | tr "\0" a); exec sleep 600' _ "$TEST_TMP/go" \
		</dev/null >/dev/null 2>&1 &
	pid=$!
	case_pids+=("$pid")
	"$DRIVER" enter "$TEST_TMP/state.json" "$pid" || fail "enter"
	for d in "${dirs[@]}"; do
		grep -qx "$pid" "$d/cgroup.procs" || fail "$pid not in $d/cgroup.procs"
	done
	echo go >"$TEST_TMP/go"
	"$DRIVER" pids "$TEST_TMP/state.json" | grep -qx "$pid" || fail "pids does not list $pid"

	frz=$("$DRIVER" dir "$TEST_TMP/state.json" freezer)
	"$DRIVER" freeze "$TEST_TMP/state.json" 1 || fail "freeze"
	[ "$(cat "$frz/freezer.state")" = FROZEN ] || fail "freezer.state: $(cat "$frz/freezer.state")"
	"$DRIVER" freeze "$TEST_TMP/state.json" 0 || fail "thaw"
	[ "$(cat "$frz/freezer.state")" = THAWED ] || fail "freezer.state after thaw: $(cat "$frz/freezer.state")"
	# Signalling a paused container keeps it paused (SIGCONT: harmless to the child).
	"$DRIVER" freeze "$TEST_TMP/state.json" 1 || fail "freeze again"
	"$DRIVER" kill "$TEST_TMP/state.json" "$(kill -l CONT)" || fail "kill_all CONT"
	[ "$(cat "$frz/freezer.state")" = FROZEN ] || fail "kill_all thawed a paused cgroup"
	"$DRIVER" freeze "$TEST_TMP/state.json" 0 || fail "thaw again"

	usage_positive() { u=$("$DRIVER" stats "$TEST_TMP/state.json" memory.usage.usage) && [ "${u:-0}" -gt 0 ]; }
	wait_for 10 usage_positive || fail "stats memory.usage.usage stays ${u:-missing}"
	"$DRIVER" stats "$TEST_TMP/state.json" pids.current >/dev/null || fail "stats has no pids.current"
	[ "$("$DRIVER" stats "$TEST_TMP/state.json" memory.usage.limit)" = 134217728 ] || fail "stats memory limit"

	echo '{"memory":{"limit":100663296,"checkBeforeUpdate":true},"pids":{"limit":32}}' >"$TEST_TMP/upd.json"
	"$DRIVER" update "$TEST_TMP/state.json" "$TEST_TMP/upd.json" || fail "update"
	mem=$("$DRIVER" dir "$TEST_TMP/state.json" memory)
	[ "$(cat "$mem/memory.limit_in_bytes")" = 100663296 ] || fail "update did not change memory.limit_in_bytes"
	[ "$(cat "$("$DRIVER" dir "$TEST_TMP/state.json" pids)/pids.max")" = 32 ] || fail "update did not change pids.max"
	echo '{"memory":{"limit":4096,"checkBeforeUpdate":true}}' >"$TEST_TMP/upd2.json"
	out=$("$DRIVER" update "$TEST_TMP/state.json" "$TEST_TMP/upd2.json" 2>&1) && fail "limit below usage accepted"
	printf '%s\n' "$out" | grep -q 'checkBeforeUpdate' || fail "unclear error: $out"

	"$DRIVER" kill "$TEST_TMP/state.json" 9 || fail "kill_all"
	wait_for 10 proc_gone "$pid" || fail "pid $pid survived kill_all"
	[ "$(cat "$frz/freezer.state")" = THAWED ] || fail "kill_all left the cgroup frozen"
	"$DRIVER" destroy "$TEST_TMP/state.json" || fail "destroy"
	for d in "${dirs[@]}" "${dirs[@]%/life}"; do
		[ ! -e "$d" ] || fail "$d left behind after destroy"
	done
}

test_failed_create_leaves_nothing() {
	need_root
	need_driver
	need_v1 cpuset
	trap case_cleanup EXIT
	echo '{"pids":{"limit":10},"cpu":{"cpus":"99999"}}' >"$TEST_TMP/res.json"
	out=$("$DRIVER" create bad "/$TAG/bad" "$TEST_TMP/res.json" "$TEST_TMP/state.json" 2>&1) &&
		fail "create with cpuset 99999 succeeded"
	printf '%s\n' "$out" | grep -q "'99999'.*cpuset.cpus" || fail "error does not name value and file: $out"
	for d in /sys/fs/cgroup/*/"$TAG"; do
		[ ! -e "$d" ] || fail "$d left behind by the failed create"
	done
	[ ! -e "$TEST_TMP/state.json" ] || fail "state written for a failed create"
}

test_missing_controller_is_an_error() {
	need_root
	need_driver
	[ -z "$(v1_mount net_cls)" ] || { echo "host has net_cls mounted; nothing missing to test"; exit 77; }
	trap case_cleanup EXIT
	echo '{"network":{"classID":1048577}}' >"$TEST_TMP/res.json"
	out=$("$DRIVER" create net "/$TAG/net" "$TEST_TMP/res.json" "$TEST_TMP/state.json" 2>&1) &&
		fail "classID accepted without net_cls"
	printf '%s\n' "$out" | grep -q 'linux.resources.network.classID: no net_cls' || fail "unclear error: $out"
	for d in /sys/fs/cgroup/*/"$TAG"; do
		[ ! -e "$d" ] || fail "$d left behind"
	done
}

test_v2_private_mount() {
	need_root
	need_driver
	need_cmd unshare
	mkdir -p "$TEST_TMP/cg2" "$TEST_TMP/v2work"
	# The mount lives and dies with the namespace: nothing to unmount afterwards.
	timeout 60 unshare -m --propagation private bash -c \
		'mount -t cgroup2 cgroup2 "$1" || { echo "cannot mount cgroup2 in a mount namespace"; exit 77; }
		 exec bash "$2" --v2-inner "$1" "$3" "$4"' _ \
		"$TEST_TMP/cg2" "$CELLA_TOP/tests/integration/runtime_cgroup.sh" "$DRIVER" "$TEST_TMP/v2work"
}

check "validate names the bad field" test_validate_names_field
check "v1: create writes memory/pids/cpu/cpuset limits; destroy removes them" test_create_limits_v1
check "v1: enter, pids, freeze/thaw, stats, update, kill_all, destroy" test_lifecycle_v1
check "v1: failed create (cpuset 99999) leaves no directory" test_failed_create_leaves_nothing
check "missing controller (net_cls) is a clear error" test_missing_controller_is_an_error
check "v2 (private cgroup2 mount): create, enter, pids, eBPF devices, freeze, update, kill_all, destroy" test_v2_private_mount
done_testing
