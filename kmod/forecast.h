/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shadowalloc forecaster: a trust group's demand model and staging target
 * in fixed point.
 *
 * Plain C with no kernel calls, no floating point and no allocation: the
 * same files (forecast/) build into the module and into userspace (the
 * replay tool, the unit tests), which include this header without
 * __KERNEL__.
 *
 * One sample per tick (SHADOWALLOC_TICK_MS): the 4 KiB pages first-touched
 * in it, in all and by each launch (a memory object, by age since its
 * first fault). model.c runs the tick: launches whose age a launch profile
 * knows (profile.c) are the profile's to forecast; the rest, the
 * background, goes to a bank of Holt smoothers (demand.c) and a period
 * detector (period.c), and the one of the two whose one-step residuals
 * would hold less memory at the fill-rate goal forecasts it. target.c
 * turns the forecast path, the pool's refill budget and a safety stock
 * (the fill-rate quantile of the residuals) into the pages to stage.
 *
 * where.c: how densely a VM fills 2 MiB regions (the block size).
 * blob.c: a model as MODEL_EXPORT / MODEL_IMPORT carry it.
 * Documentation/forecast.rst describes and derives all of it.
 */
#ifndef _SHADOWALLOC_FORECAST_H
#define _SHADOWALLOC_FORECAST_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;
#endif

/* Fixed point: Q(64-SA_FORECAST_SHIFT).SA_FORECAST_SHIFT in s64/u64. */
#define SA_FORECAST_SHIFT		16
#define SA_FORECAST_ONE		(1LL << SA_FORECAST_SHIFT)

/* Smoothers in the bank. */
#define SA_FORECAST_BANK		6
/*
 * Ticks of demand history and of pending window forecasts, and the
 * longest path the target looks ahead: windows and horizons longer than
 * this are evaluated over this many ticks.
 */
#define SA_FORECAST_WINDOW_MAX	64
/* A slot of sa_forecast_model.pending or .naive without a forecast. */
#define SA_FORECAST_NONE	(~0ULL)
/* One-step residuals the safety stock is computed from (6.4 s). */
#define SA_FORECAST_STOCK	64
/* Background history the period detector keeps, and the longest period. */
#define SA_FORECAST_PERIOD_HIST	128
#define SA_FORECAST_PERIOD_MAX	64
/* Ages (ticks since a launch began) a launch profile covers: 25.6 s. */
#define SA_FORECAST_PROFILE_AGES	256
/*
 * Launches a group tracks at once; a launch beyond them is not tracked:
 * its demand is background.
 */
#define SA_FORECAST_LAUNCHES_MAX	16
/* Launches a profile averages over (the gain is 1/min(n, this)). */
#define SA_FORECAST_PROFILE_MEMORY	8
/* The background's experts: the Holt bank and the seasonal repeat. */
#define SA_FORECAST_EXPERT_HOLT	0
#define SA_FORECAST_EXPERT_SEASONAL	1
#define SA_FORECAST_EXPERTS		2
/*
 * How a launch is placed on its profile: by its age (ticks since its
 * first fault), or by its progress (the age at which the profile had
 * first-touched as many pages as the launch has), for launches that run
 * faster or slower than the ones before.
 */
#define SA_FORECAST_ALIGN_AGE		0
#define SA_FORECAST_ALIGN_PROGRESS	1
#define SA_FORECAST_ALIGNS		2
/* Fill-rate goals, permille of demand served from the pool. */
#define SA_FORECAST_FILL_MIN		500
#define SA_FORECAST_FILL_MAX		999
#define SA_FORECAST_FILL_DEFAULT	980

/**
 * struct sa_forecast_holt - one Holt smoother of the bank
 * @level: smoothed demand per tick (fixed point)
 * @trend: smoothed change of @level per tick (fixed point)
 * @err: EWMA of the absolute error of its window forecasts (pages over
 *	the window, fixed point), scored once per window
 * @window_fc: its forecast (pages) for the window in progress, made at
 *	the window's start; SA_FORECAST_NONE before the first
 */
