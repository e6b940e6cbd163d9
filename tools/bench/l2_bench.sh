#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# l2_bench.sh - a real Linux guest (L2) touches a burst of MIB MiB on each
# RAM backend in turn (tools/l2/run-l2.sh, tools/l2/touch-mem).
#
# ROUNDS rounds, each over every backend. Prints one JSON line per run
# (run-l2.sh's, plus the module's stats for the shadowalloc runs: each gets a
# fresh group, so its stats are that run's, QEMU start and L2 boot
# included), then a table: the median L2-side elapsed time of the burst as
# ratios to anonymous 4 KiB memory and to preallocated memory, and the
# module's host-side fault service time per hit and per miss (over all
# rounds); last a JSON summary line.
#
# The shadowalloc rows (2 MiB blocks, guest RAM 2 MiB aligned):
#   shadowalloc-cap2m     staging cap 2 MiB: one block staged at a time
#   shadowalloc-empty     nothing staged at launch; the forecaster stages
#                         from the first faults on (QEMU loading the kernel)
#   shadowalloc-reserved  the whole guest RAM staged ahead (STAGE_RESERVE)
#
# Runs inside the test VM as root with the module loaded
# (make bench-l2 does that):
#   tools/vm/run-vm.sh -- tools/bench/run-bench.sh l2 256
#
# A run whose guest does not finish within the timeout is counted as
# such ("timeout"; "failed" when the L2 ran but touch-mem did not).
#
# usage: l2_bench.sh [MIB]     (default 256)
#   L2_BENCH_MEM=MB        guest RAM (default MIB + 256)
#   L2_BENCH_TIMEOUT=SEC   per run, boot included (default 180)
#   L2_BENCH_ROUNDS=N      (default 3)

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CTL=$REPO/tools/shadowctl/shadowctl
MIB=${1:-256}
usage() {
	echo "usage: l2_bench.sh [MIB]   (MIB 1..4096; env L2_BENCH_MEM, L2_BENCH_TIMEOUT, L2_BENCH_ROUNDS)" >&2
	exit 2
}
[ $# -le 1 ] || usage
[[ $MIB =~ ^[0-9]+$ ]] && [ "$MIB" -ge 1 ] && [ "$MIB" -le 4096 ] || usage
MEM=${L2_BENCH_MEM:-$((MIB + 256))}
TIMEOUT=${L2_BENCH_TIMEOUT:-180}
ROUNDS=${L2_BENCH_ROUNDS:-3}
[[ $MEM =~ ^[0-9]+$ ]] && [ "$MEM" -ge $((MIB + 128)) ] && [ $((MEM % 2)) = 0 ] ||
	{ echo "l2_bench.sh: L2_BENCH_MEM must be even (2 MiB aligned) and at least MIB + 128" >&2; exit 2; }
[[ $TIMEOUT =~ ^[0-9]+$ ]] && [ "$TIMEOUT" -gt 0 ] ||
	{ echo "l2_bench.sh: L2_BENCH_TIMEOUT: not a number of seconds" >&2; exit 2; }
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 20 ] ||
	{ echo "l2_bench.sh: L2_BENCH_ROUNDS: 1..20" >&2; exit 2; }
[ -c /dev/shadowalloc ] || { echo "l2_bench.sh: /dev/shadowalloc missing: insmod kmod/shadowalloc.ko" >&2; exit 1; }
[ -x "$REPO/tools/l2/touch-mem" ] || { echo "l2_bench.sh: tools/l2/touch-mem not built: make" >&2; exit 1; }

G=951
RESERVE=$((MEM * 256))	# the whole guest RAM, in 4 KiB pages
NAMES=(ram-4k ram-thp memfd prealloc shadowalloc-cap2m shadowalloc-empty shadowalloc-reserved)
# Per backend: the L2 touch times (ns) and host times (ms) of the finished
# runs, space separated; counts of runs; module stats summed over runs.
declare -A touch host runs finished failed
declare -A faults hits hits_huge misses hit_sum miss_sum

stat_of() {	# stat_of JSON FIELD
	sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" <<<"$1"
}

