#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end discard: unmodified QEMU boots a real Linux guest with its RAM
# on a shadowallocfs file (the pool reserved ahead) and a virtio-balloon
# device. Once the guest has touched its memory, the balloon is inflated
# through QMP; QEMU punches the ballooned pages out of the file
# (fallocate(PUNCH_HOLE)), the module frees them and counts them in the
# group's discard_returned_pages. The balloon is then deflated and the
# guest, which watched its MemTotal go down and up again, touches its
# memory again and exits cleanly. The re-touches of ballooned pages are
# 4 KiB faults (each punch left its 2 MiB range partly populated) on a
# pool that staged 2 MiB blocks: they are hits, from blocks split for
# them and from the 4 KiB pages the refill stages for that demand.

# shellcheck source=lib/sa_test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sa_test.sh" || exit 4

QMP=$REPO/tools/l2/qmp.py
PAGES_FILE=/sys/kernel/debug/shadowalloc/pages
G=702
MEM=256			# guest RAM, MiB
TOUCH=160		# the guest touches this much first, MiB
BALLOON=96		# then the balloon takes this much, MiB
RESERVE=$((MEM * 256))	# the whole guest RAM, in 4 KiB pages
BALLOON_PAGES=$((BALLOON * 256))
# After the deflate the guest touches TOUCH MiB again, which it takes from
# its free memory, ballooned pages included: at least half the balloon is
# re-touched (all 24576 pages in the runs seen). Those re-touches are 4 KiB
# faults with 2 MiB blocks staged; before blocks were split for them all
# missed (24576 of 24576), now at most one in RETOUCH_MISS_DIV may (0 of
# 24576 seen: 48 blocks split), the slack for a refill slower than the
# guest once the staged blocks are used up.
RETOUCH_MIN=$((BALLOON_PAGES / 2))
RETOUCH_MISS_DIV=10
DIR=/run/shadowalloc-balloon.$$
SOCK=/run/l2-balloon.$$.qmp
CONSOLE=/run/l2-balloon.$$.console
OUT=/run/l2-balloon.$$.out

mem_pages() {
	awk '$1 == "mem_pages" { print $2 }' "$PAGES_FILE"
}

# pool_of KEY: KEY of the group's pool line in debugfs pools.
pool_of() {
	awk -v g=$G -v k="$1" '$1 == "group" && $2 == g && $3 == "pool" {
		for (i = 4; i < NF; i++) if ($i == k) print $(i + 1) }' \
		/sys/kernel/debug/shadowalloc/pools
}

# balloon_actual: the guest's memory as QEMU's balloon device sees it, bytes.
balloon_actual() {
	python3 "$QMP" "$SOCK" query-balloon | sed 's/.*"actual": *\([0-9]*\).*/\1/'
}

# wait_balloon MIB: until the balloon device reports MIB of guest memory.
wait_balloon() {
	local want=$(($1 << 20)) actual
	for _ in $(seq 300); do
		actual=$(balloon_actual) || return 1
		[ "$actual" -le "$want" ] && return 0
		sleep 0.2
	done
	return 1
}

ktap_print_header
if [ ! -c /dev/kvm ] || [ ! -c /dev/shadowalloc ] || ! command -v qemu-system-x86_64 >/dev/null ||
   ! grep -qw shadowallocfs /proc/filesystems || [ ! -r "$PAGES_FILE" ]; then
	ktap_skip_all "needs /dev/kvm, the module, shadowallocfs, debugfs and qemu-system-x86_64"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 7

L2_PID=""
cleanup() {
	[ -n "$L2_PID" ] && kill "$L2_PID" 2>/dev/null && wait "$L2_PID" 2>/dev/null
	mountpoint -q "$DIR" && umount "$DIR"
	rmdir "$DIR" 2>/dev/null
	rm -f "$SOCK" "$CONSOLE" "$OUT"
	"$CTL" group destroy $G >/dev/null 2>&1
}
trap cleanup EXIT

t_start=$(date +%s%N)
mkdir -p "$DIR" && mount -t shadowallocfs none "$DIR" || ktap_exit_fail_msg "cannot mount shadowallocfs on $DIR"
stage_reserved_group $G $RESERVE
t_pool=$(date +%s%N)

# In the guest: touch memory, tell the host, wait for the balloon to take
# BALLOON MiB (MemTotal shrinks: no deflate-on-oom), then for it to give
# them back. Exits 1 if either does not happen within 60 s.
# shellcheck disable=SC2016 # expanded in the guest
L2_CMD='touch-mem '$TOUCH' || exit 1
total() { awk "/^MemTotal:/ { print \$2 }" /proc/meminfo; }
t0=$(total)
echo "@@TOUCHED@@ MemTotal $t0 kB"
i=0
while [ "$(total)" -gt $((t0 - '$BALLOON' * 1024)) ]; do
	i=$((i + 1)); [ $i -le 600 ] || { echo "balloon did not inflate: MemTotal $(total) kB"; exit 1; }
	sleep 0.1
