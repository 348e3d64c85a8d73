#!/usr/bin/env bash
# Real-process tests of the `cella` CLI: version, check (text, JSON, --strict, a
# recorded host via --root), help pages, and usage errors (exit status 2).
source "$(dirname "$0")/lib.bash"

CELLA=$CELLA_BUILD/src/cli/cella
# The version meson.build declares: what `cella version` must print.
VERSION=$(sed -n "s/^ *version : '\([^']*\)',$/\1/p" "$CELLA_TOP/meson.build" | head -n1)

# The binary is what is under test, not a prerequisite: its absence is a failure.
need_cella() {
	[ -x "$CELLA" ] || fail "$CELLA missing: the build did not produce it"
}

# run OUT_PREFIX ARGS...: runs cella with stdin from /dev/null; stdout and stderr go to
# $TEST_TMP/OUT_PREFIX.out/.err; the exit status is in $rc.
run() {
	local name=$1
	shift
	rc=0
	"$CELLA" "$@" </dev/null >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" || rc=$?
}

json_valid() { # file
	python3 -c 'import json,sys; json.load(sys.stdin)' <"$1"
}

# A recorded host under $1: cgroup v2, all namespaces, seccomp, overlayfs, no /dev/kvm.
make_fake_root() {
	local r=$1
	mkdir -p "$r/proc/self/ns" "$r/proc/sys/kernel/seccomp" "$r/proc/sys/user" "$r/sys/fs/cgroup" \
		"$r/sys/module/kvm_pvm"
	for ns in mnt uts ipc pid net user cgroup time; do : >"$r/proc/self/ns/$ns"; done
	echo "6.1.0-fake" >"$r/proc/sys/kernel/osrelease"
	echo 100 >"$r/proc/sys/user/max_user_namespaces"
	printf 'Name:\tcella\nSeccomp:\t0\n' >"$r/proc/self/status"
	echo kill_process >"$r/proc/sys/kernel/seccomp/actions_avail"
	printf 'nodev\tsysfs\nnodev\toverlay\n' >"$r/proc/filesystems"
	printf 'flags\t\t: fpu sse2\n' >"$r/proc/cpuinfo"
	echo "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate" >"$r/proc/self/mountinfo"
	echo "cpu io memory pids" >"$r/sys/fs/cgroup/cgroup.controllers"
}

case_version_text() {
	need_cella
	[ -n "$VERSION" ] || fail "cannot read the version from meson.build"
	run v version
	[ $rc -eq 0 ] || fail "cella version exited $rc: $(cat "$TEST_TMP/v.err")"
	[ "$(cat "$TEST_TMP/v.out")" = "cella $VERSION" ] || fail "unexpected output: $(cat "$TEST_TMP/v.out")"
	[ ! -s "$TEST_TMP/v.err" ] || fail "unexpected stderr: $(cat "$TEST_TMP/v.err")"
	run gv --version
	[ $rc -eq 0 ] && [ "$(cat "$TEST_TMP/gv.out")" = "cella $VERSION" ] || fail "cella --version: rc=$rc"
}

case_version_json() {
	need_cella
	need_cmd python3
	run vj version --format json
	[ $rc -eq 0 ] || fail "exit $rc: $(cat "$TEST_TMP/vj.err")"
	json_valid "$TEST_TMP/vj.out" || fail "not JSON: $(cat "$TEST_TMP/vj.out")"
	v=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["name"], d["version"])' <"$TEST_TMP/vj.out")
	[ "$v" = "cella $VERSION" ] || fail "unexpected name/version: $v"
}

case_check_text() {
	need_cella
	run ct check
	[ -s "$TEST_TMP/ct.out" ] || fail "no output; stderr: $(cat "$TEST_TMP/ct.err")"
	# Every line is "STATUS NAME: DETAIL".
	if grep -vqE '^(ok  |warn|FAIL) [a-z]+: .+$' "$TEST_TMP/ct.out"; then
		fail "malformed line: $(grep -vE '^(ok  |warn|FAIL) [a-z]+: .+$' "$TEST_TMP/ct.out" | head -n1)"
	fi
	for item in kernel kvm cgroup namespaces seccomp overlayfs; do
		grep -qE "^(ok  |warn|FAIL) $item: " "$TEST_TMP/ct.out" || fail "no $item line"
	done
	# Exit status follows the FAIL lines.
	if grep -q '^FAIL' "$TEST_TMP/ct.out"; then
		[ $rc -eq 1 ] || fail "a FAIL line but exit $rc"
	else
		[ $rc -eq 0 ] || fail "no FAIL line but exit $rc: $(cat "$TEST_TMP/ct.err")"
	fi
	grep -q "^ok   kernel: Linux $(uname -r)$" "$TEST_TMP/ct.out" || fail "kernel line does not match uname -r"
}

