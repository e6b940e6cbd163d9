// SPDX-License-Identifier: GPL-2.0
/*
 * GET_STATS says what it means (stats VER5, ABI version 6): a page-weighted
 * hit rate, pages freed with a memory object apart from discards, time
 * saved before the first miss, accuracy 0 for a group with no data; and
 * the reservation rules: a cap below the reservation is refused and
 * changes nothing, a reservation the shrinker trimmed is reported as a
 * shortfall and staged again; the default cap never exceeds RAM. The work
 * moved off the fault path (VER5): pages zeroed by the refill and on the
 * fault path, the refill's CPU time, pages zeroed then evicted unused by
 * cause. GROUP_FAULT_HIST: the fault service-time histogram per class
 * agrees with GET_STATS's counts and sums exactly, its percentiles with
 * the measured mean, bad input gets its errno.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <time.h>

#include "kselftest_harness.h"
#include "libshadowalloc.h"
#include "sa_test.h"
#include "sa_reliability.h"

#define G1 1201
#define G2 1202
#define PAGE 4096UL
#define HUGE (2UL << 20)
#define FS_DIR "/tmp/shadowallocfs-stats"

FIXTURE(stats) {
	int fd;
	unsigned long default_mb;
};

FIXTURE_SETUP(stats)
{
	self->fd = open(SA_DEV, O_RDWR);
	if (self->fd < 0)
		SKIP(return, "%s: %s", SA_DEV, strerror(errno));
	ASSERT_EQ(0, __sa_read_param("default_max_staged_mb",
				     &self->default_mb));
	__sa_remove_vm(self->fd, G1, getpid());
	__sa_destroy(self->fd, G1);
	__sa_destroy(self->fd, G2);
	ASSERT_EQ(0, __sa_create(self->fd, G1, 0, 0, 0));
}

FIXTURE_TEARDOWN(stats)
{
	char buf[32];

	if (self->fd < 0)
		return;
	snprintf(buf, sizeof(buf), "%lu", self->default_mb);
	__sa_write_param("default_max_staged_mb", buf);
	__sa_remove_vm(self->fd, G1, getpid());
	__sa_destroy(self->fd, G1);
	__sa_destroy(self->fd, G2);
	close(self->fd);
}

/*
 * One 2 MiB miss and one 4 KiB hit: two faults, half of them hits, but
 * only 1 of 513 pages came from the pool. Only 4 KiB folios are staged
 * (2 MiB allowed only once they are), so the aligned 2 MiB touch
 * (MADV_HUGEPAGE) finds nothing of its size: a miss (a staged 4 KiB page
 * would pin the range to 4 KiB mappings); the 4 KiB touch
 * (MADV_NOHUGEPAGE) takes a staged page. (A 4 KiB touch with only blocks
 * staged is no miss: it splits one.)
 */
TEST_F(stats, page_weighted_hit_rate)
{
	struct shadowalloc_stats st;
	char *area;
	int mfd;

	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, getpid()));
	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_MAX_AGE,
			       600000, 0, 0));
	ASSERT_EQ(0, __sa_stage(self->fd, G1, 512));
	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_HUGE,
			       0, 0, 1));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	ASSERT_EQ(0, st.staged_huge_pages);
	ASSERT_EQ(512, st.staged_pages);

	mfd = open(SA_DEV, O_RDWR);
	ASSERT_GE(mfd, 0);
	area = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, (unsigned long)area % HUGE);
	ASSERT_EQ(0, madvise(area, HUGE, MADV_NOHUGEPAGE));
	ASSERT_EQ(0, madvise(area + HUGE, HUGE, MADV_HUGEPAGE));
	area[0] = 1;
	area[HUGE] = 1;

	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	TH_LOG("faults %llu: hits %llu (%llu pages), misses %llu (%llu pages); hit rate %u permille of faults, %u of pages",
	       st.faults, st.hits, st.hit_pages, st.misses, st.miss_pages,
	       st.hit_rate_permille, st.hit_rate_pages_permille);
	EXPECT_EQ(2, st.faults);
	EXPECT_EQ(1, st.hits);
	EXPECT_EQ(0, st.hits_huge);
	EXPECT_EQ(1, st.misses);
	EXPECT_EQ(1, st.hit_pages);
	EXPECT_EQ(512, st.miss_pages);
	EXPECT_EQ(500, st.hit_rate_permille);
	EXPECT_EQ(1 * 1000 / 513, st.hit_rate_pages_permille);
	EXPECT_EQ(0, st.pad2);
	munmap(area, 2 * HUGE);
	close(mfd);
}

/*
 * A VM that exits without discarding anything: its pages are released
 * with the object, not "discard returned". On shadowallocfs, a hole punch
 * and a shrinking ftruncate are discards; unlinking the file and closing
 * it releases the rest.
 */
