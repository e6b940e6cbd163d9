#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# NUMA placement of guest RAM: unmodified QEMU boots a real Linux guest with
# its RAM on a memory object and a host memory policy on the backend
# (-object memory-backend-file,...,host-nodes=N,policy=bind, which QEMU
# applies with mbind(2)); once the guest has touched its memory, every
# resident page of the mapping is on node N (QEMU's /proc/PID/numa_maps,
# N0=/N1= page counts). Three guests:
#
#   bind_node1_dev	/dev/shadowalloc, no group: plain first touches,
#			placed by the VMA's policy
#   bind_node0_fs	a shadowallocfs file, no group, the other node
#   bind_node1_group	/dev/shadowalloc in an enabled group with a reserved
#			pool: first touches are pool hits, and with per-node
#			pools a hit must come from node 1's pool (a hit from
#			node 0's would show as an N0 page). Skipped when the
#			module does not show per-node pools (debugfs
#			shadowalloc/pools "group G node N staged ..." lines).
#
# Needs two NUMA nodes with memory (the test VM has them, tools/vm/run-vm.sh
# --nodes), /dev/kvm, the module and qemu-system-x86_64.

# shellcheck source=lib/sa_test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sa_test.sh" || exit 4

G=703
MEM=256			# guest RAM, MiB
TOUCH=96		# the guest touches this much, MiB
MIN_PAGES=$((TOUCH * 256))	# resident pages at least: what it touched
RESERVE=$((MEM * 256))	# the group case: the whole guest RAM, 4 KiB pages
POOLS=/sys/kernel/debug/shadowalloc/pools
DIR=/run/sa-numa.$$
CONSOLE=/run/sa-numa.$$.console
PIDF=/run/sa-numa.$$.pid
OUT=/run/sa-numa.$$.out
# In the guest: touch memory, say so, stay up while the host looks.
L2_CMD="touch-mem $TOUCH || exit 1
echo @@TOUCHED@@
sleep 12"

L2_PID=""
cleanup() {
	[ -n "$L2_PID" ] && kill "$L2_PID" 2>/dev/null && wait "$L2_PID" 2>/dev/null
	mountpoint -q "$DIR" && umount "$DIR"
	rmdir "$DIR" 2>/dev/null
	rm -f "$CONSOLE" "$PIDF" "$OUT"
	"$CTL" group destroy $G >/dev/null 2>&1
}

# node_pages_of PID PATH: "policy n0 n1 lines" of QEMU's mappings of PATH
# (the device, or files under a directory) from /proc/PID/numa_maps.
node_pages_of() {
	awk -v path="file=$2" '
	index($0, path) {
		lines++
		if (policy == "") policy = $2
		else if (policy != $2) policy = policy "," $2
		for (i = 3; i <= NF; i++)
			if ($i ~ /^N[0-9]+=/) {
				split(substr($i, 2), kv, "=")
				n[kv[1]] += kv[2]
			}
	}
	END { printf "%s %d %d %d\n", policy == "" ? "none" : policy, n[0], n[1], lines }
	' "/proc/$1/numa_maps"
}

# pools_staged: "n0 n1" staged pages of group $G's pool per node, or "" if
# the module shows no per-node pools.
pools_staged() {
	[ -r "$POOLS" ] || return 0
	awk -v g="$G" '
	$1 == "group" && $2 == g && $3 == "node" {
		for (i = 5; i < NF; i++) if ($i == "staged") s[$4] = $(i + 1)
		found = 1
	}
	END { if (found) printf "%d %d\n", s[0], s[1] }' "$POOLS"
}

# run_bound NODE PATH RUN-L2-ARGS...: boot a guest with its RAM bound to
# host NODE and, once it touched its memory, read where QEMU's mapping of
# PATH is. Sets POLICY N0 N1 LINES (of numa_maps), TOUCHED, STATUS.
run_bound() {
	local node=$1 path=$2 pid="" i
	shift 2
	: > "$CONSOLE"
	rm -f "$PIDF"
	"$REPO/tools/l2/run-l2.sh" --timeout 240 --mem $MEM --console "$CONSOLE" \
		--ram-opt "host-nodes=$node" --ram-opt policy=bind \
		--qemu-arg -pidfile --qemu-arg "$PIDF" "$@" \
		-- "$L2_CMD" > "$OUT" 2>&1 &
	L2_PID=$!
	TOUCHED=0
	POLICY=none N0=0 N1=0 LINES=0
	for ((i = 0; i < 1000; i++)); do
		grep -aq '^@@TOUCHED@@' "$CONSOLE" && { TOUCHED=1; break; }
		kill -0 "$L2_PID" 2>/dev/null || break
		sleep 0.2
	done
	[ -r "$PIDF" ] && read -r pid < "$PIDF"
	if [ $TOUCHED = 1 ] && [ -n "$pid" ] && [ -r "/proc/$pid/numa_maps" ]; then
		# (a here-string: the test VM has no /dev/fd for <(...))
		read -r POLICY N0 N1 LINES <<<"$(node_pages_of "$pid" "$path")"
	elif [ $TOUCHED = 1 ]; then
		ktap_print_msg "QEMU (pid '${pid}') was gone before its numa_maps could be read"
		TOUCHED=0
	fi
	wait "$L2_PID"
	STATUS=$?
	L2_PID=""
	sed 's/^/# /' "$OUT"
	ktap_print_msg "host-nodes=$node policy=bind, $path: numa_maps policy $POLICY in $LINES mapping(s): N0=$N0 N1=$N1 resident pages; L2 exit status $STATUS"
}

