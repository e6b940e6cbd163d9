#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""fc_report.py - reStructuredText tables from the JSON lines of
fc_workload_bench and fc_l2_bench.sh (a make bench-forecast log or
results.json): per workload, hit rate, waste and forecast error of every
policy, measured in the module or replayed with sa_replay on the same run.

  fc_report.py LOG|results.json
"""
import json
import sys

ORDER = ["sequential", "strided", "random", "burst", "ramp", "mix", "boot"]


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    pass
    return rows


def table(head, body):
    w = [max(len(str(r[i])) for r in [head] + body) for i in range(len(head))]
    sep = " ".join("=" * x for x in w)
    out = [sep, " ".join(str(h).ljust(x) for h, x in zip(head, w)), sep]
    out += [" ".join(str(c).ljust(x) for c, x in zip(r, w)) for r in body]
    out.append(sep)
    return "\n".join(out)


def main():
    rows = load(sys.argv[1])
    wls = [w for w in ORDER if any(r.get("workload") == w for r in rows)]
    for wl in wls:
        mine = [r for r in rows if r.get("workload") == wl]
        body = []
        for r in mine:
            if r.get("source") == "module":
                fe = ne = "-"
                if r["policy"] == "forecast" and r["naive_err_permille"]:
                    fe = "%.3f" % (r["forecast_err_permille"] / 1000)
                    ne = "%.2f" % (r["forecast_err_permille"] / r["naive_err_permille"])
                body.append([r["policy"], "module", "%.4f" % r["hit_rate"],
                             "%.4f" % r["waste"], str(r["end_staged"]), fe, ne,
                             "%.0f" % r["guest_touch_ms"]])
        for r in mine:
            if r.get("source") == "replay" and "policy" in r:
                if r.get("boot") not in (None, "forecast"):
                    continue
                fe = "%.3f" % r["rel_err"] if "rel_err" in r else "-"
                ne = "%.2f" % r["err_vs_naive"] if "err_vs_naive" in r else "-"
                body.append([r["policy"], "replay", "%.4f" % r["hit_rate"],
                             "%.4f" % r["waste"], str(r["left"]), fe, ne, "-"])
        print(wl)
        print("-" * len(wl))
        print()
        print(table(["policy", "source", "hit rate", "waste", "left",
                     "rel. error", "vs naive", "guest ms"], body))
        print()
    l2 = [r for r in rows if "l2" in r]
    if l2:
        base = {r["l2"]: r for r in l2}
        body = []
        for r in l2:
            h = r.get("host_elapsed_ms") if r.get("l2_reached_init") else None
            t = r.get("l2_touch_ns")

            def rat(v, k, f):
                b = base.get(k, {}).get(f)
                return "%.2f" % (v / b) if v and b else "-"
            body.append([r["l2"], str(h or "no init"), rat(h, "ram", "host_elapsed_ms"),
                         rat(h, "prealloc", "host_elapsed_ms"),
                         "%.1f" % (t / 1e6) if t else "-", rat(t, "ram", "l2_touch_ns"),
                         rat(t, "prealloc", "l2_touch_ns"),
                         "%.4f" % r["hit_rate"] if "hit_rate" in r else "-",
                         "%.4f" % r["waste"] if "waste" in r else "-"])
        print(table(["run", "host ms", "vs ram", "vs prealloc", "L2 touch ms",
                     "vs ram", "vs prealloc", "hit rate", "waste"], body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
