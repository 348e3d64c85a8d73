# Integration-test harness: TAP output, skip reasons, prerequisites.
# Source it, define cases with `check "name" function`, end with `done_testing`.
#   check NAME FN [ARGS...]  runs FN in a subshell; exit 0 = ok, 77 = skip (reason on stdout's last line)
#   skip NAME REASON         reports a skipped case
#   need_root / need_kvm / need_cmd CMD: called inside a case, skip it with the reason
set -u

CELLA_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CELLA_BUILD=${CELLA_BUILD:-$CELLA_TOP/build-asan}
CELLA_RELEASE_BUILD=${CELLA_RELEASE_BUILD:-$CELLA_TOP/build}
_tap_n=0
_tap_failed=0
TEST_TMP=$(mktemp -d -t cella-it.XXXXXX)
trap 'rm -rf "$TEST_TMP"' EXIT

skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1 # SKIP $2"
}

# A case that hangs must not take the suite (or CI) with it: each case runs under a
# watchdog, CELLA_CASE_TIMEOUT seconds (a suite may raise it before a long case).
CELLA_CASE_TIMEOUT=${CELLA_CASE_TIMEOUT:-300}

# Kills a process and all its descendants, children first found, then the tree.
_kill_tree() {
	local pid=$1 sig=$2 child
	for child in $(pgrep -P "$pid" 2>/dev/null); do
		_kill_tree "$child" "$sig"
	done
	kill "-$sig" "$pid" 2>/dev/null
}

check() {
	local name=$1 out rc case_pid watchdog outfile="$TEST_TMP/.case-output" flag="$TEST_TMP/.case-timeout"
	shift
	_tap_n=$((_tap_n + 1))
	rm -f "$flag"
	# The output goes to a file, not a pipe: a process the case left behind holding the
	# pipe would otherwise keep the harness waiting for EOF.
	("$@") >"$outfile" 2>&1 </dev/null &
	case_pid=$!
	(
		trap 'kill $sleeper 2>/dev/null; exit 0' TERM
		sleep "$CELLA_CASE_TIMEOUT" &
		sleeper=$!
		wait $sleeper
		echo >"$flag"
		_kill_tree "$case_pid" TERM
		sleep 5 &
		sleeper=$!
		wait $sleeper
		_kill_tree "$case_pid" KILL
	) >/dev/null 2>&1 &
	watchdog=$!
	wait $case_pid
	rc=$?
	kill $watchdog 2>/dev/null
	wait $watchdog 2>/dev/null
	out=$(cat "$outfile")
	rm -f "$outfile"
	if [ -e "$flag" ]; then
		rm -f "$flag"
		rc=124
		out+=$'\n'"FAILED: the case did not finish within $CELLA_CASE_TIMEOUT s (CELLA_CASE_TIMEOUT) and was killed"
	fi
	if [ $rc -eq 0 ]; then
		echo "ok $_tap_n - $name"
	elif [ $rc -eq 77 ]; then
		echo "ok $_tap_n - $name # SKIP $(printf '%s\n' "$out" | tail -n1)"
	else
		echo "not ok $_tap_n - $name (exit $rc)"
		printf '%s\n' "$out" | tail -n 25 | sed 's/^/#   /'
		_tap_failed=$((_tap_failed + 1))
	fi
}

# Inside a case: fail with a message.
fail() {
	echo "FAILED: $*"
	exit 1
}

# Inside a case: assert that a command succeeds.
expect() {
	"$@" || fail "expected success: $*"
}

need_root() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root"; exit 77; }
}

need_cmd() {
	command -v "$1" >/dev/null 2>&1 || { echo "needs $1 (not installed)"; exit 77; }
}

# /dev/kvm present and a VM can be created.
kvm_usable() {
	[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]
}

need_kvm() {
	kvm_usable || { echo "needs a usable /dev/kvm"; exit 77; }
}

done_testing() {
	echo "1..$_tap_n"
	if [ $_tap_failed -ne 0 ]; then
		echo "FAILED: $_tap_failed failed case(s)"
		exit 1
	fi
	exit 0
}
