#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run-bench.sh - one benchmark suite inside the test VM, between loading and
# unloading the module. The top Makefile's bench targets run it through
# tools/vm/run-vm.sh; the host side (logs, plots) stays in the Makefile.
#
#   run-bench.sh touch MIB     make bench: kvm_touch_bench MIB, then
#                              tm_overhead_bench MIB 3 (with
#                              --slowdown-rounds $TM_SLOWDOWN_ROUNDS if set,
#                              --host-ref build/tm-host-reference.json if
#                              there)
#   run-bench.sh forecast L2   make bench-forecast: with the telemetry
#                              attached, fc_workload_bench --dump-series and,
#                              if L2 is 1, fc_l2_bench.sh 64 (Linux boots)
#   run-bench.sh l2 MIB        make bench-l2: l2_bench.sh MIB (every RAM
#                              backend side by side; BENCH_QUICK=1 in the
#                              environment: one round)
#   run-bench.sh refault MIB   make bench-refault: l2_refault_bench.sh MIB (free
#                              page reporting, re-faults per cycle)
#   run-bench.sh fleet N       make bench-fleet: l2_fleet_bench.sh N (N guests
#                              of one group launched staggered)
#   run-bench.sh huge MIB      huge_rule_bench --rounds 3 MIB, then with the telemetry
#                              attached huge_rule_bench --learn MIB (no make
#                              target: Documentation/benchmarks.rst)
#
# Exit status: the first failing step's, else 0; 2 usage error. The module
# is unloaded (and the telemetry detached) whatever the suite did; for
# 'forecast', a failed insmod ends the run at once with 1.

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=$REPO/tools/bench
CTL=$REPO/tools/shadowctl/shadowctl
KO=$REPO/kmod/shadowalloc.ko

usage() {
	echo "usage: run-bench.sh touch MIB | forecast 0|1 | l2 MIB | refault MIB | fleet N | huge MIB" >&2
	exit 2
}

[ $# -eq 2 ] || usage
case $1 in
touch)
	# The host's reference loop (make bench writes it before the VM
	# starts): tm_overhead_bench's TCG factor for its projection.
	ref=$REPO/build/tm-host-reference.json
	set --  "$2" ${TM_SLOWDOWN_ROUNDS:+--slowdown-rounds "$TM_SLOWDOWN_ROUNDS"}
	[ -f "$ref" ] && set -- "$@" --host-ref "$ref"
	insmod "$KO" &&
		"$BENCH/kvm_touch_bench" "$1" &&
		"$BENCH/tm_overhead_bench" "$@" 3
	s=$?
	rmmod shadowalloc
	;;
forecast)
	insmod "$KO" || exit 1
	"$CTL" attach &&
		"$BENCH/fc_workload_bench" --dump-series &&
		if [ "$2" = 1 ]; then "$BENCH/fc_l2_bench.sh" 64; fi
	s=$?
	"$CTL" detach
	rmmod shadowalloc
	;;
l2)
	insmod "$KO" && "$BENCH/l2_bench.sh" "$2"
	s=$?
	rmmod shadowalloc
	;;
refault)
	insmod "$KO" && "$BENCH/l2_refault_bench.sh" "$2"
	s=$?
	rmmod shadowalloc
	;;
fleet)
	insmod "$KO" && "$BENCH/l2_fleet_bench.sh" "$2"
	s=$?
	rmmod shadowalloc
	;;
huge)
	insmod "$KO" || exit 1
	"$BENCH/huge_rule_bench" --rounds 3 "$2" &&
		"$CTL" attach &&
		"$BENCH/huge_rule_bench" --learn "$2"
	s=$?
	"$CTL" detach 2>/dev/null
	rmmod shadowalloc
	;;
*)
	usage
	;;
esac
exit $s
