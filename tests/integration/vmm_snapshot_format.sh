#!/usr/bin/env bash
# VM snapshot files on real file systems: throughput and restore time on disk,
# a damaged file refused, and a full file system (a 16 MiB loop-mounted ext4)
# failing a snapshot cleanly while the previous one stays usable.
source "$(dirname "$0")/lib.bash"

DRIVER=$CELLA_BUILD/tests/unit/vmm/snapshot/vmm-snapshot-driver

need_driver() {
	[ -x "$DRIVER" ] || fail "$DRIVER is not built"
}

# 256 MiB of non-zero guest RAM to the scratch directory's (disk) file system, fsync included.
throughput_case() {
	need_driver
	local out rc
	out=$(timeout 300 "$DRIVER" write "$TEST_TMP/snap-disk" 256) || fail "snapshot failed: $out"
	echo "$out" >"$TEST_TMP/report"
	out=$(timeout 300 "$DRIVER" check "$TEST_TMP/snap-disk") || fail "snapshot does not verify: $out"
	echo "$out" >>"$TEST_TMP/report"
	rm -rf "$TEST_TMP/snap-disk"
	# The same to tmpfs: the writer's own cost, without the disk.
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then
		local shm
		shm=$(mktemp -d /dev/shm/cella-it.XXXXXX) || fail "mktemp in /dev/shm"
		out=$(timeout 300 "$DRIVER" write "$shm/snap" 256 2>&1)
		rc=$?
		rm -rf "$shm"
		[ $rc -eq 0 ] || fail "snapshot to tmpfs failed: $out"
		echo "$out" >>"$TEST_TMP/report"
	fi
}

damaged_case() {
	need_driver
	local out
	expect "$DRIVER" write "$TEST_TMP/snap-bad" 4 >/dev/null
	# One byte of the first section's data (right after the 96-byte header) changed.
	printf 'X' | dd of="$TEST_TMP/snap-bad/state" bs=1 seek=96 conv=notrunc status=none
	if out=$("$DRIVER" check "$TEST_TMP/snap-bad" 2>&1); then
		fail "a damaged snapshot was accepted: $out"
	fi
	grep -q "section vcpu.0.regs checksum mismatch" <<<"$out" || fail "unclear message: $out"
	rm -rf "$TEST_TMP/snap-bad"
}

# Runs inside a private mount namespace: the mount disappears with it, whatever happens.
full_fs_body() {
	local img=$1 mnt=$2 out entries
	mkfs.ext4 -q -F "$img" 16M >/dev/null 2>&1 || fail "mkfs.ext4 failed"
	mkdir -p "$mnt"
	mount -o loop "$img" "$mnt" 2>/dev/null || { echo "needs loop devices (mount -o loop failed)"; exit 77; }
	trap 'umount "$mnt" 2>/dev/null' EXIT
	"$DRIVER" write "$mnt/snap" 4 >/dev/null || fail "the first, small snapshot failed"
	if out=$("$DRIVER" write "$mnt/snap" 64 2>&1); then
		fail "64 MiB fit a 16 MiB file system: $out"
	fi
	grep -q "No space left on device" <<<"$out" || fail "not a clear ENOSPC error: $out"
	grep -q "$mnt/snap" <<<"$out" || fail "the error does not name the path: $out"
	entries=$(cd "$mnt" && ls -A | grep -v '^lost+found$' | tr '\n' ' ')
	[ "$entries" = "snap " ] || fail "left behind in $mnt: $entries"
	[ "$(ls -A "$mnt/snap" | tr '\n' ' ')" = "memory state " ] || fail "snapshot directory changed"
	"$DRIVER" check "$mnt/snap" >/dev/null || fail "the previous snapshot no longer opens"
	echo "full file system: $out" >>"$REPORT"
}

full_fs_case() {
	need_root
	need_cmd mkfs.ext4
	need_cmd unshare
	need_driver
	local rc
	# timeout: a hung loop device must not hang the suite.
	timeout 120 unshare -m --propagation private bash -c "
		DRIVER='$DRIVER' REPORT='$TEST_TMP/report'
		$(declare -f fail full_fs_body)
		full_fs_body '$TEST_TMP/fs.img' '$TEST_TMP/mnt'
	"
	rc=$?
	rm -f "$TEST_TMP/fs.img"
	exit $rc
}

report() {
	[ -f "$TEST_TMP/report" ] && sed 's/^/# /' "$TEST_TMP/report"
	rm -f "$TEST_TMP/report"
}

check "256 MiB snapshot to disk: throughput and restore" throughput_case
report
check "damaged state file refused" damaged_case
check "full file system: clean ENOSPC, nothing left, previous snapshot intact" full_fs_case
report
done_testing
