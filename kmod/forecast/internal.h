/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shadowalloc forecaster: what the demand model, the where-predictor and
 * the blob codec share (fixed-point helpers, value bounds) and the few
 * kernel calls they use, with shims for the userspace build.
 *
 * Nothing here but errno values, memcpy/memset and 64-bit division: the
 * same files build into the module and into userspace (sa_replay, the unit
 * tests).
 */
#ifndef _SHADOWALLOC_FORECAST_INTERNAL_H
#define _SHADOWALLOC_FORECAST_INTERNAL_H

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/math64.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <string.h>
#endif

#include "../forecast.h"

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
 * point: SA_FORECAST_LEVEL_MAX = 2^48. Forecasts per tick are clamped to
 * it as well, whatever the trend, and horizons to
 * SA_FORECAST_HORIZON_CLAMP ticks (1.8 hours; the module passes at most
 * 36000): a smoother's forecast is then below 2^48 pages, a window's
 * demand or smoother forecast at most 2^38 pages
 * (SA_FORECAST_WINDOW_PAGES_MAX) and a smoother's window error 2^54 in
 * fixed point. A path (target.c) adds the launches' needs, at most
 * SA_FORECAST_LAUNCHES_MAX times twice a profile's 2^40 pages: every path
 * forecast, one-step forecast and residual is below
 * SA_FORECAST_PATH_PAGES_MAX = 2^46, and scaled to a horizon below 2^62.
 */
#define SA_FORECAST_LEVEL_MAX		(1LL << (32 + SA_FORECAST_SHIFT))
#define SA_FORECAST_HORIZON_CLAMP	(1U << 16)
#define SA_FORECAST_PATH_PAGES_MAX	(1ULL << 46)
#define SA_FORECAST_WINDOW_PAGES_MAX	((u64)SA_FORECAST_WINDOW_MAX << 32)
#define SA_FORECAST_ERR_MAX		\
	((s64)SA_FORECAST_WINDOW_PAGES_MAX << SA_FORECAST_SHIFT)

/*
 * Gain of the error EWMAs (the bank's window errors, the experts'
 * one-step errors): about the last 4 scores count. Another smoother or
 * expert takes over only when its error is 1/2^SA_FORECAST_SWITCH_SHIFT
 * below the current one's: near-ties (a steady series, where all are
 * close to 0) must not flip the forecast from tick to tick.
 */
#define SA_FORECAST_ERR_GAIN		(SA_FORECAST_ONE / 4)
#define SA_FORECAST_SWITCH_SHIFT	4

static inline s64 sa_forecast_clamp(s64 v, s64 lo, s64 hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static inline u64 sa_forecast_abs(s64 v)
{
	return v < 0 ? -(u64)v : (u64)v;
}

/*
 * v * q / SA_FORECAST_ONE for 0 <= q <= SA_FORECAST_ONE and |v| < 2^62,
 * rounded away from zero. Splitting v keeps the product below 2^64. Rounding away from
 * zero moves a smoother at least one unit towards its input, so on a
 * constant series level and trend reach the exact values instead of
 * stalling a few units off, which a 36000-tick horizon would multiply.
 */
static inline s64 sa_forecast_mul(s64 v, u32 q)
{
	u64 a = sa_forecast_abs(v);
	u64 lo = (a & (SA_FORECAST_ONE - 1)) * q;
	u64 r = (a >> SA_FORECAST_SHIFT) * q + (lo >> SA_FORECAST_SHIFT);

	if (lo & (SA_FORECAST_ONE - 1))
		r++;
	return v < 0 ? -(s64)r : (s64)r;
}

/* target.c: an expert's background path; the stock of any residual ring. */
u64 sa_forecast_background_cum(const struct sa_forecast_model *m, u32 expert,
			       u32 k, bool early);
#define SA_FORECAST_LAUNCHES_ALL	0
#define SA_FORECAST_LAUNCHES_RUNNING	1
#define SA_FORECAST_LAUNCHES_WAITING	2
u64 sa_forecast_launches_need(const struct sa_forecast_model *m,
			      const struct sa_forecast_launch *launches,
			      u32 nr, u32 k, u32 align, u32 which);
/* target.c: the fill-rate stock of any residual ring. */
u64 sa_forecast_stock_of(const s64 *resid, const s64 *more, const u32 *demand,
			 u32 n, u32 fill_permille);

#endif /* _SHADOWALLOC_FORECAST_INTERNAL_H */
