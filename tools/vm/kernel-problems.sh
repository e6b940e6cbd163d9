# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# kernel-problems.sh - sourced (by tools/vm/run-vm.sh on the host, by
# selftests/run_tests.sh in the VM): the one definition of "the kernel
# reported a problem", for grep -E over kernel log lines.
#
#   KERNEL_PROBLEM_RE         a line of any warning, bug or report: WARN,
#                             BUG, oops, GPF, panic, KFENCE, SLUB (its "BUG
#                             cache (Tainted)" header and ===== ruler),
#                             UBSAN, refcount, list corruption, hung task,
#                             RCU stall, a call trace, a bad page dump
#   KERNEL_PROBLEM_BENIGN_RE  lines that match it but are no problem: the
#                             SRSO notice about the emulated EPYC CPU at boot
#
#   kernel_log_unexpected     a filter (stdin to stdout) dropping what a
#                             test announced: the stack dump of the OOM
#                             report between the "shadowalloc-selftest:
#                             expected OOM begins" and "... ends" markers
#                             (memcg_test); every other line stays
#
# Use: kernel_log_unexpected | grep -E "$KERNEL_PROBLEM_RE" |
#      grep -vE "$KERNEL_PROBLEM_BENIGN_RE"
# (the ruler pattern is anchored, so feed whole lines, with or without the
# "[ time]" prefix of dmesg and the console).

# Plain POSIX sh (no +=): the tests may source it from any shell.
# shellcheck disable=SC2034	# used by the scripts that source this file
KERNEL_PROBLEM_RE='WARNING:|BUG:|BUG |kernel BUG at|Oops|general protection fault|Kernel panic'\
'|KFENCE:|BUG [^ ]+ \((Not tainted|Tainted)|^(\[[ 0-9.]+\] )?={60,}$'\
'|UBSAN:|refcount_t:|list_(add|del) corruption'\
'|blocked for more than|detected stall'\
'|Call Trace:|page dumped because'
# shellcheck disable=SC2034
KERNEL_PROBLEM_BENIGN_RE='Speculative Return Stack Overflow: WARNING:'

kernel_log_unexpected() {
	awk '
		/shadowalloc-selftest: expected OOM begins/ { oom = 1 }
		/shadowalloc-selftest: expected OOM ends/ { oom = 0 }
		oom && /Call Trace:/ { next }
		{ print }'
}