case_check_kvm_line() {
	need_cella
	need_kvm
	run ck check
	grep -qE '^ok   kvm: /dev/kvm API 12, ' "$TEST_TMP/ck.out" || fail "kvm not ok: $(grep kvm "$TEST_TMP/ck.out")"
	if [ -d /sys/module/kvm_pvm ] && [ ! -d /sys/module/kvm_intel ] && [ ! -d /sys/module/kvm_amd ]; then
		grep -qx 'ok   kvm: /dev/kvm API 12, nested software-assisted (kvm_pvm)' "$TEST_TMP/ck.out" ||
			fail "expected nested kvm_pvm: $(grep kvm "$TEST_TMP/ck.out")"
	fi
}

case_check_cgroup_namespaces_lines() {
	need_cella
	run cn check
	line=$(grep -E '^(ok  |warn|FAIL) cgroup: ' "$TEST_TMP/cn.out") || fail "no cgroup line"
	# The expected layout, from mountinfo: v1 hierarchies carrying a controller, cgroup2 mounts.
	v1=$(awk '{for (i = 7; i <= NF; i++) if ($i == "-") break} $(i + 1) == "cgroup" && $(i + 3) ~ /(^|,)(cpu|memory|pids|blkio|cpuset|devices|freezer)(,|$)/' /proc/self/mountinfo | wc -l)
	v2=$(awk '{for (i = 7; i <= NF; i++) if ($i == "-") break} $(i + 1) == "cgroup2"' /proc/self/mountinfo | wc -l)
	if [ "$v1" -gt 0 ] && [ "$v2" -gt 0 ]; then
		[[ "$line" == "ok   cgroup: hybrid: "* ]] || fail "expected hybrid: $line"
	elif [ "$v2" -gt 0 ]; then
		[[ "$line" == "ok   cgroup: v2 at "* ]] || fail "expected v2: $line"
	elif [ "$v1" -gt 0 ]; then
		[[ "$line" == "ok   cgroup: v1 "* ]] || fail "expected v1: $line"
	else
		[[ "$line" == "FAIL cgroup: "* ]] || fail "no cgroup mounted, expected FAIL: $line"
	fi
	line=$(grep -E '^(ok  |warn|FAIL) namespaces: ' "$TEST_TMP/cn.out") || fail "no namespaces line"
	[[ "$line" == *mnt* ]] || fail "mnt namespace not listed: $line"
}

case_check_json() {
	need_cella
	need_cmd python3
	run cj check --format json
	json_valid "$TEST_TMP/cj.out" || fail "not JSON: $(head -c 300 "$TEST_TMP/cj.out")"
	run ct check
	# The JSON checks are the text lines; "ok" agrees with the exit status.
	python3 - "$TEST_TMP/cj.out" "$TEST_TMP/ct.out" "$rc" <<'PY' || exit 1
import json, sys
doc = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read().splitlines()
rc = int(sys.argv[3])
names = [c["name"] for c in doc["checks"]]
for want in ("kvm", "cgroup", "namespaces"):
    assert want in names, f"no {want} check in {names}"
lines = ["%-4s %s: %s" % (c["status"], c["name"], c["detail"]) for c in doc["checks"]]
assert lines == text, f"JSON and text differ:\n{lines}\n{text}"
assert doc["ok"] == (rc == 0), f"ok={doc['ok']} but exit {rc}"
assert doc["host"]["cgroup"]["layout"] in ("v1", "v2", "hybrid", "none")
assert isinstance(doc["host"]["namespaces"]["mnt"], bool)
PY
}

case_check_strict() {
	need_cella
	run cs check --strict
	[ "$(grep -cE '^(ok  |warn|FAIL) [a-z]+: ' "$TEST_TMP/cs.out")" -ge 6 ] || fail "too few lines: $(cat "$TEST_TMP/cs.out")"
	if grep -qE '^(warn|FAIL)' "$TEST_TMP/cs.out"; then
		[ $rc -eq 1 ] || fail "--strict with warnings but exit $rc"
		grep -q -- '--strict' "$TEST_TMP/cs.err" || fail "no --strict reason: $(cat "$TEST_TMP/cs.err")"
	else
		[ $rc -eq 0 ] || fail "--strict, all ok, but exit $rc"
	fi
}

