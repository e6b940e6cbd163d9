// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc forecaster: demand (a bank of Holt smoothers, window scoring,
 * a burst margin) and "where" (2 MiB region strides, density) in fixed
 * point. Documentation/forecast.rst describes the model and the blob.
 *
 * The same file builds into the module and into userspace (sa_replay, the
 * unit tests): it uses nothing but errno values, memcpy/memset and 64-bit
 * division, which userspace gets from the shims below.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/math64.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <string.h>
#endif

#include "forecast.h"

#ifndef __KERNEL__
static inline u64 div64_u64(u64 dividend, u64 divisor)
{
	return dividend / divisor;
}

static inline s64 div64_s64(s64 dividend, s64 divisor)
{
	return dividend / divisor;
}
#endif

/*
 * Bounds that keep every product below 2^63. A tick's demand is a u32, so
 * a level (pages per tick) never needs more than 2^32 pages in fixed
 * point: SA_FC_LEVEL_MAX = 2^48. Forecasts per tick are clamped to it as
 * well, whatever the trend, and horizons to SA_FC_HORIZON_CLAMP ticks
 * (29 hours; the module passes at most 36000): a forecast is then below
 * 2^52 pages, a window's demand, forecast or error at most 2^38 pages
 * (SA_FC_WINDOW_PAGES_MAX) and a smoother's window error 2^54 in fixed
 * point.
 */
#define SA_FC_LEVEL_MAX		(1LL << (32 + SA_FC_SHIFT))
#define SA_FC_HORIZON_CLAMP	(1U << 20)
#define SA_FC_WINDOW_PAGES_MAX	((u64)SA_FC_WINDOW_MAX << 32)
#define SA_FC_ERR_MAX		((s64)SA_FC_WINDOW_PAGES_MAX << SA_FC_SHIFT)

/* Gain of the window error EWMA: about the last 4 windows count. */
#define SA_FC_ERR_GAIN		(SA_FC_ONE / 4)
/*
 * Another smoother takes over only when its error is 1/16 below the
 * current one's: near-ties (a steady series, where all are close to 0)
 * must not flip the forecast between smoothers from tick to tick.
 */
#define SA_FC_SWITCH_SHIFT	4
/* The burst margin is this quantile (permille) of the positive errors. */
#define SA_FC_MARGIN_PERMILLE	900
/* The prior's smoother: alpha 0.2, beta 0.05, between slow and fast. */
#define SA_FC_PRIOR_BEST	2

/* Region size of the where-predictor: 2 MiB = 512 pages of 4 KiB. */
#define SA_FC_REGION_SHIFT	21
#define SA_FC_REGION_PAGES	512
/* Gain of the density EWMA: the last 4 regions or so count. */
#define SA_FC_DENSE_GAIN	(SA_FC_ONE / 4)
/* Steps needed before a majority means anything. */
#define SA_FC_STEPS_MIN		4

/*
 * The bank, slow to fast. Windows are sums of up to 64 ticks, so the noise
 * of a level and, far more, of a trend (multiplied by w^2 / 2) decides
 * the window error: the two slowest smoothers have no trend, and the
 * slowest (alpha 1/256, a mean over about 25 s) is what keeps the window
 * forecast steady under periodic bursts, which the margin then covers.
 * Alpha 0.2 and 0.5 with a slow trend follow ramps; 0.5 and 0.8 with a
 * fast trend follow steps and ramps that change slope.
 */
const u16 sa_fc_alpha[SA_FC_BANK] = {
	256, 3277, 13107, 32768, 32768, 52429
};

const u16 sa_fc_beta[SA_FC_BANK] = {
	0, 0, 3277, 3277, 19661, 19661
};

