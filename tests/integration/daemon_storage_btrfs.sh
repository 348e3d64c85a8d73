#!/usr/bin/env bash
# cellad's btrfs storage pool, as root, on a loop-mounted btrfs in a private mount namespace (it goes away with
# the namespace, whatever happens): the pool is detected and recorded, the image is a read-only subvolume, a
# container root a writable snapshot of it, a container snapshot a read-only snapshot of the root that shares
# every block (no copy), restore swaps subvolumes, deletes remove every subvolume, a restarted cellad keeps the
# pool. The dir pool (overlayfs) is what the other daemon_*.sh tests run on.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/daemon_helpers.bash"

CELLA="$CELLA_BUILD/src/cli/cella"

need_btrfs() {
	need_containers
	need_cmd unshare
	need_cmd mkfs.btrfs
	need_cmd btrfs
	[ -x "$CELLA" ] || { echo "cella not built at $CELLA"; exit 77; }
	grep -qw btrfs /proc/filesystems || modprobe btrfs 2>/dev/null || { echo "needs btrfs in the kernel"; exit 77; }
}

# mount_btrfs DIR: a fresh 512 MiB btrfs at DIR (the caller is in a private mount namespace).
mount_btrfs() {
	mkdir -p "$1"
	truncate -s 512M "$TEST_TMP/btrfs.img"
	mkfs.btrfs -q -f "$TEST_TMP/btrfs.img" >/dev/null || fail "mkfs.btrfs"
	mount -o loop "$TEST_TMP/btrfs.img" "$1" || { echo "cannot loop-mount a btrfs image"; exit 77; }
	chmod 0755 "$1"
}

is_subvolume() { [ "$(stat -c %i "$1" 2>/dev/null)" = 256 ] && [ "$(stat -f -c %T "$1")" = btrfs ]; }
read_only() { ! touch "$1/.cella-probe" 2>/dev/null; }
# The subvolumes of the file system at $1 whose path contains $2.
subvolumes() { btrfs subvolume list "$1" | awk '{print $NF}' | grep -c -- "$2" || true; }
# Bytes only this subvolume holds (not shared with any other): 0 for a snapshot nothing was written to.
exclusive() { btrfs filesystem du -s --raw "$1" | awk 'NR == 2 {print $2}'; }
cexec() { CELLA_SOCKET="$D/s.sock" "$CELLA" exec "$@"; }