case_check_recorded_host() {
	need_cella
	local r=$TEST_TMP/root
	make_fake_root "$r"
	run fr check --root "$r"
	[ $rc -eq 0 ] || fail "healthy recorded host: exit $rc: $(cat "$TEST_TMP/fr.err")"
	grep -qx 'ok   kernel: Linux 6.1.0-fake' "$TEST_TMP/fr.out" || fail "kernel: $(cat "$TEST_TMP/fr.out")"
	grep -qx "warn kvm: open $r/dev/kvm: No such file or directory: virtual machines unavailable" \
		"$TEST_TMP/fr.out" || fail "kvm: $(grep kvm "$TEST_TMP/fr.out")"
	grep -qx 'ok   cgroup: v2 at /sys/fs/cgroup (controllers: cpu,io,memory,pids)' "$TEST_TMP/fr.out" ||
		fail "cgroup: $(grep cgroup "$TEST_TMP/fr.out")"
	# A warning fails only under --strict.
	run frs check --root "$r" --strict
	[ $rc -eq 1 ] || fail "--strict with a kvm warning: exit $rc"
	# No cgroup file system and no pid namespace: required items FAIL, exit 1.
	: >"$r/proc/self/mountinfo"
	rm "$r/proc/self/ns/pid"
	run ff check --root "$r"
	[ $rc -eq 1 ] || fail "required items missing but exit $rc"
	grep -qx 'FAIL cgroup: no cgroup file system mounted' "$TEST_TMP/ff.out" || fail "$(cat "$TEST_TMP/ff.out")"
	grep -q '^FAIL namespaces: missing pid ' "$TEST_TMP/ff.out" || fail "$(grep namespaces "$TEST_TMP/ff.out")"
	grep -q 'cella: check: a required item failed' "$TEST_TMP/ff.err" || fail "stderr: $(cat "$TEST_TMP/ff.err")"
	# A malformed host file FAILs its item with the file and line named.
	echo "garbage" >"$r/proc/self/mountinfo"
	run fm check --root "$r"
	[ $rc -eq 1 ] || fail "malformed mountinfo but exit $rc"
	grep -qx "FAIL cgroup: $r/proc/self/mountinfo:1: malformed mount entry" "$TEST_TMP/fm.out" ||
		fail "$(grep cgroup "$TEST_TMP/fm.out")"
}

case_unknown_command() {
	need_cella
	run uc frobnicate
	[ $rc -eq 2 ] || fail "exit $rc, expected 2"
	grep -q "unknown command 'frobnicate'" "$TEST_TMP/uc.err" || fail "stderr: $(cat "$TEST_TMP/uc.err")"
	[ ! -s "$TEST_TMP/uc.out" ] || fail "unexpected stdout"
	run nc
	[ $rc -eq 2 ] || fail "no command: exit $rc, expected 2"
	grep -q "no command given" "$TEST_TMP/nc.err" || fail "stderr: $(cat "$TEST_TMP/nc.err")"
	run hb help frobnicate
	[ $rc -eq 2 ] || fail "help frobnicate: exit $rc"
	grep -q "unknown command 'frobnicate'" "$TEST_TMP/hb.err" || fail "stderr: $(cat "$TEST_TMP/hb.err")"
}

case_bad_options() {
	need_cella
	for verb in check version; do
		run fb "$verb" --format bogus
		[ $rc -eq 2 ] || fail "$verb --format bogus: exit $rc"
		grep -q -- "invalid value 'bogus' for option '--format'" "$TEST_TMP/fb.err" ||
			fail "$verb: stderr: $(cat "$TEST_TMP/fb.err")"
		run uo "$verb" --frobnicate
		[ $rc -eq 2 ] || fail "$verb --frobnicate: exit $rc"
		grep -q -- "unknown option '--frobnicate'" "$TEST_TMP/uo.err" || fail "stderr: $(cat "$TEST_TMP/uo.err")"
		run ma "$verb" --format
		[ $rc -eq 2 ] || fail "$verb --format (no value): exit $rc"
		grep -q -- "option '--format' requires an argument" "$TEST_TMP/ma.err" ||
			fail "stderr: $(cat "$TEST_TMP/ma.err")"
		run ea "$verb" extra
		[ $rc -eq 2 ] || fail "$verb extra: exit $rc"
		grep -q "unexpected argument 'extra'" "$TEST_TMP/ea.err" || fail "stderr: $(cat "$TEST_TMP/ea.err")"
	done
	run br check --root "$TEST_TMP/no-such-root"
	[ $rc -eq 2 ] || fail "check --root missing dir: exit $rc"
	grep -q -- "invalid value '$TEST_TMP/no-such-root' for option '--root': No such file or directory" \
		"$TEST_TMP/br.err" || fail "stderr: $(cat "$TEST_TMP/br.err")"
	run go --frobnicate version
	[ $rc -eq 2 ] || fail "unknown global option: exit $rc"
	run lf --log-format xml version
	[ $rc -eq 2 ] || fail "--log-format xml: exit $rc"
	grep -q -- "--log-format: invalid log format 'xml'" "$TEST_TMP/lf.err" || fail "stderr: $(cat "$TEST_TMP/lf.err")"
}

