#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make-group.py - a trust group's trace from single-program recordings.

  make-group.py (--stagger-ms MS | --sequential-gap-ms MS)
                [--create-lead-ms MS] [--no-markers] [--repeat N]
                [--name NAME] -o OUT.csv IN1.csv [IN2.csv ...]
  make-group.py --single -o OUT.csv IN.csv

Each input is a replay trace (t_ns,vm,gpa[,size], e.g. from record-faults;
.xz inputs are read as such). Launch i (0, 1, ... N-1; the inputs in
order, cycled when --repeat N is more than their number) is one VM named
'<name>-<i>', <name> being --name, or else the input's vm if it has one,
or else its file name without .csv[.xz]. Launch i begins at i * stagger
(--stagger-ms), or with --sequential-gap-ms GAP, GAP after the previous
launch's last row (launches one after the other). At its beginning comes
its creation marker, the row 't_ns,<vm>,0x0,0' (size 0: this VM's memory
object was created, the VMM creating guest RAM before the guest runs),
then, --create-lead-ms later (default 100), its first fault, the input's
rows keeping their offsets from the input's first row. --no-markers leaves
the markers out (the lead still applies; use --create-lead-ms 0 for the
faults alone). The launches' rows are merged in time order (ties: the
lower launch first); the output's first row is at t_ns 0.

--single copies one input unchanged.

