// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc forecaster: a group's model, one tick at a time. Each tick
 * reads top to bottom: score the forecast made a tick ago, split the
 * demand into what launch profiles explain and the background, learn
 * (profiles, Holt bank, period detector), pick the background's expert,
 * and make the next forecasts. Documentation/forecast.rst describes it.
 *
 * Pure C, built into the module and into userspace (see internal.h).
 */
#include "internal.h"

static u64 sa_forecast_sat_add(u64 a, u64 b)
{
	return a + b < a ? ~0ULL : a + b;
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
 * The prior is zero demand, no launch profile, no period and no residuals,
 * so no safety stock: a new group stages nothing on the forecaster's
 * account until it has seen demand. Cold start is covered by an explicit
 * reservation or by importing a learned model (profiles travel in it); a
 * default stock would be staged, aged out and staged again on every idle
 * group, which is waste by construction.
 */
void sa_forecast_init(struct sa_forecast_model *m)
{
	u32 i;

	memset(m, 0, sizeof(*m));
	sa_forecast_bank_init(m);
	for (i = 0; i < SA_FORECAST_WINDOW_MAX; i++) {
		m->pending[i] = SA_FORECAST_NONE;
		m->naive[i] = SA_FORECAST_NONE;
	}
	m->next[0] = SA_FORECAST_NONE;
	m->expert = SA_FORECAST_EXPERT_HOLT;
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

/* The window that ended: every one counts in the error sums. */
static void sa_forecast_score(struct sa_forecast_model *m, u64 actual,
			      u64 forecast, u64 naive)
{
	m->last_abs_err = sa_forecast_abs((s64)actual - (s64)forecast);
	m->sum_abs_err = sa_forecast_sat_add(m->sum_abs_err, m->last_abs_err);
	m->sum_naive_abs_err = sa_forecast_sat_add(m->sum_naive_abs_err,
						   sa_forecast_abs((s64)actual -
						       (s64)naive));
	m->sum_actual = sa_forecast_sat_add(m->sum_actual, actual);
	m->sum_overlap = sa_forecast_sat_add(m->sum_overlap, actual < forecast ?
					     actual : forecast);
	m->sum_union = sa_forecast_sat_add(m->sum_union, actual > forecast ?
					   actual : forecast);
	if (m->nr_windows != ~0ULL)
		m->nr_windows++;
}

/*
 * The one-step residuals of the forecasts made a tick ago: the launches'
 * on their @profiled pages, each background expert's on @background.
 */
static void sa_forecast_residual(struct sa_forecast_model *m, u32 pages,
				 u64 profiled, u32 background)
{
	u32 pos = m->resid_pos, e;

	if (m->next[0] == SA_FORECAST_NONE)
		return;
	for (e = 0; e < SA_FORECAST_ALIGNS; e++)
		m->resid[e][pos] = (s64)profiled - (s64)m->next[e];
	m->resid_demand[pos] = pages;
	m->background[pos] = background;
	for (e = 0; e < SA_FORECAST_EXPERTS; e++)
		m->expert_resid[e][pos] = (s64)background -
					  (s64)m->expert_next[e];
	m->resid_pos = (pos + 1) % SA_FORECAST_STOCK;
	if (m->nr_resid < SA_FORECAST_STOCK)
		m->nr_resid++;
}

/*
 * What a forecast would cost over the residuals' span: the pages held for
 * it plus the safety stock its @resid need for the same fill rate of
 * @demand, less the demand served: stock - mean residual. Experts and
 * alignments are judged on the pool's objective, memory at a given hit
 * rate, not on a symmetric error: a repeat that stages a burst a tick
 * early costs a tick of holding, a mean that misses it costs the burst as
 * stock.
 */
static s64 sa_forecast_cost(const struct sa_forecast_model *m, const s64 *resid,
			    const u32 *demand)
{
	s64 sum = 0;
	u32 i;

	for (i = 0; i < m->nr_resid; i++)
		sum += resid[i];
	return (s64)sa_forecast_stock_of(resid, NULL, demand, m->nr_resid,
					 SA_FORECAST_FILL_DEFAULT) -
	       div64_s64(sum, m->nr_resid);
}

/* Of two choices, @cur stays unless the other is clearly cheaper. */
static u32 sa_forecast_cheaper(u32 cur, s64 cost_cur, s64 cost_alt)
{
	if (cost_alt < cost_cur -
		       (s64)(sa_forecast_abs(cost_cur) >> SA_FORECAST_SWITCH_SHIFT))
		return !cur;
	return cur;
}

/*
 * The cheaper expert forecasts the background and the cheaper alignment
 * places the launches, each with hysteresis.
 */
static void sa_forecast_pick(struct sa_forecast_model *m)
{
	u32 e = m->expert, a = m->align;

	if (!m->nr_resid)
		return;
	m->align = sa_forecast_cheaper(a,
			sa_forecast_cost(m, m->resid[a], m->resid_demand),
			sa_forecast_cost(m, m->resid[!a], m->resid_demand));
	if (!m->period.lag) {
		m->expert = SA_FORECAST_EXPERT_HOLT;
		return;
	}
	m->expert = sa_forecast_cheaper(e,
			sa_forecast_cost(m, m->expert_resid[e], m->background),
			sa_forecast_cost(m, m->expert_resid[!e], m->background));
}

/**
 * sa_forecast_observe() - feed one tick's demand
 * @m: the model
 * @pages: pages first-touched in the tick, by every VM of the group
 * @launches: the launches running in the tick (ages below
 *	SA_FORECAST_PROFILE_AGES), with their pages of @pages
 * @nr: number of @launches
 * @window: horizon in ticks, 1..SA_FORECAST_WINDOW_MAX (clamped)
 *
 * Scores the window that ends with this tick against the forecast made
 * @window ticks ago (and the last-value forecast made then, the
 * baseline) and the one-step forecast made a tick ago (its residual feeds
 * the safety stock). The demand of launches whose age the profile knows
 * is the profile's; the rest is the background, which the Holt bank and
 * the period detector learn and the better of them forecasts. Every
 * @window ticks the bank's smoothers are scored on the background's
 * window. A @window other than the previous call's drops the recorded
 * window forecasts, which were for another length. Call it for every
 * tick, including those without demand.
 */
void sa_forecast_observe(struct sa_forecast_model *m, u32 pages,
			 const struct sa_forecast_launch *launches, u32 nr,
			 u32 window)
{
	u32 w = sa_forecast_window(window);
	u32 pos = m->hist_pos % SA_FORECAST_WINDOW_MAX;
	u32 from = (pos + SA_FORECAST_WINDOW_MAX - w) % SA_FORECAST_WINDOW_MAX;
	u64 forecast, naive, actual, profiled = 0;
	u32 background, i;

	/*
	 * A model starts at its first demand or launch: idle ticks before
	 * (a group enabled ahead of its VMs) would only teach zeros.
	 */
	if (!m->ticks && !pages && !nr)
		return;
	if (w != m->window) {
		for (i = 0; i < SA_FORECAST_WINDOW_MAX; i++) {
			m->pending[i] = SA_FORECAST_NONE;
			m->naive[i] = SA_FORECAST_NONE;
		}
		for (i = 0; i < SA_FORECAST_BANK; i++)
			m->bank[i].window_fc = SA_FORECAST_NONE;
		m->window = w;
		m->phase = w;
	}
	/* Read before this tick's forecast overwrites them (w == max). */
	forecast = m->pending[from];
	naive = m->naive[from];

	/* 1. the profile's share (ages it knew before this tick), the rest */
	for (i = 0; i < nr; i++)
		if (launches[i].total &&
		    sa_forecast_profile_knows(&m->profile, launches[i].age))
			profiled += launches[i].pages;
	background = profiled < pages ? pages - (u32)profiled : 0;

	/* 2. what the last tick's forecasts missed by; the cheaper expert */
	sa_forecast_residual(m, pages, profiled, background);
	sa_forecast_pick(m);

	/* 3. learn */
	for (i = 0; i < nr; i++)
		sa_forecast_profile_learn(&m->profile, &launches[i]);
	sa_forecast_bank_update(m, background);
	sa_forecast_period_update(&m->period, background);
	m->hist[pos] = pages;
	actual = sa_forecast_hist_sum(m, pos, w);
	if (++m->phase >= w) {
		sa_forecast_bank_score(m, sa_forecast_period_recent(&m->period, w), w);
		m->phase = 0;
	}
	if (forecast != SA_FORECAST_NONE && naive != SA_FORECAST_NONE)
		sa_forecast_score(m, actual, forecast, naive);
	if (m->ticks != ~0U)
		m->ticks++;

	/* 4. the next forecasts */
	/* as staged: each expert's next tick, the total's */
	for (i = 0; i < SA_FORECAST_EXPERTS; i++)
		m->expert_next[i] = sa_forecast_background_cum(m, i, 1, true);
	for (i = 0; i < SA_FORECAST_ALIGNS; i++)
		m->next[i] = sa_forecast_launches_need(m, launches, nr, 1, i,
						       SA_FORECAST_LAUNCHES_ALL);
	m->pending[pos] = sa_forecast_demand(m, launches, nr, w);
	/* The history holds a whole window once w samples were seen. */
	m->naive[pos] = m->ticks >= w ? actual : SA_FORECAST_NONE;
	m->hist_pos = (pos + 1) % SA_FORECAST_WINDOW_MAX;
}

/* 1000 * @err / @actual over the model's windows, saturated at 10000. */
static u32 sa_forecast_permille(const struct sa_forecast_model *m, u64 err)
{
	u64 actual = m->sum_actual;

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

/**
 * sa_forecast_error_permille() - mean absolute window error relative to demand
 * @m: the model
 *
 * Return: 1000 * sum |error| / sum actual, saturated at 10000; 0 before the
 * first scored window, 10000 if there was error but no demand.
 */
u32 sa_forecast_error_permille(const struct sa_forecast_model *m)
{
	return sa_forecast_permille(m, m->sum_abs_err);
}

/**
 * sa_forecast_naive_error_permille() - the same for the last-value forecast
 * @m: the model
 *
 * On the same windows and computed the same way as
 * sa_forecast_error_permille(), the baseline it is compared with.
 *
 * Return: permille, saturated at 10000.
 */
u32 sa_forecast_naive_error_permille(const struct sa_forecast_model *m)
{
	return sa_forecast_permille(m, m->sum_naive_abs_err);
}

/**
 * sa_forecast_accuracy_permille() - how much of forecast and demand agree
 * @m: the model
 *
 * Over every completed window, sum min(forecast, actual) / sum
 * max(forecast, actual): 1000 when every window's forecast was exact, 0
 * when the forecast and the demand never overlapped, and over- and
 * under-forecasts by the same factor count alike. Unlike 1 - relative
 * error it is bounded and does not stick at 0 once errors exceed the
 * demand.
 *
 * Return: permille; 0 before the first scored window.
 */
u32 sa_forecast_accuracy_permille(const struct sa_forecast_model *m)
{
	u64 overlap = m->sum_overlap, all = m->sum_union;

	if (!all)
		return 0;
	while (overlap > ~0ULL / 1000) {
		overlap >>= 1;
		all >>= 1;
	}
	return (u32)div64_u64(overlap * 1000, all);
}
