#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Anchors for the in-kernel forecaster (issue 10, item 7).

On the same first-touch traces, window by window, with sa_replay's metric:

  naive     last-value forecast (the last window's demand): checks this
            script's metric against sa_replay's own naive numbers
  ets       statsmodels ExponentialSmoothing, additive damped trend
  hw        statsmodels Holt-Winters, additive damped trend + additive
            season, when the training part has a significant period
  lstm      a small LSTM (torch, CPU) trained offline, leave-one-trace-out
  forecast  the module's fixed-point forecaster, through sa_replay

Traces: CSV rows t_ns,vm,gpa[,size] ('#' comments, optional header), plain
or .xz. Rows with size 0 (creation markers) carry no demand and are
dropped, also from what is fed to sa_replay. One tick is 100 ms from the
first remaining row; a tick's demand is the sum of ceil(size/4096).

Metric (sa_replay.c, score()): window w = horizon ticks; at the end of
tick t a forecast of the demand of ticks t+1..t+w; at tick t >= 2w-1 the
forecast made at t-w is scored against the actual sum of ticks
t-w+1..t. rel_err = sum|err| / sum actual, err_vs_naive = sum|err| over
the naive forecast's sum|err| on the same windows, mae_pages = sum|err| /
windows. Forecasts are rounded to whole pages (per-tick forecasts clamped
at 0) like the replay's.

Output: a table on stdout, DIR/anchors.json (one JSON object per line),
DIR/forecast-anchor-TRACE.svg per trace and DIR/forecast-anchor-summary.svg.
Exit 0 done, 1 a trace or sa_replay failed, 2 bad usage or a missing
Debian package.
"""

import argparse
import importlib
import json
import lzma
import math
import os
import subprocess
import sys
import time

PROG = "forecast_anchors"
TICK_NS = 100_000_000
TICK_MS = 100
PAGE = 4096
U32_MAX = (1 << 32) - 1

# python module -> Debian package that provides it
PACKAGES = {
    "numpy": "python3-numpy",
    "statsmodels": "python3-statsmodels",
    "scipy": "python3-scipy",
    "torch": "python3-torch",
    "matplotlib": "python3-matplotlib",
}


def need(module):
    """Import a module lazily; exit 2 naming the Debian package if missing."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        pkg = PACKAGES.get(module.split(".")[0], "?")
        sys.stderr.write(
            f"{PROG}: cannot import {module} ({e}): install the Debian "
            f"package {pkg} (apt-get install -y {pkg}); this is "
            f"{sys.executable}, Debian's packages are for /usr/bin/python3\n")
        sys.exit(2)


def log(msg):
    sys.stderr.write(f"{PROG}: {msg}\n")
    sys.stderr.flush()


# ------------------------------------------------------------------ traces

def trace_name(path):
    b = os.path.basename(path)
    for suf in (".xz", ".csv"):
        if b.endswith(suf):
            b = b[: -len(suf)]
    return b


def read_trace(path):
    """Demand per tick (list of int) and the demand rows as CSV text."""
    opener = lzma.open if path.endswith(".xz") else open
    demand = []
    rows = []
    t0 = None
    markers = 0
    seen = False
    try:
        with opener(path, "rt") as f:
            for lineno, line in enumerate(f, 1):
                s = line.strip()
                if not s or s.startswith("#"):
                    continue
                fld = [x.strip() for x in s.split(",")]
                if not seen and fld[0] == "t_ns":
                    continue
                seen = True
                if len(fld) < 3 or len(fld) > 4:
                    log(f"{path}:{lineno}: {len(fld)} fields, want t_ns,vm,gpa[,size]")
                    sys.exit(2)
                try:
                    t_ns = int(fld[0], 0)
                    size = int(fld[3], 0) if len(fld) == 4 else PAGE
                except ValueError:
                    log(f"{path}:{lineno}: not a number: {s}")
                    sys.exit(2)
                if size == 0:
                    markers += 1       # a creation marker: no demand
                    continue
                if t0 is None:
                    t0 = t_ns
                if t_ns < t0:
                    log(f"{path}:{lineno}: t_ns before the first row's")
                    sys.exit(2)
                tick = (t_ns - t0) // TICK_NS
                if tick >= len(demand):
                    demand.extend([0] * (tick + 1 - len(demand)))
                demand[tick] = min(U32_MAX, demand[tick] + (size + PAGE - 1) // PAGE)
                rows.append(s)
    except (OSError, EOFError, lzma.LZMAError) as e:
        log(f"{path}: {e}")
        sys.exit(1)
    if not demand:
        log(f"{path}: no fault rows")
        sys.exit(1)
    return demand, "\n".join(rows) + "\n", markers


def run_replay(sa_replay, csv_text, horizon_ms, max_age_ms):
    cmd = [sa_replay, "--json", "--policy", "naive,forecast",
           "--horizon-ms", str(horizon_ms), "--max-age-ms", str(max_age_ms), "-"]
    p = subprocess.run(cmd, input=csv_text.encode(), capture_output=True)
    if p.returncode:
        log(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.decode().strip()}")
        sys.exit(1)
    out = {}
    for line in p.stdout.decode().splitlines():
        if line.startswith("{"):
            o = json.loads(line)
            out[o.get("policy", "_trace")] = o
    return out


# ------------------------------------------------------------------ metric

def score(np, d, fc, w):
    """sa_replay's window error of the forecasts fc[t] (made at tick t)."""
    n = len(d)
    prefix = np.concatenate(([0], np.cumsum(d, dtype=np.int64)))
    t = np.arange(2 * w - 1, n)
    if len(t) == 0:
        return None
    actual = prefix[t + 1] - prefix[t + 1 - w]
    err = np.abs(actual - fc[t - w])
    return {"windows": int(len(t)), "sum_abs_err": int(err.sum()),
            "sum_actual": int(actual.sum())}


def naive_forecasts(np, d, w):
    prefix = np.concatenate(([0], np.cumsum(d, dtype=np.int64)))
    t = np.arange(len(d))
    return prefix[t + 1] - prefix[np.maximum(0, t + 1 - w)]


def window_actual(np, d, w):
    """actual[t] = demand of ticks t+1..t+w (NaN where the trace ends)."""
    prefix = np.concatenate(([0], np.cumsum(d, dtype=np.int64)))
    n = len(d)
    out = np.full(n, np.nan)
    t = np.arange(0, n - w)
    out[t] = prefix[t + 1 + w] - prefix[t + 1]
    return out


# ------------------------------------------------------------------ ETS

def detect_period(np, x, max_lag):
    """Seasonal period of x by its autocorrelation, or None.

    The lag 2..max_lag with the largest ACF among the ACF's local maxima;
    significant if that ACF >= 0.3 and above 2.576/sqrt(n) (99 % band of
    white noise)."""
    from statsmodels.tsa.stattools import acf
    x = np.asarray(x, dtype=float)
    n = len(x)
    max_lag = min(max_lag, n // 3)
    if max_lag < 3 or np.std(x) == 0:
        return None, None
    r = acf(x, nlags=max_lag, fft=True)
    best = None
    for k in range(2, max_lag):
        if r[k] > r[k - 1] and r[k] >= r[k + 1]:
            if best is None or r[k] > r[best]:
                best = k
    if best is None:
        return None, None
    val = float(r[best])
    if val >= 0.3 and val > 2.576 / math.sqrt(n):
        return best, val
    return None, val


class HWState:
    """statsmodels 0.13 ExponentialSmoothing._predict's recursion (additive
    damped trend, optional additive season), continued one tick at a time
    with the fitted parameters, and its forecast (including its seasonal
    indexing) so a forecast between refits is what statsmodels would give
    for the same parameters and initial states."""

    def __init__(self, p, m):
        self.a = p["smoothing_level"]
        self.b_ = p["smoothing_trend"]
        g = p.get("smoothing_seasonal")
        self.g = 0.0 if g is None or g != g else g
        self.phi = p["damping_trend"]
        self.m = m
        self.lvl = p["initial_level"]
        self.b = p["initial_trend"]
        if m > 1:
            self.s = list(p["initial_seasons"])
        else:
            self.s = [0.0]
        self.i = 0  # observations seen; s[i + m - 1] is the newest

    def update(self, y):
        a, be, g, phi, m = self.a, self.b_, self.g, self.phi, self.m
        lp, bp = self.lvl, self.b
        s_old = self.s[self.i]           # s[i - 1] for observation i
        lvl = a * y - a * s_old + (1 - a) * (lp + phi * bp)
        b = be * (lvl - lp) + (1 - be) * phi * bp
        self.s.append(g * y - g * (lp + phi * bp) + (1 - g) * s_old)
        self.lvl, self.b = lvl, b
        self.i += 1
        if len(self.s) > 4 * m + 64:      # keep the last few periods
            drop = len(self.s) - 2 * m - 2
            self.s = self.s[drop:]
            self.i -= drop

    def forecast(self, h):
        """Per-step forecasts 1..h (statsmodels' forecast(h))."""
        m, phi = self.m, self.phi
        n = self.i  # nobs relative to self.s
        out = []
        ph = 0.0
        for k in range(h):
            ph += phi ** (k + 1)
            if m > 1:
                j = k - (m - 1)
                if j < 0:
                    sv = self.s[n + k]
                else:
                    sv = self.s[n - 1 + j % m]
            else:
                sv = 0.0
            out.append(self.lvl + ph * self.b + sv)
        return out


def ets_forecasts(np, d, w, period, hist_cap, max_refits, stats):
    """Rolling-origin forecasts of the next w ticks' sum, refit every
    `every` ticks on the last hist_cap ticks, continued in between."""
    import warnings
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    n = len(d)
    fc = naive_forecasts(np, d, w).astype(np.int64)   # fallback
    first, last = w - 1, n - 1 - w                     # forecasts that count
    if last < first:
        return fc
    every = max(w, math.ceil((last - first + 1) / max_refits))
    stats.update(refit_every=every, refits=0, fallback_ticks=0,
                 nonseasonal_ticks=0, check_max_diff=0.0)
    y = np.asarray(d, dtype=float)
    st = None
    for t in range(first, last + 1):
        if (t - first) % every == 0:
            lo = max(0, t + 1 - hist_cap)
            hist = y[lo:t + 1]
            m = period if period and len(hist) >= 2 * period + 2 else None
            st = None
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    mod = ExponentialSmoothing(
                        hist, trend="add", damped_trend=True,
                        seasonal="add" if m else None,
                        seasonal_periods=m,
                        initialization_method="estimated")
                    res = mod.fit(optimized=True)
                st = HWState(res.params, m or 1)
                for v in hist:
                    st.update(v)
                ref = np.asarray(res.forecast(w), dtype=float)
                mine = np.asarray(st.forecast(w))
                diff = float(np.max(np.abs(ref - mine)) /
                             max(1.0, float(np.max(np.abs(ref)))))
                stats["check_max_diff"] = max(stats["check_max_diff"], diff)
                if diff > 1e-6:
                    log(f"WARNING: ETS continuation differs from statsmodels' forecast by {diff:.3g} (relative)")
                stats["refits"] += 1
                st.seasonal = bool(m)
            except Exception:              # noqa: BLE001 (too short, degenerate)
                st = None
        elif st is not None:
            st.update(y[t])
        if st is None:
            stats["fallback_ticks"] += 1
            continue
        if period and not st.seasonal:
            stats["nonseasonal_ticks"] += 1
        f = st.forecast(w)
        fc[t] = int(round(sum(max(0.0, v) for v in f)))
    return fc


# ------------------------------------------------------------------ LSTM

LOOKBACK = 32
IN_SCALE = 8.0       # log1p(pages) / 8: 0..~2.6 for up to 2^20 pages/tick


def lstm_samples(np, d, w, t_lo, t_hi):
    """Inputs (lookback log1p demand ending at t) and window sums for the
    forecast ticks t in t_lo..t_hi (target inside the series)."""
    d = np.asarray(d, dtype=float)
    pad = np.concatenate((np.zeros(LOOKBACK - 1), d))
    t = np.arange(t_lo, t_hi + 1)
    if len(t) == 0:
        return np.zeros((0, LOOKBACK)), np.zeros(0), np.zeros(0)
    idx = t[:, None] + np.arange(LOOKBACK)[None, :]
    x = np.log1p(pad[idx]) / IN_SCALE
    prefix = np.concatenate(([0.0], np.cumsum(d)))
    base = prefix[t + 1] - prefix[np.maximum(0, t + 1 - w)]
    tt = np.minimum(t, len(d) - 1 - w)
    y = prefix[tt + 1 + w] - prefix[tt + 1] if len(d) > w else np.zeros(len(t))
    return x, base, y


def make_net(torch, hidden):
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(1, hidden, num_layers=1, batch_first=True)
            self.out = torch.nn.Linear(hidden, 1)

        def forward(self, x):
            h, _ = self.lstm(x.unsqueeze(-1))
            return self.out(h[:, -1, :]).squeeze(-1)
    return Net()


def train_lstm(np, torch, sets, args, seed):
    """sets: list of (x, base, y, scale). The net predicts
    z = log1p(window sum) - log1p(last window's sum) (a correction of the
    naive forecast, so it extrapolates beyond the training range). Phase 1
    (first half of the steps): L1 on z; phase 2: L1 on pages / the trace's
    mean window demand (the metric's weighting: rel_err = mean|err| / mean
    actual, per trace)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    xs = np.concatenate([s[0] for s in sets])
    bs_ = np.concatenate([s[1] for s in sets])
    ys = np.concatenate([s[2] for s in sets])
    sc = np.concatenate([np.full(len(s[2]), s[3]) for s in sets])
    if len(ys) > args.lstm_max_samples:
        keep = rng.choice(len(ys), args.lstm_max_samples, replace=False)
        xs, bs_, ys, sc = xs[keep], bs_[keep], ys[keep], sc[keep]
    X = torch.tensor(xs, dtype=torch.float32)
    B = torch.tensor(np.log1p(bs_), dtype=torch.float32)
    Y = torch.tensor(ys, dtype=torch.float32)
    S = torch.tensor(sc, dtype=torch.float32)
    LY = torch.log1p(Y)
    net = make_net(torch, args.lstm_hidden)
    opt = torch.optim.Adam(net.parameters(), lr=args.lstm_lr)
    gen = torch.Generator().manual_seed(seed)
    bs = args.lstm_batch
    steps = 0
    perm = torch.randperm(len(Y), generator=gen)
    pos = 0
    while steps < args.lstm_steps:
        if pos + bs > len(Y):
            perm = torch.randperm(len(Y), generator=gen)
            pos = 0
        b = perm[pos:pos + bs]
        pos += bs
        z = net(X[b])
        if steps >= args.lstm_steps // 2:
            pred = torch.expm1(torch.clamp(B[b] + z, 0.0, 30.0))
            loss = (torch.abs(pred - Y[b]) / S[b]).mean()
        else:
            loss = torch.abs(B[b] + z - LY[b]).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        steps += 1
    return net, len(Y), steps * bs / max(1, len(Y))


def lstm_forecasts(np, torch, net, d, w):
    n = len(d)
    x, base, _ = lstm_samples(np, d, w, 0, n - 1)
    with torch.no_grad():
        z = net(torch.tensor(x, dtype=torch.float32))
        lb = torch.tensor(np.log1p(base), dtype=torch.float32)
        pred = torch.expm1(torch.clamp(lb + z, 0.0, 30.0)).numpy()
    return np.rint(pred).astype(np.int64)


# ------------------------------------------------------------------ plots

def plot_trace(plt, np, name, d, w, fcs, fc_rel, path):
    actual = window_actual(np, d, w)
    n = len(d)
    t = np.arange(n) * TICK_MS / 1000.0
    fig, ax = plt.subplots(figsize=(9, 3.6))
    ax.plot(t, actual, color="black", lw=1.6, label="actual (next window)")
    styles = {"naive": ("tab:gray", ":"), "ets": ("tab:blue", "-"),
              "hw": ("tab:green", "-"), "lstm": ("tab:red", "-")}
    sl = slice(w - 1, n - w)
    for model, (fc, rel) in fcs.items():
        c, ls = styles.get(model, ("tab:purple", "-"))
        ax.plot(t[sl], fc[sl], color=c, ls=ls, lw=0.9,
                label=f"{model} (rel_err {rel:.3f})")
    ax.set_title(f"{name}: {w}-tick window demand, forecast made at t "
                 f"(in-kernel forecaster rel_err {fc_rel:.3f}, not plotted)",
                 fontsize=9)
    ax.set_xlabel("t (s)")
    ax.set_ylabel("pages in t+0.1 .. t+%.1f s" % (w * TICK_MS / 1000.0))
    ax.legend(fontsize=7, loc="upper left", ncol=3)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


def plot_summary(plt, np, rows, models, path):
    traces = []
    for r in rows:
        if r["trace"] not in traces:
            traces.append(r["trace"])
    val = {(r["trace"], r["model"]): r["rel_err"] for r in rows}
    fig, ax = plt.subplots(figsize=(max(7, 1.3 * len(traces)), 3.8))
    bw = 0.8 / len(models)
    colors = {"naive": "tab:gray", "ets": "tab:blue", "hw": "tab:green",
              "lstm": "tab:red", "forecast": "tab:orange"}
    for j, m in enumerate(models):
        xs = [i + (j - (len(models) - 1) / 2) * bw for i in range(len(traces))]
        ys = [val.get((tr, m), float("nan")) for tr in traces]
        ax.bar(xs, ys, bw, label=m, color=colors.get(m, "tab:purple"))
    ax.set_xticks(range(len(traces)))
    ax.set_xticklabels(traces, fontsize=8, rotation=20 if len(traces) > 8 else 0)
    ax.set_ylabel("rel_err (sum |err| / sum actual)")
    ax.set_title("window error per model and trace (lower is better; hw only "
                 "where a period was found)", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# ------------------------------------------------------------------ main

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("traces", nargs="+", metavar="TRACE.csv[.xz]")
    ap.add_argument("--out", default="build/bench-anchors", metavar="DIR")
    ap.add_argument("--sa-replay",
                    default=os.path.join(here, "..", "forecast", "sa_replay"))
    ap.add_argument("--horizon-ms", type=int, default=1000)
    ap.add_argument("--max-age-ms", type=int, default=5000)
    ap.add_argument("--hist-cap", type=int, default=600,
                    help="ETS/HW fit on at most the last N ticks (default 600)")
    ap.add_argument("--max-refits", type=int, default=150,
                    help="most ETS/HW refits per trace; refit every "
                         "max(w, scored ticks / this) ticks (default 150)")
    ap.add_argument("--lstm-hidden", type=int, default=32)
    ap.add_argument("--lstm-steps", type=int, default=600,
                    help="Adam steps per trace's model (default 600)")
    ap.add_argument("--lstm-batch", type=int, default=64)
    ap.add_argument("--lstm-lr", type=float, default=3e-3)
    ap.add_argument("--lstm-max-samples", type=int, default=40000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", choices=("svg", "png"), default="svg")
    ap.add_argument("--no-plots", action="store_true")
    args = ap.parse_args()

    h = args.horizon_ms // TICK_MS
    w = min(h, 64)
    if args.horizon_ms % TICK_MS or h < 1:
        log("--horizon-ms must be a multiple of 100")
        return 2
    if not os.access(args.sa_replay, os.X_OK):
        log(f"{args.sa_replay}: not executable (make -C tools/forecast)")
        return 1

    np = need("numpy")
    need("scipy")
    need("statsmodels.tsa.holtwinters")
    torch = need("torch")
    plt = None
    if not args.no_plots:
        mpl = need("matplotlib")
        mpl.use("Agg")
        mpl.rcParams["svg.hashsalt"] = "forecast-anchors"
        plt = need("matplotlib.pyplot")
    torch.set_num_threads(2)
    os.makedirs(args.out, exist_ok=True)

    t_start = time.time()
    traces = []
    for p in args.traces:
        d, csv_text, markers = read_trace(p)
        traces.append({"path": p, "name": trace_name(p), "d": d,
                       "csv": csv_text, "markers": markers})
    names = [tr["name"] for tr in traces]
    if len(set(names)) != len(names):
        for i, tr in enumerate(traces):
            tr["name"] = f"{i}-{tr['name']}"

    rows = []
    failures = 0
    timing = {"replay": 0.0, "ets": 0.0, "hw": 0.0, "lstm_train": 0.0,
              "lstm_eval": 0.0}
    # the LSTM's per-trace training sets: whole series of the others,
    # first half of this one
    full_sets = []
    for tr in traces:
        d = tr["d"]
        n = len(d)
        x, b, y = lstm_samples(np, d, w, w - 1, n - 1 - w)
        half = n // 2
        xh, bh, yh = lstm_samples(np, d, w, w - 1, half - 1 - w)
        sc = float(max(1.0, np.mean(y))) if len(y) else 1.0
        sch = float(max(1.0, np.mean(yh))) if len(yh) else sc
        full_sets.append(((x, b, y, sc), (xh, bh, yh, sch)))

    for k, tr in enumerate(traces):
        name, d = tr["name"], np.asarray(tr["d"], dtype=np.int64)
        n = len(d)
        t0 = time.time()
        rep = run_replay(args.sa_replay, tr["csv"], args.horizon_ms,
                         args.max_age_ms)
        timing["replay"] += time.time() - t0
        naive = naive_forecasts(np, d, w)
        sn = score(np, d, naive, w)
        if sn is None:
            log(f"{name}: {n} ticks, fewer than 2 windows: skipped")
            continue
        results = {}
        results["naive"] = (naive, sn, {})
        r_naive = rep["naive"]["rel_err"]
        mine = sn["sum_abs_err"] / sn["sum_actual"] if sn["sum_actual"] else 0.0
        if abs(mine - r_naive) > 1e-3 or sn["windows"] != rep["naive"]["windows"]:
            failures += 1
            log("!" * 70)
            log(f"WARNING: {name}: naive rel_err {mine:.4f} over {sn['windows']} windows here, "
                f"sa_replay says {r_naive:.4f} over {rep['naive']['windows']}: "
                "the metric or the series does not match the replay's")
            log("!" * 70)

        half = n // 2
        period, pacf = detect_period(np, d[:half], 2 * max(LOOKBACK, 4 * w))
        t0 = time.time()
        st = {}
        fc = ets_forecasts(np, d, w, None, args.hist_cap, args.max_refits, st)
        st["fit_s"] = round(time.time() - t0, 1)
        timing["ets"] += time.time() - t0
        results["ets"] = (fc, score(np, d, fc, w), st)
        if period:
            t0 = time.time()
            st = {"period": period, "acf": round(pacf, 3)}
            fc = ets_forecasts(np, d, w, period,
                               max(args.hist_cap, 4 * period + 4),
                               args.max_refits, st)
            st["fit_s"] = round(time.time() - t0, 1)
            timing["hw"] += time.time() - t0
            results["hw"] = (fc, score(np, d, fc, w), st)

        t0 = time.time()
        sets = [full_sets[j][0] for j in range(len(traces)) if j != k]
        sets.append(full_sets[k][1])
        net, nsamp, epochs = train_lstm(np, torch, sets, args, args.seed)
        ttrain = time.time() - t0
        timing["lstm_train"] += ttrain
        t0 = time.time()
        fc = lstm_forecasts(np, torch, net, d, w)
        timing["lstm_eval"] += time.time() - t0
        sl = score(np, d, fc, w)
        results["lstm"] = (fc, sl, {"train_samples": nsamp,
                                    "steps": args.lstm_steps,
                                    "batch": args.lstm_batch,
                                    "epochs": round(epochs, 1),
                                    "train_s": round(ttrain, 1)})

        lstm_rel = sl["sum_abs_err"] / sl["sum_actual"] if sl["sum_actual"] else 0.0
        for model, (fcm, s, extra) in results.items():
            rel = s["sum_abs_err"] / s["sum_actual"] if s["sum_actual"] else 0.0
            row = {"trace": name, "model": model, "ticks": n,
                   "pages": int(d.sum()), "windows": s["windows"],
                   "mae_pages": round(s["sum_abs_err"] / s["windows"], 1),
                   "rel_err": round(rel, 4),
                   "err_vs_naive": round(s["sum_abs_err"] / sn["sum_abs_err"], 4)
                   if sn["sum_abs_err"] else None,
                   "vs_lstm": round(rel / lstm_rel, 4) if lstm_rel else None,
                   "horizon_ms": args.horizon_ms, "window_ticks": w}
            # second half (t >= n/2 scored): where the LSTM has not seen the trace
            s2 = score2(np, d, fcm, w, half)
            row["rel_err_2nd_half"] = round(s2, 4) if s2 is not None else None
            row.update(extra)
            rows.append(row)
        f = rep["forecast"]
        rows.append({"trace": name, "model": "forecast", "ticks": n,
                     "pages": int(d.sum()), "windows": f["windows"],
                     "mae_pages": f["mae_pages"], "rel_err": f["rel_err"],
                     "err_vs_naive": f["err_vs_naive"],
                     "vs_lstm": round(f["rel_err"] / lstm_rel, 4) if lstm_rel else None,
                     "horizon_ms": args.horizon_ms, "window_ticks": w,
                     "rel_err_2nd_half": None, "source": "sa_replay",
                     "sa_replay_naive_rel_err": r_naive,
                     "max_age_ms": args.max_age_ms, "markers_dropped": tr["markers"]})
        if plt:
            fcs = {m: (v[0].astype(float),
                       v[1]["sum_abs_err"] / v[1]["sum_actual"] if v[1]["sum_actual"] else 0.0)
                   for m, v in results.items()}
            plot_trace(plt, np, name, d, w, fcs, f["rel_err"],
                       os.path.join(args.out, f"forecast-anchor-{name}.{args.format}"))
        log(f"{name}: {n} ticks, period {period} (acf {pacf if pacf is None else round(pacf, 3)}), "
            f"lstm trained on {nsamp} samples in {ttrain:.1f} s; {time.time() - t_start:.0f} s so far")

    models = ["naive", "ets", "hw", "lstm", "forecast"]
    with open(os.path.join(args.out, "anchors.json"), "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
        f.write(json.dumps({"timing_s": {k: round(v, 1) for k, v in timing.items()},
                            "total_s": round(time.time() - t_start, 1),
                            "torch_threads": torch.get_num_threads(),
                            "settings": {k: v for k, v in vars(args).items()
                                         if k not in ("traces",)}}) + "\n")
    if plt:
        plot_summary(plt, np, rows, models,
                     os.path.join(args.out, f"forecast-anchor-summary.{args.format}"))

    hdr = ("trace", "model", "rel_err", "err_vs_naive", "vs_lstm",
           "mae_pages", "2nd_half")
    widths = (max(10, max(len(r["trace"]) for r in rows)), 8, 8, 12, 8, 10, 8)
    print(" ".join(h.ljust(wd) for h, wd in zip(hdr, widths)))

    def fmt(v, p=4):
        return "-" if v is None else (f"{v:.{p}f}" if isinstance(v, float) else str(v))
    for r in rows:
        vals = (r["trace"], r["model"], fmt(r["rel_err"]), fmt(r["err_vs_naive"]),
                fmt(r["vs_lstm"]), fmt(float(r["mae_pages"]), 1),
                fmt(r["rel_err_2nd_half"]))
        print(" ".join(str(v).ljust(wd) for v, wd in zip(vals, widths)))
    print(f"# forecaster within 10 % of the LSTM (vs_lstm <= 1.10): "
          + ", ".join(f"{r['trace']} {'met' if r['vs_lstm'] is not None and r['vs_lstm'] <= 1.10 else 'NOT met'}"
                      for r in rows if r["model"] == "forecast"))
    print(f"# timing (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timing.items())
          + f", total {time.time() - t_start:.1f}")
    if failures:
        log(f"WARNING: the naive check failed on {failures} trace(s): see above")
        return 1
    return 0


def score2(np, d, fc, w, half):
    """rel_err over the windows scored at ticks >= half."""
    n = len(d)
    prefix = np.concatenate(([0], np.cumsum(d, dtype=np.int64)))
    t = np.arange(max(2 * w - 1, half), n)
    if len(t) == 0:
        return None
    actual = prefix[t + 1] - prefix[t + 1 - w]
    s = actual.sum()
    return float(np.abs(actual - fc[t - w]).sum() / s) if s else None


if __name__ == "__main__":
    sys.exit(main())
