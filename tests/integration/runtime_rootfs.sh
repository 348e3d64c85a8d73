#!/usr/bin/env bash
# The container root filesystem (src/runtime/rootfs) with real namespaces: a driver
# (tests/unit/runtime/rootfs/rootfs-driver) reads a bundle's config.json, unshares
# the namespaces it names, runs prepare + pivot_and_finish and execs busybox inside.
# Mount namespaces die with the driver; scratch bundles live under $TEST_TMP.
source "$(dirname "$0")/lib.bash"

DRIVER=$CELLA_BUILD/tests/unit/runtime/rootfs/rootfs-driver
BUSYBOX=${BUSYBOX:-/bin/busybox}
APPLETS="sh cat ls grep test echo stat touch mkdir readlink head wc id rm true"

prereq() {
	need_root
	[ -x "$DRIVER" ] || { echo "rootfs-driver not built ($DRIVER)"; exit 77; }
	[ -x "$BUSYBOX" ] || { echo "needs a static busybox at $BUSYBOX"; exit 77; }
	file_out=$(LC_ALL=C file -L "$BUSYBOX" 2>/dev/null || true)
	case "$file_out" in
	*"dynamically linked"*) echo "needs a statically linked busybox ($BUSYBOX is dynamic)"; exit 77 ;;
	esac
}

# make_bundle DIR: a busybox rootfs in DIR/rootfs, applets as symlinks to /bin/busybox.
make_bundle() {
	local b=$1 a
	mkdir -p "$b/rootfs/bin" "$b/rootfs/proc" "$b/rootfs/sys" "$b/rootfs/dev" "$b/rootfs/tmp" "$b/rootfs/etc"
	cp "$BUSYBOX" "$b/rootfs/bin/busybox"
	for a in $APPLETS; do ln -s busybox "$b/rootfs/bin/$a"; done
}

# config BUNDLE MOUNTS_JSON LINUX_EXTRA_JSON [ROOT_EXTRA_JSON]
config() {
	cat >"$1/config.json" <<JSON
{"ociVersion": "1.2.0",
 "root": {"path": "rootfs"${4:+, $4}},
 "mounts": [$2],
 "linux": {"namespaces": [{"type": "mount"}, {"type": "pid"}]${3:+, $3}}}
JSON
}

PROC='{"destination": "/proc", "type": "proc", "source": "proc"}'
DEV='{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
 {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
 {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]}'
TMP='{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]}'

# drive [--no-pivot] BUNDLE CMD...: runs the driver, bounded in time, stdin closed.
drive() {
	timeout 60 "$DRIVER" "$@" </dev/null
}

