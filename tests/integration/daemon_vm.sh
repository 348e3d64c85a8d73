#!/usr/bin/env bash
# cellad VM instances end to end, as root: a freestanding test guest (acpi-button: runs until the ACPI power
# button, then powers off) imported as a VM image, launched through cellad on the real cella-vmm and KVM.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/daemon_helpers.bash"

VMM="$CELLA_BUILD/src/vmm/cli/cella-vmm"
GUEST="$CELLA_BUILD/guests/acpi-button.elf"

need_vm() {
	need_cellad
	need_kvm
	[ -x "$VMM" ] || { echo "cella-vmm not built at $VMM"; exit 77; }
	[ -f "$GUEST" ] || { echo "test guest not built at $GUEST"; exit 77; }
}

vmm_pid_of() { cat "$D/root/instances/$1/vmm.pid"; }

case_vm_image_errors() {
	need_cellad
	trap cleanup_daemon EXIT
	start_daemon "$TEST_TMP/vmerr"
	mkdir -p "$D/empty" "$D/extra"
	: >"$D/extra/kernel"
	: >"$D/extra/rootfs.img"
	api POST /1.0/images -H "Content-Type: application/json" -d "{\"source\":{\"type\":\"vm-directory\",\"path\":\"$D/empty\"}}"
	local op
	op=$(jget 'd["operation"]')
	api GET "$op/wait?timeout=60"
	[[ "$(jget 'd["metadata"]["err"]')" == *"needs a 'kernel' file"* ]] || fail "no kernel accepted: $BODY"
	api POST /1.0/images -H "Content-Type: application/json" -d "{\"source\":{\"type\":\"vm-directory\",\"path\":\"$D/extra\"}}"
	op=$(jget 'd["operation"]')
	api GET "$op/wait?timeout=60"
	[[ "$(jget 'd["metadata"]["err"]')" == *"unexpected entry 'rootfs.img'"* ]] || fail "extra file: $BODY"
	api GET /1.0/images
	[ "$(jget 'len(d["metadata"])')" = 0 ] || fail "a failed import left an image: $BODY"
	# A vm needs an image; bad limits name the key.
	api POST /1.0/instances -d '{"name":"v","type":"vm"}'
	[ "$CODE" = 400 ] && [[ "$(jget 'd["error"]')" == *"source"* ]] || fail "vm without image: $CODE $BODY"
	api POST /1.0/instances -d '{"name":"v","type":"vm","source":{"alias":"x"},"config":{"limits.cpu":"1.5"}}'
	[ "$CODE" = 400 ] && [[ "$(jget 'd["error"]')" == *"limits.cpu"* ]] || fail "fractional vCPUs: $CODE $BODY"
	stop_daemon
}

case_vm_lifecycle() {
	need_vm
	trap cleanup_vm EXIT
	CELLAD_ARGS="--vmm $VMM" start_daemon "$TEST_TMP/vm"
	import_vm_image button "$GUEST"
	api GET /1.0/images/aliases/button
	local fp
	fp=$(jget 'd["metadata"]["target"]')
	api GET "/1.0/images/$fp"
	[ "$(jget 'd["metadata"]["type"]')" = virtual-machine ] || fail "image type: $BODY"
	# A container from a VM image is refused.
	api POST /1.0/instances -d '{"name":"c","source":{"alias":"button"}}'
	[ "$CODE" = 400 ] && [[ "$(jget 'd["error"]')" == *"virtual-machine image"* ]] || fail "container from vm image: $CODE $BODY"

	api POST /1.0/instances -d '{"name":"vm1","type":"vm","source":{"alias":"button"},"start":true,"config":{"limits.memory":"32MiB","limits.cpu":1}}' ||
		fail "POST vm"
	wait_op
	api GET /1.0/instances/vm1
	[ "$(jget 'd["metadata"]["status"]')" = Running ] || fail "vm1 not Running: $BODY"
	[ "$(jget 'd["metadata"]["type"]')" = vm ] || fail "type: $BODY"
	wait_console vm1 READY
	local pid
	pid=$(vmm_pid_of vm1)
	alive "$pid" || fail "no VMM process"
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--memory 32 --cpus 1" || fail "limits not passed: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
	# State, metrics from /proc.
	api GET /1.0/instances/vm1/state
	[ "$(jget 'd["metadata"]["stats"]["memory"]["usage"]["usage"] > 0')" = True ] || fail "state stats: $BODY"
	curl -sS --max-time 30 --unix-socket "$D/s.sock" http://cella/1.0/metrics | grep -q 'cella_cpu_seconds_total{name="vm1",type="vm"}' ||
		fail "no vm metrics"
	# pause/resume through the VMM's API.
	set_state vm1 '{"action":"pause"}'
	[ "$(instance_status vm1)" = Frozen ] || fail "not Frozen"
	[ "$(curl -sS --max-time 10 --unix-socket "$D/root/instances/vm1/vmm.sock" http://localhost/vm | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" = paused ] ||
		fail "the VMM is not paused"
	set_state vm1 '{"action":"resume"}'
	[ "$(instance_status vm1)" = Running ] || fail "not Running after resume"
	# kill -9 cellad: the VM runs on; a new cellad re-attaches through the socket.
	kill -9 "$CELLAD_PID"
	wait "$CELLAD_PID" 2>/dev/null
	CELLAD_PID=
	alive "$pid" || fail "the VM died with cellad"
	CELLAD_ARGS="--vmm $VMM" start_daemon "$D"
	[ "$(instance_status vm1)" = Running ] || fail "vm1 after restart: $BODY"
	set_state vm1 '{"action":"pause"}'
	set_state vm1 '{"action":"resume"}'
	# stop = the ACPI power button: the guest powers off by itself (its serial log says it saw the press).
	set_state vm1 '{"action":"stop","timeout":30}'
	[ "$(instance_status vm1)" = Stopped ] || fail "not Stopped"
	grep -q "power button pressed" "$D/root/instances/vm1/console.log" || fail "stopped without the guest seeing the ACPI button"
	alive "$pid" && fail "VMM still running after stop"
	# Start again, then delete needs it stopped; force stop; delete removes the directory.
	set_state vm1 '{"action":"start"}'
	[ "$(instance_status vm1)" = Running ] || fail "not Running after start"
	api DELETE /1.0/instances/vm1
	[ "$CODE" = 400 ] || fail "deleting a running vm: $CODE"
	set_state vm1 '{"action":"stop","force":true}'
	api DELETE /1.0/instances/vm1
	wait_op
	[ ! -e "$D/root/instances/vm1" ] || fail "instance dir left"
	stop_daemon
}

