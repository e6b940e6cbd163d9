#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sa_replay (tools/forecast) on synthetic traces: the forecast policy's hit
# rate on sequential and burst workloads, and the messages and exit
# statuses of bad traces and bad options. Userspace only. KTAP output
# through the kernel's ktap_helpers.sh (from linux-source-6.12).

# shellcheck source=lib/sa_test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sa_test.sh" || exit 4

REPLAY=$REPO/tools/forecast/sa_replay
TMP=$(mktemp -d /tmp/replay_test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# check NAME WANT_STATUS STDOUT_REGEX STDERR_REGEX -- ARGS...
check() {
	check_cli "$REPLAY" "$@"
}

# hit_rate KIND MIN: the forecast policy's hit rate on a synthetic trace
hit_rate() {
	local kind=$1 min=$2 line rate
	if ! "$REPLAY" --synth "$kind" >"$TMP/$kind.csv"; then
		ktap_test_fail "synth_$kind"
		return
	fi
	line=$("$REPLAY" --json --policy forecast "$TMP/$kind.csv" | grep '"policy":"forecast"')
	rate=$(sed -n 's/.*"hit_rate":\([0-9.]*\).*/\1/p' <<<"$line")
	if [ -n "$rate" ] && awk -v r="$rate" -v m="$min" 'BEGIN { exit !(r >= m) }'; then
		ktap_print_msg "$kind: $line"
		ktap_test_pass "hit_rate_$kind"
	else
		ktap_print_msg "$kind: hit rate '$rate' below $min: $line"
		ktap_test_fail "hit_rate_$kind"
	fi
}

ktap_print_header
if [ ! -x "$REPLAY" ]; then
	ktap_skip_all "$REPLAY not built (make -C tools/forecast)"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 12

hit_rate sequential 0.95
hit_rate burst 0.95

printf 't_ns,vm,gpa,size\n# a comment\n0,1,0x1000\n100,1,0x2000,4096\n200,1,zz\n' >"$TMP/bad.csv"
check bad_gpa 2 '^$' 'bad.csv:5: gpa: not a number' -- "$TMP/bad.csv"
printf '0,1,0x1000\n1,1\n' >"$TMP/short.csv"
check too_few_fields 2 '^$' 'short.csv:2: 2 fields' -- "$TMP/short.csv"
printf '500,1,0x1000\n100,1,0x2000\n' >"$TMP/order.csv"
check unsorted 2 '^$' 'order.csv:2: t_ns 100 is before' -- "$TMP/order.csv"
printf '0,1,0x1000,0\n' >"$TMP/size.csv"
check zero_size 2 '^$' 'size.csv:1: size' -- "$TMP/size.csv"
printf '# nothing\nt_ns,vm,gpa\n' >"$TMP/empty.csv"
check empty_trace 1 '^$' 'no fault rows' -- "$TMP/empty.csv"
check missing_file 1 '^$' 'cannot open' -- "$TMP/nonexistent.csv"
check unknown_option 2 '^$' "unknown option '--frobnicate'" -- --frobnicate "$TMP/bad.csv"
check bad_number 2 '^$' "--horizon-ms: not a number: '5s'" -- --horizon-ms 5s "$TMP/bad.csv"
check fixed_needs_reserve 2 '^$' 'fixed needs --reserve' -- --policy fixed "$TMP/bad.csv"
check unknown_synth 2 '^$' "unknown kind 'zigzag'" -- --synth zigzag

ktap_finished
