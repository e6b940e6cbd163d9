#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - shadowalloc at work; 'make demo' runs it inside the test VM.
#
# Loads the module, creates and enables a trust group, stages pages for it,
# attaches the telemetry and has a minimal VMM of the group run a KVM guest
# that touches guest memory from /dev/shadowalloc: first within the pool
# staged ahead (hits), then past it (misses); shows the events that flowed
# (shadowctl status, bpftool map dump, the module's aggregates). Then
# (unless DEMO_L2=0) boots a real Linux guest with QEMU + KVM on
# /dev/shadowalloc and prints the group's stats.

set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CTL=$REPO/tools/shadowctl/shadowctl
G=1

step() { printf '\n=== %s\n' "$*"; }

step "load the module"
insmod "$REPO/kmod/shadowalloc.ko"
grep -q '^shadowalloc ' /proc/modules && echo "shadowalloc loaded: $(ls -l /dev/shadowalloc)"

step "create trust group $G, stage 2 MiB blocks, enable shadowing"
$CTL group create $G --horizon-ms 5000
$CTL group pool $G --huge 1 --max-age-ms 600000
$CTL group enable $G
$CTL group stats $G

step "reserve 64 MiB for an upcoming launch; the refill worker stages it"
$CTL group reserve $G 16384
for _ in $(seq 100); do
	staged=$($CTL --json group stats $G | sed 's/.*"staged_pages":\([0-9]*\).*/\1/')
	[ "$staged" -ge 16384 ] && break
	sleep 0.2
done
echo "staged pages: $staged"

step "attach the telemetry: BPF on KVM's fault tracepoints, feeding the module"
$CTL attach

step "a VMM of the group (minivmm: a real KVM guest) writes 128 MiB of /dev/shadowalloc"
# The process joins the group, then becomes the VMM (same pid). The first
# 64 MiB were staged (hits), the rest is allocated on the fault path.
sh -c '"$0" group add-vm '$G' $$ >/dev/null && exec "$1" 128' "$CTL" "$REPO/tools/minivmm/minivmm"
$CTL group stats $G

step "the forecaster: a fresh group 2; four VMMs start 3 s apart, 32 MiB each, nothing reserved"
# The pool follows the demand it has seen: the first launch misses, later
# ones find their pages staged.
G2=2
$CTL group create $G2 --horizon-ms 3000 >/dev/null
$CTL group pool $G2 --huge 1 --max-age-ms 600000 >/dev/null
$CTL group enable $G2 >/dev/null
field() { sed "s/.*\"$1\":\([0-9]*\).*/\1/" <<<"$2"; }
for i in 1 2 3 4; do
	before=$($CTL --json group stats $G2)
	sh -c '"$0" group add-vm '$G2' $$ >/dev/null && exec "$1" 32' "$CTL" "$REPO/tools/minivmm/minivmm" >/dev/null
	after=$($CTL --json group stats $G2)
	echo "  launch $i: $(( $(field hits "$after") - $(field hits "$before") )) hits," \
		"$(( $(field misses "$after") - $(field misses "$before") )) misses" \
		"(staged before: $(field staged_pages "$before") pages, target $(field forecast_pages "$before"))"
	sleep 3
done
$CTL group stats $G2 | grep -E "forecast|waste"
$CTL group disable $G2 >/dev/null
$CTL group destroy $G2 >/dev/null

step "telemetry: the BPF side's per-group counters (shadowctl status, bpftool)"
sleep 0.5
$CTL status
bpftool map dump pinned /sys/fs/bpf/shadowalloc/group_counters

step "telemetry: the module's aggregates (faults per 100 ms tick, level mix, regions)"
grep -E "^(rings|group $G) " /sys/kernel/debug/shadowalloc/telemetry

if [ "${DEMO_L2:-1}" != 0 ]; then
	step "boot a real Linux guest (QEMU + KVM) with its RAM on /dev/shadowalloc"
	$CTL group reserve $G 65536
	sleep 5
	"$REPO/tools/l2/run-l2.sh" --timeout "${DEMO_L2_TIMEOUT:-400}" --group $G \
		--backend shadowalloc --json -- 'echo "hello from the L2 guest: $(uname -r)"; touch-mem 32' ||
		echo "(the L2 guest did not finish in time: nested KVM under TCG is slow)"
	$CTL group stats $G
fi

step "JSON for agents"
$CTL --json group stats $G

step "tear down: detach the telemetry first (its programs hold the module)"
$CTL detach
$CTL group disable $G
$CTL group destroy $G
cat /sys/kernel/debug/shadowalloc/pages
rmmod shadowalloc && echo "shadowalloc unloaded"