case_vm_poweroff_noticed() {
	need_vm
	trap cleanup_vm EXIT
	CELLAD_ARGS="--vmm $VMM" start_daemon "$TEST_TMP/vmoff"
	import_vm_image button "$GUEST"
	api POST /1.0/instances -d '{"name":"vm2","type":"vm","source":{"alias":"button"},"start":true,"config":{"limits.memory":"32MiB"}}'
	wait_op
	wait_console vm2 READY
	# The guest powers off behind cellad's back (the button pressed on the VMM's own socket).
	curl -sS --max-time 10 --unix-socket "$D/root/instances/vm2/vmm.sock" -X PUT -d '{"state":"shutdown"}' http://localhost/vm/state ||
		fail "PUT shutdown on the VMM"
	wait_status vm2 Stopped
	api GET /1.0/instances/vm2
	[[ "$(jget 'd["metadata"]["last_error"]')" == *"VM stopped"* ]] || fail "last_error: $BODY"
	stop_daemon
}

# The same through the cella CLI: image import --vm, launch --vm, list, stop (ACPI), delete.
case_vm_cli() {
	need_vm
	trap cleanup_vm EXIT
	local cella="$CELLA_BUILD/src/cli/cella" out
	CELLAD_ARGS="--vmm $VMM" start_daemon "$TEST_TMP/vmcli"
	export CELLA_SOCKET="$D/s.sock"
	mkdir -p "$D/vmimg"
	cp "$GUEST" "$D/vmimg/kernel"
	out=$(timeout 120 "$cella" image import --vm --alias button "$D/vmimg" 2>&1) ||
		fail "cella image import --vm: $out"
	out=$(timeout 120 "$cella" image import --vm "$GUEST" 2>&1) &&
		fail "image import --vm of a file succeeded: $out"
	[[ "$out" == *"is not a directory"* ]] || fail "image import --vm of a file: $out"
	out=$(timeout 120 "$cella" launch --vm -c limits.memory=32MiB button vm3 2>&1) ||
		fail "cella launch --vm: $out"
	wait_console vm3 READY
	out=$(timeout 60 "$cella" list --format json) || fail "cella list: $out"
	python3 -c 'import json,sys
l = {i["name"]: i for i in json.loads(sys.argv[1])}
assert l["vm3"]["status"] == "Running", l
assert l["vm3"]["type"] in ("vm", "virtual-machine"), l' "$out" || fail "cella list: $out"
	out=$(timeout 120 "$cella" stop vm3 2>&1) || fail "cella stop: $out"
	grep -q "power button pressed" "$D/root/instances/vm3/console.log" || fail "stopped without the ACPI button"
	out=$(timeout 120 "$cella" delete vm3 2>&1) || fail "cella delete: $out"
	[ ! -e "$D/root/instances/vm3" ] || fail "instance dir left"
	stop_daemon
}

check "vm image import errors and vm config errors name the field" case_vm_image_errors
check "cella image import --vm, launch --vm, list, stop, delete" case_vm_cli
check "vm: launch, RUNNING, limits, stats, pause/resume, kill -9 cellad and re-attach, ACPI stop, delete" case_vm_lifecycle
check "vm: a guest power-off behind cellad's back is noticed" case_vm_poweroff_noticed
done_testing
