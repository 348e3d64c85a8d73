#!/usr/bin/env bash
# The `cella` CLI against a real cellad in private dirs (CELLA_SOCKET): launch, list, state verbs,
# delete, images; and the messages a user gets when cellad is not there or refuses.
source "$(dirname "$0")/lib.bash"

CELLAD="$CELLA_BUILD/src/daemon/cellad"
CELLA="$CELLA_BUILD/src/cli/cella"
RT="$CELLA_BUILD/src/runtime/cli/cella-runtime"
SFX="$$"

need_all() {
	need_root
	need_cmd python3
	[ -x "$CELLAD" ] || { echo "cellad not built at $CELLAD"; exit 77; }
	[ -x "$CELLA" ] || { echo "cella not built at $CELLA"; exit 77; }
}

need_containers() {
	need_all
	# ldd (libc-bin, always there) says so of a static binary; `file` may not be installed.
	[ -x /bin/busybox ] && LC_ALL=C ldd /bin/busybox 2>&1 | grep -q 'not a dynamic executable' ||
		{ echo "needs a static /bin/busybox (busybox-static)"; exit 77; }
	grep -qw overlay /proc/filesystems || { echo "needs overlayfs"; exit 77; }
}

cleanup_daemon() {
	[ -n "${D:-}" ] || return 0
	[ -n "${CELLAD_PID:-}" ] && kill -9 "$CELLAD_PID" 2>/dev/null
	local s m
	for s in "$D"/root/runtime/*/; do
		[ -d "$s" ] && timeout 30 "$RT" --root "$D/root/runtime" delete -f "$(basename "$s")" >/dev/null 2>&1
	done
	awk -v p="$D/root/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
	return 0
}

start_daemon() {
	D=$1
	mkdir -p "$D"
	chmod 0755 "$TEST_TMP" "$D"
	export CELLA_SOCKET="$D/s.sock"
	"$CELLAD" --network none --root "$D/root" --socket "$D/s.sock" --foreground >>"$D/cellad.log" 2>&1 </dev/null &
	CELLAD_PID=$!
	for _ in $(seq 200); do
		timeout 30 "$CELLA" list >/dev/null 2>&1 && return 0
		kill -0 "$CELLAD_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$D/cellad.log"
	fail "cellad did not answer on $D/s.sock"
}

cella() {
	timeout 300 "$CELLA" "$@"
}

status_of() {
	cella list --format json | python3 -c 'import json,sys
for i in json.load(sys.stdin):
    if i["name"] == sys.argv[1]: print(i["status"])' "$1"
}

case_no_daemon() {
	need_all
	local out rc=0
	out=$(CELLA_SOCKET="$TEST_TMP/none.sock" "$CELLA" list 2>&1) || rc=$?
	[ $rc -eq 1 ] || fail "exit $rc"
	[[ "$out" == *"cannot reach cellad at '$TEST_TMP/none.sock' (is it running?"* ]] || fail "message: $out"
	rc=0
	out=$("$CELLA" stop --timeout soon x 2>&1) || rc=$?
	[ $rc -eq 2 ] && [[ "$out" == *"--timeout: expected seconds"* ]] || fail "bad --timeout: $rc $out"
	rc=0
	out=$("$CELLA" start 'a/../b' 2>&1) || rc=$?
	[ $rc -eq 2 ] && [[ "$out" == *"invalid instance name"* ]] || fail "bad name: $rc $out"
	"$CELLA" launch --help | grep -q "limits.memory" || fail "launch --help"
}

case_lifecycle() {
	need_containers
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/cli"
	local c="cli$SFX" out rc=0
	cella launch -c limits.memory=64MiB default "$c" | grep -qx "Launched $c" || fail "launch"
	out=$(cella list)
	grep -Eq "^$c +Running +container +[0-9a-f]{12}$" <<<"$out" || fail "list: $out"
	cella pause "$c" && [ "$(status_of "$c")" = Frozen ] || fail "pause"
	cella resume "$c" && [ "$(status_of "$c")" = Running ] || fail "resume"
	out=$(cella delete "$c" 2>&1) && fail "deleted a running instance"
	[[ "$out" == *"stop it before deleting it"* ]] || fail "delete running: $out"
	cella stop --timeout 20 "$c" && [ "$(status_of "$c")" = Stopped ] || fail "stop"
	cella start "$c" && [ "$(status_of "$c")" = Running ] || fail "start"
	cella restart --force "$c" && [ "$(status_of "$c")" = Running ] || fail "restart"
	cella delete --force "$c" || fail "delete --force"
	[ -z "$(status_of "$c")" ] || fail "still listed"
	cella launch default "app$c" -- sh -c 'echo cli-app-ran' | grep -qx "Launched app$c" || fail "launch app"
	for _ in $(seq 100); do [ "$(status_of "app$c")" = Stopped ] && break; sleep 0.1; done
	[ "$(status_of "app$c")" = Stopped ] || fail "application container did not stop after its command"
	grep -q cli-app-ran "$D/root/instances/app$c/console.log" || fail "no output of the command"
	cella delete "app$c" || fail "delete app"
	out=$(cella launch -c limits.memory=lots default "x$c" 2>&1) || rc=$?
	[ $rc -eq 1 ] && [[ "$out" == *"limits.memory"* ]] || fail "bad config: $rc $out"
}

case_images() {
	need_containers
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/img"
	mkdir -p "$D/tree/etc" && echo hi >"$D/tree/etc/motd"
	tar -C "$D/tree" -cJf "$D/tree.tar.xz" . || fail "tar"
	local fp fp2 out
	fp=$(cella image import --alias mine "$D/tree.tar.xz") || fail "import tarball"
	[ "$fp" = "$(sha256sum "$D/tree.tar.xz" | cut -d' ' -f1)" ] || fail "fingerprint $fp"
	fp2=$(cella image import --alias tree "$D/tree") || fail "import directory"
	[[ "$fp2" =~ ^[0-9a-f]{64}$ ]] || fail "directory fingerprint $fp2"
	out=$(cella image list)
	grep -q "^${fp:0:12}  mine " <<<"$out" || fail "list: $out"
	grep -q "^${fp2:0:12}  tree " <<<"$out" || fail "list: $out"
	cella image delete mine "${fp2:0:16}" || fail "delete"
	[ "$(cella image list | wc -l)" = 1 ] || fail "images left: $(cella image list)"
	out=$(cella image import "$D/missing.tar" 2>&1) && fail "imported a missing file"
	[[ "$out" == *"missing.tar"* ]] || fail "missing file message: $out"
}

check "cella without cellad, bad options and names" case_no_daemon
check "cella launch, list, pause, resume, stop, start, restart, delete" case_lifecycle
check "cella image import (tarball, directory), list, delete" case_images
done_testing
