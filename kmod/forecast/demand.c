// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc forecaster: the demand model, a bank of Holt smoothers with
 * window scoring and a burst margin, in fixed point.
 * Documentation/forecast.rst describes the model.
 *
 * Pure C, built into the module and into userspace (see internal.h).
 */
#include "internal.h"

/* Gain of the window error EWMA: about the last 4 windows count. */
#define SA_FORECAST_ERR_GAIN		(SA_FORECAST_ONE / 4)
/*
 * Another smoother takes over only when its error is 1/16 below the
 * current one's: near-ties (a steady series, where all are close to 0)
 * must not flip the forecast between smoothers from tick to tick.
 */
#define SA_FORECAST_SWITCH_SHIFT	4
/* The burst margin is this quantile (permille) of the positive errors. */
#define SA_FORECAST_MARGIN_PERMILLE	900
/* The prior's smoother: alpha 0.2, beta 0.05, between slow and fast. */
#define SA_FORECAST_PRIOR_BEST	2

/*
 * The bank, slow to fast. Windows are sums of up to 64 ticks, so the noise
 * of a level and, far more, of a trend (multiplied by w^2 / 2) decides
 * the window error: the two slowest smoothers have no trend, and the
 * slowest (alpha 1/256, a mean over about 25 s) is what keeps the window
 * forecast steady under periodic bursts, which the margin then covers.
 * Alpha 0.2 and 0.5 with a slow trend follow ramps; 0.5 and 0.8 with a
 * fast trend follow steps and ramps that change slope.
 */
const u16 sa_forecast_alpha[SA_FORECAST_BANK] = {
	256, 3277, 13107, 32768, 32768, 52429
};

const u16 sa_forecast_beta[SA_FORECAST_BANK] = {
	0, 0, 3277, 3277, 19661, 19661
};

static u64 sa_forecast_sat_add(u64 a, u64 b)
{
	return a + b < a ? ~0ULL : a + b;
}

/* (n * g + 2^(s-1)) >> s for n < 2^32, 0 <= g < 2^62, without overflow. */
static u64 sa_forecast_mul_shr(u64 n, u64 g, unsigned int s)
{
	u64 lo = g & ((1ULL << s) - 1);

	return n * (g >> s) + ((n * lo + (1ULL << (s - 1))) >> s);
}

static u32 sa_forecast_window(u32 window)
{
	if (!window)
		return 1;
	return window > SA_FORECAST_WINDOW_MAX ? SA_FORECAST_WINDOW_MAX : window;
}

/**
 * sa_forecast_init() - start a model from the built-in prior
 * @m: the model
 *
 * The prior is zero demand with no error history, so zero margin: a new
 * group stages nothing on the forecaster's account until it has seen
 * demand. Cold start is covered by an explicit reservation or by importing
 * a learned model; a default margin would be staged, aged out and staged
 * again on every idle group, which is waste by construction. The middle
 * smoother forecasts until the errors say otherwise.
 */
void sa_forecast_init(struct sa_forecast_model *m)
{
	u32 i;

	memset(m, 0, sizeof(*m));
	m->best = SA_FORECAST_PRIOR_BEST;
	for (i = 0; i < SA_FORECAST_BANK; i++)
		m->bank[i].window_fc = SA_FORECAST_NONE;
	for (i = 0; i < SA_FORECAST_WINDOW_MAX; i++) {
		m->pending[i] = SA_FORECAST_NONE;
		m->naive[i] = SA_FORECAST_NONE;
	}
}

/* One sample through every smoother. */
static void sa_forecast_update_bank(struct sa_forecast_model *m, u32 pages)
{
	s64 x = (s64)pages << SA_FORECAST_SHIFT;
	/*
	 * Warm start: while 1 / (ticks + 1) is larger than a smoother's
	 * alpha, that is its gain, so the level is the plain mean of the
	 * samples so far instead of the first sample decaying slowly.
	 */
	u32 alpha = m->ticks < SA_FORECAST_ONE ? (u32)(SA_FORECAST_ONE / (m->ticks + 1)) :
		    0;
	u32 i;

	for (i = 0; i < SA_FORECAST_BANK; i++) {
		struct sa_forecast_holt *h = &m->bank[i];
		s64 f, level;

		if (!m->ticks) {
			/* The first sample is the level: no ramp up from 0. */
			h->level = x;
			h->trend = 0;
			continue;
		}
		f = h->level + h->trend;
		level = f + sa_forecast_mul(x - f, alpha > sa_forecast_alpha[i] ?
					     alpha : sa_forecast_alpha[i]);
		level = sa_forecast_clamp(level, 0, SA_FORECAST_LEVEL_MAX);
		h->trend += sa_forecast_mul(level - h->level - h->trend,
				      sa_forecast_beta[i]);
		h->trend = sa_forecast_clamp(h->trend, -SA_FORECAST_LEVEL_MAX,
					     SA_FORECAST_LEVEL_MAX);
		h->level = level;
	}
}

