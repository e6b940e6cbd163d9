#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""plot_series.py - staged pages and the staging target against demand, per
100 ms tick, as hand-written SVG (python3 standard library only).

Input: the per-tick series of tools/bench/fc_workload_bench, either its
CSV files (WORKLOAD-POLICY.series.csv: tick,demand,staged,target,...) or a
log holding its --dump-series lines ("series,WORKLOAD,POLICY,tick,...").

  plot_series.py [--policy forecast] [--horizon-ticks 10] --outdir DIR LOG|CSV...

Writes DIR/fc-WORKLOAD-POLICY.svg for every workload found. Plotted: the
demand of each tick (grey bars), the demand of the next horizon (what the
target should cover, dashed), the target the pool aims at and the pages
staged at the start of each tick.
"""
import argparse
import csv
import os
import sys

W, H = 760, 360
ML, MR, MT, MB = 70, 20, 40, 70


def read_inputs(paths, policy):
    series = {}  # workload -> list of (tick, demand, staged, target)
    for path in paths:
        base = os.path.basename(path)
        with open(path, newline="") as f:
            for row in csv.reader(f):
                if not row:
                    continue
                if row[0] == "series":
                    if len(row) < 7 or row[2] != policy:
                        continue
                    wl, vals = row[1], row[3:7]
                elif base.endswith(".series.csv") and row[0].isdigit():
                    wl, pol = base[:-len(".series.csv")].rsplit("-", 1)
                    if pol != policy:
                        continue
                    vals = row[0:4]
                else:
                    continue
                series.setdefault(wl, []).append(tuple(int(v) for v in vals))
    for wl in series:
        series[wl].sort()
    return series


def nice_step(span, n=6):
    raw = max(span / n, 1e-9)
    mag = 10 ** len(str(int(raw))) / 10
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plot(wl, policy, rows, hticks, path):
    ticks = [r[0] for r in rows]
    demand = [r[1] for r in rows]
    staged = [r[2] for r in rows]
    target = [r[3] for r in rows]
    ahead = [sum(demand[i:i + hticks]) for i in range(len(rows))]
    xmax = max(ticks) + 1
    ymax = max(max(demand), max(staged), max(target), max(ahead), 1)
    ystep = nice_step(ymax)
    ymax = ystep * (int(ymax / ystep) + 1)
    xstep = nice_step(xmax / 10.0) * 10  # ticks, labelled in seconds

    def X(t):
        return ML + (W - ML - MR) * t / xmax

    def Y(v):
        return H - MB - (H - MT - MB) * v / ymax

    out = []
    out.append('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
               'viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">' % (W, H, W, H))
    out.append('<rect width="100%" height="100%" fill="white"/>')
    out.append('<text x="%d" y="22" font-size="14" font-weight="bold">%s</text>' %
               (ML, esc("%s workload, %s policy: staged pages and target vs demand" % (wl, policy))))
    # grid, ticks and labels
    v = 0.0
    while v <= ymax + 1e-9:
        y = Y(v)
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (ML, y, W - MR, y))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (ML - 6, y + 4, "%g" % v))
        v += ystep
    t = 0.0
    while t <= xmax + 1e-9:
        x = X(t)
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#000"/>' % (x, H - MB, x, H - MB + 5))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (x, H - MB + 18, "%g" % (t / 10)))
        t += xstep
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000"/>' % (ML, H - MB, W - MR, H - MB))
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000"/>' % (ML, MT, ML, H - MB))
    out.append('<text x="%d" y="%d" text-anchor="middle">time (s), 100 ms ticks</text>' %
               ((ML + W - MR) // 2, H - MB + 34))
    out.append('<text transform="translate(16,%d) rotate(-90)" text-anchor="middle">4 KiB pages</text>' %
               ((MT + H - MB) // 2))
    # demand per tick as bars
    bw = max((W - ML - MR) / xmax - 0.5, 0.5)
    for tk, d in zip(ticks, demand):
        if d:
            out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#bbb"/>' %
                       (X(tk), Y(d), bw, Y(0) - Y(d)))

    def poly(vals, color, extra=""):
        pts = " ".join("%.1f,%.1f" % (X(tk), Y(v)) for tk, v in zip(ticks, vals))
        out.append('<polyline fill="none" stroke="%s" stroke-width="1.6" %s points="%s"/>' %
                   (color, extra, pts))

    poly(ahead, "#000", 'stroke-dasharray="5,3"')
    poly(target, "#1f77b4")
    poly(staged, "#ff7f0e")
    legend = [
        ("#bbb", "demand per tick", "bar"),
        ("#000", "demand over the next %d ticks (horizon)" % hticks, "dash"),
        ("#1f77b4", "staging target", "line"),
        ("#ff7f0e", "staged pages", "line"),
    ]
    lx, ly = ML + 10, H - 22
    for i, (color, label, kind) in enumerate(legend):
        x = lx + (i % 2) * 330
        y = ly + (i // 2) * 16 - 16
        if kind == "bar":
            out.append('<rect x="%d" y="%d" width="18" height="8" fill="%s"/>' % (x, y - 8, color))
        else:
            out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2" %s/>' %
                       (x, y - 4, x + 18, y - 4, color,
                        'stroke-dasharray="5,3"' if kind == "dash" else ""))
        out.append('<text x="%d" y="%d">%s</text>' % (x + 24, y, esc(label)))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--policy", default="forecast")
    ap.add_argument("--horizon-ticks", type=int, default=10)
    ap.add_argument("--outdir", required=True)
    ap.add_argument("inputs", nargs="+")
    a = ap.parse_args()
    series = read_inputs(a.inputs, a.policy)
    if not series:
        print("plot_series.py: no %s series in the input" % a.policy, file=sys.stderr)
        return 1
    os.makedirs(a.outdir, exist_ok=True)
    for wl, rows in sorted(series.items()):
        path = os.path.join(a.outdir, "fc-%s-%s.svg" % (wl, a.policy))
        plot(wl, a.policy, rows, a.horizon_ticks, path)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
