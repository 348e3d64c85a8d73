#!/usr/bin/env bash
# VM snapshots (docs/snapshots.md): a guest counting in memory and on COM1
# (guests/snapshot/counter.c) is snapshotted mid-run through the control API
# and restored with `cella-vmm --restore`; the restored output must continue
# the original's exactly (no tick lost, none repeated). Also diff snapshots,
# clones (several restores of one snapshot at once, each with its own
# generation ID), refusal of damaged snapshots (exit 2) and a snapshot to a
# full file system. Needs /dev/kvm and curl; the full-disk case needs root.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/vmm_helpers.bash"

GUEST=$GUEST_DIR/snapshot/counter.elf
WAIT_S=60 # bound on every wait for guest output
export ASAN_OPTIONS=${VMM_ASAN_OPTIONS:-detect_leaks=1}

prereqs() {
	need_kvm
	need_cmd curl
	[ -x "$VMM" ] || fail "$VMM not built"
	[ -f "$GUEST" ] || fail "$GUEST not built"
}

ticks() { # FILE: how many tick lines it has (0 while it does not exist yet)
	local n
	n=$(grep -c '^tick [0-9]*$' "$1" 2>/dev/null)
	echo "${n:-0}"
}

# complete_lines FILE: FILE without a last line the guest had not finished when it was stopped.
complete_lines() {
	if [ -n "$(tail -c1 "$1")" ]; then sed '$d' "$1"; else cat "$1"; fi
}

# wait_ticks FILE N PID: until FILE has N tick lines (the VMM must stay alive), at most WAIT_S.
wait_ticks() {
	local file=$1 n=$2 pid=$3 i
	for ((i = 0; i < WAIT_S * 10; i++)); do
		[ "$(ticks "$file")" -ge "$n" ] && return 0
		kill -0 "$pid" 2>/dev/null || fail "the VMM died before $n ticks: $(tail -c 300 "$file") $(cat "$file.err" 2>/dev/null)"
		sleep 0.1
	done
	fail "no $n ticks in $file after $WAIT_S s: $(tail -c 300 "$file")"
}

# check_sequence FILE MIN: FILE holds only "counting", "genid G ID" and "tick N" lines, the ticks
# 1, 2, 3, ... with no gap and no repeat, at least MIN of them. Prints the last tick.
check_sequence() {
	awk -v min="$2" '
		/^tick [0-9]+$/ { if ($2 != last + 1) { printf "tick %d after tick %d (line %d)\n", $2, last, NR; bad = 1; exit 1 }
				  last = $2; next }
		/^genid [0-9]+ 0x[0-9a-f]+$/ || /^counting$/ { next }
		{ printf "unexpected line %d: %s\n", NR, $0; bad = 1; exit 1 }
		END { if (!bad && last < min) { printf "only %d ticks, expected at least %d\n", last, min; exit 1 }
		      if (!bad) print last }' "$1"
}

# start_original DIR [cella-vmm args]: boots the counter with an API socket; sets $pid.
start_original() {
	local dir=$1
	shift
	mkdir -p "$dir"
	"$VMM" --kernel "$GUEST" --memory 32 --console "file:$dir/orig.log" --api-socket "$dir/api.sock" "$@" \
		</dev/null >/dev/null 2>"$dir/orig.log.err" &
	pid=$!
	PIDS+=("$pid")
	wait_socket "$dir/api.sock" "$pid" "$dir/orig.log.err"
}

# restore_bg SNAPSHOT LOG: starts a restore in the background; sets $rpid.
restore_bg() {
	"$VMM" --restore "$1" --console "file:$2" </dev/null >/dev/null 2>"$2.err" &
	rpid=$!
	PIDS+=("$rpid")
}

# A paused snapshot of a counter that has ticked 3 times; sets $snap, $prefix (the output up to the
# snapshot) and $last (its last complete tick).
make_snapshot() {
	local dir=$TEST_TMP/$1 len
	start_original "$dir"
	wait_ticks "$dir/orig.log" 3 "$pid"
	snap=$dir/snap
	snapshot "$dir/api.sock" "$snap" full false
	grep -q '"state": *"paused"' <<<"$(vm_api "$dir/api.sock" http://localhost/vm)" || fail "not paused after the snapshot"
	len=$(stat -c %s "$dir/orig.log")
	wait_exit "$pid" 143 TERM
	prefix=$dir/prefix
	head -c "$len" "$dir/orig.log" >"$prefix"
	last=$(complete_lines "$prefix" | check_sequence /dev/stdin 3) || fail "original output: $last"
}

