#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The telemetry's lifecycle: shadowctl attach | detach | status against the
# real module and KVM, the pinned map as bpftool prints it, the module
# reference the programs hold, 20 attach/detach rounds without leftovers,
# the telemetry module parameters, and ring overflow (the module reloaded
# with a 64-entry ring, then telemetry_test -f overflow).
#
# Expects the module loaded (run_tests.sh does that) and leaves it loaded
# with default parameters.

# shellcheck source=lib/sa_test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sa_test.sh" || exit 4

MODULE=$REPO/kmod/shadowalloc.ko
PIN_DIR=/sys/fs/bpf/shadowalloc
PARAMS=/sys/module/shadowalloc/parameters
ERR=$(mktemp)

# Whatever happens, leave no programs attached and the module loaded with
# its defaults.
restore() {
	"$CTL" detach >/dev/null 2>&1
	if [ "$(cat $PARAMS/tm_ring_entries 2>/dev/null)" != 4096 ]; then
		wait_unloadable && rmmod shadowalloc 2>/dev/null
		insmod "$MODULE"
	fi
	rm -f "$ERR"
}
trap restore EXIT

refcnt() {
	cat /sys/module/shadowalloc/refcnt
}

# Programs are freed after an RCU grace period: wait for the module's
# reference count to drop to 0 (up to 10 s).
wait_unloadable() {
	local i
	for i in $(seq 100); do
		[ "$(refcnt 2>/dev/null)" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

our_programs() {
	bpftool prog show 2>/dev/null | grep -c 'name sa_kvm_'
}

ktap_print_header
if [ ! -c /dev/kvm ] || [ ! -d /sys/module/shadowalloc ] || ! command -v bpftool >/dev/null; then
	ktap_skip_all "needs /dev/kvm, the module loaded and bpftool"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 13

"$CTL" detach >/dev/null 2>&1
out=$("$CTL" status)
grep -q "not attached" <<<"$out"
ktap_test_result "status_when_not_attached" [ $? = 0 ]

out1=$("$CTL" attach) && out2=$("$CTL" --json attach) &&
	grep -q "attached" <<<"$out1" && grep -q '"already":true' <<<"$out2"
ktap_test_result "attach_is_idempotent" [ $? = 0 ]

# Events from a real guest, then the pinned map through bpftool.
"$SELFTESTS/telemetry_test" -r tm.events_match_first_touches > "$ERR" 2>&1
status=$?
[ $status = 0 ] || sed 's/^/# /' "$ERR"
dump=$(bpftool -j map dump pinned $PIN_DIR/group_counters)
echo "$dump" | python3 -c '
import json, sys
entries = json.load(sys.stdin)
# A per-CPU array: each key has one value per CPU; the totals of a group are
# the sum of the used slots holding its id.
slots = [c["value"] for e in entries for c in e["formatted"]["values"]]
assert slots and all(set(s) == {"group_id", "used", "seen", "passed",
                                "dropped", "filtered"} for s in slots), slots[:2]
g = [s for s in slots if s["used"] and s["group_id"] == 611]
assert g, "no slot for group 611"
v = {k: sum(s[k] for s in g) for k in ("seen", "passed", "dropped", "filtered")}
assert v["seen"] == v["passed"] + v["dropped"] + v["filtered"], v
assert v["passed"] >= 512, v
' 2>"$ERR"
ok=$?
[ $ok = 0 ] || { ktap_print_msg "bpftool -j: $dump"; sed 's/^/# /' "$ERR"; }
bpftool map dump pinned $PIN_DIR/group_counters | grep -q '"seen":' || ok=1
ktap_test_result "bpftool_dump_of_pinned_map_parses" [ $status = 0 ] && [ $ok = 0 ]

# By default one program: the mapping event; kvm_page_fault is not attached.
json=$("$CTL" --json status)
grep -q '"attached":true,"programs":{"kvmmmu:kvm_mmu_spte_requested":[1-9][0-9]*,"kvm:kvm_page_fault":0}' <<<"$json" &&
	grep -q '"group_id":611,"seen":[1-9]' <<<"$json" &&
	[ ! -e $PIN_DIR/link_kvm_page_fault ] && [ "$(our_programs)" = 1 ]
ktap_test_result "status_shows_programs_and_counters" [ $? = 0 ]

# attach --faults adds kvm:kvm_page_fault: two events per first touch
# (telemetry_test sees the pin and expects them); a plain attach then
# refuses to change that silently, and a bad option changes nothing.
"$CTL" detach >/dev/null
out=$("$CTL" --json attach --faults) && grep -q '"faults":true' <<<"$out" &&
	grep -q '"kvm:kvm_page_fault":[1-9]' <<<"$("$CTL" --json status)" &&
	[ "$(our_programs)" = 2 ]
ok=$?
"$SELFTESTS/telemetry_test" -r tm.events_match_first_touches > "$ERR" 2>&1
status=$?
[ $status = 0 ] || sed 's/^/# /' "$ERR"
ktap_test_result "attach_faults_adds_the_fault_event" [ $ok = 0 ] && [ $status = 0 ]

"$CTL" attach >/dev/null 2>"$ERR"
status=$?
grep -q "attached with kvm:kvm_page_fault" "$ERR" || status=0
"$CTL" attach --bogus >/dev/null 2>&1
bad=$?
ktap_test_result "attach_mode_change_and_bad_option_refused" \
	[ $status = 1 ] && [ $bad = 2 ] && [ -e $PIN_DIR/link_kvm_page_fault ] &&
	[ "$(our_programs)" = 2 ]

rmmod shadowalloc 2>"$ERR"
rm_status=$?
ktap_test_result "rmmod_refused_while_attached" [ $rm_status != 0 ] && [ "$(refcnt)" -gt 0 ]

out1=$("$CTL" detach) && out2=$("$CTL" --json detach) &&
	grep -q "telemetry detached" <<<"$out1" && grep -q '"was_attached":false' <<<"$out2" &&
	[ ! -e $PIN_DIR ]
ktap_test_result "detach_is_idempotent_and_removes_pins" [ $? = 0 ]

base=$(our_programs)
fails=0
for _ in $(seq 20); do
	"$CTL" attach >/dev/null && "$CTL" detach >/dev/null || fails=$((fails + 1))
done
wait_unloadable
ktap_print_msg "20 rounds: $fails failed, refcnt $(refcnt), programs left $(our_programs) (before: $base)"
ktap_test_result "attach_detach_20_times_leaves_nothing" \
	[ $fails = 0 ] && [ ! -e $PIN_DIR ] && [ "$(refcnt)" = 0 ] && [ "$(our_programs)" = 0 ]

# Without the module: a clear message, nothing pinned.
rmmod shadowalloc
"$CTL" attach 2>"$ERR" >/dev/null
status=$?
ktap_test_result "attach_without_module_fails_clearly" \
	[ $status = 1 ] && grep -q "module is not loaded" "$ERR" && [ ! -e $PIN_DIR ]

# Telemetry parameters: a ring that is not a power of two or out of range
# refuses the load; a bad drain interval is refused and changes nothing.
bad=0
for v in 100 32 2097152; do
	if insmod "$MODULE" tm_ring_entries=$v 2>/dev/null; then
		bad=1
		rmmod shadowalloc
	fi
done
insmod "$MODULE" tm_ring_entries=64 || bad=1
for v in 0 1001 abc; do
	{ echo $v > $PARAMS/tm_drain_ms; } 2>/dev/null && bad=1
done
[ "$(cat $PARAMS/tm_drain_ms)" = 10 ] || bad=1
{ echo 128 > $PARAMS/tm_ring_entries; } 2>/dev/null && bad=1
ktap_test_result "telemetry_params_validated" [ $bad = 0 ] && [ "$(cat $PARAMS/tm_ring_entries)" = 64 ]

"$SELFTESTS/telemetry_test" -f overflow > "$ERR" 2>&1
status=$?
sed 's/^/# /' "$ERR"
ktap_test_result "ring_overflow_drops_and_counts" [ $status = 0 ] && grep -q "^ok 1 overflow" "$ERR"

"$CTL" detach >/dev/null
wait_unloadable && rmmod shadowalloc && insmod "$MODULE"
ktap_test_result "module_reloaded_with_defaults" [ "$(cat $PARAMS/tm_ring_entries)" = 4096 ]
ktap_finished
