// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc forecaster: the staging target. The forecast path (the
 * cumulative demand expected over the next ticks: the background's
 * expert plus every known launch's profile), the refill budget (what the
 * pool can zero per tick while the path unfolds) and the safety stock (the
 * residuals' fill-rate quantile) give the pages the pool should hold.
 * Documentation/forecast.rst derives the rule.
 *
 * Pure C, built into the module and into userspace (see internal.h).
 */
#include "internal.h"

/* Refills at or above this per tick count as unlimited (2^40 pages). */
#define SA_FORECAST_REFILL_UNLIMITED	(1ULL << 40)

/* The background's forecast for the @k-th tick ahead, by @expert. */
static u64 sa_forecast_background_at(const struct sa_forecast_model *m,
				     u32 expert, u32 k)
{
	if (expert == SA_FORECAST_EXPERT_SEASONAL)
		return sa_forecast_period_at(&m->period, k);
	return sa_forecast_bank_at(m, k);
}

/*
 * The tick the seasonal repeat stages on top of a path of @k ticks, its
 * allowance for a burst one tick early; none for the smoothers.
 */
static u64 sa_forecast_background_early(const struct sa_forecast_model *m,
					u32 expert, u32 k)
{
	if (expert != SA_FORECAST_EXPERT_SEASONAL)
		return 0;
	return sa_forecast_period_at(&m->period, k + 1);
}

/**
 * sa_forecast_background_cum() - the background's demand over some ticks
 * @m: the model
 * @expert: SA_FORECAST_EXPERT_*
 * @k: ticks ahead
 * @early: allow for a recurring burst one tick early (staging), or not
 *	(the expected demand, which the window forecast is)
 *
 * The seasonal repeat is exact about what recurs and only roughly about
 * when: a burst that comes a tick early would be missed, one that comes
 * late finds its pages still staged. Staging therefore counts one tick
 * more of the repeat; the smoothers need no such allowance.
 *
 * Return: pages.
 */
u64 sa_forecast_background_cum(const struct sa_forecast_model *m, u32 expert,
			       u32 k, bool early)
{
	u64 sum = 0;
	u32 i;

	for (i = 1; i <= k; i++)
		sum += sa_forecast_background_at(m, expert, i);
	return sum + (early ? sa_forecast_background_early(m, expert, k) : 0);
}

/*
 * What the launches will want within @k ticks, placed by @align: all of
 * them (SA_FORECAST_LAUNCHES_ALL), or only those that have faulted
 * (_RUNNING) or not yet (_WAITING).
 */
u64 sa_forecast_launches_need(const struct sa_forecast_model *m,
			      const struct sa_forecast_launch *launches,
			      u32 nr, u32 k, u32 align, u32 which)
{
	u64 need = 0;
	u32 i;

	for (i = 0; i < nr; i++) {
		if ((which == SA_FORECAST_LAUNCHES_RUNNING && !launches[i].total) ||
		    (which == SA_FORECAST_LAUNCHES_WAITING && launches[i].total))
			continue;
		need += sa_forecast_profile_need(&m->profile, &launches[i], k,
						 align);
	}
	return need;
}

/*
 * Ticks the path may look ahead: the horizon, at most
 * SA_FORECAST_WINDOW_MAX, and during its first SA_FORECAST_WINDOW_MAX
 * ticks a model looks no further ahead than it has looked back: one busy
 * first tick says little about the next seconds.
 */
static u32 sa_forecast_path_len(const struct sa_forecast_model *m, u32 horizon)
{
	u32 k = horizon < SA_FORECAST_WINDOW_MAX ? horizon : SA_FORECAST_WINDOW_MAX;

	if (m->ticks < SA_FORECAST_WINDOW_MAX && k > m->ticks)
		k = m->ticks;
	return k ? k : 1;
}

/**
 * sa_forecast_demand() - forecast demand over a horizon, without stock
 * @m: the model
 * @launches: the launches running, as passed to the last observe
 * @nr: their number
 * @horizon: ticks ahead
 *
 * The background's expert summed over the ticks plus each known launch's
 * profile need. Horizons longer than SA_FORECAST_WINDOW_MAX ticks are
 * the SA_FORECAST_WINDOW_MAX-tick forecast scaled.
 *
 * Return: pages.
 */
u64 sa_forecast_demand(const struct sa_forecast_model *m,
		       const struct sa_forecast_launch *launches, u32 nr,
		       u32 horizon)
{
	u32 h = horizon < SA_FORECAST_WINDOW_MAX ? horizon : SA_FORECAST_WINDOW_MAX;
	u64 sum;

	sum = sa_forecast_background_cum(m, m->expert, h, false) +
	      sa_forecast_launches_need(m, launches, nr, h, m->align,
					SA_FORECAST_LAUNCHES_ALL);
	if (horizon > h)
		sum = div64_u64(sum * (horizon > SA_FORECAST_HORIZON_CLAMP ?
				       SA_FORECAST_HORIZON_CLAMP : horizon), h);
	return sum;
}

/**
 * sa_forecast_stock_of() - safety stock of a residual ring
 * @resid: one-step residuals (demand - forecast, pages)
 * @more: residuals of the same ticks to add to @resid's, or NULL
 * @demand: the demand of the same ticks
 * @n: valid entries, at most SA_FORECAST_STOCK
 * @fill_permille: the share of demand the pool should serve
 *
 * The smallest stock s such that, had it been added to every one-step
 * forecast of those ticks, the demand the pool would still have missed,
 * sum (residual - s)^+, is at most (1 - fill) of their demand: the
 * fill-rate (type 2 service level) rule of inventory theory on the
 * empirical residuals. It adapts by itself: a forecaster that gets better
 * needs less, bursts nothing forecasts raise it.
 *
 * Return: pages.
 */
u64 sa_forecast_stock_of(const s64 *resid, const s64 *more, const u32 *demand,
			 u32 n, u32 fill_permille)
{
	s64 pos[SA_FORECAST_STOCK];
	u64 total = 0, allowed, sum = 0, s;
	u32 nr = 0, i, j, fill;

	fill = fill_permille < SA_FORECAST_FILL_MIN ? SA_FORECAST_FILL_MIN :
	       fill_permille > SA_FORECAST_FILL_MAX ? SA_FORECAST_FILL_MAX :
	       fill_permille;
	for (i = 0; i < n && i < SA_FORECAST_STOCK; i++) {
		s64 r = resid[i] + (more ? more[i] : 0);

		total += demand[i];
		if (r <= 0)
			continue;
		/* insertion into descending order */
		for (j = nr++; j > 0 && pos[j - 1] < r; j--)
			pos[j] = pos[j - 1];
		pos[j] = r;
	}
	/* total < 2^38 (64 ticks of u32): the product fits */
	allowed = div64_u64(total * (1000 - fill), 1000);
	/*
	 * With the i + 1 largest residuals above s, the shortage is
	 * sum_{j<=i} pos[j] - (i + 1) s: the first i where the s that makes
	 * it the allowed one is at least the next residual.
	 */
	for (i = 0; i < nr; i++) {
		sum += (u64)pos[i];
		if (sum <= allowed)
			continue;
		s = div64_u64(sum - allowed + i, i + 1);
		if (i + 1 == nr || s >= (u64)pos[i + 1])
			return s;
	}
	return 0;
}

/**
 * sa_forecast_stock() - safety stock for a fill-rate goal
 * @m: the model
 * @fill_permille: the share of demand the pool should serve
 *
 * sa_forecast_stock_of() on the total demand's one-step residuals: the
 * current background expert's plus the current alignment's.
 *
 * Return: pages.
 */
u64 sa_forecast_stock(const struct sa_forecast_model *m, u32 fill_permille)
{
	return sa_forecast_stock_of(m->expert_resid[m->expert], m->resid[m->align],
				    m->resid_demand, m->nr_resid, fill_permille);
}

/**
 * sa_forecast_target() - the staging target after a tick
 * @m: the model
 * @launches: the launches running, as passed to the last observe
 * @nr: their number
 * @horizon: ticks to look ahead
 * @refill: pages the refill can stage per tick (2^40 or more: unlimited)
 * @fill_permille: fill-rate goal for the safety stock
 *
 * With C_k the forecast demand of the next k ticks and the pool refilled
 * by at most @refill pages per tick, serving the whole path needs
 * max over k of C_k - (k - 1) @refill pages staged now: the deficit the
 * refill cannot make up in time, which is just the next tick's demand when
 * the refill keeps up and grows with a burst it cannot zero fast enough.
 * Launches that have not faulted yet get the profile's whole path staged
 * ahead, with no credit for the refill: served from the pool, a launch
 * runs faster than the one the profile learned from (its first touches
 * are hits), so its ticks come closer together than the profile's. The
 * safety stock comes on top. Nothing beyond the path is staged: what the
 * refill can stage in time need not sit in the pool.
 *
 * Return: pages.
 */
u64 sa_forecast_target(const struct sa_forecast_model *m,
		       const struct sa_forecast_launch *launches, u32 nr,
		       u32 horizon, u64 refill, u32 fill_permille)
{
	u32 len = sa_forecast_path_len(m, horizon), k;
	u64 best = 0, background = 0, c;

	if (!m->ticks)
		return 0;
	if (refill >= SA_FORECAST_REFILL_UNLIMITED)
		len = 1;
	for (k = 1; k <= len; k++) {
		/* the background's path so far, one tick longer each turn */
		background += sa_forecast_background_at(m, m->expert, k);
		c = background + sa_forecast_background_early(m, m->expert, k) +
		    sa_forecast_launches_need(m, launches, nr, k, m->align,
					      SA_FORECAST_LAUNCHES_RUNNING);
		c = c > (k - 1) * refill ? c - (k - 1) * refill : 0;
		if (c > best)
			best = c;
	}
	return best + sa_forecast_launches_need(m, launches, nr, len, m->align,
						SA_FORECAST_LAUNCHES_WAITING) +
	       sa_forecast_stock(m, fill_permille);
}
