# For the third-party client tests (podman, ctr): put a wrapper in front of the runtime under test that logs
# every call, so a case can prove the client really drove it. Source after lib.bash, with $RUNTIME and
# $RUNTIME_LOG set.

# Replaces $RUNTIME by the logging wrapper; $RUNTIME_REAL keeps the real binary.
wrap_runtime_with_call_log() {
	mkdir -p "$TEST_TMP/bin"
	printf '#!/bin/sh\necho "$*" >>"%s"\nexec "%s" "$@"\n' "$RUNTIME_LOG" "$RUNTIME" >"$TEST_TMP/bin/cella-runtime"
	chmod +x "$TEST_TMP/bin/cella-runtime"
	RUNTIME_REAL=$RUNTIME
	RUNTIME=$TEST_TMP/bin/cella-runtime
}

# Fails unless the runtime under test was called with COMMAND.
expect_runtime_called() {
	grep -Eq "(^| )$1( |$)" "$RUNTIME_LOG" 2>/dev/null ||
		fail "the runtime under test ($RUNTIME_REAL) was never called with '$1'"
}
