/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shadowalloc forecaster: demand and "where" prediction in fixed point.
 *
 * Plain C with no kernel calls, no floating point and no allocation: the
 * same files (forecast/) build into the module and into userspace (the
 * replay tool, the unit tests), which include this header without
 * __KERNEL__.
 *
 * Demand (forecast/demand.c): one sample per tick (SHADOWALLOC_TICK_MS) is
 * the number of 4 KiB pages first-touched in that tick. A bank of Holt
 * double-exponential smoothers with different (alpha, beta) runs on the
 * series; each keeps a running error, and the one with the smallest error
 * forecasts. Burst awareness: the signed errors of the last
 * SA_FORECAST_ERRS completed windows (actual demand of a window minus the
 * forecast made at its start) give a margin, their upper quantile, so a
 * periodic burst the smoothers average away is still covered.
 *
 * Where (forecast/where.c): the 2 MiB guest-physical regions of recent
 * faults; a majority stride among recent region-to-region steps predicts
 * the next region, and the pages touched per region say whether 2 MiB
 * blocks would be used whole.
 *
 * Blobs (forecast/blob.c): a model as MODEL_EXPORT / MODEL_IMPORT carry it.
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
/* Completed-window errors kept for the burst margin. */
#define SA_FORECAST_ERRS		32
/*
 * Ticks of demand history and of pending forecasts: windows (the horizon
 * in ticks) longer than this are evaluated over this many ticks and
 * scaled.
 */
#define SA_FORECAST_WINDOW_MAX	64
/* A slot of sa_forecast_model.pending or .naive without a forecast. */
#define SA_FORECAST_NONE	(~0ULL)
/* Region steps kept by the where-predictor. */
#define SA_FORECAST_STEPS		16

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
 * struct sa_forecast_model - demand model of a VM or of a group
 * @bank: the smoothers; sa_forecast_alpha[i], sa_forecast_beta[i] are their
 *	parameters
 * @best: index of the smoother with the smallest @err, which forecasts
 * @ticks: samples observed (saturates)
 * @hist: demand per tick, ring of SA_FORECAST_WINDOW_MAX, newest at
 *	@hist_pos - 1
 * @hist_pos: next slot of @hist, @pending and @naive
 * @pending: the window forecast (pages over the window, without margin)
 *	made at each of the last SA_FORECAST_WINDOW_MAX ticks, same ring;
 *	SA_FORECAST_NONE where none was made
 * @naive: the last-value forecast made at the same ticks (the demand of
 *	the window that ended there), same ring; SA_FORECAST_NONE where the
 *	history was shorter than a window
 * @window: the window (ticks) of @pending, @naive and the bank's
 *	@window_fc; 0 before the first sample. Another window invalidates
 *	them, so no window is scored against a forecast for another length
 * @phase: ticks since the bank's window forecasts were made
 * @errs: signed errors (actual - forecast, pages) of the last completed
 *	windows, ring of SA_FORECAST_ERRS
 * @peaks: the largest actual window demand (pages) in each slot of @errs,
 *	which caps the target (sa_forecast_target())
 * @err_pos: next slot of @errs and @peaks
 * @nr_errs: valid entries of @errs
 * @last_abs_err: |error| of the window completed last, in pages
 * @sum_abs_err: sum of |error| over all completed windows
 * @sum_naive_abs_err: the same for the last-value forecast (the previous
 *	window's actual demand), the baseline to beat
 * @sum_actual: sum of the actual demand of all completed windows
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
	s64 errs[SA_FORECAST_ERRS];
	u64 peaks[SA_FORECAST_ERRS];
	u32 err_pos;
	u32 nr_errs;
	u64 last_abs_err;
	u64 sum_abs_err;
	u64 sum_naive_abs_err;
	u64 sum_actual;
	u64 nr_windows;
};

/**
 * struct sa_forecast_where - where-predictor of one VM's guest-physical regions
 * @last_region: 2 MiB region (gpa >> 21) of the newest fault in a new region
 * @steps: last region-to-region steps (signed), ring of SA_FORECAST_STEPS
 * @step_pos: next slot of @steps
 * @nr_steps: valid entries of @steps
 * @pages_in_region: pages mapped in @last_region so far
 * @dense: EWMA (fixed point, 0..SA_FORECAST_ONE) of the share of a region's 512
 *	pages touched before the next region started
 */
struct sa_forecast_where {
	u64 last_region;
	s64 steps[SA_FORECAST_STEPS];
	u32 step_pos;
	u32 nr_steps;
	u32 pages_in_region;
	s64 dense;
};

extern const u16 sa_forecast_alpha[SA_FORECAST_BANK];	/* Q0.16 */
extern const u16 sa_forecast_beta[SA_FORECAST_BANK];	/* Q0.16 */

/* The built-in prior: what a new group starts from. */
void sa_forecast_init(struct sa_forecast_model *m);

/*
 * One tick: @pages first-touched. @window is the horizon in ticks
 * (1..SA_FORECAST_WINDOW_MAX, larger is clamped): the forecast for the window
 * starting after this tick is recorded, and the window that ends with this
 * tick is scored. O(SA_FORECAST_BANK + SA_FORECAST_WINDOW_MAX) at most.
 */
void sa_forecast_observe(struct sa_forecast_model *m, u32 pages, u32 window);

/* Forecast demand (pages) over the next @horizon ticks, without margin. */
u64 sa_forecast_demand(const struct sa_forecast_model *m, u32 horizon);

/* Burst margin (pages) for @horizon ticks: upper quantile of window errors. */
u64 sa_forecast_margin(const struct sa_forecast_model *m, u32 horizon);

/*
 * The staging target for @horizon ticks: demand plus margin, but not above
 * 5/4 of the largest window demand the margin's span has seen (scaled to
 * the horizon), so a transient over-forecast after a burst is not staged.
 */
u64 sa_forecast_target(const struct sa_forecast_model *m, u32 horizon);

/* Mean absolute window error relative to actual demand, permille (0..1000+). */
u32 sa_forecast_error_permille(const struct sa_forecast_model *m);

/*
 * Start a model from another one (a new VM from its group), demand scaled
 * by 1/@share.
 */
void sa_forecast_inherit(struct sa_forecast_model *m,
			 const struct sa_forecast_model *from, u32 share);

void sa_forecast_where_init(struct sa_forecast_where *w);
/*
 * KVM mapped @pages 4 KiB pages at guest-physical address @gpa (1 for a
 * 4 KiB mapping, 512 for a 2 MiB one, which makes its region dense).
 */
void sa_forecast_where_observe(struct sa_forecast_where *w, u64 gpa, u32 pages);
/*
 * The predicted next 2 MiB region and the share (permille) of recent steps
 * that agree; false while there is no majority stride.
 */
bool sa_forecast_where_next(const struct sa_forecast_where *w, u64 *region,
			    u32 *agree_permille);
/* Would 2 MiB blocks be used whole? (dense >= 1/2) */
bool sa_forecast_where_huge(const struct sa_forecast_where *w);

/*
 * Model blobs for MODEL_EXPORT / MODEL_IMPORT: a versioned, checksummed,
 * little-endian image of struct sa_forecast_model.
 */
#define SA_FORECAST_BLOB_MAGIC	0x31434653U	/* "SFC1" */
#define SA_FORECAST_BLOB_VERSION	1U

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