/* sum of L + kT for k = 1..n, in pages, where every term is in 0..2^48. */
static u64 sa_forecast_span(s64 level, s64 trend, u64 n)
{
	if (!n)
		return 0;
	/* n * (first + last) / 2, with first + last in 0..2^49. */
	return sa_forecast_mul_shr(n, 2 * level + (s64)(n + 1) * trend,
			     SA_FORECAST_SHIFT + 1);
}

/*
 * A smoother's forecast over @horizon ticks: level + k * trend for the
 * k-th tick ahead, each clamped to 0..2^32 pages, summed in closed form.
 */
static u64 sa_forecast_holt_demand(const struct sa_forecast_holt *b, u32 horizon)
{
	s64 level = sa_forecast_clamp(b->level, 0, SA_FORECAST_LEVEL_MAX);
	s64 trend = sa_forecast_clamp(b->trend, -SA_FORECAST_LEVEL_MAX, SA_FORECAST_LEVEL_MAX);
	u64 h = horizon > SA_FORECAST_HORIZON_CLAMP ? SA_FORECAST_HORIZON_CLAMP : horizon;
	u64 n;

	if (trend >= 0) {
		/* Terms grow: the first n stay below the cap, the rest at it. */
		n = trend ? div64_u64(SA_FORECAST_LEVEL_MAX - level, trend) : h;
		if (n > h)
			n = h;
		return sa_forecast_span(level, trend, n) +
		       (h - n) * (SA_FORECAST_LEVEL_MAX >> SA_FORECAST_SHIFT);
	}
	if (!level)
		return 0;
	/* Terms fall: the n with L + kT > 0 count, the rest are 0. */
	n = div64_u64(level - 1, -trend);
	if (n > h)
		n = h;
	return sa_forecast_span(level, trend, n);
}

/*
 * Every @window ticks: score each smoother's forecast for the window that
 * ended (@actual pages) and let the best take over. Smoothers are judged
 * on window forecasts, what the model is used for, not on one-step errors:
 * on intermittent demand the one-step absolute error favours whatever
 * predicts 0 between bursts and chases each burst, and its window sums
 * then overshoot by the whole extrapolated burst.
 */
static void sa_forecast_score_bank(struct sa_forecast_model *m, u64 actual, u32 w)
{
	u32 i, best = m->best;

	for (i = 0; i < SA_FORECAST_BANK; i++) {
		struct sa_forecast_holt *h = &m->bank[i];
		s64 err;

		if (h->window_fc != SA_FORECAST_NONE) {
			err = (s64)sa_forecast_abs((s64)actual - (s64)h->window_fc);
			h->err += sa_forecast_mul((err << SA_FORECAST_SHIFT) - h->err,
					    SA_FORECAST_ERR_GAIN);
			h->err = sa_forecast_clamp(h->err, 0, SA_FORECAST_ERR_MAX);
		}
		h->window_fc = sa_forecast_holt_demand(h, w);
	}
	for (i = 0; i < SA_FORECAST_BANK; i++) {
		s64 cur = m->bank[best].err;

		if (m->bank[i].err < cur - (cur >> SA_FORECAST_SWITCH_SHIFT))
			best = i;
	}
	m->best = best;
	m->phase = 0;
}

/**
 * sa_forecast_demand() - forecast demand over a horizon, without margin
 * @m: the model
 * @horizon: ticks ahead (clamped to 2^20)
 *
 * The best smoother's extrapolation, level + k * trend for the k-th tick
 * ahead, summed in closed form; during the first SA_FORECAST_WINDOW_MAX ticks
 * over at most as many ticks as were observed. Each tick's forecast is
 * clamped to 0 from below (a falling trend runs out, demand does not turn
 * negative) and to 2^32 pages from above, so the sum cannot wrap for any
 * horizon.
 *
 * Return: pages, rounded to nearest.
 */
