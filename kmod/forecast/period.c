// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc forecaster: recurring bursts. The autocorrelation of the
 * background demand (what no launch profile explains) over lags up to
 * SA_FORECAST_PERIOD_MAX ticks, kept as EWMAs so each tick costs one pass
 * over the lags; the lag that correlates best, if it correlates by more
 * than 1/2, is the period, and the seasonal forecast repeats the demand
 * one period back. Documentation/forecast.rst derives the rules.
 *
 * Pure C, built into the module and into userspace (see internal.h).
 */
#include "internal.h"

/*
 * Gain of the mean and autocovariance EWMAs: 1/256 of a tick's weight,
 * a memory of about 256 ticks, four of the longest periods, so a period
 * is confirmed by several repetitions before it counts.
 */
#define SA_FORECAST_PERIOD_GAIN		(SA_FORECAST_ONE / 256)
/* Samples are clamped here for the covariances: products stay < 2^48. */
#define SA_FORECAST_PERIOD_CLAMP	(1U << 24)
/* A period must have been seen this many times over. */
#define SA_FORECAST_PERIOD_REPEATS	4

static u32 sa_forecast_period_back(const struct sa_forecast_period *p, u32 back)
{
	return p->x[(p->pos + SA_FORECAST_PERIOD_HIST - 1 - back) %
		    SA_FORECAST_PERIOD_HIST];
}

static s64 sa_forecast_period_dev(const struct sa_forecast_period *p, u32 x)
{
	u32 v = x < SA_FORECAST_PERIOD_CLAMP ? x : SA_FORECAST_PERIOD_CLAMP;

	return (s64)v - (p->mean >> SA_FORECAST_SHIFT);
}

/*
 * The period: the lag with the largest autocovariance, if its
 * autocorrelation is above 1/2. That is where repeating the demand one
 * lag back beats forecasting its mean: for a stationary series with
 * variance s^2 the repeat's squared error is 2 s^2 (1 - rho), the mean's
 * s^2. Lag 1 is no period (that is a level, the smoothers' job).
 */
static u32 sa_forecast_period_detect(const struct sa_forecast_period *p)
{
	u32 k, lag = 0;
	s64 best = 0;

	if (p->cov[0] <= 0)
		return 0;
	for (k = 2; k <= SA_FORECAST_PERIOD_MAX; k++) {
		if ((u64)k * SA_FORECAST_PERIOD_REPEATS > p->n)
			break;
		if (2 * p->cov[k] > p->cov[0] && p->cov[k] > best) {
			best = p->cov[k];
			lag = k;
		}
	}
	return lag;
}

/**
 * sa_forecast_period_update() - one background sample
 * @p: the detector
 * @pages: the tick's background demand
 *
 * While 1 / (n + 1) is larger than the gain, that is the gain: the first
 * estimates are plain means, not a first sample decaying slowly.
 */
void sa_forecast_period_update(struct sa_forecast_period *p, u32 pages)
{
	u32 gain = p->n < SA_FORECAST_ONE / SA_FORECAST_PERIOD_GAIN ?
		   (u32)(SA_FORECAST_ONE / (p->n + 1)) : SA_FORECAST_PERIOD_GAIN;
	u32 v = pages < SA_FORECAST_PERIOD_CLAMP ? pages : SA_FORECAST_PERIOD_CLAMP;
	u32 k, lags;
	s64 d;

	p->x[p->pos] = pages;
	p->pos = (p->pos + 1) % SA_FORECAST_PERIOD_HIST;
	p->mean += sa_forecast_mul(((s64)v << SA_FORECAST_SHIFT) - p->mean, gain);
	d = sa_forecast_period_dev(p, pages);
	lags = p->n < SA_FORECAST_PERIOD_MAX ? p->n : SA_FORECAST_PERIOD_MAX;
	for (k = 0; k <= lags; k++) {
		s64 prod = d * sa_forecast_period_dev(p, sa_forecast_period_back(p, k));

		p->cov[k] += sa_forecast_mul(prod - p->cov[k], gain);
	}
	if (p->n != ~0U)
		p->n++;
	p->lag = sa_forecast_period_detect(p);
}

/**
 * sa_forecast_period_at() - the seasonal forecast for one tick ahead
 * @p: the detector
 * @k: ticks ahead, 1 for the coming tick
 *
 * The demand one period (or as many as it takes to reach the past)
 * before the tick. Staging allows for a burst one tick early on top
 * (target.c); this is the expected demand.
 *
 * Return: pages; 0 without a period.
 */
u64 sa_forecast_period_at(const struct sa_forecast_period *p, u32 k)
{
	u32 lag = p->lag, back;

	if (!lag || !k)
		return 0;
	/* ticks back from the newest sample: 0 is the newest */
	back = (u32)(((u64)k + lag - 1) / lag * lag - k);
	return back < p->n ? sa_forecast_period_back(p, back) : 0;
}

/**
 * sa_forecast_period_recent() - background demand of the last ticks
 * @p: the detector
 * @w: ticks, at most SA_FORECAST_PERIOD_HIST
 *
 * Return: pages.
 */
u64 sa_forecast_period_recent(const struct sa_forecast_period *p, u32 w)
{
	u64 sum = 0;
	u32 i;

	for (i = 0; i < w && i < p->n && i < SA_FORECAST_PERIOD_HIST; i++)
		sum += sa_forecast_period_back(p, i);
	return sum;
}
