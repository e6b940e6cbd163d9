// SPDX-License-Identifier: GPL-2.0
/*
 * The forecaster core (kmod/forecast.c, compiled in) on synthetic series
 * whose answers are known: constant, ramp, step, periodic burst; the
 * where-predictor on sequential, strided and random faults; the model blob
 * and every kind of corruption; overflow at the largest demand and horizon.
 * Userspace only: no module, no VM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "../kmod/forecast.h"

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
		sa_forecast_observe(&m, 100, 10);
	TH_LOG("constant 100/tick: demand(10) %llu demand(36000) %llu err %u permille",
	       (unsigned long long)sa_forecast_demand(&m, 10),
	       (unsigned long long)sa_forecast_demand(&m, 36000),
	       sa_forecast_error_permille(&m));
	EXPECT_EQ(1000, sa_forecast_demand(&m, 10));
	EXPECT_EQ(100, sa_forecast_demand(&m, 1));
	EXPECT_EQ(3600000, sa_forecast_demand(&m, 36000));
	EXPECT_EQ(0, sa_forecast_error_permille(&m));
	EXPECT_EQ(0, m.last_abs_err);
	EXPECT_EQ(0, sa_forecast_margin(&m, 10));
	EXPECT_GT(m.nr_windows, 250);
}

TEST(prior)
{
	struct sa_forecast_model m;

	sa_forecast_init(&m);
	EXPECT_EQ(0, sa_forecast_demand(&m, 50));
	EXPECT_EQ(0, sa_forecast_margin(&m, 50));
	EXPECT_EQ(0, sa_forecast_error_permille(&m));
	EXPECT_LT(m.best, SA_FORECAST_BANK);
	/* no windows yet, so no verdict on the forecast */
	sa_forecast_observe(&m, 0, 10);
	EXPECT_EQ(0, sa_forecast_demand(&m, 10));
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
		sa_forecast_observe(&m, d[t], W);
	trend = (double)m.bank[m.best].trend / SA_FORECAST_ONE;
	want = window_sum(d, T, W);
	got = sa_forecast_demand(&m, W);
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
		sa_forecast_observe(&m, 100, W);
	for (t = 0; t < 4 * W; t++)
		sa_forecast_observe(&m, 1000, W);
	got = sa_forecast_demand(&m, W);
	TH_LOG("step 100 -> 1000: best %u (alpha %u/65536), demand %llu (10000)",
	       m.best, sa_forecast_alpha[m.best], (unsigned long long)got);
	/* a fast smoother: alpha 0.5 or more */
	EXPECT_GE(sa_forecast_alpha[m.best], SA_FORECAST_ONE / 2);
	EXPECT_LE(got, 10200);
	EXPECT_GE(got, 9800);
}

TEST(periodic_burst)
{
	enum { T = 1000, W = 10, WARM = 200 };
	u32 d[T + W];
	u64 target[T];
	struct sa_forecast_model m;
	int t, covered = 0, windows = 0;

	for (t = 0; t < T + W; t++)
		d[t] = t % 20 == 0 ? 2000 : 0;
	sa_forecast_init(&m);
	for (t = 0; t < T; t++) {
		sa_forecast_observe(&m, d[t], W);
		target[t] = sa_forecast_demand(&m, W) + sa_forecast_margin(&m, W);
	}
	/* the target set after tick t against the window t + 1 .. t + W */
	for (t = WARM; t + W < T; t++) {
		windows++;
		covered += target[t] >= window_sum(d, t + 1, W);
	}
	TH_LOG("burst 2000/20 ticks, window 10: covered %d of %d windows (%.3f), error %llu vs naive %llu (%.3f of naive), best %u",
	       covered, windows, (double)covered / windows,
	       (unsigned long long)m.sum_abs_err,
	       (unsigned long long)m.sum_naive_abs_err,
	       rel(m.sum_abs_err, m.sum_naive_abs_err), m.best);
	EXPECT_GE(covered * 10, windows * 9);
	EXPECT_LE(m.sum_abs_err * 10, m.sum_naive_abs_err * 7);
	EXPECT_GT(sa_forecast_margin(&m, W), 0);
}

TEST(window_change_restarts_scoring)
{
	struct sa_forecast_model m;
	u64 windows;
	int t;

	sa_forecast_init(&m);
	for (t = 0; t < 100; t++)
		sa_forecast_observe(&m, t % 7 ? 10 : 500, 10);
	EXPECT_GT(m.nr_errs, 0);
	windows = m.nr_windows;
	for (t = 0; t < 20; t++)
		sa_forecast_observe(&m, 10, 20);
	/* the first window of 20 ticks ends 20 ticks after the change */
	EXPECT_EQ(windows, m.nr_windows);
	EXPECT_EQ(20, m.window);
	sa_forecast_observe(&m, 10, 20);
	EXPECT_EQ(windows + 1, m.nr_windows);
}