run() {	# run ROUND NAME BACKEND [run-l2 options]
	local round=$1 name=$2 backend=$3 line st ns status f h hh m hs ms
	shift 3
	line=$("$REPO/tools/l2/run-l2.sh" --timeout "$TIMEOUT" --mem "$MEM" --json \
		--backend "$backend" "$@" -- "touch-mem $MIB" 2>/dev/null | grep '^{"backend"')
	[ -n "$line" ] || line='{"backend":"'$backend'","l2_reached_init":false,"l2_touch_ns":null}'
	ns=$(sed -n 's/.*"l2_touch_ns":\([0-9]*\).*/\1/p' <<<"$line")
	status=$(sed -n 's/.*"exit_status":\([0-9]*\).*/\1/p' <<<"$line")
	runs[$name]=$((${runs[$name]:-0} + 1))
	if [ -n "$ns" ]; then
		touch[$name]+="$ns "
		host[$name]+="$(sed -n 's/.*"host_elapsed_ms":\([0-9]*\).*/\1/p' <<<"$line") "
		finished[$name]=$((${finished[$name]:-0} + 1))
	elif [ -n "$status" ]; then
		failed[$name]=$((${failed[$name]:-0} + 1))	# L2 ran, touch-mem did not
	fi
	if [[ $backend == shadowalloc* ]]; then
		st=$("$CTL" --json group stats $G)
		f=$(stat_of "$st" faults); h=$(stat_of "$st" hits); hh=$(stat_of "$st" hits_huge)
		m=$(stat_of "$st" misses); hs=$(stat_of "$st" hit_service_ns)
		ms=$(stat_of "$st" miss_service_ns)
		faults[$name]=$((${faults[$name]:-0} + f)); hits[$name]=$((${hits[$name]:-0} + h))
		hits_huge[$name]=$((${hits_huge[$name]:-0} + hh)); misses[$name]=$((${misses[$name]:-0} + m))
		hit_sum[$name]=$((${hit_sum[$name]:-0} + hs)); miss_sum[$name]=$((${miss_sum[$name]:-0} + ms))
		line="${line%\}},\"module\":{\"faults\":$f,\"hits\":$h,\"hits_huge\":$hh,\"misses\":$m"
		line+=",\"hit_ns_per_fault\":$(per "$hs" "$h" null),\"miss_ns_per_fault\":$(per "$ms" "$m" null)"
		line+=",\"staged_pages_left\":$(stat_of "$st" staged_pages)}}"
	fi
	echo "{\"name\":\"$name\",\"round\":$round,${line#\{}"
}

per() {	# per SUM N NONE: SUM / N rounded, NONE when N is 0
	awk -v s="$1" -v n="$2" -v z="$3" 'BEGIN { if (n > 0) printf "%.0f", s / n; else printf "%s", z }'
}

median() {	# median of the numbers in $1, empty when none
	tr ' ' '\n' <<<"$1" | grep . | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) printf "%.0f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

group() {	# group [create options]: a fresh group, 2 MiB blocks, enabled
	"$CTL" group destroy $G >/dev/null 2>&1
	"$CTL" group create $G "$@" >/dev/null &&
		"$CTL" group pool $G --huge 1 --max-age-ms 600000 >/dev/null &&
		"$CTL" group enable $G >/dev/null
}

reserve() {	# stage the whole guest RAM and wait until it is (the refill
		# worker would compete with the guest for the emulated CPU)
	"$CTL" group reserve $G $RESERVE >/dev/null || return 1
	for _ in $(seq 1200); do
		[ "$(stat_of "$("$CTL" --json group stats $G)" staged_pages)" -ge $RESERVE ] && return 0
		sleep 0.1
	done
	echo "l2_bench.sh: the pool did not fill in 120 s" >&2
	return 1
}

THP=/sys/kernel/mm/transparent_hugepage
thp=$(sed 's/.*\[\(.*\)\].*/\1/' $THP/enabled)
shmem_thp=$(sed 's/.*\[\(.*\)\].*/\1/' $THP/shmem_enabled)
echo "# L2 touches $MIB MiB, guest RAM $MEM MiB, $ROUNDS rounds, timeout ${TIMEOUT} s per run;" \
	"L1 THP: enabled=$thp (ram-4k sets never, ram-thp always), shmem_enabled=$shmem_thp"

