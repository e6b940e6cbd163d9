#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The man pages (Documentation/man/: shadowctl.8, shadowallocfs.5,
# shadowalloc.4): each renders with man -l (man-db) with a NAME line and no
# groff warning (groff -ww: every warning class; man-db does not pass
# groff's warnings on, so they are checked with groff itself on the same
# source), and shadowctl(8) lists exactly the commands `shadowctl help`
# prints. Userspace only (make check runs it on the host).

# shellcheck source=lib/sa_test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sa_test.sh" || exit 4

MAN=$REPO/Documentation/man
PAGES=(shadowctl.8 shadowallocfs.5 shadowalloc.4)

ktap_print_header
if ! command -v man >/dev/null || ! command -v groff >/dev/null || [ ! -x "$CTL" ]; then
	ktap_skip_all "needs man (man-db), groff and $CTL built"
	exit "$KSFT_SKIP"
fi
ktap_set_plan $((2 * ${#PAGES[@]} + 1))

for page in "${PAGES[@]}"; do
	name=${page%.*}
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$MAN/$page" 2>&1)
	status=$?
	if [ $status = 0 ] && grep -Eq "^NAME$" <<<"$out" &&
	   grep -Eq "^ +$name +- " <<<"$out"; then
		ktap_test_pass "${page}_renders"
	else
		ktap_print_msg "man -l $page: status $status: $(head -n 5 <<<"$out")"
		ktap_test_fail "${page}_renders"
	fi
	warnings=$(groff -man -ww -z "$MAN/$page" 2>&1)
	if [ -z "$warnings" ]; then
		ktap_test_pass "${page}_no_warnings"
	else
		while IFS= read -r l; do ktap_print_msg "$l"; done <<<"$warnings"
		ktap_test_fail "${page}_no_warnings"
	fi
done

# The commands: `shadowctl help` lists each on a line indented by two
# spaces ("  group create ID ..."); the man page gives each a .TP entry in
# COMMANDS. Both reduced to the command's words.
help_cmds=$("$CTL" help | sed -nE 's/^  ([a-z][a-z-]*( [a-z][a-z-]*)?)( .*)?$/\1/p' |
	    sed -E 's/ (ID|FILE)$//' | sort)
man_cmds=$(awk '
	/^\.SH/ { in_cmds = ($2 == "COMMANDS") ; next }
	in_cmds && /^\.TP/ { want = 1; next }
	in_cmds && want {
		want = 0
		sub(/^\.[A-Z]+ /, "")
		gsub(/"/, "")
		gsub(/\\-/, "-")
		cmd = ""
		for (i = 1; i <= NF && $i ~ /^[a-z][a-z-]*$/; i++)
			cmd = cmd (cmd == "" ? "" : " ") $i
		print cmd
	}' "$MAN/shadowctl.8" | sort)
if [ -n "$help_cmds" ] && [ "$help_cmds" = "$man_cmds" ]; then
	ktap_print_msg "$(wc -l <<<"$help_cmds") commands in both"
	ktap_test_pass shadowctl_help_and_man_list_the_same_commands
else
	ktap_print_msg "shadowctl help < > shadowctl.8:"
	while IFS= read -r l; do ktap_print_msg "  $l"; done < <(diff <(echo "$help_cmds") <(echo "$man_cmds"))
	ktap_test_fail shadowctl_help_and_man_list_the_same_commands
fi
ktap_finished