# continues PREFIX LOG: PREFIX + LOG is one unbroken sequence that goes 3 ticks past PREFIX.
continues() {
	local base out
	base=$(complete_lines "$1" | check_sequence /dev/stdin 1) || fail "prefix: $base"
	cat "$1" "$2" >"$2.joined"
	out=$(complete_lines "$2.joined" | check_sequence /dev/stdin $((base + 3))) ||
		fail "restored output does not continue the original: $out; restored: $(head -c 200 "$2")"
	grep -q '^genid 1 ' "$2" || fail "the restored guest did not see generation 1: $(head -c 200 "$2")"
}

genid_of() { grep -m1 '^genid 1 ' "$1" | cut -d' ' -f3; }

case_restore_twice() {
	prereqs
	trap kill_vms EXIT
	make_snapshot twice
	for i in 1 2; do
		restore_bg "$snap" "$TEST_TMP/r$i.log"
		wait_ticks "$TEST_TMP/r$i.log" 3 "$rpid"
		wait_exit "$rpid" 143 TERM
		grep -q "restored $snap: vCPUs running" "$TEST_TMP/r$i.log.err" || fail "no restore line: $(cat "$TEST_TMP/r$i.log.err")"
		continues "$prefix" "$TEST_TMP/r$i.log"
	done
	[ "$(genid_of "$TEST_TMP/r1.log")" != "$(genid_of "$TEST_TMP/r2.log")" ] ||
		fail "two restores share a generation ID"
}

case_clones() {
	prereqs
	trap kill_vms EXIT
	local pids=() i
	make_snapshot clones
	for i in 1 2 3; do
		restore_bg "$snap" "$TEST_TMP/c$i.log"
		pids+=("$rpid")
	done
	for i in 1 2 3; do wait_ticks "$TEST_TMP/c$i.log" 3 "${pids[i - 1]}"; done
	for i in 1 2 3; do wait_exit "${pids[i - 1]}" 143 TERM; done
	for i in 1 2 3; do continues "$prefix" "$TEST_TMP/c$i.log"; done
	[ "$(for i in 1 2 3; do genid_of "$TEST_TMP/c$i.log"; done | sort -u | wc -l)" -eq 3 ] ||
		fail "clones share a generation ID: $(grep -h genid "$TEST_TMP"/c?.log)"
}

case_diff() {
	prereqs
	trap kill_vms EXIT
	local dir=$TEST_TMP/diff len1 len2
	start_original "$dir"
	wait_ticks "$dir/orig.log" 2 "$pid"
	snapshot "$dir/api.sock" "$dir/full" full false
	len1=$(stat -c %s "$dir/orig.log")
	[ "$(vm_api "$dir/api.sock" -o /dev/null -w '%{http_code}' -X PUT -d '{"state":"running"}' http://localhost/vm/state)" = 204 ] ||
		fail "cannot resume"
	wait_ticks "$dir/orig.log" $(($(ticks "$dir/orig.log") + 3)) "$pid"
	snapshot "$dir/api.sock" "$dir/diff" diff false
	len2=$(stat -c %s "$dir/orig.log")
	wait_exit "$pid" 143 TERM
	[ "$(od -An -tu4 -j16 -N4 "$dir/diff/state" | tr -d ' ')" = 1 ] || fail "the diff snapshot is not flagged DIFF"
	[ "$(od -An -tu4 -j16 -N4 "$dir/full/state" | tr -d ' ')" = 0 ] || fail "the full snapshot is flagged DIFF"
	head -c "$len1" "$dir/orig.log" >"$dir/prefix1"
	head -c "$len2" "$dir/orig.log" >"$dir/prefix2"
	restore_bg "$dir/diff" "$dir/r2.log"
	wait_ticks "$dir/r2.log" 3 "$rpid"
	wait_exit "$rpid" 143 TERM
	continues "$dir/prefix2" "$dir/r2.log"
	# The base is untouched by the diff's restore and still restores to the earlier point.
	restore_bg "$dir/full" "$dir/r1.log"
	wait_ticks "$dir/r1.log" 3 "$rpid"
	wait_exit "$rpid" 143 TERM
	continues "$dir/prefix1" "$dir/r1.log"
}

