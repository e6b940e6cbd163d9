#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# shadowctl's command line, table-driven (issue 12): usage errors as JSON,
# --json anywhere, decimal numbers and the module's ranges, repeated,
# exclusive and extra arguments, per-command help, the client-side
# messages, the stats' names and new counters, the JSON echoes, and two
# concurrent 'attach' (10 rounds).
#
# Each row: NAME ;; EXIT STATUS ;; STDOUT (ERE) ;; STDERR (ERE) ;; ARGS
# (words, no quoting). Under --json stdout must also be exactly one JSON
# object, a failure's with ok false, command, error and message. The first
# table needs no module (it runs on any host; device opens go to
# /nonexistent); the second runs against the real module, in order.

# shellcheck source=lib/sa_test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sa_test.sh" || exit 4

G=431
G2=432
TMPD=$(mktemp -d)
NX=/nonexistent
MINIVMM=$REPO/tools/minivmm/minivmm

cleanup() {
	if [ -c /dev/shadowalloc ]; then
		"$CTL" group destroy $G >/dev/null 2>&1
		"$CTL" group destroy $G2 >/dev/null 2>&1
	fi
	rm -rf "$TMPD"
}
trap cleanup EXIT

# A file larger than a model blob (16384 bytes), for model import.
head -c 20000 /dev/zero > "$TMPD/big.blob"

