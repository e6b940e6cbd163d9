#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Live migration (precopy) of a real Linux guest between two unmodified
# QEMUs on this machine, both with their RAM on shadowallocfs in one group
# (a group= mount; each QEMU creates and unlinks its own file there):
#
#   source: boots, writes a random blob into its page cache (guest RAM),
#           prints its checksum, keeps rewriting and checking other data
#           (memory dirtied during the migration), and waits until its
#           fw_cfg file opt/sa/side reads "dst": fw_cfg contents are not
#           migrated, each QEMU has its own (-fw_cfg), so the guest sees it
#           once it runs on the destination
#   dest:   started with -incoming unix:SOCK and -S (it stays paused once
#           the migration is done); QMP "migrate" on the source
#   then:   both paused, the pages of each QEMU's RAM file and of the group
#           are counted exactly; the source quits and its pages go back
#           (mem_pages is the destination's alone); the destination goes
#           on ("cont"), checksums the blob again and exits.
#
# Checked: migration completed; the checksum after equals the one before;
# every page the destination's RAM took was a fault counted in the group
# (hits + misses, no plain faults); the source's pages are released when
# it quits. SA_MIGRATION_MEM (MiB, default 192) sizes the guest.

# shellcheck source=lib/sa_test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sa_test.sh" || exit 4

QMP=$REPO/tools/l2/qmp.py
PAGES_FILE=/sys/kernel/debug/shadowalloc/pages
G=721
MEM=${SA_MIGRATION_MEM:-192}
BLOB_MB=24
W=/run/sa-migration.$$
MNT=$W/ram

ktap_print_header
if [ ! -c /dev/kvm ] || [ ! -c /dev/shadowalloc ] || ! command -v qemu-system-x86_64 >/dev/null ||
   ! grep -qw shadowallocfs /proc/filesystems || [ ! -r "$PAGES_FILE" ]; then
	ktap_skip_all "needs /dev/kvm, the module, shadowallocfs, debugfs and qemu-system-x86_64"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 8

SRC_RUN=""
DST_RUN=""
cleanup() {
	local p
	# A QEMU left running by a failure: by its pid file.
	for p in "$W/src.pid" "$W/dst.pid"; do
		[ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	for p in $SRC_RUN $DST_RUN; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	mountpoint -q "$MNT" && umount "$MNT"
	rm -rf "$W"
	"$CTL" group destroy $G >/dev/null 2>&1
}
trap cleanup EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }
debugfs_value() { awk -v k="$1" '$1 == k { print $2 }' "$PAGES_FILE"; }
served() { echo $(($(stat_of hit_pages) + $(stat_of miss_pages))); }

# ram_pages PIDFILE: pages held by the guest RAM file that QEMU mapped
# (created in $MNT and unlinked: reached through /proc/PID/map_files).
ram_pages() {
	local pid range
	pid=$(cat "$1") || return 1
	range=$(awk -v d="$MNT/" 'index($6, d) == 1 { print $1; exit }' "/proc/$pid/maps")
	[ -n "$range" ] || return 1
	"$CTL" --json mem "/proc/$pid/map_files/$range" | sed 's/.*"pages":\([0-9]*\).*/\1/'
}