# expect_refused SNAPSHOT PATTERN: --restore exits 2 with an error matching PATTERN, starting nothing.
expect_refused() {
	local rc=0 err
	timeout -k 5 "$WAIT_S" "$VMM" --restore "$1" --console none </dev/null >/dev/null 2>"$TEST_TMP/refused.err" || rc=$?
	err=$(cat "$TEST_TMP/refused.err")
	[ "$rc" -eq 2 ] || fail "--restore $1: exit $rc, expected 2: $err"
	grep -qE "$2" <<<"$err" || fail "--restore $1: message does not match '$2': $err"
}

# patch FILE OFFSET BYTES...: overwrites bytes (hex) in place.
patch() {
	local file=$1 off=$2 b
	shift 2
	for b in "$@"; do
		printf '%b' "\\x$b" | dd of="$file" bs=1 seek="$off" conv=notrunc status=none
		off=$((off + 1))
	done
}

case_refused() {
	prereqs
	trap kill_vms EXIT
	local bad=$TEST_TMP/bad size
	make_snapshot refused
	size=$(stat -c %s "$snap/state")

	cp -r "$snap" "$bad.flip" && patch "$bad.flip/state" 200 ff ff ff ff
	expect_refused "$bad.flip" 'checksum mismatch'
	cp -r "$snap" "$bad.trunc" && truncate -s $((size - 100)) "$bad.trunc/state"
	expect_refused "$bad.trunc" 'truncated'
	cp -r "$snap" "$bad.major" && patch "$bad.major/state" 8 02 00
	expect_refused "$bad.major" 'format version 2\.0 is newer'
	cp -r "$snap" "$bad.mem" && truncate -s 1M "$bad.mem/memory"
	expect_refused "$bad.mem" 'memory'
	expect_refused "$TEST_TMP/no-such-snapshot" 'No such file'
	# A snapshot from a CPU of another vendor: checksums fixed up, so only the CPUID check can refuse it.
	if command -v python3 >/dev/null; then
		cp -r "$snap" "$bad.vendor"
		python3 - "$bad.vendor/state" <<'EOF' || fail "cannot patch the CPUID section"
import struct, sys, zlib
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
hsize, nsec, toff = struct.unpack_from('<I', b, 12)[0], struct.unpack_from('<I', b, 20)[0], struct.unpack_from('<Q', b, 24)[0]
for i in range(nsec):
    e = toff + 64 * i
    if b[e:e + 32].rstrip(b'\0') != b'vcpu.0.cpuid':
        continue
    off, ln = struct.unpack_from('<QQ', b, e + 40)
    for j in range(struct.unpack_from('<I', b, off)[0]):
        ent = off + 8 + 40 * j
        if struct.unpack_from('<I', b, ent)[0] == 0:
            intel = b[ent + 16:ent + 20] == b'Genu'
            ebx, edx, ecx = (b'Auth', b'enti', b'cAMD') if intel else (b'Genu', b'ineI', b'ntel')
            b[ent + 16:ent + 20], b[ent + 24:ent + 28], b[ent + 20:ent + 24] = ebx, edx, ecx
    struct.pack_into('<I', b, e + 36, zlib.crc32(bytes(b[off:off + ln])))
struct.pack_into('<I', b, 40, zlib.crc32(bytes(b[toff:toff + 64 * nsec])))
struct.pack_into('<I', b, hsize - 4, zlib.crc32(bytes(b[:hsize - 4])))
open(p, 'wb').write(b)
EOF
		expect_refused "$bad.vendor" 'vendor'
	fi
	# The original is still good.
	restore_bg "$snap" "$TEST_TMP/good.log"
	wait_ticks "$TEST_TMP/good.log" 1 "$rpid"
	wait_exit "$rpid" 143 TERM
}

rss_shmem_kib() { awk '/^RssShmem:/ {print $2}' "/proc/$1/status"; }

