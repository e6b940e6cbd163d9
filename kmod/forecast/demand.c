// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc forecaster: the Holt bank, the background demand's
 * level-and-trend expert: a bank of Holt smoothers scored on window
 * forecasts, the best of which forecasts. Documentation/forecast.rst
 * describes the model.
 *
 * Pure C, built into the module and into userspace (see internal.h).
 */
#include "internal.h"

/* The prior's smoother: alpha 0.2, beta 0.05, between slow and fast. */
#define SA_FORECAST_PRIOR_BEST	2

/*
 * The bank, slow to fast. Windows are sums of up to 64 ticks, so the noise
 * of a level and, far more, of a trend (multiplied by w^2 / 2) decides
 * the window error: the two slowest smoothers have no trend, and the
 * slowest (alpha 1/256, a mean over about 25 s) is what keeps the window
 * forecast steady under bursts that are neither periodic (period.c) nor
 * part of a launch (profile.c); the safety stock covers them.
 * Alpha 0.2 and 0.5 with a slow trend follow ramps; 0.5 and 0.8 with a
 * fast trend follow steps and ramps that change slope.
 */
const u16 sa_forecast_alpha[SA_FORECAST_BANK] = {
	256, 3277, 13107, 32768, 32768, 52429
};

const u16 sa_forecast_beta[SA_FORECAST_BANK] = {
	0, 0, 3277, 3277, 19661, 19661
};

/* (n * g + 2^(s-1)) >> s for n < 2^32, 0 <= g < 2^62, without overflow. */
static u64 sa_forecast_mul_shr(u64 n, u64 g, unsigned int s)
{
	u64 lo = g & ((1ULL << s) - 1);

	return n * (g >> s) + ((n * lo + (1ULL << (s - 1))) >> s);
}

/**
 * sa_forecast_bank_init() - the bank's prior
 * @m: the model, zeroed
 *
 * The middle smoother forecasts until the errors say otherwise.
 */
void sa_forecast_bank_init(struct sa_forecast_model *m)
{
	u32 i;

	m->best = SA_FORECAST_PRIOR_BEST;
	for (i = 0; i < SA_FORECAST_BANK; i++)
		m->bank[i].window_fc = SA_FORECAST_NONE;
}

/**
 * sa_forecast_bank_update() - one background sample through every smoother
 * @m: the model; @m->ticks counts the samples before this one
 * @pages: the tick's background demand
 */
void sa_forecast_bank_update(struct sa_forecast_model *m, u32 pages)
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

/**
 * sa_forecast_bank_score() - score the smoothers on the window that ended
 * @m: the model
 * @actual: background pages of the window
 * @w: the window (ticks)
 *
 * Every @w ticks: score each smoother's forecast for the window that
 * ended and let the best take over. Smoothers are judged
 * on window forecasts, what the model is used for, not on one-step errors:
 * on intermittent demand the one-step absolute error favours whatever
 * predicts 0 between bursts and chases each burst, and its window sums
 * then overshoot by the whole extrapolated burst.
 */
void sa_forecast_bank_score(struct sa_forecast_model *m, u64 actual, u32 w)
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
 * sa_forecast_bank_at() - the best smoother's forecast for one tick ahead
 * @m: the model
 * @k: ticks ahead, 1 for the coming tick
 *
 * Return: level + k * trend in pages, clamped to 0..2^32, rounded.
 */
u64 sa_forecast_bank_at(const struct sa_forecast_model *m, u32 k)
{
	const struct sa_forecast_holt *b = &m->bank[m->best < SA_FORECAST_BANK ?
						   m->best : 0];
	s64 trend = sa_forecast_clamp(b->trend, -SA_FORECAST_LEVEL_MAX,
				      SA_FORECAST_LEVEL_MAX);
	/* |trend| <= 2^48 and k <= 65 (a path's ticks and one): below 2^55 */
	s64 v = b->level + trend * (s64)(k > SA_FORECAST_WINDOW_MAX + 1 ?
					 SA_FORECAST_WINDOW_MAX + 1 : k);

	v = sa_forecast_clamp(v, 0, SA_FORECAST_LEVEL_MAX);
	return ((u64)v + SA_FORECAST_ONE / 2) >> SA_FORECAST_SHIFT;
}