case_help_pages() {
	need_cella
	run mh --help
	[ $rc -eq 0 ] || fail "cella --help: exit $rc"
	for section in NAME SYNOPSIS DESCRIPTION COMMANDS "GLOBAL OPTIONS" "EXIT STATUS"; do
		grep -qx "$section" "$TEST_TMP/mh.out" || fail "cella --help lacks $section"
	done
	run h0 help
	cmp -s "$TEST_TMP/mh.out" "$TEST_TMP/h0.out" || fail "'cella help' differs from 'cella --help'"
	# Every verb listed under COMMANDS has a full page, the same both ways.
	verbs=$(sed -n '/^COMMANDS$/,/^$/p' "$TEST_TMP/mh.out" | awk 'NF > 1 {print $1}')
	[ -n "$verbs" ] || fail "no verbs listed"
	for verb in $verbs; do
		run vh "$verb" --help
		[ $rc -eq 0 ] || fail "cella $verb --help: exit $rc"
		for section in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS"; do
			grep -qx "$section" "$TEST_TMP/vh.out" || fail "cella $verb --help lacks $section"
		done
		grep -q "^    cella $verb" "$TEST_TMP/vh.out" || fail "cella $verb --help: synopsis does not name the verb"
		run hv help "$verb"
		[ $rc -eq 0 ] || fail "cella help $verb: exit $rc"
		cmp -s "$TEST_TMP/vh.out" "$TEST_TMP/hv.out" || fail "'cella help $verb' differs from '--help'"
	done
	for verb in check version help; do
		echo "$verbs" | grep -qx "$verb" || fail "$verb not listed in cella --help"
	done
}

case_write_error() {
	need_cella
	[ -w /dev/full ] || { echo "needs /dev/full"; exit 77; }
	rc=0
	"$CELLA" version </dev/null >/dev/full 2>"$TEST_TMP/wf.err" || rc=$?
	[ $rc -eq 1 ] || fail "writing to a full device: exit $rc"
	grep -q "write standard output: No space left on device" "$TEST_TMP/wf.err" ||
		fail "stderr: $(cat "$TEST_TMP/wf.err")"
}

case_json_log() {
	need_cella
	need_cmd python3
	run lg --log "$TEST_TMP/cella.log" --log-format json --log-level debug version
	[ $rc -eq 0 ] || fail "exit $rc: $(cat "$TEST_TMP/lg.err")"
	[ -s "$TEST_TMP/cella.log" ] || fail "nothing logged"
	python3 - "$TEST_TMP/cella.log" <<'PY' || exit 1
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    assert list(d) == ["level", "msg", "time"], d
    assert d["level"] == "debug", d
assert "running 'version'" in open(sys.argv[1]).read()
PY
	run lb --log "$TEST_TMP/no/such/dir/log" version
	[ $rc -eq 1 ] || fail "unwritable --log: exit $rc"
	grep -q -- "--log: open log file '$TEST_TMP/no/such/dir/log'" "$TEST_TMP/lb.err" ||
		fail "stderr: $(cat "$TEST_TMP/lb.err")"
}

check "version prints the release" case_version_text
check "version --format json" case_version_json
check "check: one well-formed line per item, exit status follows FAIL" case_check_text
check "check: kvm line reports API 12 and the KVM kind" case_check_kvm_line
check "check: cgroup layout and namespaces lines" case_check_cgroup_namespaces_lines
check "check --format json matches the text form" case_check_json
check "check --strict fails on warnings" case_check_strict
check "check --root: recorded hosts, warnings and required failures" case_check_recorded_host
check "unknown command exits 2 with a message" case_unknown_command
check "bad options and --format bogus exit 2 naming the option" case_bad_options
check "help pages for cella and every verb" case_help_pages
check "a failed write to stdout exits 1" case_write_error
check "--log with --log-format json writes runc-style lines" case_json_log
done_testing