done
echo "inflated: MemTotal $(total) kB"
i=0
while [ "$(total)" -lt "$t0" ]; do
	i=$((i + 1)); [ $i -le 600 ] || { echo "balloon did not deflate: MemTotal $(total) kB"; exit 1; }
	sleep 0.1
done
echo "deflated: MemTotal $(total) kB"
touch-mem '$TOUCH

: > "$CONSOLE"
"$REPO/tools/l2/run-l2.sh" --timeout 150 --group $G --mem $MEM \
	--backend shadowallocfs --mem-path "$DIR" --l2-module virtio_balloon \
	--console "$CONSOLE" --qemu-arg -device --qemu-arg virtio-balloon-pci \
	--qemu-arg -qmp --qemu-arg "unix:$SOCK,server=on,wait=off" \
	-- "$L2_CMD" > "$OUT" 2>&1 &
L2_PID=$!

touched=0
for _ in $(seq 750); do
	grep -aq '^@@TOUCHED@@' "$CONSOLE" && { touched=1; break; }
	kill -0 "$L2_PID" 2>/dev/null || break
	sleep 0.2
done
t_touched=$(date +%s%N)

inflated=0
discarded=0
mem_drop=0
if [ $touched = 1 ]; then
	discard0=$(stat_of discard_returned_pages)
	mem0=$(mem_pages)
	python3 "$QMP" "$SOCK" balloon "{\"value\": $(((MEM - BALLOON) << 20))}" >/dev/null &&
		wait_balloon $((MEM - BALLOON)) && inflated=1
	t_inflated=$(date +%s%N)
	discarded=$(($(stat_of discard_returned_pages) - discard0))
	mem_drop=$((mem0 - $(mem_pages)))
	ktap_print_msg "before inflating: mem_pages $mem0; after: $(mem_pages), discard_returned_pages +$discarded (ballooned $BALLOON_PAGES pages) in $(((t_inflated - t_touched) / 1000000)) ms"
	# From here on, the guest's first touches are its re-touches.
	hits0=$(stat_of hits) misses0=$(stat_of misses) huge0=$(stat_of hits_huge)
	split0=$(pool_of split_blocks)
	python3 "$QMP" "$SOCK" balloon "{\"value\": $((MEM << 20))}" >/dev/null
fi
wait "$L2_PID"
status=$?
L2_PID=""
t_end=$(date +%s%N)
sed 's/^/# /' "$OUT"
ktap_print_msg "faults $(stat_of faults), hits $(stat_of hits), 2 MiB hits $(stat_of hits_huge), misses $(stat_of misses); pool filled in $(((t_pool - t_start) / 1000000)) ms, guest touched at $(((t_touched - t_start) / 1000000)) ms, total $(((t_end - t_start) / 1000000)) ms"
rehits=0 remisses=0
if [ $inflated = 1 ]; then
	rehits=$(($(stat_of hits) - hits0))
	remisses=$(($(stat_of misses) - misses0))
	ktap_print_msg "re-touches after the deflate: $((rehits + remisses)) faults, $rehits hits ($(($(stat_of hits_huge) - huge0)) of 2 MiB), $remisses misses; 2 MiB blocks split $(($(pool_of split_blocks) - split0)); pool demand_4k $(pool_of demand_4k) demand_2m $(pool_of demand_2m)"
fi

ktap_test_result "l2_touched_its_memory" [ $touched = 1 ]
ktap_test_result "balloon_inflated_via_qmp" [ $inflated = 1 ]
ktap_test_result "discard_returned_at_least_half_the_balloon" [ $((discarded * 2)) -ge $BALLOON_PAGES ]
ktap_test_result "mem_pages_dropped_at_least_half_the_balloon" [ $((mem_drop * 2)) -ge $BALLOON_PAGES ]
ktap_test_result "l2_deflated_and_exited_cleanly" [ $status = 0 ]
# The guest re-touched ballooned pages at all (else the next says nothing).
ktap_test_result "l2_retouched_ballooned_pages" [ $((rehits + remisses)) -ge $RETOUCH_MIN ]
ktap_test_result "retouches_after_discard_hit" [ $((remisses * RETOUCH_MISS_DIV)) -le $((rehits + remisses)) ]
ktap_finished