Exit status: 0 done, 1 an input unreadable or without rows, 2 bad usage or
a bad input line.
"""

import argparse
import heapq
import lzma
import os
import signal
import sys

PROG = 'make-group.py'


class Usage(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write('%s: %s\n' % (PROG, message))
        sys.exit(2)


def fail(status, message):
    sys.stderr.write('%s: %s\n' % (PROG, message))
    sys.exit(status)


def open_in(path):
    try:
        if path.endswith('.xz'):
            return lzma.open(path, 'rt')
        return open(path)
    except OSError as e:
        fail(1, 'cannot open %s: %s' % (path, e.strerror))


def num(text, path, n, what):
    try:
        return int(text, 0) if text[:2].lower() == '0x' else int(text)
    except ValueError:
        fail(2, '%s:%d: %s: not a number: %r' % (path, n, what, text))


def read_trace(path):
    """(rows [(t_ns, gpa, size)], vm names in order of appearance)."""
    rows, vms = [], {}
    try:
        with open_in(path) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith('#'):
                    continue
                if line.startswith('t_ns') and not rows:
                    continue
                fields = [x.strip() for x in line.split(',')]
                if len(fields) not in (3, 4):
                    fail(2, '%s:%d: %d fields, want t_ns,vm,gpa[,size]'
                         % (path, n, len(fields)))
                t = num(fields[0], path, n, 't_ns')
                gpa = num(fields[2], path, n, 'gpa')
                size = num(fields[3], path, n, 'size') if len(fields) == 4 else 4096
                if rows and t < rows[-1][0]:
                    fail(2, '%s:%d: t_ns %d is before the previous row\'s %d'
                         % (path, n, t, rows[-1][0]))
                vms.setdefault(fields[1], None)
                rows.append((t, gpa, size))
    except (OSError, EOFError, lzma.LZMAError, UnicodeDecodeError) as e:
        fail(1, 'cannot read %s: %s' % (path, e))
    if not rows:
        fail(1, '%s: no rows' % path)
    return rows, list(vms)


def base_name(path):
    b = os.path.basename(path)
    for ext in ('.xz', '.csv'):
        if b.endswith(ext):
            b = b[:-len(ext)]
    return b


def ms_arg(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError('not a number: %r' % text)
    if not 0 <= v <= 86400000:
        raise argparse.ArgumentTypeError('%s out of range 0..86400000' % text)
    return v


def count_arg(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError('not a number: %r' % text)
    if not 1 <= v <= 4096:
        raise argparse.ArgumentTypeError('%s out of range 1..4096' % text)
    return v


def main():
    ap = Usage(prog=PROG, description='A trust group trace: N launches of '
               'recorded programs, staggered, one VM each, merged in time '
               'order.')
    ap.add_argument('--stagger-ms', type=ms_arg, metavar='MS',
                    help='launch i begins at i * MS')
    ap.add_argument('--sequential-gap-ms', type=ms_arg, metavar='MS',
                    help="launch i begins MS after launch i-1's last row")
    ap.add_argument('--create-lead-ms', type=ms_arg, default=100.0,
                    metavar='MS', help='creation marker to first fault '
                    '(default 100)')
    ap.add_argument('--no-markers', action='store_true',
                    help='no size-0 creation marker rows')
    ap.add_argument('--repeat', type=count_arg, metavar='N',
                    help='N launches, cycling the inputs (default: one each)')
    ap.add_argument('--name', metavar='NAME', help='launch VM names NAME-<i>')
    ap.add_argument('--single', action='store_true',
                    help='copy one input unchanged')
    ap.add_argument('-o', dest='out', metavar='OUT.csv', required=True,
                    help="output file ('-': stdout)")
    ap.add_argument('inputs', nargs='+', metavar='IN.csv')
    a = ap.parse_args()

    if a.single:
        extra = [x for x, v in (('--stagger-ms', a.stagger_ms),
                                ('--sequential-gap-ms', a.sequential_gap_ms),
                                ('--repeat', a.repeat), ('--name', a.name))
                 if v is not None]
        if extra or a.no_markers:
            ap.error('--single takes no %s' % (extra[0] if extra else
                                                '--no-markers'))
        if len(a.inputs) != 1:
            ap.error('--single takes one input, not %d' % len(a.inputs))
        with open_in(a.inputs[0]) as f:
            text = f.read()
        out = sys.stdout if a.out == '-' else open(a.out, 'w')
        with out:
            out.write(text)
        return
    if (a.stagger_ms is None) == (a.sequential_gap_ms is None):
        ap.error('one of --stagger-ms or --sequential-gap-ms is required'
                 if a.stagger_ms is None else
                 '--stagger-ms and --sequential-gap-ms exclude each other')
    if a.name is not None and (not a.name or ',' in a.name or len(a.name) > 58):
        ap.error('--name %r: want 1..58 characters, no comma' % a.name)
    n = a.repeat or len(a.inputs)

    traces = {}
    for p in a.inputs:
        if p not in traces:
            traces[p] = read_trace(p)
    lead = int(round(a.create_lead_ms * 1e6))
    launches = []       # (vm, start_ns, rows)
    start = 0
    for i in range(n):
        path = a.inputs[i % len(a.inputs)]
        rows, vms = traces[path]
        name = a.name or (vms[0] if len(vms) == 1 else base_name(path))
        vm = '%s-%d' % (name, i)
        if len(vm) > 63 or ',' in vm:
            fail(2, '%s: vm name %r: want up to 63 characters, no comma'
                 % (path, vm))
        if a.stagger_ms is not None:
            start = int(round(i * a.stagger_ms * 1e6))
        elif i:
            prev_vm, prev_start, prev_rows = launches[-1]
            start = (prev_start + lead + prev_rows[-1][0] - prev_rows[0][0]
                     + int(round(a.sequential_gap_ms * 1e6)))
        launches.append((vm, start, rows))

    def stream(i):
        vm, s, rows = launches[i]
        if not a.no_markers:
            yield (s, i, vm, 0, 0)
        t0 = rows[0][0]
        for t, gpa, size in rows:
            yield (s + lead + t - t0, i, vm, gpa, size)

    merged = heapq.merge(*(stream(i) for i in range(n)),
                         key=lambda r: (r[0], r[1]))
    first = None
    try:
        out = sys.stdout if a.out == '-' else open(a.out, 'w')
    except OSError as e:
        fail(1, 'cannot write %s: %s' % (a.out, e.strerror))
    with out:
        out.write('# make-group.py: %d launches of %s; %s; create lead %g ms;'
                  ' %s\n' % (n, ' '.join(os.path.basename(p) for p in a.inputs),
                             'stagger %g ms' % a.stagger_ms
                             if a.stagger_ms is not None else
                             'sequential, gap %g ms' % a.sequential_gap_ms,
                             a.create_lead_ms, 'no markers' if a.no_markers
                             else 'marker rows gpa 0x0 size 0 at each launch'))
        out.write('# launches: %s\n' % ' '.join(
            '%s@%gms' % (vm, s / 1e6) for vm, s, _ in launches))
        out.write('t_ns,vm,gpa,size\n')
        for t, _, vm, gpa, size in merged:
            if first is None:
                first = t
            out.write('%d,%s,0x%x,%d\n' % (t - first, vm, gpa, size))


if __name__ == '__main__':
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    main()
