#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The host configuration (issue 11, item 2): shadowctl check-config and
# apply on a real file against the real module: the plan of --dry-run
# changes nothing, apply makes groups, pools, reservations and a
# shadowallocfs mount as the file says, a second apply finds nothing to
# change, a changed file changes only what changed, a bad line (or a
# conflict with the host) applies nothing at all, --prune; save-models /
# load-models (atomic replace, bad and missing files per group); the
# service's start/stop scripts run as the unit runs them, without systemd
# (module loaded by the script, telemetry attached and detached, models
# saved and loaded again, a restart changes nothing); the unit checked
# with systemd-analyze verify. Files under a fresh /tmp directory (the
# test VM's root is read-only).

# shellcheck source=lib/sa_test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sa_test.sh" || exit 4

G1=441
G2=442
G3=443
T=$(mktemp -d /tmp/sa-config.XXXXXX)
CONF=$T/shadowalloc.conf
MNT=$T/mnt/g$G1
MODELS=$T/models
UNIT=$REPO/tools/systemd/shadowalloc.service
START=$REPO/tools/systemd/shadowalloc-start.sh
STOP=$REPO/tools/systemd/shadowalloc-stop.sh

cleanup() {
	umount "$MNT" 2>/dev/null
	if [ -c /dev/shadowalloc ]; then
		"$CTL" detach >/dev/null 2>&1
		for g in $G1 $G2 $G3; do
			"$CTL" group destroy "$g" >/dev/null 2>&1
		done
	fi
	rm -rf "$T"
}
trap cleanup EXIT

# write_conf [KEY=VALUE...]: the test's configuration, with overrides of
# group $G1's keys (HORIZON, HUGE, RESERVE, ENABLED, MAX_VMS) and TELEMETRY
# (a [global] telemetry line, none if empty).
write_conf() {
	local HORIZON=2000 HUGE=yes RESERVE=256 ENABLED=yes MAX_VMS=4 TELEMETRY="" "$@"

	cat > "$CONF" <<EOF
# config_test.sh
[global]
model_dir = $MODELS
${TELEMETRY:+telemetry = $TELEMETRY}

[group $G1]
enabled = $ENABLED
max_vms = $MAX_VMS
max_staged_mb = 64
horizon_ms = $HORIZON
max_age_ms = 60000
huge = $HUGE
zero_budget = 65536
reserve_pages = $RESERVE

[group $G2]
; a second group, left disabled
enabled = no
max_staged_mb = 32

[mount $MNT]
group = $G1
size = 64m
mode = 0750
owner = 0:0
nr_inodes = 16
EOF
}

# json_field JSON KEY: a top-level number or boolean of a JSON object.
json_field() {
	python3 -c 'import json,sys; v = json.loads(sys.argv[1])[sys.argv[2]]; print(str(v).lower() if isinstance(v, bool) else v)' "$1" "$2"
}

# stats_match G KEY=VALUE...: group G's JSON stats have these values.
stats_match() {
	local g=$1 kv out
	shift
	out=$("$CTL" --json group stats "$g") || return 1
	for kv in "$@"; do
		if [ "$(json_field "$out" "${kv%%=*}")" != "${kv#*=}" ]; then
			ktap_print_msg "group $g: ${kv%%=*} is $(json_field "$out" "${kv%%=*}"), want ${kv#*=}"
			return 1
		fi
	done
}

mounted_here() {
	awk -v m="$MNT" '$5 == m { t = $0 } END { sub(/.* - /, "", t); split(t, a, " "); print a[1] }' /proc/self/mountinfo
}

# pass_if NAME [MESSAGE]: the result of the command before it; MESSAGE
# (e.g. the output checked) is printed on failure.
pass_if() {
	local status=$?

	[ $status = 0 ] || [ -z "${2-}" ] || ktap_print_msg "$1: $2"
	ktap_test_result "$1" [ $status = 0 ]
}

ktap_print_header

# --- host-only: the file's validation, usage --------------------------
write_conf
check_cli "$CTL" check_config_valid 0 "^$CONF: valid: 2 groups, 1 mount, telemetry as is, models $MODELS$" '^$' \
	-- check-config "$CONF"
check_cli "$CTL" check_config_example 0 "valid: 2 groups, 1 mount, telemetry on" '^$' \
	-- check-config "$REPO/etc/shadowalloc.conf"

