#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest RAM handed to an unmodified QEMU that is in no group: a manager
# (this script) creates the file on a group= mount of shadowallocfs and
# passes it as an inherited descriptor (mem-path=/proc/self/fd/3, as libvirt
# passes pre-opened fds). The binding is the object's, so the guest's
# first touches come from the group's pool although neither the manager nor
# QEMU is a member; the file reads back as bound to the group.

# shellcheck source=lib/sa_test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sa_test.sh" || exit 4

G=711
RESERVE=65536	# the whole 256 MiB of guest RAM
MNT=/tmp/sa-fdpass

ktap_print_header
if [ ! -c /dev/kvm ] || [ ! -c /dev/shadowalloc ] || ! command -v qemu-system-x86_64 >/dev/null; then
	ktap_skip_all "needs /dev/kvm, the module and qemu-system-x86_64"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 4
cleanup() {
	umount "$MNT" 2>/dev/null
	rmdir "$MNT" 2>/dev/null
	"$CTL" group destroy $G >/dev/null 2>&1
}
trap cleanup EXIT

stage_reserved_group $G $RESERVE
mkdir -p "$MNT"
mount -t shadowallocfs -o group=$G,mode=0700 none "$MNT" ||
	ktap_exit_fail_msg "mount -o group=$G failed"
: > "$MNT/vm1"
binding=$("$CTL" mem "$MNT/vm1")
ktap_print_msg "$binding"
if [[ "$binding" == *"bound to group $G,"* ]]; then
	ktap_test_pass "file_bound_by_mount"
else
	ktap_test_fail "file_bound_by_mount"
fi

out=$("$REPO/tools/l2/run-l2.sh" --timeout 180 --backend shadowallocfs-fd \
	--mem-file "$MNT/vm1" --json -- 'echo "L2 up: $(uname -r)"; touch-mem 32' 2>&1)
status=$?
echo "$out" | sed 's/^/# /'
ktap_test_result "l2_on_passed_fd_reaches_init" [ $status = 0 ]
hits=$(stat_of hits)
faults=$(stat_of faults)
ktap_print_msg "faults $faults, hits $hits, 2 MiB hits $(stat_of hits_huge), VMs in the group $(stat_of nr_vms)"
ktap_test_result "first_touches_hit_the_pool" [ "$hits" -gt 0 ]
if [ "$faults" -gt 0 ] && [ $((hits * 100)) -ge $((faults * 95)) ]; then
	ktap_test_pass "hit_rate_at_least_95_percent"
else
	ktap_test_fail "hit_rate_at_least_95_percent"
fi
ktap_finished
