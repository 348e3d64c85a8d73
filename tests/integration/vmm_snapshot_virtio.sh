#!/usr/bin/env bash
# Snapshots of VMs with virtio devices (docs/snapshots.md, "Virtio and PCI
# devices"): the blk-writer guest (guests/snapshot/blk-writer.c) writes sector
# N = N to a virtio-blk disk with 4 requests in flight and prints "done N" per
# completion. It is snapshotted mid-run; each restore, from a fresh copy of the
# disk as it was at the snapshot (the snapshot's disk state is the image file
# at that instant: copying it is the user's part, as with Firecracker), must
# finish every sector exactly once (the original's output up to the snapshot
# plus the restored output) and leave sector N holding N. Also: a snapshot
# whose disk image is gone, an unknown --restore-device id and --disk with
# --restore are refused (exit 2) before the guest runs; a diff snapshot of a VM
# whose disk reads filled RAM behind KVM's dirty log (the device dirty log
# records them) restores with every buffer the device filled; a clone gets a
# new MAC, TAP and vsock CID through --restore-device while keeping the
# original's TAP is refused.
# Needs /dev/kvm and curl (the diff case perl); the clone case needs root and /dev/net/tun.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/vmm_helpers.bash"

GUEST=$GUEST_DIR/snapshot/blk-writer.elf
WAIT_S=120 # bound on every wait for the guest
SECTORS=3000
export ASAN_OPTIONS=${VMM_ASAN_OPTIONS:-detect_leaks=1}

prereqs() {
	need_kvm
	need_cmd curl
	[ -x "$VMM" ] || fail "$VMM not built"
	[ -f "$GUEST" ] || fail "$GUEST not built"
}

dones() { # FILE: how many "done" lines it has (0 while it does not exist yet)
	local n
	n=$(grep -c '^done [0-9]*$' "$1" 2>/dev/null)
	echo "${n:-0}"
}

# wait_dones FILE N PID: until FILE has N "done" lines (the VMM must stay alive), at most WAIT_S.
wait_dones() {
	local i
	for ((i = 0; i < WAIT_S * 10; i++)); do
		[ "$(dones "$1")" -ge "$2" ] && return 0
		kill -0 "$3" 2>/dev/null || fail "the VMM died before $2 writes: $(tail -c 300 "$1") $(cat "$1.err" 2>/dev/null)"
		sleep 0.1
	done
	fail "no $2 writes in $1 after $WAIT_S s: $(tail -c 300 "$1")"
}

# start_original DIR N [cella-vmm args]: the writer on DIR/disk.img (id disk0, plus $DISK_OPTS), until N
# writes are done.
start_original() {
	local dir=$1 n=$2
	shift 2
	mkdir -p "$dir"
	truncate -s 4M "$dir/disk.img"
	"$VMM" --kernel "$GUEST" --memory 32 --cmdline "stop=$SECTORS" --disk "path=$dir/disk.img,id=disk0${DISK_OPTS:-}" \
		--console "file:$dir/orig.log" --api-socket "$dir/api.sock" "$@" </dev/null >/dev/null 2>"$dir/orig.log.err" &
	pid=$!
	PIDS+=("$pid")
	wait_socket "$dir/api.sock" "$pid" "$dir/orig.log.err"
	wait_dones "$dir/orig.log" "$n" "$pid"
}

# check_log FILE: every sector 1..SECTORS "done" exactly once, nothing unexpected, PASS at the end.
check_log() {
	awk -v n="$SECTORS" '
		/^done [0-9]+$/ { if (seen[$2]++) { printf "sector %d done twice (line %d)\n", $2, NR; exit 1 }
				  if ($2 < 1 || $2 > n) { printf "sector %d out of range\n", $2; exit 1 }
				  count++; next }
		/^genid [0-9]+$/ || /^writing$/ || /^reading$/ || /^verified [0-9]+$/ || /^mac [0-9a-f:]+$/ ||
		/^cid [0-9]+$/ || /^PASS$/ { next }
		{ printf "unexpected line %d: %s\n", NR, $0; exit 1 }
		END { if (count != n) { for (i = 1; i <= n; i++) if (!seen[i]) { printf "sector %d never done\n", i; exit 1 } } }' "$1"
}

# check_disk IMAGE: sector N holds the 32-bit value N 128 times for N in 1..SECTORS.
check_disk() {
	od -An -tu4 -w512 -v "$1" | awk -v n="$SECTORS" '
		NR > 1 && NR <= n + 1 { s = NR - 1; for (i = 1; i <= 128; i++) if ($i != s) { printf "sector %d holds %s\n", s, $i; exit 1 } }'
}