# Bad files, one reason each, at its line.
bad_row() {	# NAME LINE REASON_ERE CONTENT
	printf '%b' "$4" > "$T/bad.conf"
	check_cli "$CTL" "bad_$1" 1 '^$' "^shadowctl: $T/bad.conf:$2: $3" \
		-- check-config "$T/bad.conf"
}
bad_row unknown_key 2 "unknown key 'horizon' in \[group 5\]" '[group 5]\nhorizon = 5\n'
bad_row range 2 "horizon_ms = '99': out of range 100..3600000" '[group 5]\nhorizon_ms = 99\n'
bad_row hex 2 "max_vms = '0x4': not a number \(numbers are decimal\)" '[group 5]\nmax_vms = 0x4\n'
bad_row bool 3 "huge = 'maybe': yes or no" '# c\n[group 5]\nhuge = maybe\n'
bad_row outside 1 "'enabled' outside a section" 'enabled = yes\n'
bad_row not_key_value 2 "not 'key = value', a section or a comment" '[global]\ntelemetry\n'
bad_row no_value 2 "telemetry: no value" '[global]\ntelemetry =\n'
bad_row dup_group 3 "\[group 5\] given twice \(line 1\)" '[group 5]\n\n[group 5]\n'
bad_row dup_key 3 "horizon_ms given twice in \[group 5\]" '[group 5]\nhorizon_ms = 100\nhorizon_ms = 200\n'
bad_row group_id 1 "\[group '0'\]: group id out of range" '[group 0]\n'
bad_row section 1 "unknown section '\[pool 5\]'" '[pool 5]\n'
bad_row trailing_comment 2 "horizon_ms = '100 # ms': not a number" '[group 5]\nhorizon_ms = 100 # ms\n'
bad_row cap_above_ram 2 "max_staged_mb = 1073741824: above total RAM" '[group 5]\nmax_staged_mb = 1073741824\n'
bad_row reserve_over_cap 1 "\[group 5\]: reserve_pages 300 is more than max_staged_mb holds \(256 pages\)" '[group 5]\nmax_staged_mb = 1\nreserve_pages = 300\n'
bad_row world_writable 4 "mode = 0777: world-writable" '[group 5]\n[mount /x]\ngroup = 5\nmode = 0777\nsize = 1m\n'
bad_row mount_relative 1 "\[mount 'x'\]: an absolute path" '[mount x]\n'
bad_row mount_no_group_section 2 "\[mount /x\]: group 6 has no \[group 6\] section" '[group 5]\n[mount /x]\ngroup = 6\nsize = 1m\n'
bad_row mount_no_size 2 "\[mount /x\]: no size" '[group 5]\n[mount /x]\ngroup = 5\n'
bad_row mount_size 3 "size = '12x': not a size" '[group 5]\n[mount /x]\nsize = 12x\ngroup = 5\n'
bad_row owner 3 "owner = 'no-such-user-here': no such user" '[group 5]\n[mount /x]\nowner = no-such-user-here\n'
bad_row model_dir 2 "model_dir = 'models': an absolute path" '[global]\nmodel_dir = models\n'
bad_row telemetry 2 "telemetry = 'maybe': on or off" '[global]\ntelemetry = maybe\n'

# Every bad line, not only the first, and one JSON object with them all.
printf '[group 5]\nfoo = 1\nhorizon_ms = 1\n[global]\nbar = 2\n' > "$T/bad.conf"
out=$("$CTL" --json check-config "$T/bad.conf" 2>"$T/err")
status=$?
[ $status = 1 ] && [ "$(grep -c "$T/bad.conf:[235]: " "$T/err")" = 3 ] &&
grep -q "3 errors, nothing applied" "$T/err" &&
python3 -c '
import json, sys
v = json.loads(sys.argv[1])
assert v["ok"] is False and v["command"] == "check-config" and v["error"] == "EINVAL", v
assert [e["line"] for e in v["errors"]] == [2, 3, 5], v
assert v["message"].startswith(sys.argv[2] + ":2: "), v
' "$out" "$T/bad.conf"
pass_if bad_every_line_reported "$out"
check_cli "$CTL" check_config_missing_file 1 '^$' "check-config: $T/none.conf: cannot read: No such file or directory \(ENOENT\)" \
	-- check-config "$T/none.conf"
