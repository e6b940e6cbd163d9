// SPDX-License-Identifier: GPL-2.0
/*
 * GET_STATS says what it means (stats VER4, ABI version 5): a page-weighted
 * hit rate, pages freed with a memory object apart from discards, time
 * saved before the first miss, accuracy 0 for a group with no data; and
 * the reservation rules: a cap below the reservation is refused and
 * changes nothing, a reservation the shrinker trimmed is reported as a
 * shortfall and staged again; the default cap never exceeds RAM.
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

TEST_HARNESS_MAIN