TEST_F(stats, released_is_not_discard)
{
	const unsigned long n = 128;
	struct shadowalloc_stats st;
	char path[64], *p;
	unsigned long i;
	int mfd;

	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, getpid()));
	ASSERT_EQ(0, __sa_enable(self->fd, G1));

	/* The device: touch, unmap, close. */
	mfd = open(SA_DEV, O_RDWR);
	ASSERT_GE(mfd, 0);
	p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < n; i++)
		p[i * PAGE] = 1;
	munmap(p, n * PAGE);
	close(mfd);
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	TH_LOG("no discard, object closed: discard_returned %llu, released %llu",
	       st.discard_returned_pages, st.released_pages);
	EXPECT_EQ(n, st.faults);
	EXPECT_EQ(0, st.discard_returned_pages);
	EXPECT_EQ(n, st.released_pages);

	/* shadowallocfs: punch a quarter, shrink by another quarter. */
	mkdir(FS_DIR, 0700);
	ASSERT_EQ(0, mount("none", FS_DIR, "shadowallocfs", 0, NULL));
	snprintf(path, sizeof(path), "%s/ram0", FS_DIR);
	mfd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ASSERT_GE(mfd, 0);
	ASSERT_EQ(0, ftruncate(mfd, n * PAGE));
	p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < n; i++)
		p[i * PAGE] = 1;
	ASSERT_EQ(0, fallocate(mfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       0, n / 4 * PAGE));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(n / 4, st.discard_returned_pages);
	EXPECT_EQ(n, st.released_pages);
	munmap(p, n * PAGE);
	/* n / 2 .. n go: with the hole, three quarters given back. */
	ASSERT_EQ(0, ftruncate(mfd, n / 2 * PAGE));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(n / 4 + n / 2, st.discard_returned_pages);
	EXPECT_EQ(n, st.released_pages);
	ASSERT_EQ(0, unlink(path));
	close(mfd);
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	TH_LOG("shadowallocfs: discard_returned %llu, released %llu",
	       st.discard_returned_pages, st.released_pages);
	EXPECT_EQ(n / 4 + n / 2, st.discard_returned_pages);
	/* n / 4 .. n / 2 was left: the last quarter, released. */
	EXPECT_EQ(n + n / 4, st.released_pages);
	ASSERT_EQ(0, umount(FS_DIR));
	rmdir(FS_DIR);
	EXPECT_EQ(0, sa_debugfs_value("mem_pages "));
}

/*
 * Hits and no miss yet: the time saved is estimated from the refill's
 * allocate-and-zero time per page, not 0 until the first miss. Once a
 * miss is measured, its cost takes over.
 */
TEST_F(stats, time_saved_before_first_miss)
{
	struct shadowalloc_pool_config slow = {
		.size = sizeof(slow), .group_id = G1,
		.flags = SHADOWALLOC_POOL_SET_CAP |
			 SHADOWALLOC_POOL_SET_ZERO_BUDGET,
		.max_staged_bytes = PAGE,
		.zero_pages_per_sec = SHADOWALLOC_ZERO_BUDGET_MIN,
	};
	const unsigned long n = 256, extra = 64;
	struct shadowalloc_stats st;
	unsigned long long per_page;
	unsigned long i;
	char *p;
	int mfd;

	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, getpid()));
	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_MAX_AGE,
			       600000, 0, 0));
	ASSERT_EQ(0, __sa_stage(self->fd, G1, n));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_GE(st.zeroed_pages, n);
	EXPECT_GT(st.refill_zero_ns, 0);
	EXPECT_EQ(0, st.time_saved_ns);

	mfd = open(SA_DEV, O_RDWR);
	ASSERT_GE(mfd, 0);
	p = mmap(NULL, (n + extra) * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 mfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, madvise(p, (n + extra) * PAGE, MADV_NOHUGEPAGE));
	for (i = 0; i < n; i++)
		p[i * PAGE] = 1;
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	ASSERT_EQ(n, st.hits);
	ASSERT_EQ(0, st.misses);
	per_page = st.refill_zero_ns / st.zeroed_pages;
	TH_LOG("%llu hits, no miss: refill %llu ns per page, time saved %llu ns",
	       st.hits, per_page, st.time_saved_ns);
	EXPECT_GT(st.time_saved_ns, 0);
	EXPECT_EQ(st.hit_pages * per_page, st.time_saved_ns);

	/*
	 * A miss: the measured cost per page, less what the hits took. A
	 * one-page cap and the smallest zeroing budget leave the pool at
	 * most one page: of a few more touches, some miss.
	 */
	ASSERT_EQ(0, __sa_ioctl(self->fd, SHADOWALLOC_IOC_POOL_CONFIG, &slow));
	for (i = n; i < n + extra && !st.misses; i++) {
		p[i * PAGE] = 1;
		ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	}
	ASSERT_GT(st.misses, 0);
	per_page = st.miss_service_ns / st.miss_pages;
	TH_LOG("after %llu miss(es): %llu ns per page, time saved %llu ns",
	       st.misses, per_page, st.time_saved_ns);
	EXPECT_EQ(st.hit_pages * per_page > st.hit_service_ns ?
		  st.hit_pages * per_page - st.hit_service_ns : 0,
		  st.time_saved_ns);
	munmap(p, (n + extra) * PAGE);
	close(mfd);
}

