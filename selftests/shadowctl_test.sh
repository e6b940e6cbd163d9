#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# shadowctl against the real module: every command, text and --json output,
# and the messages and exit statuses of bad input. KTAP output through the
# kernel's ktap_helpers.sh (from linux-source-6.12, unpacked at build time).

# shellcheck source=lib/sa_test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sa_test.sh" || exit 4

G=401
VM_PID=

cleanup() {
	[ -n "$VM_PID" ] && kill "$VM_PID" 2>/dev/null
	wait 2>/dev/null
	"$CTL" group destroy $G >/dev/null 2>&1
}
trap cleanup EXIT

# check NAME WANT_STATUS STDOUT_REGEX STDERR_REGEX -- ARGS...
check() {
	check_cli "$CTL" "$@"
}

json_valid() {
	python3 -c 'import json,sys; json.loads(sys.stdin.read())' 2>/dev/null
}

ktap_print_header
if [ ! -x "$CTL" ] || [ ! -c /dev/shadowalloc ]; then
	ktap_skip_all "shadowctl not built or module not loaded"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 58

sleep 1000 &
VM_PID=$!
"$CTL" group destroy $G >/dev/null 2>&1

check create 0 "group $G created" '^$' -- group create $G --max-vms 4 --horizon-ms 2000
check create_duplicate 1 '^$' "group create $G: a group with this id exists \(EEXIST\)" -- group create $G
check add_vm 0 "VM $VM_PID added" '^$' -- group add-vm $G $VM_PID
check add_vm_twice 1 '^$' 'already a member of this group \(EEXIST\)' -- group add-vm $G $VM_PID
check enable 0 'shadowing enabled' '^$' -- group enable $G
check enable_twice 1 '^$' 'already enabled \(EALREADY\)' -- enable $G
check horizon 0 'horizon 60000 ms' '^$' -- group horizon $G 60000
check horizon_range 2 '^$' 'horizon: 50 out of range 100\.\.3600000' -- group horizon $G 50
check stats_text 0 'shadowing enabled, 1 of 4 VMs, horizon 60000 ms' '^$' -- group stats $G
check stats_json 0 "^\\{\"ok\":true,\"command\":\"group stats\",\"group_id\":$G,.*\"nr_vms\":1,.*\"enabled\":true,\"huge\":false,\"demand_seen\":false\\}$" '^$' -- --json stats $G
if "$CTL" --json group stats $G | json_valid; then
	ktap_test_pass stats_json_parses
else
	ktap_test_fail stats_json_parses
fi
check destroy_with_members 1 '^$' 'still has member VMs \(ENOTEMPTY\)' -- group destroy $G
check json_error 1 "^\\{\"ok\":false,\"command\":\"group destroy\",\"group_id\":$G,\"error\":\"ENOTEMPTY\",\"errno\":39,\"errno_name\":\"ENOTEMPTY\",\"message\":\"group still has member VMs\"\\}$" 'ENOTEMPTY' -- --json group destroy $G
check pool 0 'pool settings applied' '^$' -- group pool $G --max-age-ms 60000 --huge 1 --max-staged-mb 64
check pool_age_range 2 '^$' '--max-age-ms: 5 out of range 100\.\.86400000' -- group pool $G --max-age-ms 5
check pool_budget 0 'pool settings applied' '^$' -- group pool $G --zero-budget 262144
check pool_budget_range 2 '^$' '--zero-budget: 5 out of range 256\.\.16777216' -- group pool $G --zero-budget 5
check stats_budget 0 'budget 262144 pages/s' '^$' -- group stats $G
check pool_huge_value 2 '^$' '--huge: 2 out of range 0..1' -- group pool $G --huge 2
check pool_nothing 2 '^$' 'nothing to set' -- group pool $G
check reserve 0 '256 pages reserved' '^$' -- group reserve $G 256
check reserve_over_cap 1 '^$' "16385 pages is more than the group's staged-memory cap of 16384 pages \(64 MiB\) \(ENOSPC\)" -- group reserve $G 16385
check reserve_junk 2 '^$' "pages: not a number: '12x'" -- group reserve $G 12x
MODEL=$(mktemp)
check model_export 0 "group $G: model written to $MODEL \\([0-9]+ bytes\\)" '^$' -- model export $G "$MODEL"
check model_import 0 "group $G: model imported from $MODEL" '^$' -- model import $G "$MODEL"
check model_import_empty 1 '^$' 'not a model blob.*\(EINVAL\)' -- model import $G /dev/null
# A flipped byte near the end of the payload: the checksum catches it.
size=$(stat -c %s "$MODEL")
printf '\x5a' | dd of="$MODEL" bs=1 seek=$((size - 3)) conv=notrunc status=none
check model_import_corrupt 1 '^$' 'corrupt \(checksum mismatch\) \(EBADMSG\)' -- model import $G "$MODEL"
check model_unknown_group 1 '^$' 'no such group \(ENOENT\)' -- model export 999999 "$MODEL"
check model_bad_verb 2 '^$' "model: unknown command 'frob'" -- model frob $G "$MODEL"
rm -f "$MODEL"
check record_usage 2 '^$' 'record: expects ID FILE' -- record $G
check record_bad_duration 2 '^$' '--duration-ms: 0 out of range' -- record $G - --duration-ms 0
check record_csv_header 0 '^t_ns,vm,gpa,size$' '' -- record $G - --duration-ms 200
check record_csv_says_offsets 0 "^# shadowalloc group $G first touches: gpa is the byte offset in the memory object \(not guest-physical\)" '' -- record $G - --duration-ms 200
check remove_vm 0 "VM $VM_PID removed" '^$' -- group remove-vm $G $VM_PID
check remove_vm_again 1 '^$' 'not a member of this group \(ENXIO\)' -- group remove-vm $G $VM_PID
check add_vm_no_process 1 '^$' 'no such process \(ESRCH\)' -- group add-vm $G 4194000

