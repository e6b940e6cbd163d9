#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# VMMs killed at random moments: SIGKILL at a random delay after start, to
# minivmm (a KVM VMM on /dev/shadowalloc, tools/minivmm) in most rounds and
# to a real QEMU booting a Linux guest (tools/l2/run-l2.sh) in a few, with
# the telemetry attached and the group's 2 MiB staging toggled every round.
# A kill lands anywhere: before the VMM joined the group, while it maps or
# faults guest RAM, after it finished. After every round the group has no
# member and the module holds no guest page (mem_pages 0); at the end, with
# the group disabled and destroyed, nothing is staged or mapped and free
# memory is back where it was, within FREE_TOLERANCE_MB.
#
#   SA_SEED=N            the random seed (printed; default from the clock)
#   SA_KILL_ROUNDS=N     minivmm rounds (default 97)
#   SA_KILL_L2_ROUNDS=N  QEMU rounds (default 3)

# shellcheck source=lib/sa_test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sa_test.sh" || exit 4

G=721
MINIVMM=$REPO/tools/minivmm/minivmm
RUN_L2=$REPO/tools/l2/run-l2.sh
PAGES_FILE=/sys/kernel/debug/shadowalloc/pages
SEED=${SA_SEED:-$(( $(date +%s%N) / 1000 % 1000000 ))}
ROUNDS=${SA_KILL_ROUNDS:-97}
L2_ROUNDS=${SA_KILL_L2_ROUNDS:-3}
VM_MB=32		# minivmm guest RAM: 8192 first touches when it runs through
L2_MB=128		# QEMU guest RAM
RESERVE=2048		# pages staged again before every round: hits and misses
L2_SPAN_MS=9000		# QEMU kills fall in [0, this) after its start: boot, init, touch-mem
SETTLE_S=10		# deadline for the pages of a killed VMM to be freed
BUDGET_S=100
# Free memory with caches dropped, after the run against before it, may be
# this much lower. The per-round checks of mem_pages catch every page the
# module counts; this one catches a page it lost count of. 16 MiB is half
# of one minivmm's guest RAM, far below the pages of 100 VMMs, and above
# the noise measured in the test VM (slab caches and page tables KVM, BPF
# and QEMU leave behind, the per-CPU free lists: under 8 MiB in 10 runs).
FREE_TOLERANCE_MB=16

WORK=$(mktemp -d /tmp/vmm-kill.XXXXXX)
ATTACHED_BEFORE=0
JOB=""

mem_pages() {
	awk '$1 == "mem_pages" { print $2 }' "$PAGES_FILE"
}

staged_pages_global() {
	awk '$1 == "staged_pages" { print $2 }' "$PAGES_FILE"
}

# free_mib: MemFree in MiB with the caches dropped (drop_caches runs the
# shrinkers too: call it with nothing staged, or staged pages go).
free_mib() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	awk '$1 == "MemFree:" { print int($2 / 1024) }' /proc/meminfo
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# sleep_ms MS
sleep_ms() {
	sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}

# rnd N: a number in [0, N) from the seeded $RANDOM (30 bits from two draws).
rnd() {
	echo $(( ((RANDOM << 15) | RANDOM) % $1 ))
}

# settled: wait until the module holds no guest page (up to SETTLE_S);
# prints the mem_pages left.
settled() {
	local i left
	for ((i = 0; i < SETTLE_S * 20; i++)); do
		left=$(mem_pages)
		[ "$left" = 0 ] && break
		sleep 0.05
	done
	echo "$left"
}