static s64 sa_fc_clamp(s64 v, s64 lo, s64 hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static u64 sa_fc_sat_add(u64 a, u64 b)
{
	return a + b < a ? ~0ULL : a + b;
}

static u64 sa_fc_abs(s64 v)
{
	return v < 0 ? -(u64)v : (u64)v;
}

/*
 * v * q / SA_FC_ONE for 0 <= q <= SA_FC_ONE and |v| < 2^62, rounded away
 * from zero. Splitting v keeps the product below 2^64. Rounding away from
 * zero moves a smoother at least one unit towards its input, so on a
 * constant series level and trend reach the exact values instead of
 * stalling a few units off, which a 36000-tick horizon would multiply.
 */
static s64 sa_fc_mul(s64 v, u32 q)
{
	u64 a = sa_fc_abs(v);
	u64 lo = (a & (SA_FC_ONE - 1)) * q;
	u64 r = (a >> SA_FC_SHIFT) * q + (lo >> SA_FC_SHIFT);

	if (lo & (SA_FC_ONE - 1))
		r++;
	return v < 0 ? -(s64)r : (s64)r;
}

/* (n * g + 2^(s-1)) >> s for n < 2^32, 0 <= g < 2^62, without overflow. */
static u64 sa_fc_mul_shr(u64 n, u64 g, unsigned int s)
{
	u64 lo = g & ((1ULL << s) - 1);

	return n * (g >> s) + ((n * lo + (1ULL << (s - 1))) >> s);
}

static u32 sa_fc_window(u32 window)
{
	if (!window)
		return 1;
	return window > SA_FC_WINDOW_MAX ? SA_FC_WINDOW_MAX : window;
}

/**
 * sa_fc_init() - start a model from the built-in prior
 * @m: the model
 *
 * The prior is zero demand with no error history, so zero margin: a new
 * group stages nothing on the forecaster's account until it has seen
 * demand. Cold start is covered by an explicit reservation or by importing
 * a learned model; a default margin would be staged, aged out and staged
 * again on every idle group, which is waste by construction. The middle
 * smoother forecasts until the errors say otherwise.
 */
void sa_fc_init(struct sa_fc_model *m)
{
	u32 i;

	memset(m, 0, sizeof(*m));
	m->best = SA_FC_PRIOR_BEST;
	for (i = 0; i < SA_FC_BANK; i++)
		m->bank[i].window_fc = SA_FC_NO_FORECAST;
	for (i = 0; i < SA_FC_WINDOW_MAX; i++) {
		m->pending[i] = SA_FC_NO_FORECAST;
		m->naive[i] = SA_FC_NO_FORECAST;
	}
}

/* One sample through every smoother. */
static void sa_fc_update_bank(struct sa_fc_model *m, u32 pages)
{
	s64 x = (s64)pages << SA_FC_SHIFT;
	/*
	 * Warm start: while 1 / (ticks + 1) is larger than a smoother's
	 * alpha, that is its gain, so the level is the plain mean of the
	 * samples so far instead of the first sample decaying slowly.
	 */
	u32 alpha = m->ticks < SA_FC_ONE ? (u32)(SA_FC_ONE / (m->ticks + 1)) :
		    0;
	u32 i;

	for (i = 0; i < SA_FC_BANK; i++) {
		struct sa_fc_holt *h = &m->bank[i];
		s64 f, level;

		if (!m->ticks) {
			/* The first sample is the level: no ramp up from 0. */
			h->level = x;
			h->trend = 0;
			continue;
		}
		f = h->level + h->trend;
		level = f + sa_fc_mul(x - f, alpha > sa_fc_alpha[i] ?
					     alpha : sa_fc_alpha[i]);
		level = sa_fc_clamp(level, 0, SA_FC_LEVEL_MAX);
		h->trend += sa_fc_mul(level - h->level - h->trend,
				      sa_fc_beta[i]);
		h->trend = sa_fc_clamp(h->trend, -SA_FC_LEVEL_MAX,
				       SA_FC_LEVEL_MAX);
		h->level = level;
	}
}

/* sum of L + kT for k = 1..n, in pages, where every term is in 0..2^48. */
static u64 sa_fc_span(s64 level, s64 trend, u64 n)
{
	if (!n)
		return 0;
	/* n * (first + last) / 2, with first + last in 0..2^49. */
	return sa_fc_mul_shr(n, 2 * level + (s64)(n + 1) * trend,
			     SA_FC_SHIFT + 1);
}

/*
 * A smoother's forecast over @horizon ticks: level + k * trend for the
 * k-th tick ahead, each clamped to 0..2^32 pages, summed in closed form.
 */
static u64 sa_fc_holt_demand(const struct sa_fc_holt *b, u32 horizon)
{
	s64 level = sa_fc_clamp(b->level, 0, SA_FC_LEVEL_MAX);
	s64 trend = sa_fc_clamp(b->trend, -SA_FC_LEVEL_MAX, SA_FC_LEVEL_MAX);
	u64 h = horizon > SA_FC_HORIZON_CLAMP ? SA_FC_HORIZON_CLAMP : horizon;
	u64 n;

	if (trend >= 0) {
		/* Terms grow: the first n stay below the cap, the rest at it. */
		n = trend ? div64_u64(SA_FC_LEVEL_MAX - level, trend) : h;
		if (n > h)
			n = h;
		return sa_fc_span(level, trend, n) +
		       (h - n) * (SA_FC_LEVEL_MAX >> SA_FC_SHIFT);
	}
	if (!level)
		return 0;
	/* Terms fall: the n with L + kT > 0 count, the rest are 0. */
	n = div64_u64(level - 1, -trend);
	if (n > h)
		n = h;
	return sa_fc_span(level, trend, n);
}

/*
 * Every @window ticks: score each smoother's forecast for the window that
 * ended (@actual pages) and let the best take over. Smoothers are judged
 * on window forecasts, what the model is used for, not on one-step errors:
 * on intermittent demand the one-step absolute error favours whatever
 * predicts 0 between bursts and chases each burst, and its window sums
 * then overshoot by the whole extrapolated burst.
 */
static void sa_fc_score_bank(struct sa_fc_model *m, u64 actual, u32 w)
{
	u32 i, best = m->best;

	for (i = 0; i < SA_FC_BANK; i++) {
		struct sa_fc_holt *h = &m->bank[i];
		s64 err;

		if (h->window_fc != SA_FC_NO_FORECAST) {
			err = (s64)sa_fc_abs((s64)actual - (s64)h->window_fc);
			h->err += sa_fc_mul((err << SA_FC_SHIFT) - h->err,
					    SA_FC_ERR_GAIN);
			h->err = sa_fc_clamp(h->err, 0, SA_FC_ERR_MAX);
		}
		h->window_fc = sa_fc_holt_demand(h, w);
	}
	for (i = 0; i < SA_FC_BANK; i++) {
		s64 cur = m->bank[best].err;

		if (m->bank[i].err < cur - (cur >> SA_FC_SWITCH_SHIFT))
			best = i;
	}
	m->best = best;
	m->phase = 0;
}

/**
 * sa_fc_demand() - forecast demand over a horizon, without margin
 * @m: the model
 * @horizon: ticks ahead (clamped to 2^20)
 *
 * The best smoother's extrapolation, level + k * trend for the k-th tick
 * ahead, summed in closed form; during the first SA_FC_WINDOW_MAX ticks
 * over at most as many ticks as were observed. Each tick's forecast is
 * clamped to 0 from below (a falling trend runs out, demand does not turn
 * negative) and to 2^32 pages from above, so the sum cannot wrap for any
 * horizon.
 *
 * Return: pages, rounded to nearest.
 */
u64 sa_fc_demand(const struct sa_fc_model *m, u32 horizon)
{
	/*
	 * Warm-up: for its first SA_FC_WINDOW_MAX ticks a model forecasts no
	 * further ahead than it has looked back. One busy first tick (a boot,
	 * a burst) says little about the next seconds, and staging it for
	 * the whole horizon would mostly age out unused.
	 */
	if (m->ticks < SA_FC_WINDOW_MAX && horizon > m->ticks)
		horizon = m->ticks;
	return sa_fc_holt_demand(&m->bank[m->best < SA_FC_BANK ? m->best : 0],
				 horizon);
}

/* Sum of @hist over the @w ticks that end with slot @pos. */
static u64 sa_fc_hist_sum(const struct sa_fc_model *m, u32 pos, u32 w)
{
	u64 sum = 0;
	u32 i;

	for (i = 0; i < w; i++)
		sum += m->hist[(pos + SA_FC_WINDOW_MAX - i) % SA_FC_WINDOW_MAX];
	return sum;
}

/*
 * The window that ended: the error sums take every one. The margin's ring
 * takes one value per half window, the largest error of its windows: the
 * ring then spans SA_FC_ERRS half windows rather than SA_FC_ERRS ticks, so
 * it remembers a burst several windows back, and taking the largest rather
 * than every n-th window cannot alias with a periodic burst. @open: this
 * window starts a half window, @close: it ends one.
 */
static void sa_fc_score(struct sa_fc_model *m, u64 actual, u64 forecast,
			u64 naive, bool open, bool close)
{
	s64 err = (s64)actual - (s64)forecast;
	u32 pos = m->err_pos % SA_FC_ERRS;

	if (open || !m->nr_errs) {
		m->errs[pos] = err;
		m->peaks[pos] = actual;
		if (m->nr_errs < SA_FC_ERRS)
			m->nr_errs++;
	} else {
		if (err > m->errs[pos])
			m->errs[pos] = err;
		if (actual > m->peaks[pos])
			m->peaks[pos] = actual;
	}
	if (close)
		m->err_pos = (pos + 1) % SA_FC_ERRS;
	m->last_abs_err = sa_fc_abs(err);
	m->sum_abs_err = sa_fc_sat_add(m->sum_abs_err, m->last_abs_err);
	m->sum_naive_abs_err = sa_fc_sat_add(m->sum_naive_abs_err,
					     sa_fc_abs((s64)actual -
						       (s64)naive));
	m->sum_actual = sa_fc_sat_add(m->sum_actual, actual);
	if (m->nr_windows != ~0ULL)
		m->nr_windows++;
}

/**
 * sa_fc_observe() - feed one tick's demand
 * @m: the model
 * @pages: pages first-touched in the tick
 * @window: horizon in ticks, 1..SA_FC_WINDOW_MAX (clamped)
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
void sa_fc_observe(struct sa_fc_model *m, u32 pages, u32 window)
{
	u32 w = sa_fc_window(window);
	u32 pos = m->hist_pos % SA_FC_WINDOW_MAX;
	u32 from = (pos + SA_FC_WINDOW_MAX - w) % SA_FC_WINDOW_MAX;
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
		for (i = 0; i < SA_FC_WINDOW_MAX; i++) {
			m->pending[i] = SA_FC_NO_FORECAST;
			m->naive[i] = SA_FC_NO_FORECAST;
		}
		for (i = 0; i < SA_FC_BANK; i++)
			m->bank[i].window_fc = SA_FC_NO_FORECAST;
		/* errors over another window length say nothing about this */
		m->nr_errs = 0;
		m->err_pos = 0;
		m->window = w;
		m->phase = w;
	}
	/* Read before this tick's forecast overwrites them (w == max). */
	forecast = m->pending[from];
	naive = m->naive[from];

	sa_fc_update_bank(m, pages);
	m->hist[pos] = pages;
	actual = sa_fc_hist_sum(m, pos, w);
	if (++m->phase >= w)
		sa_fc_score_bank(m, actual, w);
	if (forecast != SA_FC_NO_FORECAST && naive != SA_FC_NO_FORECAST)
		sa_fc_score(m, actual, forecast, naive,
			    (m->phase + w - 1) % w % half == 0,
			    m->phase % half == 0);

	/* the best smoother's forecast, without the warm-up's shortening */
	m->pending[pos] = sa_fc_holt_demand(&m->bank[m->best], w);
	/* The history holds a whole window once w samples were seen. */
	m->naive[pos] = m->ticks + 1 >= w ? actual : SA_FC_NO_FORECAST;
	m->hist_pos = (pos + 1) % SA_FC_WINDOW_MAX;
	if (m->ticks != ~0U)
		m->ticks++;
}