for round in $(seq "$ROUNDS"); do
	run "$round" ram-4k ram
	run "$round" ram-thp ram-thp
	run "$round" memfd memfd
	run "$round" prealloc prealloc
	group --max-staged-mb 2 && run "$round" shadowalloc-cap2m shadowalloc --group $G
	group --max-staged-mb "$MEM" && run "$round" shadowalloc-empty shadowalloc --group $G
	group --max-staged-mb "$MEM" && reserve &&
		run "$round" shadowalloc-reserved shadowalloc --group $G
	"$CTL" group destroy $G >/dev/null 2>&1
done

# j VALUE: VALUE for JSON, null when empty or "-"
j() {
	if [ -n "$1" ] && [ "$1" != - ]; then echo "$1"; else echo null; fi
}

# ratio A B: A / B to three decimals, "-" when either is missing
ratio() {
	if [ -n "$1" ] && [ -n "$2" ]; then
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'
	else
		echo -
	fi
}

base=$(median "${touch[ram-4k]:-}")
pre=$(median "${touch[prealloc]:-}")
printf '\n%-21s %5s %11s %9s %11s %7s %7s %6s %8s %7s %10s %11s\n' backend runs "L2 touch ms" "vs ram-4k" \
	"vs prealloc" "host s" faults hits "2M hits" misses "hit ns/flt" "miss ns/flt"
summary="{\"summary\":true,\"mib\":$MIB,\"mem_mb\":$MEM,\"rounds\":$ROUNDS,\"timeout_s\":$TIMEOUT,\"l1_thp\":\"$thp\",\"backends\":{"
sep=""
for name in "${NAMES[@]}"; do
	n=${runs[$name]:-0}
	ok=${finished[$name]:-0}
	ns=$(median "${touch[$name]:-}")
	if [ -n "$ns" ]; then
		ms=$(awk -v t="$ns" 'BEGIN { printf "%.1f", t / 1e6 }')
		hs=$(awk -v t="$(median "${host[$name]}")" 'BEGIN { printf "%.1f", t / 1e3 }')
	elif [ "${failed[$name]:-0}" -gt 0 ]; then
		ms=failed
		hs=-
	else
		ms=timeout
		hs=">$TIMEOUT"
	fi
	r4k=$(ratio "$ns" "$base")
	rpre=$(ratio "$ns" "$pre")
	if [[ $name == shadowalloc* ]] && [ "$n" -gt 0 ]; then
		f=$(per "${faults[$name]}" "$n" -); h=$(per "${hits[$name]}" "$n" -)
		hh=$(per "${hits_huge[$name]}" "$n" -)
		m=$(per "${misses[$name]}" "$n" -)
		hn=$(per "${hit_sum[$name]}" "${hits[$name]}" -); mn=$(per "${miss_sum[$name]}" "${misses[$name]}" -)
	else
		f=-; h=-; hh=-; m=-; hn=-; mn=-
	fi
	printf '%-21s %5s %11s %9s %11s %7s %7s %6s %8s %7s %10s %11s\n' "$name" "$ok/$n" "$ms" "$r4k" "$rpre" \
		"$hs" "$f" "$h" "$hh" "$m" "$hn" "$mn"
	summary+="$sep\"$name\":{\"runs\":$n,\"finished\":$ok"
	summary+=",\"l2_touch_ms\":$(j "$([ -n "$ns" ] && echo "$ms")"),\"vs_ram_4k\":$(j "$r4k"),\"vs_prealloc\":$(j "$rpre")"
	summary+=",\"l2_touch_ms_all\":[$(for t in ${touch[$name]:-}; do awk -v t="$t" 'BEGIN { printf "%.1f ", t / 1e6 }'; done |
		sed 's/ $//; s/ /,/g')]"
	if [[ $name == shadowalloc* ]]; then
		summary+=",\"faults_per_run\":$(j "$f"),\"hits_per_run\":$(j "$h"),\"hits_huge_per_run\":$(j "$hh"),\"misses_per_run\":$(j "$m")"
		summary+=",\"hit_ns_per_fault\":$(j "$hn"),\"miss_ns_per_fault\":$(j "$mn")"
	fi
	summary+="}"
	sep=","
done
echo
echo "$summary}}"
