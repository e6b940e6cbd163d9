#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# l2_refault_bench.sh - steady state with free page reporting (issue 13
# item 2): a real Linux guest (L2) with virtio-balloon-pci,
# free-page-reporting=on (kubevirt's default) allocates, touches and frees
# MIB MiB in cycles (touch-mem --cycles). After each free the guest's
# page_reporting reports the freed pageblocks, QEMU discards them
# (MADV_DONTNEED on anonymous RAM, fallocate(PUNCH_HOLE) on a shadowallocfs
# file, which reaches the module), and the next cycle's touch re-faults them
# on the host.
#
# Backends (one run each, the same workload):
#   ram-thp               anonymous memory, L1 THP enabled=always
#   shadowalloc           a file on a shadowallocfs mount, QEMU a member of
#                         an enabled group (2 MiB blocks, forecaster-driven,
#                         nothing staged at launch)
#   shadowalloc-reserved  the same with the whole guest RAM reserved
#                         (STAGE_RESERVE) and staged before the launch
#
# The host samples its counters at the guest's console markers: when cycle
# K's line appears (touched, not freed yet) and when its "waited" line does
# (freed, reported and discarded); after each marker the guest drains its
# console and sleeps --settle-ms (SETTLE_MS here) before it frees or
# touches, so each sample falls where the guest does nothing. For cycle K >= 2, the window
# from cycle K-1's "waited" to cycle K's line is its touch:
#   touch ms       the L2's own time for the touch (inside the guest)
#   refaults       QEMU's minor faults in the window (/proc/PID/stat minflt:
#                  KVM's faults on guest RAM count there, a THP or a 2 MiB
#                  block one fault)
#   refault MiB    QEMU's resident memory growth in the window (VmRSS):
#                  the discarded memory the touch faulted back in
#   ms/MiB         touch ms per re-faulted MiB: the re-fault cost
#   discarded MiB  QEMU's VmRSS drop during cycle K-1's wait
#   hits/misses/2M hits  the module's stats deltas in the window, and
#   disc pages     discard_returned_pages during cycle K-1's wait
#   late disc      discard_returned_pages in the touch window: reporting
#                  that came after the wait (page_reporting works in
#                  passes 2 s apart, a budget per pass), which the touch
#                  overlapped; VmRSS growth then undercounts the re-faults
# The module's re-faulted MiB are its first-touch pages in the window
# (hit_pages + miss_pages delta), exact whatever overlaps; ram-thp has only
# VmRSS, so its column is right when nothing was discarded during the touch.
# The table gives each column's median over cycles 2..N; the ratio lines
# shadowalloc / ram-thp (target: re-fault cost <= 0.5) are computed from
# the medians.
#
# Runs inside the test VM as root with the module loaded
# (make bench-refault does that):
#   tools/vm/run-vm.sh -- tools/bench/run-bench.sh refault 128
#
# usage: l2_refault_bench.sh [MIB]      (default 128)
#   REFAULT_MEM=MB       guest RAM (default MIB + 128, even)
#   REFAULT_CYCLES=N     cycles, 2..50 (default 6; BENCH_QUICK=1: 3)
#   REFAULT_WAIT_MS=T    the guest's wait after each free (default 8000)
#   REFAULT_TIMEOUT=SEC  per run, boot included (default: 150 + N * (T/1000 + 20))

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# stat_of, num_of, median, fmt, ratio, j, thp_mode, mem_used, sa_reserve
. "$REPO/tools/l2/lib.sh"
CTL=$REPO/tools/shadowctl/shadowctl
PROG=l2_refault_bench.sh