TEST(inherit_divides)
{
	struct sa_forecast_model g, vm;
	int t;

	sa_forecast_init(&g);
	for (t = 0; t < 200; t++)
		sa_forecast_observe(&g, 400, 10);
	sa_forecast_inherit(&vm, &g, 4);
	EXPECT_EQ(4000, sa_forecast_demand(&g, 10));
	EXPECT_EQ(1000, sa_forecast_demand(&vm, 10));
	EXPECT_EQ(g.best, vm.best);
	EXPECT_EQ(g.sum_actual / 4, vm.sum_actual);
	EXPECT_EQ(100, vm.hist[0]);
	/* in place, and share 0 taken as 1 */
	sa_forecast_inherit(&g, &g, 0);
	EXPECT_EQ(4000, sa_forecast_demand(&g, 10));
}

TEST(overflow_max_demand)
{
	struct sa_forecast_model m;
	u64 prev = 0, got;
	u32 h;
	int t;

	sa_forecast_init(&m);
	for (t = 0; t < 200; t++)
		sa_forecast_observe(&m, 1U << 24, 64);
	got = sa_forecast_demand(&m, 36000);
	TH_LOG("2^24 pages/tick over 36000 ticks: %llu (%llu)",
	       (unsigned long long)got, 36000ULL << 24);
	EXPECT_EQ(36000ULL << 24, got);

	/* the steepest ramp a u32 allows, then the largest samples */
	sa_forecast_init(&m);
	for (t = 0; t < 64; t++)
		sa_forecast_observe(&m, (u32)((u64)t * 0xffffffffULL / 63), 64);
	for (h = 1; h <= 36000; h += 97) {
		got = sa_forecast_demand(&m, h);
		ASSERT_GE(got, prev);
		ASSERT_LE(got, (u64)h << 32);
		prev = got;
	}
	got = sa_forecast_demand(&m, ~0U);
	EXPECT_LE(got, (1ULL << 20) << 32);
	EXPECT_GE(got, prev);
	/* alternating extremes: the largest errors, then the margin */
	for (t = 0; t < 300; t++)
		sa_forecast_observe(&m, t % 3 ? 0 : 0xffffffffU, 64);
	got = sa_forecast_margin(&m, 36000);
	EXPECT_GE(got, sa_forecast_margin(&m, 64));
	EXPECT_LE(got, 36000ULL << 32);
	EXPECT_LE(sa_forecast_error_permille(&m), 10000);
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
	u32 agree = 0;
	u64 next = 0;

	sa_forecast_where_init(&w);
	/* 20 regions of 2 MiB from 1 GiB on, every 4 KiB page in order */
	where_feed_pages(&w, 1ULL << 30, 20 * 512);
	ASSERT_TRUE(sa_forecast_where_next(&w, &next, &agree));
	EXPECT_EQ((1ULL << 30 >> 21) + 19, w.last_region);
	EXPECT_EQ(w.last_region + 1, next);
	EXPECT_EQ(1000, agree);
	EXPECT_TRUE(sa_forecast_where_huge(&w));
}

TEST(where_2m_mappings)
{
	struct sa_forecast_where w;
	u64 next = 0;
	int i;

	sa_forecast_where_init(&w);
	for (i = 0; i < 8; i++)
		sa_forecast_where_observe(&w, (u64)i << 21, 512);
	EXPECT_TRUE(sa_forecast_where_next(&w, &next, NULL));
	EXPECT_EQ(8, next);
	EXPECT_TRUE(sa_forecast_where_huge(&w));
}

TEST(where_strided)
{
	struct sa_forecast_where w;
	u32 agree = 0;
	u64 next = 0;
	int i;

	sa_forecast_where_init(&w);
	/* one page every 3 regions */
	for (i = 0; i < 40; i++)
		sa_forecast_where_observe(&w, (u64)i * 3 << 21, 1);
	ASSERT_TRUE(sa_forecast_where_next(&w, &next, &agree));
	EXPECT_EQ(w.last_region + 3, next);
	EXPECT_EQ(39 * 3, w.last_region);
	EXPECT_EQ(1000, agree);
	EXPECT_FALSE(sa_forecast_where_huge(&w));
}

