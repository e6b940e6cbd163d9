# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# sa_test.sh - the shell half of the selftest library, sourced first by
# every shell test: where things are (SELFTESTS, REPO, KSRC, CTL), the
# kernel's ktap_helpers.sh (from linux-source-6.12, unpacked at build time)
# and the helpers below.

SA_TEST_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELFTESTS=$(dirname "$SA_TEST_LIB")
REPO=$(dirname "$SELFTESTS")
KSRC=${KSRC:-$REPO/build/linux-source}
CTL=$REPO/tools/shadowctl/shadowctl
# shellcheck source=/dev/null
. "$KSRC/tools/testing/selftests/kselftest/ktap_helpers.sh" || return 4

# stat_of FIELD: a number of group $G's stats, from shadowctl's JSON.
stat_of() {
	"$CTL" --json group stats "$G" | sed "s/.*\"$1\":\([0-9]*\).*/\1/"
}

# stage_reserved_group G PAGES: a fresh enabled group G with 2 MiB staging
# and PAGES reserved, once the pool holds them (so a guest boots with the
# refill worker done: it competes for the one emulated CPU otherwise).
# Fails the whole test if the group cannot be set up.
stage_reserved_group() {
	local g=$1 pages=$2

	"$CTL" group destroy "$g" >/dev/null 2>&1
	"$CTL" group create "$g" >/dev/null &&
	"$CTL" group pool "$g" --huge 1 --max-age-ms 600000 >/dev/null &&
	"$CTL" group enable "$g" >/dev/null &&
	"$CTL" group reserve "$g" "$pages" >/dev/null ||
		ktap_exit_fail_msg "group setup failed"
	for _ in $(seq 600); do
		[ "$(G=$g stat_of staged_pages)" -ge "$pages" ] && break
		sleep 0.1
	done
}
#
# check_cli PROGRAM NAME WANT_STATUS STDOUT_REGEX STDERR_REGEX -- ARGS...
#   runs PROGRAM ARGS and reports one KTAP result: ok if the exit status is
#   WANT_STATUS and stdout and stderr match their (extended) regexes.
check_cli() {
	local prog=$1 name=$2 want=$3 out_re=$4 err_re=$5 status out err errf
	shift 6
	errf=$(mktemp)
	out=$("$prog" "$@" 2>"$errf")
	status=$?
	err=$(cat "$errf")
	rm -f "$errf"
	if [ "$status" != "$want" ]; then
		ktap_print_msg "$*: status $status, want $want; stdout: $out; stderr: $err"
		ktap_test_fail "$name"
	elif ! grep -Eq -- "$out_re" <<<"$out"; then
		ktap_print_msg "$*: stdout '$out' does not match '$out_re'"
		ktap_test_fail "$name"
	elif ! grep -Eq -- "$err_re" <<<"$err"; then
		ktap_print_msg "$*: stderr '$err' does not match '$err_re'"
		ktap_test_fail "$name"
	else
		ktap_test_pass "$name"
	fi
}
