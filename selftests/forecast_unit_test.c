// SPDX-License-Identifier: GPL-2.0
/*
 * The forecaster core (kmod/forecast/, compiled in) on synthetic series
 * whose answers are known: constant, ramp, step, periodic burst (period
 * detected, seasonal expert), repeated launches (profile learned, staged
 * ahead), the refill-budget target and the fill-rate stock in closed form;
 * region density; the model blob and every kind of corruption; overflow at
 * the largest demand and horizon.
 * Userspace only: no module, no VM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "../kmod/forecast.h"
#include "../kmod/forecast/internal.h"

#define BLOB_HDR	16
/* offset of 'best' in a blob: header, then 6 smoothers of 4 x 8 bytes */
#define BLOB_BEST	(BLOB_HDR + SA_FORECAST_BANK * 32)

static u64 window_sum(const u32 *d, int from, int w)
{
	u64 sum = 0;
	int i;

	for (i = from; i < from + w; i++)
		sum += d[i];
	return sum;
}

/* A tick without launches, and the forecast of a group without launches. */
static void observe(struct sa_forecast_model *m, u32 pages, u32 w)
{
	sa_forecast_observe(m, pages, NULL, 0, w);
}

static u64 demand(const struct sa_forecast_model *m, u32 horizon)
{
	return sa_forecast_demand(m, NULL, 0, horizon);
}

/* The target at an unlimited refill and the default fill goal. */
static u64 target(const struct sa_forecast_model *m, u32 horizon)
{
	return sa_forecast_target(m, NULL, 0, horizon, ~0ULL,
				  SA_FORECAST_FILL_DEFAULT);
}

static double rel(u64 a, u64 b)
{
	return b ? (double)a / (double)b : 0.0;
}

/* FNV-1a as Documentation/forecast.rst specifies the blob checksum. */
static u32 fnv1a(const u8 *p, size_t len)
{
	u32 h = 2166136261U;

	while (len--) {
		h ^= *p++;
		h *= 16777619U;
	}
	return h;
}