TEST(where_random)
{
	struct sa_forecast_where w;
	u64 next = 0, rng = 88172645463325252ULL;
	int i;

	sa_forecast_where_init(&w);
	for (i = 0; i < 1000; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		/* 16 GiB of guest memory */
		sa_forecast_where_observe(&w, rng % (16ULL << 30), 1);
		if (i > 20)
			ASSERT_FALSE(sa_forecast_where_next(&w, &next, NULL));
	}
	EXPECT_FALSE(sa_forecast_where_huge(&w));
}

TEST(where_few_steps)
{
	struct sa_forecast_where w;
	u64 next = 0;

	sa_forecast_where_init(&w);
	EXPECT_FALSE(sa_forecast_where_next(&w, &next, NULL));
	sa_forecast_where_observe(&w, 0, 1);
	sa_forecast_where_observe(&w, 1 << 21, 1);
	sa_forecast_where_observe(&w, 2 << 21, 1);
	/* two steps: not enough for a majority */
	EXPECT_FALSE(sa_forecast_where_next(&w, &next, NULL));
	/* a stride that would go below region 0 is no prediction */
	sa_forecast_where_init(&w);
	sa_forecast_where_observe(&w, 8ULL << 21, 1);
	sa_forecast_where_observe(&w, 6ULL << 21, 1);
	sa_forecast_where_observe(&w, 4ULL << 21, 1);
	sa_forecast_where_observe(&w, 2ULL << 21, 1);
	sa_forecast_where_observe(&w, 0, 1);
	EXPECT_FALSE(sa_forecast_where_next(&w, &next, NULL));
}

/* A model exported at any tick imports again: partly filled rings too. */
TEST(export_import_every_tick)
{
	struct sa_forecast_model m, back;
	u8 *buf = malloc(sa_forecast_blob_size());
	int t, bad = 0;

	ASSERT_NE(NULL, buf);
	sa_forecast_init(&m);
	for (t = 0; t < 400; t++) {
		sa_forecast_observe(&m, t % 17 ? 20 : 900, 10);
		sa_forecast_export(&m, buf);
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
		sa_forecast_observe(&a, 0, 10);
	for (t = 0; t < 100; t++) {
		sa_forecast_observe(&a, 100, 10);
		sa_forecast_observe(&b, 100, 10);
	}
	EXPECT_EQ(100, a.ticks);
	EXPECT_EQ(0, memcmp(&a, &b, sizeof(a)));
	EXPECT_EQ(0, sa_forecast_error_permille(&a));
}

/*
 * After a boot-like burst the target never exceeds 5/4 of the largest
 * window demand seen, while demand + margin alone would.
 */
TEST(target_capped_by_peak)
{
	u64 peak = 0, worst = 0, uncapped = 0, target;
	struct sa_forecast_model m;
	u32 d[200];
	int t;

	sa_forecast_init(&m);
	for (t = 0; t < 200; t++)
		d[t] = t < 40 ? 10 : t < 55 ? 100 + 300 * (t - 40) : 0;
	for (t = 0; t < 200; t++) {
		sa_forecast_observe(&m, d[t], 10);
		if (t >= 9 && window_sum(d, t - 9, 10) > peak)
			peak = window_sum(d, t - 9, 10);
		target = sa_forecast_target(&m, 10);
		if (m.nr_errs && target * 4 > peak * 5)
			worst++;
		if (sa_forecast_demand(&m, 10) + sa_forecast_margin(&m, 10) > target)
			uncapped++;
	}
	TH_LOG("peak window %llu pages; %llu ticks where the cap bit",
	       (unsigned long long)peak, (unsigned long long)uncapped);
	EXPECT_EQ(0, worst);
	EXPECT_GT(uncapped, 0);
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
		sa_forecast_observe(&self->trained, t % 20 ? 30 + t / 10 : 1500, 12);
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
		sa_forecast_observe(&m, t * 7 % 300, 12);
		sa_forecast_observe(&self->trained, t * 7 % 300, 12);
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
	/* nr_errs: the last u32 before the five u64 sums */
	size_t nr_errs = self->len - 5 * 8 - 4;

	put32(self->buf + hist_pos, SA_FORECAST_WINDOW_MAX);
	reseal(self->buf, self->len);
	expect_rejected(_metadata, self->buf, self->len, -EINVAL);
	put32(self->buf + hist_pos, 0);
	put32(self->buf + nr_errs, SA_FORECAST_ERRS + 1);
	reseal(self->buf, self->len);
	expect_rejected(_metadata, self->buf, self->len, -EINVAL);
	/* and the same blob, repaired, is accepted */
	put32(self->buf + nr_errs, self->trained.nr_errs);
	put32(self->buf + hist_pos, self->trained.hist_pos);
	reseal(self->buf, self->len);
	EXPECT_EQ(0, sa_forecast_import(&self->trained, self->buf, self->len));
}

TEST_HARNESS_MAIN