check_cli "$CTL" apply_usage_no_file 2 '^$' 'apply: expects FILE' -- apply
check_cli "$CTL" apply_usage_option 2 '^$' "apply: unknown option '--frob'" -- apply "$CONF" --frob
check_cli "$CTL" apply_usage_twice 2 '^$' '--dry-run given twice' -- apply "$CONF" --dry-run --dry-run
check_cli "$CTL" apply_help 0 '^usage: shadowctl \[--json\] apply FILE \[--dry-run\] \[--prune\]' '^$' -- apply --help
check_cli "$CTL" save_models_usage 2 '^$' 'save-models: expects DIR or --config FILE' -- save-models
check_cli "$CTL" load_models_help 0 'usage: shadowctl \[--json\] load-models' '^$' -- load-models --help

# The unit: systemd's own checker, with the paths of this tree.
if command -v systemd-analyze >/dev/null; then
	sed -e "s#/usr/local/libexec/shadowalloc#$REPO/tools/systemd#" \
	    -e "s#/usr/local/sbin/shadowctl#$CTL#g" "$UNIT" > "$T/shadowalloc.service"
	# Documentation=man:shadowctl(8) is checked once the man page is installed.
	manopt=--man=no
	man -w shadowctl >/dev/null 2>&1 && manopt=
	# shellcheck disable=SC2086
	if out=$(systemd-analyze verify $manopt "$T/shadowalloc.service" 2>&1); then
		ktap_test_pass systemd_analyze_verify
	else
		ktap_print_msg "$out"
		ktap_test_fail systemd_analyze_verify
	fi
	grep -q "^ExecStart=/usr/local/libexec/shadowalloc/shadowalloc-start.sh$" "$UNIT" &&
		grep -q "^ExecStop=/usr/local/libexec/shadowalloc/shadowalloc-stop.sh$" "$UNIT"
	pass_if unit_runs_the_scripts
else
	ktap_test_skip "systemd_analyze_verify (no systemd-analyze)"
	ktap_test_skip "unit_runs_the_scripts (no systemd-analyze)"
fi

if [ ! -c /dev/shadowalloc ] || [ "$(id -u)" != 0 ]; then
	ktap_test_skip "module tests (module not loaded or not root)"
	ktap_set_plan $((KTAP_CNT_PASS + KTAP_CNT_FAIL + KTAP_CNT_SKIP))
	ktap_finished
fi
for g in $G1 $G2 $G3; do
	"$CTL" group destroy "$g" >/dev/null 2>&1
done

# --- apply --------------------------------------------------------------
out=$("$CTL" apply "$CONF" --dry-run 2>&1)
grep -q "^would: group $G1: create max_vms 4 max_staged_mb 64 horizon_ms 2000$" <<<"$out" &&
grep -q "^would: group $G1: pool max_age_ms 60000 huge yes zero_budget 65536$" <<<"$out" &&
grep -q "^would: group $G1: reserve 256 pages (was 0)$" <<<"$out" &&
grep -q "^would: group $G1: enable$" <<<"$out" &&
grep -q "^would: group $G2: create max_staged_mb 32$" <<<"$out" &&
grep -q "^would: mount $MNT: mkdir $MNT$" <<<"$out" &&
grep -q "^would: mount $MNT: mount -t shadowallocfs -o group=$G1,size=64m,mode=0750,uid=0,gid=0,nr_inodes=16$" <<<"$out" &&
grep -q "^$CONF: 7 changes planned (dry run: nothing done)$" <<<"$out"
pass_if dry_run_plan "$out"
! "$CTL" group stats $G1 >/dev/null 2>&1 && [ ! -e "$MNT" ]
pass_if dry_run_changes_nothing
out=$("$CTL" --json apply --dry-run "$CONF")
python3 -c '
import json, sys
v = json.loads(sys.argv[1])
assert v["ok"] is True and v["command"] == "apply" and v["dry_run"] is True, v
assert v["changes"] == 7 and v["changed"] is False, v
a = v["actions"]
assert [x["action"] for x in a] == ["create", "pool", "reserve", "enable", "create", "mkdir", "mount"], a
assert a[0]["object"] == "group" and a[0]["group_id"] == int(sys.argv[2]) and not a[0]["done"], a
assert a[6]["object"] == "mount" and a[6]["path"] == sys.argv[3], a
' "$out" $G1 "$MNT"
pass_if dry_run_json

