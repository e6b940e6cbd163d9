#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""perf2csv.py - `perf script` page-fault samples to a first-touch replay CSV.

Reads the text of

    perf script --ns --show-task-events --show-lost-events -F pid,tid,time,addr

(from `perf record -e page-faults -c 1 -d`) on stdin, or FILE, and writes
the replay trace of Documentation/forecast.rst (t_ns,vm,gpa,size) to -o
OUT.csv (default stdout):

  - only FIRST touches are kept: one row per (process, 4 KiB page), the
    first fault of that process on that page. A process's later faults on
    a page it already touched (a write after a read of the zero page or a
    file page, COW after fork, a re-fault after reclaim or migration, a
    fault retried) are not first touches and are dropped. A process is
    its pid (all its threads share one address space) from its fork or
    its execve to the next one: a FORK record of a new process or a COMM
    exec record starts an empty set of touched pages for that pid (so a
    reused pid or an exec'd image starts fresh). A child's first touch of
    a page its parent touched before fork counts: it gets its own copy.
  - every row is one VM, --vm NAME: the command and all its children are
    one guest running that program.
  - t_ns is relative to the first kept fault (the first row is 0), rows in
    time order (--round-ns N: rounded down to a multiple of N); gpa is the
    fault address rounded down to 4 KiB, in hex; size is 4096 (with THP
    on, a fault that mapped 2 MiB is still one row: record with THP
    disabled, record-faults --thp-off).

Sample lines are 'PID[/TID] SECONDS.FRACTION: ADDR' (the -F fields above;
-F pid,time,addr works too); lines with PERF_RECORD_* are task, comm and
lost records; any other line is an error (exit 2, with the line number).
The counts (samples, rows, dropped repeats, processes, lost) go to stderr
and to a '#' comment line before the header.

Exit status: 0 done, 1 no samples or unreadable input, 2 bad usage or line.
"""

import argparse
import re
import signal
import sys

PAGE = 4096
SAMPLE = re.compile(r'^\s*(\d+)(?:/(\d+))?\s+(\d+)\.(\d+):\s+(?:0x)?([0-9a-fA-F]+)\s*$')
FORK = re.compile(r'PERF_RECORD_FORK\((\d+):(\d+)\):\((\d+):(\d+)\)')
EXEC = re.compile(r'PERF_RECORD_COMM exec: .*:(\d+)/(\d+)\s*$')
LOST = re.compile(r'PERF_RECORD_LOST(?:_SAMPLES)?\b.*?lost (\d+)')


class Usage(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write('perf2csv.py: %s\n' % message)
        sys.exit(2)


def fail(status, message):
    sys.stderr.write('perf2csv.py: %s\n' % message)
    sys.exit(status)


def ns_of(sec, frac):
    # 'perf script --ns' prints 9 digits, without it 6
    if len(frac) > 9:
        frac = frac[:9]
    return int(sec) * 1000000000 + int(frac.ljust(9, '0'))


def convert(lines, name):
    """(rows, stats): rows (t_ns absolute, page address), in input order."""
    touched = {}        # pid -> set of page numbers
    rows = []
    st = {'samples': 0, 'repeats': 0, 'processes': 0, 'lost': 0,
          'records': 0}
    for n, line in enumerate(lines, 1):
        m = SAMPLE.match(line)
        if m:
            pid = int(m.group(1))
            st['samples'] += 1
            page = int(m.group(5), 16) // PAGE
            seen = touched.get(pid)
            if seen is None:
                seen = touched[pid] = set()
                st['processes'] += 1
            if page in seen:
                st['repeats'] += 1
                continue
            seen.add(page)
            rows.append((ns_of(m.group(3), m.group(4)), page))
            continue
        if 'PERF_RECORD_' in line:
            st['records'] += 1
            m = FORK.search(line)
            if m and m.group(1) != m.group(3):
                touched.pop(int(m.group(1)), None)  # a new process
                continue
            m = EXEC.search(line)
            if m:
                touched.pop(int(m.group(1)), None)  # a new image
                continue
            m = LOST.search(line)
            if m:
                st['lost'] += int(m.group(1))
            continue
        if not line.strip():
            continue
        fail(2, "%s:%d: not a perf script sample line (want 'PID[/TID] "
             "SECONDS.NS: ADDR', from perf script -F pid,tid,time,addr): %r"
             % (name, n, line.rstrip('\n')[:120]))
    return rows, st


def main():
    ap = Usage(prog='perf2csv.py',
               description='perf script page-fault samples (stdin or FILE) '
               'to a first-touch replay CSV t_ns,vm,gpa,size.')
    ap.add_argument('--vm', required=True, metavar='NAME',
                    help='the vm column of every row')
    ap.add_argument('--comment', action='append', default=[], metavar='TEXT',
                    help="a '#' line to write first (repeatable)")
    ap.add_argument('--round-ns', type=int, default=1, metavar='N',
                    help='t_ns rounded down to a multiple of N (default 1: '
                    'exact; 1000 halves the compressed size)')
    ap.add_argument('-o', dest='out', metavar='OUT.csv', default='-',
                    help='output file (default stdout)')
    ap.add_argument('input', nargs='?', default='-', metavar='FILE',
                    help='perf script output (default stdin)')
    a = ap.parse_args()
    if not a.vm or ',' in a.vm or len(a.vm) > 63 or a.vm.strip() != a.vm:
        ap.error("--vm: %r: want 1..63 characters, no comma, no spaces "
                 "around" % a.vm)
    if not 1 <= a.round_ns <= 100000000:
        ap.error('--round-ns: %d out of range 1..100000000' % a.round_ns)
    try:
        src = sys.stdin if a.input == '-' else open(a.input, errors='replace')
    except OSError as e:
        fail(1, 'cannot open %s: %s' % (a.input, e.strerror))
    with src:
        rows, st = convert(src, 'stdin' if a.input == '-' else a.input)
    if not rows:
        fail(1, 'no page-fault samples in %s'
             % ('stdin' if a.input == '-' else a.input))
    rows.sort(key=lambda r: r[0])  # stable: ties keep the input order
    t0 = rows[0][0]
    stats = ('perf2csv: %d samples, %d first touches (rows), %d repeats '
             'dropped, %d processes, %d lost, %.3f s; t_ns resolution %d ns'
             % (st['samples'], len(rows), st['repeats'], st['processes'],
                st['lost'], (rows[-1][0] - t0) / 1e9, a.round_ns))
    try:
        out = sys.stdout if a.out == '-' else open(a.out, 'w')
    except OSError as e:
        fail(1, 'cannot write %s: %s' % (a.out, e.strerror))
    with out:
        for c in a.comment:
            out.write('# %s\n' % c.replace('\n', ' '))
        out.write('# %s\n' % stats)
        out.write('t_ns,vm,gpa,size\n')
        vm, q = a.vm, a.round_ns
        out.writelines('%d,%s,0x%x,%d\n' % ((t - t0) // q * q, vm, p * PAGE,
                                             PAGE) for t, p in rows)
    sys.stderr.write(stats + '\n')
    if st['lost']:
        sys.stderr.write('perf2csv.py: warning: perf lost %d samples: the '
                         'trace misses first touches\n' % st['lost'])


if __name__ == '__main__':
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    main()