# wait_console FILE MARKER SECONDS PID: until FILE has a line starting
# with MARKER; fails when PID (its run-l2.sh) ends first or time runs out.
wait_console() {
	local i
	for ((i = 0; i < $3 * 5; i++)); do
		grep -aq "^$2" "$1" && return 0
		kill -0 "$4" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

# qemu_l2 NAME [run-l2.sh options]: one QEMU of the pair (NAME src or dst,
# also the guest's fw_cfg opt/sa/side), with a QMP socket, a pid file and
# its console in $W/NAME.*; the same guest command on both sides.
qemu_l2() {
	local name=$1
	shift
	: > "$W/$name.console"
	"$REPO/tools/l2/run-l2.sh" --timeout 400 --mem "$MEM" \
		--backend shadowallocfs --mem-path "$MNT" \
		--console "$W/$name.console" \
		--qemu-arg -qmp --qemu-arg "unix:$W/$name.qmp,server=on,wait=off" \
		--l2-module qemu_fw_cfg \
		--qemu-arg -fw_cfg --qemu-arg "name=opt/sa/side,string=$name" \
		--qemu-arg -pidfile --qemu-arg "$W/$name.pid" \
		"$@" -- "$L2_CMD" > "$W/$name.out" 2>&1
}

# In the guest (busybox): a random blob in the page cache, its checksum;
# a background job that rewrites and compares other data all along (pages
# dirtied while the migration copies them); once on the destination, the
# checksum again.
# shellcheck disable=SC2016 # expanded in the guest
L2_CMD='side() { cat /sys/firmware/qemu_fw_cfg/by_name/opt/sa/side/raw 2>/dev/null; }
[ "$(side)" = src ] || { echo "@@NO_FW_CFG: $(side)@@"; exit 1; }
mkdir -p /tmp
dd if=/dev/urandom of=/tmp/blob bs=1M count='$BLOB_MB' 2>/dev/null || exit 1
s1=$(md5sum < /tmp/blob)
echo "@@SUM1 $s1@@"
( n=0; while :; do
	dd if=/dev/urandom of=/tmp/d bs=64k count=16 2>/dev/null
	a=$(md5sum < /tmp/d); cp /tmp/d /tmp/e; b=$(md5sum < /tmp/e)
	[ "$a" = "$b" ] || echo "@@DIRTY_MISMATCH round $n@@"
	n=$((n + 1)); echo $n > /tmp/rounds
done ) &
dirtier=$!
echo "@@READY@@"
while [ "$(side)" != dst ]; do sleep 0.3; done
kill $dirtier
s2=$(md5sum < /tmp/blob)
echo "@@SUM2 $s2@@ on $(side); dirtier rounds $(cat /tmp/rounds)"
[ "$s1" = "$s2" ]'

t0=$(now_ms)
mkdir -p "$MNT"
mount -t shadowallocfs -o group=$G,mode=0700 none "$MNT" ||
	ktap_exit_fail_msg "cannot mount shadowallocfs on $MNT"
stage_reserved_group $G $((MEM * 256))
t_pool=$(now_ms)

qemu_l2 src &
SRC_RUN=$!
ready=0
wait_console "$W/src.console" "@@READY@@" 240 "$SRC_RUN" && ready=1
t_ready=$(now_ms)
sum1=$(sed -n 's/^@@SUM1 \([0-9a-f]*\).*/\1/p' "$W/src.console" | tr -d '\r')
ktap_print_msg "source up and ready after $((t_ready - t_pool)) ms, blob checksum ${sum1:-none}"

completed=0
dst_counted=0
src_released=0
exact=0
if [ $ready = 1 ]; then
	src0=$(ram_pages "$W/src.pid") || src0=0
	served0=$(served)
	plain0=$(debugfs_value plain_faults)

	qemu_l2 dst --incoming "unix:$W/mig.sock" --qemu-arg -S &
	DST_RUN=$!
	python3 "$QMP" --wait 60 "$W/dst.qmp" query-status >/dev/null ||
		ktap_print_msg "destination QMP did not come up"
	t_mig=$(now_ms)
	# One QMP session for the whole migration: a python start costs
	# seconds under TCG, too much for polling query-migrate with qmp.py.
	mig=$(python3 - "$W/src.qmp" "unix:$W/mig.sock" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("r")
def cmd(name, args=None):
    req = {"execute": name}
    if args is not None:
        req["arguments"] = args
    s.sendall((json.dumps(req) + "\n").encode())
    while True:
        msg = json.loads(f.readline())
        if "return" in msg or "error" in msg:
            return msg
f.readline()
cmd("qmp_capabilities")
cmd("migrate-set-parameters", {"max-bandwidth": 4294967296, "downtime-limit": 2000})
r = cmd("migrate", {"uri": sys.argv[2]})
if "error" in r:
    print(json.dumps(r)); sys.exit(1)
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    r = cmd("query-migrate")["return"]
    if r.get("status") in ("completed", "failed", "cancelled"):
        break
    time.sleep(0.1)
print(json.dumps(r))
PY
)
	case $mig in *'"status": "completed"'*) completed=1 ;; esac
	t_migrated=$(now_ms)
	ktap_print_msg "migration after $((t_migrated - t_mig)) ms: $mig"

	if [ $completed = 1 ]; then
		# Both are paused (the source postmigrate, the destination by
		# -S): every page below is counted while nothing faults.
		src1=$(ram_pages "$W/src.pid") || src1=0
		dst1=$(ram_pages "$W/dst.pid") || dst1=0
		served1=$(served)
		plain1=$(debugfs_value plain_faults)
		mem1=$(debugfs_value mem_pages)
		ktap_print_msg "source RAM file $src0 -> $src1 pages, destination $dst1 pages; group served $served0 -> $served1 pages (hits $(stat_of hits), 2 MiB $(stat_of hits_huge), misses $(stat_of misses)), plain faults +$((plain1 - plain0)), mem_pages $mem1"
		[ "${dst1:-0}" -gt 0 ] && [ $((served1 - served0)) -ge "$dst1" ] &&
			dst_counted=1
		[ $((served1 - served0)) = $((src1 - src0 + dst1)) ] &&
			[ "$plain1" = "$plain0" ] && [ "$mem1" = $((src1 + dst1)) ] &&
			exact=1

		python3 "$QMP" "$W/src.qmp" quit >/dev/null
		wait "$SRC_RUN"
		SRC_RUN=""
		mem2=$(debugfs_value mem_pages)
		ktap_print_msg "source quit: mem_pages $mem2 (destination's file $(ram_pages "$W/dst.pid"))"
		[ "$mem2" = "$dst1" ] && src_released=1
		python3 "$QMP" "$W/dst.qmp" cont >/dev/null ||
			ktap_print_msg "cont on the destination failed"
	fi