/*
 * A cap below the outstanding reservation is refused with -EBUSY and
 * nothing changes, not even the other fields of the same call; a cap
 * equal to it is accepted. With the reservation cancelled, a lower cap
 * releases the staged pages beyond it, counted as cap evictions.
 */
TEST_F(stats, cap_below_reservation_busy)
{
	const unsigned long n = 512;
	struct shadowalloc_stats before, st;

	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_CAP |
			       SHADOWALLOC_POOL_SET_MAX_AGE, 600000,
			       2 * n * PAGE, 0));
	ASSERT_EQ(0, __sa_stage(self->fd, G1, n));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &before));
	ASSERT_EQ(n, before.reserved_pages);
	ASSERT_EQ(n, before.staged_pages);

	EXPECT_EQ(-EBUSY, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_CAP |
				    SHADOWALLOC_POOL_SET_MAX_AGE |
				    SHADOWALLOC_POOL_SET_HUGE, 1000,
				    (n - 1) * PAGE, 1));
	EXPECT_EQ(-EBUSY, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_CAP, 0,
				    PAGE, 0));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(before.max_staged_bytes, st.max_staged_bytes);
	EXPECT_EQ(before.max_age_ms, st.max_age_ms);
	EXPECT_EQ(before.state, st.state);
	EXPECT_EQ(n, st.reserved_pages);
	EXPECT_EQ(n, st.staged_pages);
	EXPECT_EQ(0, st.evicted_pages);
	EXPECT_EQ(0, st.cap_evicted_pages);
	EXPECT_EQ(0, st.reserve_shortfall_pages);

	/* Bad input still comes first: -EINVAL for an unaligned cap. */
	EXPECT_EQ(-EINVAL, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_CAP, 0,
				     PAGE + 1, 0));
	/* Exactly the reservation: fits. */
	EXPECT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_CAP, 0,
			       n * PAGE, 0));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(n * PAGE, st.max_staged_bytes);
	EXPECT_EQ(n, st.staged_pages);
	EXPECT_EQ(n, st.reserved_pages);
	EXPECT_EQ(0, st.cap_evicted_pages);

	/* Cancelled: a quarter of it as the cap evicts the other pages. */
	ASSERT_EQ(0, __sa_reserve(self->fd, G1, 0));
	EXPECT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_CAP, 0,
			       n / 4 * PAGE, 0));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	TH_LOG("cap %llu pages: staged %llu, evicted %llu, by the cap %llu",
	       st.max_staged_bytes / PAGE, st.staged_pages, st.evicted_pages,
	       st.cap_evicted_pages);
	EXPECT_EQ(n / 4, st.staged_pages);
	EXPECT_EQ(n - n / 4, st.cap_evicted_pages);
	EXPECT_EQ(st.evicted_pages, st.cap_evicted_pages);
	/* And a reservation above the cap is still -ENOSPC. */
	EXPECT_EQ(-ENOSPC, __sa_reserve(self->fd, G1, n / 4 + 1));
	ASSERT_EQ(0, __sa_disable(self->fd, G1));
}

/*
 * Reclaim takes the staged pages of a reservation; the reservation stays,
 * the part not staged is reported as a shortfall, and after the
 * shrinker's back-off the refill stages it again, by itself.
 */
TEST_F_TIMEOUT(stats, reservation_restaged_after_shrinker, 120)
{
	const unsigned long n = 1024;
	struct shadowalloc_stats st;
	double t0;
	int i;

	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_MAX_AGE,
			       600000, 0, 0));
	ASSERT_EQ(0, __sa_stage(self->fd, G1, n));
	ASSERT_EQ(0, __sa_write_file("/proc/sys/vm/drop_caches", "2"));
	t0 = sa_now_s();
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	TH_LOG("after the shrinker: staged %llu, reserved %llu, shortfall %llu, evicted %llu",
	       st.staged_pages, st.reserved_pages, st.reserve_shortfall_pages,
	       st.evicted_pages);
	EXPECT_EQ(n, st.reserved_pages);
	EXPECT_GE(st.evicted_pages, 1);
	/* What the shrinker took was zeroed for nothing (stats VER5). */
	EXPECT_EQ(st.evicted_pages, st.shrinker_evicted_pages);
	EXPECT_EQ(st.shrinker_evicted_pages, st.evicted_unused_pages);
	EXPECT_EQ(0, st.aged_out_pages);
	if (sa_now_s() - t0 < 0.9) {
		/* Within the back-off: nothing staged again yet. */
		EXPECT_LT(st.staged_pages, n);
		EXPECT_EQ(n - st.staged_pages, st.reserve_shortfall_pages);
		EXPECT_GT(st.reserve_shortfall_pages, 0);
	}
	EXPECT_EQ(n, st.staging_target_pages);

	/* No new reservation: the same one is staged again. */
	for (i = 0; i < 600; i++) {
		ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
		if (st.staged_pages >= n)
			break;
		usleep(50000);
	}
	TH_LOG("%.3f s after the shrinker: staged %llu, reserved %llu, shortfall %llu",
	       sa_now_s() - t0, st.staged_pages, st.reserved_pages,
	       st.reserve_shortfall_pages);
	EXPECT_GE(st.staged_pages, n);
	EXPECT_EQ(n, st.reserved_pages);
	EXPECT_EQ(0, st.reserve_shortfall_pages);
	EXPECT_GE(sa_now_s() - t0, 0.9);
	ASSERT_EQ(0, __sa_disable(self->fd, G1));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(0, st.reserved_pages);
	EXPECT_EQ(0, st.reserve_shortfall_pages);
}

