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
	need_cmd curl
	[ -x "$CELLAD" ] || { echo "cellad not built at $CELLAD"; exit 77; }
	[ -x "$CELLA" ] || { echo "cella not built at $CELLA"; exit 77; }
}

need_containers() {
	need_all
	[ -x "$RT" ] || { echo "cella-runtime not built at $RT"; exit 77; }
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

# Ends cellad with SIGTERM (bounded) and requires a clean exit: no sanitizer report in its log.
stop_daemon_clean() {
	local rc=0
	kill -TERM "$CELLAD_PID"
	timeout 30 tail --pid="$CELLAD_PID" -f /dev/null || fail "cellad did not exit within 30 s of SIGTERM"
	wait "$CELLAD_PID" || rc=$?
	CELLAD_PID=
	[ $rc -eq 0 ] && ! grep -q Sanitizer "$D/cellad.log" || fail "cellad exited with $rc: $(tail -40 "$D/cellad.log")"
}

# cg_value INSTANCE V1-FILE V2-FILE: a cgroup limit of the instance's cgroup (/cellad/NAME), v1 or v2.
cg_value() {
	local f
	for f in "/sys/fs/cgroup/${2%%.*}/cellad/$1/$2" "/sys/fs/cgroup/cellad/$1/$3"; do
		[ -f "$f" ] && { cat "$f"; return 0; }
	done
	fail "no cgroup file $2 / $3 for $1"
}

# tree_listing DIR: every entry's name, owner, mode, size and link target, sorted (content is diffed apart).
tree_listing() {
	(cd "$1" && find . -printf '%P %U:%G %m %s %l\n' | sort)
}

case_publish_export() {
	need_containers
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/pub"
	local s="sys$SFX" p="priv$SFX" fp fp2 out rc=0 rootfs
	# Application containers make the changes and stop by themselves (no exec needed).
	cella launch default "$s" -- sh -c 'echo hello >/tmp/marker && mkdir /tmp/made && exec sleep 600' >/dev/null ||
		fail "launch $s"
	for _ in $(seq 100); do [ -d "$D/root/instances/$s/upper/tmp/made" ] && break; sleep 0.1; done
	out=$(cella image publish "$s" 2>&1) || rc=$?
	[ $rc -eq 1 ] && [[ "$out" == *"is Running: stop it before publishing it"* ]] || fail "published a running instance: $rc $out"
	cella stop --force "$s" || fail "stop $s"
	cella launch -c security.privileged=true default "$p" -- sh -c 'rm /bin/vi && echo added >/etc/added' >/dev/null ||
		fail "launch $p"
	for _ in $(seq 100); do [ "$(status_of "$p")" = Stopped ] && break; sleep 0.1; done
	[ "$(status_of "$p")" = Stopped ] || fail "$p did not stop after its command"

	fp=$(cella image publish --alias pub -p os=busybox "$s" 2>"$D/err") || fail "publish: $(cat "$D/err")"
	[[ "$fp" =~ ^[0-9a-f]{64}$ ]] || fail "publish printed '$fp'"
	# No terminal: no bar, no carriage return, one plain final line on stderr.
	[ "$(cat "$D/err")" = "Publishing image: done" ] || fail "stderr without a terminal: $(od -c "$D/err" | head)"
	rootfs="$D/root/images/$fp/rootfs"
	[ "$(cat "$rootfs/tmp/marker")" = hello ] || fail "the container's file is not in the image"
	# The container's root (a host uid of its own) is root in the image.
	[ "$(stat -c %u:%g "$rootfs/tmp/marker" "$rootfs/tmp/made" | sort -u)" = 0:0 ] ||
		fail "owners not shifted: $(stat -c '%n %u:%g' "$rootfs/tmp/marker" "$rootfs/tmp/made")"
	fp2=$(cella image publish "$p" 2>/dev/null) || fail "publish $p"
	[ ! -e "$D/root/images/$fp2/rootfs/bin/vi" ] && [ -e "$D/root/images/$fp2/rootfs/bin/sh" ] ||
		fail "a file deleted in the container is in the image (or the image is empty)"
	[ "$(cat "$D/root/images/$fp2/rootfs/etc/added")" = added ] || fail "added file missing"
	ls -d "$D"/root/tmp/* "$D"/root/images/.import-* 2>/dev/null && fail "publish left files behind"

	cella image export pub "$D/pub.tar" || fail "export"
	[ "$(tar -tf "$D/pub.tar" | head -1)" = metadata.json ] || fail "export: metadata.json is not first"
	[ ! -e "$D/pub.tar.partial" ] || fail "partial file left"
	tree_listing "$rootfs" >"$D/before"
	cp -a "$rootfs" "$D/before-tree"
	cella image delete pub || fail "delete pub"
	fp=$(cella image import --alias back "$D/pub.tar" 2>/dev/null) || fail "import the exported file"
	[ "$fp" = "$(sha256sum "$D/pub.tar" | cut -d' ' -f1)" ] || fail "re-import fingerprint $fp"
	tree_listing "$D/root/images/$fp/rootfs" >"$D/after"
	diff "$D/before" "$D/after" >/dev/null || fail "re-imported tree differs: $(diff "$D/before" "$D/after" | head)"
	diff -r --no-dereference "$D/before-tree" "$D/root/images/$fp/rootfs" >/dev/null || fail "contents differ"
	cella image list --format json | python3 -c 'import json, sys
img = [i for i in json.load(sys.stdin) if any(a["name"] == "back" for a in i["aliases"])][0]
assert img["properties"]["os"] == "busybox", img
assert img["properties"]["source_instance"] == sys.argv[1], img' "$s" || fail "properties not restored"
	cella launch back "r$SFX" -- cat /tmp/marker >/dev/null 2>&1 || fail "launch from the re-imported image"
	for _ in $(seq 100); do [ "$(status_of "r$SFX")" = Stopped ] && break; sleep 0.1; done
	[ "$(cella logs "r$SFX")" = hello ] || fail "re-imported image content in a container: $(cella logs "r$SFX")"

	rc=0
	out=$(cella image export nosuch "$D/x.tar" 2>&1) || rc=$?
	[ $rc -eq 1 ] && [[ "$out" == *"nosuch"* ]] && [ ! -e "$D/x.tar" ] || fail "export of an unknown image: $rc $out"
	mkdir -p "$D/junk/rootfs" && echo x >"$D/junk/evil"
	echo '{"format": "cella-image-export", "version": 1, "type": "container"}' >"$D/junk/metadata.json"
	tar -C "$D/junk" -cf "$D/junk.tar" metadata.json rootfs evil
	rc=0
	out=$(cella image import "$D/junk.tar" 2>&1) || rc=$?
	[ $rc -eq 1 ] && [[ "$out" == *"unexpected entry 'evil'"* ]] || fail "junk export accepted: $rc $out"
	ls -d "$D"/root/images/.import-* 2>/dev/null && fail "refused import left a staging dir"
	stop_daemon_clean
}

case_config() {
	need_containers
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/cfg"
	local c="cfg$SFX" out rc=0
	cella launch default "$c" >/dev/null || fail "launch"
	cella config set "$c" limits.memory=64MiB limits.processes=50 || fail "config set"
	[ "$(cg_value "$c" memory.limit_in_bytes memory.max)" = 67108864 ] || fail "memory limit not applied live"
	[ "$(cg_value "$c" pids.max pids.max)" = 50 ] || fail "pids limit not applied live"
	out=$(cella config show "$c")
	[ "$out" = $'limits.memory: 64MiB\nlimits.processes: 50' ] || fail "config show: $out"
	[ "$(cella config show --format json "$c" | python3 -c 'import json,sys; print(json.load(sys.stdin)["limits.memory"])')" = 64MiB ] ||
		fail "config show --format json"
	for bad in limits.bogus=1:"unknown key 'limits.bogus'" limits.memory=lots:"limits.memory" \
		security.privileged=true:"security.privileged: set when the instance is created"; do
		rc=0
		out=$(cella config set "$c" "${bad%%:*}" 2>&1) || rc=$?
		[ $rc -eq 1 ] && [[ "$out" == *"${bad#*:}"* ]] || fail "config set ${bad%%:*}: $rc $out"
	done
	[ "$(cella config show "$c")" = $'limits.memory: 64MiB\nlimits.processes: 50' ] || fail "a refused change changed the config"
	cella config unset "$c" limits.memory || fail "unset"
	[ "$(cg_value "$c" memory.limit_in_bytes memory.max)" != 67108864 ] || fail "memory limit not lifted"
	cella stop --force "$c" || fail "stop"
	cella config set "$c" limits.processes=77 || fail "config set on a stopped instance"
	cella start "$c" || fail "start"
	[ "$(cg_value "$c" pids.max pids.max)" = 77 ] || fail "limit set while stopped not applied at start"
	# PUT replaces the changeable keys as a whole (the CLI uses PATCH).
	out=$(curl -sS --max-time 60 --unix-socket "$D/s.sock" -X PUT -d '{"config": {"limits.cpu": "0.5"}}' \
		"http://cella/1.0/instances/$c") || fail "PUT config"
	[[ "$out" == *'"type":"async"'* ]] || fail "PUT config: $out"
	for _ in $(seq 100); do [ "$(cella config show "$c")" = "limits.cpu: 0.5" ] && break; sleep 0.1; done
	[ "$(cella config show "$c")" = "limits.cpu: 0.5" ] || fail "after PUT: $(cella config show "$c")"
	[ "$(cg_value "$c" cpu.cfs_quota_us cpu.max | cut -d' ' -f1)" = 50000 ] || fail "cpu quota not applied live"
	rc=0
	out=$("$CELLA" config set "$c" nokey 2>&1) || rc=$?
	[ $rc -eq 2 ] && [[ "$out" == *"expected KEY=VALUE"* ]] || fail "usage: $rc $out"
	rc=0
	out=$(cella config set nosuch$SFX limits.cpu=1 2>&1) || rc=$?
	[ $rc -eq 1 ] && [[ "$out" == *"not found"* ]] || fail "unknown instance: $rc $out"
	stop_daemon_clean
}

case_info_logs_network() {
	need_containers
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/info"
	local c="inf$SFX" a="app$SFX" out rc=0
	cella launch -c limits.memory=96MiB default "$c" >/dev/null || fail "launch"
	cella snapshot create "$c" snap0 2>"$D/err" || fail "snapshot"
	[ "$(cat "$D/err")" = "Creating snapshot: done" ] || fail "snapshot stderr: $(cat "$D/err")"
	out=$(cella info "$c")
	for want in "Name: $c" "Type: container" "Status: Running" "  limits.memory: 96MiB" "Resources:" \
		"  Processes: " "  Memory usage: " "Snapshots:" "  snap0 (created "; do
		grep -qF -- "$want" <<<"$out" || fail "info lacks '$want': $out"
	done
	[ "$(cella info --format json "$c" | python3 -c 'import json,sys; d = json.load(sys.stdin); print(d["instance"]["name"], d["state"]["status"], len(d["snapshots"]))')" = "$c Running 1" ] ||
		fail "info --format json"
	cella launch default "$a" -- sh -c 'echo logs-app-ran' >/dev/null 2>&1 || fail "launch app"
	for _ in $(seq 100); do [ "$(status_of "$a")" = Stopped ] && break; sleep 0.1; done
	cella logs "$a" | grep -qx logs-app-ran || fail "logs: $(cella logs "$a")"
	cella logs --list "$a" | grep -qx console.log || fail "logs --list: $(cella logs --list "$a")"
	cella logs "$a" console.log | grep -qx logs-app-ran || fail "logs FILE"
	rc=0
	out=$("$CELLA" logs "$a" ../cellad.log 2>&1) || rc=$?
	[ $rc -eq 2 ] && [[ "$out" == *"invalid log file name"* ]] || fail "traversal: $rc $out"
	rc=0
	out=$(cella logs "$a" nosuch.log 2>&1) || rc=$?
	[ $rc -eq 1 ] || fail "unknown log file: $rc $out"
	rc=0
	out=$(cella info "nosuch$SFX" 2>&1) || rc=$?
	[ $rc -eq 1 ] && [[ "$out" == *"not found"* ]] || fail "info unknown: $rc $out"
	# cellad --network none manages no network.
	[ "$(cella network list)" = "$(printf '%-16s %-8s %-7s %-18s %-5s %-8s %s' NAME TYPE MANAGED IPV4 NAT STATE 'USED BY')" ] ||
		fail "network list: $(cella network list)"
	[ "$(cella network list --format json | tr -d ' \n')" = "[]" ] || fail "network list --format json"
	stop_daemon_clean
}

case_help_pages() {
	need_all
	local v
	for v in config info logs network image; do
		"$CELLA" "$v" --help >"$TEST_TMP/help" || fail "$v --help"
		for section in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS"; do
			grep -q "^$section" "$TEST_TMP/help" || fail "$v --help has no $section section"
		done
		"$CELLA" help "$v" | cmp -s - "$TEST_TMP/help" || fail "help $v differs from $v --help"
		"$CELLA" --help | grep -q "^    $v " || fail "$v not in cella --help"
	done
	"$CELLA" image --help | grep -q "image export IMAGE FILE" || fail "image --help lacks export"
}

case_completion() {
	need_all
	local comp="$(dirname "$0")/../../contrib/completion/cella.bash"
	[ -f "$comp" ] || fail "no $comp"
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/comp"
	mkdir -p "$TEST_TMP/bin" && ln -sf "$CELLA" "$TEST_TMP/bin/cella"
	api_launch() {
		cella launch --no-start default "$1" >/dev/null 2>&1 || fail "create $1"
	}
	api_launch "web$SFX"
	api_launch "db$SFX"
	# complete WORDS...: what the completion offers for the last word (a new bash, no terminal).
	complete_words() {
		PATH="$TEST_TMP/bin:$PATH" bash --norc --noprofile -c '
			source "$1"; shift
			complete -p cella >/dev/null || { echo "no completion for cella"; exit 1; }
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
			_cella cella "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
			printf "%s\n" "${COMPREPLY[@]}"' complete "$comp" "$@"
	}
	PATH="$TEST_TMP/bin:$PATH" bash --norc --noprofile -c 'source "$1"; complete -p cella' x "$comp" |
		grep -q "_cella cella" || fail "complete -p cella"
	[ "$(complete_words cella con | sort | tr '\n' ' ')" = "config console " ] || fail "verbs: $(complete_words cella con)"
	[ "$(complete_words cella image p)" = publish ] || fail "image subcommands: $(complete_words cella image p)"
	[ "$(complete_words cella start "web" | tr -d '\n')" = "web$SFX" ] || fail "instance names: $(complete_words cella start web)"
	complete_words cella info "" | grep -qx "db$SFX" || fail "info: instance names"
	complete_words cella launch --n | grep -qx -- --no-start || fail "options: $(complete_words cella launch --n)"
	[ "$(complete_words cella config set "web$SFX" limits.m)" = limits.memory= ] || fail "config keys: $(complete_words cella config set "web$SFX" limits.m)"
	complete_words cella launch "" | grep -qx default || fail "image names for launch: $(complete_words cella launch '')"
	[ "$(complete_words cella config device r)" = remove ] || fail "device subcommands: $(complete_words cella config device r)"
	[ "$(complete_words cella config device add "web$SFX" data d)" = disk ] || fail "device types: $(complete_words cella config device add "web$SFX" data d)"
	[ "$(complete_words cella config device add "web$SFX" data disk sou)" = source= ] || fail "device keys"
	stop_daemon_clean
}

check "cella without cellad, bad options and names" case_no_daemon
check "cella launch, list, pause, resume, stop, start, restart, delete" case_lifecycle
check "cella image import (tarball, directory), list, delete" case_images
check "cella image publish, export, and import of the exported file" case_publish_export
check "cella config set, unset, show: live cgroup limits, refusals naming the key" case_config
check "cella info, logs, network list; progress line without a terminal" case_info_logs_network
check "--help pages of the new verbs" case_help_pages
check "bash completion: verbs, subcommands, options, instance and image names, config keys, devices" case_completion
done_testing