fi

dst_status=1
if [ -n "$DST_RUN" ]; then
	# Nothing arrived: it would wait for its timeout.
	[ $completed = 1 ] || kill "$(cat "$W/dst.pid" 2>/dev/null)" 2>/dev/null
	wait "$DST_RUN"
	dst_status=$?
	DST_RUN=""
fi
if [ -n "$SRC_RUN" ]; then
	kill "$SRC_RUN" 2>/dev/null
	wait "$SRC_RUN" 2>/dev/null
	SRC_RUN=""
fi
t_end=$(now_ms)
sum2=$(sed -n 's/^@@SUM2 \([0-9a-f]*\).*/\1/p' "$W/dst.console" | tr -d '\r')
# run-l2.sh's report: the source never finishes its command (it quits
# migrated), so only on a failure before that; the destination's on any.
if [ $completed != 1 ] && [ -s "$W/src.out" ]; then
	sed 's/^/# src: /' "$W/src.out" | tail -n 40
fi
if [ "$dst_status" != 0 ] && [ -s "$W/dst.out" ]; then
	sed 's/^/# dst: /' "$W/dst.out" | tail -n 40
fi
tr -d '\r' < "$W/dst.console" | grep -a '^@@' | sed 's/^/# dst console: /'
mismatch=$(cat "$W/src.console" "$W/dst.console" | grep -ac DIRTY_MISMATCH)
ktap_print_msg "checksum before ${sum1:-none}, after ${sum2:-none}; pool $((t_pool - t0)) ms, total $((t_end - t0)) ms"

ktap_test_result "source_ready" [ $ready = 1 ]
ktap_test_result "migration_completed" [ $completed = 1 ]
ktap_test_result "destination_faults_counted_in_group" [ $dst_counted = 1 ]
ktap_test_result "page_accounting_exact" [ $exact = 1 ]
ktap_test_result "source_pages_released_on_quit" [ $src_released = 1 ]
same=0
[ -n "$sum1" ] && [ "$sum1" = "$sum2" ] && same=1
ktap_test_result "checksum_equal_after_migration" [ $same = 1 ]
ktap_test_result "data_dirtied_during_migration_intact" [ "$mismatch" = 0 ]
ktap_test_result "destination_guest_exited_cleanly" [ "$dst_status" = 0 ]
ktap_finished