/*
 * A group nobody touches: its model starts at the first demand, so no
 * window is scored and accuracy reads 0 (no data), not 1000, with no
 * error either way and no forecast.
 */
TEST_F(stats, no_demand_accuracy_is_no_data)
{
	struct shadowalloc_stats st;

	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, getpid()));
	ASSERT_EQ(0, __sa_horizon(self->fd, G1, SHADOWALLOC_HORIZON_MIN_MS));
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	/* 20 forecast ticks, each of which could have scored a window. */
	usleep(20 * SHADOWALLOC_TICK_MS * 1000);
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	TH_LOG("%llu windows, no demand: accuracy %u, error %u, naive %u permille, forecast %llu",
	       st.forecast_windows, st.accuracy_permille,
	       st.forecast_err_permille, st.naive_err_permille,
	       st.forecast_pages);
	EXPECT_EQ(0, st.faults);
	EXPECT_EQ(0, st.forecast_windows);
	EXPECT_EQ(0, st.forecast_pages);
	EXPECT_EQ(0, st.accuracy_permille);
	EXPECT_EQ(0, st.forecast_err_permille);
	EXPECT_EQ(0, st.naive_err_permille);
	ASSERT_EQ(0, __sa_disable(self->fd, G1));
}

/*
 * Steady demand, forecast from it: some windows overlap, so accuracy is
 * above 0 whatever the relative error (which an error of 100 % or more
 * used to force to 0).
 */
TEST_F_TIMEOUT(stats, demand_accuracy_overlaps, 120)
{
	const unsigned long per_round = 16, rounds = 40;
	struct shadowalloc_stats st;
	unsigned long i, j;
	char *p;
	int mfd;

	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, getpid()));
	ASSERT_EQ(0, __sa_horizon(self->fd, G1, SHADOWALLOC_HORIZON_MIN_MS));
	ASSERT_EQ(0, __sa_enable(self->fd, G1));
	mfd = open(SA_DEV, O_RDWR);
	ASSERT_GE(mfd, 0);
	p = mmap(NULL, per_round * rounds * PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, madvise(p, per_round * rounds * PAGE, MADV_NOHUGEPAGE));
	for (i = 0; i < rounds; i++) {
		for (j = 0; j < per_round; j++)
			p[(i * per_round + j) * PAGE] = 1;
		usleep(SHADOWALLOC_TICK_MS * 1000);
	}
	usleep(3 * SHADOWALLOC_TICK_MS * 1000);
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	TH_LOG("%llu windows: accuracy %u, error %u, naive %u permille",
	       st.forecast_windows, st.accuracy_permille,
	       st.forecast_err_permille, st.naive_err_permille);
	EXPECT_GT(st.forecast_windows, 0);
	EXPECT_GT(st.accuracy_permille, 0);
	EXPECT_LE(st.accuracy_permille, 1000);
	munmap(p, per_round * rounds * PAGE);
	close(mfd);
	ASSERT_EQ(0, __sa_disable(self->fd, G1));
}

/*
 * default_max_staged_mb above RAM: a group created without a cap gets
 * the total RAM, the same bound POOL_CONFIG checks, so the cap it gets is
 * one POOL_CONFIG would accept. Below RAM, the value itself.
 */