struct sa_forecast_holt {
	s64 level;
	s64 trend;
	s64 err;
	u64 window_fc;
};

/**
 * struct sa_forecast_period - recurring bursts in the background demand
 * @x: background demand per tick, ring of SA_FORECAST_PERIOD_HIST, newest
 *	at @pos - 1
 * @pos: next slot of @x
 * @n: samples seen (saturates at U32_MAX)
 * @mean: EWMA of the demand (fixed point)
 * @cov: EWMA of (x_t - mean)(x_{t-k} - mean) for lag k = 0..PERIOD_MAX, in
 *	pages^2 (samples are clamped to 2^24 pages here, so no product
 *	reaches 2^63); @cov[0] is the variance
 * @lag: the period in ticks, 0 while no lag correlates by more than 1/2
 */
struct sa_forecast_period {
	u32 x[SA_FORECAST_PERIOD_HIST];
	u32 pos;
	u32 n;
	s64 mean;
	s64 cov[SA_FORECAST_PERIOD_MAX + 1];
	u32 lag;
};

/**
 * struct sa_forecast_profile - a group's launch profile
 * @cum: mean cumulative pages (fixed point) a launch had first-touched by
 *	the end of age a, over the last SA_FORECAST_PROFILE_MEMORY launches
 *	that reached that age
 * @seen: launches that reached age a, saturating at
 *	SA_FORECAST_PROFILE_MEMORY; 0: no launch was ever that old
 * @ages: one more than the oldest age a launch reached (0: none yet);
 *	launches start at age 0, so every age below it was seen
 * @launches: launches learned from (saturates)
 */
struct sa_forecast_profile {
	u64 cum[SA_FORECAST_PROFILE_AGES];
	u8 seen[SA_FORECAST_PROFILE_AGES];
	u32 ages;
	u64 launches;
};

/**
 * struct sa_forecast_launch - one launch (a VM's memory object) as the
 *	caller tracks it, passed in each tick
 * @age: ticks since its first fault (0 in that tick); ignored while
 *	@total is 0
 * @pages: pages it first-touched in this tick
 * @total: pages it first-touched since it began, this tick's included;
 *	0: created, not touched yet (the caller drops such a launch once it
 *	waited longer than the pool's max age: what was staged for it has
 *	aged out)
 *
 * Ages count from the first fault, not from the creation: the time a VMM
 * takes between creating guest memory and running the guest varies from
 * launch to launch, and would smear the profile.
 */
struct sa_forecast_launch {
	u32 age;
	u32 pages;
	u64 total;
};

/**
 * struct sa_forecast_model - demand model of a group
 * @bank: the background's smoothers; sa_forecast_alpha[i],
 *	sa_forecast_beta[i] are their parameters
 * @best: index of the smoother with the smallest @err, which forecasts
 * @ticks: samples observed (saturates)
 * @hist: total demand per tick, ring of SA_FORECAST_WINDOW_MAX, newest at
 *	@hist_pos - 1
 * @hist_pos: next slot of @hist, @pending and @naive
 * @pending: the window forecast (pages over the window) made at each of
 *	the last SA_FORECAST_WINDOW_MAX ticks, same ring; SA_FORECAST_NONE
 *	where none was made
 * @naive: the last-value forecast made at the same ticks (the demand of
 *	the window that ended there), same ring; SA_FORECAST_NONE where the
 *	history was shorter than a window
 * @window: the window (ticks) of @pending, @naive and the bank's
 *	@window_fc; 0 before the first sample. Another window invalidates
 *	them, so no window is scored against a forecast for another length
 * @phase: ticks since the bank's window forecasts were made
 * @period: the background's period detector and history
 * @profile: the launch profile
 * @expert: SA_FORECAST_EXPERT_*: which forecasts the background
 * @align: SA_FORECAST_ALIGN_*: how launches are placed on the profile
 * @expert_next: each expert's forecast for the coming tick (pages)
 * @expert_resid: each expert's one-step residuals (background - its
 *	forecast, pages), same ring as @resid
 * @background: the background demand of the same ticks
 * @next: each alignment's forecast of the launches' demand in the coming
 *	tick (pages), made at the end of the last tick; @next[0] is
 *	SA_FORECAST_NONE before the first
 * @resid: each alignment's one-step residuals (the launches' profiled
 *	demand - its @next, pages), ring of SA_FORECAST_STOCK; with the
 *	current expert's @expert_resid, the current alignment's make the
 *	total's, so a change of expert or alignment brings its own history
 *	into the safety stock at once
 * @resid_demand: the total demand of the same ticks
 * @resid_pos: next slot of @resid and @resid_demand
 * @nr_resid: valid entries of @resid
 * @last_abs_err: |error| of the window completed last, in pages
 * @sum_abs_err: sum of |error| over all completed windows
 * @sum_naive_abs_err: the same for the last-value forecast (the previous
 *	window's actual demand), the baseline to beat
 * @sum_actual: sum of the actual demand of all completed windows
 * @sum_overlap: sum over those windows of min(forecast, actual)
 * @sum_union: sum over those windows of max(forecast, actual); accuracy
 *	is @sum_overlap / @sum_union (sa_forecast_accuracy_permille())
 * @nr_windows: completed windows
 */
