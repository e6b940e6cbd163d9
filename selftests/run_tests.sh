#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run_tests.sh - the shadowalloc selftest suite, run as root inside the test
# VM (make check does that) or on any machine with the module built.
#
# Loads kmod/shadowalloc.ko, runs every test program (kselftest TAP, shown
# with a "# " prefix as the kselftest runner does), unloads the module and
# checks the kernel log. Test cases are counted one by one; the last line is
# "N passed, N failed[, N skipped]" and the exit status is non-zero on any
# failure.
#
#   run_tests.sh [TEST_PROGRAM...]    default: all of them
#   run_tests.sh --userspace TEST_PROGRAM...
#       userspace-only programs, on any machine: no module, no root, no
#       kernel log check (make check runs these on the host)

set -uo pipefail

SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$SELFTESTS")
MODULE=$REPO/kmod/shadowalloc.ko
USERSPACE=0
if [ "${1-}" = --userspace ]; then
	USERSPACE=1
	shift
	if [ $# -eq 0 ]; then
		echo "usage: run_tests.sh [--userspace] [TEST_PROGRAM...] (--userspace needs the programs)" >&2
		exit 2
	fi
fi
PROGRAMS=("$@")
# The list, and each program's arguments, come from the Makefile (one
# line per test: name, then arguments), the same list kselftest's
# run_tests target uses.
if [ ${#PROGRAMS[@]} -eq 0 ]; then
	if ! list=$(make -s -C "$SELFTESTS" print-tests 2>&1); then
		echo "# run_tests.sh: make print-tests failed: $list"
		echo "1..0"
		echo "0 passed, 1 failed"
		exit 1
	fi
	mapfile -t PROGRAMS <<<"$list"
fi
# shellcheck source=../tools/vm/kernel-problems.sh
. "$REPO/tools/vm/kernel-problems.sh"

passed=0
failed=0
skipped=0
n=0

echo "TAP version 13"

result() {	# result ok|fail|skip NAME [REASON]
	n=$((n + 1))
	case $1 in
	ok) passed=$((passed + 1)); echo "ok $n $2" ;;
	skip) skipped=$((skipped + 1)); echo "ok $n $2 # SKIP $3" ;;
	*) failed=$((failed + 1)); echo "not ok $n $2${3:+ # $3}" ;;
	esac
}

finish() {
	echo "1..$n"
	if [ "$skipped" -gt 0 ]; then
		echo "$passed passed, $failed failed, $skipped skipped"
	else
		echo "$passed passed, $failed failed"
	fi
	[ "$failed" -eq 0 ]
	exit
}

# run_program LINE: one kselftest program (LINE: name and arguments); its
# cases count one by one.
run_program() {
	local prog args out totals pass fail skip status start took
	read -r prog args <<<"$1"
	out=$(mktemp)
	if [ ! -x "$SELFTESTS/$prog" ]; then
		result fail "$prog" "not built"
		return
	fi
	start=$SECONDS
	# shellcheck disable=SC2086
	"$SELFTESTS/$prog" $args > "$out" 2>&1 < /dev/null
	status=$?
	took=$((SECONDS - start))
	sed 's/^/# /' "$out"
	totals=$(grep -E '^# Totals: pass:[0-9]+ fail:[0-9]+ xfail:[0-9]+ xpass:[0-9]+ skip:[0-9]+ error:[0-9]+' "$out" | tail -n 1)
	if [ -z "$totals" ]; then
		result fail "$prog" "no totals line (exit status $status)"
	else
		pass=$(sed -E 's/.*Totals: pass:([0-9]+) .*/\1/' <<<"$totals")
		fail=$(sed -E 's/.* fail:([0-9]+) .*/\1/' <<<"$totals")
		skip=$(sed -E 's/.* skip:([0-9]+) .*/\1/' <<<"$totals")
		passed=$((passed + pass))
		failed=$((failed + fail))
		skipped=$((skipped + skip))
		n=$((n + pass + fail + skip))
		if [ "$status" != 0 ] && [ "$fail" = 0 ]; then
			result fail "$prog" "exit status $status"
		fi
		echo "# $prog: $pass passed, $fail failed, $skip skipped ($took s)"
	fi
	rm -f "$out"
}

if [ "$USERSPACE" = 1 ]; then
	for prog in "${PROGRAMS[@]}"; do
		run_program "$prog"
	done
	finish
fi

if [ "$(id -u)" != 0 ]; then
	echo "# run_tests.sh: must run as root (make check runs it in the test VM)"
	result fail setup "not root"
	finish
fi

dmesg --clear

# Free memory with caches dropped, in KiB, for the leak check at the end.
free_kib() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	awk '$1 == "MemFree:" { print $2 }' /proc/meminfo
}
free_before=$(free_kib)

# A module parameter out of range refuses the load, cleanly.
if [ ! -f "$MODULE" ]; then
	result fail module_present "$MODULE missing: run make"
	finish
fi
if insmod "$MODULE" max_groups=0 2>/dev/null; then
	rmmod shadowalloc
	result fail module_bad_param "insmod with max_groups=0 succeeded"
else
	result ok module_bad_param
fi
if ! insmod "$MODULE"; then
	result fail module_load
	finish
fi
result ok module_load

for prog in "${PROGRAMS[@]}"; do
	run_program "$prog"
done

# Nothing staged or mapped is left once every test has closed its files.
pages=/sys/kernel/debug/shadowalloc/pages
if [ -r "$pages" ]; then
	held=$(awk '$1 == "staged_pages" || $1 == "mem_pages" { n += $2 } END { print n + 0 }' "$pages")
	if [ "$held" = 0 ]; then
		result ok no_pages_held
	else
		sed 's/^/# /' "$pages"
		result fail no_pages_held "$held pages still held"
	fi
else
	result skip no_pages_held "$pages not readable (debugfs not mounted)"
fi

# rmmod is refused while the device is open, and works after.
exec 3<>/dev/shadowalloc
if rmmod shadowalloc 2>/dev/null; then
	result fail rmmod_refused_while_open "rmmod succeeded with /dev/shadowalloc open"
	exec 3>&-
	insmod "$MODULE"
else
	result ok rmmod_refused_while_open
	exec 3>&-
fi
if rmmod shadowalloc; then
	result ok module_unload
else
	result fail module_unload
fi

# Nothing the module ever held stays allocated after unload: L1's free
# memory is back where it was (slack for slab and page-table noise).
free_after=$(free_kib)
lost=$(( (free_before - free_after) / 1024 ))
echo "# free memory: $((free_before / 1024)) MiB before load, $((free_after / 1024)) MiB after unload"
if [ "$lost" -le 64 ]; then
	result ok free_memory_restored
else
	result fail free_memory_restored "$lost MiB less free memory after the run"
fi

# The kernel log of the whole run: no warning, bug or report of any kind.
# kernel_log_unexpected (kernel-problems.sh) drops only what a test
# announced, the stack dump of memcg_test's OOM kill.
problems=$(dmesg | kernel_log_unexpected | grep -E "$KERNEL_PROBLEM_RE" | grep -vE "$KERNEL_PROBLEM_BENIGN_RE")
if [ -n "$problems" ]; then
	echo "$problems" | sed 's/^/# /'
	result fail dmesg_clean
else
	result ok dmesg_clean
fi

finish
