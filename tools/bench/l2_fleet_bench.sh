#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# l2_fleet_bench.sh - fleet launch (issue 13 item 3): N real Linux guests
# (L2) of one group launched STAGGER seconds apart (0: together), per RAM
# backend; each boots, touches TOUCH MiB (touch-mem) and idles until the
# whole fleet has touched, then the fleet is stopped (SIGTERM to each QEMU).
#
# Backends, one fleet each:
#   ram-thp             anonymous memory, L1 THP enabled=always
#   prealloc            anonymous memory, prealloc=on (all of RAM at start)
#   hugetlbfs           2 MiB hugetlbfs pages, if tools/l2/run-l2.sh has that
#                       backend (else skipped, the reason printed)
#   shadowalloc-first   /dev/shadowalloc, every QEMU a member of one fresh
#                       enabled group (2 MiB blocks, forecaster-driven,
#                       nothing reserved): the group's first fleet; its
#                       guest 1 is the group's very first launch
#   shadowalloc-later   the same group's next fleet(s) (ROUNDS - 1 of them;
#                       the medians over them): the forecaster's launch
#                       profiles (kmod/launch.c, forecast/profile.c) have
#                       learned what a launch first-touches by age since
#                       its first fault, so staging starts as a QEMU maps
#                       its RAM
#
# Per fleet:
#   ready s      from the first launch until every guest reached its init
#                (@@L2_INIT@@ on its console, polled), staggering included
#   launch s     per guest, its launch until its init, median over the
#                guests (first guest / the others for shadowalloc)
#   touched s    per guest, launch until touch-mem finished, median
#   touch ms     the guests' own touch times (inside L2), summed
#   committed    L1 MemTotal - MemFree at the point less the same before the
#                fleet's setup (the group's creation for shadowalloc):
#                guest RAM, staged pages, QEMU and page tables, in MiB; at
#                all-ready and at the end (every guest touched)
# and for shadowalloc the module's view at the same points: its memory
# (guest pages it holds, hit_pages + miss_pages - discard_returned_pages
# - released_pages since the group's creation, plus staged_pages) against
# the group's forecast (the same guest pages plus forecast_pages, the
# forecaster's staging target; its largest value of the last 2 s, as the
# refill follows it tick by tick). The pass/fail lines: later launches'
# launch-to-init time at least as fast as prealloc's (median ratio <= 1.0),
# and the module's memory <= the forecast + 10 %.
#
# Sizing (the test VM: 2 GiB RAM, 2 vCPUs, run-vm.sh's defaults --mem 2048
# --cpus 2): the default fleet, 4 x 256 MiB touching 160 MiB each (with
# 192 MiB no 256 MiB guest finished its touch-mem in 5 min), commits
# 1 GiB of guest RAM under prealloc plus about 40 MiB per QEMU; the script
# refuses a fleet whose guest RAM plus 64 MiB per guest exceeds L1's
# MemAvailable less 192 MiB.
#
# Runs inside the test VM as root with the module loaded
# (make bench-fleet does that):
#   tools/vm/run-vm.sh -- tools/bench/run-bench.sh fleet 4
#
# usage: l2_fleet_bench.sh [options] [N]      (N guests, default 4)

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# stat_of, num_of, median, fmt, ratio, j, thp_mode, mem_used, sa_reserve
. "$REPO/tools/l2/lib.sh"
CTL=$REPO/tools/shadowctl/shadowctl
RUN_L2=$REPO/tools/l2/run-l2.sh
PROG=l2_fleet_bench.sh
N=4
MEM=256
TOUCH=160
STAGGER=5
TIMEOUT=900
if [ "${BENCH_QUICK:-0}" = 1 ]; then ROUNDS=2; else ROUNDS=3; fi