# fail_msg NAME MESSAGE: a failed case, with why.
fail_msg() {
	ktap_print_msg "$1: $2"
	ktap_test_fail "$1"
}

# check_bound NAME NODE: the guest ran, touched its memory, the mapping's
# policy is bind:NODE and its resident pages are all on NODE.
check_bound() {
	local name=$1 node=$2 on off
	if [ "$node" = 0 ]; then on=$N0 off=$N1; else on=$N1 off=$N0; fi
	if [ $TOUCHED != 1 ] || [ $STATUS != 0 ]; then
		fail_msg "$name" "the guest did not run to its end (touched $TOUCHED, status $STATUS)"
	elif [ "$LINES" = 0 ]; then
		fail_msg "$name" "no mapping of the guest RAM in QEMU's numa_maps"
	elif [ "$POLICY" != "bind:$node" ]; then
		fail_msg "$name" "policy '$POLICY', want bind:$node"
	elif [ "$off" != 0 ] || [ "$on" -lt $MIN_PAGES ]; then
		fail_msg "$name" "$off pages off node $node, $on on it (want 0 and >= $MIN_PAGES)"
	else
		ktap_test_pass "$name"
	fi
}

ktap_print_header
if [ ! -c /dev/kvm ] || [ ! -c /dev/shadowalloc ] || ! command -v qemu-system-x86_64 >/dev/null ||
   ! grep -qw shadowallocfs /proc/filesystems; then
	ktap_skip_all "needs /dev/kvm, the module, shadowallocfs and qemu-system-x86_64"
	exit "$KSFT_SKIP"
fi
for n in 0 1; do
	if ! awk '/MemTotal:/ { exit !($4 > 0) }' "/sys/devices/system/node/node$n/meminfo" 2>/dev/null; then
		ktap_skip_all "needs memory on NUMA nodes 0 and 1 (tools/vm/run-vm.sh --nodes 2)"
		exit "$KSFT_SKIP"
	fi
done
ktap_set_plan 4
trap cleanup EXIT

# 1. The device, no group: plain first touches on node 1.
run_bound 1 /dev/shadowalloc --backend shadowalloc
check_bound bind_node1_dev 1

# 2. A shadowallocfs file, no group, node 0.
mkdir -p "$DIR" || ktap_exit_fail_msg "cannot create $DIR"
mount -t shadowallocfs none "$DIR" || ktap_exit_fail_msg "cannot mount shadowallocfs on $DIR"
run_bound 0 "$DIR/" --backend shadowallocfs --mem-path "$DIR"
check_bound bind_node0_fs 0
umount "$DIR"

# 3. An enabled group with the pool reserved: hits, all from node 1.
stage_reserved_group $G $RESERVE
staged_before=$(pools_staged)
run_bound 1 /dev/shadowalloc --backend shadowalloc --group $G
staged_after=$(pools_staged)
hits=$(stat_of hits)
ktap_print_msg "group $G: faults $(stat_of faults), hits $hits (2 MiB $(stat_of hits_huge)), misses $(stat_of misses); staged per node (node0 node1): before '${staged_before}', after '${staged_after}'"
check_bound bind_node1_group 1
if [ -z "$staged_before" ]; then
	ktap_print_msg "hits_from_node1_pool: skipped: the module shows no per-node pools ($POOLS has no 'group $G node N' lines)"
	ktap_test_skip "hits_from_node1_pool"
elif [ "${staged_before#* }" = 0 ]; then
	fail_msg "hits_from_node1_pool" "nothing staged on node 1 for a guest bound there (per node: $staged_before)"
elif [ "$hits" -gt 0 ] && [ "$N0" = 0 ]; then
	ktap_test_pass "hits_from_node1_pool"
else
	fail_msg "hits_from_node1_pool" "$hits hits, $N0 resident pages on node 0"
fi
ktap_finished
