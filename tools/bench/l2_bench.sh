#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# l2_bench.sh - a real Linux guest (L2) touches a burst of N MiB on each RAM
# backend in turn; prints one JSON line per backend and a table of the
# L2-side elapsed time of the burst as ratios to anonymous 4 KiB memory.
# Runs inside the test VM as root with the module loaded:
#   tools/vm/run-vm.sh -- sh -c 'insmod kmod/shadowalloc.ko && tools/bench/l2_bench.sh 64'
# Under nested TCG about half of all L2 boots stall (see design.rst); a
# backend whose guest did not finish in time is reported as such.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CTL=$REPO/tools/shadowctl/shadowctl
MIB=${1:-64}
TIMEOUT=${L2_BENCH_TIMEOUT:-240}
G=951
[[ $MIB =~ ^[0-9]+$ ]] && [ "$MIB" -gt 0 ] && [ "$MIB" -le 200 ] ||
	{ echo "usage: l2_bench.sh [MIB 1..200]" >&2; exit 2; }

declare -A touch
run() {	# run NAME BACKEND [run-l2 options]
	local name=$1 backend=$2 line ns
	shift 2
	line=$("$REPO/tools/l2/run-l2.sh" --timeout "$TIMEOUT" --json --backend "$backend" "$@" \
		-- "touch-mem $MIB" 2>/dev/null | grep '^{"backend"')
	[ -n "$line" ] || line='{"backend":"'$backend'","l2_reached_init":false}'
	echo "{\"name\":\"$name\",${line#\{}"
	ns=$(sed -n 's/.*"l2_touch_ns":\([0-9]*\).*/\1/p' <<<"$line")
	touch[$name]=${ns:-}
}

group() {
	"$CTL" group destroy $G >/dev/null 2>&1
	"$CTL" group create $G >/dev/null && "$CTL" group pool $G --huge 1 --max-age-ms 600000 >/dev/null &&
	"$CTL" group enable $G >/dev/null
}

run ram-4k ram
run ram-thp ram-thp
run memfd memfd
run prealloc prealloc
group && run shadowalloc-empty shadowalloc --group $G
group && "$CTL" group reserve $G 65536 >/dev/null &&
	for _ in $(seq 600); do
		[ "$("$CTL" --json group stats $G | sed 's/.*"staged_pages":\([0-9]*\).*/\1/')" -ge 65536 ] && break
		sleep 0.1
	done && run shadowalloc-reserved shadowalloc --group $G
"$CTL" --json group stats $G
"$CTL" group destroy $G >/dev/null 2>&1

printf '\n%-22s %14s %10s\n' backend "L2 touch ms" "vs ram-4k"
for name in ram-4k ram-thp memfd prealloc shadowalloc-empty shadowalloc-reserved; do
	ns=${touch[$name]}
	if [ -z "$ns" ]; then
		printf '%-22s %14s %10s\n' "$name" "did not finish" -
	elif [ -n "${touch[ram-4k]}" ]; then
		awk -v n="$name" -v t="$ns" -v b="${touch[ram-4k]}" 'BEGIN { printf "%-22s %14.1f %10.2f\n", n, t / 1e6, t / b }'
	else
		awk -v n="$name" -v t="$ns" 'BEGIN { printf "%-22s %14.1f %10s\n", n, t / 1e6, "-" }'
	fi
done
