#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fc_l2_bench.sh - the Linux boot workload: a real Linux guest (L2, 256 MiB)
# boots and runs "touch-mem MIB" on each RAM backend and shadowalloc policy
# in turn; prints one JSON line per run, the replayed baselines of the boot
# trace and a table of elapsed times as ratios to anonymous memory and to
# prealloc=on. Runs inside the test VM as root with the module loaded and
# the telemetry attached (shadowctl attach), e.g. from make bench-forecast.
#
# Runs, in order:
#   ram           memory-backend-ram, THP "always" (run-l2.sh ram-thp; QEMU
#                 madvises guest RAM, so THP "madvise" behaves the same)
#   prealloc      memory-backend-ram,prealloc=on
#   sa-disabled   /dev/shadowalloc, group not enabled: the plain fault path
#   sa-warmup     group enabled, forecaster only, from a fresh model; its
#                 faults are recorded (shadowctl record) and its model
#                 exported (shadowctl model export) afterwards
#   sa-fixed      a reservation ahead of the launch of R pages = the pages
#                 the warm-up boot touched, rounded up to 2 MiB; cap R
#   sa-forecast   a fresh group with the warm-up boot's model imported
#                 (shadowctl model import), no reservation: the measured
#                 forecaster run; its faults are recorded too
# The shadowalloc runs stage 2 MiB blocks (pool --huge 1, align=2M), the
# configuration a deployment would use; horizon 5000 ms, max age 30000 ms.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CTL=$REPO/tools/shadowctl/shadowctl
REPLAY=$REPO/tools/forecast/sa_replay
MIB=${1:-64}
TIMEOUT=${L2_BENCH_TIMEOUT:-180}
HORIZON=5000
MAX_AGE=30000
G=953
W=$(mktemp -d /tmp/fc_l2.XXXXXX)
trap 'rm -rf "$W"' EXIT

declare -A host touch hit waste
BASE_STATS=""
stat_field() {	# stat_field JSON NAME
	sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" <<<"$1"
}

group_new() {	# group_new: a fresh group, 2 MiB pool, bench horizon and age
	"$CTL" group destroy $G >/dev/null 2>&1
	"$CTL" group create $G >/dev/null &&
		"$CTL" group pool $G --huge 1 --max-age-ms $MAX_AGE >/dev/null &&
		"$CTL" group horizon $G $HORIZON >/dev/null
}

# run NAME BACKEND [run-l2 options]
run() {
	local name=$1 backend=$2 line st ns
	shift 2
	line=$("$REPO/tools/l2/run-l2.sh" --timeout "$TIMEOUT" --json --backend "$backend" "$@" \
		-- "touch-mem $MIB" 2>/dev/null | grep '^{"backend"')
	[ -n "$line" ] || line='{"backend":"'$backend'","l2_reached_init":false}'
	st=""
	if [[ " $* " == *" --group "* ]]; then
		st=$("$CTL" --json group stats $G 2>/dev/null)
		local faults hits staged evicted
		faults=$(stat_field "$st" faults)
		hits=$(stat_field "$st" hits)
		staged=$(stat_field "$st" staged_total)
		evicted=$(stat_field "$st" evicted_pages)
		if [ -n "$BASE_STATS" ]; then	# counters since BASE_STATS only
			faults=$((faults - $(stat_field "$BASE_STATS" faults)))
			hits=$((hits - $(stat_field "$BASE_STATS" hits)))
			staged=$((staged - $(stat_field "$BASE_STATS" staged_total)))
			evicted=$((evicted - $(stat_field "$BASE_STATS" evicted_pages)))
		fi
		hit[$name]=$(awk -v h="${hits:-0}" -v f="${faults:-0}" 'BEGIN { printf "%.4f", f ? h / f : 0 }')
		waste[$name]=$(awk -v e="${evicted:-0}" -v s="${staged:-0}" 'BEGIN { printf "%.4f", s ? e / s : 0 }')
		line="${line%\}},\"hit_rate\":${hit[$name]},\"waste\":${waste[$name]},\"stats\":$st}"
		LAST_STATS=$st
	fi
	echo "{\"l2\":\"$name\",${line#\{}"
	ns=$(stat_field "$line" l2_touch_ns)
	touch[$name]=${ns:-}
	ns=$(sed -n 's/.*"host_elapsed_ms":\([0-9]*\).*"l2_reached_init":true.*/\1/p' <<<"$line")
	host[$name]=${ns:-}
}

record_start() {	# record_start FILE: shadowctl record in the background
	"$CTL" record $G "$1" 2>/dev/null &
	REC=$!
	sleep 0.5
}