usage() {
	echo "usage: $PROG [MIB]   (MIB 8..4096, default 128; env REFAULT_MEM, REFAULT_CYCLES, REFAULT_WAIT_MS, REFAULT_TIMEOUT, BENCH_QUICK)" >&2
	exit 2
}
die_usage() {
	echo "$PROG: $*" >&2
	exit 2
}
[ $# -le 1 ] || usage
MIB=${1:-128}
[[ $MIB =~ ^[0-9]+$ ]] && [ "$MIB" -ge 8 ] && [ "$MIB" -le 4096 ] ||
	die_usage "MIB: a number of MiB in 8..4096, got '$MIB'"
MEM=${REFAULT_MEM:-$(((MIB + 128 + 1) / 2 * 2))}
if [ "${BENCH_QUICK:-0}" = 1 ]; then def_cycles=3; else def_cycles=6; fi
CYCLES=${REFAULT_CYCLES:-$def_cycles}
WAIT_MS=${REFAULT_WAIT_MS:-8000}
SETTLE_MS=2000
[[ $MEM =~ ^[0-9]+$ ]] && [ "$MEM" -ge $((MIB + 96)) ] && [ $((MEM % 2)) = 0 ] ||
	die_usage "REFAULT_MEM must be even (2 MiB aligned) and at least MIB + 96 ($((MIB + 96))), got '$MEM'"
[[ $CYCLES =~ ^[0-9]+$ ]] && [ "$CYCLES" -ge 2 ] && [ "$CYCLES" -le 50 ] ||
	die_usage "REFAULT_CYCLES: 2..50 (cycle 1 is the first touch, not a re-fault), got '$CYCLES'"
[[ $WAIT_MS =~ ^[0-9]+$ ]] && [ "$WAIT_MS" -ge 2500 ] && [ "$WAIT_MS" -le 600000 ] ||
	die_usage "REFAULT_WAIT_MS: 2500..600000 (page_reporting reports ~2 s after a free), got '$WAIT_MS'"
TIMEOUT=${REFAULT_TIMEOUT:-$((150 + CYCLES * (WAIT_MS / 1000 + 20)))}
[[ $TIMEOUT =~ ^[0-9]+$ ]] && [ "$TIMEOUT" -gt 0 ] ||
	die_usage "REFAULT_TIMEOUT: a number of seconds, got '$TIMEOUT'"
[ -c /dev/shadowalloc ] || { echo "$PROG: /dev/shadowalloc missing: insmod kmod/shadowalloc.ko" >&2; exit 1; }
[ -x "$REPO/tools/l2/touch-mem" ] || { echo "$PROG: tools/l2/touch-mem not built: make" >&2; exit 1; }
grep -qw shadowallocfs /proc/filesystems || { echo "$PROG: no shadowallocfs (module too old?)" >&2; exit 1; }

G=953
DIR=/run/sa-refault.$$
WORK=$(mktemp -d /tmp/sa-refault.XXXXXX)
NAMES=(ram-thp shadowalloc shadowalloc-reserved)
L2_PID=""

cleanup() {
	[ -n "$L2_PID" ] && kill "$L2_PID" 2>/dev/null && wait "$L2_PID" 2>/dev/null
	mountpoint -q "$DIR" 2>/dev/null && umount "$DIR"
	rmdir "$DIR" 2>/dev/null
	"$CTL" group destroy $G >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

group() {	# group: a fresh enabled group G, 2 MiB blocks, cap = guest RAM
	"$CTL" group destroy $G >/dev/null 2>&1
	"$CTL" group create $G --max-staged-mb "$MEM" >/dev/null &&
		"$CTL" group pool $G --huge 1 --max-age-ms 600000 >/dev/null &&
		"$CTL" group enable $G >/dev/null
}

# sample NAME: QEMU's minflt and VmRSS (kB), and for shadowalloc the
# module's counters, as "minflt rss hits misses hits_huge miss_pages
# discard_returned_pages staged_pages hit_pages" into S[NAME]
declare -A S
sample() {
	local pid=$1 key=$2 minflt rss st
	minflt=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $8 }')
	rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status" 2>/dev/null)
	if [ "$USE_MODULE" = 1 ]; then
		st=$("$CTL" --json group stats $G)
		S[$key]="${minflt:-0} ${rss:-0} $(stat_of "$st" hits) $(stat_of "$st" misses)"
		S[$key]+=" $(stat_of "$st" hits_huge) $(stat_of "$st" miss_pages)"
		S[$key]+=" $(stat_of "$st" discard_returned_pages) $(stat_of "$st" staged_pages)"
		S[$key]+=" $(stat_of "$st" hit_pages)"
	else
		S[$key]="${minflt:-0} ${rss:-0} - - - - - - -"
	fi
}

# field KEY N: the Nth value of sample KEY (1 minflt ... 8 staged_pages)
field() {
	awk -v n="$2" '{ print $n }' <<<"${S[$1]}"
}

# Per backend, space separated over cycles 2..N: the columns of the table.
declare -A C_TOUCH C_FLT C_MIB C_COST C_DISC C_HITS C_MISS C_HUGE C_DPAGES C_LATE RUNOK

# run NAME BACKEND [run-l2 options]
run() {
	local name=$1 backend=$2 console=$WORK/$1.console out=$WORK/$1.out
	local qpid="" a=1 b=1 k ns t0 status line
	shift 2
	USE_MODULE=0
	[[ $name == shadowalloc* ]] && USE_MODULE=1
	: > "$console"
	t0=$(date +%s)
	"$REPO/tools/l2/run-l2.sh" --timeout "$TIMEOUT" --mem "$MEM" --backend "$backend" \
		--l2-module virtio_balloon --console "$console" \
		--qemu-arg -device --qemu-arg virtio-balloon-pci,free-page-reporting=on "$@" \
		-- "touch-mem --cycles $CYCLES --free-wait-ms $WAIT_MS --settle-ms $SETTLE_MS $MIB" \
		> "$out" 2>&1 &
	L2_PID=$!
	# QEMU itself: its command line starts with the binary (timeout(1)
	# and the group-joining shell before it carry the same arguments).
	while kill -0 "$L2_PID" 2>/dev/null && [ $a -le "$CYCLES" ]; do
		[ -n "$qpid" ] || qpid=$(pgrep -f "^qemu-system-x86_64 .*file:$console" | head -n 1)
		if [ -n "$qpid" ]; then
			if grep -aq "^touch-mem: cycle $a MiB" "$console"; then
				sample "$qpid" "A$a"
				a=$((a + 1))
			fi
			if [ $b -lt $a ] && grep -aq "^touch-mem: cycle $b waited" "$console"; then
				sample "$qpid" "B$b"
				b=$((b + 1))
			fi
		fi
		sleep 0.05
	done
	wait "$L2_PID"
	status=$?
	L2_PID=""
	echo "# $name: run-l2.sh status $status, $(($(date +%s) - t0)) s, $((a - 1)) of $CYCLES cycles sampled"
	[ "$status" = 0 ] || sed 's/^/#   /' "$out" | tail -n 20
	RUNOK[$name]=$((a - 1))
	for ((k = 2; k < a; k++)); do
		[ -n "${S[B$((k - 1))]:-}" ] || continue
		ns=$(tr -d '\r' < "$console" | sed -n "s/^touch-mem: cycle $k MiB [0-9]* touch \([0-9]*\) ns$/\1/p")
		local tms flt mib cost disc hits miss huge dp late mp hp rss_mib
		local p=B$((k - 1)) pa=A$((k - 1)) c=A$k
		tms=$(awk -v n="$ns" 'BEGIN { printf "%.3f", n / 1e6 }')
		flt=$(($(field "$c" 1) - $(field "$p" 1)))
		rss_mib=$(awk -v a="$(field "$c" 2)" -v b="$(field "$p" 2)" 'BEGIN { printf "%.1f", (a - b) / 1024 }')
		mib=$rss_mib
		disc=$(awk -v a="$(field "$pa" 2)" -v b="$(field "$p" 2)" 'BEGIN { printf "%.1f", (a - b) / 1024 }')
		line=",\"rss_kb\":[$(field "$pa" 2),$(field "$p" 2),$(field "$c" 2)]"
		if [ "$USE_MODULE" = 1 ]; then
			hits=$(($(field "$c" 3) - $(field "$p" 3)))
			miss=$(($(field "$c" 4) - $(field "$p" 4)))
			huge=$(($(field "$c" 5) - $(field "$p" 5)))
			mp=$(($(field "$c" 6) - $(field "$p" 6)))
			hp=$(($(field "$c" 9) - $(field "$p" 9)))
			dp=$(($(field "$p" 7) - $(field "$pa" 7)))
			late=$(($(field "$c" 7) - $(field "$p" 7)))
			mib=$(awk -v n=$((mp + hp)) 'BEGIN { printf "%.1f", n / 256 }')
			line+=",\"rss_growth_mib\":$rss_mib,\"hits\":$hits,\"misses\":$miss,\"hits_huge\":$huge,\"hit_pages\":$hp,\"miss_pages\":$mp"
			line+=",\"discard_returned_pages\":$dp,\"late_discard_pages\":$late,\"staged_pages_before\":$(field "$p" 8)"
			C_HITS[$name]+="$hits "; C_MISS[$name]+="$miss "; C_HUGE[$name]+="$huge "; C_DPAGES[$name]+="$dp "
			C_LATE[$name]+="$late "
		fi
		cost=$(awk -v t="$tms" -v m="$mib" 'BEGIN { if (m >= 1) printf "%.3f", t / m }')
		C_TOUCH[$name]+="$tms "; C_FLT[$name]+="$flt "; C_MIB[$name]+="$mib "
		C_DISC[$name]+="$disc "; [ -n "$cost" ] && C_COST[$name]+="$cost "
		echo "{\"name\":\"$name\",\"cycle\":$k,\"touch_ms\":$tms,\"minflt\":$flt,\"refault_mib\":$mib,\"ms_per_refault_mib\":$(j "$cost"),\"discarded_mib\":$disc$line}"
	done
}

THP=/sys/kernel/mm/transparent_hugepage
echo "# L2 (guest RAM $MEM MiB, virtio-balloon free-page-reporting=on) runs touch-mem --cycles $CYCLES" \
	"--free-wait-ms $WAIT_MS --settle-ms $SETTLE_MS $MIB; timeout $TIMEOUT s per run;" \
	"L1 THP enabled=$(thp_mode $THP/enabled) (ram-thp sets always)," \
	"defrag=$(thp_mode $THP/defrag)"
t_all=$(date +%s)
mkdir -p "$DIR" && mount -t shadowallocfs none "$DIR" ||
	{ echo "$PROG: cannot mount shadowallocfs on $DIR" >&2; exit 1; }

run ram-thp ram-thp
group && run shadowalloc shadowallocfs --mem-path "$DIR" --group $G
group && sa_reserve $((MEM * 256)) && run shadowalloc-reserved shadowallocfs --mem-path "$DIR" --group $G
"$CTL" group destroy $G >/dev/null 2>&1

printf '\n# medians over cycles 2..%s (cycle 1 is the first touch)\n' "$CYCLES"
printf '%-21s %6s %9s %8s %8s %7s %9s %7s %7s %7s %9s %9s\n' backend cycles "touch ms" refaults \
	"refltMiB" "ms/MiB" "discMiB" hits misses "2M hits" "disc pg" "late disc"
declare -A M_TOUCH M_COST M_FLT
summary="{\"summary\":true,\"mib\":$MIB,\"mem_mb\":$MEM,\"cycles\":$CYCLES,\"wait_ms\":$WAIT_MS,\"backends\":{"
sep=""
for name in "${NAMES[@]}"; do
	M_TOUCH[$name]=$(median "${C_TOUCH[$name]:-}" 3)
	M_COST[$name]=$(median "${C_COST[$name]:-}" 3)
	M_FLT[$name]=$(median "${C_FLT[$name]:-}" 3)
	mib=$(median "${C_MIB[$name]:-}" 3); disc=$(median "${C_DISC[$name]:-}" 3)
	hits=$(median "${C_HITS[$name]:-}" 3); miss=$(median "${C_MISS[$name]:-}" 3)
	huge=$(median "${C_HUGE[$name]:-}" 3); dp=$(median "${C_DPAGES[$name]:-}" 3)
	late=$(median "${C_LATE[$name]:-}" 3)
	n=$(wc -w <<<"${C_TOUCH[$name]:-}")
	printf '%-21s %6s %9s %8s %8s %7s %9s %7s %7s %7s %9s %9s\n' "$name" "$n/$((CYCLES - 1))" \
		"$(fmt "${M_TOUCH[$name]}" 1)" "$(fmt "${M_FLT[$name]}" 0)" "$(fmt "$mib" 1)" \
		"$(fmt "${M_COST[$name]}" 2)" "$(fmt "$disc" 1)" "$(fmt "$hits" 0)" "$(fmt "$miss" 0)" \
		"$(fmt "$huge" 0)" "$(fmt "$dp" 0)" "$(fmt "$late" 0)"
	summary+="$sep\"$name\":{\"cycles_measured\":$n,\"touch_ms\":$(j "${M_TOUCH[$name]}"),\"refaults\":$(j "${M_FLT[$name]}")"
	summary+=",\"refault_mib\":$(j "$mib"),\"ms_per_refault_mib\":$(j "${M_COST[$name]}"),\"discarded_mib\":$(j "$disc")"
	[[ $name == shadowalloc* ]] &&
		summary+=",\"hits\":$(j "$hits"),\"misses\":$(j "$miss"),\"hits_huge\":$(j "$huge"),\"discard_returned_pages\":$(j "$dp"),\"late_discard_pages\":$(j "$late")"
	summary+="}"
	sep=","
done
summary+="},\"vs_ram_thp\":{"
echo
sep=""
for name in shadowalloc shadowalloc-reserved; do
	rt=$(ratio "${M_TOUCH[$name]}" "${M_TOUCH[ram-thp]}")
	rc=$(ratio "${M_COST[$name]}" "${M_COST[ram-thp]}")
	rf=$(ratio "${M_FLT[$name]}" "${M_FLT[ram-thp]}")
	if [ "$rc" != - ]; then
		verdict=$(awk -v r="$rc" 'BEGIN { print (r <= 0.5) ? "PASS" : "FAIL" }')
	else
		verdict="FAIL (not measured)"
	fi
	echo "$name / ram-thp: touch ms $rt, ms per re-faulted MiB $rc, re-faults $rf;" \
		"target re-fault cost <= 0.5: $verdict"
	summary+="$sep\"$name\":{\"touch_ms\":$(j "$rt"),\"ms_per_refault_mib\":$(j "$rc"),\"refaults\":$(j "$rf"),\"pass\":$([ "$verdict" = PASS ] && echo true || echo false)}"
	sep=","
done
echo "# total $(($(date +%s) - t_all)) s"
echo
echo "$summary}}"
status=0
for name in "${NAMES[@]}"; do
	[ "${RUNOK[$name]:-0}" = "$CYCLES" ] || status=1
done
exit $status