static void put32(u8 *p, u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static u32 get32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static void reseal(u8 *blob, size_t len)
{
	put32(blob + 12, fnv1a(blob + BLOB_HDR, len - BLOB_HDR));
}

TEST(constant_series)
{
	struct sa_forecast_model m;
	int t;

	sa_forecast_init(&m);
	for (t = 0; t < 300; t++)
		observe(&m, 100, 10);
	TH_LOG("constant 100/tick: demand(10) %llu demand(36000) %llu err %u permille",
	       (unsigned long long)demand(&m, 10),
	       (unsigned long long)demand(&m, 36000),
	       sa_forecast_error_permille(&m));
	EXPECT_EQ(1000, demand(&m, 10));
	EXPECT_EQ(100, demand(&m, 1));
	EXPECT_EQ(3600000, demand(&m, 36000));
	EXPECT_EQ(0, sa_forecast_error_permille(&m));
	EXPECT_EQ(0, m.last_abs_err);
	EXPECT_EQ(0, sa_forecast_stock(&m, SA_FORECAST_FILL_DEFAULT));
	EXPECT_EQ(100, target(&m, 10));
	EXPECT_EQ(1000, sa_forecast_accuracy_permille(&m));
	EXPECT_GT(m.nr_windows, 250);
}

TEST(prior)
{
	struct sa_forecast_model m;

	sa_forecast_init(&m);
	EXPECT_EQ(0, demand(&m, 50));
	EXPECT_EQ(0, target(&m, 50));
	EXPECT_EQ(0, sa_forecast_stock(&m, SA_FORECAST_FILL_DEFAULT));
	EXPECT_EQ(0, sa_forecast_accuracy_permille(&m));
	EXPECT_EQ(0, sa_forecast_error_permille(&m));
	EXPECT_LT(m.best, SA_FORECAST_BANK);
	/* no windows yet, so no verdict on the forecast */
	observe(&m, 0, 10);
	EXPECT_EQ(0, demand(&m, 10));
}

TEST(ramp)
{
	enum { T = 600, W = 10 };
	u32 d[T + W];
	struct sa_forecast_model m;
	u64 want, got;
	double trend;
	int t;

	for (t = 0; t < T + W; t++)
		d[t] = 50 + 3 * t;
	sa_forecast_init(&m);
	for (t = 0; t < T; t++)
		observe(&m, d[t], W);
	trend = (double)m.bank[m.best].trend / SA_FORECAST_ONE;
	want = window_sum(d, T, W);
	got = demand(&m, W);
	TH_LOG("ramp 50+3t: trend %.4f (3), demand %llu vs %llu, error %llu vs naive %llu (%.3f of naive), best %u",
	       trend, (unsigned long long)got, (unsigned long long)want,
	       (unsigned long long)m.sum_abs_err,
	       (unsigned long long)m.sum_naive_abs_err,
	       rel(m.sum_abs_err, m.sum_naive_abs_err), m.best);
	EXPECT_GT(trend, 2.97);
	EXPECT_LT(trend, 3.03);
	EXPECT_LE(got, want + want / 100);
	EXPECT_GE(got, want - want / 100);
	/* at least 30% below the last-value forecast */
	EXPECT_LE(m.sum_abs_err * 10, m.sum_naive_abs_err * 7);
}

TEST(step_change)
{
	enum { W = 10 };
	struct sa_forecast_model m;
	u64 got;
	int t;

	sa_forecast_init(&m);
	for (t = 0; t < 300; t++)
		observe(&m, 100, W);
	for (t = 0; t < 4 * W; t++)
		observe(&m, 1000, W);
	got = demand(&m, W);
	TH_LOG("step 100 -> 1000: best %u (alpha %u/65536), demand %llu (10000)",
	       m.best, sa_forecast_alpha[m.best], (unsigned long long)got);
	/* a fast smoother: alpha 0.5 or more */
	EXPECT_GE(sa_forecast_alpha[m.best], SA_FORECAST_ONE / 2);
	EXPECT_LE(got, 10200);
	EXPECT_GE(got, 9800);
}

/*
 * A burst every 20 ticks: the period is found, the seasonal repeat takes
 * over from the smoothers, and once its residuals fill the stock's span
 * the next tick is covered with no stock at all, holding the burst for the
 * tick before it (a burst a tick early) and its own instead of all the
 * time.
 */
TEST(periodic_burst)
{
	enum { T = 1000, W = 10, WARM = 300, P = 20, B = 2000 };
	struct sa_forecast_model m;
	u64 held = 0, tgt;
	int t, covered = 0, ticks = 0;

	sa_forecast_init(&m);
	for (t = 0; t < T; t++) {
		observe(&m, t % P == 0 ? B : 0, W);
		tgt = target(&m, W);
		if (t < WARM)
			continue;
		ticks++;
		held += tgt;
		covered += tgt >= ((t + 1) % P == 0 ? B : 0);
	}
	TH_LOG("burst %d every %d ticks: period %u, expert %u, covered %d of %d next ticks, mean target %.1f (mean demand %d), error %.3f of naive",
	       B, P, m.period.lag, m.expert, covered, ticks,
	       (double)held / ticks, B / P,
	       rel(m.sum_abs_err, m.sum_naive_abs_err));
	EXPECT_EQ(P, m.period.lag);
	EXPECT_EQ(SA_FORECAST_EXPERT_SEASONAL, m.expert);
	EXPECT_EQ(ticks, covered);
	EXPECT_EQ(0, sa_forecast_stock(&m, SA_FORECAST_FILL_DEFAULT));
	/* two ticks of the burst per period */
	EXPECT_EQ(2 * B / P, held / ticks);
	EXPECT_LE(m.sum_abs_err * 10, m.sum_naive_abs_err * 7);
}

TEST(window_change_restarts_scoring)
{
	struct sa_forecast_model m;
	u64 windows;
	int t;

	sa_forecast_init(&m);
	for (t = 0; t < 100; t++)
		observe(&m, t % 7 ? 10 : 500, 10);
	EXPECT_GT(m.nr_windows, 0);
	windows = m.nr_windows;
	for (t = 0; t < 20; t++)
		observe(&m, 10, 20);
	/* the first window of 20 ticks ends 20 ticks after the change */
	EXPECT_EQ(windows, m.nr_windows);
	EXPECT_EQ(20, m.window);
	observe(&m, 10, 20);
	EXPECT_EQ(windows + 1, m.nr_windows);
}

/*
 * With a flat forecast f per tick, a refill of L pages per tick and a path
 * of H ticks, the target is max_k (k f - (k - 1) L): f when the refill
 * keeps up, f + (H - 1)(f - L) when it does not.
 */
TEST(target_refill_budget)
{
	enum { F = 1000, H = 10 };
	struct sa_forecast_model m;
	int t;

	sa_forecast_init(&m);
	for (t = 0; t < 300; t++)
		observe(&m, F, H);
	ASSERT_EQ(0, sa_forecast_stock(&m, SA_FORECAST_FILL_DEFAULT));
	EXPECT_EQ(F, sa_forecast_target(&m, NULL, 0, H, ~0ULL, 980));
	EXPECT_EQ(F, sa_forecast_target(&m, NULL, 0, H, 5000, 980));
	EXPECT_EQ(F, sa_forecast_target(&m, NULL, 0, H, F, 980));
	EXPECT_EQ(F + (H - 1) * (F - 400),
		  sa_forecast_target(&m, NULL, 0, H, 400, 980));
	EXPECT_EQ((u64)H * F, sa_forecast_target(&m, NULL, 0, H, 0, 980));
	/* the path is at most SA_FORECAST_WINDOW_MAX ticks */
	EXPECT_EQ((u64)SA_FORECAST_WINDOW_MAX * F,
		  sa_forecast_target(&m, NULL, 0, 36000, 0, 980));
}

/*
 * The fill-rate stock on residuals with a known answer: 60 ticks of demand
 * 100 forecast exactly, 4 ticks 1100 over the forecast. Total demand
 * 6000 + 4 * 1100 = 10400; at fill 980 the pool may miss 208: s such that
 * 4 (1000 - s) = 208 - ... solved exactly below.
 */
TEST(stock_fill_rate)
{
	s64 resid[SA_FORECAST_STOCK] = { 0 };
	u32 dem[SA_FORECAST_STOCK];
	u64 allowed;
	int i;

	for (i = 0; i < SA_FORECAST_STOCK; i++) {
		dem[i] = i < 4 ? 1100 : 100;
		resid[i] = i < 4 ? 1000 : -0;
	}
	/* shortage 4 (1000 - s) <= allowed = 10400 * 20 / 1000 = 208 */
	allowed = (60 * 100 + 4 * 1100) * 20 / 1000;
	EXPECT_EQ(1000 - allowed / 4,
		  sa_forecast_stock_of(resid, NULL, dem, SA_FORECAST_STOCK, 980));
	/* a lower goal needs less; fill 500 allows 5200: no stock */
	EXPECT_EQ(0, sa_forecast_stock_of(resid, NULL, dem, SA_FORECAST_STOCK, 500));
	/* goals are clamped to 500..999 */
	EXPECT_EQ(sa_forecast_stock_of(resid, NULL, dem, SA_FORECAST_STOCK, 999),
		  sa_forecast_stock_of(resid, NULL, dem, SA_FORECAST_STOCK, 1000));
	/* one residual larger: the stock sits between the two levels */
	resid[0] = 5000;
	dem[0] = 5100;
	allowed = (60 * 100 + 3 * 1100 + 5100) * 20 / 1000;
	/* 5000 - s + 3 (1000 - s) = allowed if s <= 1000, else 5000 - s */
	EXPECT_EQ(5000 - allowed,
		  sa_forecast_stock_of(resid, NULL, dem, SA_FORECAST_STOCK, 980));
}

/*
 * Repeated launches: launch 1 is all background (nothing known), launch 2
 * is the profile's: created a tick before its first fault, it gets the
 * first tick staged ahead, then every next tick, and its demand is no
 * longer background.
 */
TEST(launch_profile)
{
	enum { LEN = 30, GAP = 100, W = 10 };
	struct sa_forecast_launch l;
	struct sa_forecast_model m;
	u32 prof[LEN];
	u64 tgt = 0, total;
	int run, t, covered = 0, a;

	for (a = 0; a < LEN; a++)
		prof[a] = a < 5 ? 2000 : a < 20 ? 300 + 50 * a : 0;
	sa_forecast_init(&m);
	for (run = 0; run < 3; run++) {
		/* created, waiting a tick */
		l = (struct sa_forecast_launch){ 0 };
		sa_forecast_observe(&m, 0, &l, 1, W);
		tgt = target(&m, W);
		if (run) {
			/* sa_forecast_target() with the launch */
			tgt = sa_forecast_target(&m, &l, 1, W, ~0ULL, 980);
			EXPECT_GE(tgt, prof[0]);
		}
		total = 0;
		for (a = 0; a < LEN; a++) {
			total += prof[a];
			l = (struct sa_forecast_launch){
				.age = a, .pages = prof[a], .total = total,
			};
			if (run == 2)
				covered += tgt >= prof[a];
			sa_forecast_observe(&m, prof[a], &l, 1, W);
			tgt = sa_forecast_target(&m, &l, 1, W, ~0ULL, 980);
		}
		for (t = 0; t < GAP; t++)
			observe(&m, 0, W);
	}
	TH_LOG("launch 3: %d of %d ticks covered; profile %llu launches, %u ages; background level %lld",
	       covered, LEN, (unsigned long long)m.profile.launches,
	       m.profile.ages, (long long)(m.bank[m.best].level >> SA_FORECAST_SHIFT));
	EXPECT_EQ(LEN, covered);
	EXPECT_EQ(3, m.profile.launches);
	EXPECT_EQ(LEN, m.profile.ages);
	EXPECT_TRUE(sa_forecast_profile_knows(&m.profile, LEN - 1));
	EXPECT_FALSE(sa_forecast_profile_knows(&m.profile, LEN));
	/* profiled demand is not the background's */
	EXPECT_EQ(0, m.bank[m.best].level >> SA_FORECAST_SHIFT);
}

/*
 * A launch behind the profile catches up (at most at twice its pace); one
 * ahead goes on at the profile's pace.
 */
TEST(launch_behind_and_ahead)
{
	struct sa_forecast_profile p = { 0 };
	struct sa_forecast_launch l;
	int a;

	/* 100 pages per tick for 10 ticks */
	for (a = 0; a < 10; a++) {
		l = (struct sa_forecast_launch){ .age = a, .pages = 100,
						 .total = 100 * (a + 1) };
		sa_forecast_profile_learn(&p, &l);
	}
	l = (struct sa_forecast_launch){ .age = 4, .total = 500 };
	EXPECT_EQ(100, sa_forecast_profile_need(&p, &l, 1, SA_FORECAST_ALIGN_AGE));
	EXPECT_EQ(300, sa_forecast_profile_need(&p, &l, 3, SA_FORECAST_ALIGN_AGE));
	/* 200 behind: it catches up at most at twice the pace */
	l.total = 300;
	EXPECT_EQ(200, sa_forecast_profile_need(&p, &l, 1, SA_FORECAST_ALIGN_AGE));
	EXPECT_EQ(500, sa_forecast_profile_need(&p, &l, 3, SA_FORECAST_ALIGN_AGE));
	/* ahead: the profile's pace, not a wait */
	l.total = 800;
	EXPECT_EQ(100, sa_forecast_profile_need(&p, &l, 1, SA_FORECAST_ALIGN_AGE));
	/* past the profile's end: nothing known */
	l.age = 9;
	EXPECT_EQ(0, sa_forecast_profile_need(&p, &l, 1, SA_FORECAST_ALIGN_AGE));
	/* waiting for its first fault: the first k ticks */
	l = (struct sa_forecast_launch){ 0 };
	EXPECT_EQ(200, sa_forecast_profile_need(&p, &l, 2, SA_FORECAST_ALIGN_AGE));
}

/*
 * A forecast tick that ran late makes a launch skip ages: the profile
 * fills them, stays whole from age 0, and its blob imports.
 */
TEST(profile_skipped_ages)
{
	struct sa_forecast_model m, back;
	struct sa_forecast_launch l = { .age = 0, .pages = 10, .total = 10 };
	u8 *buf = malloc(sa_forecast_blob_size());

	ASSERT_NE(NULL, buf);
	sa_forecast_init(&m);
	sa_forecast_observe(&m, 10, &l, 1, 10);
	l = (struct sa_forecast_launch){ .age = 3, .pages = 30, .total = 40 };
	sa_forecast_observe(&m, 30, &l, 1, 10);
	EXPECT_EQ(4, m.profile.ages);
	EXPECT_EQ(10, m.profile.cum[2] >> SA_FORECAST_SHIFT);
	EXPECT_EQ(40, m.profile.cum[3] >> SA_FORECAST_SHIFT);
	sa_forecast_export(&m, buf);
	memset(&back, 0, sizeof(back));
	EXPECT_EQ(0, sa_forecast_import(&back, buf, sa_forecast_blob_size()));
	free(buf);
}

TEST(overflow_max_demand)
{
	struct sa_forecast_model m;
	u64 prev = 0, got;
	u32 h;
	int t;

	sa_forecast_init(&m);
	for (t = 0; t < 200; t++)
		observe(&m, 1U << 24, 64);
	got = demand(&m, 36000);
	TH_LOG("2^24 pages/tick over 36000 ticks: %llu (%llu)",
	       (unsigned long long)got, 36000ULL << 24);
	EXPECT_EQ(36000ULL << 24, got);

	/* the steepest ramp a u32 allows, then the largest samples */
	sa_forecast_init(&m);
	for (t = 0; t < 64; t++)
		observe(&m, (u32)((u64)t * 0xffffffffULL / 63), 64);
	for (h = 1; h <= 36000; h += 97) {
		got = demand(&m, h);
		ASSERT_GE(got, prev);
		ASSERT_LE(got, (u64)h << 32);
		prev = got;
	}
	got = demand(&m, ~0U);
	EXPECT_LE(got, (1ULL << 20) << 32);
	EXPECT_GE(got, prev);
	/* alternating extremes: the largest residuals, then the stock */
	for (t = 0; t < 300; t++)
		observe(&m, t % 3 ? 0 : 0xffffffffU, 64);
	got = sa_forecast_stock(&m, 999);
	EXPECT_GE(got, sa_forecast_stock(&m, 500));
	EXPECT_LE(got, 1ULL << 32);
	got = sa_forecast_target(&m, NULL, 0, 36000, 0, 999);
	EXPECT_LE(got, (u64)SA_FORECAST_WINDOW_MAX << 33);
	EXPECT_LE(sa_forecast_error_permille(&m), 10000);
	EXPECT_LE(sa_forecast_accuracy_permille(&m), 1000);
}

TEST(error_permille)
{
	struct sa_forecast_model m;

	sa_forecast_init(&m);
	m.nr_windows = 3;
	m.sum_actual = 1000;
	m.sum_abs_err = 250;
	EXPECT_EQ(250, sa_forecast_error_permille(&m));
	m.sum_abs_err = 1000000;
	EXPECT_EQ(10000, sa_forecast_error_permille(&m));
	m.sum_actual = 0;
	EXPECT_EQ(10000, sa_forecast_error_permille(&m));
	m.sum_actual = ~0ULL;
	m.sum_abs_err = ~0ULL / 2;
	EXPECT_EQ(499, sa_forecast_error_permille(&m));	/* (2^63 - 1) / (2^64 - 1) */
	/* accuracy: overlap over union, bounded whatever the error */
	m.sum_overlap = 1;
	m.sum_union = 4;
	EXPECT_EQ(250, sa_forecast_accuracy_permille(&m));
	m.sum_overlap = ~0ULL / 2;
	m.sum_union = ~0ULL;
	EXPECT_EQ(499, sa_forecast_accuracy_permille(&m));
	m.sum_union = 0;
	EXPECT_EQ(0, sa_forecast_accuracy_permille(&m));
}

static void where_feed_pages(struct sa_forecast_where *w, u64 gpa, int pages)
{
	int i;

	for (i = 0; i < pages; i++)
		sa_forecast_where_observe(w, gpa + (u64)i * 4096, 1);
}

TEST(where_sequential)
{
	struct sa_forecast_where w;

	sa_forecast_where_init(&w);
	/* 20 regions of 2 MiB from 1 GiB on, every 4 KiB page in order */
	where_feed_pages(&w, 1ULL << 30, 20 * 512);
	EXPECT_EQ((1ULL << 30 >> 21) + 19, w.last_region);
	EXPECT_EQ(19, w.nr_regions);
	EXPECT_TRUE(sa_forecast_where_huge(&w));
}

TEST(where_2m_mappings)
{
	struct sa_forecast_where w;
	int i;

	sa_forecast_where_init(&w);
	for (i = 0; i < 8; i++)
		sa_forecast_where_observe(&w, (u64)i << 21, 512);
	EXPECT_EQ(7, w.nr_regions);
	EXPECT_TRUE(sa_forecast_where_huge(&w));
}

TEST(where_strided)
{
	struct sa_forecast_where w;
	int i;

	sa_forecast_where_init(&w);
	/* one page every 3 regions */
	for (i = 0; i < 40; i++)
		sa_forecast_where_observe(&w, (u64)i * 3 << 21, 1);
	EXPECT_EQ(39 * 3, w.last_region);
	EXPECT_EQ(39, w.nr_regions);
	EXPECT_FALSE(sa_forecast_where_huge(&w));
}

TEST(where_random)
{
	struct sa_forecast_where w;
	u64 rng = 88172645463325252ULL;
	int i;

	sa_forecast_where_init(&w);
	for (i = 0; i < 1000; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		/* 16 GiB of guest memory */
		sa_forecast_where_observe(&w, rng % (16ULL << 30), 1);
	}
	EXPECT_FALSE(sa_forecast_where_huge(&w));
}

/* Half-filled regions are the boundary: dense >= 1/2 is huge. */
TEST(where_half_filled)
{
	struct sa_forecast_where w;
	int i;

	sa_forecast_where_init(&w);
	EXPECT_FALSE(sa_forecast_where_huge(&w));
	for (i = 0; i < 40; i++)
		where_feed_pages(&w, (u64)i << 21, 256);
	EXPECT_TRUE(sa_forecast_where_huge(&w));
	for (i = 40; i < 80; i++)
		where_feed_pages(&w, (u64)i << 21, 200);
	EXPECT_FALSE(sa_forecast_where_huge(&w));
}

TEST(export_import_every_tick)
{
	struct sa_forecast_model m, back;
	u8 *buf = malloc(sa_forecast_blob_size());
	int t, bad = 0;

	ASSERT_NE(NULL, buf);
	sa_forecast_init(&m);
	for (t = 0; t < 400; t++) {
		observe(&m, t % 17 ? 20 : 900, 10);
		sa_forecast_export(&m, buf);
		/* padding is not part of a model: compare field bytes only */
		memset(&back, 0, sizeof(back));
		if (sa_forecast_import(&back, buf, sa_forecast_blob_size()) ||
		    memcmp(&back, &m, sizeof(m)))
			bad++;
	}
	EXPECT_EQ(0, bad);
	free(buf);
}

/* Idle ticks before the first demand are not part of the model. */
TEST(idle_before_first_demand)
{
	struct sa_forecast_model a, b;
	int t;

	sa_forecast_init(&a);
	sa_forecast_init(&b);
	for (t = 0; t < 20; t++)
		observe(&a, 0, 10);
	for (t = 0; t < 100; t++) {
		observe(&a, 100, 10);
		observe(&b, 100, 10);
	}
	EXPECT_EQ(100, a.ticks);
	EXPECT_EQ(0, memcmp(&a, &b, sizeof(a)));
	EXPECT_EQ(0, sa_forecast_error_permille(&a));
}

/*
 * The stock adapts: after a run of bursts nothing forecasts it is large;
 * SA_FORECAST_STOCK quiet ticks later the bursts are out of its span.
 */
TEST(stock_forgets)
{
	struct sa_forecast_model m;
	int t;
	u64 rng = 88172645463325252ULL;

	sa_forecast_init(&m);
	/* bursts at random ticks, one in 7 on average: no period */
	for (t = 0; t < 200; t++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		observe(&m, rng % 7 ? 50 : 2000, 10);
	}
	EXPECT_EQ(0, m.period.lag);
	EXPECT_GT(sa_forecast_stock(&m, 980), 500);
	for (t = 0; t < SA_FORECAST_STOCK; t++)
		observe(&m, 50, 10);
	/* what is left is the smoothers settling back to 50, not the bursts */
	EXPECT_LE(sa_forecast_stock(&m, 980), 25);
}

FIXTURE(blob) {
	struct sa_forecast_model trained;
	u8 *buf;
	size_t len;
};

FIXTURE_SETUP(blob)
{
	int t;

	sa_forecast_init(&self->trained);
	for (t = 0; t < 500; t++)
		observe(&self->trained, t % 20 ? 30 + t / 10 : 1500, 12);
	self->len = sa_forecast_blob_size();
	self->buf = malloc(self->len + 16);
	ASSERT_NE(NULL, self->buf);
	sa_forecast_export(&self->trained, self->buf);
}

FIXTURE_TEARDOWN(blob)
{
	free(self->buf);
}

TEST_F(blob, round_trip)
{
	struct sa_forecast_model m;
	u8 *again = malloc(self->len);
	int t;

	ASSERT_NE(NULL, again);
	EXPECT_EQ(SA_FORECAST_BLOB_MAGIC, get32(self->buf));
	EXPECT_EQ(SA_FORECAST_BLOB_VERSION, get32(self->buf + 4));
	EXPECT_EQ(self->len, get32(self->buf + 8));
	memset(&m, 0, sizeof(m));
	ASSERT_EQ(0, sa_forecast_import(&m, self->buf, self->len));
	EXPECT_EQ(0, memcmp(&m, &self->trained, sizeof(m)));
	sa_forecast_export(&m, again);
	EXPECT_EQ(0, memcmp(again, self->buf, self->len));
	/* and both go on identically */
	for (t = 0; t < 50; t++) {
		observe(&m, t * 7 % 300, 12);
		observe(&self->trained, t * 7 % 300, 12);
	}
	EXPECT_EQ(0, memcmp(&m, &self->trained, sizeof(m)));
	free(again);
}

/* import must fail with @want and leave the model exactly as it was */
static void expect_rejected(struct __test_metadata *_metadata,
			    const u8 *buf, size_t len, int want)
{
	struct sa_forecast_model m, before;

	memset(&m, 0x5a, sizeof(m));
	memcpy(&before, &m, sizeof(m));
	EXPECT_EQ(want, sa_forecast_import(&m, buf, len));
	EXPECT_EQ(0, memcmp(&m, &before, sizeof(m)));
}

TEST_F(blob, truncated)
{
	expect_rejected(_metadata, self->buf, self->len - 1, -EINVAL);
	expect_rejected(_metadata, self->buf, 15, -EINVAL);
	expect_rejected(_metadata, self->buf, 0, -EINVAL);
	expect_rejected(_metadata, self->buf, self->len + 16, -EINVAL);
}

TEST_F(blob, bad_magic)
{
	self->buf[0] ^= 0x01;
	expect_rejected(_metadata, self->buf, self->len, -EINVAL);
}

TEST_F(blob, other_version)
{
	put32(self->buf + 4, SA_FORECAST_BLOB_VERSION + 1);
	expect_rejected(_metadata, self->buf, self->len, -EPROTONOSUPPORT);
	put32(self->buf + 4, 0);
	expect_rejected(_metadata, self->buf, self->len, -EPROTONOSUPPORT);
}

TEST_F(blob, bad_size_field)
{
	put32(self->buf + 8, self->len + 8);
	expect_rejected(_metadata, self->buf, self->len, -EINVAL);
}

TEST_F(blob, flipped_payload_byte)
{
	size_t off;

	/* every payload byte, one at a time */
	for (off = BLOB_HDR; off < self->len; off++) {
		self->buf[off] ^= 0x10;
		expect_rejected(_metadata, self->buf, self->len, -EBADMSG);
		self->buf[off] ^= 0x10;
	}
	self->buf[12] ^= 0x80;		/* the checksum itself */
	expect_rejected(_metadata, self->buf, self->len, -EBADMSG);
}

TEST_F(blob, best_out_of_range)
{
	EXPECT_EQ(self->trained.best, get32(self->buf + BLOB_BEST));
	put32(self->buf + BLOB_BEST, SA_FORECAST_BANK);
	reseal(self->buf, self->len);
	expect_rejected(_metadata, self->buf, self->len, -EINVAL);
}

TEST_F(blob, negative_level)
{
	/* the first smoother's level, a valid checksum over a bad value */
	put32(self->buf + BLOB_HDR + 4, 0x80000000U);
	reseal(self->buf, self->len);
	expect_rejected(_metadata, self->buf, self->len, -EINVAL);
}

TEST_F(blob, positions_out_of_range)
{
	/* hist_pos: after best, ticks and 64 hist entries */
	size_t hist_pos = BLOB_BEST + 8 + SA_FORECAST_WINDOW_MAX * 4;
	/* nr_resid: the last u32 before the seven u64 sums */
	size_t nr_resid = self->len - 7 * 8 - 4;

	put32(self->buf + hist_pos, SA_FORECAST_WINDOW_MAX);
	reseal(self->buf, self->len);
	expect_rejected(_metadata, self->buf, self->len, -EINVAL);
	put32(self->buf + hist_pos, 0);
	put32(self->buf + nr_resid, SA_FORECAST_STOCK + 1);
	reseal(self->buf, self->len);
	expect_rejected(_metadata, self->buf, self->len, -EINVAL);
	/* and the same blob, repaired, is accepted */
	put32(self->buf + nr_resid, self->trained.nr_resid);
	put32(self->buf + hist_pos, self->trained.hist_pos);
	reseal(self->buf, self->len);
	EXPECT_EQ(0, sa_forecast_import(&self->trained, self->buf, self->len));
}

/* A profile must be contiguous from age 0, as launches make it. */
TEST_F(blob, profile_with_a_gap)
{
	struct sa_forecast_model m;
	u8 *again = malloc(self->len);
	struct sa_forecast_launch l = { .age = 0, .pages = 5, .total = 5 };

	ASSERT_NE(NULL, again);
	sa_forecast_init(&m);
	sa_forecast_observe(&m, 5, &l, 1, 10);
	ASSERT_EQ(1, m.profile.ages);
	sa_forecast_export(&m, again);
	EXPECT_EQ(0, sa_forecast_import(&m, again, self->len));
	/* say two ages were seen: age 1 has none */
	m.profile.ages = 2;
	sa_forecast_export(&m, again);
	expect_rejected(_metadata, again, self->len, -EINVAL);
	free(again);
}

TEST_HARNESS_MAIN