# A paused snapshot of the writer with at least 300 sectors done; sets $dir, $snap and $prefix (the
# output up to the snapshot); DIR/snap-disk.img is the disk as it was at the snapshot.
make_snapshot() {
	local len
	dir=$TEST_TMP/$1
	start_original "$dir" 300
	snap=$dir/snap
	snapshot "$dir/api.sock" "$snap"
	len=$(stat -c %s "$dir/orig.log")
	# Paused and quiesced: the image is exactly the snapshot's disk state now.
	cp --sparse=always "$dir/disk.img" "$dir/snap-disk.img"
	wait_exit "$pid" 143 TERM
	prefix=$dir/prefix
	head -c "$len" "$dir/orig.log" >"$prefix"
	[ "$(dones "$prefix")" -lt "$SECTORS" ] || fail "the writer finished before the snapshot"
}

case_inflight_twice() {
	prereqs
	trap kill_vms EXIT
	local i sum out
	# An IOPS limit keeps requests waiting: at the snapshot one is popped and held by the rate
	# limiter (drained first) and others sit unpopped in the avail ring (picked up after restore).
	DISK_OPTS=,iops=2000
	make_snapshot twice
	sum=$(md5sum <"$dir/snap-disk.img")
	for i in 1 2; do
		cp --sparse=always "$dir/snap-disk.img" "$dir/disk-$i.img"
		"$VMM" --restore "$snap" --restore-device "disk0:path=$dir/disk-$i.img" --console "file:$dir/r$i.log" \
			</dev/null >/dev/null 2>"$dir/r$i.log.err" &
		rpid=$!
		PIDS+=("$rpid")
		wait_exit "$rpid" 1 # PASS
		grep -q "restored $snap: vCPUs running" "$dir/r$i.log.err" || fail "no restore line: $(cat "$dir/r$i.log.err")"
		grep -q '^genid 1$' "$dir/r$i.log" || fail "restore $i: not generation 1: $(head -c 200 "$dir/r$i.log")"
		out=$(cat "$prefix" "$dir/r$i.log" | check_log /dev/stdin) || fail "restore $i: $out"
		out=$(check_disk "$dir/disk-$i.img") || fail "restore $i: disk: $out"
	done
	[ "$sum" = "$(md5sum <"$dir/snap-disk.img")" ] || fail "the snapshot's disk copy changed"
	echo "original: $(dones "$prefix") writes before the snapshot; each restore finished the other $((SECTORS - $(dones "$prefix")))"
}

case_refused() {
	prereqs
	trap kill_vms EXIT
	local rc
	make_snapshot refused
	# expect_refused NAME MESSAGE ARGS...: exit 2, MESSAGE on stderr, the guest never ran.
	expect_refused() {
		local name=$1 msg=$2
		shift 2
		rc=0
		"$VMM" "$@" --console "file:$dir/$name.log" </dev/null >/dev/null 2>"$dir/$name.err" || rc=$?
		[ "$rc" = 2 ] || fail "$name: exit $rc, expected 2: $(cat "$dir/$name.err")"
		grep -qF -- "$msg" "$dir/$name.err" || fail "$name: unclear message: $(cat "$dir/$name.err")"
		[ ! -s "$dir/$name.log" ] || fail "$name: the guest ran: $(head -c 100 "$dir/$name.log")"
	}
	expect_refused unknown-id "--restore-device nosuch: the snapshot has no device with that id" \
		--restore "$snap" --restore-device "nosuch:path=$dir/disk.img"
	expect_refused with-disk "drop --disk" --restore "$snap" --disk "path=$dir/disk.img"
	expect_refused id-change "a restored device keeps its id" --restore "$snap" --restore-device "disk0:id=other"
	rm "$dir/disk.img"
	expect_refused image-gone "--restore $snap: dev.virtio.0 (disk0): path: cannot open $dir/disk.img" \
		--restore "$snap"
	cat "$dir/image-gone.err"
}

