#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""plot_l2.py - time against memory committed per RAM backend, from the log
of tools/bench/l2_bench.sh (make bench-l2), as hand-written SVG (python3
standard library only).

  plot_l2.py --outdir DIR LOG

Reads the per-run JSON lines ({"name":...,"round":...}) and the summary
line ({"summary":true,...}) of LOG and writes DIR/l2-committed.svg, two
panels:

* left: the L2's first-touch time of the burst (ms, log scale) against the
  memory committed at the end of the run (MiB);
* right: QEMU's start-to-ready time (s) against the memory committed at
  start (the L2's init marker).

One small ring per run, one filled marker per backend at its medians (a
diamond for shadowalloc), a legend below; dashed verticals mark the burst
(MIB) and the guest RAM.
"""
import argparse
import json
import math
import os
import sys

W, H = 1000, 490
PW = 450                # one panel's width
ML, MR, MT, MB = 64, 16, 78, 84
COLORS = {
    "ram-4k": "#7f7f7f", "ram-thp": "#8c564b", "memfd": "#bcbd22",
    "memfd-thp": "#17becf", "shmem-thp": "#2ca02c", "prealloc": "#1f77b4", "hugetlbfs": "#9467bd",
    "shadowalloc-cap2m": "#e377c2", "shadowalloc-empty": "#ff7f0e",
    "shadowalloc-reserved": "#d62728",
}


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def read_log(path):
    runs, summary = [], None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                d = json.loads(line)
            except ValueError:
                continue
            if d.get("summary"):
                summary = d
            elif "name" in d and "round" in d:
                runs.append(d)
    return runs, summary


def nice_step(span, n=5):
    raw = max(span / n, 1e-9)
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def panel(out, x0, title, xlabel, ylabel, pts, meds, xlines, logy):
    """pts: (name, x, y) per run; meds: (name, x, y) per backend."""
    xs = [p[1] for p in pts + meds] + [v for v, _ in xlines]
    ys = [p[2] for p in pts + meds]
    xmax = max(xs + [1]) * 1.08
    xstep = nice_step(xmax)
    xmax = xstep * math.ceil(xmax / xstep)
    if logy:
        lo = 10 ** math.floor(math.log10(max(min(ys), 1e-3)))
        hi = 10 ** math.floor(math.log10(max(ys)))
        hi = min(m * hi for m in (1, 2, 5, 10) if m * hi >= max(ys) * 1.05)
        fy = (lambda v: (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)))
        yticks = []
        d = lo
        while d <= hi * 1.0001:
            for m in (1, 2, 5):
                if d * m <= hi * 1.0001:
                    yticks.append(d * m)
            d *= 10
    else:
        ymax = max(ys + [1]) * 1.1
        ystep = nice_step(ymax)
        ymax = ystep * math.ceil(ymax / ystep)
        fy = (lambda v: v / ymax)
        yticks = [i * ystep for i in range(int(round(ymax / ystep)) + 1)]
    left, right, top, bottom = x0 + ML, x0 + PW - MR, MT, H - MB

    def X(v):
        return left + (right - left) * v / xmax

    def Y(v):
        return bottom - (bottom - top) * fy(v)

    out.append('<text x="%d" y="%d" font-size="13" font-weight="bold">%s</text>' %
               (left, top - 14, esc(title)))
    for v in yticks:
        y = Y(v)
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e4e4e4"/>' % (left, y, right, y))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (left - 5, y + 4, "%g" % v))
    v = 0.0
    while v <= xmax + 1e-9:
        x = X(v)
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#000"/>' % (x, bottom, x, bottom + 4))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (x, bottom + 17, "%g" % v))
        v += xstep
    for v, label in xlines:
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#555" stroke-dasharray="4,3"/>' %
                   (X(v), top, X(v), bottom))
        out.append('<text x="%.1f" y="%d" font-size="10" text-anchor="middle" fill="#555">%s</text>' %
                   (X(v), top - 2, esc(label)))
    out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#000"/>' %
               (left, top, right - left, bottom - top))
    out.append('<text x="%d" y="%d" text-anchor="middle">%s</text>' %
               ((left + right) // 2, bottom + 34, esc(xlabel)))
    out.append('<text transform="translate(%d,%d) rotate(-90)" text-anchor="middle">%s</text>' %
               (x0 + 16, (top + bottom) // 2, esc(ylabel)))
    for name, x, y in pts:
        out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="none" stroke="%s"/>' %
                   (X(x), Y(y), COLORS.get(name, "#000")))
    # The shadowalloc medians last, on top (reserved sits on prealloc).
    for name, x, y in sorted(meds, key=lambda m: m[0].startswith("shadowalloc")):
        out.append(marker(name, X(x), Y(y)))


def marker(name, cx, cy, r=5.5):
    """A filled marker: a diamond for the shadowalloc rows, else a dot."""
    color = COLORS.get(name, "#000")
    if name.startswith("shadowalloc"):
        r += 1.5
        return ('<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s" stroke="#000" '
                'stroke-width="0.6"/>' % (cx, cy - r, cx + r, cy, cx, cy + r, cx - r, cy, color))
    return '<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s" stroke="#000" stroke-width="0.4"/>' % (
        cx, cy, r, color)


def plot(runs, summary, path):
    mib = summary.get("mib")
    mem = summary.get("mem_mb")
    names = list(summary["backends"].keys())
    xl = [(mib, "touched %s MiB" % mib), (mem, "guest RAM %s MiB" % mem)]
    p1, m1, p2, m2 = [], [], [], []
    for r in runs:
        n = r["name"]
        if r.get("l2_touch_ns") and r.get("committed_end_kb") is not None:
            p1.append((n, r["committed_end_kb"] / 1024, r["l2_touch_ns"] / 1e6))
        if r.get("ready_ms") and r.get("committed_start_kb") is not None:
            p2.append((n, r["committed_start_kb"] / 1024, r["ready_ms"] / 1e3))
    for n in names:
        b = summary["backends"][n]
        if b.get("l2_touch_ms") and b.get("committed_end_mib") is not None:
            m1.append((n, b["committed_end_mib"], b["l2_touch_ms"]))
        if b.get("ready_ms") and b.get("committed_start_mib") is not None:
            m2.append((n, b["committed_start_mib"], b["ready_ms"] / 1e3))
    if not (p1 or m1):
        return False
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'font-family="sans-serif" font-size="12">' % (W, H, W, H),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="18" font-size="14" font-weight="bold">%s</text>' %
           (ML, esc("make bench-l2: time vs memory committed per backend")),
           '<text x="%d" y="34" font-size="11">%s</text>' %
           (ML, esc("the L2 touches %s MiB of its %s MiB; %s round(s); filled: medians (diamonds: shadowalloc), rings: runs"
                    % (mib, mem, summary.get("rounds"))))]
    panel(out, 0, "L2 first touch of the burst", "memory committed at the end (MiB)",
          "first-touch time (ms, log)", p1, m1, xl, True)
    if p2 or m2:
        panel(out, PW + 80, "QEMU start to the L2's init", "memory committed at start (MiB)",
              "start-to-ready time (s)", p2, m2, xl, False)
    # The legend, one row under both panels.
    x, y = ML, H - 14
    for n in names:
        out.append(marker(n, x, y - 4))
        out.append('<text x="%d" y="%d" font-size="11">%s</text>' % (x + 10, y, esc(n)))
        x += 14 + 6.6 * len(n) + 14
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--outdir", required=True)
    ap.add_argument("log")
    a = ap.parse_args()
    try:
        runs, summary = read_log(a.log)
    except OSError as e:
        print("plot_l2.py: %s: %s" % (a.log, e.strerror), file=sys.stderr)
        return 1
    if summary is None:
        print("plot_l2.py: %s: no summary line ({\"summary\":true,...}) of l2_bench.sh" % a.log,
              file=sys.stderr)
        return 1
    os.makedirs(a.outdir, exist_ok=True)
    path = os.path.join(a.outdir, "l2-committed.svg")
    if not plot(runs, summary, path):
        print("plot_l2.py: %s: no finished run to plot" % a.log, file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