struct sa_forecast_model {
	struct sa_forecast_holt bank[SA_FORECAST_BANK];
	u32 best;
	u32 ticks;
	u32 hist[SA_FORECAST_WINDOW_MAX];
	u32 hist_pos;
	u64 pending[SA_FORECAST_WINDOW_MAX];
	u64 naive[SA_FORECAST_WINDOW_MAX];
	u32 window;
	u32 phase;
	struct sa_forecast_period period;
	struct sa_forecast_profile profile;
	u32 expert;
	u32 align;
	u64 expert_next[SA_FORECAST_EXPERTS];
	s64 expert_resid[SA_FORECAST_EXPERTS][SA_FORECAST_STOCK];
	u32 background[SA_FORECAST_STOCK];
	u64 next[SA_FORECAST_ALIGNS];
	s64 resid[SA_FORECAST_ALIGNS][SA_FORECAST_STOCK];
	u32 resid_demand[SA_FORECAST_STOCK];
	u32 resid_pos;
	u32 nr_resid;
	u64 last_abs_err;
	u64 sum_abs_err;
	u64 sum_naive_abs_err;
	u64 sum_actual;
	u64 sum_overlap;
	u64 sum_union;
	u64 nr_windows;
};

/**
 * struct sa_forecast_where - how densely a VM fills 2 MiB guest regions
 * @last_region: 2 MiB region (gpa >> 21) of the newest fault in a new region
 * @nr_regions: regions closed so far (saturates)
 * @pages_in_region: pages mapped in @last_region so far
 * @dense: EWMA (fixed point, 0..SA_FORECAST_ONE) of the share of a region's 512
 *	pages touched before the next region started
 */
struct sa_forecast_where {
	u64 last_region;
	u32 nr_regions;
	u32 pages_in_region;
	s64 dense;
};

extern const u16 sa_forecast_alpha[SA_FORECAST_BANK];	/* Q0.16 */
extern const u16 sa_forecast_beta[SA_FORECAST_BANK];	/* Q0.16 */

/* The built-in prior: what a new group starts from. */
void sa_forecast_init(struct sa_forecast_model *m);

/*
 * One tick (model.c): @pages first-touched in all, of which the @nr
 * @launches (up to SA_FORECAST_PROFILE_AGES ticks old) took their @pages.
 * @window is the horizon in ticks (1..SA_FORECAST_WINDOW_MAX, larger is
 * clamped). O(SA_FORECAST_PERIOD_MAX + SA_FORECAST_STOCK +
 * @nr * SA_FORECAST_WINDOW_MAX).
 */
void sa_forecast_observe(struct sa_forecast_model *m, u32 pages,
			 const struct sa_forecast_launch *launches, u32 nr,
			 u32 window);