cleanup() {
	[ -n "$JOB" ] && kill -KILL -- "-$JOB" 2>/dev/null
	wait 2>/dev/null
	"$CTL" group disable $G >/dev/null 2>&1
	"$CTL" group destroy $G >/dev/null 2>&1
	[ "$ATTACHED_BEFORE" = 1 ] || "$CTL" detach >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

ktap_print_header
if [ ! -c /dev/kvm ] || [ ! -c /dev/shadowalloc ] || [ ! -x "$MINIVMM" ] ||
   [ ! -r "$PAGES_FILE" ] || ! command -v qemu-system-x86_64 >/dev/null; then
	ktap_skip_all "needs /dev/kvm, the module, debugfs, minivmm and qemu-system-x86_64"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 7
ktap_print_msg "seed $SEED (SA_SEED=$SEED repeats this run), $ROUNDS minivmm rounds, $L2_ROUNDS QEMU rounds"
RANDOM=$SEED
# Own process groups for the VMMs: a kill takes the whole round's job
# (its sh and a shadowctl it may be running), no orphan survives it.
set -m
t_start=$(now_ms)

"$CTL" status | grep -q "^telemetry attached" && ATTACHED_BEFORE=1
"$CTL" group destroy $G >/dev/null 2>&1
"$CTL" attach >/dev/null &&
"$CTL" group create $G >/dev/null &&
"$CTL" group pool $G --max-age-ms 600000 --huge 0 >/dev/null ||
	ktap_exit_fail_msg "setup failed (attach, group create, pool)"
free_before=$(free_mib)
"$CTL" group enable $G >/dev/null || ktap_exit_fail_msg "group enable failed"

# One unkilled run first: how long a minivmm takes here (TCG timing varies
# threefold from machine to machine), so the kills spread over its life.
t0=$(now_ms)
sh -c '"$1" group add-vm "$2" $$ >/dev/null && exec "$3" "$4"' sh \
	"$CTL" $G "$MINIVMM" $VM_MB > "$WORK/first" 2>&1
status=$?
life_ms=$(($(now_ms) - t0))
ktap_print_msg "an unkilled minivmm $VM_MB: $life_ms ms ($(cat "$WORK/first"))"
[ $status = 0 ] || ktap_exit_fail_msg "minivmm failed (status $status)"
span_ms=$((life_ms * 5 / 4))
[ "$(settled)" = 0 ] || ktap_exit_fail_msg "pages of a finished minivmm not freed"

killed=0 finished=0 bad_status=0 members_left=0 pages_left=0 huge_fails=0
for ((r = 1; r <= ROUNDS; r++)); do
	"$CTL" group pool $G --huge $((r % 2)) >/dev/null || huge_fails=$((huge_fails + 1))
	"$CTL" group reserve $G $RESERVE >/dev/null
	delay=$(rnd "$span_ms")
	sh -c '"$1" group add-vm "$2" $$ >/dev/null && exec "$3" "$4"' sh \
		"$CTL" $G "$MINIVMM" $VM_MB > /dev/null 2>&1 &
	JOB=$!
	sleep_ms "$delay"
	kill -KILL -- "-$JOB" 2>/dev/null
	wait "$JOB"
	status=$?
	JOB=""
	case $status in
	137) killed=$((killed + 1)) ;;
	0) finished=$((finished + 1)) ;;
	*) bad_status=$((bad_status + 1)); ktap_print_msg "round $r: status $status (killed after $delay ms)" ;;
	esac
	vms=$(stat_of nr_vms)
	if [ "$vms" != 0 ]; then
		members_left=$((members_left + 1))
		ktap_print_msg "round $r: $vms members after the kill at $delay ms"
	fi
	left=$(settled)
	if [ "$left" != 0 ]; then
		pages_left=$((pages_left + 1))
		ktap_print_msg "round $r: mem_pages $left ${SETTLE_S} s after the kill at $delay ms"
	fi
done
t_mini=$(now_ms)
ktap_print_msg "minivmm: $ROUNDS rounds in $(((t_mini - t_start) / 1000)) s, kill delays 0..$span_ms ms: $killed killed, $finished finished first, $bad_status bad exits, $members_left with members left, $pages_left with pages left"

