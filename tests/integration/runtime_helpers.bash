# Helpers shared by the cella-runtime CLI tests (runtime_cli.sh, runtime_conformance.sh):
# a shared read-only busybox rootfs, bundles from `cella-runtime spec`, status polling and leftovers checks.
# Source it after lib.bash; the caller may set PFX (container id prefix) first.
# shellcheck shell=bash
RT="$CELLA_BUILD/src/runtime/cli/cella-runtime"
ROOT="$TEST_TMP/state"
ROOTFS="$TEST_TMP/rootfs"
PFX=${PFX:-cit$$}

rt() {
	timeout 60 "$RT" --root "$ROOT" "$@"
}

# One shared read-only busybox rootfs; applets as relative symlinks so they resolve inside.
make_rootfs() {
	[ -d "$ROOTFS/bin" ] && return 0
	# a mapped root in a user namespace must be able to reach the rootfs
	chmod 0755 "$TEST_TMP" || return 1
	mkdir -p "$ROOTFS/bin" "$ROOTFS/tmp" "$ROOTFS/work" || return 1
	cp /bin/busybox "$ROOTFS/bin/busybox" || return 1
	for a in $("$ROOTFS/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -s busybox "$ROOTFS/bin/$a"
	done
}

# An ELF with no PT_INTERP program header runs in a rootfs without a dynamic loader.
is_static() {
	python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:4] == b"\x7fELF" and d[4] == 2
phoff, = struct.unpack_from("<Q", d, 0x20)
phentsize, phnum = struct.unpack_from("<HH", d, 0x36)
sys.exit(1 if any(struct.unpack_from("<I", d, phoff + i * phentsize)[0] == 3 for i in range(phnum)) else 0)
PY
}

need_runtime() {
	need_root
	[ -x "$RT" ] || { echo "cella-runtime not built at $RT"; exit 77; }
	need_cmd python3
	[ -x /bin/busybox ] && is_static /bin/busybox || { echo "needs a static /bin/busybox (busybox-static)"; exit 77; }
	make_rootfs || fail "cannot build the rootfs"
}

# new_bundle NAME [python statements editing c]: bundle dir on stdout.
new_bundle() {
	local b="$TEST_TMP/bundles/$1"
	mkdir -p "$b" || return 1
	"$RT" spec --bundle "$b" || return 1
	python3 - "$b/config.json" "$ROOTFS" "${2:-pass}" <<'PY' || return 1
import json, sys
path, rootfs, code = sys.argv[1], sys.argv[2], sys.argv[3]
c = json.load(open(path))
c["root"] = {"path": rootfs, "readonly": True}
c["process"]["terminal"] = False
c["process"]["args"] = ["true"]
for k in c["process"].get("capabilities", {}):
    c["process"]["capabilities"][k] = ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE", "CAP_SETUID", "CAP_SETGID"] if k != "ambient" else []
exec(code)
json.dump(c, open(path, "w"), indent=1)
PY
	echo "$b"
}

status_of() {
	rt state "$1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' 2>/dev/null
}

# wait_status ID STATUS: bounded poll (10 s).
wait_status() {
	for _ in $(seq 1 200); do
		[ "$(status_of "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	fail "container $1 did not reach status $2 (is $(status_of "$1"))"
}

# Case cleanup, pass or fail: delete --force, then whatever a runtime killed half-way left behind (a
# cgroup under the default parent /cella, without state to delete it by).
cleanup_ids() {
	local id d p
	for id in "$@"; do
		timeout 30 "$RT" --root "$ROOT" delete --force "$id" >/dev/null 2>&1
		for d in /sys/fs/cgroup/*/cella/"$id" /sys/fs/cgroup/cella/"$id"; do
			[ -d "$d" ] || continue
			[ -f "$d/freezer.state" ] && echo THAWED >"$d/freezer.state" 2>/dev/null
			for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		done
		for d in /sys/fs/cgroup/*/cella/"$id" /sys/fs/cgroup/cella/"$id"; do
			[ -d "$d" ] || continue
			for _ in $(seq 100); do rmdir "$d" 2>/dev/null && break; sleep 0.05; done
		done
	done
	return 0
}

no_trace_of() {
	local id=$1
	[ ! -e "$ROOT/$id" ] || fail "state dir $ROOT/$id left behind"
	if find /sys/fs/cgroup -maxdepth 4 -type d -name "$id" 2>/dev/null | grep -q .; then
		fail "cgroup of $id left behind: $(find /sys/fs/cgroup -maxdepth 4 -type d -name "$id")"
	fi
}