TEST_F(stats, default_cap_clamped_to_ram)
{
	struct shadowalloc_stats st;
	struct sysinfo si;
	uint64_t ram;

	ASSERT_EQ(0, sysinfo(&si));
	ram = (uint64_t)si.totalram * si.mem_unit;
	ASSERT_EQ(0, __sa_write_param("default_max_staged_mb", "1048576"));
	ASSERT_EQ(0, __sa_create(self->fd, G2, 0, 0, 0));
	ASSERT_EQ(0, __sa_stats(self->fd, G2, &st));
	TH_LOG("default_max_staged_mb=1048576, RAM %llu MiB: cap %llu MiB",
	       (unsigned long long)ram >> 20, st.max_staged_bytes >> 20);
	EXPECT_EQ(ram < (1ULL << 40) ? ram : 1ULL << 40, st.max_staged_bytes);
	/* What the group got, POOL_CONFIG accepts; above RAM it refuses. */
	EXPECT_EQ(0, __sa_pool(self->fd, G2, SHADOWALLOC_POOL_SET_CAP, 0,
			       st.max_staged_bytes, 0));
	EXPECT_EQ(-EINVAL, __sa_pool(self->fd, G2, SHADOWALLOC_POOL_SET_CAP, 0,
				     ram + PAGE, 0));
	/* A reservation of all of it is allowed, as for any cap. */
	EXPECT_EQ(0, __sa_reserve(self->fd, G2, st.max_staged_bytes / PAGE));
	EXPECT_EQ(0, __sa_reserve(self->fd, G2, 0));
	ASSERT_EQ(0, __sa_destroy(self->fd, G2));

	/* The value itself, where it fits. */
	ASSERT_EQ(0, __sa_write_param("default_max_staged_mb", "16"));
	ASSERT_EQ(0, __sa_create(self->fd, G2, 0, 0, 0));
	ASSERT_EQ(0, __sa_stats(self->fd, G2, &st));
	EXPECT_EQ(16ULL << 20, st.max_staged_bytes);
	ASSERT_EQ(0, __sa_destroy(self->fd, G2));
	/* The parameter's own range is unchanged. */
	EXPECT_NE(0, __sa_write_param("default_max_staged_mb", "1048577"));
}