/*
 * The staging target after a tick (target.c): the pages the pool must
 * hold so that the next @horizon ticks' forecast demand is served when
 * the refill adds at most @refill pages per tick, plus the safety stock
 * that meets @fill_permille of demand.
 */
u64 sa_forecast_target(const struct sa_forecast_model *m,
		       const struct sa_forecast_launch *launches, u32 nr,
		       u32 horizon, u64 refill, u32 fill_permille);

/* Forecast demand (pages) over the next @horizon ticks, without stock. */
u64 sa_forecast_demand(const struct sa_forecast_model *m,
		       const struct sa_forecast_launch *launches, u32 nr,
		       u32 horizon);

/* Safety stock (pages) for @fill_permille, from the one-step residuals. */
u64 sa_forecast_stock(const struct sa_forecast_model *m, u32 fill_permille);

/* Mean absolute window error relative to actual demand, permille (0..1000+). */
u32 sa_forecast_error_permille(const struct sa_forecast_model *m);
/* The same for the last-value forecast on the same windows. */
u32 sa_forecast_naive_error_permille(const struct sa_forecast_model *m);
/* Overlap of window forecasts and demand, permille (0..1000). */
u32 sa_forecast_accuracy_permille(const struct sa_forecast_model *m);

/* demand.c: the Holt bank on the background demand. */
void sa_forecast_bank_init(struct sa_forecast_model *m);
void sa_forecast_bank_update(struct sa_forecast_model *m, u32 pages);
void sa_forecast_bank_score(struct sa_forecast_model *m, u64 actual, u32 w);
/* The best smoother's forecast for the @k-th tick ahead (pages). */
u64 sa_forecast_bank_at(const struct sa_forecast_model *m, u32 k);

/* period.c: recurring bursts. */
void sa_forecast_period_update(struct sa_forecast_period *p, u32 pages);
/* The seasonal forecast for the @k-th tick ahead; 0 without a period. */
u64 sa_forecast_period_at(const struct sa_forecast_period *p, u32 k);
/* Background demand of the last @w ticks. */
u64 sa_forecast_period_recent(const struct sa_forecast_period *p, u32 w);

/* profile.c: launch profiles. */
void sa_forecast_profile_learn(struct sa_forecast_profile *p,
			       const struct sa_forecast_launch *l);
/* Does the profile know a launch's demand at @age (a launch got that old)? */
bool sa_forecast_profile_knows(const struct sa_forecast_profile *p, u32 age);
/* Pages @l is expected to first-touch within the next @k ticks. */
u64 sa_forecast_profile_need(const struct sa_forecast_profile *p,
			     const struct sa_forecast_launch *l, u32 k,
			     u32 align);

void sa_forecast_where_init(struct sa_forecast_where *w);
/*
 * KVM mapped @pages 4 KiB pages at guest-physical address @gpa (1 for a
 * 4 KiB mapping, 512 for a 2 MiB one, which makes its region dense).
 */
void sa_forecast_where_observe(struct sa_forecast_where *w, u64 gpa, u32 pages);
/* Would 2 MiB blocks be used whole? (dense >= 1/2) */
bool sa_forecast_where_huge(const struct sa_forecast_where *w);

/*
 * Model blobs for MODEL_EXPORT / MODEL_IMPORT: a versioned, checksummed,
 * little-endian image of struct sa_forecast_model.
 */
#define SA_FORECAST_BLOB_MAGIC	0x31434653U	/* "SFC1" */
#define SA_FORECAST_BLOB_VERSION	2U

/* Bytes a blob takes. */
size_t sa_forecast_blob_size(void);
/* Write a blob into @buf (sa_forecast_blob_size() bytes). */
void sa_forecast_export(const struct sa_forecast_model *m, void *buf);
/*
 * Read a blob; @m is written only if it is valid. Returns 0, -EINVAL (bad
 * size, magic, or values out of range), -EPROTONOSUPPORT (another version),
 * -EBADMSG (checksum mismatch).
 */
int sa_forecast_import(struct sa_forecast_model *m, const void *buf,
		       size_t len);

#endif /* _SHADOWALLOC_FORECAST_H */