out=$("$CTL" apply "$CONF" 2>&1)
[ $? = 0 ] && grep -q "^$CONF: 7 changes made$" <<<"$out"
pass_if apply_first "$out"
stats_match $G1 max_vms=4 max_staged_bytes=$((64 << 20)) horizon_ms=2000 \
	max_age_ms=60000 huge=true zero_pages_per_sec=65536 reserved_pages=256 \
	enabled=true
pass_if apply_group_settings
stats_match $G2 max_staged_bytes=$((32 << 20)) enabled=false huge=false
pass_if apply_second_group
[ "$(mounted_here)" = shadowallocfs ] && [ "$(stat -c %a:%u:%g "$MNT")" = 750:0:0 ]
pass_if apply_mount
# A file made there is guest memory of group $G1 (group=).
: > "$MNT/guest0"
check_cli "$CTL" apply_mount_group_bound 0 "bound to group $G1" '^$' -- mem "$MNT/guest0"
rm -f "$MNT/guest0"

check_cli "$CTL" apply_again_nothing 0 "^$CONF: nothing to change$" '^$' -- apply "$CONF"
out=$("$CTL" --json apply "$CONF")
[ "$(json_field "$out" changes)" = 0 ] && [ "$(json_field "$out" changed)" = false ]
pass_if apply_again_json_unchanged

# A changed file: only what changed. Lower reservation before the pool.
write_conf HORIZON=3000 HUGE=no RESERVE=0
out=$("$CTL" apply "$CONF" 2>&1)
[ "$(grep -c "^group $G1: " <<<"$out")" = 3 ] &&
grep -q "^group $G1: reserve 0 pages (was 256)$" <<<"$out" &&
grep -q "^group $G1: pool huge no$" <<<"$out" &&
grep -q "^group $G1: horizon 3000 ms (was 2000)$" <<<"$out" &&
grep -q "^$CONF: 3 changes made$" <<<"$out"
pass_if apply_change_only_diff "$out"
stats_match $G1 horizon_ms=3000 huge=false reserved_pages=0 enabled=true
pass_if apply_change_applied
check_cli "$CTL" apply_change_again_nothing 0 "nothing to change" '^$' -- apply "$CONF"

# Disabling a group with a reservation: disable first (it cancels the
# reservation), the reservation renewed after.
write_conf HORIZON=3000 HUGE=no RESERVE=128 ENABLED=no
out=$("$CTL" --json apply "$CONF")
python3 -c '
import json, sys
v = json.loads(sys.argv[1])
assert v["ok"] and v["changed"], v
assert [x["action"] for x in v["actions"]] == ["disable", "reserve"], v
assert all(x["done"] for x in v["actions"]), v
' "$out" && stats_match $G1 enabled=false reserved_pages=128
pass_if apply_disable_then_reserve
check_cli "$CTL" apply_disabled_again_nothing 0 "nothing to change" '^$' -- apply "$CONF"

# A bad line among good changes: nothing at all is applied.
write_conf HORIZON=4000 HUGE=yes RESERVE=128 ENABLED=no
echo "max_age_ms = 5" >> "$CONF"
line=$(wc -l < "$CONF")
check_cli "$CTL" apply_bad_line 1 '^$' "^shadowctl: $CONF:$line: unknown key 'max_age_ms' in \[mount $MNT\]" \
	-- apply "$CONF"
stats_match $G1 horizon_ms=3000 huge=false
pass_if apply_bad_line_nothing_applied
out=$("$CTL" --json apply "$CONF" 2>/dev/null)
[ "$(json_field "$out" ok)" = false ] && [ "$(json_field "$out" error)" = EINVAL ] &&
	python3 -c 'import json,sys; v = json.loads(sys.argv[1]); assert v["errors"][0]["line"] == int(sys.argv[2])' "$out" "$line"
pass_if apply_bad_line_json