# A guest memory file's binding, read and moved (fd-passed guest RAM).
MEMDIR=$(mktemp -d /tmp/shadowctl-mem.XXXXXX)
mount -t shadowallocfs none "$MEMDIR"
: > "$MEMDIR/ram"
check mem_show 0 "^$MEMDIR/ram: unbound, served by no group, 0 pages$" '^$' -- mem "$MEMDIR/ram"
check mem_bind 0 "^$MEMDIR/ram: bound to group $G, 0 pages$" '^$' -- mem "$MEMDIR/ram" --bind $G
check mem_json 0 "^\\{\"ok\":true,\"command\":\"mem\",\"file\":\"$MEMDIR/ram\",\"group_id\":$G,\"serving_group_id\":$G,\"pages\":0\\}$" '^$' -- --json mem "$MEMDIR/ram"
check mem_bind_nogroup 1 '^$' 'no such group \(ENOENT\)' -- mem "$MEMDIR/ram" --bind 4242
check mem_unbind 0 'unbound' '^$' -- mem "$MEMDIR/ram" --unbind
check mem_not_memory 1 '^$' 'not a shadowalloc memory file.*\(ENOTTY\)' -- mem /proc/self/status
check mem_usage 2 '^$' '--bind: missing value' -- mem "$MEMDIR/ram" --bind
umount "$MEMDIR"
rmdir "$MEMDIR"
check disable 0 'shadowing disabled' '^$' -- group disable $G
check destroy 0 "group $G: destroyed" '^$' -- group destroy $G
check unknown_group 1 '^$' 'no such group \(ENOENT\)' -- group stats $G
check bad_id 2 '^$' "group id: not a number: 'abc'" -- group enable abc
check id_range 2 '^$' 'group id: 0 out of range' -- group enable 0
check bad_pid 2 '^$' "pid: not a number: '-3'" -- group add-vm $G -3
check unknown_command 2 '^$' "unknown command 'frobnicate'" -- frobnicate 1
check missing_device 1 '^$' 'no such device \(is the shadowalloc module loaded\?\)' -- --device /nonexistent stats 1
check attach_extra_arg 2 '^$' 'attach: takes no arguments' -- attach now
check help 0 '^usage: shadowctl' '^$' -- --help

# version: the tool's ABI and the module's handshake (SHADOWALLOC_IOC_API).
check version_text 0 '^module ABI version [0-9]+$' '^$' -- version
check version_commands 0 '^  commands  API GROUP_CREATE GROUP_DESTROY ' '^$' -- version
check version_limits 0 'horizon 100\.\.3600000 ms, max age 100\.\.86400000 ms' '^$' -- version
check version_json 0 '^\{"ok":true,"command":"version","version":"[^"]+","api_version":[0-9]+,"module":\{"api_version":[0-9]+,' '^$' -- --json version
if "$CTL" --json version | python3 -c '
import json, sys
v = json.load(sys.stdin)
m = v["module"]
assert v["ok"] and m["api_version"] >= 2, v
assert {"API", "GROUP_CREATE", "GET_STATS", "RECORD"} <= set(m["ioctls"]), m
assert "telemetry" in m["features"] and m["tick_ms"] == 100, m
assert m["horizon_min_ms"] <= m["horizon_max_ms"] and m["max_groups"] > 0, m
' 2>/dev/null; then
	ktap_test_pass version_json_fields
else
	ktap_test_fail version_json_fields
fi

ktap_finished