# Scanning guest RAM for the snapshot must not allocate the pages the guest never touched.
case_untouched_memory() {
	prereqs
	trap kill_vms EXIT
	local dir=$TEST_TMP/untouched before after
	start_original "$dir" --memory 512
	wait_ticks "$dir/orig.log" 1 "$pid"
	before=$(rss_shmem_kib "$pid")
	snapshot "$dir/api.sock" "$dir/snap" full true
	after=$(rss_shmem_kib "$pid")
	if [ -z "$before" ] || [ -z "$after" ]; then fail "no RssShmem in /proc/$pid/status"; fi
	[ $((after - before)) -lt 16384 ] || fail "guest RAM resident grew from $before to $after KiB during the snapshot"
	wait_ticks "$dir/orig.log" $(($(ticks "$dir/orig.log") + 1)) "$pid"
	wait_exit "$pid" 143 TERM
}

# Runs inside a private mount namespace: the loop mount goes away with it, whatever happens.
full_disk_body() {
	local mnt=$TEST_TMP/fullfs dir=$TEST_TMP/full code free before after
	trap kill_vms EXIT
	mkdir -p "$mnt"
	truncate -s 16M "$TEST_TMP/fs.img"
	mkfs.ext4 -q -F "$TEST_TMP/fs.img" || fail "mkfs.ext4"
	mount -o loop "$TEST_TMP/fs.img" "$mnt" || fail "cannot loop-mount an ext4 image"
	# 4 MiB of non-zero guest memory: fits the empty file system, not a nearly full one.
	start_original "$dir" --cmdline touch=4
	wait_ticks "$dir/orig.log" 2 "$pid"
	snapshot "$dir/api.sock" "$mnt/snap" full true
	before=$(md5sum <"$mnt/snap/state")
	free=$(df -k --output=avail "$mnt" | tail -n1 | tr -d ' ')
	fallocate -l $(((free - 1024) * 1024)) "$mnt/filler" || fail "cannot fill the file system"
	code=$(vm_api "$dir/api.sock" -o "$TEST_TMP/full.resp" -w '%{http_code}' -X PUT \
		-d "{\"path\":\"$mnt/snap\",\"type\":\"full\",\"resume\":true}" http://localhost/vm/snapshot)
	[ "$code" = 500 ] || fail "snapshot to a full file system: HTTP $code $(cat "$TEST_TMP/full.resp")"
	grep -q 'No space left on device' "$TEST_TMP/full.resp" || fail "unclear error: $(cat "$TEST_TMP/full.resp")"
	after=$(md5sum <"$mnt/snap/state")
	[ "$before" = "$after" ] || fail "the previous snapshot was changed"
	[ -z "$(find "$mnt" -maxdepth 1 -name 'snap.tmp.*')" ] || fail "temporary files left: $(ls "$mnt")"
	grep -q '"state": *"running"' <<<"$(vm_api "$dir/api.sock" http://localhost/vm)" || fail "the VM is not running"
	wait_ticks "$dir/orig.log" $(($(ticks "$dir/orig.log") + 2)) "$pid"
	wait_exit "$pid" 143 TERM
	complete_lines "$dir/orig.log" | check_sequence /dev/stdin 4 >/dev/null || fail "the VM's output broke"
	umount "$mnt"
}

case_full_disk() {
	prereqs
	need_root
	need_cmd mkfs.ext4
	need_cmd unshare
	need_cmd fallocate
	export -f full_disk_body kill_vms vm_api ticks wait_ticks wait_socket wait_exit check_sequence complete_lines start_original \
		snapshot fail need_cmd
	export VMM GUEST WAIT_S TEST_TMP
	unshare --mount --propagation private bash -c 'PIDS=(); full_disk_body'
}

check "snapshot mid-run, restored twice: output continues exactly, new generation ID each time" case_restore_twice
check "three clones restored from one snapshot at once, each continues, distinct generation IDs" case_clones
check "diff snapshot restores to the later point; its base still restores to the earlier one" case_diff
check "corrupt, truncated, newer-version, wrong-vendor snapshots refused (exit 2, clear message)" case_refused
check "a full snapshot of a 512 MiB guest does not allocate its untouched RAM" case_untouched_memory
check "snapshot to a full file system fails cleanly, keeps the previous one, VM keeps running" case_full_disk
done_testing
