#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run_check.sh - what 'make check' runs once everything is built: the whole
# selftest suite in three parts at the same time, then one summary.
#
#   userspace  the userspace-only programs, on this machine
#              (run_tests.sh --userspace)
#   vm1, vm2   the rest, split between two test VMs side by side
#              (tools/vm/run-vm.sh -- run_tests.sh PROGRAM...)
#
# The split is selftests/Makefile's (make print-tests PART=...). Each test
# VM's TCG is single-threaded: one VM keeps one host CPU busy, so two VMs
# on a two-CPU machine take half the time of one; each VM loads its own
# module and checks its own kernel log, leaked pages and free memory.
#
# Output: TAP version 13 with each part as a subtest (its own TAP, indented
# four spaces, printed when the part ends), one result per part, and last
# "N passed, N failed[, N skipped]" summed over every test case of the
# three parts. A part that ends without its summary line (a VM timeout or
# crash) or with a non-zero exit status but no failed case (run-vm.sh's 126:
# the guest kernel reported a problem) counts one failed case more.
#
#   run_check.sh [--timeout SECONDS] [--append KERNEL_ARGS]
#
# Logs in build/check/ (PART.log). Exit status 0 if nothing failed.

set -uo pipefail

SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$SELFTESTS")
VM_RUN=$REPO/tools/vm/run-vm.sh
LOGS=$REPO/build/check
TIMEOUT=3000
APPEND=""
PARTS=(userspace vm1 vm2)

usage() {
	echo "usage: run_check.sh [--timeout SECONDS] [--append KERNEL_ARGS]" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--timeout)
		[ $# -ge 2 ] || usage
		[[ $2 =~ ^[1-9][0-9]*$ ]] || { echo "run_check.sh: --timeout: not a number of seconds: '$2'" >&2; exit 2; }
		TIMEOUT=$2
		shift 2 ;;
	--append)
		[ $# -ge 2 ] || usage
		APPEND=$2
		shift 2 ;;
	*) usage ;;
	esac
done

mkdir -p "$LOGS" || exit 1

# start_part PART: runs PART in the background, output in $LOGS/PART.log,
# exit status in $LOGS/PART.status.
start_part() {
	local part=$1 list
	local -a progs
	if ! list=$(make -s -C "$SELFTESTS" print-tests PART="$part" 2>&1); then
		echo "# run_check.sh: make print-tests PART=$part failed: $list" > "$LOGS/$part.log"
		echo 1 > "$LOGS/$part.status"
		return
	fi
	mapfile -t progs <<<"$list"
	rm -f "$LOGS/$part.status"
	if [ "$part" = userspace ]; then
		( "$SELFTESTS/run_tests.sh" --userspace "${progs[@]}" > "$LOGS/$part.log" 2>&1 < /dev/null
		  echo $? > "$LOGS/$part.status" ) &
	else
		( "$VM_RUN" --timeout "$TIMEOUT" --append "$APPEND" --env SA_DKMS_PREBUILT=1 -- \
			"$SELFTESTS/run_tests.sh" "${progs[@]}" > "$LOGS/$part.log" 2>&1 < /dev/null
		  echo $? > "$LOGS/$part.status" ) &
	fi
}

start=$SECONDS
# Built here for the VMs, where compiling takes ten times longer: the DKMS
# build of the module for the test VM's kernel (selftests/dkms_test.sh
# installs and loads it). A failure shows in that test.
vm_kver=$(find /boot -maxdepth 1 -name 'vmlinuz-6.12*-cloud-amd64' | sort -V | tail -n 1)
vm_kver=${vm_kver#/boot/vmlinuz-}
if make -s -C "$REPO" dkms-build DKMS_DIR="$REPO/build/dkms" DKMS_KVER="$vm_kver" \
	> "$LOGS/dkms-build.log" 2>&1 < /dev/null; then
	echo "# run_check.sh: dkms build for $vm_kver in build/dkms ($((SECONDS - start)) s)"
else
	echo "# run_check.sh: make dkms-build for '$vm_kver' failed (log: $LOGS/dkms-build.log):"
	tail -n 5 "$LOGS/dkms-build.log" | sed 's/^/#   /'
fi

for part in "${PARTS[@]}"; do
	start_part "$part"
	echo "# run_check.sh: $part started (log: $LOGS/$part.log)"
done
# While they run: each program's result line as a part's log shows it,
# so a long run shows its progress (the parts' whole output follows).
declare -A shown
while [ -n "$(jobs -r)" ]; do
	sleep 10
	for part in "${PARTS[@]}"; do
		mapfile -t done_lines < <(grep -E '^# [A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed' "$LOGS/$part.log" 2>/dev/null)
		for ((i = ${shown[$part]:-0}; i < ${#done_lines[@]}; i++)); do
			echo "# $part: ${done_lines[i]#\# } [$((SECONDS - start)) s]"
		done
		shown[$part]=${#done_lines[@]}
	done
done
wait
echo "# run_check.sh: all parts ended after $((SECONDS - start)) s"

echo "TAP version 13"
passed=0
failed=0
skipped=0
n=0
for part in "${PARTS[@]}"; do
	n=$((n + 1))
	status=$(cat "$LOGS/$part.status" 2>/dev/null || echo "?")
	sed 's/^/    /' "$LOGS/$part.log"
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$LOGS/$part.log" | tail -n 1)
	if [ -z "$last" ]; then
		failed=$((failed + 1))
		echo "not ok $n $part # no summary line (exit status $status)"
		continue
	fi
	read -r p _ f _ s _ <<<"${last//,/}"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + ${s:-0}))
	if [ "$status" != 0 ] && [ "$f" = 0 ]; then
		failed=$((failed + 1))
		echo "not ok $n $part # exit status $status with no failed case"
	elif [ "$status" != 0 ]; then
		echo "not ok $n $part # $last"
	else
		echo "ok $n $part # $last"
	fi
done
echo "1..$n"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