u64 sa_forecast_demand(const struct sa_forecast_model *m, u32 horizon)
{
	/*
	 * Warm-up: for its first SA_FORECAST_WINDOW_MAX ticks a model forecasts no
	 * further ahead than it has looked back. One busy first tick (a boot,
	 * a burst) says little about the next seconds, and staging it for
	 * the whole horizon would mostly age out unused.
	 */
	if (m->ticks < SA_FORECAST_WINDOW_MAX && horizon > m->ticks)
		horizon = m->ticks;
	return sa_forecast_holt_demand(&m->bank[m->best < SA_FORECAST_BANK ? m->best : 0],
				 horizon);
}

/* Sum of @hist over the @w ticks that end with slot @pos. */
static u64 sa_forecast_hist_sum(const struct sa_forecast_model *m, u32 pos, u32 w)
{
	u64 sum = 0;
	u32 i;

	for (i = 0; i < w; i++)
		sum += m->hist[(pos + SA_FORECAST_WINDOW_MAX - i) % SA_FORECAST_WINDOW_MAX];
	return sum;
}

/*
 * The window that ended: the error sums take every one. The margin's ring
 * takes one value per half window, the largest error of its windows: the
 * ring then spans SA_FORECAST_ERRS half windows rather than SA_FORECAST_ERRS ticks, so
 * it remembers a burst several windows back, and taking the largest rather
 * than every n-th window cannot alias with a periodic burst. @open: this
 * window starts a half window, @close: it ends one.
 */
static void sa_forecast_score(struct sa_forecast_model *m, u64 actual, u64 forecast,
			      u64 naive, bool open, bool close)
{
	s64 err = (s64)actual - (s64)forecast;
	u32 pos = m->err_pos % SA_FORECAST_ERRS;

	if (open || !m->nr_errs) {
		m->errs[pos] = err;
		m->peaks[pos] = actual;
		if (m->nr_errs < SA_FORECAST_ERRS)
			m->nr_errs++;
	} else {
		if (err > m->errs[pos])
			m->errs[pos] = err;
		if (actual > m->peaks[pos])
			m->peaks[pos] = actual;
	}
	if (close)
		m->err_pos = (pos + 1) % SA_FORECAST_ERRS;
	m->last_abs_err = sa_forecast_abs(err);
	m->sum_abs_err = sa_forecast_sat_add(m->sum_abs_err, m->last_abs_err);
	m->sum_naive_abs_err = sa_forecast_sat_add(m->sum_naive_abs_err,
						   sa_forecast_abs((s64)actual -
						       (s64)naive));
	m->sum_actual = sa_forecast_sat_add(m->sum_actual, actual);
	if (m->nr_windows != ~0ULL)
		m->nr_windows++;
}

/**
 * sa_forecast_observe() - feed one tick's demand
 * @m: the model
 * @pages: pages first-touched in the tick
 * @window: horizon in ticks, 1..SA_FORECAST_WINDOW_MAX (clamped)
 *
 * Updates the smoothers, scores the window that ends with this tick against
 * the forecast made @window ticks ago (and the last-value forecast made
 * then, the baseline), and records the forecasts for the window that starts
 * now. Windows overlap: one is scored every tick. Every @window ticks the
 * smoothers' own window forecasts are scored and the best one is chosen.
 * A @window other than the previous call's drops the recorded forecasts
 * and errors, which were for another length; scoring resumes @window
 * ticks later. Call it for every tick, including those without demand.
 */