# What the host cannot do: max_vms of an existing group. Nothing applied.
write_conf HORIZON=4000 HUGE=no RESERVE=128 ENABLED=no MAX_VMS=5
check_cli "$CTL" apply_conflict_max_vms 1 '^$' "group $G1: max_vms is 4 on the host, 5 in the file: it is set at creation only .*; nothing applied \(EEXIST\)" \
	-- apply "$CONF"
stats_match $G1 horizon_ms=3000
pass_if apply_conflict_nothing_applied

# --prune: a group not in the file is left alone, or destroyed.
write_conf HORIZON=3000 HUGE=no RESERVE=128 ENABLED=no
"$CTL" group create $G3 >/dev/null
check_cli "$CTL" apply_leaves_other_groups 0 "nothing to change" '^$' -- apply "$CONF"
if [ -r /sys/kernel/debug/shadowalloc/pools ]; then
	check_cli "$CTL" prune_dry_run 0 "^would: group $G3: destroy \(not in $CONF; --prune\)$" '^$' \
		-- apply "$CONF" --prune --dry-run
	others=$(awk -v a=$G1 -v b=$G2 -v c=$G3 '$1 == "group" && $3 == "pool" && $2 != a && $2 != b && $2 != c' /sys/kernel/debug/shadowalloc/pools)
	if [ -z "$others" ]; then
		check_cli "$CTL" prune 0 "^group $G3: destroy" '^$' -- apply "$CONF" --prune
		! "$CTL" group stats $G3 >/dev/null 2>&1 && stats_match $G1 enabled=false
		pass_if prune_destroyed_only_it
	else
		ktap_test_skip "prune (groups of other tests exist)"
		ktap_test_skip "prune_destroyed_only_it (groups of other tests exist)"
	fi
else
	for n in prune_dry_run prune prune_destroyed_only_it; do
		ktap_test_skip "$n (debugfs not mounted)"
	done
fi
"$CTL" group destroy $G3 >/dev/null 2>&1

# --- models ---------------------------------------------------------------
out=$("$CTL" save-models --config "$CONF" 2>&1)
[ $? = 0 ] && [ -s "$MODELS/group-$G1.model" ] && [ -s "$MODELS/group-$G2.model" ] &&
grep -q "^2 models saved in $MODELS, 0 failed$" <<<"$out" &&
[ -z "$(find "$MODELS" -name '.tmp-*')" ]
pass_if save_models "$out"
# Replaced by rename (a new inode), not rewritten in place.
ino=$(stat -c %i "$MODELS/group-$G1.model")
"$CTL" save-models "$MODELS" $G1 >/dev/null &&
	[ "$(stat -c %i "$MODELS/group-$G1.model")" != "$ino" ] &&
	[ "$(stat -c %a "$MODELS/group-$G1.model")" = 600 ]
pass_if save_models_atomic_rename
size=$(stat -c %s "$MODELS/group-$G1.model")

# After a "reboot" (groups gone, made again by apply): models loaded.
"$CTL" group destroy $G1 >/dev/null && "$CTL" group destroy $G2 >/dev/null
umount "$MNT"
"$CTL" apply "$CONF" >/dev/null
out=$("$CTL" --json load-models --config "$CONF")
python3 -c '
import json, sys
v = json.loads(sys.argv[1])
assert v["ok"] and v["loaded"] == 2 and v["missing"] == 0 and v["failed"] == 0, v
assert [g["status"] for g in v["groups"]] == ["loaded", "loaded"], v
assert v["groups"][0]["bytes"] == int(sys.argv[2]), v
' "$out" "$size"
pass_if load_models_after_recreate "$out"

