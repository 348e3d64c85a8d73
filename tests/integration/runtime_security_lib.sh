#!/usr/bin/env bash
# Process security of the OCI runtime (src/runtime/security), applied for real:
# a driver parses a config.json, forks, applies it in the child as the runtime
# does just before execve, and execs a command that reports what it got.
source "$(dirname "$0")/lib.bash"

DRIVER=$CELLA_BUILD/tests/unit/runtime/security/security-driver

# write_config FILE PROCESS_MEMBERS [LINUX_MEMBERS]
write_config() {
	printf '{"ociVersion":"1.2.0","process":{%s},"linux":{%s}}\n' "$2" "${3:-}" >"$1"
}

need_driver() {
	[ -x "$DRIVER" ] || fail "$DRIVER missing: build $CELLA_BUILD first"
}

# Bit N of a hex capability mask from /proc/self/status.
have_cap() {
	local mask
	mask=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
	(((0x$mask >> $1) & 1))
}

seccomp_errno_blocks_mkdir() {
	need_root
	need_driver
	local d=$TEST_TMP/errno out rc
	mkdir -p "$d"
	# Without noNewPrivileges and without CAP_SYS_ADMIN in the final sets: the
	# filter is loaded with CAP_SYS_ADMIN kept for the purpose, then dropped.
	write_config "$d/config.json" \
		'"user":{"uid":0,"gid":0},"capabilities":{"bounding":["CAP_KILL"],"effective":["CAP_KILL"],"permitted":["CAP_KILL"]}' \
		'"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}'
	out=$("$DRIVER" "$d/config.json" -- /bin/sh -c "mkdir $d/blocked; echo mkdir=\$?; echo written >$d/file && cat $d/file; grep -E '^(CapEff|CapPrm|NoNewPrivs):' /proc/self/status" 2>&1)
	rc=$?
	echo "$out"
	[ $rc -eq 0 ] || fail "driver exited $rc"
	grep -q "Operation not permitted" <<<"$out" || fail "mkdir did not fail with EPERM"
	grep -q "^mkdir=1$" <<<"$out" || fail "mkdir did not report failure"
	[ ! -e "$d/blocked" ] || fail "mkdir went through the filter"
	grep -q "^written$" <<<"$out" || fail "other syscalls (open/write) were affected"
	grep -qP '^CapEff:\t0000000000000020$' <<<"$out" || fail "CapEff is not just CAP_KILL"
	grep -qP '^NoNewPrivs:\t0$' <<<"$out" || fail "noNewPrivileges was set though not asked for"
}

IDENTITY_PROCESS='"user":{"uid":1000,"gid":1000,"additionalGids":[10,20],"umask":23},"noNewPrivileges":true,
"capabilities":{"bounding":["CAP_KILL"],"effective":["CAP_KILL"],"permitted":["CAP_KILL"],"inheritable":["CAP_KILL"],"ambient":["CAP_KILL"]}'

# Runs the identity config; prints what the command saw.
run_identity() {
	local d=$TEST_TMP/identity
	mkdir -p "$d"
	write_config "$d/config.json" "$IDENTITY_PROCESS"
	"$DRIVER" --chdir / "$d/config.json" -- /bin/sh -c \
		'echo uid=$(id -u) gid=$(id -g) groups=$(id -G | tr " " "\n" | sort -n | tr "\n" " "); echo umask=$(umask); grep -E "^(Cap|NoNewPrivs)" /proc/self/status' 2>&1 ||
		fail "driver exited $?"
}

caps_reduced_to_kill() {
	need_root
	need_driver
	local out
	out=$(run_identity) || fail "$out"
	echo "$out"
	grep -qP '^CapEff:\t0000000000000020$' <<<"$out" || fail "CapEff is not CAP_KILL only"
	grep -qP '^CapPrm:\t0000000000000020$' <<<"$out" || fail "CapPrm is not CAP_KILL only"
	grep -qP '^CapBnd:\t0000000000000020$' <<<"$out" || fail "CapBnd is not CAP_KILL only"
	grep -qP '^CapAmb:\t0000000000000020$' <<<"$out" || fail "CapAmb is not CAP_KILL only"
	grep -qP '^CapInh:\t0000000000000020$' <<<"$out" || fail "CapInh is not CAP_KILL only"
}

no_new_privileges_set() {
	need_root
	need_driver
	local out
	out=$(run_identity) || fail "$out"
	echo "$out"
	grep -qP '^NoNewPrivs:\t1$' <<<"$out" || fail "NoNewPrivs is not 1"
}

user_groups_umask_applied() {
	need_root
	need_driver
	local out
	out=$(run_identity) || fail "$out"
	echo "$out"
	grep -q '^uid=1000 gid=1000 groups=10 20 1000$' <<<"$out" || fail "wrong uid/gid/groups"
	grep -q '^umask=0027$' <<<"$out" || fail "umask not applied"
}