usage() {
	cat >&2 <<EOF
usage: $PROG [options] [N]
  N               guests per fleet, 1..16 (default $N)
  --mem MB        RAM per guest, even, 128..4096 (default $MEM)
  --touch MIB     MiB each guest touches, 1..MB-96 (default $TOUCH)
  --stagger SEC   seconds between launches, 0..120; 0 launches together
                  (default $STAGGER)
  --rounds R      shadowalloc fleets in the one group, 2..10: the first and
                  R-1 later ones (default 3, BENCH_QUICK=1: 2)
  --timeout SEC   per fleet, boots included (default $TIMEOUT)
EOF
	exit 2
}
die_usage() {
	echo "$PROG: $*" >&2
	exit 2
}
num() {	# num OPTION VALUE MIN MAX: VALUE if a number in MIN..MAX, else usage
	[[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ] ||
		die_usage "$1: a number in $3..$4, got '$2'"
	echo "$2"
}
while [ $# -gt 0 ]; do
	case $1 in
	--mem|--touch|--stagger|--rounds|--timeout)
		[ $# -ge 2 ] || die_usage "$1 needs a value"
		case $1 in
		--mem) MEM=$(num "$1" "$2" 128 4096) || exit 2 ;;
		--touch) TOUCH=$(num "$1" "$2" 1 4096) || exit 2 ;;
		--stagger) STAGGER=$(num "$1" "$2" 0 120) || exit 2 ;;
		--rounds) ROUNDS=$(num "$1" "$2" 2 10) || exit 2 ;;
		--timeout) TIMEOUT=$(num "$1" "$2" 60 86400) || exit 2 ;;
		esac
		shift 2 ;;
	-h|--help) usage ;;
	-*) die_usage "unknown option: $1" ;;
	*) [ $# = 1 ] || die_usage "one N only, got '$*'"
		N=$(num N "$1" 1 16) || exit 2
		shift ;;
	esac
done
[ $((MEM % 2)) = 0 ] || die_usage "--mem $MEM: must be even (2 MiB aligned guest RAM)"
[ "$TOUCH" -le $((MEM - 96)) ] ||
	die_usage "--touch $TOUCH: at most --mem less 96 MiB, the guest kernel's own ($((MEM - 96)))"
[ -c /dev/shadowalloc ] || { echo "$PROG: /dev/shadowalloc missing: insmod kmod/shadowalloc.ko" >&2; exit 1; }
[ -x "$REPO/tools/l2/touch-mem" ] || { echo "$PROG: tools/l2/touch-mem not built: make" >&2; exit 1; }
avail=$(awk '$1 == "MemAvailable:" { print int($2 / 1024) }' /proc/meminfo)
need=$((N * (MEM + 64)))
[ "$need" -le $((avail - 192)) ] ||
	die_usage "a fleet of $N x $MEM MiB needs about $need MiB (64 MiB per QEMU beside its RAM); L1 has $avail MiB available, 192 MiB of it kept for L1"

G=954
WORK=$(mktemp -d /tmp/sa-fleet.XXXXXX)
declare -a L2_PIDS=() QPIDS=()
HUGE_OLD=""

qemu_of() {	# qemu_of K: the PID of guest K's QEMU (its command line starts
		# with the binary; timeout(1) and the group-joining shell before
		# it carry the same arguments)
	pgrep -f "^qemu-system-x86_64 .*file:$WORK/c$1( |\$)" | head -n 1
}
stop_fleet() {	# SIGTERM to each QEMU of the fleet, then wait for run-l2.sh
	local k p
	for ((k = 0; k < ${#L2_PIDS[@]}; k++)); do
		p=${QPIDS[k]:-$(qemu_of "$k")}
		[ -n "$p" ] && kill "$p" 2>/dev/null
	done
	for p in "${L2_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	L2_PIDS=(); QPIDS=()
}
cleanup() {
	stop_fleet
	"$CTL" group destroy $G >/dev/null 2>&1
	[ -n "$HUGE_OLD" ] && echo "$HUGE_OLD" > /proc/sys/vm/nr_hugepages
	rm -rf "$WORK"
}
trap cleanup EXIT

used_kb() {	# L1 MemTotal - MemFree, kB
	awk '$1 == "MemTotal:" { t = $2 } $1 == "MemFree:" { f = $2 } END { print t - f }' /proc/meminfo
}
set_now() {	# now = ms since the epoch, from bash's own clock (no fork)
	local t=${EPOCHREALTIME/./}
	now=$((t / 1000))
}
# The module's memory and the forecast, MiB: "module forecast" from stats
# JSON and the largest forecast_pages of the last samples.
module_mib() {	# module_mib JSON MAX_FORECAST_PAGES
	local st=$1 held
	held=$(($(stat_of "$st" hit_pages) + $(stat_of "$st" miss_pages) -
		$(stat_of "$st" discard_returned_pages) - $(stat_of "$st" released_pages)))
	awk -v h="$held" -v s="$(stat_of "$st" staged_pages)" -v f="$2" \
		'BEGIN { printf "%.1f %.1f", (h + s) / 256, (h + f) / 256 }'
}

# Results per fleet row, by name.
declare -A R_READY R_LAUNCH R_LAUNCH1 R_LAUNCHN R_TOUCHED R_TOUCHMS R_CREADY R_CEND R_OK
declare -A R_MREADY R_FREADY R_MEND R_FEND R_TOUCHED1 R_TOUCHEDN

# fleet NAME BACKEND BASE_KB [run-l2 options]: one fleet; appends its
# results to the R_* of NAME (space separated over rounds)
fleet() {
	local name=$1 backend=$2 base=$3 i t0 t now all_init=0 all_touched=0 k
	local -a launched=() init_ms=() touched_ms=() touch_ns=() fc_t=() fc_v=()
	local c_ready="" c_end="" m_ready="" m_end="" st fmax shadow=0 ok=0
	shift 3
	[[ $name == shadowalloc* ]] && shadow=1
	set_now
	t0=$now
	L2_PIDS=(); QPIDS=()
	while :; do
		set_now
		# launch the next guest when its time has come
		i=${#launched[@]}
		if [ "$i" -lt "$N" ] && [ $((now - t0)) -ge $((i * STAGGER * 1000)) ]; then
			: > "$WORK/c$i"
			launched[i]=$now
			"$RUN_L2" --timeout "$TIMEOUT" --mem "$MEM" --backend "$backend" \
				--console "$WORK/c$i" "$@" -- "touch-mem $TOUCH || echo @@TOUCH_FAILED@@; sleep 3600" \
				> "$WORK/o$i" 2>&1 &
			L2_PIDS[i]=$!
			continue
		fi
		# One grep over every console per poll: the lines that matter,
		# prefixed by their file.
		all_init=1; all_touched=1
		events=$(grep -a -e '^@@L2_INIT@@' -e '^@@TOUCH_FAILED@@' -e '^touch-mem: [0-9]* MiB in' "$WORK"/c* 2>/dev/null)
		for ((k = 0; k < ${#launched[@]}; k++)); do
			[ -n "${QPIDS[k]:-}" ] || QPIDS[k]=$(qemu_of "$k")
			if [ -z "${init_ms[k]:-}" ] && [[ $events == *"$WORK/c$k:@@L2_INIT@@"* ]]; then
				init_ms[k]=$((now - launched[k]))
				echo "#   $name guest $k: init $((init_ms[k] / 1000)) s after its launch"
			fi
			if [ -z "${touched_ms[k]:-}" ] &&
			   [[ $events =~ $WORK/c$k:touch-mem:\ [0-9]+\ MiB\ in\ ([0-9]+)\ ns ]]; then
				touched_ms[k]=$((now - launched[k]))
				touch_ns[k]=${BASH_REMATCH[1]}
				echo "#   $name guest $k: touched $((touched_ms[k] / 1000)) s after its launch, L2 touch $((touch_ns[k] / 1000000)) ms"
			fi
			[ -n "${init_ms[k]:-}" ] || all_init=0
			[ -n "${touched_ms[k]:-}" ] || all_touched=0
		done
		[ ${#launched[@]} = "$N" ] || { all_init=0; all_touched=0; }
		if [ $shadow = 1 ]; then
			st=$("$CTL" --json group stats $G)
			fc_t+=("$now"); fc_v+=("$(stat_of "$st" forecast_pages)")
			fmax=0
			for ((k = ${#fc_t[@]} - 1; k >= 0 && fc_t[k] >= now - 2000; k--)); do
				[ "${fc_v[k]}" -gt $fmax ] && fmax=${fc_v[k]}
			done
		fi
		if [ $all_init = 1 ] && [ -z "$c_ready" ]; then
			c_ready=$(($(used_kb) - base))
			[ $shadow = 1 ] && m_ready=$(module_mib "$st" "$fmax")
			R_READY[$name]+="$(awk -v t=$((now - t0)) 'BEGIN { printf "%.1f", t / 1000 }') "
		fi
		if [ $all_touched = 1 ]; then
			c_end=$(($(used_kb) - base))
			[ $shadow = 1 ] && m_end=$(module_mib "$st" "$fmax")
			ok=1
			break
		fi
		# a guest that ended (run-l2.sh gone) or whose touch-mem failed
		# before touching ends the fleet
		for ((k = 0; k < ${#launched[@]}; k++)); do
			if [ -z "${touched_ms[k]:-}" ] && [[ $events == *"$WORK/c$k:@@TOUCH_FAILED@@"* ]]; then
				echo "# $name: guest $k: touch-mem failed; its console ends:"
				tr -d '\r' < "$WORK/c$k" | grep -v '^@@' | tail -n 15 | sed 's/^/#   /'
				break 2
			fi
			if [ -z "${touched_ms[k]:-}" ] && ! kill -0 "${L2_PIDS[k]}" 2>/dev/null; then
				echo "# $name: guest $k ended before touching; its run-l2.sh said:"
				sed 's/^/#   /' "$WORK/o$k" | tail -n 15
				break 2
			fi
		done
		[ $((now - t0)) -lt $((TIMEOUT * 1000)) ] || { echo "# $name: timeout"; break; }
		sleep 0.5
	done
	stop_fleet
	R_OK[$name]=$((${R_OK[$name]:-0} + ok))
	[ $ok = 1 ] || return 1
	local l1 ln tn t1 sum=0
	l1=${init_ms[0]}
	ln=$(median "${init_ms[*]:1}" 3)
	t1=${touched_ms[0]}
	tn=$(median "${touched_ms[*]:1}" 3)
	for t in "${touch_ns[@]}"; do sum=$((sum + t)); done
	R_LAUNCH[$name]+="$(median "${init_ms[*]}" 3) "
	R_LAUNCH1[$name]+="$l1 "
	[ -n "$ln" ] && R_LAUNCHN[$name]+="$ln "
	R_TOUCHED[$name]+="$(median "${touched_ms[*]}" 3) "
	R_TOUCHED1[$name]+="$t1 "
	[ -n "$tn" ] && R_TOUCHEDN[$name]+="$tn "
	R_TOUCHMS[$name]+="$((sum / 1000000)) "
	R_CREADY[$name]+="$((c_ready / 1024)) "
	R_CEND[$name]+="$((c_end / 1024)) "
	local line="{\"name\":\"$name\",\"guests\":$N,\"mem_mb\":$MEM,\"touch_mib\":$TOUCH,\"stagger_s\":$STAGGER"
	line+=",\"launch_to_init_ms\":[$(tr ' ' ',' <<<"${init_ms[*]}")]"
	line+=",\"launch_to_touched_ms\":[$(tr ' ' ',' <<<"${touched_ms[*]}")]"
	line+=",\"l2_touch_ms_sum\":$((sum / 1000000)),\"committed_mib_ready\":$((c_ready / 1024)),\"committed_mib_end\":$((c_end / 1024))"
	if [ $shadow = 1 ]; then
		R_MREADY[$name]+="${m_ready% *} "; R_FREADY[$name]+="${m_ready#* } "
		R_MEND[$name]+="${m_end% *} "; R_FEND[$name]+="${m_end#* } "
		line+=",\"module_mib_ready\":${m_ready% *},\"forecast_mib_ready\":${m_ready#* }"
		line+=",\"module_mib_end\":${m_end% *},\"forecast_mib_end\":${m_end#* }"
		line+=",\"stats_end\":{\"hits\":$(stat_of "$st" hits),\"misses\":$(stat_of "$st" misses)"
		line+=",\"hits_huge\":$(stat_of "$st" hits_huge),\"hit_pages\":$(stat_of "$st" hit_pages)"
		line+=",\"miss_pages\":$(stat_of "$st" miss_pages),\"staged_pages\":$(stat_of "$st" staged_pages)"
		line+=",\"forecast_pages\":$(stat_of "$st" forecast_pages)}"
	fi
	echo "$line}"
}

settle() {	# settle: page cache out, a moment for the last fleet's frees
	sync
	echo 3 > /proc/sys/vm/drop_caches
	sleep 2
}

THP=/sys/kernel/mm/transparent_hugepage
echo "# $N guests x $MEM MiB, each touches $TOUCH MiB, launched ${STAGGER} s apart;" \
	"timeout $TIMEOUT s per fleet; shadowalloc: $ROUNDS fleets in one group;" \
	"L1 MemAvailable $avail MiB, THP enabled=$(thp_mode $THP/enabled)" \
	"(ram-thp sets always)"
t_all=$(date +%s)
NAMES=(ram-thp prealloc)
settle; fleet ram-thp ram-thp "$(used_kb)"
settle; fleet prealloc prealloc "$(used_kb)"
if "$RUN_L2" --help 2>&1 | grep -q '\bhugetlbfs\b'; then
	NAMES+=(hugetlbfs)
	settle
	base=$(used_kb)
	HUGE_OLD=$(cat /proc/sys/vm/nr_hugepages)
	want=$((HUGE_OLD + N * MEM / 2))
	echo "$want" > /proc/sys/vm/nr_hugepages
	if [ "$(cat /proc/sys/vm/nr_hugepages)" -ge "$want" ]; then
		fleet hugetlbfs hugetlbfs "$base"
	else
		echo "# hugetlbfs: skipped: L1 gave $(cat /proc/sys/vm/nr_hugepages) of $want 2 MiB pages"
	fi
	echo "$HUGE_OLD" > /proc/sys/vm/nr_hugepages
	HUGE_OLD=""
else
	echo "# hugetlbfs: skipped: tools/l2/run-l2.sh has no hugetlbfs backend (run-l2.sh --help)"
fi
NAMES+=(shadowalloc-first shadowalloc-later)
settle
base=$(used_kb)
"$CTL" group destroy $G >/dev/null 2>&1
if "$CTL" group create $G --max-staged-mb $((N * MEM)) >/dev/null &&
   "$CTL" group pool $G --huge 1 >/dev/null && "$CTL" group enable $G >/dev/null; then
	fleet shadowalloc-first shadowalloc "$base" --group $G
	for ((r = 2; r <= ROUNDS; r++)); do
		sleep 2
		fleet shadowalloc-later shadowalloc "$base" --group $G
	done
else
	echo "# shadowalloc: group setup failed"
fi
"$CTL" group destroy $G >/dev/null 2>&1

printf '\n# per fleet (medians over rounds for shadowalloc-later); times in s, memory in MiB\n'
printf '%-18s %5s %8s %8s %9s %9s %9s %8s %9s %8s %8s %9s %9s\n' backend fleets "ready s" "launch s" \
	"1st lnch" "later ln" "touched s" "touch ms" "comm rdy" "comm end" "mod rdy" "fcast rdy" "mod end"
summary="{\"summary\":true,\"guests\":$N,\"mem_mb\":$MEM,\"touch_mib\":$TOUCH,\"stagger_s\":$STAGGER,\"rounds\":$ROUNDS,\"backends\":{"
sep=""
declare -A M_LAUNCH M_LAUNCHN M_LAUNCH1 M_TOUCHED
ms_s() {	# ms_s MS: seconds to one decimal, empty when empty
	[ -n "$1" ] && awk -v t="$1" 'BEGIN { printf "%.1f", t / 1000 }'
}
for name in "${NAMES[@]}"; do
	M_LAUNCH[$name]=$(median "${R_LAUNCH[$name]:-}" 3)
	M_LAUNCH1[$name]=$(median "${R_LAUNCH1[$name]:-}" 3)
	M_LAUNCHN[$name]=$(median "${R_LAUNCHN[$name]:-}" 3)
	M_TOUCHED[$name]=$(median "${R_TOUCHED[$name]:-}" 3)
	ready=$(median "${R_READY[$name]:-}" 3); tms=$(median "${R_TOUCHMS[$name]:-}" 3)
	cr=$(median "${R_CREADY[$name]:-}" 3); ce=$(median "${R_CEND[$name]:-}" 3)
	mr=$(median "${R_MREADY[$name]:-}" 3); fr=$(median "${R_FREADY[$name]:-}" 3)
	me=$(median "${R_MEND[$name]:-}" 3); fe=$(median "${R_FEND[$name]:-}" 3)
	nr=$(wc -w <<<"${R_TOUCHMS[$name]:-}")
	printf '%-18s %5s %8s %8s %9s %9s %9s %8s %9s %8s %8s %9s %9s\n' "$name" "$nr" "$(fmt "$ready" 1)" \
		"$(fmt "$(ms_s "${M_LAUNCH[$name]}")" 1)" "$(fmt "$(ms_s "${M_LAUNCH1[$name]}")" 1)" \
		"$(fmt "$(ms_s "${M_LAUNCHN[$name]}")" 1)" "$(fmt "$(ms_s "${M_TOUCHED[$name]}")" 1)" \
		"$(fmt "$tms" 0)" "$(fmt "$cr" 0)" "$(fmt "$ce" 0)" "$(fmt "$mr" 0)" "$(fmt "$fr" 0)" "$(fmt "$me" 0)"
	summary+="$sep\"$name\":{\"fleets\":$nr,\"ready_s\":$(j "$ready"),\"launch_to_init_ms\":$(j "${M_LAUNCH[$name]}")"
	summary+=",\"first_launch_to_init_ms\":$(j "${M_LAUNCH1[$name]}"),\"later_launch_to_init_ms\":$(j "${M_LAUNCHN[$name]}")"
	summary+=",\"launch_to_touched_ms\":$(j "${M_TOUCHED[$name]}"),\"l2_touch_ms_sum\":$(j "$tms")"
	summary+=",\"committed_mib_ready\":$(j "$cr"),\"committed_mib_end\":$(j "$ce")"
	[[ $name == shadowalloc* ]] &&
		summary+=",\"module_mib_ready\":$(j "$mr"),\"forecast_mib_ready\":$(j "$fr"),\"module_mib_end\":$(j "$me"),\"forecast_mib_end\":$(j "$fe")"
	summary+="}"
	sep=","
done
summary+="},\"targets\":{"
echo
# pass NAME VALUE LIMIT TEXT: a computed pass/fail line, VALUE <= LIMIT
verdicts=""
pass() {
	local v
	if [ "$2" = - ] || [ -z "$2" ] || [ -z "$3" ] || [ "$3" = - ]; then
		v="FAIL (not measured)"
	else
		v=$(awk -v a="$2" -v b="$3" 'BEGIN { print (a <= b) ? "PASS" : "FAIL" }')
	fi
	echo "$4: $2 (limit $3): $v"
	verdicts+="${verdicts:+,}\"$1\":{\"value\":$(j "$2"),\"limit\":$(j "$3"),\"pass\":$([ "$v" = PASS ] && echo true || echo false)}"
}
pass later_vs_prealloc_init "$(ratio "${M_LAUNCH[shadowalloc-later]}" "${M_LAUNCH[prealloc]}")" 1.0 \
	"shadowalloc-later / prealloc, launch to init (median over guests)"
pass later_vs_prealloc_touched "$(ratio "${M_TOUCHED[shadowalloc-later]}" "${M_TOUCHED[prealloc]}")" 1.0 \
	"shadowalloc-later / prealloc, launch to touched (median over guests)"
pass first_fleet_later_guests_vs_prealloc_init "$(ratio "${M_LAUNCHN[shadowalloc-first]}" "${M_LAUNCH[prealloc]}")" 1.0 \
	"shadowalloc-first guests 2..N / prealloc, launch to init"
for name in shadowalloc-first shadowalloc-later; do
	for at in ready end; do
		if [ $at = ready ]; then m=$(median "${R_MREADY[$name]:-}" 3); f=$(median "${R_FREADY[$name]:-}" 3)
		else m=$(median "${R_MEND[$name]:-}" 3); f=$(median "${R_FEND[$name]:-}" 3); fi
		lim=$([ -n "$f" ] && awk -v f="$f" 'BEGIN { printf "%.1f", f * 1.1 }')
		pass "${name}_module_mib_$at" "$(fmt "$m" 1)" "${lim:--}" \
			"$name, module memory at $at vs the group's forecast + 10 % (MiB)"
	done
done
echo "# total $(($(date +%s) - t_all)) s"
echo
echo "$summary$verdicts}}"
status=0
for name in "${NAMES[@]}"; do
	[ "${R_OK[$name]:-0}" -ge 1 ] || status=1
done
exit $status