/* GROUP_FAULT_HIST's raw call, @arg filled by the caller. */
static int hist_ioctl(int fd, unsigned long cmd, struct shadowalloc_fault_hist *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/*
 * The histogram's mean, each fault at its bucket's middle: within 12.5 %
 * of the true mean for faults of 256 ns or more (a bucket's width is at
 * most a quarter of its lower bound).
 */
static double hist_mid_mean(const struct shadowalloc_hist *h, uint32_t c)
{
	const struct shadowalloc_fault_hist *l = &h->layout;
	double sum = 0;
	uint64_t lo, hi, n, count = 0;
	uint32_t b;

	for (b = 0; b < l->nr_buckets; b++) {
		n = h->buckets[c * l->nr_buckets + b];
		shadowalloc_hist_bucket_bounds(l, b, &lo, &hi);
		if (hi == UINT64_MAX)
			hi = lo;
		sum += n * (lo + hi) / 2.0;
		count += n;
	}
	return count ? sum / count : 0;
}

/*
 * N 4 KiB misses and one 2 MiB hit (as page_weighted_hit_rate: two 2 MiB
 * blocks staged, the 2 MiB touch first): the histogram counts per class
 * are GET_STATS's fault counts exactly, its per-class sums are the
 * service-time sums, its percentiles are ordered and agree with the
 * measured mean. N <= 100 faults: p99's rank is the slowest fault, which
 * is at least the mean, and p50 is at most twice the mean (Markov); each
 * read within the 1.25 of its bucket. Then a new group starts empty.
 */
TEST_F(stats, fault_hist_matches_stats)
{
	static const char *const names[] = { "4k_hit", "4k_miss", "2m_hit",
					     "2m_miss" };
	/* A 4 KiB touch splits the block left: 512 hits, then misses. */
	const unsigned long n = 512 + 64;
	struct shadowalloc_stats st;
	struct shadowalloc_hist h;
	FILE *dbg;
	uint64_t c[4], p50, p90, p99, lo, hi;
	double mean;
	unsigned long i;
	uint32_t k;
	char *area;
	int mfd;

	ASSERT_EQ(0, __sa_add_vm(self->fd, G1, getpid()));
	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_HUGE |
			       SHADOWALLOC_POOL_SET_MAX_AGE, 600000, 0, 1));
	ASSERT_EQ(0, __sa_stage(self->fd, G1, 2 * 512));

	/* An empty group's histogram: the layout, no fault. */
	ASSERT_EQ(0, shadowalloc_get_fault_hist(self->fd, G1, &h));
	EXPECT_EQ(SHADOWALLOC_FAULT_CLASSES, h.layout.nr_classes);
	EXPECT_EQ(2 + ((h.layout.last_shift - h.layout.first_shift) <<
		       h.layout.sub_shift), h.layout.nr_buckets);
	EXPECT_EQ(h.layout.nr_classes * h.layout.nr_buckets * 8,
		  h.layout.buf_len);
	for (k = 0; k < SHADOWALLOC_FAULT_CLASSES; k++)
		EXPECT_EQ(0, h.layout.count[k]);
	shadowalloc_hist_free(&h);

	mfd = open(SA_DEV, O_RDWR);
	ASSERT_GE(mfd, 0);
	area = mmap(NULL, 3 * HUGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, (unsigned long)area % HUGE);
	ASSERT_EQ(0, madvise(area, 2 * HUGE, MADV_NOHUGEPAGE));
	ASSERT_EQ(0, madvise(area + 2 * HUGE, HUGE, MADV_HUGEPAGE));
	area[2 * HUGE] = 1;
	for (i = 0; i < n; i++)
		area[i * PAGE] = 1;

	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	ASSERT_EQ(0, shadowalloc_get_fault_hist(self->fd, G1, &h));
	for (k = 0; k < 4; k++)
		c[k] = h.layout.count[k];
	TH_LOG("stats: hits %llu (2 MiB %llu), misses %llu (%llu pages), raced %llu; hist: 4k_hit %llu 4k_miss %llu 2m_hit %llu 2m_miss %llu",
	       st.hits, st.hits_huge, st.misses, st.miss_pages, st.raced,
	       (unsigned long long)c[0], (unsigned long long)c[1],
	       (unsigned long long)c[2], (unsigned long long)c[3]);
	/* What GET_STATS counts, class by class. */
	EXPECT_EQ(st.hits_huge, c[SHADOWALLOC_FAULT_2M_HIT]);
	EXPECT_EQ(st.hits - st.hits_huge, c[SHADOWALLOC_FAULT_4K_HIT]);
	EXPECT_EQ(st.misses, c[SHADOWALLOC_FAULT_4K_MISS] +
			     c[SHADOWALLOC_FAULT_2M_MISS]);
	EXPECT_EQ(st.miss_pages, c[SHADOWALLOC_FAULT_4K_MISS] +
				 512 * c[SHADOWALLOC_FAULT_2M_MISS]);
	EXPECT_EQ(st.hit_service_ns, h.layout.sum_ns[SHADOWALLOC_FAULT_4K_HIT] +
				     h.layout.sum_ns[SHADOWALLOC_FAULT_2M_HIT]);
	EXPECT_EQ(st.miss_service_ns,
		  h.layout.sum_ns[SHADOWALLOC_FAULT_4K_MISS] +
		  h.layout.sum_ns[SHADOWALLOC_FAULT_2M_MISS]);
	/*
	 * What the test did: one 2 MiB hit, N 4 KiB touches: the first 512
	 * split the other block and hit, the rest miss (the reservation is
	 * used up) unless a forecast tick staged pages for them meanwhile.
	 */
	EXPECT_EQ(1, c[SHADOWALLOC_FAULT_2M_HIT]);
	EXPECT_EQ(n, c[SHADOWALLOC_FAULT_4K_MISS] + c[SHADOWALLOC_FAULT_4K_HIT]);
	EXPECT_GE(c[SHADOWALLOC_FAULT_4K_MISS], 1);
	EXPECT_EQ(0, c[SHADOWALLOC_FAULT_2M_MISS]);
	/* Zeroing, by where it happened (stats VER5). */
	EXPECT_EQ(st.miss_pages, st.fault_zeroed_pages);

	for (k = 0; k < SHADOWALLOC_FAULT_CLASSES; k++) {
		if (!c[k])
			continue;
		mean = (double)h.layout.sum_ns[k] / c[k];
		p50 = shadowalloc_hist_percentile(&h, k, 500);
		p90 = shadowalloc_hist_percentile(&h, k, 900);
		p99 = shadowalloc_hist_percentile(&h, k, 990);
		TH_LOG("class %u: %llu faults, mean %.0f ns (buckets' %.0f), p50 %llu p90 %llu p99 %llu ns",
		       k, (unsigned long long)c[k], mean, hist_mid_mean(&h, k),
		       (unsigned long long)p50, (unsigned long long)p90,
		       (unsigned long long)p99);
		EXPECT_LE(p50, p90);
		EXPECT_LE(p90, p99);
		EXPECT_GT(p50, 0);
		EXPECT_LE(p50, 2.5 * mean);
		EXPECT_GE(p99 * 1.25, mean);
		EXPECT_LE(hist_mid_mean(&h, k), mean * 1.13 + 256);
		EXPECT_GE(hist_mid_mean(&h, k), mean * 0.87 - 256);
	}
	/* One fault: every percentile is its bucket's upper bound. */
	for (k = 0; k < h.layout.nr_buckets; k++)
		if (h.buckets[SHADOWALLOC_FAULT_2M_HIT * h.layout.nr_buckets + k])
			break;
	ASSERT_LT(k, h.layout.nr_buckets);
	shadowalloc_hist_bucket_bounds(&h.layout, k, &lo, &hi);
	EXPECT_LE(lo, h.layout.sum_ns[SHADOWALLOC_FAULT_2M_HIT]);
	EXPECT_GT(hi, h.layout.sum_ns[SHADOWALLOC_FAULT_2M_HIT]);
	if (hi != UINT64_MAX)
		EXPECT_EQ(hi, shadowalloc_hist_percentile(&h, SHADOWALLOC_FAULT_2M_HIT, 500));
	/* debugfs shows the same counts and sums. */
	dbg = fopen("/sys/kernel/debug/shadowalloc/fault_hist", "r");
	if (dbg) {
		char line[4096], want[128];
		int found = 0;

		while (fgets(line, sizeof(line), dbg))
			for (k = 0; k < SHADOWALLOC_FAULT_CLASSES; k++) {
				snprintf(want, sizeof(want),
					 "group %u %s count %llu sum_ns %llu", G1,
					 names[k], (unsigned long long)c[k],
					 (unsigned long long)h.layout.sum_ns[k]);
				if (!strncmp(line, want, strlen(want)) &&
				    (line[strlen(want)] == ' ' ||
				     line[strlen(want)] == '\n'))
					found++;
			}
		fclose(dbg);
		EXPECT_EQ(SHADOWALLOC_FAULT_CLASSES, found);
	} else {
		TH_LOG("debugfs fault_hist: %s (not checked)", strerror(errno));
	}
	shadowalloc_hist_free(&h);
	munmap(area, 3 * HUGE);
	close(mfd);

	/* The histogram goes with the group: a new one starts empty. */
	ASSERT_EQ(0, __sa_remove_vm(self->fd, G1, getpid()));
	ASSERT_EQ(0, __sa_destroy(self->fd, G1));
	ASSERT_EQ(0, __sa_create(self->fd, G1, 0, 0, 0));
	ASSERT_EQ(0, shadowalloc_get_fault_hist(self->fd, G1, &h));
	for (k = 0; k < SHADOWALLOC_FAULT_CLASSES; k++) {
		EXPECT_EQ(0, h.layout.count[k]);
		EXPECT_EQ(0, h.layout.sum_ns[k]);
	}
	for (k = 0; k < h.layout.nr_classes * h.layout.nr_buckets; k++)
		EXPECT_EQ(0, h.buckets[k]);
	shadowalloc_hist_free(&h);
}