case_basic_mounts() {
	prereq
	local b=$TEST_TMP/basic out
	make_bundle "$b"
	config "$b" "$PROC, $DEV, $TMP"
	out=$(drive "$b" sh -c '
		grep -q "^proc /proc proc " /proc/mounts || { echo "no /proc"; exit 1; }
		grep -q " /tmp tmpfs " /proc/mounts || { echo "no tmpfs on /tmp"; exit 1; }
		grep -q " /dev/pts devpts " /proc/mounts || { echo "no devpts"; exit 1; }
		grep -q " /dev/shm tmpfs " /proc/mounts || { echo "no /dev/shm"; exit 1; }
		echo x >/dev/null || { echo "/dev/null not writable"; exit 1; }
		test -c /dev/null -a -c /dev/zero -a -c /dev/full -a -c /dev/random -a -c /dev/urandom -a -c /dev/tty || { echo "default devices missing"; exit 1; }
		test "$(head -c 5 /dev/zero | wc -c)" = 5 || { echo "/dev/zero broken"; exit 1; }
		test "$(readlink /dev/ptmx)" = pts/ptmx || { echo "/dev/ptmx is not pts/ptmx"; exit 1; }
		test "$(readlink /dev/fd)" = /proc/self/fd || { echo "/dev/fd"; exit 1; }
		test "$(readlink /dev/stderr)" = /proc/self/fd/2 || { echo "/dev/stderr"; exit 1; }
		test "$$" = 1 || { echo "not pid 1"; exit 1; }
		test ! -e /rootfs || exit 1
		echo ALL-OK') || fail "driver failed: $out"
	[ "${out##*$'\n'}" = ALL-OK ] || fail "$out"
}

case_bind_mounts() {
	prereq
	local b=$TEST_TMP/bind h=$TEST_TMP/hostdir out
	make_bundle "$b"
	mkdir -p "$h" && echo from-host >"$h/file"
	echo single >"$TEST_TMP/single-file"
	config "$b" "$PROC,
	 {\"destination\": \"/data\", \"source\": \"$h\", \"options\": [\"rbind\", \"rw\"]},
	 {\"destination\": \"/rodata\", \"type\": \"bind\", \"source\": \"$h\", \"options\": [\"bind\", \"ro\", \"nosuid\"]},
	 {\"destination\": \"/etc/single\", \"source\": \"$TEST_TMP/single-file\", \"options\": [\"bind\", \"ro\"]}"
	out=$(drive "$b" sh -c '
		test "$(cat /data/file)" = from-host || { echo "bind not visible"; exit 1; }
		echo new >/data/written || { echo "rw bind not writable"; exit 1; }
		if touch /rodata/x 2>/dev/null; then echo "ro bind is writable"; exit 1; fi
		grep " /rodata " /proc/mounts | grep -q "ro,nosuid" || { echo "ro,nosuid missing"; exit 1; }
		test "$(cat /etc/single)" = single || { echo "file bind missing"; exit 1; }
		if (echo y >/etc/single) 2>/dev/null; then echo "ro file bind writable"; exit 1; fi
		echo ALL-OK') || fail "driver failed: $out"
	[ "${out##*$'\n'}" = ALL-OK ] || fail "$out"
	[ "$(cat "$h/written")" = new ] || fail "write through the rw bind not seen on the host"
	[ ! -e "$h/x" ] || fail "ro bind was written"
}

case_masked_readonly_paths() {
	prereq
	local b=$TEST_TMP/mask out
	make_bundle "$b"
	echo secret >"$b/rootfs/secret-file"
	mkdir -p "$b/rootfs/secret-dir" "$b/rootfs/frozen" && echo s >"$b/rootfs/secret-dir/inner"
	config "$b" "$PROC, $DEV" \
		'"maskedPaths": ["/proc/kcore", "/secret-file", "/secret-dir", "/does-not-exist"],
		 "readonlyPaths": ["/proc/sys", "/frozen", "/missing-too"]'
	out=$(drive "$b" sh -c '
		test -z "$(cat /secret-file)" || { echo "masked file readable"; exit 1; }
		test -z "$(ls -A /secret-dir)" || { echo "masked dir not empty"; exit 1; }
		if touch /secret-dir/x 2>/dev/null; then echo "masked dir writable"; exit 1; fi
		test -z "$(head -c 16 /proc/kcore 2>/dev/null)" || { echo "/proc/kcore not masked"; exit 1; }
		if touch /frozen/x 2>/dev/null; then echo "readonly path writable"; exit 1; fi
		if (echo 1 >/proc/sys/kernel/ns_last_pid) 2>/dev/null; then echo "/proc/sys writable"; exit 1; fi
		cat /proc/sys/kernel/ostype >/dev/null || { echo "/proc/sys unreadable"; exit 1; }
		touch /ok-root || { echo "root not writable"; exit 1; }
		echo ALL-OK') || fail "driver failed: $out"
	[ "${out##*$'\n'}" = ALL-OK ] || fail "$out"
	[ "$(cat "$b/rootfs/secret-file")" = secret ] || fail "masking changed the file"
}

case_readonly_root() {
	prereq
	local b=$TEST_TMP/roroot out
	make_bundle "$b"
	config "$b" "$PROC, $DEV, $TMP" "" '"readonly": true'
	out=$(drive "$b" sh -c '
		if touch /x 2>/dev/null; then echo "/ writable"; exit 1; fi
		touch /tmp/x || { echo "/tmp not writable under a ro root"; exit 1; }
		grep -q "^/dev/.* / .* ro[, ]" /proc/mounts || grep -q " / [a-z0-9]* ro[, ]" /proc/mounts || { echo "/ not ro in /proc/mounts"; exit 1; }
		echo ALL-OK') || fail "driver failed: $out"
	[ "${out##*$'\n'}" = ALL-OK ] || fail "$out"
}

# rootfs/evil -> <host dir>: the mount under /evil must stay inside the rootfs.
case_symlink_attack() {
	prereq
	local b=$TEST_TMP/attack target=$TEST_TMP/cella-host-target out rc
	make_bundle "$b"
	mkdir -p "$target"
	ln -s "$target" "$b/rootfs/evil"
	config "$b" "$PROC, {\"destination\": \"/evil/x\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}"
	# 1. The link's target does not exist inside the rootfs: refused, nothing created outside.
	out=$(drive "$b" true 2>&1) && fail "dangling in-root symlink accepted: $out"
	rc=$?
	[ $rc -eq 125 ] || fail "expected a setup failure (125), got $rc: $out"
	echo "$out" | grep -q "mounts\[1\] (/evil/x)" || fail "error does not name the mount: $out"
	[ -z "$(ls -A "$target")" ] || fail "something was created in the host target: $(ls -A "$target")"
	# 2. It exists inside the rootfs: the mount lands there, still not on the host.
	mkdir -p "$b/rootfs$target"
	out=$(drive "$b" sh -c "grep ' $target/x tmpfs ' /proc/mounts && echo ALL-OK") || fail "driver failed: $out"
	[ "${out##*$'\n'}" = ALL-OK ] || fail "$out"
	[ -d "$b/rootfs$target/x" ] || fail "mount point not created inside the rootfs"
	[ -z "$(ls -A "$target")" ] || fail "something was created in the host target: $(ls -A "$target")"
	! grep -q "cella-host-target" /proc/self/mountinfo || fail "a mount leaked to the host"
	# 3. A bind source file whose destination goes through the link: same rule.
	echo f >"$TEST_TMP/src-file"
	config "$b" "$PROC, {\"destination\": \"/evil/file\", \"source\": \"$TEST_TMP/src-file\", \"options\": [\"bind\"]}"
	drive "$b" true || fail "file bind through an in-root symlink failed"
	[ -f "$b/rootfs$target/file" ] || fail "file mount point not created inside the rootfs"
	[ ! -e "$target/file" ] || fail "file created on the host"
}

case_no_pivot() {
	prereq
	local b=$TEST_TMP/nopivot out
	make_bundle "$b"
	touch "$TEST_TMP/host-marker"
	config "$b" "$PROC, $DEV"
	out=$(drive --no-pivot "$b" sh -c "
		test -x /bin/busybox || { echo 'not in the rootfs'; exit 1; }
		test ! -e '$TEST_TMP/host-marker' || { echo 'host visible'; exit 1; }
		test -c /dev/null || { echo 'no /dev/null'; exit 1; }
		grep -q '^proc /proc proc ' /proc/mounts || { echo 'no /proc'; exit 1; }
		echo ALL-OK") || fail "driver failed: $out"
	[ "${out##*$'\n'}" = ALL-OK ] || fail "$out"
}

case_devices() {
	prereq
	local b=$TEST_TMP/devices out
	make_bundle "$b"
	config "$b" "$PROC, $DEV" \
		'"devices": [{"path": "/dev/mydev", "type": "c", "major": 1, "minor": 3, "fileMode": 384, "uid": 1000, "gid": 1001},
		             {"path": "/dev/sub/blk", "type": "b", "major": 7, "minor": 0, "fileMode": 416},
		             {"path": "/dev/myfifo", "type": "p", "fileMode": 420}]'
	out=$(drive "$b" sh -c '
		stat -c "%F %a %u %g %t %T" /dev/mydev /dev/sub/blk /dev/myfifo
		echo data >/dev/mydev || { echo "mydev is not /dev/null"; exit 1; }
		echo ALL-OK') || fail "driver failed: $out"
	[ "${out##*$'\n'}" = ALL-OK ] || fail "$out"
	echo "$out" | grep -qx "character special file 600 1000 1001 1 3" || fail "mydev: $out"
	echo "$out" | grep -qx "block special file 640 0 0 7 0" || fail "blk: $out"
	echo "$out" | grep -qx "fifo 644 0 0 0 0" || fail "fifo: $out"
}

case_tmpcopyup() {
	prereq
	local b=$TEST_TMP/copyup out
	make_bundle "$b"
	mkdir -p "$b/rootfs/etc/sub" && echo seed >"$b/rootfs/etc/seed" && ln -s seed "$b/rootfs/etc/link"
	chmod 0750 "$b/rootfs/etc/sub"
	config "$b" "$PROC, {\"destination\": \"/etc\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"tmpcopyup\"]}"
	out=$(drive "$b" sh -c '
		grep -q " /etc tmpfs " /proc/mounts || { echo "no tmpfs"; exit 1; }
		test "$(cat /etc/seed)" = seed -a "$(readlink /etc/link)" = seed || { echo "content not copied"; exit 1; }
		test "$(stat -c %a /etc/sub)" = 750 || { echo "mode not kept"; exit 1; }
		echo new >/etc/new && echo ALL-OK') || fail "driver failed: $out"
	[ "${out##*$'\n'}" = ALL-OK ] || fail "$out"
	[ ! -e "$b/rootfs/etc/new" ] || fail "write went to the rootfs, not the tmpfs"
}

case_user_namespace() {
	prereq
	[ -r /proc/self/ns/user ] || { echo "no user namespaces"; exit 77; }
	local b=$TEST_TMP/userns out
	make_bundle "$b"
	cat >"$b/config.json" <<JSON
{"root": {"path": "rootfs"},
 "mounts": [$PROC, $DEV,
  {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}],
 "linux": {"namespaces": [{"type": "user"}, {"type": "mount"}, {"type": "pid"}],
  "uidMappings": [{"containerID": 0, "hostID": 0, "size": 65536}],
  "gidMappings": [{"containerID": 0, "hostID": 0, "size": 65536}],
  "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}],
  "maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"]}}
JSON
	[ -c /dev/fuse ] || sed -i 's|"devices": \[[^]]*\],||' "$b/config.json"
	out=$(drive "$b" sh -c '
		test "$(readlink /proc/self/ns/user)" != "'"$(readlink /proc/self/ns/user)"'" || { echo "not in a new user namespace"; exit 1; }
		echo x >/dev/null && test "$(head -c 3 /dev/zero | wc -c)" = 3 || { echo "bound /dev/null or /dev/zero broken"; exit 1; }
		grep -q " /dev/null " /proc/self/mountinfo || { echo "/dev/null not a bind from the host"; exit 1; }
		test -n "$(ls /sys)" || { echo "/sys empty"; exit 1; }
		if touch /sys/x 2>/dev/null; then echo "/sys writable"; exit 1; fi
		test -z "$(head -c 16 /proc/kcore 2>/dev/null)" || { echo "/proc/kcore not masked"; exit 1; }
		echo ALL-OK') || fail "driver failed: $out"
	[ "${out##*$'\n'}" = ALL-OK ] || fail "$out"
}

case_idmap_bind() {
	prereq
	local b=$TEST_TMP/idmap h=$TEST_TMP/idmap-src out
	make_bundle "$b"
	mkdir -p "$h" && touch "$h/owned-by-root" && chown 0:0 "$h/owned-by-root"
	config "$b" "$PROC, {\"destination\": \"/idm\", \"source\": \"$h\", \"options\": [\"bind\", \"idmap\"],
	  \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}],
	  \"gidMappings\": [{\"containerID\": 0, \"hostID\": 2000, \"size\": 1}]}"
	out=$(drive "$b" stat -c "%u %g" /idm/owned-by-root 2>&1)
	case "$out" in
	*"not supported by the kernel or the file system"*) echo "idmapped mounts unsupported here: $out"; exit 77 ;;
	esac
	# runc's convention: the mapping is written as "containerID hostID size", so an on-disk 0 shows as 1000.
	[ "${out##*$'\n'}" = "1000 2000" ] || fail "idmapped ownership: $out"
}

case_cgroup_mount() {
	prereq
	local b=$TEST_TMP/cgroup out
	make_bundle "$b"
	config "$b" "$PROC, {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\", \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}"
	out=$(drive "$b" sh -c '
		test -n "$(ls /sys/fs/cgroup)" || { echo "cgroup tree empty"; exit 1; }
		for d in /sys/fs/cgroup /sys/fs/cgroup/*/; do
			if touch "$d/cella-probe" 2>/dev/null; then echo "$d writable"; exit 1; fi
		done
		echo ALL-OK') || fail "driver failed: $out"
	[ "${out##*$'\n'}" = ALL-OK ] || fail "$out"
}

case_root_propagation() {
	prereq
	local b=$TEST_TMP/propagation out
	make_bundle "$b"
	config "$b" "$PROC, $TMP" '"rootfsPropagation": "rshared"'
	# Field 5 is the mount point; optional fields such as shared:N follow the options.
	out=$(drive "$b" sh -c 'grep -E "^[0-9]+ [0-9]+ [^ ]+ [^ ]+ / [^ ]+ .*shared:" /proc/self/mountinfo && echo ALL-OK') ||
		fail "driver failed: $out"
	[ "${out##*$'\n'}" = ALL-OK ] || fail "$out"
	config "$b" "$PROC, $TMP"
	out=$(drive "$b" sh -c 'grep -E "^[0-9]+ [0-9]+ [^ ]+ [^ ]+ / " /proc/self/mountinfo') || fail "driver failed: $out"
	! echo "$out" | grep -q "shared:" || fail "/ is shared without rootfsPropagation: $out"
}

# In a user namespace, flags of the source mount are locked: asking for suid/dev on a
# nosuid,nodev source must keep them (as runc) instead of failing with EPERM.
case_userns_locked_flags() {
	prereq
	need_cmd unshare
	local b=$TEST_TMP/locked src=$TEST_TMP/locked-src out
	make_bundle "$b"
	mkdir -p "$src"
	cat >"$b/config.json" <<JSON
{"root": {"path": "rootfs"},
 "mounts": [$PROC, {"destination": "/mnt", "source": "$src", "options": ["bind", "suid", "dev", "ro"]}],
 "linux": {"namespaces": [{"type": "user"}, {"type": "mount"}, {"type": "pid"}]}}
JSON
	# The nosuid,nodev tmpfs lives in a throw-away mount namespace that dies with unshare.
	out=$(timeout 60 unshare -m --propagation private sh -c '
		mount -t tmpfs -o nosuid,nodev tmpfs "$1" && shift && exec "$@"' sh "$src" \
		"$DRIVER" "$b" sh -c 'grep " /mnt " /proc/mounts; if touch /mnt/x 2>/dev/null; then echo writable; fi; echo END' \
		</dev/null 2>&1) || fail "driver failed: $out"
	[ "${out##*$'\n'}" = END ] || fail "$out"
	echo "$out" | grep -q " /mnt tmpfs ro,nosuid,nodev" || fail "locked flags not kept: $out"
	! echo "$out" | grep -q writable || fail "ro not applied: $out"
}

case_bad_config_named() {
	prereq
	local b=$TEST_TMP/bad out
	make_bundle "$b"
	config "$b" "$PROC, {\"destination\": \"relative\", \"type\": \"tmpfs\"}"
	out=$(drive "$b" true 2>&1) && fail "accepted"
	echo "$out" | grep -q "config.json: mounts\[1\].destination: must be an absolute path" || fail "$out"
}

check "proc, tmpfs, devpts and default /dev inside a pid namespace" case_basic_mounts
check "bind mounts: rw visible, ro read-only, file bind" case_bind_mounts
check "maskedPaths and readonlyPaths" case_masked_readonly_paths
check "root.readonly makes / read-only, tmpfs on top stays writable" case_readonly_root
check "symlink to a host path cannot redirect a mount out of the rootfs" case_symlink_attack
check "--no-pivot (MS_MOVE + chroot)" case_no_pivot
check "linux.devices with mode, uid, gid" case_devices
check "tmpcopyup copies the old content into the tmpfs" case_tmpcopyup
check "user namespace: devices bound from the host, sysfs bound, masks" case_user_namespace
check "user namespace: a bind keeps the source's locked nosuid/nodev" case_userns_locked_flags
check "idmapped bind mount" case_idmap_bind
check "cgroup mount is read-only" case_cgroup_mount
check "linux.rootfsPropagation rshared applies to / after the pivot" case_root_propagation
check "bad config.json is refused naming the field" case_bad_config_named
done_testing