HOST_ROWS=$(cat <<EOF
# --json anywhere; usage errors as JSON
usage_json_unknown_command ;; 2 ;; ^\{"ok":false,"command":null,"error":"usage","message":"unknown command 'frobnicate'"\}$ ;; unknown command 'frobnicate' ;; --json frobnicate
usage_json_no_command ;; 2 ;; "error":"usage","message":"no command" ;; no command ;; --json
usage_json_after_command ;; 2 ;; ^\{"ok":false,"command":"group create","error":"usage","message":"expects ID"\}$ ;; group create: expects ID ;; group create --json
usage_json_range ;; 2 ;; "command":"group horizon","group_id":5,"error":"usage","message":"horizon: 99 out of range 100..3600000" ;; out of range ;; group horizon 5 99 --json
usage_text_hint ;; 2 ;; ^$ ;; try 'shadowctl group pool --help' ;; group pool 5
json_after_arguments ;; 1 ;; ^\{"ok":false,"command":"group stats","group_id":7,"device":"$NX","error":"ENOENT","errno":2,"errno_name":"ENOENT","message":"no such device ;; group stats 7: $NX: no such device ;; group stats 7 --json --device $NX
open_failure_command_not_path ;; 1 ;; ^\{"ok":false,"command":"version","device":"$NX","error":"ENOENT" ;; ENOENT ;; --device $NX --json version
model_import_missing_file_json ;; 1 ;; ^\{"ok":false,"command":"model import","group_id":5,"file":"$NX/m.blob","error":"ENOENT","errno":2,"errno_name":"ENOENT","message":"cannot open: ;; model import 5: $NX/m.blob: cannot open: No such file or directory \(ENOENT\) ;; --json model import 5 $NX/m.blob
model_import_directory_eisdir ;; 1 ;; "file":"$TMPD","error":"EISDIR","errno":21,"errno_name":"EISDIR" ;; Is a directory \(EISDIR\) ;; --json model import 5 $TMPD
model_import_too_big ;; 1 ;; "error":"EFBIG",.*"message":"larger than a model blob \(16384 bytes at most\)" ;; larger than a model blob ;; --json model import 5 $TMPD/big.blob
record_usage_json ;; 2 ;; ^\{"ok":false,"command":"record","error":"usage","message":"expects ID FILE ;; expects ID FILE ;; --json record 5
# numbers: decimal only
decimal_leading_zero_is_ten ;; 1 ;; "command":"group create","group_id":10, ;; group create 10: ;; --json --device $NX group create 010
decimal_08_is_eight ;; 1 ;; "command":"group enable","group_id":8, ;; group enable 8: ;; --json --device $NX group enable 08
hex_refused ;; 2 ;; ^$ ;; group id: not a number: '0x10' \(numbers are decimal\) ;; group create 0x10
hex_option_refused ;; 2 ;; ^$ ;; --max-vms: not a number: '0x4' ;; group create 5 --max-vms 0x4
sign_refused ;; 2 ;; ^$ ;; group id: not a number: '\+5' ;; group create +5
negative_pid_refused ;; 2 ;; ^$ ;; pid: not a number: '-3' ;; group add-vm 5 -3
junk_refused ;; 2 ;; ^$ ;; pages: not a number: '12x' ;; group reserve 5 12x
empty_refused ;; 2 ;; ^$ ;; horizon: not a number: '' ;; group horizon 5 ''
u64_overflow ;; 2 ;; ^$ ;; pages: 18446744073709551616 out of range 0..18446744073709551615 ;; group reserve 5 18446744073709551616
group_id_zero ;; 2 ;; ^$ ;; group id: 0 out of range 1..2147483647 ;; group enable 0
group_id_max ;; 2 ;; ^$ ;; group id: 2147483648 out of range 1..2147483647 ;; group enable 2147483648
# the module's ranges
horizon_below_min ;; 2 ;; ^$ ;; --horizon-ms: 99 out of range 100..3600000 ;; group create 5 --horizon-ms 99
horizon_above_max ;; 2 ;; ^$ ;; horizon: 3600001 out of range 100..3600000 ;; group horizon 5 3600001
horizon_min_accepted ;; 1 ;; "command":"group horizon","group_id":5,"device" ;; ENOENT ;; --json --device $NX group horizon 5 100
horizon_max_accepted ;; 1 ;; "command":"group create","group_id":5,"device" ;; ENOENT ;; --json --device $NX group create 5 --horizon-ms 3600000
max_vms_0_is_default ;; 1 ;; "command":"group create","group_id":5,"device" ;; ENOENT ;; --json --device $NX group create 5 --max-vms 0
max_age_below_min ;; 2 ;; ^$ ;; --max-age-ms: 99 out of range 100..86400000 ;; group pool 5 --max-age-ms 99
zero_budget_below_min ;; 2 ;; ^$ ;; --zero-budget: 255 out of range 256..16777216 ;; group pool 5 --zero-budget 255
zero_budget_above_max ;; 2 ;; ^$ ;; --zero-budget: 16777217 out of range 256..16777216 ;; group pool 5 --zero-budget 16777217
huge_range ;; 2 ;; ^$ ;; --huge: 2 out of range 0..1 ;; group pool 5 --huge 2
cap_mb_zero ;; 2 ;; ^$ ;; --max-staged-mb: 0 out of range 1\.\. ;; group pool 5 --max-staged-mb 0
duration_zero ;; 2 ;; ^$ ;; --duration-ms: 0 out of range 1..86400000 ;; record 5 - --duration-ms 0
# client-side messages instead of one EINVAL
cap_unaligned ;; 2 ;; ^$ ;; --max-staged-bytes: 4097 is not a multiple of the page size \(4096 bytes\) ;; group create 5 --max-staged-bytes 4097
cap_above_ram ;; 1 ;; ^$ ;; group create 5: the cap \(1048576 MiB\) is above total RAM \([0-9]+ MiB\) \(EINVAL\) ;; group create 5 --max-staged-mb 1048576
cap_above_ram_pool_json ;; 1 ;; "command":"group pool","group_id":5,"error":"EINVAL",.*"message":"the cap \(1048576 MiB\) is above total RAM ;; EINVAL ;; --json group pool 5 --max-staged-mb 1048576
# repeated, exclusive and extra arguments
exclusive_caps ;; 2 ;; ^$ ;; --max-staged-mb and --max-staged-bytes exclude each other ;; group create 5 --max-staged-mb 1 --max-staged-bytes 4096
exclusive_caps_pool ;; 2 ;; ^$ ;; exclude each other ;; group pool 5 --max-staged-bytes 4096 --max-staged-mb 1
repeated_option ;; 2 ;; ^$ ;; --max-vms given twice ;; group create 5 --max-vms 1 --max-vms 2
repeated_pool_option ;; 2 ;; ^$ ;; --huge given twice ;; group pool 5 --huge 1 --huge 1
repeated_duration ;; 2 ;; ^$ ;; --duration-ms given twice ;; record 5 - --duration-ms 1 --duration-ms 1
repeated_device ;; 2 ;; ^$ ;; --device given twice ;; --device $NX stats 1 --device $NX
missing_value ;; 2 ;; ^$ ;; --max-vms: missing value ;; group create 5 --max-vms
unknown_option ;; 2 ;; ^$ ;; group create 5: unknown option '--frob' ;; group create 5 --frob 1
version_extra ;; 2 ;; ^$ ;; version: unexpected argument 'extra' ;; version extra
version_extra_json ;; 2 ;; ^\{"ok":false,"command":"version","error":"usage","message":"unexpected argument 'extra'"\}$ ;; unexpected ;; version extra --json
stats_extra ;; 2 ;; ^$ ;; unexpected argument '6' ;; stats 5 6
horizon_extra ;; 2 ;; ^$ ;; unexpected argument '7' ;; group horizon 5 100 7
model_extra ;; 2 ;; ^$ ;; model export: unexpected argument 'y' ;; model export 5 x y
attach_extra ;; 2 ;; ^$ ;; attach: takes no arguments ;; attach now
mem_bind_unbind ;; 2 ;; ^$ ;; --bind and --unbind exclude each other ;; mem f --bind 3 --unbind
missing_subcommand ;; 2 ;; ^$ ;; group: missing subcommand ;; group
unknown_subcommand ;; 2 ;; ^$ ;; model: unknown command 'frob' ;; model frob 5 x
# help and version
help_per_command ;; 0 ;; ^usage: shadowctl \[--json\] group create ID \[--max-vms N\] ;; ^$ ;; group create --help
help_per_command_details ;; 0 ;; --horizon-ms MS +prediction horizon, 100..3600000 ;; ^$ ;; group create --help
help_wins_over_bad_args ;; 0 ;; ^usage: shadowctl \[--json\] group pool ;; ^$ ;; group pool 0x5 --help
help_shorthand ;; 0 ;; ^usage: shadowctl \[--json\] group stats ID$ ;; ^$ ;; stats -h
hist_usage ;; 2 ;; ^$ ;; group hist: expects ID ;; group hist
hist_usage_extra ;; 2 ;; ^$ ;; unexpected argument 'x' ;; group hist 5 x
hist_no_device_json ;; 1 ;; ^\{"ok":false,"command":"group hist","group_id":5,"device":"$NX","error":"ENOENT" ;; ENOENT ;; --json --device $NX group hist 5
help_subcommands ;; 0 ;; model export ID FILE ;; ^$ ;; model --help
help_command ;; 0 ;; ^usage: shadowctl ;; ^$ ;; help
help_command_of ;; 0 ;; --zero-budget N +pages zeroed per second at most, 256..16777216 ;; ^$ ;; help group pool
help_unknown ;; 2 ;; ^$ ;; unknown command 'frob' ;; help frob
help_global ;; 0 ;; Numbers are decimal \(010 is ten, 0x10 is refused\) ;; ^$ ;; --help
version_flag ;; 0 ;; ^shadowctl [0-9.]+, ABI version [0-9]+$ ;; ^$ ;; --version
version_flag_json ;; 0 ;; ^\{"ok":true,"command":"--version","version":"[^"]+","api_version":[0-9]+\}$ ;; ^$ ;; --json --version
version_flag_extra ;; 2 ;; ^$ ;; unexpected argument 'x' ;; --version x
EOF
)

# Rows against the module, in order: group $G (1 VM slot left at the
# default), then a guest (minivmm) that faults 8 MiB into it.
MOD_ROWS=$(cat <<EOF
create_decimal_leading_zero ;; 0 ;; ^\{"ok":true,"command":"group create","group_id":$G,"max_vms":[1-9][0-9]*,"max_staged_bytes":[1-9][0-9]*,"horizon_ms":5000\}$ ;; ^$ ;; group create 0$G --max-vms 0 --json
too_many_vms ;; 1 ;; ^$ ;; group create $G2: --max-vms 1025 is more VMs than the module allows per group \(max_vms_per_group [0-9]+\) \(EINVAL\) ;; group create $G2 --max-vms 1025
stats_no_demand_accuracy ;; 0 ;; accuracy n/a \(no demand yet\)$ ;; ^$ ;; group stats $G
stats_no_demand_hit_rate ;; 0 ;; hit rate +n/a \(no demand yet\) ;; ^$ ;; group stats $G
stats_staging_target_name ;; 0 ;; staged pages +0 now \(0 in 2 MiB blocks\), staging target [0-9]+, cap ;; ^$ ;; group stats $G
stats_forecast_name ;; 0 ;; forecast +[0-9]+ pages to stage ahead \(before the cap\) ;; ^$ ;; group stats $G
stats_json_state_decoded ;; 0 ;; "state":0,.*"enabled":false,"huge":false,"demand_seen":false\}$ ;; ^$ ;; group stats $G --json
stats_json_new_fields ;; 0 ;; "hit_rate_pages_permille":0,"released_pages":0,"reserve_shortfall_pages":0,"cap_evicted_pages":0,"refill_zero_ns":[0-9]+, ;; ^$ ;; --json group stats $G
stats_json_off_path_fields ;; 0 ;; "fault_zeroed_pages":0,"refill_cpu_ns":[0-9]+,"refill_runs":[0-9]+,"aged_out_pages":0,"shrinker_evicted_pages":0,"evicted_unused_pages":0, ;; ^$ ;; --json group stats $G
stats_off_path_text ;; 0 ;; zeroed, then unused +0 pages \(aged out 0, shrinker 0, lower cap 0\) ;; ^$ ;; group stats $G
hist_empty_text ;; 0 ;; ^  4k_miss +0 +- +- +- +-$ ;; ^$ ;; group hist $G
hist_empty_json ;; 0 ;; ^\{"ok":true,"command":"group hist","group_id":$G,"nr_buckets":90,"first_shift":8,"sub_shift":2,"last_shift":30,"classes":\{"4k_hit":\{"count":0,"sum_ns":0,"mean_ns":0,"p50_ns":0,"p90_ns":0,"p99_ns":0,"buckets":\[\]\}, ;; ^$ ;; --json group hist $G
hist_missing_group ;; 1 ;; "command":"group hist","group_id":$G2,"error":"ENOENT" ;; no such group ;; --json group hist $G2
horizon_echo ;; 0 ;; ^\{"ok":true,"command":"group horizon","group_id":$G,"horizon_ms":2000\}$ ;; ^$ ;; group horizon $G 2000 --json
pool_echo ;; 0 ;; ^\{"ok":true,"command":"group pool","group_id":$G,"max_age_ms":60000,"huge":true,"max_staged_bytes":67108864\}$ ;; ^$ ;; group pool $G --max-staged-mb 64 --huge 1 --max-age-ms 60000 --json
pool_echo_budget ;; 0 ;; ^\{"ok":true,"command":"group pool","group_id":$G,"zero_pages_per_sec":262144\}$ ;; ^$ ;; --json group pool $G --zero-budget 262144
stats_json_huge ;; 0 ;; "state":2,.*"enabled":false,"huge":true, ;; ^$ ;; --json group stats $G
reserve_over_cap_names_cap ;; 1 ;; ^$ ;; group reserve $G: 16385 pages is more than the group's staged-memory cap of 16384 pages \(64 MiB\) \(ENOSPC\) ;; group reserve $G 16385
reserve_over_cap_json ;; 1 ;; "command":"group reserve","group_id":$G,"error":"ENOSPC",.*"message":"16385 pages is more than the group's staged-memory cap of 16384 pages \(64 MiB\)" ;; ENOSPC ;; --json group reserve $G 16385
reserve_echo ;; 0 ;; ^\{"ok":true,"command":"group reserve","group_id":$G,"reserved_pages":2048\}$ ;; ^$ ;; --json group reserve $G 2048
cap_below_reservation ;; 1 ;; ^$ ;; group pool $G: the cap \(256 pages\) is below the group's reservation of 2048 pages: lower or cancel it first \('group reserve $G 0'\) \(EBUSY\) ;; group pool $G --max-staged-mb 1
stats_reservation ;; 0 ;; reservation +2048 pages, [0-9]+ short of it ;; ^$ ;; group stats $G
enable ;; 0 ;; shadowing enabled ;; ^$ ;; group enable $G
model_export_dir_json ;; 1 ;; ^\{"ok":false,"command":"model export","group_id":$G,"file":"$TMPD","error":"EISDIR" ;; $TMPD: cannot open for writing: Is a directory \(EISDIR\) ;; --json model export $G $TMPD
record_json_stdout ;; 0 ;; ^\{"command":"record","group_id":$G,"faults":\[.*\],"records":[0-9]+,"lost":[0-9]+,"ok":true\}$ ;; ^$ ;; --json record $G - --duration-ms 200
record_json_file ;; 0 ;; ^\{"ok":true,"command":"record","group_id":$G,"file":"$TMPD/rec.csv","records":0,"lost":0\}$ ;; ^$ ;; record $G $TMPD/rec.csv --duration-ms 200 --json
EOF
)

# After the guest ran: hits and misses in pages, time saved, pages
# released with the exited guest's memory (no discard).
DEMAND_ROWS=$(cat <<EOF
stats_hit_rates ;; 0 ;; hit rate +[0-9.]+% of faults, [0-9.]+% of pages \([0-9]+ pages hit, [0-9]+ missed\) ;; ^$ ;; group stats $G
stats_accuracy_number ;; 0 ;; accuracy [0-9.]+%$ ;; ^$ ;; group stats $G
stats_time_saved ;; 0 ;; time saved +[0-9.]+ ms \(estimate\) ;; ^$ ;; group stats $G
stats_released_not_discarded ;; 0 ;; returned pages +0 by discards \(hole punch, shrinking ftruncate\), [1-9][0-9]* released with their memory objects ;; ^$ ;; group stats $G
stats_json_demand ;; 0 ;; "faults":[1-9][0-9]*,.*"released_pages":[1-9][0-9]*,.*"demand_seen":true\}$ ;; ^$ ;; --json group stats $G
hist_demand_json ;; 0 ;; "classes":\{.*"count":[1-9][0-9]*,"sum_ns":[1-9][0-9]*,"mean_ns":[1-9][0-9]*,"p50_ns":[1-9][0-9]*,"p90_ns":[1-9][0-9]*,"p99_ns":[1-9][0-9]*,"buckets":\[\[[0-9]+,[1-9][0-9]*\] ;; ^$ ;; --json group hist $G
hist_demand_text ;; 0 ;; ^  (4k|2m)_(hit|miss) +[1-9][0-9]* +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$ ;; ^$ ;; group hist $G
EOF
)

# is_json_reply STATUS: stdout (stdin here) is one JSON object; a
# failure's (STATUS != 0) has ok false, command, error and message.
is_json_reply() {
	python3 -c '
import json, sys
v = json.loads(sys.stdin.read())
assert isinstance(v, dict), v
if sys.argv[1] != "0":
    assert v["ok"] is False and "command" in v, v
    assert v["error"] and v["message"], v
else:
    assert v["ok"] is True, v
' "$1" 2>&1
}

# row LINE: run one table row and report it.
row() {
	local name want out_re err_re argstr status out err errf why=
	local -a args

	IFS=$'\x1f' read -r name want out_re err_re argstr <<<"${1// ;; /$'\x1f'}"
	read -ra args <<<"$argstr"
	# '' in a row is an empty argument.
	for i in "${!args[@]}"; do
		[ "${args[$i]}" = "''" ] && args[i]=
	done
	errf=$(mktemp)
	out=$("$CTL" "${args[@]}" 2>"$errf")
	status=$?
	err=$(cat "$errf")
	rm -f "$errf"
	if [ "$status" != "$want" ]; then
		why="status $status, want $want"
	elif ! grep -Eq -- "$out_re" <<<"$out"; then
		why="stdout does not match '$out_re'"
	elif ! grep -Eq -- "$err_re" <<<"$err"; then
		why="stderr does not match '$err_re'"
	elif [[ " ${args[*]} " == *" --json "* ]] &&
	     ! jerr=$(is_json_reply "$status" <<<"$out"); then
		why="stdout is not one JSON reply: $jerr"
	fi
	if [ -n "$why" ]; then
		ktap_print_msg "$name: shadowctl ${args[*]}: $why"
		ktap_print_msg "  stdout: $out"
		ktap_print_msg "  stderr: $err"
		ktap_test_fail "$name"
	else
		ktap_test_pass "$name"
	fi
}

# rows TABLE [skip REASON]: every row of TABLE, or each skipped.
rows() {
	local line

	while IFS= read -r line; do
		[[ -z $line || $line == \#* ]] && continue
		if [ "$2" = skip ]; then
			ktap_test_skip "${line%% ;; *} ($3)"
		else
			row "$line"
		fi
	done <<<"$1"
}

count() {
	grep -cv '^#' <<<"$1"
}

ROUNDS=10

# Two 'shadowctl attach' at once, ROUNDS times from detached: both exit 0,
# one attaches and the other finds it attached; status is then whole.
concurrent_attach() {
	local r bad=0 o1 o2 s1 s2

	for r in $(seq $ROUNDS); do
		"$CTL" detach >/dev/null 2>&1
		"$CTL" attach >"$TMPD/a1" 2>&1 &
		"$CTL" attach >"$TMPD/a2" 2>&1 &
		wait %1; s1=$?
		wait %2; s2=$?
		o1=$(cat "$TMPD/a1")
		o2=$(cat "$TMPD/a2")
		if [ $s1 != 0 ] || [ $s2 != 0 ] ||
		   ! grep -q "^telemetry attached" <<<"$o1
$o2" ||
		   ! grep -q "^telemetry already attached" <<<"$o1
$o2" || ! "$CTL" status >/dev/null 2>&1; then
			ktap_print_msg "round $r: attach $s1: $o1 / attach $s2: $o2"
			bad=$((bad + 1))
		fi
	done
	"$CTL" detach >/dev/null 2>&1
	ktap_print_msg "$ROUNDS rounds of two concurrent attaches: $bad failed"
	ktap_test_result "concurrent_attach_${ROUNDS}_rounds" [ $bad = 0 ]
}

ktap_print_header
if [ ! -x "$CTL" ]; then
	ktap_skip_all "shadowctl not built"
	exit "$KSFT_SKIP"
fi
ktap_set_plan $(($(count "$HOST_ROWS") + $(count "$MOD_ROWS") + $(count "$DEMAND_ROWS") + 1))

rows "$HOST_ROWS"

if [ ! -c /dev/shadowalloc ]; then
	rows "$MOD_ROWS" skip "module not loaded"
	rows "$DEMAND_ROWS" skip "module not loaded"
	ktap_test_skip "concurrent_attach_${ROUNDS}_rounds (module not loaded)"
	ktap_finished
	exit
fi

"$CTL" group destroy $G >/dev/null 2>&1
"$CTL" group destroy $G2 >/dev/null 2>&1
rows "$MOD_ROWS"

# A guest faulting 8 MiB into the group, some of it from the reservation.
if [ -c /dev/kvm ] && [ -x "$MINIVMM" ]; then
	for _ in $(seq 300); do
		[ "$(stat_of staged_pages)" -ge 1024 ] && break
		sleep 0.1
	done
	sh -c "'$CTL' group add-vm $G \$\$ >/dev/null && exec '$MINIVMM' 8" >"$TMPD/vmm" 2>&1 ||
		{ ktap_print_msg "minivmm: $(cat "$TMPD/vmm")"; }
	rows "$DEMAND_ROWS"
else
	rows "$DEMAND_ROWS" skip "needs /dev/kvm and minivmm"
fi

if [ -c /dev/kvm ] && [ -e /sys/kernel/btf/shadowalloc ] && [ "$(id -u)" = 0 ]; then
	concurrent_attach
else
	ktap_test_skip "concurrent_attach_${ROUNDS}_rounds (needs KVM, module BTF and root)"
fi
ktap_finished