/* Bad GROUP_FAULT_HIST input: the precise errno, and nothing written. */
TEST_F(stats, fault_hist_bad_input)
{
	struct shadowalloc_fault_hist q = {
		.size = sizeof(q), .group_id = G1,
	}, a;
	uint64_t *buf;
	uint32_t need;
	unsigned char raw[4096 + 8];

	/* A query: the layout and the bytes a buffer needs. */
	ASSERT_EQ(0, hist_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_FAULT_HIST, &q));
	EXPECT_EQ(sizeof(q), q.size);
	need = q.buf_len;
	EXPECT_EQ(q.nr_classes * q.nr_buckets * 8, need);
	EXPECT_EQ(0, q.pad0);
	buf = calloc(1, need);
	ASSERT_NE(NULL, buf);

	/* Flags: none defined. */
	a = (struct shadowalloc_fault_hist){ .size = sizeof(a), .group_id = G1,
					    .flags = 1 };
	EXPECT_EQ(-EINVAL, hist_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_FAULT_HIST, &a));
	/* Group ids: 0, above the range, a group that does not exist. */
	a = (struct shadowalloc_fault_hist){ .size = sizeof(a), .group_id = 0 };
	EXPECT_EQ(-EINVAL, hist_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_FAULT_HIST, &a));
	a.group_id = SHADOWALLOC_GROUP_ID_MAX + 1;
	EXPECT_EQ(-EINVAL, hist_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_FAULT_HIST, &a));
	a.group_id = G2;
	EXPECT_EQ(-ENOENT, hist_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_FAULT_HIST, &a));
	EXPECT_EQ(0, a.nr_buckets);
	/* A length without a buffer. */
	a = (struct shadowalloc_fault_hist){ .size = sizeof(a), .group_id = G1,
					    .buf_len = need };
	EXPECT_EQ(-EINVAL, hist_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_FAULT_HIST, &a));
	/* A buffer one counter short: -ENOSPC, the size needed, nothing written. */
	memset(buf, 0xa5, need);
	a = (struct shadowalloc_fault_hist){ .size = sizeof(a), .group_id = G1,
					    .buf_len = need - 8,
					    .buckets = (uintptr_t)buf };
	EXPECT_EQ(-ENOSPC, hist_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_FAULT_HIST, &a));
	EXPECT_EQ(need, a.buf_len);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, buf[0]);
	/* A buffer that is not mapped. */
	a = (struct shadowalloc_fault_hist){ .size = sizeof(a), .group_id = G1,
					    .buf_len = need, .buckets = 8 };
	EXPECT_EQ(-EFAULT, hist_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_FAULT_HIST, &a));
	/* Sizes: below version 0, a size field that is not the command's, too big. */
	a = (struct shadowalloc_fault_hist){ .size = 64, .group_id = G1 };
	EXPECT_EQ(-EINVAL, hist_ioctl(self->fd,
		  _IOC(_IOC_READ | _IOC_WRITE, SHADOWALLOC_IOC_MAGIC,
		       SHADOWALLOC_NR_GROUP_FAULT_HIST, 64), &a));
	a = (struct shadowalloc_fault_hist){ .size = sizeof(a) - 8, .group_id = G1 };
	EXPECT_EQ(-EINVAL, hist_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_FAULT_HIST, &a));
	memset(raw, 0, sizeof(raw));
	*(uint32_t *)raw = sizeof(raw);
	((uint32_t *)raw)[2] = G1;
	EXPECT_EQ(-E2BIG, hist_ioctl(self->fd,
		  _IOC(_IOC_READ | _IOC_WRITE, SHADOWALLOC_IOC_MAGIC,
		       SHADOWALLOC_NR_GROUP_FAULT_HIST, sizeof(raw)),
		  (struct shadowalloc_fault_hist *)raw));
	/* The wrong direction: a write-only command of the same number. */
	a = (struct shadowalloc_fault_hist){ .size = sizeof(a), .group_id = G1 };
	EXPECT_EQ(-ENOTTY, hist_ioctl(self->fd,
		  _IOW(SHADOWALLOC_IOC_MAGIC, SHADOWALLOC_NR_GROUP_FAULT_HIST,
		       struct shadowalloc_fault_hist), &a));
	/* A larger struct than the kernel's (a newer caller): served, size says how much. */
	memset(raw, 0, sizeof(raw));
	*(uint32_t *)raw = sizeof(q) + 64;
	((uint32_t *)raw)[2] = G1;
	EXPECT_EQ(0, hist_ioctl(self->fd,
		  _IOC(_IOC_READ | _IOC_WRITE, SHADOWALLOC_IOC_MAGIC,
		       SHADOWALLOC_NR_GROUP_FAULT_HIST, sizeof(q) + 64),
		  (struct shadowalloc_fault_hist *)raw));
	EXPECT_EQ(sizeof(q), *(uint32_t *)raw);
	EXPECT_EQ(q.nr_buckets, ((struct shadowalloc_fault_hist *)raw)->nr_buckets);
	/* The buffer whole: filled (zeros, no fault yet). */
	a = (struct shadowalloc_fault_hist){ .size = sizeof(a), .group_id = G1,
					    .buf_len = need,
					    .buckets = (uintptr_t)buf };
	EXPECT_EQ(0, hist_ioctl(self->fd, SHADOWALLOC_IOC_GROUP_FAULT_HIST, &a));
	EXPECT_EQ(need, a.buf_len);
	EXPECT_EQ(0, buf[0]);
	free(buf);
}

