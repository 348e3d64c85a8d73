# Shared by the cella-vmm guest tests: run a freestanding guest, check its verdict.
# Source after lib.bash.

VMM=$CELLA_BUILD/src/vmm/cli/cella-vmm
GUEST_DIR=$CELLA_BUILD/guests

# run_guest_file FILE [cella-vmm args...]: runs $GUEST_DIR/FILE with 32 MiB under `timeout -k 5 60`;
# sets $out (serial), $err (stderr), $rc. The leak check stays on (VMM_ASAN_OPTIONS overrides).
run_guest_file() {
	local guest=$1 name
	shift
	name=$(basename "$guest")
	[ -x "$VMM" ] || fail "$VMM not built"
	[ -f "$GUEST_DIR/$guest" ] || fail "$GUEST_DIR/$guest not built"
	rc=0
	ASAN_OPTIONS=${VMM_ASAN_OPTIONS:-detect_leaks=1} timeout -k 5 60 "$VMM" --kernel "$GUEST_DIR/$guest" \
		--memory 32 "$@" </dev/null >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" || rc=$?
	out=$(cat "$TEST_TMP/$name.out")
	err=$(cat "$TEST_TMP/$name.err")
	[ $rc -ne 124 ] && [ $rc -ne 137 ] || fail "$guest: timed out after 60 s; output: $out $err"
}

expect_status() { # expected
	[ "$rc" -eq "$1" ] || fail "exit status $rc, expected $1; serial: $out; stderr: $err"
}

expect_out() { # pattern
	grep -q -- "$1" <<<"$out" || fail "serial output lacks '$1': $out; stderr: $err"
}

# A guest's debug-exit verdict 0 (pass) makes cella-vmm exit with (0 << 1) | 1 = 1.
expect_pass() {
	expect_status 1
	expect_out '^PASS$'
	! grep -q 'guest crash' <<<"$err" || fail "guest crashed: $err"
}