record_stop() {
	"$CTL" group destroy $G >/dev/null 2>&1	# ends the recording
	sleep 0.5
	kill -INT "$REC" 2>/dev/null
	wait "$REC" 2>/dev/null
}

trace_pages() {	# pages in a recorded trace (sizes in bytes)
	awk -F, 'NR > 1 && $4 > 0 { p += int(($4 + 4095) / 4096) } END { print p + 0 }' "$1"
}

run ram ram-thp
run prealloc prealloc

group_new && run sa-disabled shadowalloc --group $G
"$CTL" group destroy $G >/dev/null 2>&1

# Warm-up boot: the forecaster from a fresh model, faults recorded.
group_new && "$CTL" group enable $G >/dev/null
record_start "$W/warmup.csv"
run sa-warmup shadowalloc --group $G
"$CTL" model export $G "$W/model.bin" >/dev/null
record_stop
# R: the pages the warm-up boot took from the pool (staged, not left, not
# evicted). The trace's mapping sizes overstate it: KVM installs some
# mappings more than once.
R=$(( $(stat_field "$LAST_STATS" staged_total) - $(stat_field "$LAST_STATS" staged_pages) -
      $(stat_field "$LAST_STATS" evicted_pages) + $(stat_field "$LAST_STATS" misses) ))
R=$(( (R + 511) / 512 * 512 ))
[ "$R" -gt 0 ] || R=65536
echo "{\"l2_warmup_trace_rows\":$(($(wc -l < "$W/warmup.csv") - 1)),\"l2_warmup_trace_pages\":$(trace_pages "$W/warmup.csv"),\"reserve_pages\":$R}"

# Fixed: reserve what the warm-up boot used, ahead of the launch.
group_new && "$CTL" group pool $G --max-staged-mb $((R / 256)) >/dev/null 2>&1
"$CTL" group reserve $G $R >/dev/null && "$CTL" group enable $G >/dev/null
for _ in $(seq 300); do
	[ "$(stat_field "$("$CTL" --json group stats $G)" staged_pages)" -ge "$R" ] && break
	sleep 0.1
done
run sa-fixed shadowalloc --group $G
"$CTL" group destroy $G >/dev/null 2>&1

# Forecaster, warmed: the warm-up boot's model imported into a new group.
# If the module refuses its own blob, say so (with the blob, base64) and
# warm the model by booting twice in one group instead.
group_new
if "$CTL" model import $G "$W/model.bin"; then
	WARM=import
else
	echo "{\"model_import_failed\":true,\"blob_b64\":\"$(base64 -w0 "$W/model.bin")\"}"
	WARM=second-boot
	"$CTL" group enable $G >/dev/null
	run sa-forecast-boot1 shadowalloc --group $G
	BASE_STATS=$LAST_STATS
fi
[ "$WARM" = import ] && "$CTL" group enable $G >/dev/null
record_start "$W/forecast.csv"
run sa-forecast shadowalloc --group $G
echo "{\"l2_forecast_warmed_by\":\"$WARM\"}"
record_stop

# Baselines on the same boots: replay of the recorded traces.
for t in warmup forecast; do
	[ "$(wc -l < "$W/$t.csv")" -gt 1 ] || continue
	"$REPLAY" --json --horizon-ms $HORIZON --max-age-ms $MAX_AGE --reserve "$R" "$W/$t.csv" |
		sed "s/^{/{\"workload\":\"boot\",\"boot\":\"$t\",\"source\":\"replay\",/"
done

printf '\n%-12s %10s %8s %9s %12s %8s %9s %7s %7s\n' run "host ms" "vs ram" "vs prea." \
	"L2 touch ms" "vs ram" "vs prea." hit waste
for n in ram prealloc sa-disabled sa-warmup sa-fixed sa-forecast; do
	awk -v n="$n" -v h="${host[$n]}" -v hr="${host[ram]}" -v hp="${host[prealloc]}" \
	    -v t="${touch[$n]}" -v tr="${touch[ram]}" -v tp="${touch[prealloc]}" \
	    -v hit="${hit[$n]:--}" -v w="${waste[$n]:--}" '
	function r(a, b) { return (a != "" && b != "" && b > 0) ? sprintf("%.2f", a / b) : "-" }
	BEGIN {
		printf "%-12s %10s %8s %9s %12s %8s %9s %7s %7s\n", n,
			h == "" ? "no init" : h, r(h, hr), r(h, hp),
			t == "" ? "-" : sprintf("%.1f", t / 1e6), r(t, tr), r(t, tp), hit, w
	}'
done
