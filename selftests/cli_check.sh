# SPDX-License-Identifier: GPL-2.0
#
# cli_check.sh - sourced by the CLI tests (shadowctl_test.sh,
# replay_test.sh), after the kernel's ktap_helpers.sh.
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
