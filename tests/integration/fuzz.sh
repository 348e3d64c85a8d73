#!/usr/bin/env bash
# The libFuzzer harnesses (tests/fuzz/) built with clang and run for a bounded time each
# (CELLA_FUZZ_SECONDS, default 10) from the seeds kept in the repository: any crash, leak,
# sanitizer report, timeout or violated property fails the case and shows the fuzzer's report.
# Longer runs are documented in tests/fuzz/*/README.md.
source "$(dirname "$0")/lib.bash"

SECS=${CELLA_FUZZ_SECONDS:-10}
OUT=$TEST_TMP/fuzz

build_fuzzers() {
	need_cmd clang
	# -fsanitize=fuzzer needs clang's runtime (Debian: libclang-rt-14-dev)
	echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
		>"$TEST_TMP/probe.c"
	clang -fsanitize=fuzzer "$TEST_TMP/probe.c" -o "$TEST_TMP/probe" 2>/dev/null ||
		{ echo "needs clang's libFuzzer runtime (libclang-rt-14-dev)"; exit 77; }
	out=$("$CELLA_TOP/tests/fuzz/build-all.sh" "$OUT" 2>&1) || fail "build failed: $out"
}

# run_fuzzer NAME MAX_LEN [SEED_DIR]: SECS seconds on a scratch corpus seeded from SEED_DIR.
run_fuzzer() {
	local name=$1 max_len=$2 seeds=${3:-} corpus=$TEST_TMP/corpus-$1 log=$TEST_TMP/$1.log rc
	[ -x "$OUT/$name" ] || fail "$name was not built (see the first case)"
	mkdir -p "$corpus"
	[ -n "$seeds" ] && cp "$seeds"/* "$corpus/"
	# A temporary directory of its own: the device harnesses create sockets and images there.
	(cd "$TEST_TMP" && TMPDIR=$TEST_TMP timeout -k 10 $((SECS + 60)) "$OUT/$name" -max_total_time="$SECS" \
		-max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$corpus" >"$log" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		grep -m1 -A20 -E "ERROR|SUMMARY|deadly|abort|timeout" "$log" | head -30
		fail "$name exited with status $rc after $(grep -c . "$log") log lines"
	fi
	grep -q "Done [0-9]* runs" "$log" || fail "$name did not report its runs: $(tail -3 "$log")"
	echo "# $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$log"), $(grep -o 'cov: [0-9]*' "$log" | tail -1)"
}

make_boot_seeds() {
	mkdir -p "$TEST_TMP/seeds-boot"
	python3 "$CELLA_TOP/tests/fuzz/make-seeds.py" "$TEST_TMP/seeds-boot" >/dev/null || fail "make-seeds.py failed"
	run_fuzzer fuzz-boot 65536 "$TEST_TMP/seeds-boot"
}

check "fuzzers build with clang (ASan, UBSan, libFuzzer)" build_fuzzers
check "fuzz-boot: kernel loaders, ${SECS} s from the seeds" make_boot_seeds
check "fuzz-virtqueue: split virtqueue walker, ${SECS} s" run_fuzzer fuzz-virtqueue 24000 \
	"$CELLA_TOP/tests/fuzz/virtio/seeds/virtqueue"
check "fuzz-virtio-pci: transport registers, ${SECS} s" run_fuzzer fuzz-virtio-pci 4096 \
	"$CELLA_TOP/tests/fuzz/virtio/seeds/virtio-pci"
check "fuzz-blk-req: virtio-blk request parser, ${SECS} s" run_fuzzer fuzz-blk-req 4096 \
	"$CELLA_TOP/tests/fuzz/vdev/seeds/blk-req"
check "fuzz-vsock-pkt: virtio-vsock packet parser, ${SECS} s" run_fuzzer fuzz-vsock-pkt 4096 \
	"$CELLA_TOP/tests/fuzz/vdev/seeds/vsock-pkt"
check "fuzz-blk-dev: whole virtio-blk device, ${SECS} s" run_fuzzer fuzz-blk-dev 2048
check "fuzz-vsock-dev: whole virtio-vsock device, ${SECS} s" run_fuzzer fuzz-vsock-dev 2048
done_testing