void sa_forecast_observe(struct sa_forecast_model *m, u32 pages, u32 window)
{
	u32 w = sa_forecast_window(window);
	u32 pos = m->hist_pos % SA_FORECAST_WINDOW_MAX;
	u32 from = (pos + SA_FORECAST_WINDOW_MAX - w) % SA_FORECAST_WINDOW_MAX;
	u32 half = (w + 1) / 2, i;
	u64 forecast, naive, actual;

	/*
	 * A model starts at its first demand: idle ticks before it (a group
	 * enabled ahead of its VMs) would only teach the smoothers zeros and
	 * count as errors against the first real windows.
	 */
	if (!m->ticks && !pages)
		return;
	if (w != m->window) {
		for (i = 0; i < SA_FORECAST_WINDOW_MAX; i++) {
			m->pending[i] = SA_FORECAST_NONE;
			m->naive[i] = SA_FORECAST_NONE;
		}
		for (i = 0; i < SA_FORECAST_BANK; i++)
			m->bank[i].window_fc = SA_FORECAST_NONE;
		/* errors over another window length say nothing about this */
		m->nr_errs = 0;
		m->err_pos = 0;
		m->window = w;
		m->phase = w;
	}
	/* Read before this tick's forecast overwrites them (w == max). */
	forecast = m->pending[from];
	naive = m->naive[from];

	sa_forecast_update_bank(m, pages);
	m->hist[pos] = pages;
	actual = sa_forecast_hist_sum(m, pos, w);
	if (++m->phase >= w)
		sa_forecast_score_bank(m, actual, w);
	if (forecast != SA_FORECAST_NONE && naive != SA_FORECAST_NONE)
		sa_forecast_score(m, actual, forecast, naive,
				  (m->phase + w - 1) % w % half == 0,
			    m->phase % half == 0);

	/* the best smoother's forecast, without the warm-up's shortening */
	m->pending[pos] = sa_forecast_holt_demand(&m->bank[m->best], w);
	/* The history holds a whole window once w samples were seen. */
	m->naive[pos] = m->ticks + 1 >= w ? actual : SA_FORECAST_NONE;
	m->hist_pos = (pos + 1) % SA_FORECAST_WINDOW_MAX;
	if (m->ticks != ~0U)
		m->ticks++;
}

/**
 * sa_forecast_margin() - burst margin over a horizon
 * @m: the model
 * @horizon: ticks ahead (clamped to 2^20)
 *
 * The 90% quantile of the positive errors among the last SA_FORECAST_ERRS
 * windows: what the forecast missed by, in the windows where it fell
 * short, so a burst the smoothers average away is staged anyway. Windows
 * where the forecast was too high do not reduce it. The errors are per
 * window of m->window ticks; a longer horizon scales the margin
 * proportionally (the worst case: every window of it falls short alike).
 *
 * Return: pages; 0 without a positive error.
 */
u64 sa_forecast_margin(const struct sa_forecast_model *m, u32 horizon)
{
	s64 pos[SA_FORECAST_ERRS];
	u32 n = 0, nr = m->nr_errs, rank, i, j;
	u64 h = horizon > SA_FORECAST_HORIZON_CLAMP ? SA_FORECAST_HORIZON_CLAMP : horizon;
	u64 w = m->window ? m->window : SA_FORECAST_WINDOW_MAX;
	u64 q = 0;

	if (nr > SA_FORECAST_ERRS)
		nr = SA_FORECAST_ERRS;
	for (i = 0; i < nr; i++)
		if (m->errs[i] > 0)
			pos[n++] = m->errs[i];
	if (!n)
		return 0;
	/* rank ceil(0.9 n) in ascending order, 1-based */
	rank = (n * SA_FORECAST_MARGIN_PERMILLE + 999) / 1000;
	/* the value with fewer than rank smaller and at least rank <= it */
	for (i = 0; i < n; i++) {
		u32 lt = 0, le = 0;

		for (j = 0; j < n; j++) {
			lt += pos[j] < pos[i];
			le += pos[j] <= pos[i];
		}
		if (lt < rank && le >= rank) {
			q = pos[i];
			break;
		}
	}
	if (h > w)
		q = div64_u64(q * h, w);
	return q;
}

/**
 * sa_forecast_target() - the staging target over a horizon
 * @m: the model
 * @horizon: ticks ahead (clamped to 2^20)
 *
 * Demand plus margin, capped at 5/4 of the largest actual window demand in
 * the margin's span (scaled like the margin for a horizon longer than the
 * window). After a burst or a boot the trend and the errors can ask for far
 * more than any window ever took; staging that only ages out. Before the
 * first scored window the cap is 5/4 of the demand seen so far (one launch
 * must not stage several launches' worth).
 *
 * Return: pages.
 */