/*
 * The work moved off the fault path (stats VER5): every staged page was
 * zeroed by the refill, none on the fault path; the refill worker's own
 * CPU time grew with a refill of 2048 pages (8 MiB, milliseconds even on
 * real hardware, many ticks under TCG); with a 100 ms max age the pages
 * age out unused and are counted as such.
 */
TEST_F_TIMEOUT(stats, off_path_work_counted, 120)
{
	const unsigned long n = 2048;
	struct shadowalloc_stats st;
	int i;

	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_MAX_AGE,
			       600000, 0, 0));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	EXPECT_EQ(SHADOWALLOC_STATS_SIZE_VER5, st.size);
	EXPECT_EQ(0, st.refill_cpu_ns);
	EXPECT_EQ(0, st.refill_runs);
	ASSERT_EQ(0, __sa_stage(self->fd, G1, n));
	ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
	TH_LOG("staged %llu (total %llu): zeroed by the refill %llu, on the fault path %llu; refill CPU %llu ns over %llu runs, allocating %llu ns",
	       st.staged_pages, st.staged_total, st.zeroed_pages,
	       st.fault_zeroed_pages, st.refill_cpu_ns, st.refill_runs,
	       st.refill_zero_ns);
	EXPECT_GE(st.zeroed_pages, n);
	EXPECT_EQ(st.staged_total, st.zeroed_pages);
	EXPECT_EQ(0, st.fault_zeroed_pages);
	EXPECT_GT(st.refill_cpu_ns, 0);
	EXPECT_GE(st.refill_runs, n / 64);
	EXPECT_EQ(0, st.evicted_unused_pages);

	/* Age them out: 100 ms unused, the ageing worker every 100 ms. */
	ASSERT_EQ(0, __sa_pool(self->fd, G1, SHADOWALLOC_POOL_SET_MAX_AGE,
			       SHADOWALLOC_MAX_AGE_MIN_MS, 0, 0));
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, __sa_stats(self->fd, G1, &st));
		if (st.aged_out_pages >= n)
			break;
		usleep(50000);
	}
	TH_LOG("aged out %llu, shrinker %llu, cap %llu: unused %llu of %llu evicted",
	       st.aged_out_pages, st.shrinker_evicted_pages,
	       st.cap_evicted_pages, st.evicted_unused_pages, st.evicted_pages);
	EXPECT_GE(st.aged_out_pages, n);
	EXPECT_EQ(st.aged_out_pages + st.shrinker_evicted_pages +
		  st.cap_evicted_pages, st.evicted_unused_pages);
	EXPECT_EQ(st.evicted_pages, st.evicted_unused_pages);
	EXPECT_EQ(0, st.fault_zeroed_pages);
}

TEST_HARNESS_MAIN