rlimit_nofile_soft_applied() {
	need_root
	need_driver
	local d=$TEST_TMP/rlimit hard out
	mkdir -p "$d"
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ] && [ "$hard" -ge 1024 ] || { echo "hard RLIMIT_NOFILE is $hard, need a number >= 1024"; exit 77; }
	write_config "$d/config.json" "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1024,\"hard\":$hard}]"
	out=$("$DRIVER" "$d/config.json" -- /bin/sh -c 'echo soft=$(ulimit -n) hard=$(ulimit -Hn)' 2>&1) || fail "driver: $out"
	echo "$out"
	[ "$out" = "soft=1024 hard=$hard" ] || fail "expected soft=1024 hard=$hard"
}

rlimit_raise_hard_fails_clearly() {
	need_root
	need_driver
	local d=$TEST_TMP/rlimit-raise soft hard out rc
	mkdir -p "$d"
	if have_cap 24; then
		echo "this host grants CAP_SYS_RESOURCE, raising the hard limit would succeed"
		exit 77
	fi
	soft=$(ulimit -Sn)
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ] || { echo "hard RLIMIT_NOFILE is unlimited"; exit 77; }
	write_config "$d/config.json" "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":$soft,\"hard\":$((hard + 1))}]"
	out=$("$DRIVER" "$d/config.json" -- /bin/true 2>&1)
	rc=$?
	echo "$out"
	[ $rc -eq 125 ] || fail "expected the driver's apply failure (125), got $rc"
	grep -qF "security-driver: setrlimit RLIMIT_NOFILE to $soft/$((hard + 1)): Operation not permitted (raising the hard limit needs CAP_SYS_RESOURCE)" <<<"$out" ||
		fail "message does not say what failed"
}

seccomp_notify_agent_answers() {
	need_root
	need_driver
	local d=$TEST_TMP/notify out rc
	mkdir -p "$d"
	write_config "$d/config.json" '"noNewPrivileges":true' \
		"\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"$d/agent.sock\",\"listenerMetadata\":\"cella-test-meta\",
		\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}"
	# The agent answers every notification with ENOSPC (28), which no real mkdir here would give.
	out=$(timeout 60 "$DRIVER" --agent 28 "$d/config.json" -- /bin/sh -c "mkdir $d/n; echo mkdir=\$?" 2>&1)
	rc=$?
	echo "$out"
	[ $rc -eq 0 ] || fail "driver exited $rc"
	grep -q '^agent: payload .*"fds":\["seccompFd"\]' <<<"$out" || fail "payload lacks fds:[seccompFd]"
	grep -q '"metadata":"cella-test-meta"' <<<"$out" || fail "payload lacks listenerMetadata"
	grep -q '"state":{.*"id":"security-driver"' <<<"$out" || fail "payload lacks the container state"
	grep -q '^agent: answered mkdir' <<<"$out" || fail "the agent saw no mkdir"
	grep -q 'No space left on device' <<<"$out" || fail "mkdir did not get the agent's errno"
	grep -q '^mkdir=1$' <<<"$out" || fail "mkdir did not fail"
	[ ! -e "$d/n" ] || fail "mkdir went through"
	[ ! -e "$d/agent.sock" ] || fail "agent socket left behind"
}

bad_config_names_the_field() {
	need_driver
	local d=$TEST_TMP/bad out rc
	mkdir -p "$d"
	write_config "$d/config.json" '"capabilities":{"bounding":["CAP_KILL","CAP_CHOWN","CAP_FOO"]}'
	out=$("$DRIVER" "$d/config.json" -- /bin/true 2>&1)
	rc=$?
	echo "$out"
	[ $rc -ne 0 ] || fail "a bad config was accepted"
	grep -qF "config.json: process.capabilities.bounding[2]: unknown capability CAP_FOO" <<<"$out" || fail "wrong message"
}

# uid 1000 must be able to reach the scratch directory's children.
chmod 711 "$TEST_TMP"

check "seccomp ERRNO rule makes mkdir fail with EPERM, other syscalls work" seccomp_errno_blocks_mkdir
check "capabilities reduced to CAP_KILL (CapEff/CapPrm/CapBnd/CapAmb/CapInh)" caps_reduced_to_kill
check "noNewPrivileges sets NoNewPrivs: 1" no_new_privileges_set
check "uid 1000, gid 1000, groups 10 20, umask 0027 applied" user_groups_umask_applied
check "RLIMIT_NOFILE soft 1024 applied" rlimit_nofile_soft_applied
check "raising the hard RLIMIT_NOFILE fails with a clear EPERM message" rlimit_raise_hard_fails_clearly
check "SCMP_ACT_NOTIFY: the agent at listenerPath gets the fd and its errno reaches mkdir" seccomp_notify_agent_answers
check "a bad config fails naming the field" bad_config_names_the_field
done_testing