u64 sa_forecast_target(const struct sa_forecast_model *m, u32 horizon)
{
	u64 target = sa_forecast_demand(m, horizon) + sa_forecast_margin(m, horizon);
	u64 h = horizon > SA_FORECAST_HORIZON_CLAMP ? SA_FORECAST_HORIZON_CLAMP : horizon;
	u64 w = m->window ? m->window : SA_FORECAST_WINDOW_MAX;
	u32 nr = m->nr_errs > SA_FORECAST_ERRS ? SA_FORECAST_ERRS : m->nr_errs, i;
	u64 peak = 0;

	if (!m->ticks)
		return target;
	for (i = 0; i < nr; i++)
		if (m->peaks[i] > peak)
			peak = m->peaks[i];
	/*
	 * Before the first scored window, or while the last windows were
	 * quieter than what came just now: what the history holds counts too
	 * (all of it, if fewer ticks than a window were seen).
	 */
	if (m->ticks < SA_FORECAST_WINDOW_MAX || !nr) {
		u32 seen = m->ticks < w ? m->ticks : (u32)w;
		u64 recent = sa_forecast_hist_sum(m, (m->hist_pos + SA_FORECAST_WINDOW_MAX -
					    1) % SA_FORECAST_WINDOW_MAX, seen);

		if (recent > peak)
			peak = recent;
	}
	/* peak <= 2^38 (a window of 2^32-page ticks), h <= 2^20: no overflow */
	if (h > w)
		peak = div64_u64(peak * h, w);
	peak += peak >> 2;
	return target < peak ? target : peak;
}

/**
 * sa_forecast_error_permille() - mean absolute window error relative to demand
 * @m: the model
 *
 * Return: 1000 * sum |error| / sum actual, saturated at 10000; 0 before the
 * first scored window, 10000 if there was error but no demand.
 */
u32 sa_forecast_error_permille(const struct sa_forecast_model *m)
{
	u64 err = m->sum_abs_err, actual = m->sum_actual;

	if (!m->nr_windows || !err)
		return 0;
	if (div64_u64(err, 10) >= actual)
		return 10000;
	/* err < 10 * actual: shifting both keeps the ratio, not the wrap */
	while (err > ~0ULL / 1000) {
		err >>= 1;
		actual >>= 1;
	}
	return (u32)div64_u64(err * 1000, actual);
}

static u64 sa_forecast_div_forecast(u64 v, u32 share)
{
	return v == SA_FORECAST_NONE ? v : div64_u64(v, share);
}

/**
 * sa_forecast_inherit() - start a model from another one
 * @m: the new model (may be @from)
 * @from: the model to start from, e.g. the group's for a new VM
 * @share: how many ways the demand splits (0 is taken as 1)
 *
 * Everything that is pages (levels, trends, errors, history, forecasts,
 * error sums) is divided by @share; parameters, positions and the choice
 * of smoother carry over, so the new model forecasts at once.
 */
void sa_forecast_inherit(struct sa_forecast_model *m,
			 const struct sa_forecast_model *from, u32 share)
{
	u32 i;

	if (m != from)
		memcpy(m, from, sizeof(*m));
	if (share <= 1)
		return;
	for (i = 0; i < SA_FORECAST_BANK; i++) {
		m->bank[i].level = div64_s64(m->bank[i].level, share);
		m->bank[i].trend = div64_s64(m->bank[i].trend, share);
		m->bank[i].err = div64_s64(m->bank[i].err, share);
		m->bank[i].window_fc =
			sa_forecast_div_forecast(m->bank[i].window_fc, share);
	}
	for (i = 0; i < SA_FORECAST_WINDOW_MAX; i++) {
		m->hist[i] /= share;
		m->pending[i] = sa_forecast_div_forecast(m->pending[i], share);
		m->naive[i] = sa_forecast_div_forecast(m->naive[i], share);
	}
	for (i = 0; i < SA_FORECAST_ERRS; i++) {
		m->errs[i] = div64_s64(m->errs[i], share);
		m->peaks[i] = div64_u64(m->peaks[i], share);
	}
	m->last_abs_err = div64_u64(m->last_abs_err, share);
	m->sum_abs_err = div64_u64(m->sum_abs_err, share);
	m->sum_naive_abs_err = div64_u64(m->sum_naive_abs_err, share);
	m->sum_actual = div64_u64(m->sum_actual, share);
}