# Diff snapshots with a virtio device: the device writes RAM behind KVM's dirty log (disk reads), so
# only the device dirty log puts those pages into the diff. The reader (read=1) reads sector N into
# a RAM buffer of its own that the guest never writes; a full snapshot after 300 reads, 600 more,
# then a diff (paused) that is restored (merged onto the full one): the restored guest finishes
# every read once and its final check finds every buffer filled before the diff intact (a page
# missing from the diff comes back as the full snapshot's zeros).
case_diff_device_reads() {
	prereqs
	need_cmd perl
	trap kill_vms EXIT
	local base len out diff_kib
	dir=$TEST_TMP/diffreads
	mkdir -p "$dir"
	# Sector N holds the u32 N 128 times, as the writer leaves it.
	perl -e 'print pack("V", $_) x 128 for 0 .. $ARGV[0]' "$SECTORS" >"$dir/disk.img"
	"$VMM" --kernel "$GUEST" --memory 32 --cmdline "stop=$SECTORS read=1" \
		--disk "path=$dir/disk.img,id=disk0,iops=1000" --console "file:$dir/orig.log" \
		--api-socket "$dir/api.sock" </dev/null >/dev/null 2>"$dir/orig.log.err" &
	pid=$!
	PIDS+=("$pid")
	wait_socket "$dir/api.sock" "$pid" "$dir/orig.log.err"
	wait_dones "$dir/orig.log" 300 "$pid"
	snapshot "$dir/api.sock" "$dir/full" full true
	base=$(dones "$dir/orig.log")
	wait_dones "$dir/orig.log" $((base + 600)) "$pid"
	snapshot "$dir/api.sock" "$dir/diff" diff false
	len=$(stat -c %s "$dir/orig.log")
	wait_exit "$pid" 143 TERM
	head -c "$len" "$dir/orig.log" >"$dir/prefix"
	[ "$(dones "$dir/prefix")" -lt "$SECTORS" ] || fail "the reader finished before the diff snapshot"
	[ "$(od -An -tu4 -j16 -N4 "$dir/diff/state" | tr -d ' ')" = 1 ] || fail "the diff snapshot is not flagged DIFF"
	diff_kib=$(du -k "$dir/diff/memory" | cut -f1) # before the restore merges it onto the full one
	"$VMM" --restore "$dir/diff" --console "file:$dir/r.log" </dev/null >/dev/null 2>"$dir/r.log.err" &
	rpid=$!
	PIDS+=("$rpid")
	wait_exit "$rpid" 1 "" "$dir/r.log" # PASS
	grep -q "^verified $SECTORS$" "$dir/r.log" || fail "restored reader: $(tail -c 300 "$dir/r.log") $(cat "$dir/r.log.err")"
	out=$(cat "$dir/prefix" "$dir/r.log" | check_log /dev/stdin) || fail "restored reader: $out"
	echo "reads: $base before the full snapshot, $(($(dones "$dir/prefix") - base)) more before the diff;" \
		"the diff's memory file had $diff_kib KiB allocated"
}

case_clone_identity() {
	prereqs
	need_root
	[ -c /dev/net/tun ] || { echo "needs /dev/net/tun"; exit 77; }
	trap kill_vms EXIT
	local tap=cs$$a tap2=cs$$b out
	dir=$TEST_TMP/clone
	mkdir -p "$dir"
	start_original "$dir" 100 --net "tap=$tap,id=net0,mac=02:00:00:00:00:01" --vsock "cid=5,socket=$dir/v.sock,id=vsock0"
	grep -q '^mac 02:00:00:00:00:01$' "$dir/orig.log" && grep -q '^cid 5$' "$dir/orig.log" ||
		fail "the original's identity: $(head -c 200 "$dir/orig.log")"
	snapshot "$dir/api.sock" "$dir/snap"
	cp --sparse=always "$dir/disk.img" "$dir/snap-disk.img"
	# The original still holds its TAP (paused, not gone): a clone on the same TAP is refused.
	rc=0
	"$VMM" --restore "$dir/snap" --restore-device "disk0:path=$dir/snap-disk.img" --console "file:$dir/same.log" \
		</dev/null >/dev/null 2>"$dir/same.err" || rc=$?
	[ "$rc" = 2 ] && grep -q "dev.virtio.1 (net0): tap: cannot attach to $tap" "$dir/same.err" ||
		fail "a clone on the original's TAP: exit $rc: $(cat "$dir/same.err")"
	"$VMM" --restore "$dir/snap" --restore-device "disk0:path=$dir/snap-disk.img" \
		--restore-device "net0:tap=$tap2,mac=02:00:00:00:00:02" --restore-device "vsock0:cid=7,socket=$dir/v2.sock" \
		--console "file:$dir/clone.log" </dev/null >/dev/null 2>"$dir/clone.err" &
	rpid=$!
	PIDS+=("$rpid")
	wait_exit "$rpid" 1
	out=$(grep -A2 '^genid 1$' "$dir/clone.log" | tr '\n' ' ')
	[ "$out" = "genid 1 mac 02:00:00:00:00:02 cid 7 " ] || fail "the clone's identity: '$out'"
	wait_exit "$pid" 143 TERM
}

check "blk writes in flight at a snapshot: two restores from fresh disk copies each write every sector once" case_inflight_twice
check "refused before the guest runs: disk image gone, unknown device id, --disk, id change" case_refused
check "diff snapshot after disk reads into RAM (device dirty log): the restored guest finds every buffer intact" case_diff_device_reads
check "clone identity: new TAP, MAC and vsock CID with --restore-device; the original's TAP is refused" case_clone_identity
done_testing
