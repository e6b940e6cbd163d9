#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end: unmodified QEMU boots a real Linux guest with its RAM on
# /dev/shadowalloc, the pool reserved ahead; the guest reaches its init and
# runs a workload, and its first touches were served from the pool.

# shellcheck source=lib/sa_test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sa_test.sh" || exit 4

G=701
RESERVE=65536	# the whole 256 MiB of guest RAM

ktap_print_header
if [ ! -c /dev/kvm ] || [ ! -c /dev/shadowalloc ] || ! command -v qemu-system-x86_64 >/dev/null; then
	ktap_skip_all "needs /dev/kvm, the module and qemu-system-x86_64"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 3
trap '"$CTL" group destroy $G >/dev/null 2>&1' EXIT

stage_reserved_group $G $RESERVE

out=$("$REPO/tools/l2/run-l2.sh" --timeout 180 --group $G --backend shadowalloc --json \
	-- 'echo "L2 up: $(uname -r)"; touch-mem 32' 2>&1)
status=$?
echo "$out" | sed 's/^/# /'
ktap_test_result "l2_reaches_init_and_runs" [ $status = 0 ]
hits=$(stat_of hits)
faults=$(stat_of faults)
ktap_print_msg "faults $faults, hits $hits, 2 MiB hits $(stat_of hits_huge)"
ktap_test_result "first_touches_hit_the_pool" [ "$hits" -gt 0 ]
ktap_test_result "hit_rate_at_least_95_percent" [ $((hits * 100)) -ge $((faults * 95)) ]
ktap_finished
