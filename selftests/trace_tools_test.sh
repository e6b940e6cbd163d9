#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The real-trace tools (tools/trace/) on small hand-written inputs:
# perf2csv.py on a canned `perf script` text (first touches per process
# and 4 KiB page, forks, execs, threads, relative and sorted time, lost
# samples, --round-ns), make-group.py (launch names, creation markers,
# stagger, sequential launches, --repeat, --single) and the messages and
# exit statuses of bad usage of every tool, record-faults included (its
# usage errors come before it needs perf). Needs python3 only (sa_replay,
# if built, checks that the outputs replay). Userspace only.
# KTAP output through the kernel's ktap_helpers.sh (from linux-source-6.12).

# shellcheck source=lib/sa_test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sa_test.sh" || exit 4

T=$REPO/tools/trace
P2C=$T/perf2csv.py
MG=$T/make-group.py
REC=$T/record-faults
REPLAY=$REPO/tools/forecast/sa_replay
TMP=$(mktemp -d /tmp/trace_tools_test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# same NAME WANT GOT: ok if the files are the same (rows only: '#' lines
# are left out of both); the diff otherwise
same() {
	local name=$1 d
	grep -v '^#' "$2" >"$TMP/want.rows"
	grep -v '^#' "$3" >"$TMP/got.rows"
	if d=$(diff "$TMP/want.rows" "$TMP/got.rows"); then
		ktap_test_pass "$name"
	else
		ktap_print_msg "$name: want < > got:"
		while IFS= read -r l; do ktap_print_msg "  $l"; done <<<"$d"
		ktap_test_fail "$name"
	fi
}

# ok_if NAME CMD...: ok if CMD succeeds (ktap_test_result splits its
# arguments on spaces)
ok_if() {
	local name=$1
	shift
	if "$@"; then
		ktap_test_pass "$name"
	else
		ktap_test_fail "$name"
	fi
}

ktap_print_header
if ! command -v python3 >/dev/null; then
	ktap_skip_all "no python3"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 42

# --- perf2csv.py on a canned perf script text --------------------------
# perf script --ns --show-task-events --show-lost-events -F pid,tid,time,addr
# pid 100 exec'd, its thread 101, a forked child 102 which execs; the
# samples of CPU 1 (100/100 at .000012) come before CPU 0's (.000011)
cat >"$TMP/perf.txt" <<'EOF'
    0/0         0.000000000: PERF_RECORD_COMM: perf-exec:100/100
  100/100      50.000000100: PERF_RECORD_COMM exec: prog:100/100
  100/100      50.000001000:     55d0c0001234
  100/101      50.000002000:     55d0c0001ff8
  100/100      50.000003000:     7f0000000010
  100/100      50.000004000: PERF_RECORD_FORK(102:102):(100:100)
  102/102      50.000005000:     55d0c0001000
  100/100      50.000006000: PERF_RECORD_FORK(100:103):(100:100)
  100/103      50.000007000:     7f0000000fff
  102/102      50.000008000: PERF_RECORD_COMM exec: sh:102/102
  102/102      50.000009000:     55d0c0001000
  102/102      50.000010000:     55d0c0001004
  100/100      50.000012500:     7f0000003000
  100/101      50.000011000:     7f0000004abc
  100/101      50.000013000: PERF_RECORD_COMM: worker:100/101
  100/100      50.000014000:     7f0000004000
  102/102      50.000015000: PERF_RECORD_EXIT(102:102):(100:100)
  100/100      50.000016000: PERF_RECORD_LOST lost 3

  100/100      50.000020999:     ffffffffff600000
EOF
# first touches: 100's 55d0c0001 (its thread's fault there is a repeat)
# and 7f0000000; the child's 55d0c0001 (its own copy) and again after its
# exec (a new image; the next fault on the page a repeat); 100's
# 7f0000000 again from thread 103 a repeat; 7f0000004 (the later fault a
# repeat) before 7f0000003 (sorted); the vsyscall page
cat >"$TMP/perf.want" <<'EOF'
t_ns,vm,gpa,size
0,prog,0x55d0c0001000,4096
2000,prog,0x7f0000000000,4096
4000,prog,0x55d0c0001000,4096
8000,prog,0x55d0c0001000,4096
10000,prog,0x7f0000004000,4096
11500,prog,0x7f0000003000,4096
19999,prog,0xffffffffff600000,4096
EOF
if "$P2C" --vm prog -o "$TMP/perf.csv" "$TMP/perf.txt" 2>"$TMP/perf.err"; then
	same perf2csv_first_touches "$TMP/perf.want" "$TMP/perf.csv"
	ok_if perf2csv_counts grep -q \
		'^# perf2csv: 11 samples, 7 first touches (rows), 4 repeats dropped, 3 processes, 3 lost' "$TMP/perf.csv"
	ok_if perf2csv_lost_warning grep -q 'perf lost 3 samples' "$TMP/perf.err"
	ok_if perf2csv_header_line [ "$(grep -v '^#' "$TMP/perf.csv" | head -1)" = t_ns,vm,gpa,size ]
else
	ktap_print_msg "perf2csv failed: $(cat "$TMP/perf.err")"
	for t in perf2csv_first_touches perf2csv_counts perf2csv_lost_warning perf2csv_header_line; do
		ktap_test_fail "$t"
	done
fi
# the same text from stdin, with --comment lines first
"$P2C" --vm prog --comment 'one' --comment 'two, three' <"$TMP/perf.txt" >"$TMP/stdin.csv" 2>/dev/null
same perf2csv_stdin "$TMP/perf.want" "$TMP/stdin.csv"
ok_if perf2csv_comments [ "$(head -2 "$TMP/stdin.csv")" = "# one
# two, three" ]
# --round-ns 1000 rounds t_ns down; -F pid,time,addr (no tid) and 6-digit
# (microsecond) times, as perf script prints without --ns
printf '  7  1.000001:  1000\n  7  1.000002:  2fff\n  7  1.000004:  2000\n  8  1.250000:  1000\n' >"$TMP/us.txt"
printf 't_ns,vm,gpa,size\n0,v,0x1000,4096\n1000,v,0x2000,4096\n249999000,v,0x1000,4096\n' >"$TMP/us.want"
"$P2C" --vm v "$TMP/us.txt" >"$TMP/us.csv" 2>/dev/null
same perf2csv_microseconds_no_tid "$TMP/us.want" "$TMP/us.csv"
printf 't_ns,vm,gpa,size\n0,prog,0x55d0c0001000,4096\n2000,prog,0x7f0000000000,4096\n4000,prog,0x55d0c0001000,4096\n8000,prog,0x55d0c0001000,4096\n10000,prog,0x7f0000004000,4096\n11000,prog,0x7f0000003000,4096\n19000,prog,0xffffffffff600000,4096\n' >"$TMP/round.want"
"$P2C" --vm prog --round-ns 1000 "$TMP/perf.txt" >"$TMP/round.csv" 2>/dev/null
same perf2csv_round_ns "$TMP/round.want" "$TMP/round.csv"
if [ -x "$REPLAY" ]; then
	check_cli "$REPLAY" perf2csv_output_replays 0 '"rows":7,"pages":7' '^$' -- --json "$TMP/perf.csv"
else
	ktap_test_skip "perf2csv_output_replays ($REPLAY not built)"
fi

printf '  7/7  1.000001000:  1000\n  7/7  1.000002000 1000\n' >"$TMP/badline.txt"
check_cli "$P2C" perf2csv_bad_line 2 '^$' "badline.txt:2: not a perf script sample line" -- --vm v "$TMP/badline.txt"
printf '    0/0         0.000000000: PERF_RECORD_COMM: perf-exec:100/100\n' >"$TMP/nosamples.txt"
check_cli "$P2C" perf2csv_no_samples 1 '^$' 'no page-fault samples' -- --vm v "$TMP/nosamples.txt"
check_cli "$P2C" perf2csv_needs_vm 2 '^$' 'the following arguments are required: --vm' -- "$TMP/perf.txt"
check_cli "$P2C" perf2csv_vm_comma 2 '^$' "--vm: 'a,b'" -- --vm a,b "$TMP/perf.txt"
check_cli "$P2C" perf2csv_round_range 2 '^$' '--round-ns: 0 out of range' -- --vm v --round-ns 0 "$TMP/perf.txt"
check_cli "$P2C" perf2csv_missing_file 1 '^$' 'cannot open .*nonexistent' -- --vm v "$TMP/nonexistent"

# --- make-group.py -----------------------------------------------------
# two recordings: a (3 faults over 50 ms, vm 'a'), b (2 faults, vm 'b',
# 3-field rows, an origin of 10 ns, a comment)
printf '# rec a\nt_ns,vm,gpa,size\n0,a,0x1000,4096\n20000000,a,0x2000,4096\n50000000,a,0x3000,4096\n' >"$TMP/a.csv"
printf '# rec b\n10,b,0x5000\n30000010,b,0x6000\n' >"$TMP/b.csv"
# stagger 30 ms, lead 100 ms, markers: launch i's marker at 30 i ms, its
# faults from 30 i + 100 ms; --repeat 3 cycles a, b, a
cat >"$TMP/stagger.want" <<'EOF'
t_ns,vm,gpa,size
0,a-0,0x0,0
30000000,b-1,0x0,0
60000000,a-2,0x0,0
100000000,a-0,0x1000,4096
120000000,a-0,0x2000,4096
130000000,b-1,0x5000,4096
150000000,a-0,0x3000,4096
160000000,b-1,0x6000,4096
160000000,a-2,0x1000,4096
180000000,a-2,0x2000,4096
210000000,a-2,0x3000,4096
EOF
"$MG" --stagger-ms 30 --repeat 3 -o "$TMP/stagger.csv" "$TMP/a.csv" "$TMP/b.csv" 2>"$TMP/mg.err"
same group_stagger_markers "$TMP/stagger.want" "$TMP/stagger.csv"
ok_if group_comment_first grep -q '^# make-group.py: 3 launches' "$TMP/stagger.csv"
# ties in time: the lower launch first (b-1's 160 ms before a-2's)
ok_if group_tie_order [ "$(grep '^160000000' "$TMP/stagger.csv" | cut -d, -f2 | tr '\n' ' ')" = "b-1 a-2 " ]
# --no-markers --create-lead-ms 0: the faults alone, from 0
cat >"$TMP/nomark.want" <<'EOF'
t_ns,vm,gpa,size
0,a-0,0x1000,4096
20000000,a-0,0x2000,4096
25000000,b-1,0x5000,4096
50000000,a-0,0x3000,4096
55000000,b-1,0x6000,4096
EOF
"$MG" --stagger-ms 25 --create-lead-ms 0 --no-markers -o "$TMP/nomark.csv" "$TMP/a.csv" "$TMP/b.csv" 2>/dev/null
same group_no_markers "$TMP/nomark.want" "$TMP/nomark.csv"
# sequential, gap 10 ms, lead 5 ms, --name: b-0 begins at its marker 0,
# faults 5..35 ms; x-1's marker 10 ms after b's last, at 45 ms
cat >"$TMP/seq.want" <<'EOF'
t_ns,vm,gpa,size
0,x-0,0x0,0
5000000,x-0,0x5000,4096
35000000,x-0,0x6000,4096
45000000,x-1,0x0,0
50000000,x-1,0x1000,4096
70000000,x-1,0x2000,4096
100000000,x-1,0x3000,4096
EOF
"$MG" --sequential-gap-ms 10 --create-lead-ms 5 --name x -o "$TMP/seq.csv" "$TMP/b.csv" "$TMP/a.csv" 2>/dev/null
same group_sequential "$TMP/seq.want" "$TMP/seq.csv"
# an input of several VMs: launches named after its file
printf '0,p,0x1000\n5,q,0x2000\n' >"$TMP/two-vms.csv"
"$MG" --stagger-ms 1 --no-markers -o "$TMP/named.csv" "$TMP/two-vms.csv" "$TMP/two-vms.csv" 2>/dev/null
ok_if group_name_of_file [ "$(grep -v '^#' "$TMP/named.csv" | cut -d, -f2 | sort -u | tr '\n' ' ')" = "two-vms-0 two-vms-1 vm " ]
# .xz inputs are read as such (if xz is here)
if command -v xz >/dev/null; then
	xz -c "$TMP/a.csv" >"$TMP/a.csv.xz"
	"$MG" --stagger-ms 30 --repeat 3 -o "$TMP/xz.csv" "$TMP/a.csv.xz" "$TMP/b.csv" 2>/dev/null
	same group_xz_input "$TMP/stagger.csv" "$TMP/xz.csv"
else
	ktap_test_skip "group_xz_input (no xz)"
fi
"$MG" --single -o "$TMP/single.csv" "$TMP/b.csv"
ok_if group_single_unchanged cmp -s "$TMP/b.csv" "$TMP/single.csv"
if [ -x "$REPLAY" ] && "$REPLAY" --json "$TMP/stagger.csv" >"$TMP/stagger.json" 2>"$TMP/stagger.rerr"; then
	ok_if group_replays grep -q '"vms":3' "$TMP/stagger.json"
elif [ -x "$REPLAY" ] && grep -q 'size' "$TMP/stagger.rerr"; then
	ktap_test_skip "group_replays (sa_replay does not take size-0 markers yet: $(cat "$TMP/stagger.rerr"))"
elif [ -x "$REPLAY" ]; then
	ktap_print_msg "sa_replay: $(cat "$TMP/stagger.rerr")"
	ktap_test_fail group_replays
else
	ktap_test_skip "group_replays ($REPLAY not built)"
fi

check_cli "$MG" group_needs_stagger 2 '^$' 'one of --stagger-ms or --sequential-gap-ms is required' -- -o "$TMP/x.csv" "$TMP/a.csv"
check_cli "$MG" group_stagger_and_seq 2 '^$' 'exclude each other' -- --stagger-ms 1 --sequential-gap-ms 1 -o "$TMP/x.csv" "$TMP/a.csv"
check_cli "$MG" group_bad_stagger 2 '^$' "--stagger-ms: not a number: '5s'" -- --stagger-ms 5s -o "$TMP/x.csv" "$TMP/a.csv"
check_cli "$MG" group_repeat_zero 2 '^$' '--repeat: 0 out of range 1\.\.4096' -- --stagger-ms 1 --repeat 0 -o "$TMP/x.csv" "$TMP/a.csv"
check_cli "$MG" group_needs_output 2 '^$' 'required: -o' -- --stagger-ms 1 "$TMP/a.csv"
check_cli "$MG" group_single_one_input 2 '^$' '--single takes one input, not 2' -- --single -o "$TMP/x.csv" "$TMP/a.csv" "$TMP/b.csv"
printf '0,a,0x1000\n5,a,zz\n' >"$TMP/badrow.csv"
check_cli "$MG" group_bad_row 2 '^$' "badrow.csv:2: gpa: not a number: 'zz'" -- --stagger-ms 1 -o "$TMP/x.csv" "$TMP/badrow.csv"
printf '9,a,0x1000\n5,a,0x2000\n' >"$TMP/unsorted.csv"
check_cli "$MG" group_unsorted_input 2 '^$' "unsorted.csv:2: t_ns 5 is before" -- --stagger-ms 1 -o "$TMP/x.csv" "$TMP/unsorted.csv"
check_cli "$MG" group_missing_input 1 '^$' 'cannot open .*nonexistent' -- --stagger-ms 1 -o "$TMP/x.csv" "$TMP/nonexistent.csv"

# --- record-faults and the others: bad usage, no perf needed -----------
check_cli "$REC" record_needs_output 2 '^$' 'record-faults: -o OUT.csv is required' -- -- true
check_cli "$REC" record_needs_command 2 '^$' "record-faults: no command after '--'" -- -o "$TMP/x.csv" --
check_cli "$REC" record_command_after_dashes 2 '^$' "'true': the command goes after '--'" -- -o "$TMP/x.csv" true
check_cli "$REC" record_unknown_option 2 '^$' "unknown option '--thp'" -- --thp -o "$TMP/x.csv" -- true
check_cli "$REC" record_name_comma 2 '^$' "--name 'a,b': no commas" -- --name a,b -o "$TMP/x.csv" -- true
check_cli "$REC" record_bad_round 2 '^$' "--round-ns: not a positive number: 'x'" -- --round-ns x -o "$TMP/x.csv" -- true
check_cli "$T/replay-all.sh" replay_all_usage 2 '^$' 'usage: replay-all.sh OUTDIR' --
# thp_off.py: the process it runs has THP disabled (kernels with the
# THP_enabled line in /proc/PID/status), and usage
if grep -q '^THP_enabled:' /proc/self/status; then
	check_cli "$T/thp_off.py" thp_off_disables 0 '^THP_enabled:.0$' '^$' -- grep '^THP_enabled:' /proc/self/status
else
	check_cli "$T/thp_off.py" thp_off_disables 0 '^$' '^$' -- true
fi
check_cli "$T/thp_off.py" thp_off_usage 2 '^$' 'usage: thp_off.py CMD' --

ktap_finished