/**
 * sa_fc_margin() - burst margin over a horizon
 * @m: the model
 * @horizon: ticks ahead (clamped to 2^20)
 *
 * The 90% quantile of the positive errors among the last SA_FC_ERRS
 * windows: what the forecast missed by, in the windows where it fell
 * short, so a burst the smoothers average away is staged anyway. Windows
 * where the forecast was too high do not reduce it. The errors are per
 * window of m->window ticks; a longer horizon scales the margin
 * proportionally (the worst case: every window of it falls short alike).
 *
 * Return: pages; 0 without a positive error.
 */
u64 sa_fc_margin(const struct sa_fc_model *m, u32 horizon)
{
	s64 pos[SA_FC_ERRS];
	u32 n = 0, nr = m->nr_errs, rank, i, j;
	u64 h = horizon > SA_FC_HORIZON_CLAMP ? SA_FC_HORIZON_CLAMP : horizon;
	u64 w = m->window ? m->window : SA_FC_WINDOW_MAX;
	u64 q = 0;

	if (nr > SA_FC_ERRS)
		nr = SA_FC_ERRS;
	for (i = 0; i < nr; i++)
		if (m->errs[i] > 0)
			pos[n++] = m->errs[i];
	if (!n)
		return 0;
	/* rank ceil(0.9 n) in ascending order, 1-based */
	rank = (n * SA_FC_MARGIN_PERMILLE + 999) / 1000;
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
 * sa_fc_target() - the staging target over a horizon
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
u64 sa_fc_target(const struct sa_fc_model *m, u32 horizon)
{
	u64 target = sa_fc_demand(m, horizon) + sa_fc_margin(m, horizon);
	u64 h = horizon > SA_FC_HORIZON_CLAMP ? SA_FC_HORIZON_CLAMP : horizon;
	u64 w = m->window ? m->window : SA_FC_WINDOW_MAX;
	u32 nr = m->nr_errs > SA_FC_ERRS ? SA_FC_ERRS : m->nr_errs, i;
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
	if (m->ticks < SA_FC_WINDOW_MAX || !nr) {
		u32 seen = m->ticks < w ? m->ticks : (u32)w;
		u64 recent = sa_fc_hist_sum(m, (m->hist_pos + SA_FC_WINDOW_MAX -
					    1) % SA_FC_WINDOW_MAX, seen);

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
 * sa_fc_error_permille() - mean absolute window error relative to demand
 * @m: the model
 *
 * Return: 1000 * sum |error| / sum actual, saturated at 10000; 0 before the
 * first scored window, 10000 if there was error but no demand.
 */
u32 sa_fc_error_permille(const struct sa_fc_model *m)
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

static u64 sa_fc_div_forecast(u64 v, u32 share)
{
	return v == SA_FC_NO_FORECAST ? v : div64_u64(v, share);
}

/**
 * sa_fc_inherit() - start a model from another one
 * @m: the new model (may be @from)
 * @from: the model to start from, e.g. the group's for a new VM
 * @share: how many ways the demand splits (0 is taken as 1)
 *
 * Everything that is pages (levels, trends, errors, history, forecasts,
 * error sums) is divided by @share; parameters, positions and the choice
 * of smoother carry over, so the new model forecasts at once.
 */
void sa_fc_inherit(struct sa_fc_model *m, const struct sa_fc_model *from,
		   u32 share)
{
	u32 i;

	if (m != from)
		memcpy(m, from, sizeof(*m));
	if (share <= 1)
		return;
	for (i = 0; i < SA_FC_BANK; i++) {
		m->bank[i].level = div64_s64(m->bank[i].level, share);
		m->bank[i].trend = div64_s64(m->bank[i].trend, share);
		m->bank[i].err = div64_s64(m->bank[i].err, share);
		m->bank[i].window_fc =
			sa_fc_div_forecast(m->bank[i].window_fc, share);
	}
	for (i = 0; i < SA_FC_WINDOW_MAX; i++) {
		m->hist[i] /= share;
		m->pending[i] = sa_fc_div_forecast(m->pending[i], share);
		m->naive[i] = sa_fc_div_forecast(m->naive[i], share);
	}
	for (i = 0; i < SA_FC_ERRS; i++) {
		m->errs[i] = div64_s64(m->errs[i], share);
		m->peaks[i] = div64_u64(m->peaks[i], share);
	}
	m->last_abs_err = div64_u64(m->last_abs_err, share);
	m->sum_abs_err = div64_u64(m->sum_abs_err, share);
	m->sum_naive_abs_err = div64_u64(m->sum_naive_abs_err, share);
	m->sum_actual = div64_u64(m->sum_actual, share);
}

/**
 * sa_fc_where_init() - start a where-predictor with no history
 * @w: the predictor
 *
 * Density starts at 0: 4 KiB blocks until regions are seen filled, since a
 * wrong 2 MiB guess stages 511 pages that may never be touched.
 */
void sa_fc_where_init(struct sa_fc_where *w)
{
	memset(w, 0, sizeof(*w));
}

/**
 * sa_fc_where_observe() - feed one mapping
 * @w: the predictor
 * @gpa: guest-physical address of the mapping
 * @pages: 4 KiB pages it maps (1, 512 for 2 MiB; 0 is taken as 1)
 *
 * Pages in the current 2 MiB region count towards its density; the first
 * mapping in another region closes the current one (its share of 512
 * pages goes into the density EWMA) and records the step between the two.
 * A mapping over several regions (1 GiB) makes the last of them current,
 * full: the regions inside it are dense and one step apart.
 */
void sa_fc_where_observe(struct sa_fc_where *w, u64 gpa, u32 pages)
{
	u64 region = gpa >> SA_FC_REGION_SHIFT;
	u64 last = (gpa + ((u64)(pages ? pages : 1) << 12) - 1) >>
		   SA_FC_REGION_SHIFT;
	u32 done;

	if (!pages)
		pages = 1;
	/* pages_in_region is 0 only before the first mapping */
	if (w->pages_in_region && region == w->last_region) {
		done = w->pages_in_region + pages;
		w->pages_in_region = done < SA_FC_REGION_PAGES ?
				     done : SA_FC_REGION_PAGES;
		if (last != region) {
			w->last_region = last;
			w->pages_in_region = SA_FC_REGION_PAGES;
		}
		return;
	}
	if (w->pages_in_region) {
		done = w->pages_in_region;
		w->steps[w->step_pos] = (s64)(region - w->last_region);
		w->step_pos = (w->step_pos + 1) % SA_FC_STEPS;
		if (w->nr_steps < SA_FC_STEPS)
			w->nr_steps++;
		w->dense += sa_fc_mul(((s64)done << SA_FC_SHIFT) /
				      SA_FC_REGION_PAGES - w->dense,
				      SA_FC_DENSE_GAIN);
		w->dense = sa_fc_clamp(w->dense, 0, SA_FC_ONE);
	}
	w->last_region = last;
	w->pages_in_region = last != region || pages >= SA_FC_REGION_PAGES ?
			     SA_FC_REGION_PAGES : pages;
}

/**
 * sa_fc_where_next() - the region a majority stride points to
 * @w: the predictor
 * @region: set to the predicted 2 MiB region (gpa >> 21)
 * @agree_permille: set to the share of recent steps that agree (may be NULL)
 *
 * Return: true if one step is more than half of at least 4 recent steps
 * and leads to a valid region; false otherwise (@region is left alone).
 */
bool sa_fc_where_next(const struct sa_fc_where *w, u64 *region,
		      u32 *agree_permille)
{
	u32 nr = w->nr_steps > SA_FC_STEPS ? SA_FC_STEPS : w->nr_steps;
	u32 i, j, count;
	s64 step;

	if (nr < SA_FC_STEPS_MIN)
		return false;
	for (i = 0; i < nr; i++) {
		step = w->steps[i];
		count = 0;
		for (j = 0; j < nr; j++)
			count += w->steps[j] == step;
		if (2 * count <= nr)
			continue;
		/* no step below region 0 or past the 64-bit address space */
		if ((step < 0 && sa_fc_abs(step) > w->last_region) ||
		    (step > 0 && w->last_region + step >
		     (~0ULL >> SA_FC_REGION_SHIFT)))
			return false;
		*region = w->last_region + step;
		if (agree_permille)
			*agree_permille = count * 1000 / nr;
		return true;
	}
	return false;
}

/**
 * sa_fc_where_huge() - would 2 MiB blocks be used whole?
 * @w: the predictor
 *
 * Return: true if recent regions had at least half their pages touched.
 */
bool sa_fc_where_huge(const struct sa_fc_where *w)
{
	return w->dense >= SA_FC_ONE / 2;
}

/*
 * The blob: a 16-byte header, then every field of struct sa_fc_model in
 * declaration order, little-endian, without padding:
 *
 *	magic u32, version u32, size u32 (whole blob), checksum u32 (FNV-1a
 *	over the payload);
 *	bank[6] { level s64, trend s64, err s64, window_fc u64 }, best u32,
 *	ticks u32, hist[64] u32, hist_pos u32, pending[64] u64,
 *	naive[64] u64, window u32, phase u32, errs[32] s64, peaks[32] u64,
 *	err_pos u32,
 *	nr_errs u32, last_abs_err u64, sum_abs_err u64,
 *	sum_naive_abs_err u64, sum_actual u64, nr_windows u64.
 */
#define SA_FC_BLOB_HDR		16
#define SA_FC_BLOB_PAYLOAD	(SA_FC_BANK * 32 + 4 + 4 +		\
				 SA_FC_WINDOW_MAX * 4 + 4 +		\
				 SA_FC_WINDOW_MAX * 8 * 2 + 4 + 4 +	\
				 SA_FC_ERRS * 8 * 2 + 4 + 4 + 5 * 8)

#define SA_FC_FNV_OFFSET	2166136261U
#define SA_FC_FNV_PRIME		16777619U

static u32 sa_fc_fnv1a(const u8 *p, size_t len)
{
	u32 h = SA_FC_FNV_OFFSET;

	while (len--) {
		h ^= *p++;
		h *= SA_FC_FNV_PRIME;
	}
	return h;
}

/**
 * sa_fc_blob_size() - bytes of a model blob
 *
 * Return: the size of every version-1 blob.
 */
size_t sa_fc_blob_size(void)
{
	return SA_FC_BLOB_HDR + SA_FC_BLOB_PAYLOAD;
}

static void sa_fc_put32(u8 **p, u32 v)
{
	u32 i;

	for (i = 0; i < 4; i++)
		*(*p)++ = (u8)(v >> (8 * i));
}

static void sa_fc_put64(u8 **p, u64 v)
{
	sa_fc_put32(p, (u32)v);
	sa_fc_put32(p, (u32)(v >> 32));
}

static u32 sa_fc_get32(const u8 **p)
{
	u32 v = 0, i;

	for (i = 0; i < 4; i++)
		v |= (u32)*(*p)++ << (8 * i);
	return v;
}

static u64 sa_fc_get64(const u8 **p)
{
	u64 lo = sa_fc_get32(p);

	return lo | (u64)sa_fc_get32(p) << 32;
}

/**
 * sa_fc_export() - write a model blob
 * @m: the model
 * @buf: sa_fc_blob_size() bytes, any alignment
 */
void sa_fc_export(const struct sa_fc_model *m, void *buf)
{
	u8 *start = buf, *p = start + SA_FC_BLOB_HDR;
	u32 i;

	for (i = 0; i < SA_FC_BANK; i++) {
		sa_fc_put64(&p, m->bank[i].level);
		sa_fc_put64(&p, m->bank[i].trend);
		sa_fc_put64(&p, m->bank[i].err);
		sa_fc_put64(&p, m->bank[i].window_fc);
	}
	sa_fc_put32(&p, m->best);
	sa_fc_put32(&p, m->ticks);
	for (i = 0; i < SA_FC_WINDOW_MAX; i++)
		sa_fc_put32(&p, m->hist[i]);
	sa_fc_put32(&p, m->hist_pos);
	for (i = 0; i < SA_FC_WINDOW_MAX; i++)
		sa_fc_put64(&p, m->pending[i]);
	for (i = 0; i < SA_FC_WINDOW_MAX; i++)
		sa_fc_put64(&p, m->naive[i]);
	sa_fc_put32(&p, m->window);
	sa_fc_put32(&p, m->phase);
	for (i = 0; i < SA_FC_ERRS; i++)
		sa_fc_put64(&p, m->errs[i]);
	for (i = 0; i < SA_FC_ERRS; i++)
		sa_fc_put64(&p, m->peaks[i]);
	sa_fc_put32(&p, m->err_pos);
	sa_fc_put32(&p, m->nr_errs);
	sa_fc_put64(&p, m->last_abs_err);
	sa_fc_put64(&p, m->sum_abs_err);
	sa_fc_put64(&p, m->sum_naive_abs_err);
	sa_fc_put64(&p, m->sum_actual);
	sa_fc_put64(&p, m->nr_windows);

	p = start;
	sa_fc_put32(&p, SA_FC_BLOB_MAGIC);
	sa_fc_put32(&p, SA_FC_BLOB_VERSION);
	sa_fc_put32(&p, (u32)sa_fc_blob_size());
	sa_fc_put32(&p, sa_fc_fnv1a(start + SA_FC_BLOB_HDR,
				    SA_FC_BLOB_PAYLOAD));
}

static bool sa_fc_forecast_ok(u64 v)
{
	return v == SA_FC_NO_FORECAST || v <= SA_FC_WINDOW_PAGES_MAX;
}

/*
 * Read a payload, checking every value against what sa_fc_observe() can
 * produce; store into @m only if it is not NULL. Return: 0 or -EINVAL.
 */
static int sa_fc_decode(const u8 *p, struct sa_fc_model *m)
{
	struct sa_fc_holt b;
	u32 v32, i;
	u64 v64;
	s64 e;

	for (i = 0; i < SA_FC_BANK; i++) {
		b.level = (s64)sa_fc_get64(&p);
		b.trend = (s64)sa_fc_get64(&p);
		b.err = (s64)sa_fc_get64(&p);
		b.window_fc = sa_fc_get64(&p);
		if (b.level < 0 || b.level > SA_FC_LEVEL_MAX ||
		    b.trend < -SA_FC_LEVEL_MAX || b.trend > SA_FC_LEVEL_MAX ||
		    b.err < 0 || b.err > SA_FC_ERR_MAX ||
		    !sa_fc_forecast_ok(b.window_fc))
			return -EINVAL;
		if (m)
			m->bank[i] = b;
	}
	v32 = sa_fc_get32(&p);
	if (v32 >= SA_FC_BANK)
		return -EINVAL;
	if (m)
		m->best = v32;
	v32 = sa_fc_get32(&p);
	if (m)
		m->ticks = v32;
	for (i = 0; i < SA_FC_WINDOW_MAX; i++) {
		v32 = sa_fc_get32(&p);
		if (m)
			m->hist[i] = v32;
	}
	v32 = sa_fc_get32(&p);
	if (v32 >= SA_FC_WINDOW_MAX)
		return -EINVAL;
	if (m)
		m->hist_pos = v32;
	for (i = 0; i < 2 * SA_FC_WINDOW_MAX; i++) {
		v64 = sa_fc_get64(&p);
		if (!sa_fc_forecast_ok(v64))
			return -EINVAL;
		if (m && i < SA_FC_WINDOW_MAX)
			m->pending[i] = v64;
		else if (m)
			m->naive[i - SA_FC_WINDOW_MAX] = v64;
	}
	v32 = sa_fc_get32(&p);
	i = sa_fc_get32(&p);
	if (v32 > SA_FC_WINDOW_MAX || i > SA_FC_WINDOW_MAX)
		return -EINVAL;
	if (m) {
		m->window = v32;
		m->phase = i;
	}
	for (i = 0; i < SA_FC_ERRS; i++) {
		e = (s64)sa_fc_get64(&p);
		if (sa_fc_abs(e) > SA_FC_WINDOW_PAGES_MAX)
			return -EINVAL;
		if (m)
			m->errs[i] = e;
	}
	for (i = 0; i < SA_FC_ERRS; i++) {
		v64 = sa_fc_get64(&p);
		if (v64 > SA_FC_WINDOW_PAGES_MAX)
			return -EINVAL;
		if (m)
			m->peaks[i] = v64;
	}
	v32 = sa_fc_get32(&p);
	i = sa_fc_get32(&p);
	/*
	 * The ring fills from slot 0: until it is full, the count is the
	 * next slot, or one more while that slot's half window is open.
	 */
	if (v32 >= SA_FC_ERRS || i > SA_FC_ERRS ||
	    (i < SA_FC_ERRS && i != v32 && i != v32 + 1))
		return -EINVAL;
	if (m) {
		m->err_pos = v32;
		m->nr_errs = i;
		m->last_abs_err = sa_fc_get64(&p);
		m->sum_abs_err = sa_fc_get64(&p);
		m->sum_naive_abs_err = sa_fc_get64(&p);
		m->sum_actual = sa_fc_get64(&p);
		m->nr_windows = sa_fc_get64(&p);
	}
	return 0;
}

/**
 * sa_fc_import() - read a model blob
 * @m: the model, written only if the blob is valid
 * @buf: the blob
 * @len: its length in bytes
 *
 * Checks, in order: length and magic, version, the size field, the
 * checksum, then every field's range (a blob with a valid checksum can
 * still have been written by something other than sa_fc_export()).
 *
 * Return: 0; -EINVAL for a bad length, magic, size or a value out of
 * range; -EPROTONOSUPPORT for another version; -EBADMSG for a checksum
 * mismatch.
 */
int sa_fc_import(struct sa_fc_model *m, const void *buf, size_t len)
{
	const u8 *start = buf, *p = start;
	u32 magic, version, size, sum;
	int ret;

	if (len < SA_FC_BLOB_HDR)
		return -EINVAL;
	magic = sa_fc_get32(&p);
	version = sa_fc_get32(&p);
	size = sa_fc_get32(&p);
	sum = sa_fc_get32(&p);
	if (magic != SA_FC_BLOB_MAGIC)
		return -EINVAL;
	/* another version may have another size: say so before the size */
	if (version != SA_FC_BLOB_VERSION)
		return -EPROTONOSUPPORT;
	if (size != sa_fc_blob_size() || len != size)
		return -EINVAL;
	if (sa_fc_fnv1a(p, SA_FC_BLOB_PAYLOAD) != sum)
		return -EBADMSG;
	ret = sa_fc_decode(p, NULL);
	if (ret)
		return ret;
	return sa_fc_decode(p, m);
}