# QEMU: the L2 guest never finishes its command; SIGKILL at a random
# moment of boot, init or its first touches of guest RAM.
l2_before_init=0 l2_in_init=0 l2_members_left=0 l2_pages_left=0 l2_no_pid=0
for ((r = 1; r <= L2_ROUNDS; r++)); do
	"$CTL" group pool $G --huge $((r % 2)) >/dev/null || huge_fails=$((huge_fails + 1))
	delay=$(rnd "$L2_SPAN_MS")
	rm -f "$WORK/qemu.pid"
	: > "$WORK/console"
	"$RUN_L2" --timeout 120 --group $G --mem $L2_MB --backend shadowalloc \
		--console "$WORK/console" --qemu-arg -pidfile --qemu-arg "$WORK/qemu.pid" \
		-- 'touch-mem 96; sleep 600' > "$WORK/l2.out" 2>&1 &
	JOB=$!
	qpid=""
	for _ in $(seq 600); do
		[ -s "$WORK/qemu.pid" ] && qpid=$(cat "$WORK/qemu.pid") && break
		kill -0 "$JOB" 2>/dev/null || break
		sleep 0.05
	done
	if [ -z "$qpid" ]; then
		l2_no_pid=$((l2_no_pid + 1))
		ktap_print_msg "QEMU round $r: no pid file"
		sed 's/^/# /' "$WORK/l2.out"
	else
		sleep_ms "$delay"
		kill -KILL "$qpid" 2>/dev/null
	fi
	wait "$JOB"
	JOB=""
	if grep -aq '^@@L2_INIT@@' "$WORK/console"; then
		phase="in init"
		l2_in_init=$((l2_in_init + 1))
	else
		phase="booting"
		l2_before_init=$((l2_before_init + 1))
	fi
	vms=$(stat_of nr_vms)
	[ "$vms" = 0 ] || l2_members_left=$((l2_members_left + 1))
	left=$(settled)
	[ "$left" = 0 ] || l2_pages_left=$((l2_pages_left + 1))
	ktap_print_msg "QEMU round $r: killed at $delay ms ($phase, 2 MiB $((r % 2))): $vms members, mem_pages $left after"
done
t_l2=$(now_ms)
ktap_print_msg "QEMU: $L2_ROUNDS rounds in $(((t_l2 - t_mini) / 1000)) s: $l2_before_init killed booting, $l2_in_init in init"

attached=0
"$CTL" status | grep -q "^telemetry attached" && attached=1
faults=$(stat_of faults)
ktap_print_msg "group $G: faults $faults, hits $(stat_of hits), misses $(stat_of misses), raced $(stat_of raced), events seen $(stat_of events_seen)"
ok=1
[ "$faults" = $(($(stat_of hits) + $(stat_of misses) + $(stat_of raced))) ] || ok=0
"$CTL" group disable $G >/dev/null && "$CTL" group destroy $G >/dev/null || ok=0
staged_end=$(staged_pages_global)
mem_end=$(mem_pages)
free_after=$(free_mib)
took=$((($(now_ms) - t_start) / 1000))
ktap_print_msg "after destroy: staged_pages $staged_end, mem_pages $mem_end; free memory $free_before MiB before, $free_after MiB after (tolerance $FREE_TOLERANCE_MB MiB)"
ktap_print_msg "took $took s (budget $BUDGET_S s)"

ktap_test_result "rounds_${ROUNDS}_minivmm_${L2_ROUNDS}_qemu_all_exited" \
	[ $bad_status = 0 ] && [ $l2_no_pid = 0 ] && [ $((killed + finished)) = "$ROUNDS" ]
ktap_test_result "kills_landed_while_running_${killed}_of_${ROUNDS}" [ $((killed * 2)) -ge "$ROUNDS" ]
ktap_test_result "members_back_to_0_every_round_leaks_$((members_left + l2_members_left))" \
	[ $members_left = 0 ] && [ $l2_members_left = 0 ]
ktap_test_result "mem_pages_back_to_0_every_round_leaks_$((pages_left + l2_pages_left))" \
	[ $pages_left = 0 ] && [ $l2_pages_left = 0 ]
ktap_test_result "telemetry_attached_2m_toggled_faults_$faults" \
	[ $attached = 1 ] && [ $huge_fails = 0 ] && [ $ok = 1 ] && [ "$faults" -gt 0 ]
ktap_test_result "staged_${staged_end}_mem_${mem_end}_pages_after_destroy" \
	[ "$staged_end" = 0 ] && [ "$mem_end" = 0 ]
ktap_test_result "free_memory_back_within_${FREE_TOLERANCE_MB}_mib_lost_$((free_before - free_after))" \
	[ $((free_before - free_after)) -le $FREE_TOLERANCE_MB ]
ktap_finished