# A corrupt file and a missing one: reported per group, the rest loaded.
python3 -c '
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xff
open(p, "wb").write(b)
' "$MODELS/group-$G2.model"
mv "$MODELS/group-$G1.model" "$T/g1.model"
out=$("$CTL" load-models --config "$CONF" 2>"$T/err")
status=$?
[ $status = 1 ] && grep -q "^0 models loaded from $MODELS, 1 missing, 1 failed$" <<<"$out" &&
grep -Eq "load-models: group $G2: $MODELS/group-$G2.model: .*\((EBADMSG|EINVAL)\)$" "$T/err"
pass_if load_models_bad_and_missing "$out / $(cat "$T/err")"
out=$("$CTL" --json load-models "$MODELS" 2>/dev/null)
python3 -c '
import json, sys
v = json.loads(sys.argv[1])
assert v["ok"] is False and v["failed"] == 1 and v["loaded"] == 0, v
assert v["groups"][0]["group_id"] == int(sys.argv[2]) and v["groups"][0]["error"] in ("EBADMSG", "EINVAL"), v
' "$out" $G2
pass_if load_models_dir_json
mv "$T/g1.model" "$MODELS/group-$G1.model"
rm -f "$MODELS/group-$G2.model"
"$CTL" save-models "$MODELS" $G2 >/dev/null
cp "$MODELS/group-$G1.model" "$MODELS/group-$G3.model"
check_cli "$CTL" load_models_no_group 1 "^group $G1: loaded " "group $G3: $MODELS/group-$G3.model: .*\(ENOENT\)" \
	-- load-models "$MODELS" $G3 $G1
rm -f "$MODELS/group-$G3.model"

# --- the service's start/stop sequence, without systemd -------------------
for g in $G1 $G2; do
	"$CTL" group destroy "$g" >/dev/null 2>&1
done
umount "$MNT" 2>/dev/null
tel=
if [ -c /dev/kvm ] && [ -e /sys/kernel/btf/shadowalloc ]; then
	tel=on
fi
write_conf TELEMETRY=$tel
export SHADOWCTL=$CTL
# The module loaded by the start script, if this test can unload it.
loaded_by_script=0
"$CTL" detach >/dev/null 2>&1
if rmmod shadowalloc 2>/dev/null; then
	loaded_by_script=1
fi
out=$(SHADOWALLOC_MODPROBE="insmod $REPO/kmod/shadowalloc.ko" "$START" "$CONF" 2>&1)
status=$?
ktap_print_msg "start: $(tr '\n' '|' <<<"$out")"
[ $status = 0 ] && [ -c /dev/shadowalloc ]
pass_if service_start
if [ $loaded_by_script = 1 ]; then
	grep -q "loading the module: insmod" <<<"$out"
	pass_if service_start_loads_module
else
	ktap_test_skip "service_start_loads_module (the module is in use: not unloaded)"
fi
stats_match $G1 enabled=true horizon_ms=2000 reserved_pages=256 &&
	[ "$(mounted_here)" = shadowallocfs ] &&
	grep -q "^2 models loaded from $MODELS, 0 missing, 0 failed$" <<<"$out"
pass_if service_start_applied_and_loaded
if [ -n "$tel" ]; then
	check_cli "$CTL" service_start_telemetry 0 '^telemetry attached' '^$' -- status
else
	ktap_test_skip "service_start_telemetry (needs KVM and module BTF)"
fi
m1=$(stat -c %i "$MODELS/group-$G1.model")
out=$("$STOP" "$CONF" 2>&1)
status=$?
ktap_print_msg "stop: $(tr '\n' '|' <<<"$out")"
[ $status = 0 ] && grep -q "^2 models saved in $MODELS, 0 failed$" <<<"$out" &&
[ "$(stat -c %i "$MODELS/group-$G1.model")" != "$m1" ]
pass_if service_stop
check_cli "$CTL" service_stop_detached 0 '^telemetry not attached$' '^$' -- status
# A restart: the groups are there, so apply changes only the telemetry.
out=$("$START" "$CONF" 2>&1)
status=$?
ktap_print_msg "restart: $(tr '\n' '|' <<<"$out")"
if [ -n "$tel" ]; then
	want="^telemetry: attach$"
else
	want="^$CONF: nothing to change$"
fi
[ $status = 0 ] && grep -q "$want" <<<"$out" && ! grep -Eq "^group [0-9]+: (create|pool|reserve|horizon|enable|disable)" <<<"$out" &&
grep -q "^2 models loaded" <<<"$out"
pass_if service_restart_idempotent
"$STOP" "$CONF" >/dev/null 2>&1
# A bad file: the start script stops before touching anything.
echo "bogus" >> "$CONF"
out=$("$START" "$CONF" 2>&1)
[ $? = 1 ] && grep -q "$CONF:$(wc -l < "$CONF"): not 'key = value'" <<<"$out"
pass_if service_start_bad_file

ktap_set_plan $((KTAP_CNT_PASS + KTAP_CNT_FAIL + KTAP_CNT_SKIP))
ktap_finished