pool_body() {
	local mnt=$TEST_TMP/btrfs
	trap cleanup_daemon EXIT
	mount_btrfs "$mnt"
	start_daemon "$mnt/d"
	[ "$(cat "$D/root/storage-pool")" = btrfs ] || fail "pool not recorded as btrfs: $(cat "$D/root/storage-pool" 2>&1)"
	grep -q "storage pool: btrfs" "$D/cellad.log" || fail "no pool line in the log: $(cat "$D/cellad.log")"
	launch c1
	local img root="$D/root/instances/c1/rootfs" snap="$D/root/instances/c1/snapshots/s0/rootfs"
	img=$(ls -d "$D"/root/images/*/rootfs)
	is_subvolume "$img" || fail "the image rootfs is not a subvolume: inode $(stat -c %i "$img")"
	read_only "$img" || fail "the image subvolume is writable"
	is_subvolume "$root" || fail "the container root is not a subvolume: inode $(stat -c %i "$root")"
	[ -e "$D/root/instances/c1/upper" ] && fail "the overlay's upper/ exists in a btrfs pool"
	grep -q " $root " /proc/self/mountinfo && fail "the btrfs root is a mount"

	# A file written in the container, and 32 MiB of data the snapshot must not copy.
	cexec c1 -- sh -c 'echo original > /data.txt && dd if=/dev/urandom of=/big bs=1M count=32 2>/dev/null' ||
		fail "write in the container"
	[ "$(cat "$root/data.txt")" = original ] || fail "the write is not in the root subvolume"
	api POST /1.0/instances/c1/snapshots -d '{"name":"s0"}'
	wait_op
	[ "$(instance_status c1)" = Running ] || fail "not running after the snapshot"
	is_subvolume "$snap" || fail "the snapshot is not a subvolume: inode $(stat -c %i "$snap" 2>&1)"
	read_only "$snap" || fail "the snapshot subvolume is writable"
	[ "$(cat "$snap/data.txt")" = original ] || fail "snapshot content"
	local excl
	excl=$(exclusive "$snap")
	[ -n "$excl" ] && [ "$excl" -lt 1048576 ] || fail "the snapshot holds $excl bytes of its own: it was copied"
	api GET /1.0/instances/c1/snapshots/s0
	[ "$(jget 'd["metadata"]["storage"]')" = btrfs ] || fail "snapshot info: $BODY"

	# Change, stop, restore: the file is back, the later one gone, the root still a subvolume.
	cexec c1 -- sh -c 'echo changed > /data.txt; echo extra > /extra.txt' || fail "change"
	set_state c1 '{"action":"stop","force":true}'
	api PUT /1.0/instances/c1 -d '{"restore":"s0"}'
	wait_op
	is_subvolume "$root" || fail "the restored root is not a subvolume"
	[ -e "$D/root/instances/c1/.restore" ] && fail ".restore left behind"
	set_state c1 '{"action":"start"}'
	[ "$(cexec c1 -- cat /data.txt)" = original ] || fail "restored content: $(cexec c1 -- cat /data.txt 2>&1)"
	cexec c1 -- test -e /extra.txt && fail "/extra.txt survived the restore"
	[ "$(subvolumes "$mnt" instances/c1/)" = 2 ] || fail "expected root + s0: $(btrfs subvolume list "$mnt")"

	# A restarted cellad keeps the pool (recorded), and a second container works the same way.
	set_state c1 '{"action":"stop","force":true}'
	stop_daemon
	start_daemon "$mnt/d"
	grep -q "storage pool: btrfs (recorded" "$D/cellad.log" || fail "the restart did not use the recorded pool"
	launch c2
	is_subvolume "$D/root/instances/c2/rootfs" || fail "c2's root is not a subvolume"
	set_state c2 '{"action":"stop","force":true}'

	# Delete: the snapshot, then the instance, each take their subvolumes; then the image. c1 holds what a
	# container may make of its own: a subvolume holding another, made read-only (its owner may).
	btrfs subvolume create "$root/nested" >/dev/null && btrfs subvolume create "$root/nested/inner" >/dev/null &&
		btrfs property set -ts "$root/nested" ro true || fail "make nested subvolumes"
	api DELETE /1.0/instances/c1/snapshots/s0
	wait_op
	[ -z "$(ls -A "$D/root/instances/c1/snapshots")" ] || fail "left in snapshots/: $(ls -A "$D/root/instances/c1/snapshots")"
	api DELETE /1.0/instances/c1
	wait_op
	api DELETE /1.0/instances/c2
	wait_op
	[ -z "$(ls -A "$D/root/instances")" ] || fail "left in instances/: $(ls -A "$D/root/instances")"
	[ "$(subvolumes "$mnt" instances/)" = 0 ] || fail "subvolumes left: $(btrfs subvolume list "$mnt")"
	api DELETE "/1.0/images/$(basename "$(dirname "$img")")"
	wait_op
	[ "$(subvolumes "$mnt" images/)" = 0 ] || fail "image subvolume left: $(btrfs subvolume list "$mnt")"
	stop_daemon
	umount "$mnt"
}

case_btrfs_pool() {
	need_btrfs
	export -f pool_body wait_answer mount_btrfs is_subvolume read_only subvolumes exclusive cexec cleanup_daemon start_daemon \
		stop_daemon api jget wait_op set_state launch instance_status fail
	export CELLAD RT CELLA TEST_TMP
	unshare --mount --propagation private bash -c pool_body
}

# --storage: explicit choices, and a recorded pool that cannot change its driver.
option_body() {
	local mnt=$TEST_TMP/btrfs2
	trap cleanup_daemon EXIT
	mount_btrfs "$mnt"
	CELLAD_ARGS="--storage dir" start_daemon "$mnt/d"
	[ "$(cat "$D/root/storage-pool")" = dir ] || fail "--storage dir not recorded"
	launch c1
	is_subvolume "$D/root/instances/c1/rootfs" && fail "--storage dir made a subvolume root"
	grep -q " $D/root/instances/c1/rootfs " /proc/self/mountinfo || fail "the dir pool's root is not an overlay"
	set_state c1 '{"action":"stop","force":true}'
	stop_daemon
	local out
	out=$("$CELLAD" --root "$D/root" --socket "$D/s2.sock" --network none --storage btrfs --foreground 2>&1 </dev/null)
	[[ "$out" == *"--storage btrfs: the pool of '$D/root' is dir"* ]] || fail "a pool changed its driver: $out"
	out=$("$CELLAD" --root "$TEST_TMP/plain" --socket "$TEST_TMP/s3.sock" --network none --storage btrfs --foreground 2>&1 </dev/null)
	[[ "$out" == *"is not on a btrfs file system"* ]] || fail "--storage btrfs off btrfs: $out"
	out=$("$CELLAD" --storage zfs 2>&1 </dev/null)
	[[ "$out" == *"--storage 'zfs': expected 'dir', 'btrfs' or 'auto'"* ]] || fail "--storage zfs: $out"
	start_daemon "$mnt/d"
	api DELETE /1.0/instances/c1
	wait_op
	stop_daemon
	umount "$mnt"
}

case_storage_option() {
	need_btrfs
	"$CELLAD" --help 2>&1 | grep -q -- --storage || { echo "this cellad has no --storage option"; exit 77; }
	export -f option_body wait_answer mount_btrfs is_subvolume cleanup_daemon start_daemon stop_daemon api jget wait_op \
		set_state launch fail
	export CELLAD RT TEST_TMP
	unshare --mount --propagation private bash -c option_body
}

# Publish from a btrfs root: the root subvolume is the whole tree (no upper layer over the image).
publish_body() {
	local mnt=$TEST_TMP/btrfs3
	trap cleanup_daemon EXIT
	mount_btrfs "$mnt"
	start_daemon "$mnt/d"
	# Privileged: its root may delete an image file (in a system container image files belong to nobody).
	launch p1 '{"security.privileged": true}'
	cexec p1 -- sh -c 'echo kept > /kept.txt; rm /etc/group' || fail "change the container"
	set_state p1 '{"action":"stop","force":true}'
	api POST /1.0/images -H 'Content-Type: application/json' -d '{"source":{"type":"instance","name":"p1"},"aliases":[{"name":"pub"}]}'
	wait_op
	local fp rootfs
	fp=$(jget 'd["metadata"]["metadata"]["fingerprint"]')
	rootfs="$D/root/images/$fp/rootfs"
	is_subvolume "$rootfs" && read_only "$rootfs" || fail "the published image is not a read-only subvolume"
	[ "$(cat "$rootfs/kept.txt" 2>&1)" = kept ] || fail "the container's file is not in the published image"
	[ -e "$rootfs/etc/group" ] && fail "a file the container deleted is in the published image"
	[ -e "$rootfs/sbin/init" ] || fail "the image's files are missing from the published image"
	api DELETE /1.0/instances/p1
	wait_op
	stop_daemon
	umount "$mnt"
}

case_btrfs_publish() {
	need_btrfs
	export -f publish_body wait_answer mount_btrfs is_subvolume read_only cexec cleanup_daemon start_daemon stop_daemon api \
		jget wait_op set_state launch fail
	export CELLAD RT CELLA TEST_TMP
	unshare --mount --propagation private bash -c publish_body
}

check "btrfs pool: image and root subvolumes, instant read-only snapshots, restore swaps, deletes remove them, kept across a restart" case_btrfs_pool
check "btrfs pool: publishing a container packs its root subvolume" case_btrfs_publish
check "--storage dir|btrfs|auto: explicit choices are recorded, a pool cannot change its driver" case_storage_option
done_testing
